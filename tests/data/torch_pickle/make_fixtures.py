#!/usr/bin/python3
"""Writes the torch.save fixtures of tests/core/test_torch_pickle.cpp and tests/models/test_bin_checkpoints.cpp.

Run with Debian's python (torch 1.13 + numpy):  /usr/bin/python3 tests/data/torch_pickle/make_fixtures.py
Outputs, next to this script:
  *.pt / *.pth               real torch.save files (state dict, views, 1-key dict, 1-element list, nested
                             checkpoint with argparse.Namespace, OpenMask3D masks, pcd_all tuple, Chat-Scene
                             attributes, pickle protocols 4 and 5, a ZIP64 + "archive/" variant)
  bad_*.pt, legacy.pt        the error cases (edited with zipfile; legacy = pre-zip format)
  expected.json              each good fixture's value tree as torch.load sees it (canon() below)
  expected/<name>.safetensors  every tensor of each fixture, written by tools/convert_to_safetensors.py
  tiny-llama-bin/            tests/data/llm/tiny-llama-mha as an HF pytorch_model.bin
  tiny-llama-bin-sharded/    the same in two .bin shards + pytorch_model.bin.index.json, with strided views
"""
import argparse
import collections
import json
import os
import shutil
import struct
import sys
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.dont_write_bytecode = True  # no __pycache__ in tools/
import convert_to_safetensors as conv  # noqa: E402

DATE = (1980, 1, 1, 0, 0, 0)


def path(name):
    return os.path.join(HERE, name)


def canon(x, name=""):
    """The value tree as JSON; tensors carry their flattened name, dtype, shape, stride (elements), offset."""
    join = (lambda k: f"{name}.{k}" if name else str(k))
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, bytes):
        return {"bytes": x.hex()}
    if torch.is_tensor(x):
        return {"tensor": name or "tensor", "dtype": conv.array_record(x)[0], "shape": list(x.shape),
                "stride": list(x.stride()), "offset": x.storage_offset()}
    if isinstance(x, np.ndarray):
        return {"tensor": name or "tensor", "dtype": conv.array_record(x)[0], "shape": list(x.shape),
                "stride": [s // x.itemsize for s in x.strides], "offset": 0, "numpy": True}
    if isinstance(x, dict):
        kind = "OrderedDict" if isinstance(x, collections.OrderedDict) else "dict"
        out = {kind: [[canon(k), canon(v, join(k))] for k, v in x.items()]}
        if vars(x) if hasattr(x, "__dict__") else None:
            out["state"] = canon(vars(x))
        return out
    if isinstance(x, (list, tuple)):
        return {type(x).__name__: [canon(v, join(i)) for i, v in enumerate(x)]}
    return {"object": f"{type(x).__module__}.{type(x).__qualname__}", "state": canon(vars(x))}


def rewrite(src, dst, edit):
    """Copies a torch.save zip entry by entry through edit(name, data) -> [(name, data, method)]."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            for name, data, method in edit(info.filename, zin.read(info)):
                zi = zipfile.ZipInfo(name, date_time=DATE)
                zi.compress_type = method
                zout.writestr(zi, data)


def keep(name, data):
    return [(name, data, zipfile.ZIP_STORED)]


def state_dict():
    g = torch.Generator().manual_seed(0)
    sd = collections.OrderedDict()
    sd["f32"] = torch.randn(3, 4, generator=g)
    sd["f16"] = torch.randn(2, 5, generator=g).half()
    sd["bf16"] = torch.randn(6, generator=g).bfloat16()
    sd["f64"] = torch.randn(2, 2, generator=g).double()
    sd["i64"] = torch.arange(-3, 5, dtype=torch.int64).reshape(2, 4)
    sd["i32"] = torch.tensor([-7, 0, 2 ** 30], dtype=torch.int32)
    sd["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 3)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    sd["view.base"] = base
    sd["view.transposed"] = base.t()                     # stride (1, 6), same storage
    sd["view.sliced"] = base[1:3, ::2]                   # offset 6, stride (6, 2)
    sd["param"] = torch.nn.Parameter(torch.randn(2, 3, generator=g))
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("layer", {"version": 2})])
    return sd


def fixtures():
    sd = state_dict()
    rng = np.random.default_rng(0)
    masks = (rng.random((40, 5)) > 0.5).astype(np.float16)          # OpenMask3D: [N_points, N_masks] float16
    coords = rng.standard_normal((12, 3)).astype(np.float32)
    colors = rng.uniform(-1, 1, (12, 3)).astype(np.float32)
    tiny = torch.randn(4, 2, generator=torch.Generator().manual_seed(1))
    return {
        "state_dict.pt": (sd, {}),
        "one_key.pt": ({"only": tiny}, {}),
        "one_list.pt": ([tiny.half()], {}),
        "nested.pth": ({"model": sd, "epoch": 3, "score": np.float32(0.25), "best": 0.125, "note": None,
                        "args": argparse.Namespace(lr=0.001, name="inst3d", layers=[1, 2], flags=(True, False)),
                        7: "int key", "blob": b"\x00\xff\x80raw"}, {}),
        "masks.pt": (masks, {}),
        "pcd_all.pth": ((coords, colors, ["chair", "table", "wall"], [[0, 1, 2], [3, 4], [5]]), {}),
        "attributes.pt": ({"scene0000_00": {"objects": ["chair", "table"], "locs": torch.randn(2, 6, generator=torch.Generator().manual_seed(2))},
                           "scene0001_00": {"objects": ["sofa"], "locs": torch.randn(1, 6, generator=torch.Generator().manual_seed(3))}}, {}),
        "protocol4.pt": ({"t": tiny, "fortran": np.arange(6, dtype=np.float16).reshape(2, 3).T, "c": masks[:3],
                          "big": np.arange(300, dtype=np.int64)}, {"pickle_protocol": 4}),
        "protocol5.pt": ({"t": tiny.t(), "fortran": np.arange(6, dtype=np.float32).reshape(2, 3).T, "c": masks[:3]},
                         {"pickle_protocol": 5}),
    }


def make_zip64(src, dst):
    """The state dict again, renamed to the torch 2.x stem "archive/" and written with ZIP64 everywhere:
    zipfile's 4 GB limit lowered so sizes and offsets go to ZIP64 extra fields, the ZIP64 end record and
    locator written, then the classic end record's fields set to 0xFFFF.. as multi-GB writers leave them."""
    stem = zipfile.ZipFile(src).namelist()[0].split("/")[0]
    limit = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 16
    try:
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", allowZip64=True) as zout:
            for info in zin.infolist():
                zi = zipfile.ZipInfo("archive/" + info.filename[len(stem) + 1:], date_time=DATE)
                with zout.open(zi, "w", force_zip64=True) as f:
                    f.write(zin.read(info))
    finally:
        zipfile.ZIP64_LIMIT = limit
    raw = bytearray(open(dst, "rb").read())
    eocd = raw.rfind(b"PK\x05\x06")
    assert raw[eocd - 20:eocd - 16] == b"PK\x06\x07", "no ZIP64 locator"
    raw[eocd + 8:eocd + 20] = b"\xff\xff\xff\xff" + b"\xff" * 8
    open(dst, "wb").write(raw)
    assert zipfile.ZipFile(dst).read("archive/version") == b"3\n"


def make_bad(src):
    """Error cases from one_key.pt (one storage): each a well-formed zip with one thing wrong."""
    def pkl(edit):
        return lambda n, d: keep(n, edit(d) if n.endswith("/data.pkl") else d)
    rewrite(src, path("bad_truncated_pkl.pt"), pkl(lambda d: d[: len(d) // 2]))
    rewrite(src, path("bad_opcode.pt"), pkl(lambda d: d[:2] + b"\xff" + d[2:]))
    rewrite(src, path("bad_missing_storage.pt"), lambda n, d: [] if "/data/" in n else keep(n, d))
    rewrite(src, path("bad_compressed.pt"), lambda n, d: [(n, d, zipfile.ZIP_DEFLATED)])
    rewrite(src, path("bad_byteorder.pt"), lambda n, d: keep(n, d) + (
        [(n.replace("data.pkl", "byteorder"), b"big", zipfile.ZIP_STORED)] if n.endswith("data.pkl") else []))
    torch.save({"only": torch.ones(2)}, path("legacy.pt"), _use_new_zipfile_serialization=False)


def make_hostile():
    """Files a stranger could send: 16384 references to one tensor (33 kB; each becomes a tensor, and the
    converter once took quadratic time over them), and a 4-byte storage expanded to 2^20 elements (stride 0)."""
    one = torch.zeros(1)
    torch.save([one] * 16384, path("shared_refs.pt"))
    torch.save({"big": one.expand(1 << 20)}, path("expanded.pt"))
    # torch.load without weights_only would run `touch` here: a state dict with a command in it.
    torch.save({"weight": one, "payload": RunsACommand()}, path("runs_command.pt"))


class RunsACommand:
    """Pickled as a call of os.system (what a malicious checkpoint holds); never instantiated on load here."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/inst3d-pwned",))


def read_safetensors(file):
    raw = open(file, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    np_types = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = collections.OrderedDict()
    for name, h in header.items():  # json keeps file order
        b, e = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[8 + n + b:8 + n + e], dtype=np_types[h["dtype"]]).copy()).reshape(h["shape"])
    return out


def make_tiny_llama():
    src = os.path.join(ROOT, "tests", "data", "llm", "tiny-llama-mha")
    tensors = read_safetensors(os.path.join(src, "model.safetensors"))
    one = path("tiny-llama-bin")
    os.makedirs(one, exist_ok=True)
    shutil.copyfile(os.path.join(src, "config.json"), os.path.join(one, "config.json"))
    sd = collections.OrderedDict(tensors)
    sd["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.ones(4)  # Llama-2-era buffer the loader skips
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    torch.save(sd, os.path.join(one, "pytorch_model.bin"))

    two = path("tiny-llama-bin-sharded")
    os.makedirs(two, exist_ok=True)
    shutil.copyfile(os.path.join(src, "config.json"), os.path.join(two, "config.json"))
    names = list(tensors)
    halves = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map, total = {}, 0
    for i, part in enumerate(halves):
        shard = {}  # HF's shards are plain dicts
        for n in part:
            t = tensors[n]
            if n == "lm_head.weight":
                t = t.t().contiguous().t()                        # strided: from_blob cannot view it as is
            elif n == "model.norm.weight":
                t = torch.cat([torch.zeros(3), t])[3:]            # a view at storage offset 3
            shard[n] = t
            total += t.numel() * t.element_size()
        file = f"pytorch_model-{i + 1:05d}-of-00002.bin"
        torch.save(shard, os.path.join(two, file))
        weight_map.update({n: file for n in part})
    with open(os.path.join(two, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")


def main():
    os.makedirs(path("expected"), exist_ok=True)
    expected = {}
    for name, (obj, kw) in fixtures().items():
        torch.save(obj, path(name), **kw)
        back = torch.load(path(name))
        expected[name] = canon(back)
        conv.write_safetensors(path(f"expected/{name}.safetensors"), conv.records_of(back), {"format": "pt"})
    make_zip64(path("state_dict.pt"), path("zip64.pt"))
    expected["zip64.pt"] = expected["state_dict.pt"]
    shutil.copyfile(path("expected/state_dict.pt.safetensors"), path("expected/zip64.pt.safetensors"))
    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    make_bad(path("one_key.pt"))
    make_hostile()
    make_tiny_llama()


if __name__ == "__main__":
    main()
