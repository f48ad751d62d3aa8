#!/usr/bin/env bash
# Fails when a Qt Test function skipped (QSKIP) that tests/skip-allowlist.txt does not list. CTest counts
# a skip as a pass, so a reference check whose dependency is missing would otherwise pass unnoticed.
#   tools/check_skips.sh BUILD_DIR/Testing/Temporary/LastTest.log [ALLOWLIST]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG="$1"
ALLOW="${2:-$HERE/tests/skip-allowlist.txt}"
[ -f "$LOG" ] || { echo "check_skips: no CTest log at $LOG" >&2; exit 2; }
# Qt Test writes "SKIP   : TestClass::function(data tag) reason".
skipped="$(sed -n 's/^SKIP   : \([A-Za-z0-9_:]*\)(.*) \(.*\)$/\1\t\2/p' "$LOG" | sort -u)"
allowed="$(sed 's/#.*//' "$ALLOW" | awk 'NF {print $1}' | sort -u)"
bad=0
while IFS=$'\t' read -r fn why; do
  [ -n "$fn" ] || continue
  if grep -qxF "$fn" <<<"$allowed"; then
    echo "skipped (allowed): $fn: $why"
  else
    echo "SKIPPED, not on tests/skip-allowlist.txt: $fn: $why" >&2
    bad=$((bad + 1))
  fi
done <<<"$skipped"
if [ "$bad" -gt 0 ]; then
  echo "check_skips: $bad test function(s) skipped; install what they need (tools/setup.sh) or fix them" >&2
  exit 1
fi
echo "check_skips: no unexpected skips"
