#!/usr/bin/env bash
# inst3d setup for a fresh Debian 12 machine, as root. Idempotent: every step checks before it acts.
#   tools/setup.sh [--no-build] [--build-dir DIR] [--neural-only]
# 1. Debian packages (Qt 6, VTK 9.1, LibTorch 1.13 CPU, Open3D 0.16, yaml-cpp, nlohmann-json, Xvfb, ...),
#    OpenBLAS (OpenMP) in place of the reference BLAS behind libblas.so.3, and what the reference checks
#    run: python3-torch (real torch.load), nodejs + npm (the LLaMA-2 vocabulary), a JRE (METEOR, PTB).
# 2. sentencepiece 0.1.97 rebuilt from Debian's source as a static library against the system protobuf:
#    Debian's libsentencepiece.so embeds protobuf-lite 3.14 and crashes any process that also loads
#    LibTorch (protobuf 3.21) before main(). See docs/building.md.
# 3. pycocoevalcap 1.2's wheel unpacked into $DEPS/pycocoevalcap: the METEOR 1.5 and Stanford
#    PTBTokenizer jars that `inst3d score` runs (PyPI ships them inside the wheel).
# 4. CMake configure (Ninja, ccache) and build.
# Not installed on purpose: libgtest-dev. Every test is Qt Test (tests/CMakeLists.txt) and nothing in the
# tree looks for GoogleTest, so a machine whose image happens to carry it needs nothing more (docs/building.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$HERE/build"
DEPS="${INST3D_DEPS:-/opt/inst3d-deps}"
DO_BUILD=1
NEURAL_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) DO_BUILD=0 ;;
    --build-dir) BUILD_DIR="$2"; shift ;;
    --neural-only) NEURAL_ONLY=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# shellcheck source=lib/deb_src.sh
. "$HERE/tools/lib/deb_src.sh"
# shellcheck source=lib/apt.sh
. "$HERE/tools/lib/apt.sh"

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev qt6-qpa-plugins libxkbcommon-dev
  libvtk9-dev libtorch-dev libopen3d-dev libyaml-cpp-dev nlohmann-json3-dev
  libprotobuf-dev protobuf-compiler libjpeg-dev libpng-dev zlib1g-dev dpkg-dev
  xvfb xauth libgl1-mesa-dri mesa-utils imagemagick x11-apps desktop-file-utils lintian clang-14 libclang-rt-14-dev
  libopenblas0-openmp libgloo-dev python3-torch python3-pip default-jre-headless unzip
)
[ "$NEURAL_ONLY" -eq 1 ] && PACKAGES=(build-essential cmake ninja-build ccache pkg-config git libtorch-dev
  libyaml-cpp-dev nlohmann-json3-dev libprotobuf-dev protobuf-compiler libjpeg-dev libpng-dev zlib1g-dev dpkg-dev
  libopenblas0-openmp libgloo-dev python3-pip unzip)
# node and npm rebuild the LLaMA-2 vocabulary for the tokenizer tests: Debian's, unless a node with npm
# is already installed (NodeSource's nodejs bundles npm and conflicts with Debian's npm package).
[ "$NEURAL_ONLY" -eq 1 ] || { command -v node >/dev/null && command -v npm >/dev/null; } || PACKAGES+=(nodejs npm)

install_debian_packages "${PACKAGES[@]}"

# --- an optimised BLAS behind libblas.so.3 ------------------------------------------------------
# Debian's LibTorch calls libblas.so.3 through the alternatives system; the reference BLAS (priority 10)
# runs a 1024^3 fp32 matmul at ~4 GFLOP/s on 2 cores, OpenBLAS-OpenMP (priority 100, libgomp like
# LibTorch) at ~126. Installing it switches the automatic choice; a machine left in manual mode is set here.
BLAS_ALT=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
  target="${BLAS_ALT%/*}/${alt%%-x86_64-linux-gnu}"
  if [ -e "$target" ] && [ "$(update-alternatives --query "$alt" 2>/dev/null | sed -n 's/^Value: //p')" != "$target" ]; then
    log "pointing $alt at $target"
    $SUDO update-alternatives --set "$alt" "$target" >/dev/null
  fi
done

# --- sentencepiece, static, against the system protobuf ------------------------------------------
SPM_PREFIX="$DEPS/sentencepiece"
if [ ! -f "$SPM_PREFIX/lib/libsentencepiece.a" ]; then
  log "building sentencepiece 0.1.97 (static, system protobuf) into $SPM_PREFIX"
  ensure_deb_src
  work="$(mktemp -d)"
  (cd "$work" && apt-get source -qq --download-only sentencepiece >/dev/null 2>&1 || apt-get source -qq --download-only sentencepiece)
  (cd "$work" && dpkg-source -x --no-check sentencepiece_*.dsc src >/dev/null)
  # Debian's packaging removes the static targets; put them back.
  (cd "$work/src" && patch -R -p1 -s < debian/patches/disable-static-library.patch)
  # Use the system protobuf headers, never the embedded protobuf-lite 3.14 (the cause of the crash).
  rm -rf "$work/src/third_party/protobuf-lite"
  sed -i 's|#include "third_party/protobuf-lite/google/protobuf/message_lite.h"|#include <google/protobuf/message_lite.h>|' \
    "$work/src/src/init.h"
  cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSPM_USE_BUILTIN_PROTOBUF=OFF -DSPM_ENABLE_SHARED=OFF -DSPM_ENABLE_TCMALLOC=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$SPM_PREFIX" >/dev/null
  cmake --build "$work/build" -j"$(nproc)" >/dev/null
  $SUDO mkdir -p "$SPM_PREFIX"
  $SUDO cmake --install "$work/build" >/dev/null
  rm -rf "$work"
else
  log "sentencepiece already built in $SPM_PREFIX"
fi

# --- pycocoevalcap's jars: METEOR 1.5 (+ paraphrase table) and the Stanford PTBTokenizer -------------
PCE="$DEPS/pycocoevalcap"
PCE_VERSION=1.2
if [ "$NEURAL_ONLY" -eq 0 ] && [ ! -f "$PCE/pycocoevalcap/meteor/meteor-1.5.jar" ]; then
  log "unpacking pycocoevalcap $PCE_VERSION's jars into $PCE"
  work="$(mktemp -d)"
  /usr/bin/python3 -m pip download -q --no-deps --disable-pip-version-check "pycocoevalcap==$PCE_VERSION" -d "$work"
  $SUDO mkdir -p "$PCE.tmp"
  $SUDO unzip -q -o "$work"/pycocoevalcap-*.whl 'pycocoevalcap/meteor/*' 'pycocoevalcap/tokenizer/*' -d "$PCE.tmp"
  $SUDO rm -rf "$PCE" && $SUDO mv "$PCE.tmp" "$PCE"
  rm -rf "$work"
fi

[ "$DO_BUILD" -eq 1 ] || exit 0

# --- configure and build ------------------------------------------------------------------------
# ccache: share hits between clones in different folders (CI builds a fresh clone each time).
export CCACHE_BASEDIR="$HERE" CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
CMAKE_ARGS=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINST3D_SENTENCEPIECE_ROOT="$SPM_PREFIX")
command -v ccache >/dev/null && CMAKE_ARGS+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
[ "$NEURAL_ONLY" -eq 1 ] && CMAKE_ARGS+=(-DINST3D_NEURAL_ONLY=ON)
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  log "configuring $BUILD_DIR"
  cmake -S "$HERE" -B "$BUILD_DIR" "${CMAKE_ARGS[@]}"
fi
log "building (this takes a while on 2 cores the first time; ccache makes rebuilds fast)"
cmake --build "$BUILD_DIR" -j"$(nproc)"
log "built: $BUILD_DIR/inst3d"
