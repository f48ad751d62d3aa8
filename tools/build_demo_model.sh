#!/usr/bin/env bash
# Rebuilds the bundled demo model (resources/models/demo, docs/demo-model.md) with inst3d alone, from
# `inst3d synth` with fixed seeds: the synthetic world, the 3D encoder's own world and its pre-training,
# feature extraction, multi-task training on all six tasks, evaluation beside --blind, the bundle, and
# the demo scene's feature cache.
#   tools/build_demo_model.sh [--work DIR] [--stage NAME] [--no-install]
#     --work DIR     where the worlds, caches and run go (default /tmp/inst3d-demo); stages already done
#                    there are skipped, so an interrupted build continues
#     --stage NAME   run from this stage on: world encoder extract train eval bundle
#     --no-install   leave resources/models/demo as it is (the bundle is still made under DIR/bundle)
# About 45 minutes on 2 cores before evaluation (docs/demo-model.md has the figures).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${INST3D:-$HERE/build/inst3d}"
WORK=/tmp/inst3d-demo
FROM=world
INSTALL=1
while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK="$2"; shift ;;
    --stage) FROM="$2"; shift ;;
    --no-install) INSTALL=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build_demo_model.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$BIN" ] || { echo "build_demo_model.sh: $BIN not found (build inst3d first: tools/setup.sh)" >&2; exit 1; }

DEMO="$HERE/resources/models/demo"
WORLD="$WORK/world"          # the language model's world: its train split trains, its val split scores
ENCWORLD="$WORK/encoder"     # the 3D encoder's own world (another seed), so no scored scene is seen by any part
UNI3D="$WORK/uni3d-tiny.safetensors"
RUN="$WORK/run"
BUNDLE="$WORK/bundle"
TASKS=(scanrefer multi3dref scan2cap scanqa sqa3d nr3d)
STAGES=(world encoder extract train eval bundle)

log() { printf '\033[1m[demo %s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*"; }
timed() { local t0=$SECONDS; "$@"; log "took $((SECONDS - t0)) s"; }
reached() {  # is stage $1 at or after --stage?
  local s seen=0
  for s in "${STAGES[@]}"; do
    [ "$s" = "$FROM" ] && seen=1
    [ "$s" = "$1" ] && { [ "$seen" = 1 ]; return; }
  done
  return 1
}
case " ${STAGES[*]} " in *" $FROM "*) ;; *) echo "build_demo_model.sh: unknown stage $FROM (${STAGES[*]})" >&2; exit 2 ;; esac
mkdir -p "$WORK"

if reached world && [ ! -f "$WORLD/splits/scannetv2_val.txt" ]; then
  log "world: 40 scenes, seed 7, 10 ScanRefer sentences per object"
  timed "$BIN" synth --out "$WORLD" --scenes 40 --seed 7 synth.descriptions_per_target=10 synth.descriptions_per_scene=400
fi

if reached encoder && [ ! -f "$UNI3D" ]; then
  log "encoder: tiny Uni3D pre-trained on categories and colours of its own 200-scene world (seed 1000)"
  [ -f "$ENCWORLD/splits/scannetv2_train.txt" ] || "$BIN" synth --out "$ENCWORLD" --scenes 200 --seed 1000 --no-frames --no-language
  timed "$BIN" pretrain uni3d --data "$ENCWORLD" --out "$UNI3D" --epochs 40
fi

if reached extract; then
  log "extract: GT proposals, the pre-trained Uni3D, the tiny random CLIP"
  timed "$BIN" extract --scenes "$WORLD/scans" --out "$WORLD/features" --uni3d "$UNI3D" --uni3d-config tiny --clip random:tiny --proposals gt
fi

if reached train && [ ! -f "$RUN/checkpoint/checkpoint.json" ]; then
  log "train: resources/models/demo/train.yaml (all six tasks)"
  timed "$BIN" train --config "$DEMO/train.yaml" data.root="$WORLD" data.features="$WORLD/features" output="$RUN"
fi

if reached eval; then
  for t in "${TASKS[@]}"; do
    for mode in scene blind; do
      out="$RUN/eval-$t-$mode"
      [ -f "$out/summary.json" ] && continue
      log "eval: $t ($mode)"
      extra=()
      [ "$mode" = blind ] && extra=(--blind)
      timed "$BIN" eval --checkpoint "$RUN/checkpoint" --data "$WORLD" --features "$WORLD/features" --tags "$t" --out "$out" "${extra[@]}"
    done
  done
fi

if reached bundle; then
  log "bundle: $BUNDLE"
  rm -rf "$BUNDLE.tmp" && mkdir -p "$BUNDLE.tmp/encoders"
  cp -r "$RUN/checkpoint" "$BUNDLE.tmp/checkpoint"
  rm -f "$BUNDLE.tmp/checkpoint/trainer_state.safetensors"  # optimizer moments: only --resume reads them
  cp "$UNI3D" "$BUNDLE.tmp/encoders/uni3d-tiny.safetensors"
  cat > "$BUNDLE.tmp/encoders.json" <<'EOF'
{"uni3d": "encoders/uni3d-tiny.safetensors", "uni3d_config": "tiny", "clip": "random:tiny", "proposals": "gt"}
EOF
  cp "$RUN/loss.png" "$BUNDLE.tmp/loss.png"
  for t in "${TASKS[@]}"; do
    for mode in scene blind; do cp "$RUN/eval-$t-$mode/summary.json" "$BUNDLE.tmp/eval-$t-$mode.json"; done
  done
  rm -rf "$BUNDLE" && mv "$BUNDLE.tmp" "$BUNDLE"
  du -sh "$BUNDLE"
  if [ "$INSTALL" = 1 ]; then
    log "install: $DEMO and the demo scene's feature cache"
    for f in checkpoint encoders encoders.json loss.png; do rm -rf "${DEMO:?}/$f"; cp -r "$BUNDLE/$f" "$DEMO/$f"; done
    mkdir -p "$DEMO/scores" && cp "$BUNDLE"/eval-*.json "$DEMO/scores/"
    "$BIN" extract --scenes "$HERE/resources/demo" --out "$HERE/resources/demo/scene0000_00" --no-resume \
      --uni3d "$DEMO/encoders/uni3d-tiny.safetensors" --uni3d-config tiny --clip random:tiny --proposals gt
  fi
fi
log "done"
