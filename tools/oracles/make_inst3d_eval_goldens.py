#!/usr/bin/env python3
"""Goldens for core/eval from the upstream evaluators themselves: Inst3D-LMM's utils/eval.py +
utils/helper.py (and Chat-Scene's, for its ScanQA variant), scored with pycocoevalcap 1.2 (its
PTBTokenizer and METEOR jars run with java, exactly as the evaluators call them).

    /opt/inst3d-deps/oracles/bin/python tools/oracles/make_inst3d_eval_goldens.py \\
        --inst3d /work/.mirror/hanxunyu+Inst3D-LMM/repo --chat-scene /work/.mirror/ZzZZCHS+Chat-Scene/repo

--inst3d / --chat-scene are git directories (bare mirrors or checkouts) of hanxunyu/Inst3D-LMM and
ZzZZCHS/Chat-Scene. Their utils/{eval,helper,box_utils}.py are extracted from HEAD (or --*-commit) into a
temporary folder at generation time and imported from there: nothing of theirs is copied into this
repository. pycocoevalcap comes from the environment, else from --pycocoevalcap (an unpacked wheel,
default /opt/inst3d-deps/pycocoevalcap, what tools/setup.sh installs); java must be on PATH.

Stubbed import (the only one): scipy.optimize.linear_sum_assignment, when scipy is not installed. eval.py
imports it at module level for Multi3DRefer, which is not scored here; the stub raises if called.

Writes into --out (default tests/data/eval/inst3d next to this script's repository):
  qa.json       ScanQA and SQA3D rows and calc_scanqa_score / calc_sqa3d_score of both repositories
                (EM, refined EM, per-type EM, Bleu_1..4, METEOR, ROUGE_L, CIDEr), plus each row scored
                alone by the same function (its cleaned answer, EM, refined EM).
  scan2cap.json boxes, corpus and rows, and calc_scan2cap_score (m@0.25, m@0.5, every metric).
  meteor.json   pycocoevalcap's Meteor on the corpora of tests/data/eval/caption_golden.json and on
                its own meteor_edge corpus (corpus and per item).
  ptb.json      pycocoevalcap's PTBTokenizer on a corpus of awkward strings.
"""
import argparse
import contextlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import types

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM_FILES = ("utils/eval.py", "utils/helper.py", "utils/box_utils.py")


def git_commit(git_dir, commit):
    return subprocess.check_output(["git", "--git-dir", git_dir, "rev-parse", commit], text=True).strip()


def extract(git_dir, commit, dest):
    """Writes the evaluator files of `commit` under dest/utils/ (a package named utils, as upstream)."""
    os.makedirs(os.path.join(dest, "utils"), exist_ok=True)
    open(os.path.join(dest, "utils", "__init__.py"), "w").close()
    for path in UPSTREAM_FILES:
        text = subprocess.check_output(["git", "--git-dir", git_dir, "show", f"{commit}:{path}"])
        with open(os.path.join(dest, path), "wb") as f:
            f.write(text)


def stub_scipy_if_missing():
    try:
        import scipy.optimize  # noqa: F401
    except ImportError:
        def linear_sum_assignment(*_):
            raise RuntimeError("scipy stub: Multi3DRefer is not scored by this generator")
        scipy = types.ModuleType("scipy")
        scipy.optimize = types.ModuleType("scipy.optimize")
        scipy.optimize.linear_sum_assignment = linear_sum_assignment
        sys.modules["scipy"], sys.modules["scipy.optimize"] = scipy, scipy.optimize


def load_upstream(folder):
    """Imports folder/utils/{eval,helper} fresh (both repositories name their package `utils`)."""
    for name in [m for m in sys.modules if m == "utils" or m.startswith("utils.")]:
        del sys.modules[name]
    sys.path.insert(0, folder)
    try:
        return importlib.import_module("utils.eval"), importlib.import_module("utils.helper")
    finally:
        sys.path.remove(folder)


def import_pycocoevalcap(unpacked):
    try:
        import pycocoevalcap  # noqa: F401
    except ImportError:
        sys.path.insert(0, unpacked)
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
    return types.SimpleNamespace(Bleu=Bleu, Cider=Cider, Meteor=Meteor, Rouge=Rouge, PTBTokenizer=PTBTokenizer)


def scorers(pc):
    # The list Inst3D-LMM's run/eval.py and Chat-Scene's tasks/train.py build (SPICE left out, as both do).
    return [(pc.Bleu(4), ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4"]), (pc.Meteor(), "METEOR"),
            (pc.Rouge(), "ROUGE_L"), (pc.Cider(), "CIDEr")]


def plain(value):
    """numpy scalars to Python floats; ints stay ints."""
    return value if isinstance(value, int) else float(value)


# ---- ScanQA / SQA3D ---------------------------------------------------------------------------------

# (pred, ref_captions): awkward answers. Comments say what each one exercises.
SCANQA_CASES = [
    ("The TV.", ["tv", "television"]),               # cleaned "TV": equals the cleaned ref only
    ("2.", ["Two", "2 chairs"]),                      # digits to words on both sides
    (".", ["brown chair"]),                           # one character: kept, cleans to ""
    ("!!!", ["white"]),                               # cleans to "": refined match with any ref (Inst3D)
    ("", ["a chair"]),                                # empty prediction
    ("...", ["?", "nothing"]),                        # ".." -> "", and a reference that cleans to ""
    ("Brown wooden chair", ["brown chair", "wooden chair"]),  # refined: ref inside pred
    ("a lamp", ["the lamp"]),                         # articles dropped on both sides (Inst3D)
    ("On the left side of the bed.", ["left of bed", "On the left side of the bed"]),
    ("Café", ["cafe"]),                               # non-ASCII letters filtered out
    ("o' clock", ["oclock"]),                         # both become "o'clock" once cleaned
    ("3 chairs\n", ["three chairs\n"]),               # a newline survives cleaning; refs are stripped
    ("TV stand", ["tv stand", "stand"]),              # "tv" -> "TV" in refs too
    ("1,000", ["1000", "one thousand"]),              # \b1\b inside a number
    ("it's behine the chai", ["behind chair", "it's behind the chair"]),
    ("Black and white", ["black and white", "white and black"]),
    ("  Left   ", ["left", "to the left"]),           # padding and case
    ("mat2", ["mat"]),                                # letters + one digit lose the digit
]

SQA3D_CASES = [  # (pred, refs, type_info); type 3 has no question: its count stays 1e-10
    ("Yes.", ["yes"], 1),
    ("2", ["two"], 2),
    ("", ["left"], 0),
    ("!!", ["right"], 0),
    ("The table", ["table"], 0),
    ("Go backwards", ["backward"], 5),
    ("Sofa", ["couch"], 4),
    ("TV.", ["tv"], 1),
    ("the one on the left", ["left"], 4),
    ("none", ["0"], 2),
]


def qa_rows(cases, with_type):
    rows = []
    for i, case in enumerate(cases):
        pred, refs = case[0], case[1]
        row = {"scene_id": f"scene{i % 3:04d}_00", "gt_id": i % 4, "pred_id": 0, "qid": f"q{i}", "prompt": "",
               "pred": pred, "ref_captions": refs, "type_info": case[2] if with_type else ""}
        rows.append(row)
    return rows


class RecordingTokenizer:
    """Stands in for PTBTokenizer to record what the evaluator hands it (the cleaned answer)."""

    def __init__(self):
        self.calls = []

    def tokenize(self, captions):
        self.calls.append(captions)
        return {k: [c["caption"] for c in v] for k, v in captions.items()}


def per_row(fn, rows):
    """Each row scored alone by the evaluator itself: its EM, refined EM and cleaned answer."""
    out = []
    for row in rows:
        recorder = RecordingTokenizer()
        scores = fn([json.loads(json.dumps(row))], recorder, [])
        bench = "scanqa" if fn.__name__ == "calc_scanqa_score" else "sqa3d"
        (pred,) = recorder.calls[0].values()
        out.append({"pred_clean": pred[0]["caption"], "em": int(scores[f"[{bench}] EM1"]),
                    "em_refined": int(scores[f"[{bench}] EM1_refined"])})
    return out


def score_qa(evaluator, pc, rows, benchmark):
    fn = evaluator.calc_scanqa_score if benchmark == "scanqa" else evaluator.calc_sqa3d_score
    scores = fn(json.loads(json.dumps(rows)), pc.PTBTokenizer(), scorers(pc))
    return {"scores": {k: plain(v) for k, v in scores.items()},
            "per_item": per_row(fn, rows)}


# ---- Scan2Cap ---------------------------------------------------------------------------------------

# Boxes (center, size), all exact in float32 (as the attribute files store them), so that the JSON copy
# the C++ test reads gives the same IoUs.
GT_BOXES = {"scene0000_00": [[0, 0, 0, 1, 1, 1], [2, 0, 0, 1, 1, 1], [0, 2, 0, 1, 1, 1], [0, 0, 2, 1, 1, 1]],
            "scene0001_00": [[1, 1, 1, 2, 2, 2]]}
PROPOSALS = {"scene0000_00": [[0, 0, 0, 1, 1, 1],          # IoU 1 with GT 0
                              [2, 0, 0, 1, 1, 0.5],        # IoU 0.5 - 1e-8 with GT 1: a hit at 0.25 only
                              [0, 2, 0, 1, 1, 1],          # IoU 1 with GT 2
                              [0, 0, 2.5, 1, 1, 1.5],      # IoU 1/3 with GT 3
                              [5, 5, 5, 1, 1, 1]],         # nowhere
             "scene0001_00": [[1, 1, 1, 2, 2, 2]]}
CORPUS = {
    "scene0000_00|0": ["sos this is a brown chair . it is next to the table . eos",
                       "sos a wooden chair beside a table . eos"],
    "scene0000_00|1": ["sos the table is in the middle of the room . eos"],
    "scene0000_00|2": ["sos a tall lamp in the corner . eos", "sos the lamp is white . eos"],
    "scene0000_00|3": ["sos it is a white lamp . the lamp is on the desk . eos"],
    # No row: "sos eos". Only one such key, because the evaluator visits them in a set's order.
    "scene0001_00|0": ["sos a black sofa against the wall . eos"],
}
SCAN2CAP_ROWS = [
    ("scene0000_00", 0, 0, "This is a brown chair. It is next to the table."),
    ("scene0000_00", 1, 1, "the table is in the middle of the room"),
    ("scene0000_00", 2, 2, ""),                          # empty caption: "sos  eos" -> tokenized "sos eos"
    ("scene0000_00", 3, 4, "a lamp"),                    # overwritten by the next row (last row wins)
    ("scene0000_00", 3, 3, "it is a lamp.\nit is white."),  # newline inside the caption
]


def score_scan2cap(evaluator, pc, work):
    import torch
    ann = os.path.join(work, "annotations")
    os.makedirs(ann, exist_ok=True)
    def attrs(boxes):
        return {s: {"objects": [], "locs": torch.tensor(b, dtype=torch.float32)} for s, b in boxes.items()}
    torch.save(attrs(GT_BOXES), os.path.join(ann, "scannet_val_attributes.pt"))
    torch.save(attrs(PROPOSALS), os.path.join(ann, "scannet_mask3d_val_attributes.pt"))  # eval.py's default
    with open(os.path.join(ann, "scan2cap_val_corpus.json"), "w") as f:
        json.dump(CORPUS, f)
    rows = [{"scene_id": s, "gt_id": g, "pred_id": p, "qid": i, "prompt": "", "pred": text, "ref_captions": [],
             "type_info": ""} for i, (s, g, p, text) in enumerate(SCAN2CAP_ROWS)]
    cwd = os.getcwd()
    os.chdir(work)  # calc_scan2cap_score opens annotations/... relative to the working directory
    try:
        scores = evaluator.calc_scan2cap_score(json.loads(json.dumps(rows)), pc.PTBTokenizer(), scorers(pc))
    finally:
        os.chdir(cwd)
    def boxes_json(boxes):
        return {s: {str(k): {"center": b[:3], "size": b[3:]} for k, b in enumerate(bs)} for s, bs in boxes.items()}
    return {"input": {"proposals": boxes_json(PROPOSALS), "gt_boxes": boxes_json(GT_BOXES), "corpus": CORPUS,
                      "rows": rows},
            "expected": {k: plain(v) for k, v in scores.items()}}


# ---- METEOR on the caption corpora ------------------------------------------------------------------

# What meteor.py's _stat() rewrites in a hypothesis: "|||" removed, then "  " -> " " in one pass (three
# spaces stay two); references are passed as they are. Plus unicode, an empty hypothesis, repeated words.
METEOR_EDGE = [
    ("e1", "a chair ||| next to the table", ["a chair next to the table"]),
    ("e2", "a   chair    by the  wall", ["a chair by the wall", "the chair is by the wall"]),
    ("e3", "", ["a lamp"]),
    ("e4", "caf\u00e9 na\u00efve chair", ["cafe naive chair", "caf\u00e9 chair"]),
    ("e5", "the the the table", ["the table", "a table"]),
    ("e6", "two chairs", ["2 chairs", "two chairs", "couple of chairs"]),
    ("e7", "chairs are sitting", ["a chair sits there"]),  # stems and synonyms
]


def score_meteor(pc):
    with open(os.path.join(REPO, "tests/data/eval/caption_golden.json")) as f:
        golden = json.load(f)
    corpora = golden["input"]["corpora"] + [{"name": "meteor_edge", "items": [
        {"id": i, "candidate": c, "references": r} for i, c, r in METEOR_EDGE]}]
    out = []
    for corpus in corpora:
        gts = {it["id"]: it["references"] for it in corpus["items"]}
        res = {it["id"]: [it["candidate"]] for it in corpus["items"]}
        score, per_item = pc.Meteor().compute_score(gts, res)
        out.append({"name": corpus["name"], "corpus": float(score),
                    "items": corpus["items"] if corpus["name"] == "meteor_edge" else "caption_golden.json",
                    "per_item": [{"id": it["id"], "METEOR": float(v)} for it, v in zip(corpus["items"], per_item)]})
    return {"corpus_file": "tests/data/eval/caption_golden.json (input.corpora)", "corpora": out}


# ---- PTBTokenizer -----------------------------------------------------------------------------------

# Raw strings as captions and answers come: quotes, hyphens/dashes, numbers, contractions, unicode,
# brackets, ellipses, slashes, sentence punctuation. No line breaks inside a string (pycocoevalcap
# replaces "\n" before the jar; other line separators would shift its line-per-caption output).
PTB_STRINGS = [
    # quotes
    'The chair is "fine".', '"Quoted" at the start', 'a "quoted" word', "he said 'hello' there",
    "``already'' PTB quotes", "`single' PTB quotes", "\u201ccurly\u201d double and \u2018curly\u2019 single",
    '"nested \'quotes\' here," she said.', "it is 5'6\" tall", "'90s style", "a quote at the end'",
    # hyphens and dashes
    "a well-known e-mail", "10-20 cm", "a - single - hyphen", "dashes -- here", "--leading and trailing--",
    "em\u2014dash and en\u2013dash", "a -5 degree and +3 offset", "self-  spaced", "three-legged-stool",
    # numbers
    "3.5 m long", "1,000 mm wide", "12:30 pm", "1/2 and 3/4 inch", "50% off", "$5.00 each", "#1 pick",
    "2nd 3rd 4th", "the 1990s", "0.5", ".5 left", "100,000.25", "1.2.3", "one,000", "at :30 sharp", "a,5",
    # contractions
    "the chair's legs", "aren't isn't can't won't don't", "I'm you're we've they'd he'll",
    "DON'T SHOUT", "the boys' room", "it\u2019s curly", "cannot gonna wanna gotta", "five o'clock",
    "O'Neil's chair", "yes ma'am", "isn't'",
    # unicode
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9", "\u00dcber \u00c4pfel", "non\u00a0breaking space", "caf\u00e9.",
    "\u00bd cup", "2\u00d73 grid", "90\u00b0 angle", "\u4e2d\u6587 text",
    # brackets
    "a chair (brown)", "[brackets] and {braces}", "((nested))", "(left) [right] {up}", "a (b",
    # ellipses
    "wait...", "wait... what", "\u2026 unicode ellipsis\u2026", "four....", ". . . spaced", "end..",
    # slashes
    "and/or", "left/right side", "a/b/c", "/ alone /", "1/2/3", "chair/", "/table",
    # sentence punctuation and case
    "Is it here?", "Really?!", "Yes!!!", "a, b; c: d", "UPPER lower MiXeD", "It is white. It is tall.",
    "the TV's remote", "", "   padded   ", "tab\tseparated", "double  spaced", "sos this is a chair . eos",
    "x , y", "what ? ! .", "it is a.", "the letter x. next", "a...", "3.5m long", "it's 5pm", "-10-20",
    "wooden?is", "TV!I'm here", "they'd\u00dcber", "10-20don't",
]


def tokenize_ptb(pc):
    captions = {f"s{i}": [{"caption": s}] for i, s in enumerate(PTB_STRINGS)}
    tokenized = pc.PTBTokenizer().tokenize(captions)
    return {"cases": [{"raw": s, "tokenized": tokenized[f"s{i}"][0]} for i, s in enumerate(PTB_STRINGS)]}


# ---- main -------------------------------------------------------------------------------------------

def run_repository(git_dir, commit, tmp, name):
    folder = os.path.join(tmp, name)
    extract(git_dir, commit, folder)
    return load_upstream(folder)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inst3d", required=True, help="git dir of hanxunyu/Inst3D-LMM")
    ap.add_argument("--chat-scene", required=True, help="git dir of ZzZZCHS/Chat-Scene")
    ap.add_argument("--inst3d-commit", default="HEAD")
    ap.add_argument("--chat-scene-commit", default="HEAD")
    ap.add_argument("--pycocoevalcap", default="/opt/inst3d-deps/pycocoevalcap",
                    help="unpacked pycocoevalcap 1.2 wheel, used when the package is not installed")
    ap.add_argument("--out", default=os.path.join(REPO, "tests/data/eval/inst3d"))
    a = ap.parse_args()

    stub_scipy_if_missing()
    pc = import_pycocoevalcap(a.pycocoevalcap)
    source = {"inst3d_lmm": {"repo": "hanxunyu/Inst3D-LMM", "commit": git_commit(a.inst3d, a.inst3d_commit)},
              "chat_scene": {"repo": "ZzZZCHS/Chat-Scene", "commit": git_commit(a.chat_scene, a.chat_scene_commit)},
              "pycocoevalcap": "1.2", "generator": "tools/oracles/make_inst3d_eval_goldens.py"}
    os.makedirs(a.out, exist_ok=True)
    # The evaluators and pycocoevalcap's Bleu print progress on stdout: keep it for our own lines.
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(sys.stderr):
        results = {}
        for name, git_dir, commit in (("inst3d", a.inst3d, source["inst3d_lmm"]["commit"]),
                                      ("chat_scene", a.chat_scene, source["chat_scene"]["commit"])):
            evaluator, _ = run_repository(git_dir, commit, tmp, name)
            results[name] = {"scanqa": score_qa(evaluator, pc, qa_rows(SCANQA_CASES, False), "scanqa"),
                             "sqa3d": score_qa(evaluator, pc, qa_rows(SQA3D_CASES, True), "sqa3d")}
            for bench in ("scanqa", "sqa3d"):
                r = results[name][bench]
                em = sum(p["em"] for p in r["per_item"]) / len(r["per_item"])
                assert em == r["scores"][f"[{bench}] EM1"], (name, bench, "rows alone disagree with the whole")
            if name == "inst3d":
                scan2cap = score_scan2cap(evaluator, pc, os.path.join(tmp, "scan2cap_work"))
        qa = {"source": source,
              "scanqa": {"rows": qa_rows(SCANQA_CASES, False),
                         "inst3d": results["inst3d"]["scanqa"], "chat_scene": results["chat_scene"]["scanqa"]},
              "sqa3d": {"rows": qa_rows(SQA3D_CASES, True),
                        "inst3d": results["inst3d"]["sqa3d"], "chat_scene": results["chat_scene"]["sqa3d"]}}
        outputs = {"qa.json": qa, "scan2cap.json": dict(source=source, **scan2cap),
                   "meteor.json": dict(source=source, **score_meteor(pc)),
                   "ptb.json": dict(source=source, **tokenize_ptb(pc))}
    for name, data in outputs.items():
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"wrote {os.path.join(a.out, name)}")


if __name__ == "__main__":
    main()
