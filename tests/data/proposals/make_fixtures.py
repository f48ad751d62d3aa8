#!/usr/bin/env python3
"""Chat-Scene `mask3d_inst_seg/<scene>.pt` fixtures for tests/core/test_proposals.cpp, written with the
standard library only: the pickle (protocol 2, as torch.save uses) of the list prepare_mask3d_data.py
saves, inside the zip layout torch.save writes (`<stem>/data.pkl`, `<stem>/version`, `<stem>/byteorder`,
entries STORED). A list of plain Python objects holds no tensor, so no storage entries are needed.

    python3 tests/data/proposals/make_fixtures.py      (deterministic; rewrites the files next to it)
"""
import os
import pickle
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = (2024, 1, 1, 0, 0, 0)


def torch_save(obj, path):
    stem = "archive"
    entries = [("data.pkl", pickle.dumps(obj, protocol=2)), ("byteorder", b"little"), ("version", b"3\n")]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(f"{stem}/{name}", date_time=DATE), data)


def main():
    os.makedirs(os.path.join(HERE, "mask3d_inst_seg"), exist_ok=True)
    # Vertex indices of a 10-vertex scene; the second list is unsorted and repeats an index, as a
    # hand-edited file might, and the reader must sort and deduplicate it.
    good = [{"label": "chair", "segments": [0, 1, 2]},
            {"label": "table", "segments": [7, 5, 5, 6]},
            {"label": "", "segments": []}]
    torch_save(good, os.path.join(HERE, "mask3d_inst_seg", "scene0000_00.pt"))
    torch_save([{"label": "chair", "segments": [0, 10]}], os.path.join(HERE, "bad_index.pt"))
    torch_save({"label": "chair"}, os.path.join(HERE, "bad_root.pt"))


if __name__ == "__main__":
    main()
