#!/usr/bin/env bash
# Fuzzes inst3d's readers of hostile files with libFuzzer, ASan and UBSan (docs/reliability.md, "Fuzzing").
#   tools/fuzz.sh [--seconds N] [--only NAME] [--no-build]
#     --seconds N  time per target (default 60); 0 runs the seed corpus once (what CI does)
#     --only NAME  one target: ply obj safetensors torch_checkpoint pickle scannet_json scene_meta sens images
# Builds build-fuzz/ with clang-14 (INST3D_FUZZ=ON: the core alone, instrumented), seeds each target's
# corpus from the project's fixtures, the bad-input corpus, a tiny synthetic scene and the inputs that
# once crashed a reader (tests/fuzz/regressions/), runs it, and then
# runs the bad-input corpus (tests/data/bad/cases.tsv) through the instrumented `inst3d` too. Crashes
# are kept in build-fuzz/crashes/<target>/; reproduce one with build-fuzz/fuzz/fuzz_<target> FILE.
# Exits 1 when any target found a crash, a leak or undefined behaviour.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET=60
ONLY=""
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
OUT="$HERE/build-fuzz"
MAX_SEED_BYTES=262144      # larger fixtures slow every mutation; the readers' paths are all in the first KBs
TIMEOUT_PER_INPUT_S=10     # a slower input is reported as a hang
RSS_LIMIT_MB=2048
log() { printf '\033[1m[fuzz]\033[0m %s\n' "$*"; }

if [ "$BUILD" = 1 ]; then
  command -v clang++-14 >/dev/null || { echo "fuzz.sh: clang++-14 not found (apt install clang-14 libclang-rt-14-dev; tools/setup.sh does)" >&2; exit 1; }
  if [ ! -f "$OUT/build.ninja" ]; then
    launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    CC=clang-14 CXX=clang++-14 cmake -S "$HERE" -B "$OUT" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DINST3D_FUZZ=ON "${launcher[@]}" > /dev/null
  fi
  # As tools/setup.sh: ccache hits shared between clones in different folders (CI's fresh clone).
  export CCACHE_BASEDIR="$HERE" CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
  log "building the instrumented core and the fuzz targets in $OUT"
  cmake --build "$OUT" -j"$(nproc)" > "$OUT/build.log" || { tail -30 "$OUT/build.log" >&2; exit 1; }
fi

# --- seed corpora ---------------------------------------------------------------------------------
seed() {  # $1 target, then find(1) arguments naming the seed files
  local target=$1 dir="$OUT/corpus/$1"
  shift
  mkdir -p "$dir"
  find "$HERE/tests/data" "$HERE/resources/demo" "$OUT/seed-scene" "$@" -size -"$MAX_SEED_BYTES"c \
    -exec cp -t "$dir" {} + 2>/dev/null || true
}
if [ ! -d "$OUT/seed-scene" ]; then
  log "a tiny synthetic scene for the .sens, JSON and scene.txt seeds"
  "$OUT/inst3d" synth --out "$OUT/seed-world" --scenes 1 --seed 3 synth.frames=2 synth.color_width=64 \
    synth.color_height=48 synth.depth_width=32 synth.depth_height=24 > /dev/null
  mv "$OUT/seed-world/scans/scene0000_00" "$OUT/seed-scene"
  rm -rf "$OUT/seed-world"
fi
seed ply -type f -name '*.ply'
# Inputs that once crashed a reader (tests/fuzz/regressions/<target>/): rerun on every run, CI's included.
for d in "$HERE"/tests/fuzz/regressions/*/; do
  mkdir -p "$OUT/corpus/$(basename "$d")" && cp "$d"* "$OUT/corpus/$(basename "$d")/"
done
seed obj -type f -name '*.obj'
seed safetensors -type f -name '*.safetensors'
seed torch_checkpoint -type f \( -name '*.pt' -o -name '*.pth' -o -name '*.bin' \)
seed pickle -type f -name '*.pkl'
# The pickle target reads bare pickles: the data.pkl inside each checkpoint seed (a .pt is a ZIP).
for f in "$OUT"/corpus/torch_checkpoint/*; do
  entry=$(unzip -Z1 "$f" 2>/dev/null | grep -m 1 '/data\.pkl$') || continue
  unzip -p "$f" "$entry" > "$OUT/corpus/pickle/$(basename "$f").pkl" 2>/dev/null || true
done
seed scannet_json -type f \( -name '*.segs.json' -o -name '*.aggregation.json' \)
seed scene_meta -type f -name 'scene*.txt'
seed sens -type f -name '*.sens'
seed images -type f \( -name '*.jpg' -o -name '*.png' \)
# The image target's first byte picks the decoder: prefix each seed with the byte for its own.
for f in "$OUT"/corpus/images/*; do
  case "$f" in *.jpg) b='\x00' ;; *.png) b='\x01' ;; *) continue ;; esac
  { printf "$b"; cat "$f"; } > "$f.seed" && rm "$f"
done

# --- run ------------------------------------------------------------------------------------------
TARGETS=(ply obj safetensors torch_checkpoint pickle scannet_json scene_meta sens images)
[ -n "$ONLY" ] && TARGETS=("$ONLY")
failed=()
for t in "${TARGETS[@]}"; do
  bin="$OUT/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
  mkdir -p "$OUT/crashes/$t" "$OUT/found/$t"
  args=(-timeout="$TIMEOUT_PER_INPUT_S" -rss_limit_mb="$RSS_LIMIT_MB" -artifact_prefix="$OUT/crashes/$t/"
        -print_final_stats=1)
  if [ "$SECONDS_PER_TARGET" = 0 ]; then
    args+=(-runs=0)          # each seed once, no mutation
  else
    args+=(-max_total_time="$SECONDS_PER_TARGET")
  fi
  n=$(ls "$OUT/corpus/$t" | wc -l)
  log "$t: $n seeds, ${SECONDS_PER_TARGET} s"
  # New inputs go to found/ so the seed folders stay the project's files.
  if UBSAN_OPTIONS=print_stacktrace=1 "$bin" "${args[@]}" "$OUT/found/$t" "$OUT/corpus/$t" > "$OUT/$t.log" 2>&1; then
    log "$t: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$OUT/$t.log" | grep -o '[0-9]*$') inputs, no crash"
  else
    failed+=("$t")
    log "$t: CRASH ($OUT/$t.log; inputs in $OUT/crashes/$t/)"
    grep -m 3 -E 'ERROR: |runtime error|SUMMARY' "$OUT/$t.log" >&2 || tail -5 "$OUT/$t.log" >&2
  fi
done

# --- the bad-input corpus through the instrumented inst3d (its core verbs) --------------------------
if [ -z "$ONLY" ]; then
  log "bad-input corpus through the ASan + UBSan inst3d"
  bad="$HERE/tests/data/bad"
  ran=0
  while IFS=$'\t' read -r file arguments fragment; do
    case "$file" in ''|'#'*) continue ;; esac
    verb=${arguments%% *}
    "$OUT/inst3d" "$verb" --help > /dev/null 2>&1 || continue   # a neural verb: not in the core-only build
    out=$(mktemp -u "$OUT/bad-out.XXXXXX")
    cmd=${arguments//\{file\}/$bad/$file}
    cmd=${cmd//\{out\}/$out}
    # shellcheck disable=SC2086  # the arguments are words
    ASAN_OPTIONS=detect_leaks=1 "$OUT/inst3d" $cmd > "$OUT/bad.log" 2>&1 || true  # the refusal exits 1
    if grep -q -E 'Sanitizer|runtime error' "$OUT/bad.log"; then
      failed+=("bad:$file")
      log "bad-input $file: sanitizer report"
      grep -m 3 -E 'ERROR: |runtime error|SUMMARY' "$OUT/bad.log" >&2
    fi
    rm -rf "$out"
    ran=$((ran + 1))
  done < "$bad/cases.tsv"
  log "bad-input corpus: $ran files through the core verbs"
fi

if [ ${#failed[@]} -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "no crash, leak or undefined behaviour"
