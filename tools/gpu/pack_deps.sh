#!/usr/bin/env bash
# Packs the sources of the neural stack's small dependencies into .gpu-deps/ (git-ignored), for a
# machine that can download nothing (the GPU machine): sentencepiece 0.1.97 (with its static targets
# restored), yaml-cpp, nlohmann-json and zlib, all from Debian's source packages. tools/gpu/build.sh
# builds them there. About 25 MB; send it with the device tool's `carry: [".gpu-deps"]`.
#
#   bash tools/gpu/pack_deps.sh          # on the project machine (needs deb-src, as tools/setup.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/.gpu-deps"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
log() { printf '[pack_deps] %s\n' "$*"; }

command -v dpkg-source >/dev/null || $SUDO apt-get install -y -qq dpkg-dev >/dev/null
# shellcheck source=../lib/deb_src.sh
. "$ROOT/tools/lib/deb_src.sh"
ensure_deb_src

mkdir -p "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for pkg in sentencepiece yaml-cpp nlohmann-json3 zlib; do
  if [ -f "$OUT/$pkg.tar.gz" ]; then log "$pkg already packed"; continue; fi
  log "fetching $pkg"
  mkdir -p "$work/$pkg"
  (cd "$work/$pkg" && apt-get source -qq --download-only "$pkg" >/dev/null 2>&1)
  (cd "$work/$pkg" && dpkg-source -x --no-check ./*.dsc src >/dev/null)
  if [ "$pkg" = sentencepiece ]; then  # Debian's packaging removes the static targets; put them back
    (cd "$work/$pkg/src" && patch -R -p1 -s < debian/patches/disable-static-library.patch)
  fi
  rm -rf "$work/$pkg/src/.pc" "$work/$pkg/src/debian"
  # nlohmann's test data is most of its tarball and never built here.
  [ "$pkg" = nlohmann-json3 ] && rm -rf "$work/$pkg/src/tests" "$work/$pkg/src/docs"
  tar -C "$work/$pkg" -czf "$OUT/$pkg.tar.gz.tmp" src && mv "$OUT/$pkg.tar.gz.tmp" "$OUT/$pkg.tar.gz"
done
du -sh "$OUT"
