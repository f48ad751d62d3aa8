#!/usr/bin/env python3
"""Can a LLaMA trained from scratch learn the identifier read-out that grounding needs? (docs/performance.md)

    /opt/inst3d-deps/oracles/bin/python tools/diagnostics/recall_toy.py --objects 24 --steps 2000

Associative recall in the shape of an Inst3D grounding sample, with transformers' LlamaForCausalLM at the
synth-small sizes: a sequence of `objects` pairs (identifier, key) — the identifier token first, as the
released layout puts <OBJ j> before the object's tokens, or after it with --key-first — then a query key, and
the answer is the identifier paired with that key (--queries: several query / answer pairs after the list, each
answer supervised). Identifiers are drawn per sample from `identifiers` (Chat-Scene's
random assignment), keys from `keys`. Prints the answer loss every 250 steps: ln(identifiers) means nothing
learned, ln(objects) that the model only learned which identifiers are present, 0 that it reads out the one
that belongs to the key.
"""
import argparse
import math

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def fused_loss(model, keys, ids, tail, tail_labels, a):
    """`copies` embeddings per object, E(key) + E(id) then E(id) + E(random word), after a fixed prompt; then
    `filler` random words and the query / answer tail as tokens."""
    embed = model.get_input_embeddings()
    B, n = keys.shape
    words = torch.randint(0, 10, (B, n, a.copies - 1))
    parts = [keys[:, :, None], words] if a.copies > 1 else [keys[:, :, None]]
    objects = embed(torch.cat(parts, 2)) + embed(ids)[:, :, None]               # [B, n, copies, D]
    prompt = embed(torch.arange(a.prefix) % 10)[None].expand(B, -1, -1)          # [B, prefix, D]
    filler = embed(torch.randint(0, 10, (B, a.filler)))                          # [B, filler, D]
    inputs = torch.cat([prompt, objects.reshape(B, n * a.copies, -1), filler, embed(tail)], 1)
    ignore = torch.full((B, a.prefix + n * a.copies + a.filler), -100)
    return model(inputs_embeds=inputs, labels=torch.cat([ignore, tail_labels], 1)).loss


def query_tail(pairs, keys, ids, a):
    """The object list followed by `queries` questions, each [sentence with the key] [template] [key if
    --name-first] [identifier]; the identifiers are supervised, and with shared keys every object bearing the
    queried key is a right answer (the label is one of them, the floor the mean ln of their count)."""
    B, n = keys.shape
    rows = torch.arange(B)
    parts, answer_cols, width, floor = [pairs], [], pairs.shape[1], 0.0
    template = (torch.arange(a.template) % 10)[None].expand(B, -1)
    gap = torch.full((B, a.gap), 10 - 1)  # fixed tokens between the name and the identifier (SentencePiece's lone "▁")
    for _ in range(a.queries):
        t = torch.randint(0, n, (B,))
        key = keys[rows, t][:, None]
        if a.sentence:
            sentence = torch.randint(0, 10, (B, a.sentence))
            sentence[rows, torch.randint(0, a.sentence, (B,))] = key[:, 0]
            parts.append(sentence)
        else:
            parts.append(key)
        parts.append(template)
        if a.name_first:
            parts.append(key)
        parts.append(gap)
        parts.append(ids[rows, t][:, None])
        width = sum(p.shape[1] for p in parts)
        answer_cols.append(width - 1)
        floor += (keys == key).sum(1).float().log().mean().item() / a.queries
    inp = torch.cat(parts, 1)
    labels = torch.full(inp.shape, -100)
    labels[:, answer_cols] = inp[:, answer_cols]
    return inp, labels, floor


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=24)
    ap.add_argument("--identifiers", type=int, default=40)
    ap.add_argument("--keys", type=int, default=50)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=96)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--key-first", action="store_true")
    ap.add_argument("--fused", action="store_true", help="one token per object: E(key) + E(identifier), as fuse_with_id")
    ap.add_argument("--queries", type=int, default=1, help="queries per sequence, each answer supervised")
    ap.add_argument("--prefix", type=int, default=0, help="--fused: a fixed prompt of this many tokens first")
    ap.add_argument("--copies", type=int, default=1, help="--fused: tokens per object, each with the identifier")
    ap.add_argument("--filler", type=int, default=0, help="--fused: random tokens between the objects and the query")
    ap.add_argument("--sentence", type=int, default=0,
                    help="each query key sits at a random place in a sentence of this many random words, as a "
                         "referring expression's category word does")
    ap.add_argument("--template", type=int, default=0,
                    help="this many fixed words between each query (or sentence) and its answer, as the prompt template's")
    ap.add_argument("--name-first", action="store_true",
                    help="the answer repeats the key before the identifier (data.grounding_answer=name_id); "
                         "only the identifier is supervised")
    ap.add_argument("--gap", type=int, default=0,
                    help="fixed tokens right before the identifier (after the --name-first key), as the lone '▁' piece "
                         "SentencePiece writes between 'desk' and '<OBJ013>'")
    ap.add_argument("--categories", type=int, default=0,
                    help="keys of a sequence drawn with replacement from this many (shared keys, as labels); "
                         "0: distinct keys")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", choices=["hf", "fan-in"], default="hf",
                    help="hf: every matrix N(0, 0.02); fan-in: linears uniform with std 1/sqrt(fan_in) (inst3d's random LLaMA)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    key0, id0 = 10, 10 + a.keys   # tokens 0-9: filler and template words
    cfg = LlamaConfig(vocab_size=id0 + a.identifiers, hidden_size=a.hidden, intermediate_size=256,
                      num_hidden_layers=a.layers, num_attention_heads=4, max_position_embeddings=1024)
    model = LlamaForCausalLM(cfg)
    if a.init == "fan-in":
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.Linear):
                    bound = math.sqrt(3.0 / m.weight.shape[1])
                    m.weight.uniform_(-bound, bound)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr)
    B, n = a.batch, a.objects
    print(f"chance ln({a.identifiers}) = {math.log(a.identifiers):.3f}, presence only ln({n}) = {math.log(n):.3f}")
    if a.categories:
        print(f"shared keys: the best possible loss is E[ln(objects sharing the query's key)], printed as 'floor'")
    for step in range(a.steps + 1):
        ids = torch.stack([torch.randperm(a.identifiers)[:n] for _ in range(B)]) + id0
        if a.categories:
            keys = torch.randint(0, a.categories, (B, n)) + key0
        else:
            keys = torch.stack([torch.randperm(a.keys)[:n] for _ in range(B)]) + key0
        pairs = torch.stack([keys, ids] if a.key_first else [ids, keys], 2).reshape(B, -1)
        inp, labels, floor = query_tail(pairs, keys, ids, a)
        if a.categories and step % 250 == 0:
            print("floor", round(floor, 3))
        if a.fused:
            loss = fused_loss(model, keys, ids, inp[:, pairs.shape[1]:], labels[:, pairs.shape[1]:], a)
        else:
            loss = model(input_ids=inp, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 250 == 0:
            print(step, round(loss.item(), 3), flush=True)


if __name__ == "__main__":
    main()
