#!/usr/bin/env bash
# Fails when an #include crosses a layer boundary of docs/architecture.md's module map. The core's
# CMake targets (core/CMakeLists.txt) share one include root, so a header of a layer a module must not
# know compiles anyway; this check is what makes the map binding. Run by CTest (label `layers`).
#   tools/check_layers.sh [ROOT]       checks ROOT (default: this checkout); one line per violation
#   tools/check_layers.sh --self-test  a scratch tree with bad includes must fail, a clean one pass
set -euo pipefail

# Project folders each area may include, besides its own folder. Core layers list the closure of what
# their target links (core/CMakeLists.txt); keep the three in step.
declare -A ALLOW=(
  [core/common]=""
  [core/scene]="core/common"
  [core/config]="core/common"
  [core/io]="core/common core/scene"
  [core/geometry]="core/common core/scene core/config"
  [core/proposals]="core/common core/scene core/io"
  [core/features]="core/common core/scene core/config core/io core/geometry core/proposals"
  [core/data]="core/common core/scene core/config core/io core/geometry"
  [core/eval]="core/common core/scene core/config core/io core/geometry core/data"
  [core/synth]="core/common core/scene core/config core/io core/geometry core/data"
  [core/cli]="core"
  [models]="core"
  [training]="core models"
  [render]="core"
  [ui]="core render models training"
)
# Third-party headers an area never includes (<...> includes, extended regular expressions).
QT='^Q[A-Za-z]|^Qt'
VTK='^vtk'
TORCH='^(torch|ATen|c10|caffe2)/'
OPEN3D='^(open3d|Open3D)/'
declare -A DENY=(
  [core]="$QT|$VTK|$TORCH|$OPEN3D|^X11/|^GL/"
  [models]="$QT|$VTK|$OPEN3D"
  [training]="$QT|$VTK|$OPEN3D"
  [render]="^QtWidgets/|^Q[A-Za-z]*(Widget|Window|Dialog|Application)$"
)
PROJECT_DIRS='^(core|models|training|render|ui|app|bench|tests)/'

# The area whose rules apply to a file: its core layer, else its top-level folder.
area_of() {
  local f="$1"
  case "$f" in
    core/*/*) echo "${f%%/*}/$(cut -d/ -f2 <<<"$f")" ;;
    *) echo "${f%%/*}" ;;
  esac
}

# May `area` include the project header `path`?
allowed() {
  local area="$1" path="$2" a
  [[ "$path" == "$area/"* ]] && return 0
  for a in ${ALLOW[$area]-}; do [[ "$path" == "$a/"* ]] && return 0; done
  return 1
}

# "LINE:PATH" per #include of a file; a quoted include's PATH keeps its opening quote.
includes_of() {
  awk 'match($0, /^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"][^>"]+[>"]/) {
         s = substr($0, RSTART, RLENGTH); q = index(s, "\"") ? "\"" : ""
         sub(/^[^<"]*[<"]/, "", s); sub(/[>"]$/, "", s); print FNR ":" q s }' "$1"
}

# Prints "file:line: problem" for each bad include of one file.
check_file() {
  local file="$1" area deny n path
  area="$(area_of "$file")"
  deny="${DENY[${area%%/*}]:-}"
  while IFS=: read -r n path; do
    if [[ "${path#\"}" =~ $PROJECT_DIRS ]]; then
      allowed "$area" "${path#\"}" || echo "$file:$n: $area must not include ${path#\"}"
    elif [[ "$path" == \"* ]]; then
      echo "$file:$n: include ${path#\"} by its path from the repository root (core/..., models/...)"
    elif [ -n "$deny" ] && [[ "$path" =~ $deny ]]; then
      echo "$file:$n: $area must not include <$path>"
    fi
  done < <(includes_of "$file")
}

# Every core folder needs a row: a new one would otherwise go unchecked.
unlisted_core_folders() {
  local d
  for d in core/*/; do
    d="${d%/}"
    [ -n "${ALLOW[$d]+x}" ] || echo "$d: no row in tools/check_layers.sh (nor a layer in core/CMakeLists.txt)"
  done
}

check_tree() {
  local root="$1" out area f
  cd "$root"
  out="$( (unlisted_core_folders
           for area in "${!ALLOW[@]}"; do
             [ -d "$area" ] || continue
             while read -r f; do check_file "$f"; done < <(find "$area" -type f \( -name '*.h' -o -name '*.hpp' \
                                                             -o -name '*.cpp' -o -name '*.cc' \))
           done) | sort -u)"
  if [ -n "$out" ]; then
    echo "$out" >&2
    echo "check_layers: $(wc -l <<<"$out") include(s) break docs/architecture.md's module map" >&2
    return 1
  fi
  echo "check_layers: every include follows the module map"
}

self_test() {
  local tmp status=0
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp"/core/{common,io,eval,data} "$tmp"/models/llm
  printf '#include <string>\n#include "core/common/error.h"\n' >"$tmp/core/io/ok.cpp"
  printf '#include "core/io/ok.h"\n#include <vector>\n' >"$tmp/core/data/ok.cpp"
  printf '#include <torch/torch.h>\n#include "core/io/ok.h"\n' >"$tmp/models/llm/ok.cpp"
  (check_tree "$tmp" >/dev/null) || { echo "self-test: a clean tree failed" >&2; status=1; }
  printf '#include "core/eval/box_metrics.h"\n' >"$tmp/core/data/bad.h"      # data below eval
  printf '  #  include <QString>\n' >"$tmp/core/io/bad.cpp"                  # Qt in the core
  printf '#include "../eval/x.h"\n' >"$tmp/core/common/bad.cpp"             # relative path
  printf '#include "ui/main_window.h"\n' >"$tmp/models/llm/bad.cpp"        # models above ui
  local err
  err="$( (check_tree "$tmp" >/dev/null) 2>&1)" && { echo "self-test: bad includes passed" >&2; status=1; }
  for want in "core/data/bad.h:1" "core/io/bad.cpp:1" "core/common/bad.cpp:1" "models/llm/bad.cpp:1"; do
    grep -q "^$want:" <<<"$err" || { echo "self-test: $want not reported" >&2; status=1; }
  done
  [ "$(grep -c ':1: ' <<<"$err")" -eq 4 ] || { echo "self-test: expected exactly 4 violations:" >&2; echo "$err" >&2; status=1; }
  [ "$status" -eq 0 ] && echo "check_layers self-test: bad includes fail, clean ones pass"
  return "$status"
}

if [ "${1:-}" = "--self-test" ]; then
  self_test
else
  check_tree "${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
fi
