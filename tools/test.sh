#!/usr/bin/env bash
# Sets up and builds inst3d (tools/setup.sh), then runs every test with CTest. Tests labelled `gl`
# render with VTK/Qt and run under Xvfb (xvfb-run); all others run without X. Then fails if any test
# function skipped outside tests/skip-allowlist.txt (tools/check_skips.sh): CTest counts skips as passes.
#   tools/test.sh [extra ctest args]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$HERE/tools/setup.sh"
cd "$HERE/build"
status=0
xvfb-run -a -s "-screen 0 1280x1024x24" ctest --output-on-failure -j2 "$@" || status=$?
bash "$HERE/tools/check_skips.sh" "$HERE/build/Testing/Temporary/LastTest.log" || status=1
exit "$status"
