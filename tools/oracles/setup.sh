#!/usr/bin/env bash
# The oracle environment: a virtual environment over Debian's python3-torch with the upstream packages
# pinned in requirements.txt, for regenerating the committed goldens (tools/oracles/*.py). The README's
# test command never needs it: the goldens it produces are committed under tests/data/.
#   tools/oracles/setup.sh [VENV_DIR]      (default: /opt/inst3d-deps/oracles)
# Then run a generator with VENV_DIR/bin/python, e.g. VENV_DIR/bin/python tools/oracles/make_hf_goldens.py
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${1:-${INST3D_DEPS:-/opt/inst3d-deps}/oracles}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
log() { printf '\033[1m[oracles]\033[0m %s\n' "$*"; }

# Debian's interpreter, never the first python3 on PATH: only /usr/bin/python3 sees python3-torch.
PY=/usr/bin/python3
# shellcheck source=../lib/apt.sh
. "$HERE/../lib/apt.sh"
install_debian_packages python3-torch python3-torchvision python3-venv python3-pip default-jre-headless
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV (system site packages: Debian's torch and numpy)"
  $SUDO mkdir -p "$(dirname "$VENV")"
  $SUDO "$PY" -m venv --system-site-packages "$VENV"
fi
log "installing $(grep -c '^[A-Za-z]' "$HERE/requirements.txt") pinned packages"
# --no-deps: requirements.txt lists every dependency (see its header for why).
$SUDO "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$HERE/requirements.txt"
"$VENV/bin/python" - <<'PY'
import torch, transformers, peft, timm, pycocoevalcap
assert torch.__file__.startswith("/usr/lib/python3/"), f"torch should be Debian's, got {torch.__file__}"
print(f"[oracles] torch {torch.__version__} (Debian), transformers {transformers.__version__}, peft {peft.__version__}, timm {timm.__version__}")
PY
log "ready: $VENV/bin/python"
