#!/usr/bin/env python3
"""Upstream oracle for models/vision/uni3d: the Uni3D point encoder assembled from timm's OWN Eva
(timm.create_model of the model names Uni3D's scripts/inference.sh uses, dims shrunk to the committed
fixtures') plus glue written here that reproduces Uni3D's models/point_encoder.py (Group, Encoder,
PointcloudEncoder, Uni3D.encode_pc; baaivision/Uni3D @64e03c3, identical in the ZzZZCHS/Uni3D fork
@69db35c that Chat-Scene and Inst3D use) and Inst3D's per-instance input (get_3D_features.py
extract_3d_feat, hanxunyu/Inst3D-LMM @1e35bac). Nothing of tools/uni3d_reference.py's network is used.

    /opt/inst3d-deps/oracles/bin/python tools/oracles/uni3d_timm_reference.py [tests/data/uni3d]

reads tests/data/uni3d/{tiny,tiny-l,tiny-s}.safetensors (the weights the C++ test loads, released
`module.point_encoder.*` / `point_encoder.*` layout) with the `safetensors` package, loads them with
load_state_dict(strict=True) into the assembled model (so every key, the unused image-model ones
included, must be what timm's Eva and Uni3D's modules declare), and writes <out>/timm/goldens.json:
versions and seeds, the timm model behind each C++ config (g l b s ti, built on the meta device), the
inputs, and per variant the FPS indices and embeddings. Regenerate only on purpose.

Glue choices, each as Uni3D's code does it unless said:
  * FPS: pointnet2_ops.furthest_point_sample is a CUDA-only op, so the deterministic CPU re-implementation
    of its kernel, tools/uni3d_reference.py fps_pointnet2, is imported for FPS only (then the centers are
    gathered as pointnet2's gather_operation does).
  * kNN: Uni3D's square_distance (-2 src.dst^T + |src|^2 + |dst|^2, fp32) and
    torch.topk(largest=False, sorted=False); the neighbour order is irrelevant after the max-pools.
  * The forward runs on the CPU in fp32; timm's attention is its explicit softmax(q k^T) v path on torch
    1.13, F.scaled_dot_product_attention on torch >= 2 (goldens.json records which).
  * Inst3D's input: numpy float32 throughout, as pcd_all holds it (plyfile's float32 xyz and uint8 rgb
    fields stacked by np.array(...) promote to float32): rgb/255., xyz - np.mean, / max norm, then the
    cloud concatenated with itself while it has fewer than group_size points (Inst3D writes 64, the
    group_size of every released config; the tiny fixtures use 16).
"""
import json
import os
import platform
import sys

import numpy as np
import safetensors
import safetensors.torch
import timm
import torch
import torch.nn as nn

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)
from uni3d_reference import fps_pointnet2  # noqa: E402  (FPS only: pointnet2_ops is CUDA-only)

# The C++ configs and the timm models Uni3D's scripts/inference.sh names for them.
TIMM_MODELS = {"g": "eva_giant_patch14_560", "l": "eva02_large_patch14_448", "b": "eva02_base_patch14_448",
               "s": "eva02_small_patch14_224", "ti": "eva02_tiny_patch14_224"}
# The fixtures (tests/data/uni3d, written by tools/uni3d_reference.py): the timm model whose block kind
# they carry, heads, mlp_ratio giving their hidden width, and the image-model stubs the files hold
# (visual.pos_embed [1, 5, D] = img 4 / patch 2 + cls, visual.head [10, D]).
FIXTURES = {"tiny": ("eva_giant_patch14_560", 2, 64 / 32),
            "tiny-l": ("eva02_large_patch14_448", 2, 40 / 32),
            "tiny-s": ("eva02_small_patch14_224", 4, 40 / 32)}
TINY = dict(trans_dim=32, depth=2, num_group=16, group_size=16, encoder_dim=40, embed_dim=24,
            pn1=16, pn2=32, pn3=64, pos_hidden=16, img_size=4, patch_size=2, num_classes=10)
INPUT_SEED = 20240


# ---- Uni3D's point encoder around a timm Eva (glue; module names = the released key layout) ------------

def square_distance(src, dst):
    """[B, N, 3], [B, M, 3] -> [B, N, M] squared distances, expanded as Uni3D computes them."""
    B, N, _ = src.shape
    M = dst.shape[1]
    d = -2 * torch.matmul(src, dst.permute(0, 2, 1))
    d += torch.sum(src ** 2, -1).view(B, N, 1)
    d += torch.sum(dst ** 2, -1).view(B, 1, M)
    return d


class Group(nn.Module):
    """FPS centers, kNN neighbourhoods, xyz relative to the center ++ color: [B, G, K, 6]."""

    def __init__(self, num_group, group_size):
        super().__init__()
        self.num_group, self.group_size = num_group, group_size

    def forward(self, xyz, color):
        B, N, _ = xyz.shape
        fps_idx = torch.stack([fps_pointnet2(xyz[b].contiguous(), self.num_group) for b in range(B)])   # [B, G]
        center = torch.gather(xyz, 1, fps_idx[..., None].expand(-1, -1, 3))                            # [B, G, 3]
        idx = torch.topk(square_distance(center, xyz), self.group_size, dim=-1, largest=False, sorted=False)[1]
        flat = (idx + torch.arange(B).view(-1, 1, 1) * N).view(-1)                                     # [B*G*K]
        nb = xyz.reshape(B * N, 3)[flat].view(B, self.num_group, self.group_size, 3)
        nb_color = color.reshape(B * N, 3)[flat].view(B, self.num_group, self.group_size, 3)
        features = torch.cat((nb - center.unsqueeze(2), nb_color), dim=-1)                            # [B, G, K, 6]
        return fps_idx, center, features


class Encoder(nn.Module):
    """Mini-PointNet: per-point MLP, max over K, global ++ local, MLP, max over K -> [B, G, C]."""

    def __init__(self, c1, c2, c3, channels):
        super().__init__()
        self.channels = channels
        self.first_conv = nn.Sequential(nn.Conv1d(6, c1, 1), nn.BatchNorm1d(c1), nn.ReLU(inplace=True),
                                        nn.Conv1d(c1, c2, 1))
        self.second_conv = nn.Sequential(nn.Conv1d(2 * c2, c3, 1), nn.BatchNorm1d(c3), nn.ReLU(inplace=True),
                                         nn.Conv1d(c3, channels, 1))

    def forward(self, groups):
        B, G, K, _ = groups.shape
        f = self.first_conv(groups.reshape(B * G, K, 6).transpose(2, 1))                               # [BG, c2, K]
        f = torch.cat([torch.max(f, dim=2, keepdim=True)[0].expand(-1, -1, K), f], dim=1)             # [BG, 2c2, K]
        f = torch.max(self.second_conv(f), dim=2, keepdim=False)[0]                                    # [BG, C]
        return f.reshape(B, G, self.channels)


class PointcloudEncoder(nn.Module):
    def __init__(self, point_transformer, cfg):
        super().__init__()
        D = cfg["trans_dim"]
        self.group_divider = Group(cfg["num_group"], cfg["group_size"])
        self.encoder = Encoder(cfg["pn1"], cfg["pn2"], cfg["pn3"], cfg["encoder_dim"])
        self.encoder2trans = nn.Linear(cfg["encoder_dim"], D)
        self.trans2embed = nn.Linear(D, cfg["embed_dim"])
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.cls_pos = nn.Parameter(torch.randn(1, 1, D))
        self.pos_embed = nn.Sequential(nn.Linear(3, cfg["pos_hidden"]), nn.GELU(), nn.Linear(cfg["pos_hidden"], D))
        self.patch_dropout = nn.Identity()  # Uni3D: PatchDropout only when patch_dropout > 0 (0 here)
        self.visual = point_transformer

    def forward(self, pts, colors):
        fps_idx, center, features = self.group_divider(pts, colors)
        tokens = self.encoder2trans(self.encoder(features))                                            # [B, G, D]
        B = tokens.size(0)
        x = torch.cat((self.cls_token.expand(B, -1, -1), tokens), dim=1)
        pos = torch.cat((self.cls_pos.expand(B, -1, -1), self.pos_embed(center)), dim=1)
        x = self.visual.pos_drop(self.patch_dropout(x + pos))                                          # [B, G+1, D]
        for blk in self.visual.blocks:  # as Uni3D: blk(x), no rope
            x = blk(x)
        x = self.visual.fc_norm(self.visual.norm(x[:, 0, :]))
        return self.trans2embed(x), fps_idx                                                            # [B, E], [B, G]


class Uni3D(nn.Module):
    def __init__(self, point_encoder):
        super().__init__()
        self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))
        self.point_encoder = point_encoder

    def encode_pc(self, pc):  # [B, N, 6] -> embeddings, fps indices
        return self.point_encoder(pc[:, :, :3].contiguous(), pc[:, :, 3:].contiguous())


def build_fixture_model(variant):
    timm_name, heads, mlp_ratio = FIXTURES[variant]
    c = TINY
    eva = timm.create_model(timm_name, pretrained=False, drop_path_rate=0.0, img_size=c["img_size"],
                            patch_size=c["patch_size"], num_classes=c["num_classes"], embed_dim=c["trans_dim"],
                            depth=c["depth"], num_heads=heads, mlp_ratio=mlp_ratio)
    return Uni3D(PointcloudEncoder(eva, c)), timm_name, heads


def load_released(model, path):
    """extract_3d_feat's loading: strip a leading 'module.', load_state_dict (strict), eval()."""
    sd = safetensors.torch.load_file(path)
    if next(iter(sd)).startswith("module"):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    model.load_state_dict(sd)
    return model.eval()


# ---- timm's definition of each released config ---------------------------------------------------------

def timm_config(name):
    """The block structure timm builds for `name`: its model function's arguments, and one block built
    from them (depth 1, a single patch, no head: cheap even for the giant)."""
    args, real = {}, timm.models.eva._create_eva

    def capture(variant, pretrained=False, **kwargs):
        args.update(kwargs)
        return real(variant, pretrained=pretrained, **dict(kwargs, depth=1, img_size=kwargs["patch_size"], num_classes=0))

    timm.models.eva._create_eva = capture
    try:
        m = timm.create_model(name, pretrained=False)
    finally:
        timm.models.eva._create_eva = real
    blk = m.blocks[0]
    assert blk.gamma_1 is None and isinstance(blk.attn.norm, nn.Identity), f"{name}: layer scale / attn norm"
    assert isinstance(m.norm, nn.Identity) and m.global_pool == "avg", f"{name}: expected fc_norm pooling"
    mlp = blk.mlp
    kind = {"SwiGLU": "swiglu", "GluMlp": "glu", "Mlp": "gelu"}[type(mlp).__name__]
    assert kind != "gelu" or isinstance(mlp.act, nn.GELU) and mlp.act.approximate == "none", name
    assert kind == "swiglu" or isinstance(mlp.norm, nn.Identity), f"{name}: unexpected MLP norm"
    return {"timm_model": name, "embed_dim": m.embed_dim, "depth": args["depth"], "num_heads": blk.attn.num_heads,
            "mlp": kind, "mlp_hidden": mlp.fc2.in_features, "qkv_fused": blk.attn.qkv is not None,
            "qkv_bias": (blk.attn.q_bias is not None) if blk.attn.qkv is not None else blk.attn.q_proj.bias is not None,
            "norm_eps": blk.norm1.eps, "rope_in_timm": m.rope is not None}


# ---- inputs ---------------------------------------------------------------------------------------------

def make_inputs(seed):
    rng = np.random.default_rng(seed)
    # Two clouds given to encode() directly: 200 points in the unit ball, colors 0..1, index 0 of the
    # second cloud inside pointnet2's 1e-3 skip ball.
    d = rng.standard_normal((2, 200, 3))
    xyz = d / np.linalg.norm(d, axis=-1, keepdims=True) * rng.random((2, 200, 1)) ** (1 / 3)
    xyz[1, 0] = [0.005, -0.01, 0.02]
    cloud = (xyz.astype(np.float32), rng.random((2, 200, 3)).astype(np.float32))
    # Raw instances (aligned ScanNet-like coordinates, uint8 colors): 11 points (repeated to 22, FPS runs
    # out of distinct points), a 90-point box surface far from the origin, 300 points of an elongated blob.
    sparse = rng.standard_normal((11, 3)) * 0.2 + [1.5, 2.0, 0.4]
    size = np.array([0.6, 0.4, 0.9])
    face = rng.integers(0, 3, 90)
    box = rng.random((90, 3)) * size
    box[np.arange(90), face] = np.where(rng.random(90) < 0.5, 0.0, size[face])  # on one of the 6 faces
    box += [3.0, -1.2, 0.1]
    blob = rng.standard_normal((300, 3)) * [0.9, 0.15, 0.3] + [-2.0, 4.5, 1.0]
    insts = {}
    for name, p in (("sparse", sparse), ("box", box), ("blob", blob)):
        insts[name] = (p.astype(np.float32), rng.integers(0, 256, (len(p), 3)).astype(np.uint8))
    return cloud, insts


def inst3d_input(points, colors_u8, min_points):
    """extract_3d_feat on pcd_all's float32 arrays -> [1, P', 6] float32."""
    pc, colors = points.astype(np.float32), colors_u8.astype(np.float32)
    rgb = colors / 255.
    pc = pc - np.mean(pc, axis=0)
    m = np.max(np.sqrt(np.sum(pc ** 2, axis=1)))
    pc = pc / m
    inp = torch.cat([torch.tensor(pc), torch.tensor(rgb)], dim=-1).unsqueeze(0)
    while inp.shape[1] < min_points:
        inp = torch.cat([inp, inp], dim=1)
    assert inp.dtype == torch.float32
    return inp


# ---- main -----------------------------------------------------------------------------------------------

def main(data_dir):
    torch.manual_seed(0)  # only the module constructors draw; every weight is then loaded
    torch.set_num_threads(1)  # one reduction order, so reruns here are byte-identical (threads split sums differently)
    out_dir = os.path.join(data_dir, "timm")
    os.makedirs(out_dir, exist_ok=True)
    cloud, insts = make_inputs(INPUT_SEED)
    golden = {
        "command": "/opt/inst3d-deps/oracles/bin/python tools/oracles/uni3d_timm_reference.py tests/data/uni3d",
        "versions": {"timm": timm.__version__, "torch": torch.__version__, "numpy": np.__version__,
                     "safetensors": safetensors.__version__, "python": platform.python_version(),
                     "timm_fused_attn": timm.layers.use_fused_attn(), "torch_threads": torch.get_num_threads()},
        "seeds": {"inputs (numpy default_rng)": INPUT_SEED, "torch.manual_seed (module init, overwritten)": 0},
        "sources": {"uni3d": "baaivision/Uni3D@64e03c3 models/point_encoder.py, models/uni3d.py, scripts/inference.sh "
                             "(= ZzZZCHS/Uni3D@69db35c)",
                    "inst3d": "hanxunyu/Inst3D-LMM@1e35bac 3d_feature_extraction/get_3D_features.py extract_3d_feat",
                    "fps": "tools/uni3d_reference.py fps_pointnet2 (pointnet2_ops' CUDA kernel on the CPU)"},
        "timm_models": {k: timm_config(v) for k, v in TIMM_MODELS.items()},
        "inputs": {"cloud": {"xyz": cloud[0].tolist(), "rgb": cloud[1].tolist()}},
        "variants": {},
    }
    for name, (p, c) in insts.items():
        golden["inputs"][name] = {"xyz_raw": p.tolist(), "rgb_u8": c.tolist()}
    for variant in FIXTURES:
        model, timm_name, heads = build_fixture_model(variant)
        load_released(model, os.path.join(data_dir, variant + ".safetensors"))
        pe = model.point_encoder
        v = {"timm_model": timm_name, "heads": heads, "config": TINY, "norm_eps": pe.visual.blocks[0].norm1.eps,
             "fc_norm_eps": pe.visual.fc_norm.eps, "bn_eps": pe.encoder.first_conv[1].eps, "cases": {}}
        with torch.no_grad():
            pc = torch.cat([torch.tensor(cloud[0]), torch.tensor(cloud[1])], dim=-1)
            emb, fps = model.encode_pc(pc)
            v["cases"]["cloud"] = {"fps": fps.tolist(), "embedding": emb.tolist()}
            for name, (p, c) in insts.items():
                inp = inst3d_input(p, c, TINY["group_size"])
                emb, fps = model.encode_pc(inp)
                v["cases"][name] = {"xyz": inp[0, :, :3].tolist(), "rgb": inp[0, :, 3:].tolist(),
                                    "fps": fps.tolist(), "embedding": emb.tolist()}
        golden["variants"][variant] = v
        print(variant, timm_name, "|embedding| max", max(abs(x) for x in v["cases"]["cloud"]["embedding"][0]))
    with open(os.path.join(out_dir, "goldens.json"), "w") as f:
        json.dump(golden, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/uni3d")
