#!/usr/bin/env bash
# The BLAS behind Debian's LibTorch, compared: for every libblas.so.3 alternative installed on this machine
# (reference, OpenBLAS, BLIS, ...), `inst3d bench` (fp32 matmul 1024^3 on 1 and all threads), one Uni3D-ti
# instance (4096 points) and the tiny LLM's decode speed, on 1 thread and on all CPUs. Switches the
# alternative for each run (root) and puts the original choice back when it ends.
#   bench/blas.sh [BUILD_DIR]        (needs: build/inst3d; install libblis4-openmp to include BLIS)
set -euo pipefail
BUILD="${1:-$(cd "$(dirname "$0")/.." && pwd)/build}"
ALT=libblas.so.3-x86_64-linux-gnu
mode="$(update-alternatives --query "$ALT" | sed -n 's/^Status: //p')"
orig="$(update-alternatives --query "$ALT" | sed -n 's/^Value: //p')"
restore() { if [ "$mode" = auto ]; then update-alternatives --auto "$ALT" >/dev/null; else update-alternatives --set "$ALT" "$orig" >/dev/null; fi; }
trap restore EXIT
all="$(nproc)"
echo "| libblas.so.3 | BLAS reported | matmul 1 thread GFLOP/s | matmul $all threads GFLOP/s | Uni3D-ti s/instance (1 / $all threads) | tiny LLM decode tokens/s (1 / $all threads) |"
echo "|---|---|---|---|---|---|"
for lib in $(update-alternatives --list "$ALT"); do
  update-alternatives --set "$ALT" "$lib" >/dev/null
  m="$("$BUILD/inst3d" bench)"
  name="$(sed -n '1s/^BLAS: \(.*\) \[.*/\1/p' <<<"$m")"
  one="$(awk -F'|' '/\| 1 thread/ {gsub(/ /, "", $3); print $3}' <<<"$m")"
  many="$(awk -F'|' '/threads \|/ {gsub(/ /, "", $3); print $3}' <<<"$m")"
  uni=() llm=()
  for t in 1 "$all"; do
    uni+=("$("$BUILD/inst3d" bench encoders --clip none --uni3d random:ti --instances 1 --matmul 0 --threads "$t" | awk -F'|' '/uni3d-ti/ {gsub(/ /, "", $4); print $4}')")
    llm+=("$("$BUILD/inst3d" bench llm --random-config tiny --prompt-tokens 32 --new-tokens 32 --threads "$t" | sed -n 's/^| decode | \([0-9.]*\) tokens.*/\1/p')")
  done
  echo "| ${lib#/usr/lib/x86_64-linux-gnu/} | $name | $one | $many | ${uni[0]} / ${uni[1]} | ${llm[0]} / ${llm[1]} |"
done
