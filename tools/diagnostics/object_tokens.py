#!/usr/bin/env python3
"""How distinct are a checkpoint's object tokens? (docs/performance.md, "Inst3D on a synthetic world")

    /opt/inst3d-deps/oracles/bin/python tools/diagnostics/object_tokens.py RUN/checkpoint FEATURES [SCENE]

Loads an `inst3d train` checkpoint (inst3d.safetensors + llm/model.safetensors) into the PyTorch reference
model (tools/oracles/inst3d_reference.py, plus the mcmf_residual switch of docs/model.md), encodes one scene's
feature cache and prints, per token kind, the mean norm and the mean pairwise cosine between the scene's
objects, beside the norms of the LLM's word and <OBJ###> embeddings. Tokens whose pairwise cosine nears 1 tell
the LLM that an object is there, not which one.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F
import yaml
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "oracles"))
import inst3d_reference as R  # noqa: E402

HIDDEN = ("wall", "ceiling", "floor", "object", "item")


def forward(m, c, uni3d, clip, centers, valid):
    mm, isr = m.mcmf, m.isr
    f3, f2 = F.normalize(uni3d, dim=-1), F.normalize(clip, dim=-1)
    f3s = mm.self_attn_3d(f3, f3, f3, key_padding_mask=~valid, need_weights=False)[0]
    f2s = mm.self_attn_2d(f2, valid)
    if c.get("mcmf_residual", False):
        f3s, f2s = f3 + f3s, f2 + f2s
    x = isr.scene_init_proj(f3s + isr.img2obj_proj(f2s)) + isr.pos_proj(isr.pos_embedding(centers, valid))
    pw = R.pairwise_locs(centers, valid)
    for layer in isr.spatial:
        x = layer(x, pw, valid, c.get("spatial_fusion", "mul"))
    x = isr.relation(x, src_key_padding_mask=~valid)
    return dict(tok3d=m.object_proj(f3s), tokscene=m.scene_proj(x), fused=mm.cross_attn(f3s, f2s, valid))


def stats(t):
    cos = F.cosine_similarity(t[:, None], t[None], -1)
    off = ~torch.eye(t.shape[0], dtype=torch.bool)
    return t.norm(dim=1).mean().item(), cos[off].mean().item()


def main():
    ckpt, feats = sys.argv[1], sys.argv[2]
    scene = sys.argv[3] if len(sys.argv) > 3 else "scene0000_00"
    info = json.load(open(os.path.join(ckpt, "checkpoint.json")))
    c = yaml.safe_load(info["model_config"])
    m = R.Inst3D(c)
    m.load_state_dict(load_file(os.path.join(ckpt, "inst3d.safetensors")))
    m.eval()
    llm = load_file(os.path.join(ckpt, "llm", "model.safetensors"))
    E = llm["model.embed_tokens.weight"]
    base = E.shape[0] - c["identifier_tokens"]
    path = os.path.join(feats, scene + ".features.safetensors")
    f = load_file(path)
    with open(path, "rb") as fh:
        labels = json.loads(json.loads(fh.read(int.from_bytes(fh.read(8), "little")))["__metadata__"]["labels"])
    n = min(len(labels), c["max_objects"])
    valid = torch.tensor([not any(w in s for w in HIDDEN) for s in labels[:n]])[None]
    with torch.no_grad():
        out = forward(m, c, f["feat_3d"][None, :n], f["feat_2d"][None, :n], f["boxes"][None, :n, :3], valid)
    print(f"{scene}: {int(valid.sum())} valid objects")
    print(f"word embeddings: norm {E[:base].norm(dim=1).mean():.3f}; <OBJ###> rows: norm {E[base:].norm(dim=1).mean():.3f}")
    for k, t in out.items():
        norm, cos = stats(t[0][valid[0]])
        print(f"{k:9s} norm {norm:8.3f}   mean pairwise cosine {cos:.4f}")


if __name__ == "__main__":
    main()
