#!/usr/bin/env python3
"""`inst3d bench llm` beside transformers' generate() on the same random 7B-shaped bf16 weights (issue 7).

    python3 tools/gpu/bench_transformers.py --inst3d build-gpu/inst3d [--weights /tmp/rand7b]
                                            [--prompt-tokens 600] [--new-tokens 128] [--seed 0]

1. Writes a random LLaMA-2-7B-shaped checkpoint with transformers (save_pretrained, bf16) to --weights
   unless one is there. Weights are unit-scale (matrices N(0, 1/fan_in), lm_head x4) rather than the
   0.02 initializer, so the top-1 token is well separated and agreement measures the arithmetic, not
   ties between near-equal logits.
2. Runs `inst3d bench llm --model W --dtype bf16 --device cuda --prompt-ids P --ids-out O` and reads its
   time to first token and decode rate; nvidia-smi is polled for the process's peak GPU memory.
3. Runs transformers (eager attention, bf16, KV cache) greedily on the same prompt: time to first token
   (a forward of the prompt plus the argmax read back), decode rate from generate(max_new_tokens=N)
   minus generate(max_new_tokens=1), peak torch.cuda memory.
4. Agreement: transformers' greedy ids against ours for the first 16 tokens, and top-1 agreement per
   position with teacher forcing (transformers' argmax after each prefix of *our* sequence).

Prints one markdown table with the ratios; copy it into docs/performance.md with this command line.
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

import torch


def log(msg):
    print(f"[bench_transformers] {msg}", file=sys.stderr, flush=True)


def make_weights(folder, seed):
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096,
                      rms_norm_eps=1e-5, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(seed)
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                p.fill_(1.0)
            elif "embed_tokens" in name:
                p.normal_(0, 0.5)
            else:
                p.normal_(0, 1 / p.shape[1] ** 0.5)
                if name.startswith("lm_head"):
                    p.mul_(4)
    model.save_pretrained(folder)
    del model
    torch.cuda.empty_cache()


class GpuMemoryPoll(threading.Thread):
    """Peak `nvidia-smi` memory.used (MiB) while running."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.stop = 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=5).stdout
                self.peak = max(self.peak, int(out.split()[0]))
            except Exception:
                pass
            time.sleep(0.05)


def run_inst3d(binary, weights, prompt_file, ids_file, new_tokens):
    cmd = [binary, "bench", "llm", "--model", weights, "--dtype", "bf16", "--device", "cuda",
           "--prompt-ids", prompt_file, "--new-tokens", str(new_tokens), "--ids-out", ids_file]
    log(" ".join(cmd))
    poll = GpuMemoryPoll()
    poll.start()
    out = subprocess.run(cmd, capture_output=True, text=True)
    poll.stop.set()
    poll.join()
    if out.returncode != 0:
        sys.exit(f"inst3d failed ({out.returncode}):\n{out.stderr}")
    print(out.stdout, file=sys.stderr)
    ttft = float(re.search(r"\| time to first token \| ([0-9.]+) s", out.stdout).group(1))
    rate = float(re.search(r"\| decode \| ([0-9.e+]+) tokens/s", out.stdout).group(1))
    with open(ids_file) as f:
        lines = f.read().split("\n")
    return {"ttft_s": ttft, "decode_tok_s": rate, "peak_gib": poll.peak / 1024,
            "new_ids": [int(t) for t in lines[1].split()]}


def timed(fn):
    torch.cuda.synchronize()
    t = time.perf_counter()
    r = fn()
    torch.cuda.synchronize()
    return r, time.perf_counter() - t


def run_transformers(weights, prompt, new_tokens):
    from transformers import LlamaForCausalLM
    model = LlamaForCausalLM.from_pretrained(weights, torch_dtype=torch.bfloat16, attn_implementation="eager").cuda().eval()
    ids = torch.tensor([prompt], device="cuda")
    mask = torch.ones_like(ids)

    def generate(n):
        return model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                              do_sample=False, num_beams=1, pad_token_id=0)

    torch.cuda.reset_peak_memory_stats()
    with torch.no_grad():
        generate(4)  # warm-up: kernels, allocator
        _, ttft = timed(lambda: int(model(input_ids=ids).logits[0, -1].argmax()))
        _, one = timed(lambda: generate(1))
        seq, full = timed(lambda: generate(new_tokens))
    rate = (new_tokens - 1) / (full - one)
    return model, {"ttft_s": ttft, "decode_tok_s": rate, "peak_gib": torch.cuda.max_memory_allocated() / 2**30,
                   "new_ids": seq[0, len(prompt):].tolist()}


def teacher_forced_agreement(model, prompt, ours):
    """Share of positions where transformers' argmax after prompt + ours[:i] equals ours[i]."""
    seq = torch.tensor([prompt + ours[:-1]], device="cuda")
    with torch.no_grad():
        pred = model(input_ids=seq).logits[0, len(prompt) - 1:].argmax(-1).tolist()
    return sum(int(a == b) for a, b in zip(pred, ours)) / len(ours)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inst3d", required=True, help="the inst3d binary built by tools/gpu/build.sh")
    ap.add_argument("--weights", default="/tmp/rand7b")
    ap.add_argument("--prompt-tokens", type=int, default=600)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    if not os.path.exists(os.path.join(args.weights, "config.json")):
        log(f"writing random 7B-shaped bf16 weights to {args.weights}")
        make_weights(args.weights, args.seed)
    g = torch.Generator().manual_seed(args.seed)
    prompt = [1] + torch.randint(3, 32000, (args.prompt_tokens - 1,), generator=g).tolist()
    prompt_file, ids_file = os.path.join(args.weights, "prompt.txt"), os.path.join(args.weights, "inst3d_ids.txt")
    with open(prompt_file, "w") as f:
        f.write(" ".join(map(str, prompt)) + "\n")

    ours = run_inst3d(args.inst3d, args.weights, prompt_file, ids_file, args.new_tokens)
    model, hf = run_transformers(args.weights, prompt, args.new_tokens)
    first16 = sum(int(a == b) for a, b in zip(ours["new_ids"][:16], hf["new_ids"][:16]))
    top1 = teacher_forced_agreement(model, prompt, ours["new_ids"])

    print(f"random 7B-shaped LLaMA, bf16, {torch.cuda.get_device_name()}, {args.prompt_tokens} prompt tokens, "
          f"{args.new_tokens} new tokens, greedy\n")
    print("| measure | inst3d | transformers (eager) | ratio |\n|---|---|---|---|")
    print(f"| time to first token | {ours['ttft_s'] * 1e3:.1f} ms | {hf['ttft_s'] * 1e3:.1f} ms | "
          f"{hf['ttft_s'] / ours['ttft_s']:.2f}x faster |")
    print(f"| decode | {ours['decode_tok_s']:.1f} tokens/s | {hf['decode_tok_s']:.1f} tokens/s | "
          f"{ours['decode_tok_s'] / hf['decode_tok_s']:.2f}x |")
    print(f"| peak GPU memory | {ours['peak_gib']:.1f} GiB (nvidia-smi, whole process) | "
          f"{hf['peak_gib']:.1f} GiB (torch allocator) | |")
    print(f"| greedy ids equal, first 16 | {first16}/16 | | |")
    print(f"| top-1 agreement per position (teacher-forced on inst3d's ids) | {100 * top1:.1f}% | | |")


if __name__ == "__main__":
    main()
