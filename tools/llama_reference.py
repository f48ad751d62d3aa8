#!/usr/bin/env python3
"""Independent reference for models/llm/llama_model: tiny random LLaMA checkpoints in Hugging Face layout
and their golden outputs, computed with PyTorch (Debian's python3-torch 1.13 is enough; no transformers)
following transformers' LlamaForCausalLM eager math: RMSNorm in fp32, rotate_half RoPE, SwiGLU, GQA by
repeat_kv, fp32 softmax, greedy decoding that stops at EOS.

    /usr/bin/python3 tools/llama_reference.py tests/data/llm    # writes tiny-llama-mha/ and tiny-llama-gqa/

Each folder: config.json, model.safetensors (fp32), golden.json (input ids, fp32 logits [T, V], hidden
states [L+1][T, D] as output_hidden_states, greedy ids for 8 new tokens). Regenerate only on purpose:
the C++ tests compare against the committed files.

    /usr/bin/python3 tools/llama_reference.py tests/data/llm --generation   # generation.json only

reads the committed model.safetensors (the weights are not regenerated) and writes generation.json:
beam search, greedy with a repetition penalty, and the logits processors (repetition penalty, top-k,
top-p), following transformers 4.39.3's generate() (Inst3D-LMM's pinned version):

  - processors run on the raw logits for greedy / sampling, but on log_softmax(logits) for beam search
    (beam_search applies logits_processor after log_softmax, so the repetition penalty multiplies
    negative log-probabilities there);
  - RepetitionPenaltyLogitsProcessor: for each token in input_ids, score < 0 -> score * p, else score / p.
    With an inputs_embeds prompt, input_ids start empty, so only generated tokens are penalised;
  - beam search: beam scores start [0, -1e9, ...]; 2 * num_beams candidates by topk over
    (beams x vocab); an EOS candidate ranked below num_beams is dropped, otherwise it closes a
    hypothesis (tokens without EOS) with score sum_logprobs / generated_len ** length_penalty where
    generated_len = new tokens including that EOS (4.39 passes cur_len - decoder_prompt_len); a beam
    still open at max_new_tokens is scored with its own length; early_stopping=False: done when
    num_beams hypotheses exist and the worst of them >= best candidate score / generated_len ** lp;
  - top-k / top-p as TopKLogitsWarper / TopPLogitsWarper (filter value -inf, min_tokens_to_keep).
This is an own re-implementation of those semantics, not transformers' code.
"""
import json
import math
import os
import sys

import torch

from safetensors_io import load_safetensors, save_safetensors


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


# ---- generation (transformers 4.39.3 semantics) -------------------------------------------------

def forward_embeds(cfg, w, x):
    """x [T, D] embeddings -> logits [T, V] (the same math as forward(), from embeddings)."""
    V = w["model.embed_tokens.weight"].shape[0]
    w2 = dict(w)
    # Append the embeddings as extra vocabulary rows and run forward() on their ids: no second copy of
    # the layer math to keep in sync.
    w2["model.embed_tokens.weight"] = torch.cat([w["model.embed_tokens.weight"], x], 0)
    return forward(cfg, w2, torch.arange(V, V + x.shape[0]))[0]


def repetition_penalty(scores, ids, p):
    """scores [B, V], ids [B, L] (L may be 0): RepetitionPenaltyLogitsProcessor."""
    if p == 1.0 or ids.shape[1] == 0:
        return scores
    s = torch.gather(scores, 1, ids)
    s = torch.where(s < 0, s * p, s / p)
    return scores.scatter(1, ids, s)


def top_k_filter(scores, k, min_keep=1):
    k = min(max(k, min_keep), scores.shape[-1])
    kth = torch.topk(scores, k)[0][..., -1, None]
    return scores.masked_fill(scores < kth, float("-inf"))


def top_p_filter(scores, p, min_keep=1):
    sorted_scores, order = torch.sort(scores, descending=False)
    cum = sorted_scores.softmax(dim=-1).cumsum(dim=-1)
    drop = cum <= (1 - p)
    drop[..., -min_keep:] = False
    return scores.masked_fill(drop.scatter(1, order, drop), float("-inf"))


class Prompt:
    """A prompt as ids (penalised, counted in input_ids) or as embeddings (input_ids start empty)."""

    def __init__(self, cfg, w, ids=None, embeds=None):
        self.cfg, self.w, self.ids, self.embeds = cfg, w, ids, embeds

    def logits(self, new):  # last-position logits after the prompt and the new tokens (list)
        emb = self.w["model.embed_tokens.weight"]
        x = emb[self.ids] if self.ids is not None else self.embeds
        if new:
            x = torch.cat([x, emb[torch.tensor(new)]], 0)
        return forward_embeds(self.cfg, self.w, x)[-1]

    def input_ids(self, new):  # what HF keeps in input_ids
        base = self.ids.tolist() if self.ids is not None else []
        return base + list(new)


def greedy(prompt, max_new, rep=1.0, eos=2):
    out = []
    for _ in range(max_new):
        scores = repetition_penalty(prompt.logits(out)[None], torch.tensor([prompt.input_ids(out)]), rep)
        nxt = int(scores[0].argmax())
        if nxt == eos:
            break
        out.append(nxt)
    return out


def beam_search(prompt, num_beams, max_new, rep=1.0, length_penalty=1.0, eos=2):
    beams = [[] for _ in range(num_beams)]           # generated tokens per open beam
    beam_scores = torch.zeros(num_beams)
    beam_scores[1:] = -1e9                             # all beams start identical: expand beam 0 only
    hyps = []                                          # finished: [score, tokens]
    worst = 1e9
    done = False

    def add(tokens, sum_logprobs, gen_len):
        nonlocal worst
        score = sum_logprobs / (gen_len ** length_penalty)
        if len(hyps) < num_beams or score > worst:
            hyps.append([score, tokens])
            if len(hyps) > num_beams:
                ranked = sorted((s, i) for i, (s, _) in enumerate(hyps))
                del hyps[ranked[0][1]]
                worst = ranked[1][0]
            else:
                worst = min(score, worst)

    steps = 0
    while True:
        logits = torch.stack([prompt.logits(b) for b in beams])                      # [nb, V]
        V = logits.shape[1]
        scores = torch.log_softmax(logits, dim=-1)
        ids = torch.tensor([prompt.input_ids(b) for b in beams], dtype=torch.int64).reshape(num_beams, -1)
        scores = repetition_penalty(scores, ids, rep)
        scores = scores + beam_scores[:, None]
        top, idx = torch.topk(scores.view(-1), 2 * num_beams)
        gen_len = len(beams[0]) + 1
        nxt_beams, nxt_scores = [], []
        for rank in range(2 * num_beams):
            b, t, s = int(idx[rank]) // V, int(idx[rank]) % V, top[rank]
            if t == eos:
                if rank < num_beams:
                    add(list(beams[b]), float(s), gen_len)
            else:
                nxt_beams.append(beams[b] + [t])
                nxt_scores.append(s)
            if len(nxt_beams) == num_beams:
                break
        if len(hyps) >= num_beams:
            done = done or worst >= float(top[0]) / (gen_len ** length_penalty)
        beams, beam_scores = nxt_beams, torch.stack(nxt_scores)
        steps += 1
        if done or len(beams[0]) >= max_new:
            break
    if not done:
        for b in range(num_beams):
            add(list(beams[b]), float(beam_scores[b]), len(beams[b]))
    ranked = sorted(hyps, key=lambda h: h[0])
    return {"best_ids": ranked[-1][1], "best_score": ranked[-1][0], "steps": steps,
            "hypotheses": [{"score": h[0], "ids": h[1]} for h in reversed(ranked)]}


def json_scores(t):
    """A score tensor as nested lists, -inf written as null (JSON has no infinity)."""
    return [[None if math.isinf(v) else v for v in row] for row in t.tolist()]


def make_generation(out, name, seed):
    d = os.path.join(out, name)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    w = load_safetensors(os.path.join(d, "model.safetensors"))
    ids = torch.tensor([1, 17, 42, 5, 63, 88, 9], dtype=torch.int64)
    torch.manual_seed(seed)
    # An inputs_embeds prompt: the ids' embeddings with one foreign vector spliced in, as object tokens are.
    embeds = w["model.embed_tokens.weight"][ids].clone()
    embeds[3] = torch.randn(embeds.shape[1]) * 0.5
    by_ids, by_embeds = Prompt(cfg, w, ids=ids), Prompt(cfg, w, embeds=embeds)
    cases = []
    for label, prompt, nb, mx, rep, lp, eos in [
        ("inst3d", by_ids, 5, 16, 3.0, 1.0, 2),
        ("plain", by_ids, 3, 12, 1.0, 1.0, 2),
        ("long-favoured", by_ids, 4, 10, 1.3, 2.0, 2),
        ("embeds", by_embeds, 5, 12, 3.0, 1.0, 2),
    ]:
        r = beam_search(prompt, nb, mx, rep, lp, eos)
        r.update({"name": label, "prompt": "ids" if prompt is by_ids else "embeds", "num_beams": nb,
                  "max_new_tokens": mx, "repetition_penalty": rep, "length_penalty": lp, "eos": eos})
        cases.append(r)
    # A frequent token as EOS, so hypotheses finish early and the early-stopping test is exercised.
    g = greedy(by_ids, 6)
    for label, eos in [("early-eos", g[1]), ("early-eos-2", g[0])]:
        r = beam_search(by_ids, 3, 12, 1.0, 1.0, eos)
        r.update({"name": label, "prompt": "ids", "num_beams": 3, "max_new_tokens": 12,
                  "repetition_penalty": 1.0, "length_penalty": 1.0, "eos": eos})
        cases.append(r)
    greedy_cases = [{"prompt": "ids", "repetition_penalty": 1.5, "max_new_tokens": 10, "ids": greedy(by_ids, 10, 1.5)},
                    {"prompt": "embeds", "repetition_penalty": 1.5, "max_new_tokens": 10,
                     "ids": greedy(by_embeds, 10, 1.5)}]
    # The processors on fixed scores.
    scores = torch.randn(3, 12) * 2
    hist = torch.tensor([[0, 3, 3, 7], [1, 1, 1, 1], [11, 0, 5, 2]])
    filters = {"scores": scores.tolist(), "history": hist.tolist(),
               "repetition_penalty_2": json_scores(repetition_penalty(scores, hist, 2.0)),
               "top_k_3": json_scores(top_k_filter(scores, 3)),
               "top_p": [{"p": p, "min_keep": mk, "out": json_scores(top_p_filter(scores, p, mk))}
                         for p, mk in [(0.3, 1), (0.9, 1), (0.9, 2), (0.5, 2), (1e-6, 1)]]}
    gen = {"command": "/usr/bin/python3 tools/llama_reference.py tests/data/llm --generation",
           "torch": torch.__version__, "transformers_semantics": "4.39.3", "input_ids": ids.tolist(),
           "inputs_embeds": embeds.tolist(), "beam": cases, "greedy": greedy_cases, "filters": filters}
    with open(os.path.join(d, "generation.json"), "w") as f:
        json.dump(gen, f)
    for c in cases:
        print(name, c["name"], "best", c["best_ids"], "%.5f" % c["best_score"], "steps", c["steps"],
              "finished", sum(1 for h in c["hypotheses"] if len(h["ids"]) < c["max_new_tokens"]))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "tests/data/llm"
    if "--generation" not in sys.argv:
        make(out, "tiny-llama-mha", 0, gqa=False)
        make(out, "tiny-llama-gqa", 1, gqa=True)
    make_generation(out, "tiny-llama-mha", 10)
    make_generation(out, "tiny-llama-gqa", 11)
