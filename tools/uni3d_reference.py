#!/usr/bin/env python3
"""Independent reference for models/vision/uni3d: tiny random Uni3D point encoders in the released
checkpoint layout (weights-and-formats.md §1e) and their golden outputs, in plain PyTorch (Debian's
python3-torch 1.13; no timm, no pointnet2_ops, no safetensors module).

    /usr/bin/python3 tools/uni3d_reference.py tests/data/uni3d

writes, per variant (tiny = EVA-01 giant-style block, tiny-l = EVA02 large/base-style block,
tiny-s = EVA02 small/tiny-style block), <variant>.safetensors (fp32, with the unused image-model keys,
logit_scale and BatchNorm num_batches_tracked as the release has them) and <variant>.json (config,
inputs, FPS indices, centers, outputs). Regenerate only on purpose: the C++ tests compare against the
committed files.

Semantics re-implemented here (own code, written from the sources named in the C++ header):
  * Uni3D models/point_encoder.py: Group (FPS centers, kNN, xyz relative to the center ++ rgb), the
    mini-PointNet Encoder (BatchNorm in eval mode), encoder2trans, cls token/pos, pos_embed MLP, the timm
    Eva blocks called without RoPE, x[:, 0] -> visual.norm (Identity) -> visual.fc_norm -> trans2embed.
  * pointnet2_ops furthest_point_sampling_kernel (sampling_gpu.cu), rule for rule: index 0 first;
    temp starts at 1e10; points with x*x+y*y+z*z <= 1e-3 (float compared as double) are never candidates;
    one CUDA block of T = opt_n_threads(n) threads, thread t scans k = t, t+T, ... keeping the first k
    with the largest min-distance (strict >, start -1, index 0); the shared-memory tree reduction keeps
    the left slot on ties, so among equal maxima the thread whose bit-reversed id is smallest wins.
  * timm eva.py EvaAttention/EvaBlock, timm layers Mlp / GluMlp (gate first) / SwiGLU (with norm).
  * Inst3D get_3D_features.py extract_3d_feat: xyz - mean, / max norm, rgb / 255, repeat the whole
    cloud while it has fewer than group_size (64 in every released config) points.
kNN: the K smallest squared distances ((dx*dx + dy*dy) + dz*dz, float32), ties to the lower index.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

from safetensors_io import save_safetensors

VARIANTS = {
    # name: trans_dim, depth, heads, mlp kind, mlp hidden, fused qkv
    "tiny": dict(trans_dim=32, depth=2, heads=2, mlp="gelu", mlp_hidden=64, qkv_fused=True),
    "tiny-l": dict(trans_dim=32, depth=2, heads=2, mlp="swiglu", mlp_hidden=40, qkv_fused=False),
    "tiny-s": dict(trans_dim=32, depth=2, heads=4, mlp="glu", mlp_hidden=40, qkv_fused=True),
}
COMMON = dict(num_group=16, group_size=16, encoder_dim=40, embed_dim=24, pn1=16, pn2=32, pn3=64, pos_hidden=16,
              ln_eps=1e-6, bn_eps=1e-5)


# ---- weights in the released layout ---------------------------------------------------------------

def make_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    D, H = cfg["trans_dim"], cfg["mlp_hidden"]

    def rnd(*shape, fan_in=None):
        t = torch.randn(*shape, generator=g)
        return t / math.sqrt(fan_in) if fan_in else t

    def bn(p, c):
        w[p + "weight"] = 1 + 0.1 * rnd(c)
        w[p + "bias"] = 0.1 * rnd(c)
        w[p + "running_mean"] = 0.2 * rnd(c)
        w[p + "running_var"] = 0.5 + torch.rand(c, generator=g)
        w[p + "num_batches_tracked"] = torch.tensor(1234, dtype=torch.int64)

    def ln(p, c):
        w[p + "weight"] = 1 + 0.1 * rnd(c)
        w[p + "bias"] = 0.1 * rnd(c)

    def linear(p, o, i, bias=True):
        w[p + "weight"] = rnd(o, i, fan_in=i)
        if bias:
            w[p + "bias"] = 0.1 * rnd(o)

    c1, c2, c3, E = cfg["pn1"], cfg["pn2"], cfg["pn3"], cfg["encoder_dim"]
    w = {}
    P = "point_encoder."
    w[P + "cls_token"] = 0.5 * rnd(1, 1, D)
    w[P + "cls_pos"] = 0.5 * rnd(1, 1, D)
    linear(P + "encoder.first_conv.0.", c1, 6)
    w[P + "encoder.first_conv.0.weight"] = w[P + "encoder.first_conv.0.weight"][..., None]
    bn(P + "encoder.first_conv.1.", c1)
    linear(P + "encoder.first_conv.3.", c2, c1)
    w[P + "encoder.first_conv.3.weight"] = w[P + "encoder.first_conv.3.weight"][..., None]
    linear(P + "encoder.second_conv.0.", c3, 2 * c2)
    w[P + "encoder.second_conv.0.weight"] = w[P + "encoder.second_conv.0.weight"][..., None]
    bn(P + "encoder.second_conv.1.", c3)
    linear(P + "encoder.second_conv.3.", E, c3)
    w[P + "encoder.second_conv.3.weight"] = w[P + "encoder.second_conv.3.weight"][..., None]
    linear(P + "encoder2trans.", D, E)
    linear(P + "trans2embed.", cfg["embed_dim"], D)
    linear(P + "pos_embed.0.", cfg["pos_hidden"], 3)
    linear(P + "pos_embed.2.", D, cfg["pos_hidden"])
    V = P + "visual."
    for i in range(cfg["depth"]):
        b = f"{V}blocks.{i}."
        ln(b + "norm1.", D)
        if cfg["qkv_fused"]:
            linear(b + "attn.qkv.", 3 * D, D, bias=False)
            w[b + "attn.q_bias"] = 0.1 * rnd(D)
            w[b + "attn.v_bias"] = 0.1 * rnd(D)
        else:
            linear(b + "attn.q_proj.", D, D)
            linear(b + "attn.k_proj.", D, D, bias=False)
            linear(b + "attn.v_proj.", D, D)
        linear(b + "attn.proj.", D, D)
        ln(b + "norm2.", D)
        if cfg["mlp"] == "gelu":
            linear(b + "mlp.fc1.", H, D)
            linear(b + "mlp.fc2.", D, H)
        elif cfg["mlp"] == "swiglu":
            linear(b + "mlp.fc1_g.", H, D)
            linear(b + "mlp.fc1_x.", H, D)
            ln(b + "mlp.norm.", H)
            linear(b + "mlp.fc2.", D, H)
        else:  # packed GLU: fc1 holds [gate; value]
            linear(b + "mlp.fc1.", 2 * H, D)
            linear(b + "mlp.fc2.", D, H)
    ln(V + "fc_norm.", D)
    # present in the release, unused by the point encoder
    w["logit_scale"] = torch.tensor(math.log(1 / 0.07))
    w[V + "cls_token"] = rnd(1, 1, D)
    w[V + "pos_embed"] = rnd(1, 5, D)
    w[V + "patch_embed.proj.weight"] = rnd(D, 3, 2, 2)
    w[V + "patch_embed.proj.bias"] = rnd(D)
    w[V + "head.weight"] = rnd(10, D)
    w[V + "head.bias"] = rnd(10)
    return w


# ---- grouping ----------------------------------------------------------------------------------------

def opt_n_threads(n):
    pow_2 = int(math.log(float(n)) / math.log(2.0))
    return max(min(1 << pow_2, 512), 1)


def bit_reverse(t, bits):
    return int(format(t, f"0{bits}b")[::-1], 2) if bits else 0


def fps_pointnet2(xyz, m):
    """xyz [n, 3] float32 -> [m] int64, the pointnet2_ops CUDA kernel's choices."""
    n = xyz.shape[0]
    T = opt_n_threads(n)
    rank = torch.tensor([bit_reverse(t, T.bit_length() - 1) for t in range(T)])
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    skip = ((x * x + y * y) + z * z).double() <= 1e-3
    temp = torch.full((n,), 1e10, dtype=torch.float32)
    rows = (n + T - 1) // T
    out, old = [0], 0
    for _ in range(1, m):
        dx, dy, dz = x - x[old], y - y[old], z - z[old]
        d2 = torch.minimum((dx * dx + dy * dy) + dz * dz, temp)
        temp = torch.where(skip, temp, d2)
        cand = torch.where(skip, torch.tensor(-1.0), d2)
        grid = torch.cat([cand, torch.full((rows * T - n,), -2.0)]).view(rows, T)   # [row, thread]
        best = grid.max(0).values                                                    # [T]
        first_row = torch.where(grid == best, torch.arange(rows)[:, None], rows).min(0).values
        besti = torch.where(best < 0, torch.tensor(0), first_row * T + torch.arange(T))
        top = best.max()
        winner = torch.where(best == top, rank, T + 1).argmin()
        old = int(besti[winner])
        out.append(old)
    return torch.tensor(out, dtype=torch.int64)


def knn(xyz, centers, k):
    """K nearest points of each center: [G, K] int64, ties to the lower index."""
    d = [(xyz[None, :, i] - centers[:, None, i]) for i in range(3)]
    dist = (d[0] * d[0] + d[1] * d[1]) + d[2] * d[2]                                 # [G, N]
    return torch.sort(dist, dim=1, stable=True).indices[:, :k]


# ---- the encoder ---------------------------------------------------------------------------------------

def encode(cfg, w, xyz, rgb):
    """xyz, rgb [B, N, 3] -> (embeddings [B, E], fps indices [B, G], centers [B, G, 3])."""
    P = "point_encoder." if "point_encoder.cls_token" in w else "module.point_encoder."
    p = {k[len(P):]: v for k, v in w.items() if k.startswith(P)}
    G, K, D = cfg["num_group"], cfg["group_size"], cfg["trans_dim"]
    outs, all_idx, all_centers = [], [], []
    for b in range(xyz.shape[0]):
        idx = fps_pointnet2(xyz[b], G)
        center = xyz[b][idx]                                                         # [G, 3]
        nb = knn(xyz[b], center, K)                                                  # [G, K]
        feats = torch.cat([xyz[b][nb] - center[:, None], rgb[b][nb]], -1)            # [G, K, 6]

        def conv_bn(x, c, bn_eps=cfg["bn_eps"]):
            h = F.conv1d(x, p[c + ".0.weight"], p[c + ".0.bias"])
            h = F.batch_norm(h, p[c + ".1.running_mean"], p[c + ".1.running_var"], p[c + ".1.weight"],
                             p[c + ".1.bias"], training=False, eps=bn_eps)
            return F.conv1d(F.relu(h), p[c + ".3.weight"], p[c + ".3.bias"])

        f = conv_bn(feats.transpose(1, 2), "encoder.first_conv")                     # [G, c2, K]
        f = torch.cat([f.max(2, keepdim=True).values.expand(-1, -1, K), f], 1)      # [G, 2*c2, K]
        tok = conv_bn(f, "encoder.second_conv").max(2).values                       # [G, E_enc]
        tok = F.linear(tok, p["encoder2trans.weight"], p["encoder2trans.bias"])      # [G, D]
        pos = F.linear(F.gelu(F.linear(center, p["pos_embed.0.weight"], p["pos_embed.0.bias"])),
                       p["pos_embed.2.weight"], p["pos_embed.2.bias"])               # [G, D]
        x = torch.cat([p["cls_token"][0], tok]) + torch.cat([p["cls_pos"][0], pos])  # [G+1, D]
        x = x[None]
        for i in range(cfg["depth"]):
            x = eva_block(cfg, p, f"visual.blocks.{i}.", x)
        h = x[:, 0]
        if "visual.norm.weight" in p:
            h = F.layer_norm(h, (D,), p["visual.norm.weight"], p["visual.norm.bias"], cfg["ln_eps"])
        h = F.layer_norm(h, (D,), p["visual.fc_norm.weight"], p["visual.fc_norm.bias"], cfg["ln_eps"])
        outs.append(F.linear(h, p["trans2embed.weight"], p["trans2embed.bias"])[0])
        all_idx.append(idx)
        all_centers.append(center)
    return torch.stack(outs), torch.stack(all_idx), torch.stack(all_centers)


def eva_block(cfg, p, b, x):
    B, T, D = x.shape
    nh, eps = cfg["heads"], cfg["ln_eps"]
    h = F.layer_norm(x, (D,), p[b + "norm1.weight"], p[b + "norm1.bias"], eps)
    if cfg["qkv_fused"]:
        bias = torch.cat([p[b + "attn.q_bias"], torch.zeros(D), p[b + "attn.v_bias"]])
        q, k, v = F.linear(h, p[b + "attn.qkv.weight"], bias).view(B, T, 3, nh, D // nh).permute(2, 0, 3, 1, 4)
    else:
        q = F.linear(h, p[b + "attn.q_proj.weight"], p[b + "attn.q_proj.bias"]).view(B, T, nh, -1).transpose(1, 2)
        k = F.linear(h, p[b + "attn.k_proj.weight"]).view(B, T, nh, -1).transpose(1, 2)
        v = F.linear(h, p[b + "attn.v_proj.weight"], p[b + "attn.v_proj.bias"]).view(B, T, nh, -1).transpose(1, 2)
    a = ((q * (D // nh) ** -0.5) @ k.transpose(-2, -1)).softmax(-1) @ v                # [B, nh, T, hd]
    x = x + F.linear(a.transpose(1, 2).reshape(B, T, D), p[b + "attn.proj.weight"], p[b + "attn.proj.bias"])
    h = F.layer_norm(x, (D,), p[b + "norm2.weight"], p[b + "norm2.bias"], eps)
    if cfg["mlp"] == "gelu":
        h = F.gelu(F.linear(h, p[b + "mlp.fc1.weight"], p[b + "mlp.fc1.bias"]))
    elif cfg["mlp"] == "swiglu":
        h = F.silu(F.linear(h, p[b + "mlp.fc1_g.weight"], p[b + "mlp.fc1_g.bias"])) * \
            F.linear(h, p[b + "mlp.fc1_x.weight"], p[b + "mlp.fc1_x.bias"])
        h = F.layer_norm(h, (h.shape[-1],), p[b + "mlp.norm.weight"], p[b + "mlp.norm.bias"], eps)
    else:
        gate, val = F.linear(h, p[b + "mlp.fc1.weight"], p[b + "mlp.fc1.bias"]).chunk(2, -1)
        h = F.silu(gate) * val
    return x + F.linear(h, p[b + "mlp.fc2.weight"], p[b + "mlp.fc2.bias"])


# ---- Inst3D's per-instance preprocessing ----------------------------------------------------------

def prepare_instance(xyz_raw, rgb_u8, min_points):
    """[P, 3] float32 coords, [P, 3] uint8 colors -> ([1, P', 3] unit-sphere xyz, [1, P', 3] rgb 0..1)."""
    pc = xyz_raw.double()
    pc = pc - pc.mean(0)
    pc = pc / pc.norm(dim=1).max()
    pc, rgb = pc.float(), (rgb_u8.double() / 255.0).float()
    while pc.shape[0] < min_points:
        pc, rgb = torch.cat([pc, pc]), torch.cat([rgb, rgb])
    return pc[None], rgb[None]


# ---- fixed inputs ------------------------------------------------------------------------------------

def inputs(seed):
    g = torch.Generator().manual_seed(seed)
    # "cloud": two clouds of 300 points in the unit ball, colors 0..1, with points inside the 1e-3 skip
    # ball (one of them at index 0 of the second cloud).
    d = torch.randn(2, 300, 3, generator=g)
    r = torch.rand(2, 300, 1, generator=g) ** (1 / 3)
    xyz = d / d.norm(dim=-1, keepdim=True) * r
    xyz[0, 7] = torch.tensor([0.01, -0.02, 0.005])
    xyz[1, 0] = torch.tensor([0.0, 0.015, 0.0])
    xyz[1, 42] = torch.tensor([-0.01, 0.0, 0.02])
    rgb = torch.rand(2, 300, 3, generator=g)
    # "small": 12 raw points; point 0 is the mean of the others, so it is the centroid: after
    # normalisation it is skipped by FPS, and 16 centers from 12 points make the kernel repeat.
    small = torch.randn(12, 3, generator=g) * 0.3 + torch.tensor([2.0, -1.0, 0.7])
    small[0] = small[1:].mean(0)
    # "large": 150 raw points of an elongated object far from the origin.
    large = torch.randn(150, 3, generator=g) * torch.tensor([0.8, 0.2, 0.4]) + torch.tensor([4.0, 3.0, 1.0])
    return {
        "cloud": (xyz.float(), rgb.float()),
        "small": (small.float(), torch.randint(0, 256, (12, 3), generator=g, dtype=torch.int64)),
        "large": (large.float(), torch.randint(0, 256, (150, 3), generator=g, dtype=torch.int64)),
    }


def main(out):
    os.makedirs(out, exist_ok=True)
    data = inputs(7)
    for seed, (name, v) in enumerate(VARIANTS.items()):
        cfg = dict(COMMON, **v)
        w = make_weights(cfg, 100 + seed)
        if name == "tiny":  # the DeepSpeed state dict as Inst3D reads it: keys may carry 'module.'
            w = {"module." + k: t for k, t in w.items()}
        save_safetensors(os.path.join(out, name + ".safetensors"), w)
        golden = {"command": "/usr/bin/python3 tools/uni3d_reference.py tests/data/uni3d",
                  "torch": torch.__version__, "config": cfg, "cases": {}}
        with torch.no_grad():
            xyz, rgb = data["cloud"]
            emb, idx, centers = encode(cfg, w, xyz, rgb)
            golden["cases"]["cloud"] = {"xyz": xyz.tolist(), "rgb": rgb.tolist(), "fps": idx.tolist(),
                                        "centers": centers.tolist(), "embedding": emb.tolist()}
            for case in ("small", "large"):
                raw, col = data[case]
                pxyz, prgb = prepare_instance(raw, col, cfg["group_size"])
                emb, idx, centers = encode(cfg, w, pxyz, prgb)
                golden["cases"][case] = {"xyz_raw": raw.tolist(), "rgb_u8": col.tolist(),
                                         "xyz": pxyz[0].tolist(), "rgb": prgb[0].tolist(), "fps": idx.tolist(),
                                         "centers": centers.tolist(), "embedding": emb.tolist()}
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(golden, f)
        print(name, "fps(small) =", golden["cases"]["small"]["fps"][0])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/uni3d")
