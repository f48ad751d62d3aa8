#!/usr/bin/env python3
"""Independent reference for models/vision/clip_{vision,preprocess}: a tiny random CLIP vision tower in
Hugging Face's CLIPVisionModelWithProjection layout, and golden preprocessed pixels and image features.
Plain PyTorch + numpy + PIL (Debian's python3-torch 1.13 and python3-pil are enough; transformers is
not used, so these goldens check our reading of it, not transformers itself).

    /usr/bin/python3 tools/clip_reference.py tests/data/clip

Preprocessing re-implements CLIPImageProcessor (transformers 4.39 slow path, what Inst3D's CLIPProcessor
runs): shortest edge to `size` with new_long = int(size * long / short); the resize itself is **real PIL**
`Image.resize((w, h), BICUBIC, reducing_gap=None)` on the uint8 RGB image (transformers hands uint8
arrays to PIL and back), so the C++ resize is checked against PIL's fixed-point code; center crop with
top = (h - crop_h) // 2 (floor), zero padding when the crop is larger (transformers' center_crop);
rescale = float64(x) * rescale_factor cast to float32; normalize = (x - float32(mean)) / float32(std)
in float32; channels first.

Model (transformers' CLIPVisionTransformer + visual_projection, fp32, our own code): conv patch embedding
(no bias) -> [CLS; patches] + position embedding -> pre_layrnorm -> pre-LN blocks (q scaled by hd^-0.5,
softmax, out_proj; fc1 -> quick_gelu -> fc2) -> post_layernorm(h[:, 0]) -> visual_projection.

Writes OUT/tiny-clip-vision/{config.json, preprocessor_config.json, model.safetensors} and
OUT/golden.{json,safetensors}. The test images are integer formulas (source_image below), rebuilt by
the C++ test; golden.json keeps their SHA-256 so a drifting generator is caught first, the SHA-256 of
PIL's resized uint8 images and 336-pixel float tensors, and a sweep of 45 PIL resizes between odd sizes. Regenerate only on
purpose: the C++ tests compare against the committed files.
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image

from safetensors_io import save_safetensors

OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]

# (name, width, height): up- and down-scaling, non-square, the identity case for the tiny size (56),
# and thin crops (a 1-pixel-high crop, which transformers itself would misread as channels-first).
IMAGES = [("checker", 97, 61), ("noise", 701, 449), ("tall", 45, 130), ("exact", 56, 71),
          ("thin", 3, 17), ("line", 17, 1)]


def source_image(w, h):
    """[h, w, 3] uint8: by thirds of the width, a wrapping gradient, a hard 0/255 checker (bicubic
    overshoot, so PIL's clipping is exercised) and 32-bit hash noise."""
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    x, y, c = x.astype(np.int64), y.astype(np.int64), c.astype(np.int64)
    region = (3 * x) // w
    grad = (x * 255 // max(w - 1, 1) + y * 3 + c * 40) % 256
    checker = np.where((x // 5 + y // 5 + c) % 2 == 1, 255, 0)
    noise = ((((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) & 0xFFFFFFFF) >> 8) & 255
    return np.where(region == 0, grad, np.where(region == 1, checker, noise)).astype(np.uint8)


def sha256(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def resized_size(h, w, shortest):
    """transformers get_resize_output_image_size(default_to_square=False): (height, width)."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = shortest, int(shortest * long / short)
    return (new_long, new_short) if w <= h else (new_short, new_long)


def center_crop(img, ch, cw):
    """transformers center_crop on [h, w, 3]: floor offsets, zero padding when the crop is larger."""
    h, w = img.shape[:2]
    top, left = (h - ch) // 2, (w - cw) // 2
    if top >= 0 and left >= 0 and top + ch <= h and left + cw <= w:
        return img[top:top + ch, left:left + cw]
    nh, nw = max(ch, h), max(cw, w)
    out = np.zeros((nh, nw) + img.shape[2:], dtype=img.dtype)
    tp, lp = math.ceil((nh - h) / 2), math.ceil((nw - w) / 2)
    out[tp:tp + h, lp:lp + w] = img
    top, left = top + tp, left + lp
    return out[max(0, top):min(nh, top + ch), max(0, left):min(nw, left + cw)]


def preprocess(img, pp):
    """uint8 [h, w, 3] -> (resized uint8 [h', w', 3], float32 [3, ch, cw])."""
    h, w = img.shape[:2]
    nh, nw = resized_size(h, w, pp["size"]["shortest_edge"])
    resized = np.asarray(Image.fromarray(img, "RGB").resize((nw, nh), resample=Image.BICUBIC, reducing_gap=None))
    x = center_crop(resized, pp["crop_size"]["height"], pp["crop_size"]["width"])
    x = (x.astype(np.float64) * pp["rescale_factor"]).astype(np.float32)
    x = (x - np.array(pp["image_mean"], dtype=np.float32)) / np.array(pp["image_std"], dtype=np.float32)
    return resized, np.ascontiguousarray(x.transpose(2, 0, 1))


def preprocessor_config(shortest, crop_h, crop_w):
    return {"crop_size": {"height": crop_h, "width": crop_w}, "do_center_crop": True, "do_convert_rgb": True,
            "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": OPENAI_MEAN,
            "image_processor_type": "CLIPImageProcessor", "image_std": OPENAI_STD, "resample": 3,
            "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": shortest}}


def layer_norm(x, w, p, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w[p + ".weight"], w[p + ".bias"], eps)


def linear(x, w, p):
    return x @ w[p + ".weight"].T + w[p + ".bias"]


def forward(cfg, w, pixels):
    """pixels [B, 3, S, S] -> (image_embeds [B, P], last_hidden_state [B, T, D])."""
    D, H, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    hd, B = D // H, pixels.shape[0]
    patches = torch.nn.functional.conv2d(pixels, w["vision_model.embeddings.patch_embedding.weight"],
                                         stride=cfg["patch_size"])                 # [B, D, g, g]
    patches = patches.flatten(2).transpose(1, 2)                                    # [B, g*g, D]
    cls = w["vision_model.embeddings.class_embedding"].expand(B, 1, D)
    x = torch.cat([cls, patches], 1) + w["vision_model.embeddings.position_embedding.weight"]  # [B, T, D]
    x = layer_norm(x, w, "vision_model.pre_layrnorm", eps)
    T = x.shape[1]
    for i in range(cfg["num_hidden_layers"]):
        p = f"vision_model.encoder.layers.{i}."
        h = layer_norm(x, w, p + "layer_norm1", eps)
        q = linear(h, w, p + "self_attn.q_proj") * hd ** -0.5
        k = linear(h, w, p + "self_attn.k_proj")
        v = linear(h, w, p + "self_attn.v_proj")
        q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))      # [B, H, T, hd]
        a = torch.softmax(q @ k.transpose(2, 3), -1) @ v
        x = x + linear(a.transpose(1, 2).reshape(B, T, D), w, p + "self_attn.out_proj")
        h = linear(layer_norm(x, w, p + "layer_norm2", eps), w, p + "mlp.fc1")
        x = x + linear(h * torch.sigmoid(1.702 * h), w, p + "mlp.fc2")             # quick_gelu
    pooled = layer_norm(x[:, 0], w, "vision_model.post_layernorm", eps)             # [B, D]
    return pooled @ w["visual_projection.weight"].T, x


def make_model(d):
    torch.manual_seed(1234)
    cfg = {"architectures": ["CLIPVisionModelWithProjection"], "model_type": "clip_vision_model",
           "image_size": 56, "patch_size": 14, "num_channels": 3, "hidden_size": 64, "intermediate_size": 128,
           "num_hidden_layers": 2, "num_attention_heads": 4, "projection_dim": 32, "hidden_act": "quick_gelu",
           "layer_norm_eps": 1e-5, "torch_dtype": "float32"}
    D, F, P, ps = 64, 128, 32, 14
    T = (56 // ps) ** 2 + 1

    def ln(p):
        w[p + ".weight"], w[p + ".bias"] = 1 + 0.1 * torch.randn(D), 0.1 * torch.randn(D)

    def lin(p, o, i, bias=True):
        w[p + ".weight"] = torch.randn(o, i) / math.sqrt(i)
        if bias:
            w[p + ".bias"] = 0.1 * torch.randn(o)

    w = {"vision_model.embeddings.class_embedding": torch.randn(D),
         "vision_model.embeddings.patch_embedding.weight": torch.randn(D, 3, ps, ps) / math.sqrt(3 * ps * ps),
         "vision_model.embeddings.position_embedding.weight": 0.5 * torch.randn(T, D)}
    ln("vision_model.pre_layrnorm")
    for i in range(cfg["num_hidden_layers"]):
        p = f"vision_model.encoder.layers.{i}."
        for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
            lin(p + "self_attn." + n, D, D)
        ln(p + "layer_norm1")
        ln(p + "layer_norm2")
        lin(p + "mlp.fc1", F, D)
        lin(p + "mlp.fc2", D, F)
    ln("vision_model.post_layernorm")
    lin("visual_projection", P, D, bias=False)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor_config(56, 56, 56), f, indent=2)
    tensors = dict(w)
    tensors["vision_model.embeddings.position_ids"] = torch.arange(T)[None]  # legacy buffer: ignored
    save_safetensors(os.path.join(d, "model.safetensors"), tensors)
    return cfg, w


def main(out):
    cfg, w = make_model(os.path.join(out, "tiny-clip-vision"))
    tiny = preprocessor_config(56, 56, 56)
    vitl = preprocessor_config(336, 336, 336)
    padded = preprocessor_config(40, 56, 60)  # crop larger than the resized image: zero padding
    meta, pix_tiny, pix_336 = {"images": []}, [], []
    for name, wd, ht in IMAGES:
        img = source_image(wd, ht)
        r56, p56 = preprocess(img, tiny)
        r336, p336 = preprocess(img, vitl)
        meta["images"].append({"name": name, "width": wd, "height": ht, "source_sha256": sha256(img),
                               "resized56": [r56.shape[1], r56.shape[0]], "resized56_sha256": sha256(r56),
                               "resized336": [r336.shape[1], r336.shape[0]], "resized336_sha256": sha256(r336),
                               "pixels336_sha256": sha256(p336)})
        pix_tiny.append(torch.from_numpy(p56))
        pix_336.append(torch.from_numpy(p336[:, ::12, ::12].copy()))
    _, pad = preprocess(source_image(97, 61), padded)
    meta["padded"] = {"image": "checker", "preprocessor": padded}
    # PIL resizes between arbitrary sizes (extreme ratios both ways): [w, h, new_w, new_h, sha256].
    rng = np.random.RandomState(7)
    sizes = [(1000, 3, 7, 500), (2, 2, 333, 1), (640, 480, 448, 336), (480, 640, 336, 448), (5, 300, 5, 37)]
    sizes += [tuple(int(v) for v in rng.randint(1, 400, 4)) for _ in range(40)]
    meta["resize_sweep"] = [[w_, h_, nw, nh, sha256(np.asarray(Image.fromarray(source_image(w_, h_), "RGB").resize(
        (nw, nh), resample=Image.BICUBIC, reducing_gap=None)))] for w_, h_, nw, nh in sizes]
    meta["tiny_preprocessor"] = tiny
    pixels = torch.stack(pix_tiny)                                              # [N, 3, 56, 56]
    with torch.no_grad():
        embeds, last = forward(cfg, w, pixels)
    features = embeds / embeds.norm(dim=-1, keepdim=True)
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(meta, f, indent=1)
    save_safetensors(os.path.join(out, "golden.safetensors"), {
        "pixel_values": pixels, "pixels336_every12": torch.stack(pix_336),      # [N, 3, 28, 28]
        "pixels_padded": torch.from_numpy(pad), "image_embeds": embeds, "features": features,
        "last_hidden_state": last})
    print(f"{out}: {len(IMAGES)} images, features {tuple(features.shape)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/clip")
