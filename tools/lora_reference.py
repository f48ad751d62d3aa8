#!/usr/bin/env python3
"""Independent reference for models/llm/lora: a PEFT-layout LoRA adapter for the committed
tests/data/llm/tiny-llama-mha checkpoint and the logits of the adapted model, in plain PyTorch
(Debian's python3-torch 1.13; no peft, no transformers, safetensors written by hand).

    /usr/bin/python3 tools/lora_reference.py tests/data/llm    # writes tiny-llama-mha-lora/

PEFT's LoRA semantics (peft 0.9 LoraLayer, re-implemented here, not copied): for a targeted nn.Linear
W [out, in], y = W x + (lora_alpha / r) * B (A x) with A = lora_A.weight [r, in] and B = lora_B.weight
[out, r]; dropout only in training. Keys as get_peft_model_state_dict saves them (adapter name removed):
base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight, ...lora_B.weight. The adapter here
targets q, v, o, up, down (not k, gate) with r=4, alpha=8 (scale 2) and random non-zero B, as after
training. The reference applies the update to the weights (W + scale B@A) and runs llama_reference's
forward on them.

Output folder: adapter_config.json, adapter_model.safetensors, golden.json (input ids, logits [T, V]).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import forward  # noqa: E402
from safetensors_io import load_safetensors, save_safetensors  # noqa: E402

TARGETS = {"q_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn", "up_proj": "mlp",
           "down_proj": "mlp"}
R, ALPHA = 4, 8


def main(out):
    base = os.path.join(out, "tiny-llama-mha")
    cfg = json.load(open(os.path.join(base, "config.json")))
    w = load_safetensors(os.path.join(base, "model.safetensors"))
    g = torch.Generator().manual_seed(123)
    adapter, merged = {}, dict(w)
    for i in range(cfg["num_hidden_layers"]):
        for proj, block in TARGETS.items():
            name = f"model.layers.{i}.{block}.{proj}"
            W = w[name + ".weight"]
            out_f, in_f = W.shape
            A = (torch.rand(R, in_f, generator=g) * 2 - 1) / in_f ** 0.5
            B = torch.randn(out_f, R, generator=g) * 0.1
            adapter[f"base_model.model.{name}.lora_A.weight"] = A
            adapter[f"base_model.model.{name}.lora_B.weight"] = B
            merged[name + ".weight"] = W + (ALPHA / R) * (B @ A)
    ids = torch.tensor([1, 17, 42, 5, 63, 88, 9, 30])
    logits, _ = forward(cfg, merged, ids)
    dst = os.path.join(out, "tiny-llama-mha-lora")
    os.makedirs(dst, exist_ok=True)
    save_safetensors(os.path.join(dst, "adapter_model.safetensors"), adapter)
    config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "tiny-llama-mha",
              "r": R, "lora_alpha": ALPHA, "lora_dropout": 0.1, "bias": "none", "fan_in_fan_out": False,
              "inference_mode": True, "target_modules": sorted(TARGETS)}
    json.dump(config, open(os.path.join(dst, "adapter_config.json"), "w"), indent=2)
    golden = {"command": "/usr/bin/python3 tools/lora_reference.py tests/data/llm", "torch": torch.__version__,
              "input_ids": ids.tolist(), "logits": logits.tolist()}
    json.dump(golden, open(os.path.join(dst, "golden.json"), "w"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/llm")
