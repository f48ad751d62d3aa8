#!/usr/bin/env python3
"""Times pycocoevalcap's Python BLEU / ROUGE-L / CIDEr scorers on a corpus written by
`inst3d_bench_captions --write-corpus FILE` and prints the values to compare with inst3d's.
Usage: PYCOCO=/path/to/pycocoevalcap python3 bench/captions_peer.py FILE   (needs numpy)."""
import json, os, sys, time

sys.path.insert(0, os.path.dirname(os.environ["PYCOCO"].rstrip("/")))
pkg = os.path.basename(os.environ["PYCOCO"].rstrip("/"))
Bleu = __import__(pkg + ".bleu.bleu", fromlist=["Bleu"]).Bleu
Rouge = __import__(pkg + ".rouge.rouge", fromlist=["Rouge"]).Rouge
Cider = __import__(pkg + ".cider.cider", fromlist=["Cider"]).Cider

items = json.load(open(sys.argv[1]))["corpora"][0]["items"]
gts = {it["id"]: it["references"] for it in items}
res = {it["id"]: [it["candidate"]] for it in items}
for name, scorer in (("BLEU-1..4", lambda: Bleu(4).compute_score(gts, res, verbose=0)[0]),
                     ("ROUGE-L", lambda: Rouge().compute_score(gts, res)[0]),
                     ("CIDEr-D", lambda: Cider().compute_score(gts, res)[0])):
    t0 = time.perf_counter()
    value = scorer()
    dt = time.perf_counter() - t0
    shown = " ".join(repr(float(v)) for v in value) if isinstance(value, list) else repr(float(value))
    print(f"{name:<10} {dt:10.3f}  {shown}")
