#!/usr/bin/env python3
"""The peer of `inst3d bench train`: the same Inst3D training step in PyTorch + transformers + peft.

Run in the oracle environment (tools/oracles/setup.sh) with the shapes `inst3d bench train` printed:

    /opt/inst3d-deps/oracles/bin/python tools/oracles/bench_train.py --model synth-small --seq 214 --objects 40
    /opt/inst3d-deps/oracles/bin/python tools/oracles/bench_train.py --model inst3d-7b --llm-layers 2 --seq 254 --objects 40 --batch 1

One step: the Inst3D encoder (tools/oracles/inst3d_reference.py's torch.nn model) over a batch of generated
scenes, the interleaved object tokens [E(<OBJ j>), object_proj, scene_proj, MCMF fused] before the text,
transformers' LlamaForCausalLM (random weights, LLaMA-7B's shapes when the model is 4096 wide, else the random
base of `inst3d train`) wrapped by peft's LoRA (r 32, alpha 16, dropout 0.1 on q,k,v,o,gate,up,down) with
embed_tokens and lm_head trainable, the answer-only causal-LM loss, backward, AdamW. fp32, every CPU thread.
Prints the same table as the C++ bench.
"""
import argparse
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inst3d_reference import Inst3D  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VICUNA_VOCAB = 32000
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
ROOM_M = 6.0
ANSWER_TOKENS = 6   # "<OBJ013>." + EOS as the C++ bench's tokenizer splits it (about)


def train_defaults():
    return yaml.safe_load(open(os.path.join(ROOT, "resources/config/train/default.yaml")))


def model_config(name):
    c = yaml.safe_load(open(os.path.join(ROOT, "resources/config/model", name + ".yaml")))
    c.setdefault("identifier_tokens", c["max_objects"])
    return c


def llama_config(c, d, layers, tokenizer_vocab):
    from transformers import LlamaConfig
    if c["dim_llm"] == 4096:
        cfg = LlamaConfig(vocab_size=VICUNA_VOCAB + c["identifier_tokens"], hidden_size=4096, intermediate_size=11008,
                          num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32)
    else:
        r = d["llm"]
        cfg = LlamaConfig(vocab_size=tokenizer_vocab, hidden_size=c["dim_llm"], intermediate_size=r["random_ffn"],
                          num_hidden_layers=r["random_layers"], num_attention_heads=r["random_heads"],
                          num_key_value_heads=r["random_heads"], max_position_embeddings=2048)
    if layers > 0:
        cfg.num_hidden_layers = layers
    return cfg


def build_llm(cfg, d):
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM
    from transformers.modeling_utils import no_init_weights
    with no_init_weights():   # the C++ bench fills weights at memcpy speed; drawing 7B values costs minutes
        base = LlamaForCausalLM(cfg)
    with torch.no_grad():
        for p in base.parameters():
            p.uniform_(-(3.0 / p.shape[-1]) ** 0.5, (3.0 / p.shape[-1]) ** 0.5) if p.dim() > 1 else p.fill_(1.0)
    lora = d["lora"]
    model = get_peft_model(base, LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                                            target_modules=TARGETS, bias="none", task_type="CAUSAL_LM"))
    base.get_input_embeddings().weight.requires_grad_(True)
    base.get_output_embeddings().weight.requires_grad_(True)
    return model


def batch_inputs(c, args, g):
    B, N = args.batch, args.objects
    uni3d = torch.randn(B, N, c["dim_3d"], generator=g)
    clip = torch.randn(B, N, c["dim_2d"], generator=g)
    centers = torch.rand(B, N, 3, generator=g) * ROOM_M
    valid = torch.ones(B, N, dtype=torch.bool)
    return uni3d, clip, centers, valid


def step(encoder, llm, opt, c, args, g, obj_base):
    uni3d, clip, centers, valid = batch_inputs(c, args, g)
    out = encoder(uni3d, clip, centers, valid)
    E = llm.get_input_embeddings().weight
    B, N = args.batch, args.objects
    text_len = args.seq - 4 * N
    seqs, labels = [], []
    for b in range(B):
        order = torch.randperm(N, generator=g).tolist()
        toks = []
        for j in order:
            toks += [E[obj_base + j], out["tok3d"][b, j], out["tokscene"][b, j], out["fused"][b, j]]
        ids = torch.randint(3, obj_base, (text_len,), generator=g)
        seqs.append(torch.cat([torch.stack(toks), E[ids]], 0))
        lab = torch.full((args.seq,), -100, dtype=torch.long)
        lab[-ANSWER_TOKENS:] = ids[-ANSWER_TOKENS:]
        labels.append(lab)
    logits = llm(inputs_embeds=torch.stack(seqs)).logits
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), torch.stack(labels)[:, 1:].reshape(-1),
                           ignore_index=-100)
    opt.zero_grad()
    loss.backward()
    opt.step()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="synth-small")
    ap.add_argument("--llm-layers", type=int, default=0)
    ap.add_argument("--objects", type=int, default=40)
    ap.add_argument("--seq", type=int, required=True, help="tokens per sample, as `inst3d bench train` printed")
    ap.add_argument("--vocab", type=int, default=840, help="tokenizer vocabulary of the small random base")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    d, c = train_defaults(), model_config(args.model)
    g = torch.Generator().manual_seed(0)
    encoder = Inst3D(c).train()
    cfg = llama_config(c, d, args.llm_layers, args.vocab)
    llm = build_llm(cfg, d).train()
    obj_base = cfg.vocab_size - c["identifier_tokens"]
    params = [p for p in list(encoder.parameters()) + list(llm.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=5e-6, weight_decay=0.02)
    t0 = time.time()
    step(encoder, llm, opt, c, args, g, obj_base)
    first = time.time() - t0
    t0 = time.time()
    for _ in range(args.steps):
        step(encoder, llm, opt, c, args, g, obj_base)
    per = (time.time() - t0) / args.steps
    n_llm = sum(p.numel() for n, p in llm.named_parameters() if "lora_" not in n)
    print("| quantity | value |\n|---|---|")
    print(f"| configuration | {c['name']}, LLM {cfg.num_hidden_layers} layers x {cfg.hidden_size} wide "
          f"({n_llm / 1e6:.1f} M parameters), PyTorch {torch.__version__} + peft LoRA |")
    print(f"| trainable parameters | {sum(p.numel() for p in params) / 1e6:.2f} M |")
    print(f"| sequence | {args.seq} tokens ({args.objects} objects) |")
    print(f"| batch | {args.batch} samples, fp32, {torch.get_num_threads()} threads |")
    print(f"| first step | {first:.2f} s |")
    print(f"| step (mean of {args.steps}) | {per:.3f} s |")
    print(f"| samples/s | {args.batch / per:.2f} |")
    print(f"| peak RSS | {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB |")


if __name__ == "__main__":
    main()
