"""The safetensors format in plain Python (no `safetensors` package on the project machine), shared by
the reference generators: an 8-byte little-endian header length, a JSON header (name -> dtype, shape,
data offsets; `__metadata__` first), padding to 8 bytes with spaces, then the raw tensors in order."""
import json
import struct

import torch

_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8"}
_DTYPES = {v: k for k, v in _NAMES.items()}


def save_safetensors(path, tensors, metadata=None):
    """tensors: {name: CPU tensor} written in dict order."""
    header, offset, blobs = {"__metadata__": metadata or {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        if t.dtype not in _NAMES:
            raise ValueError(f"{path}: tensor '{name}' has dtype {t.dtype}, not one of {sorted(_NAMES.values())}")
        data = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_safetensors(path):
    """{name: tensor} (copies, writable)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:end]), dtype=_DTYPES[e["dtype"]]).reshape(e["shape"])
    return out
