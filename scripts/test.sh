#!/usr/bin/env bash
# scripts/test.sh — installs dependencies, builds skucast and runs every test.
#   CUDA build (when nvcc is present): compiles the CUDA targets; GPU tests skip without a device.
#   CPU-only build (SKUCAST_CUDA=OFF): proves the engine builds and passes without nvcc.
# Set SKUCAST_TEST_CONFIGS="cuda cpu" (default) or just one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export PATH="$PATH:/usr/local/cuda/bin"
JOBS=$(nproc)
configs=${SKUCAST_TEST_CONFIGS:-"cuda cpu"}
for cfg in $configs; do
  case $cfg in
    cuda)
      if ! command -v nvcc >/dev/null; then echo "test: nvcc not found, skipping the CUDA build" >&2; continue; fi
      SKUCAST_CUDA=ON ./scripts/build.sh build-cuda -DSKUCAST_WERROR=ON
      # The GPU tests run too: with no device they GTEST_SKIP, with one they check parity.
      (cd build-cuda && ctest -j "$JOBS" --output-on-failure --timeout 900) ;;
    cpu)
      SKUCAST_CUDA=OFF ./scripts/build.sh build-cpu -DSKUCAST_WERROR=ON
      (cd build-cpu && ctest -j "$JOBS" --output-on-failure --timeout 900 -LE gpu) ;;
    *) echo "test: unknown config $cfg" >&2; exit 2 ;;
  esac
done
echo "test: all passed"
