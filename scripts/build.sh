#!/usr/bin/env bash
# scripts/build.sh [BUILD_DIR] [extra cmake args] — configures (once) and builds skucast.
# SKUCAST_CUDA=AUTO|ON|OFF picks the CUDA backend (default AUTO: on when nvcc is found).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}; shift || true
export PATH="$PATH:/usr/local/cuda/bin"
# C++ compiles go through ccache when it is installed (scripts/deps.sh installs it;
# SKUCAST_CCACHE=0 turns it off): scripts/test.sh's CPU-only configuration then takes from the
# cache every object the CUDA configuration compiled from the same preprocessed source and flags
# (about half of CI's compile time), and a rebuild after `git checkout` is quick.
launcher=()
if [ "${SKUCAST_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
    -DSKUCAST_CUDA="${SKUCAST_CUDA:-AUTO}" -DSKUCAST_CUDA_ARCHS="${SKUCAST_CUDA_ARCHS:-90}" "$@"
fi
# SKUCAST_BUILD_TARGETS="a b": build only those targets (the sanitizer configuration of test.sh).
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$(nproc)" ${SKUCAST_BUILD_TARGETS:+--target $SKUCAST_BUILD_TARGETS}
