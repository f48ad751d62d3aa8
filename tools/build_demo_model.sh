#!/usr/bin/env bash
# Rebuilds the bundled demo model (resources/models/demo, docs/demo-model.md) with inst3d alone, from
# `inst3d synth` with fixed seeds: the synthetic world, the 3D encoder's own world and its pre-training,
# feature extraction, training (ScanRefer first, then all six tasks), evaluation beside --blind on the
# val scenes and on held-out worlds (another seed; larger, fuller rooms), the bundle, and the demo
# scene's feature cache.
#   tools/build_demo_model.sh [--work DIR] [--stage NAME] [--no-install]
#     --work DIR     where the worlds, caches and run go (default /tmp/inst3d-demo); stages already done
#                    there are skipped, so an interrupted build continues
#     --stage NAME   run from this stage on: world encoder extract train eval heldout bundle
#     --no-install   leave resources/models/demo as it is (the bundle is still made under DIR/bundle)
# About 55 minutes on 2 cores before evaluation (docs/demo-model.md has the figures).
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
GROUND="$WORK/ground"        # stage 1: ScanRefer alone (ground.yaml)
RUN="$WORK/run"              # stage 2: stage 1 resumed with all six tasks (train.yaml)
BUNDLE="$WORK/bundle"
TASKS=(scanrefer multi3dref scan2cap scanqa sqa3d nr3d)
STAGES=(world encoder extract train eval heldout bundle)
# Held-out worlds: scenes no part of the model saw, as the training world draws them and with layouts it
# never drew (rooms 1.4 x wider and deeper, 12 more objects: about 34 of the 40 identifier slots).
HELDOUT_SEEN_LAYOUT=(--seed 11)
HELDOUT_NEW_LAYOUT=(--seed 12 synth.room_scale=1.4 synth.extra_objects=12)

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
  log "world: 80 scenes, seed 17, 10 ScanRefer sentences per object"
  timed "$BIN" synth --out "$WORLD" --scenes 80 --seed 17 synth.descriptions_per_target=10 synth.descriptions_per_scene=400
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

# `train --resume` of a finished run does nothing, so both stages may be run again safely.
train_stage() {  # $1 recipe, $2 output
  local again=()
  [ -f "$2/checkpoint/checkpoint.json" ] && again=(--resume)
  timed "$BIN" train "${again[@]}" --config "$1" data.root="$WORLD" data.features="$WORLD/features" output="$2"
}
if reached train; then
  log "train, stage 1: resources/models/demo/ground.yaml (ScanRefer alone)"
  train_stage "$DEMO/ground.yaml" "$GROUND"
  if [ ! -f "$RUN/checkpoint/checkpoint.json" ]; then
    mkdir -p "$RUN"
    cp -r "$GROUND/checkpoint" "$GROUND/loss.jsonl" "$RUN/"
  fi
  log "train, stage 2: resources/models/demo/train.yaml (all six tasks, resumed)"
  train_stage "$DEMO/train.yaml" "$RUN"
fi

evaluate() {  # $1 world, $2 features, $3 output prefix, then tasks
  local world="$1" features="$2" prefix="$3" t mode out extra
  shift 3
  for t in "$@"; do
    for mode in scene blind; do
      out="$prefix-$t-$mode"
      [ -f "$out/summary.json" ] && continue
      log "eval: $t ($mode) on $world"
      extra=()
      [ "$mode" = blind ] && extra=(--blind)
      timed "$BIN" eval --checkpoint "$RUN/checkpoint" --data "$world" --features "$features" --tags "$t" --out "$out" "${extra[@]}"
    done
  done
}
if reached eval; then
  evaluate "$WORLD" "$WORLD/features" "$RUN/eval" "${TASKS[@]}"
  # The built-in segmenter's proposals instead of the ground-truth instances (class-agnostic, as Mask3D's).
  [ -f "$WORLD/features-builtin/scene0000_00.features.safetensors" ] ||
    timed "$BIN" extract --scenes "$WORLD/scans" --out "$WORLD/features-builtin" --uni3d "$UNI3D" --uni3d-config tiny --clip random:tiny --proposals builtin
  evaluate "$WORLD" "$WORLD/features-builtin" "$RUN/eval-builtin" scanrefer
fi

heldout_world() {  # $1 folder, then synth arguments
  local dir="$1"
  shift
  [ -f "$dir/splits/scannetv2_val.txt" ] ||
    timed "$BIN" synth --out "$dir" --scenes 40 "$@" synth.descriptions_per_target=10 synth.descriptions_per_scene=400
  [ -f "$dir/features/scene0000_00.features.safetensors" ] ||
    timed "$BIN" extract --scenes "$dir/scans" --out "$dir/features" --uni3d "$UNI3D" --uni3d-config tiny --clip random:tiny --proposals gt
}
if reached heldout; then
  heldout_world "$WORK/heldout-seed11" "${HELDOUT_SEEN_LAYOUT[@]}"
  evaluate "$WORK/heldout-seed11" "$WORK/heldout-seed11/features" "$RUN/heldout-seed11" "${TASKS[@]}"
  heldout_world "$WORK/heldout-layout" "${HELDOUT_NEW_LAYOUT[@]}"
  evaluate "$WORK/heldout-layout" "$WORK/heldout-layout/features" "$RUN/heldout-layout" "${TASKS[@]}"
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
  for f in "$RUN"/eval-*/summary.json "$RUN"/heldout-*/summary.json; do
    [ -f "$f" ] && cp "$f" "$BUNDLE.tmp/$(basename "$(dirname "$f")").json"
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
