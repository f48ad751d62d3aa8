#!/usr/bin/env python3
"""Writes caption_golden.json: small fixed corpora and the scores pycocoevalcap's own Python scorers
give them. Not part of the build; run by hand with a checkout of pycocoevalcap:

    PYCOCO=/path/to/pycocoevalcap-checkout python3 make_caption_golden.py > caption_golden.json

PYCOCO is a folder holding the package's bleu/, rouge/ and cider/ subfolders (numpy needed)."""
import json, os, random, sys

sys.path.insert(0, os.path.dirname(os.environ["PYCOCO"].rstrip("/")))
pkg = os.path.basename(os.environ["PYCOCO"].rstrip("/"))
Bleu = __import__(pkg + ".bleu.bleu", fromlist=["Bleu"]).Bleu
Rouge = __import__(pkg + ".rouge.rouge", fromlist=["Rouge"]).Rouge
Cider = __import__(pkg + ".cider.cider", fromlist=["Cider"]).Cider


def hand_corpus():
    # Edge cases: empty candidate, closest-length tie (refs of 4 and 6 tokens for a 5-token
    # candidate), repeated n-grams (clipping), a candidate longer than every reference, one exact
    # match, double spaces (ROUGE splits on single spaces), unicode whitespace.
    return [
        ("a", "the chair is next to the table", ["the chair is next to the table", "a chair beside a table"]),
        ("b", "", ["there is a brown chair", "a chair"]),
        ("c", "a red red red box", ["a red box on the floor", "the box is red"]),
        ("d", "it is a tall white cabinet", ["tall cabinet", "white tall cabinet near the wall",
                                          "the cabinet is white and it is tall"]),
        ("e", "sos this is a lamp eos", ["sos this is a lamp eos"]),
        ("f", "the the the the", ["the cat", "the the dog"]),
        ("g", "a  sofa in  the corner", ["a sofa in the corner", "the sofa  is in the corner of the room"]),
        ("h", "window\u00a0above desk", ["the window is above the desk", "window above a desk"]),
        ("i", "one two three four five", ["one two three four", "one two three four five six"]),
    ]


def random_corpus(n, seed):
    rng = random.Random(seed)
    vocab = ("the a chair table desk lamp is on in near left right of brown white black wooden small "
             "large two it this there room wall corner bed sofa cabinet door window beside under").split()
    def sentence():
        return " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 14)))
    return [(f"r{i}", sentence(), [sentence() for _ in range(rng.randint(1, 5))]) for i in range(n)]


def score(items):
    gts = {i: refs for i, _, refs in items}
    res = {i: [cand] for i, cand, _ in items}
    bleu, bleu_items = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, rouge_items = Rouge().compute_score(gts, res)
    cider, cider_items = Cider().compute_score(gts, res)
    corpus = {f"Bleu_{k + 1}": float(bleu[k]) for k in range(4)}
    corpus.update({"ROUGE_L": float(rouge), "CIDEr": float(cider)})
    per_item = []
    for n, (i, _, _) in enumerate(items):
        row = {"id": i}
        row.update({f"Bleu_{k + 1}": float(bleu_items[k][n]) for k in range(4)})
        row.update({"ROUGE_L": float(rouge_items[n]), "CIDEr": float(cider_items[n])})
        per_item.append(row)
    return corpus, per_item


corpora = [("hand", hand_corpus()), ("single", [hand_corpus()[2]]), ("random300", random_corpus(300, 4))]
out = {"note": "", "input": {"corpora": []}, "expected": {"corpora": []}}
for name, items in corpora:
    out["input"]["corpora"].append({"name": name, "items": [
        {"id": i, "candidate": c, "references": r} for i, c, r in items]})
    corpus, per_item = score(items)
    out["expected"]["corpora"].append({"name": name, "corpus": corpus, "per_item": per_item})
out["note"] = os.environ.get("GOLDEN_NOTE", "")
json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
print()
