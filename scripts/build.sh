#!/usr/bin/env bash
# scripts/build.sh [BUILD_DIR] [extra cmake args] — configures (once) and builds skucast.
# SKUCAST_CUDA=AUTO|ON|OFF picks the CUDA backend (default AUTO: on when nvcc is found).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}; shift || true
export PATH="$PATH:/usr/local/cuda/bin"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSKUCAST_CUDA="${SKUCAST_CUDA:-AUTO}" -DSKUCAST_CUDA_ARCHS="${SKUCAST_CUDA_ARCHS:-90}" "$@"
fi
# SKUCAST_BUILD_TARGETS="a b": build only those targets (the sanitizer configuration of test.sh).
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$(nproc)" ${SKUCAST_BUILD_TARGETS:+--target $SKUCAST_BUILD_TARGETS}
