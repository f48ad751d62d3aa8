#!/usr/bin/env python3
"""Writes the bad-input corpus of tests/core/test_bad_inputs.cpp (docs/reliability.md): small files, each
broken in one way an attacker or a damaged download would break it. Run from anywhere; rewrites the files
beside this script. cases.tsv (file, verb, expected error fragment) is written by hand, not here."""
import io, json, os, struct, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

PLY_HEAD = "ply\nformat ascii 1.0\nelement vertex {n}\nproperty float x\nproperty float y\nproperty float z\n" \
           "element face {f}\nproperty list uchar int vertex_indices\nend_header\n"
TRI = "0 0 0\n1 0 0\n0 1 0\n"

def ply():
    put("ply_nan_list_size.ply", PLY_HEAD.format(n=3, f=1) + TRI + "nan 0 1 2\n")
    put("ply_huge_list_value.ply", PLY_HEAD.format(n=3, f=1) + TRI + "3 0 1 1e300\n")
    put("ply_count_wraps.ply", PLY_HEAD.format(n=6148914691236517206, f=0) + TRI)
    put("ply_negative_count.ply", PLY_HEAD.format(n=-3, f=0) + TRI)
    put("ply_face_index_out_of_range.ply", PLY_HEAD.format(n=3, f=1) + TRI + "3 0 1 7\n")
    put("ply_no_end_header.ply", "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n")
    put("ply_not_a_ply.ply", "solid cube\nfacet normal 0 0 1\n")
    put("ply_empty.ply", b"")
    binary = "ply\nformat binary_little_endian 1.0\nelement vertex 1000\nproperty float x\nproperty float y\n" \
             "property float z\nend_header\n"
    put("ply_binary_truncated.ply", binary.encode() + struct.pack("<3f", 0, 0, 0) * 10)
    put("ply_nan_coordinate.ply", PLY_HEAD.format(n=3, f=1) + "0 0 0\n1 nan 0\n0 1 0\n3 0 1 2\n")
    put("ply_middle_endian.ply", "ply\nformat binary_middle_endian 1.0\nelement vertex 1\nproperty float x\nend_header\n")
    put("ply_unknown_type.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n1\n")
    put("ply_float_list_count.ply", PLY_HEAD.format(n=3, f=1).replace("list uchar int", "list float int") + TRI + "3 0 1 2\n")
    put("ply_ascii_truncated.ply", PLY_HEAD.format(n=3, f=1) + "0 0 0\n1 0 0\n")
    put("ply_no_xyz.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float y\nend_header\n1\n")

def obj():
    put("obj_undefined_vertex.obj", "v 0 0 0\nv 1 0 0\nf 1 2 9\n")
    put("obj_bad_number.obj", "v 0 zero 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    put("obj_index_zero.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n")       # OBJ counts from 1
    put("obj_infinite_vertex.obj", "v 0 0 0\nv 1 inf 0\nv 0 1 0\nf 1 2 3\n")
    put("obj_negative_past_start.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -9\n")

def safetensors(name, header, data=b""):
    h = json.dumps(header).encode()
    put(name, struct.pack("<Q", len(h)) + h + data)

def st():
    put("st_too_small.safetensors", b"xx")
    put("st_header_past_end.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
    safetensors("st_shape_wraps.safetensors", {"w": {"dtype": "F32", "shape": [3074457345618258603, 3], "data_offsets": [0, 4]}}, b"\0" * 4)
    safetensors("st_fractional_dim.safetensors", {"w": {"dtype": "F32", "shape": [1.5, 2], "data_offsets": [0, 8]}}, b"\0" * 8)
    safetensors("st_overlap.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12)
    safetensors("st_unowned_bytes.safetensors", {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                                 "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}, b"\0" * 16)
    safetensors("st_unknown_dtype.safetensors", {"a": {"dtype": "F13", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
    h = b"{not json"
    put("st_header_not_json.safetensors", struct.pack("<Q", len(h)) + h)

def torch_zip(name, pickle_bytes):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/version", "3\n")
    put(name, buf.getvalue())

def pt():
    put("pt_truncated_zip.pt", b"PK\x03\x04garbage")
    # protocol 2: GLOBAL posix.system, the argument tuple ("touch /tmp/pwned",), REDUCE, STOP
    torch_zip("pt_calls_system.pt", b"\x80\x02cposix\nsystem\nq\x00X\x10\x00\x00\x00touch /tmp/pwnedq\x01\x85q\x02Rq\x03.")
    torch_zip("pt_calls_eval.pt", b"\x80\x02cbuiltins\neval\nq\x00X\x04\x00\x00\x001+1 q\x01\x85q\x02Rq\x03.")
    torch_zip("pt_pickle_truncated.pt", b"\x80\x02}q\x00(X\x01\x00\x00\x00a")

def yaml():
    put("yaml_unclosed_flow.yaml", "synth:\n  scenes: [1\n")
    put("yaml_not_a_map.yaml", "- just\n- a list\n")
    put("yaml_unknown_key.yaml", "synth:\n  frame: 60\n")            # a typo of synth.frames
    put("yaml_wrong_type.yaml", "synth:\n  frames: many\n")

if __name__ == "__main__":
    for make in (ply, obj, st, pt, yaml):
        make()
