#!/usr/bin/env bash
# bench/gpu_pack.sh — builds the GPU tests, bench_gpu_kernels, bench_gpu_stats and skucast for sm_90 HERE and packs them, with the shared libraries they need, for a lent GPU machine.
#
# Why: the lent H200 has nvcc, cmake and ninja but no HDF5 headers, GoogleTest, apt or network,
# and 15 minutes of device time in all; building there would spend that time and need
# dependencies it lacks. So the binaries are built on this machine (same nvcc 13.0) and carried.
#
#   bench/gpu_pack.sh            -> build-gpu/pack/{pack.tar.xz (bin/, lib/), manifest.txt}   (< 60 MiB)
# Env: BUILD (default build-gpu), PACK (default $BUILD/pack), JOBS (default 2).
# Packed: every shared library ldd lists, except the C runtime (glibc, libstdc++, libgcc_s),
# the driver (libcuda) and cuDNN / cuBLAS / cuRAND (hundreds of MB): bench/gpu_check.sh finds
# those on the device (CUDA toolkit or PyTorch's nvidia-* wheels) at run time. libcudart is
# packed (0.7 MB, same 13.0 as the device's driver supports).
# Then run, on the device: bench/gpu_check.sh (its header gives the exact device-tool call).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-build-gpu}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PACK="${PACK:-$BUILD/pack}"
JOBS="${JOBS:-2}"
export PATH="$PATH:/usr/local/cuda/bin"
command -v nvcc >/dev/null || { echo "gpu_pack: nvcc not found (needs the CUDA toolkit)" >&2; exit 2; }

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSKUCAST_CUDA=ON -DSKUCAST_CUDA_ARCHS=90
fi
# The GPU test targets are gpu_test_* (tests/gpu/test_*.cpp), plus the benchmark program.
targets=$(cd "$ROOT/tests/gpu" && ls test_*.cpp | sed 's/^/gpu_/; s/\.cpp$//')
ninja -C "$BUILD" -j "$JOBS" $targets bench_gpu_kernels bench_gpu_stats skucast

rm -rf "$PACK"
mkdir -p "$PACK/bin" "$PACK/lib"
bins=()
for t in $targets; do bins+=("$BUILD/tests/$t"); done
bins+=("$BUILD/bench/bench_gpu_kernels" "$BUILD/bench/bench_gpu_stats")
# The skucast binary itself, for the nightly run of bench/gpu_check.sh (issue 6 item d); with
# it come HDF5, OpenBLAS and their dependencies (about 50 MiB unpacked, xz takes most of it).
bins+=("$BUILD/skucast")
for b in "${bins[@]}"; do
  [ -x "$b" ] || { echo "gpu_pack: $b was not built" >&2; exit 1; }
  cp "$b" "$PACK/bin/"
  strip --strip-unneeded "$PACK/bin/$(basename "$b")"
done

# Libraries left to the device: C runtime, driver, and the big CUDA math libraries.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|librt\.so|libpthread\.so|libstdc\+\+|libgcc_s|libcuda\.so|libcudnn|libcublas|libcublasLt|libcurand|libnvrtc|libnvJitLink)'
: > "$PACK/manifest.txt"
for b in "$PACK"/bin/*; do
  ldd "$b" | awk '/=>/ {print $1, $3}' | while read -r name path; do
    if [[ "$name" =~ $skip ]]; then
      echo "$(basename "$b"): $name (from the device)" >> "$PACK/manifest.txt"
      continue
    fi
    [ -f "$path" ] || { echo "gpu_pack: $(basename "$b") needs $name, not found here" >&2; exit 1; }
    [ -f "$PACK/lib/$name" ] || cp -L "$path" "$PACK/lib/$name"
    echo "$(basename "$b"): $name (packed)" >> "$PACK/manifest.txt"
  done
done
sort -u -o "$PACK/manifest.txt" "$PACK/manifest.txt"
{
  echo "# built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(ldd --version | head -1)"
  echo "# commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (+ working-tree changes)"
  echo "# $(nvcc --version | tail -1)"
} >> "$PACK/manifest.txt"

# Smoke test here: every packed binary must start with only the packed libraries added
# (the GPU tests then skip: no device on this machine).
for b in "$PACK"/bin/gpu_*; do
  LD_LIBRARY_PATH="$PACK/lib:${LD_LIBRARY_PATH:-}" "$b" --gtest_list_tests >/dev/null ||
    { echo "gpu_pack: $(basename "$b") does not start" >&2; exit 1; }
done
LD_LIBRARY_PATH="$PACK/lib:${LD_LIBRARY_PATH:-}" "$PACK/bin/skucast" --version >/dev/null ||
  { echo "gpu_pack: skucast does not start" >&2; exit 1; }
raw_kb=$(du -sk "$PACK" | cut -f1)
# Note [GPU pack size]: the stripped binaries (each statistical-model binary carries every
# model family's kernels, the ARIMA one the largest) pass 60 MiB; xz brings them to about a
# third. The device tool carries 64 MiB with the working tree, so the pack travels as one
# pack.tar.xz that bench/gpu_check.sh unpacks (a few seconds) into a temporary folder.
tar -C "$PACK" -cf - bin lib | xz -T0 -6 > "$PACK/pack.tar.xz"
rm -rf "$PACK/bin" "$PACK/lib"
size_kb=$(du -sk "$PACK" | cut -f1)
echo "gpu_pack: $(tar -tJf "$PACK/pack.tar.xz" | grep -c '^bin/.') binaries, $(tar -tJf "$PACK/pack.tar.xz" | grep -c '^lib/.') libraries, $((raw_kb / 1024)) MiB unpacked, $((size_kb / 1024)) MiB packed in $PACK/pack.tar.xz"
if [ "$size_kb" -gt $((60 * 1024)) ]; then
  echo "gpu_pack: $PACK is over 60 MiB; the device tool carries 64 MiB with the working tree" >&2
  exit 1
fi
