#!/usr/bin/env python3
"""Independent reference for models/llm/llama_model: tiny random LLaMA checkpoints in Hugging Face layout
and their golden outputs, computed with PyTorch (Debian's python3-torch 1.13 is enough; no transformers)
following transformers' LlamaForCausalLM eager math: RMSNorm in fp32, rotate_half RoPE, SwiGLU, GQA by
repeat_kv, fp32 softmax, greedy decoding that stops at EOS.

    /usr/bin/python3 tools/llama_reference.py tests/data/llm    # writes tiny-llama-mha/ and tiny-llama-gqa/

Each folder: config.json, model.safetensors (fp32), golden.json (input ids, fp32 logits [T, V], hidden
states [L+1][T, D] as output_hidden_states, greedy ids for 8 new tokens). Regenerate only on purpose:
the C++ tests compare against the committed files.
"""
import json
import math
import os
import struct
import sys

import torch


def save_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def rms_norm(x, w, eps):
    xf = x.to(torch.float32)
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return w * xf.to(x.dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def forward(cfg, w, ids):
    """ids [T] -> logits [T, V], hidden states list of [T, D]; full sequence, no cache."""
    D, H, Hkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps = D // H, cfg["rms_norm_eps"]
    theta = cfg["rope_parameters"]["rope_theta"] if "rope_parameters" in cfg else cfg.get("rope_theta", 10000.0)
    T = ids.shape[0]
    x = w["model.embed_tokens.weight"][ids][None]                       # [1, T, D]
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    freqs = torch.arange(T, dtype=torch.float32)[:, None] * inv_freq[None]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()                                     # [T, hd]
    mask = torch.full((T, T), float("-inf")).triu(1)
    hidden = [x[0]]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(1, T, H, hd).transpose(1, 2)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(1, T, Hkv, hd).transpose(1, 2)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(1, T, Hkv, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = H // Hkv                                                  # repeat_kv
        k = k[:, :, None].expand(1, Hkv, rep, T, hd).reshape(1, H, T, hd)
        v = v[:, :, None].expand(1, Hkv, rep, T, hd).reshape(1, H, T, hd)
        s = q @ k.transpose(2, 3) / math.sqrt(hd) + mask
        a = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype) @ v
        x = x + a.transpose(1, 2).reshape(1, T, D) @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        g = torch.nn.functional.silu(h @ w[p + "mlp.gate_proj.weight"].T) * (h @ w[p + "mlp.up_proj.weight"].T)
        x = x + g @ w[p + "mlp.down_proj.weight"].T
        if i + 1 < cfg["num_hidden_layers"]:
            hidden.append(x[0])
    x = rms_norm(x, w["model.norm.weight"], eps)
    hidden.append(x[0])
    return (x @ w["lm_head.weight"].T)[0].float(), hidden


def make(out, name, seed, gqa):
    torch.manual_seed(seed)
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 96, "hidden_size": 32,
           "intermediate_size": 88, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2 if gqa else 4, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
           "hidden_act": "silu", "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
           "torch_dtype": "float32"}
    if gqa:  # transformers 5.x form
        cfg["rope_parameters"] = {"rope_type": "default", "rope_theta": 500000.0}
    else:
        cfg["rope_theta"], cfg["rope_scaling"] = 10000.0, None
    D, F, V, L = 32, 88, 96, 2
    hd, kv = D // 4, cfg["num_key_value_heads"] * D // 4
    w = {"model.embed_tokens.weight": torch.randn(V, D) * 0.5}
    for i in range(L):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1 + 0.1 * torch.randn(D)
        w[p + "self_attn.q_proj.weight"] = torch.randn(D, D) / math.sqrt(D)
        w[p + "self_attn.k_proj.weight"] = torch.randn(kv, D) / math.sqrt(D)
        w[p + "self_attn.v_proj.weight"] = torch.randn(kv, D) / math.sqrt(D)
        w[p + "self_attn.o_proj.weight"] = torch.randn(D, D) / math.sqrt(D)
        w[p + "post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(D)
        w[p + "mlp.gate_proj.weight"] = torch.randn(F, D) / math.sqrt(D)
        w[p + "mlp.up_proj.weight"] = torch.randn(F, D) / math.sqrt(D)
        w[p + "mlp.down_proj.weight"] = torch.randn(D, F) / math.sqrt(F)
    w["model.norm.weight"] = 1 + 0.1 * torch.randn(D)
    w["lm_head.weight"] = torch.randn(V, D) / math.sqrt(D) * 4
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    tensors = dict(w)
    tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.zeros(hd // 2)  # legacy key: ignored
    save_safetensors(os.path.join(d, "model.safetensors"), tensors)

    ids = torch.tensor([1, 17, 42, 5, 63, 88, 9], dtype=torch.int64)
    logits, hidden = forward(cfg, w, ids)
    seq = ids.clone()
    greedy = []
    for _ in range(8):  # greedy, full recompute each step (no cache), stop at EOS
        nxt = int(forward(cfg, w, seq)[0][-1].argmax())
        if nxt == cfg["eos_token_id"]:
            break
        greedy.append(nxt)
        seq = torch.cat([seq, torch.tensor([nxt])])
    golden = {"command": "/usr/bin/python3 tools/llama_reference.py tests/data/llm", "torch": torch.__version__,
              "input_ids": ids.tolist(), "logits": logits.tolist(),
              "hidden_states": [h.tolist() for h in hidden], "greedy_new_ids": greedy}
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(golden, f)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/llm"
    make(out, "tiny-llama-mha", 0, gqa=False)
    make(out, "tiny-llama-gqa", 1, gqa=True)
