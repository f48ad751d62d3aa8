#!/usr/bin/env python3
"""Golden fixtures from Hugging Face transformers and peft themselves, for the C++ tests to compare against.

Run in the oracle environment (tools/oracles/setup.sh: transformers 4.39.3, peft 0.9.0 over Debian's
torch 1.13; CPU only):

    /opt/inst3d-deps/oracles/bin/python tools/oracles/make_hf_goldens.py --out tests/data/hf
    # after tests/models/test_lora_training.cpp wrote the adapter inst3d trained (see below):
    /opt/inst3d-deps/oracles/bin/python tools/oracles/make_hf_goldens.py --out tests/data/hf --peft-check

and commit tests/data/hf/. The C++ tests read these folders (tests/models/test_llama.cpp hf*, test_generation.cpp
hfBeamSearch*, test_clip.cpp hfClipMatchesTransformers, test_lora.cpp peftAdapterMatchesPeft,
test_lora_training.cpp adapterTrainedHereMatchesPeft) and fail while they are absent.

Everything is computed in fp32 with eager attention and TF32 off. Weights are transformers' own modules
re-drawn from the seed with unit-scale values (the default initializer_range 0.02 would make every logit
nearly equal and greedy ids a coin toss); seeds are tried upwards from --seed until every greedy step has a
top-1 / top-2 margin of at least 1e-3 and the beam search's returned hypotheses are separated by at least
1e-4 in score, so the fixtures cannot flip on float rounding. The seed used is recorded in each golden.json.

Writes:
  OUT/llama-mha/, OUT/llama-gqa/   save_pretrained(safe_serialization=True): config.json + model.safetensors,
                                   and golden.json: input_ids, logits [T, V], hidden_states [L + 1][T, D]
                                   (output_hidden_states), greedy_new_ids (generate(do_sample=False,
                                   max_new_tokens=16), EOS and after removed), inputs_embeds [T, D] (the ids'
                                   embeddings with position 3 replaced, as an object token is spliced in),
                                   beam: generate(num_beams=5, repetition_penalty=3.0, length_penalty=1.0,
                                   num_return_sequences=5) from ids and from inputs_embeds: best ids / score,
                                   every returned hypothesis (ids without EOS, sequences_scores), steps
  OUT/llama-mha-peft/              peft 0.9: get_peft_model(LoraConfig(r=4, lora_alpha=8, q/v/o/up/down)) on
                                   llama-mha, lora_B drawn non-zero (as after training), save_pretrained;
                                   golden.json: input ids and the PeftModel's logits
  OUT/clip-vision/                 CLIPVisionModelWithProjection.save_pretrained + CLIPImageProcessor (slow,
                                   PIL) save_pretrained; golden.safetensors: pixel_values [N, 3, 56, 56] from
                                   the processor, image_embeds [N, P], last_hidden_state [N, 17, D];
                                   golden.json: versions, seed, the source image sizes
  --peft-check: OUT/llama-mha-inst3d-lora/peft.json, the logits peft computes for the adapter that inst3d's
                own trainer wrote there (PeftModel.from_pretrained on llama-mha): inst3d's adapter read by peft

The source images are tools/clip_reference.py's source_image(w, h), which tests/models/test_clip.cpp's
sourceImage(w, h) rebuilds.
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tools/
from clip_reference import source_image  # noqa: E402  the formula tests/models/test_clip.cpp rebuilds

LLAMA_INPUT = [1, 17, 42, 5, 63, 88, 9]
GREEDY_TOKENS = 16  # the "greedy ids agree for the first 16 tokens"
BEAMS, REPETITION_PENALTY, BEAM_TOKENS = 5, 3.0, 12  # Inst3D-LMM's evaluation beam search (brief §1.9)
MIN_BEAM_GAP = 1e-4   # returned hypotheses this far apart in score cannot swap on rounding
SPLICE_AT = 3         # the position whose embedding inputs_embeds replaces
PEFT_INPUT = [1, 17, 42, 5, 63, 88, 9, 30]
PEFT_TARGETS = ["down_proj", "o_proj", "q_proj", "up_proj", "v_proj"]
IMAGE_SIZES = [(97, 61), (40, 70), (56, 56)]  # (width, height)


def no_tf32():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def redraw(model, seed, head_gain=1.0):
    """Unit-scale random weights: matrices and convolutions N(0, 1/fan_in), norm weights 1 + N(0, 0.01),
    biases and other vectors N(0, 0.01), token / position tables N(0, 0.25); lm_head times head_gain."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if p.dim() == 1:
                base = 1.0 if name.endswith(".weight") else 0.0
                p.copy_(base + 0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name or "position_embedding" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                gain = head_gain if name.startswith("lm_head") else 1.0
                p.copy_(gain * torch.randn(p.shape, generator=g) / math.sqrt(fan_in))


def eager(config):
    """Eager attention, under the attribute names of transformers 4.36+ and 5.x."""
    for attr in ("_attn_implementation", "attn_implementation"):
        try:
            setattr(config, attr, "eager")
        except Exception:
            pass
    return config


def save_model(model, folder):
    os.makedirs(folder, exist_ok=True)
    try:
        model.save_pretrained(folder, safe_serialization=True)
    except TypeError:  # releases where safetensors is the only format
        model.save_pretrained(folder)
    assert os.path.exists(os.path.join(folder, "model.safetensors")), folder


def versions(seed):
    import transformers
    import peft
    return {"command": "tools/oracles/make_hf_goldens.py", "transformers": transformers.__version__,
            "peft": peft.__version__, "torch": torch.__version__, "seed": seed}


# ---- LLaMA -------------------------------------------------------------------------------------------

def llama_config(gqa):
    from transformers import LlamaConfig
    theta = 500000.0 if gqa else 10000.0
    cfg = LlamaConfig(vocab_size=96, hidden_size=32, intermediate_size=88, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2 if gqa else 4, max_position_embeddings=64,
                      rms_norm_eps=1e-5, hidden_act="silu", tie_word_embeddings=False, bos_token_id=1,
                      eos_token_id=2, pad_token_id=0, rope_theta=theta)
    rope = getattr(cfg, "rope_parameters", None)  # transformers 5.x keeps theta here
    if isinstance(rope, dict):
        rope["rope_theta"] = theta
    return eager(cfg)


def greedy_margins(model, ids, new_ids):
    """Top-1 minus top-2 logit at every position that chose a greedy token."""
    seq = torch.tensor([ids + new_ids])
    logits = model(input_ids=seq).logits[0]                                   # [T, V]
    top2 = logits[len(ids) - 1:].topk(2, dim=-1).values                        # [n + 1, 2]
    return (top2[:, 0] - top2[:, 1]).tolist()


def new_tokens(seq, eos=2):
    """A returned sequence's new tokens up to (without) the first EOS: what inst3d's Hypothesis holds."""
    seq = seq.tolist()
    return seq[:seq.index(eos)] if eos in seq else seq


def beam_search(model, prompt):
    """Inst3D's deterministic beam search from ids or from inputs_embeds; every returned hypothesis."""
    kwargs = dict(max_new_tokens=BEAM_TOKENS, num_beams=BEAMS, num_return_sequences=BEAMS, do_sample=False,
                  repetition_penalty=REPETITION_PENALTY, length_penalty=1.0, eos_token_id=2, pad_token_id=0,
                  output_scores=True, return_dict_in_generate=True)
    if prompt.dtype == torch.long:
        out = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), **kwargs)
        seqs = out.sequences[:, prompt.shape[1]:]
    else:  # inputs_embeds: transformers returns only the new tokens
        out = model.generate(inputs_embeds=prompt, attention_mask=torch.ones(prompt.shape[:2], dtype=torch.long),
                             **kwargs)
        seqs = out.sequences
    hyps = [{"ids": new_tokens(q), "score": float(sc)} for q, sc in zip(seqs, out.sequences_scores)]
    gaps = [a["score"] - b["score"] for a, b in zip(hyps, hyps[1:])]
    return {"best_ids": hyps[0]["ids"], "best_score": hyps[0]["score"], "hypotheses": hyps, "steps": len(out.scores),
            "num_beams": BEAMS, "max_new_tokens": BEAM_TOKENS, "repetition_penalty": REPETITION_PENALTY,
            "length_penalty": 1.0, "eos": 2}, min(gaps) if gaps else 1.0


def spliced_embeds(model, ids, seed):
    """The ids' embeddings with one position replaced by a foreign vector (an object token)."""
    g = torch.Generator().manual_seed(seed + 1000)
    e = model.get_input_embeddings()(ids).clone()                                    # [1, T, D]
    e[0, SPLICE_AT] = 0.5 * torch.randn(e.shape[-1], generator=g)
    return e


def make_llama(out, name, gqa, seed):
    from transformers import LlamaForCausalLM
    torch.manual_seed(seed)
    model = LlamaForCausalLM(llama_config(gqa)).eval()
    redraw(model, seed, head_gain=4.0)
    ids = torch.tensor([LLAMA_INPUT])
    with torch.no_grad():
        out_ = model(input_ids=ids, output_hidden_states=True)
        seq = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=GREEDY_TOKENS,
                             do_sample=False, num_beams=1, eos_token_id=2, pad_token_id=0)
        new = new_tokens(seq[0, ids.shape[1]:])
        margin = min(greedy_margins(model, LLAMA_INPUT, new))
        embeds = spliced_embeds(model, ids, seed)
        beams = []
        for label, prompt in (("ids", ids), ("embeds", embeds)):
            b, gap = beam_search(model, prompt)
            beams.append(dict(b, name=f"beam5-rp3-{label}", prompt=label))
            margin = min(margin, gap / MIN_BEAM_GAP * 1e-3)  # one threshold for both criteria
    if margin < 1e-3:
        return None, margin
    folder = os.path.join(out, name)
    save_model(model, folder)
    golden = dict(versions(seed), input_ids=LLAMA_INPUT, logits=out_.logits[0].tolist(),
                  hidden_states=[h[0].tolist() for h in out_.hidden_states], greedy_new_ids=new,
                  max_new_tokens=GREEDY_TOKENS, min_greedy_margin=margin, inputs_embeds=embeds[0].tolist(),
                  beam=beams)
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(golden, f)
    return folder, margin


# ---- PEFT --------------------------------------------------------------------------------------------

def make_peft(out, seed):
    """A LoRA adapter made and saved by peft itself, with the PeftModel's logits."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM
    base = LlamaForCausalLM.from_pretrained(os.path.join(out, "llama-mha")).eval()
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.1, target_modules=PEFT_TARGETS, bias="none",
                     task_type="CAUSAL_LM")
    model = get_peft_model(base, cfg).eval()
    g = torch.Generator().manual_seed(seed + 7)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "lora_B" in name:  # peft starts B at zero; a trained adapter has it non-zero
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
        logits = model(input_ids=torch.tensor([PEFT_INPUT])).logits[0]
    folder = os.path.join(out, "llama-mha-peft")
    model.save_pretrained(folder, safe_serialization=True)
    os.remove(os.path.join(folder, "README.md"))  # peft's model card template: nothing a test reads
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(dict(versions(seed), input_ids=PEFT_INPUT, logits=logits.tolist()), f)
    return folder


def peft_check(out):
    """peft reads the adapter inst3d trained and saved; its logits for inst3d's test to compare."""
    from peft import PeftModel
    from transformers import LlamaForCausalLM
    folder = os.path.join(out, "llama-mha-inst3d-lora")
    written = json.load(open(os.path.join(folder, "inst3d.json")))
    base = LlamaForCausalLM.from_pretrained(os.path.join(out, "llama-mha")).eval()
    model = PeftModel.from_pretrained(base, folder).eval()
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([written["input_ids"]])).logits[0]
    diff = (logits - torch.tensor(written["logits"])).abs().max().item()
    with open(os.path.join(folder, "peft.json"), "w") as f:
        json.dump(dict(versions(0), input_ids=written["input_ids"], logits=logits.tolist(),
                       max_abs_diff_to_inst3d=diff), f)
    return folder, diff


# ---- CLIP vision -------------------------------------------------------------------------------------

def make_clip(out, seed):
    from PIL import Image
    from safetensors.torch import save_file
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection
    torch.manual_seed(seed)
    cfg = eager(CLIPVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                                 image_size=56, patch_size=14, num_channels=3, projection_dim=32,
                                 hidden_act="quick_gelu", layer_norm_eps=1e-5))
    model = CLIPVisionModelWithProjection(cfg).eval()
    redraw(model, seed)
    # The slow processor (PIL), the one Inst3D's CLIPProcessor ran; OpenAI's mean / std.
    processor = CLIPImageProcessor(size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56})
    images = [Image.fromarray(source_image(w, h)) for w, h in IMAGE_SIZES]
    pixels = processor(images=images, return_tensors="pt")["pixel_values"].float()   # [N, 3, 56, 56]
    with torch.no_grad():
        o = model(pixel_values=pixels)
    folder = os.path.join(out, "clip-vision")
    save_model(model, folder)
    processor.save_pretrained(folder)
    save_file({"pixel_values": pixels.contiguous(), "image_embeds": o.image_embeds.contiguous(),
               "last_hidden_state": o.last_hidden_state.contiguous()}, os.path.join(folder, "golden.safetensors"))
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(dict(versions(seed), images=[{"width": w, "height": h} for w, h in IMAGE_SIZES]), f, indent=1)
    return folder


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/data/hf")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--peft-check", action="store_true",
                    help="only compute peft's logits for OUT/llama-mha-inst3d-lora (written by inst3d's test)")
    args = ap.parse_args()
    no_tf32()
    torch.set_grad_enabled(False)
    if args.peft_check:
        folder, diff = peft_check(args.out)
        print(f"{folder}: peft's logits differ from inst3d's by at most {diff:.3g}")
        return
    for name, gqa in (("llama-mha", False), ("llama-gqa", True)):
        for seed in range(args.seed, args.seed + 50):
            folder, margin = make_llama(args.out, name, gqa, seed)
            if folder:
                print(f"{folder}: seed {seed}, smallest greedy margin {margin:.3g}")
                break
            print(f"{name}: seed {seed} has a greedy margin of {margin:.3g}, trying the next", file=sys.stderr)
        else:
            sys.exit(f"{name}: no seed in 50 gave clear greedy margins")
    print(make_peft(args.out, args.seed))
    print(make_clip(args.out, args.seed))


if __name__ == "__main__":
    main()
