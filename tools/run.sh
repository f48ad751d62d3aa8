#!/usr/bin/env bash
# Sets up and builds inst3d (tools/setup.sh), then runs the main job: the viewer on the bundled demo
# scene when a display is available, otherwise a headless summary of it. Extra args go to `inst3d`.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$HERE/tools/setup.sh"
exec "$HERE/build/inst3d" "$@"
