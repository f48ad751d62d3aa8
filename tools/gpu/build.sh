#!/usr/bin/env bash
# Builds the neural stack (INST3D_NEURAL_ONLY: core + models + training + the `inst3d` CLI) against the
# PyTorch of `python3` (the GPU machine's pip PyTorch, CUDA included), with the small dependencies built
# from the sources tools/gpu/pack_deps.sh packed into .gpu-deps/. Nothing is downloaded.
#
#   bash tools/gpu/build.sh [BUILD_DIR]      # default build-gpu; prints the path of the inst3d binary
#
# sentencepiece's protobuf: LibTorch builds that link the shared libprotobuf (Debian's) need sentencepiece
# on that same protobuf (tools/setup.sh does this); pip wheels carry their own hidden copy, so there the
# protobuf-lite bundled with sentencepiece is used. INST3D_SPM_PROTOBUF=system|builtin overrides the guess.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build-gpu}"
DEPS="${INST3D_GPU_DEPS:-$ROOT/.gpu-deps}"
PREFIX="$DEPS/prefix"
JOBS="$(nproc)"
log() { printf '[gpu-build] %s\n' "$*" >&2; }

PY="${PYTHON:-python3}"
TORCH_CMAKE="$("$PY" -c 'import torch;print(torch.utils.cmake_prefix_path)')"
TORCH_LIB="$("$PY" -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')"
if [ -z "${INST3D_SPM_PROTOBUF:-}" ]; then
  INST3D_SPM_PROTOBUF=builtin
  for lib in "$TORCH_LIB"/libtorch_cpu.so* /usr/lib/*/libtorch_cpu.so; do
    [ -e "$lib" ] && ldd "$lib" 2>/dev/null | grep -q libprotobuf && INST3D_SPM_PROTOBUF=system && break
  done
fi
log "torch $("$PY" -c 'import torch;print(torch.__version__, "cuda", torch.version.cuda)'), sentencepiece protobuf: $INST3D_SPM_PROTOBUF"

# One dependency: unpack DEPS/NAME.tar.gz, configure with the given options, install into PREFIX.
build_dep() {
  local name="$1"; shift
  local stamp="$PREFIX/.done-$name-$INST3D_SPM_PROTOBUF"
  [ -f "$stamp" ] && return 0
  [ -f "$DEPS/$name.tar.gz" ] || { log "missing $DEPS/$name.tar.gz: run tools/gpu/pack_deps.sh on the project machine and carry .gpu-deps"; exit 1; }
  log "building $name"
  local work="$DEPS/work/$name"
  rm -rf "$work" && mkdir -p "$work"
  tar -C "$work" -xzf "$DEPS/$name.tar.gz"
  if [ "$name" = sentencepiece ] && [ "$INST3D_SPM_PROTOBUF" = system ]; then  # as tools/setup.sh
    rm -rf "$work/src/third_party/protobuf-lite"
    sed -i 's|#include "third_party/protobuf-lite/google/protobuf/message_lite.h"|#include <google/protobuf/message_lite.h>|' "$work/src/src/init.h"
  fi
  if [ "$name" = zlib ]; then  # Debian's source lacks the win32/ files its CMakeLists lists: its own configure
    (cd "$work/src" && CFLAGS="-O2 -fPIC" ./configure --prefix="$PREFIX" --static && make -j"$JOBS" && make install) \
      >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
    rm -rf "$work"; touch "$stamp"; return 0
  fi
  cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_PREFIX_PATH="$PREFIX" "$@" >"$work/configure.log" 2>&1 \
    || { tail -20 "$work/configure.log"; exit 1; }
  cmake --build "$work/build" -j"$JOBS" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
  cmake --install "$work/build" >/dev/null
  rm -rf "$work"
  touch "$stamp"
}

mkdir -p "$PREFIX"
build_dep zlib
build_dep yaml-cpp -DYAML_BUILD_SHARED_LIBS=OFF -DBUILD_SHARED_LIBS=OFF -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF
build_dep nlohmann-json3 -DJSON_BuildTests=OFF
spm_protobuf=OFF; [ "$INST3D_SPM_PROTOBUF" = builtin ] && spm_protobuf=ON
build_dep sentencepiece -DSPM_USE_BUILTIN_PROTOBUF=$spm_protobuf -DSPM_ENABLE_SHARED=OFF -DSPM_ENABLE_TCMALLOC=OFF

log "configuring $BUILD"
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DINST3D_NEURAL_ONLY=ON -DINST3D_BUILD_TESTS=OFF \
  -DCMAKE_PREFIX_PATH="$PREFIX;$TORCH_CMAKE" -DINST3D_SENTENCEPIECE_ROOT="$PREFIX" \
  -DINST3D_SPM_PROTOBUF="$INST3D_SPM_PROTOBUF" "${launcher[@]}" >"$BUILD.configure.log" 2>&1 \
  || { tail -30 "$BUILD.configure.log"; exit 1; }
log "building inst3d ($JOBS jobs)"
cmake --build "$BUILD" -j"$JOBS" --target inst3d >&2
echo "$BUILD/inst3d"
