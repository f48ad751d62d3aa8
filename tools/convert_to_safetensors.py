#!/usr/bin/env python3
"""Convert PyTorch checkpoints to safetensors with the same tensor names, on the machine that has torch.

inst3d reads torch.save zip files itself (`inst3d convert-weights`, or LlamaModel on a folder with
pytorch_model.bin); this script is for what it cannot read: legacy (pre-1.6, non-zip) torch.save files
and pickles that need real Python classes. Names follow inst3d's rule: nested dicts give dotted names
({"model": {"a.weight": T}} -> "model.a.weight"), lists and tuples their indices, a bare tensor or
numpy array "tensor"; other values are dropped. The safetensors file is written here with json+struct
(the `safetensors` package is not needed) in the same layout as inst3d's writer.

  convert_to_safetensors.py IN.pth OUT.safetensors [--prefix-strip model.]
  convert_to_safetensors.py pytorch_model.bin.index.json OUT_DIR     (same shard split)
  convert_to_safetensors.py IN.pth --list

torch.load runs the pickle's code: convert only checkpoints you trust.
"""
import argparse
import json
import os
import struct
import sys

DTYPES = {  # torch dtype name / numpy dtype.str[1:] -> safetensors dtype
    "float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16", "int64": "I64", "int32": "I32",
    "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL",
    "f8": "F64", "f4": "F32", "f2": "F16", "i8": "I64", "i4": "I32", "i2": "I16", "i1": "I8", "u1": "U8", "b1": "BOOL",
}


def is_array(x):
    mod = type(x).__module__
    return (mod.startswith("torch") and type(x).__name__ in ("Tensor", "Parameter")) or (
        mod == "numpy" and type(x).__name__ == "ndarray")


def flatten(obj, name=""):
    """Yields (dotted name, tensor or ndarray) in the order inst3d's flattenTensors uses."""
    join = (lambda k: f"{name}.{k}" if name else str(k))
    if is_array(obj):
        yield (name or "tensor"), obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, (str, int)) and not isinstance(k, bool):
                yield from flatten(v, join(k))
    elif isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        for i, v in enumerate(obj):
            yield from flatten(v, join(i))


def array_record(x):
    """(safetensors dtype, shape, little-endian C-order bytes) of a torch tensor or numpy array."""
    if type(x).__module__ == "numpy":
        import numpy as np
        key = x.dtype.str[1:]
        if key not in DTYPES:
            raise SystemExit(f"numpy dtype {x.dtype} has no safetensors equivalent")
        x = np.ascontiguousarray(x, dtype=x.dtype.newbyteorder("<") if x.dtype.itemsize > 1 else x.dtype)
        return DTYPES[key], list(x.shape), x.tobytes()
    import torch
    key = str(x.dtype).replace("torch.", "")
    if key not in DTYPES:
        raise SystemExit(f"tensor dtype {x.dtype} has no safetensors equivalent")
    t = x.detach().cpu().contiguous()
    raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
    return DTYPES[key], list(t.shape), raw


def write_safetensors(path, records, metadata=None):
    """records: [(name, dtype, shape, bytes)]. Header as inst3d writes it: metadata first, compact JSON,
    padded with spaces to 8 bytes; written to a temporary file and renamed."""
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in records:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for record in records:
            f.write(record[3])
    os.replace(tmp, path)


def load(path):
    import torch
    try:  # torch >= 2.6 defaults to weights_only=True, which refuses numpy arrays and argparse.Namespace
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:
        return torch.load(path, map_location="cpu")


def records_of(obj, prefix_strip="", source="checkpoint"):
    records, seen = [], set()
    for name, x in flatten(obj):
        if prefix_strip and name.startswith(prefix_strip):
            name = name[len(prefix_strip):]
        if not name or name in seen:
            raise SystemExit(f"{source}: tensor name '{name}' is empty or repeated after --prefix-strip")
        seen.add(name)
        records.append((name,) + array_record(x))
    return records


def shard_name(torch_shard):
    stem = torch_shard
    for ext in (".bin", ".pth", ".pt"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
            break
    if stem.startswith("pytorch_model"):
        stem = "model" + stem[len("pytorch_model"):]
    return stem + ".safetensors"


def convert_index(index_path, out, prefix_strip):
    with open(index_path) as f:
        weight_map = json.load(f)["weight_map"]
    out_index = out if out.endswith(".json") else os.path.join(out, "model.safetensors.index.json")
    out_dir = os.path.dirname(out_index) or "."
    os.makedirs(out_dir, exist_ok=True)
    new_map, total = {}, 0
    for shard in dict.fromkeys(weight_map.values()):
        obj = load(os.path.join(os.path.dirname(index_path), shard))
        names = {n for n, _ in flatten(obj)}
        missing = [k for k, s in weight_map.items() if s == shard and k not in names]
        if missing:
            raise SystemExit(f"{index_path}: tensor '{missing[0]}' is listed in {shard} but that shard lacks it")
        records = records_of(obj, prefix_strip, shard)
        write_safetensors(os.path.join(out_dir, shard_name(os.path.basename(shard))), records, {"format": "pt"})
        for r in records:
            new_map[r[0]] = shard_name(os.path.basename(shard))
            total += len(r[3])
    with open(out_index, "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": new_map}, f, indent=2)
        f.write("\n")
    return len(new_map)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="torch.save file (.bin/.pth/.pt, legacy too) or pytorch_model.bin.index.json")
    ap.add_argument("output", nargs="?", help="OUT.safetensors, or a folder for an index")
    ap.add_argument("--prefix-strip", default="", help="remove this prefix from names that start with it")
    ap.add_argument("--list", action="store_true", help="print name, dtype and shape instead of converting")
    a = ap.parse_args()
    if a.list:
        for name, dtype, shape, _ in records_of(load(a.input), a.prefix_strip, a.input):
            print(f"{name}\t{dtype}\t{shape}")
        return 0
    if not a.output:
        ap.error("OUTPUT is required unless --list is given")
    if a.input.endswith(".index.json"):
        n = convert_index(a.input, a.output, a.prefix_strip)
    else:
        records = records_of(load(a.input), a.prefix_strip, a.input)
        write_safetensors(a.output, records, {"format": "pt"})
        n = len(records)
    print(f"wrote {n} tensors to {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
