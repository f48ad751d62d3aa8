#!/usr/bin/env bash
# Latency of grounding answers in `inst3d chat` (docs/demo-model.md, "Measured"): the first N ScanRefer
# descriptions of a scene asked one by one in the grounding prompt's form, through `inst3d chat SCENE --json`
# reading them from stdin (one process: the model and the scene load once), then the medians.
#   tools/chat_latency.sh [--model DIR] [--scene DIR] [--questions N] [--threads T]
# Defaults: the bundled demo model, the demo scene, 20 questions, 2 threads. Needs python3 for the summary.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${INST3D:-$HERE/build/inst3d}"
SCENE="$HERE/resources/demo/scene0000_00"
QUESTIONS=20
THREADS=2
MODEL=()
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=(--model "$2"); shift ;;
    --scene) SCENE="$2"; shift ;;
    --questions) QUESTIONS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "chat_latency.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
ROOT="$(dirname "$(dirname "$SCENE")")"
[ -d "$ROOT/ScanRefer" ] || ROOT="$(dirname "$SCENE")"  # the demo scene's language files sit beside it
ID="$(basename "$SCENE")"

python3 - "$ROOT" "$ID" "$QUESTIONS" <<'EOF' > /tmp/chat_latency.questions
import glob, json, sys
root, scene, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [r for f in sorted(glob.glob(root + "/ScanRefer/ScanRefer_filtered_*.json")) for r in json.load(open(f))]
asked = [r["description"] for r in rows if r["scene_id"] == scene][:n]
if len(asked) < n: sys.exit(f"chat_latency.sh: {root}/ScanRefer has {len(asked)} descriptions of {scene}, {n} asked")
for d in asked: print(f'Which object matches the description "{d}"? Give its ID.')
EOF
"$BIN" chat "$SCENE" "${MODEL[@]}" --json --no-history --threads "$THREADS" < /tmp/chat_latency.questions > /tmp/chat_latency.jsonl
python3 - /tmp/chat_latency.jsonl <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = [r["timings"] for r in rows]
def med(k):
    v = [x[k] for x in t if x[k] is not None]
    return statistics.median(v) if v else float("nan")
grounded = sum(x["grounded_s"] is not None for x in t)
print(f"{len(rows)} questions: first token {1000 * med('first_token_s'):.1f} ms, grounded ids "
      f"{1000 * med('grounded_s'):.1f} ms ({grounded} grounded), answer complete {1000 * med('total_s'):.1f} ms (medians); "
      f"decode {med('decode_tokens_per_s'):.0f} tokens/s; load: model {1000 * t[0]['load_model_s']:.0f} ms, "
      f"scene {1000 * t[0]['load_scene_s']:.0f} ms")
EOF
