// kernels/cuda/reduce.cuh — deterministic device-wide sums into a device double (no host sync).
// defines: warp_sum, block_sum (device helpers); reduce_partial_kernel, reduce_final_kernel;
//          reduce_sum<F>(n, f, out, write, stream) (launcher).
// Used by: kernels/cuda/adam.cu (gradient norm), kernels/cuda/likelihood.cu (weight sum).
//
// Note [Deterministic reductions]
//   Stage 1 runs a fixed grid of at most kReduceBlocks blocks; block k sums f(i) for its
//   grid-stride slice in double and writes partial[k]. Stage 2, one block, sums the partials
//   in a fixed order and writes (or adds to) *out. No atomics, so the same input gives the
//   same bits on every run; the partials come from the stream-ordered pool (cudaMallocAsync,
//   STYLE M3) and are freed on the stream. The result stays on the device: a following
//   kernel on the same stream reads it, the host never waits (no hidden sync, STYLE M9).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/check.cuh"

namespace skucast {

// How a reduction writes its result.
enum class ReduceWrite { Overwrite, Accumulate };

namespace detail {

constexpr int kReduceThreads = 256;   // 8 warps; the block sum uses one shared slot per warp
constexpr int kReduceBlocks = 1024;   // ~8 blocks per SM on a 132-SM H200: enough loads in flight

__device__ inline double warp_sum(double v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;  // lane 0 holds the warp's sum
}

// Sum over the block; the result is valid in thread 0. blockDim.x must be kReduceThreads.
__device__ inline double block_sum(double v) {
  __shared__ double warp_part[kReduceThreads / 32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) warp_part[warp] = v;
  __syncthreads();
  v = threadIdx.x < kReduceThreads / 32 ? warp_part[threadIdx.x] : 0.0;
  if (warp == 0) v = warp_sum(v);
  return v;
}

// ---------------------------------------------------------------- kernels ----
template <class F>
__global__ void reduce_partial_kernel(int64_t n, F f, double* __restrict__ partial) {
  double s = 0.0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) s += f(i);
  s = block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// A template only so that this header can define it in several translation units.
template <int kUnused = 0>
__global__ void reduce_final_kernel(const double* __restrict__ partial, int n_partial, double* out,
                                    ReduceWrite write) {
  double s = 0.0;
  for (int i = threadIdx.x; i < n_partial; i += blockDim.x) s += partial[i];
  s = block_sum(s);
  if (threadIdx.x == 0) *out = (write == ReduceWrite::Accumulate ? *out : 0.0) + s;
}

}  // namespace detail

// -------------------------------------------------------------- launchers ----
// *out (device) = [*out +] sum_{i < n} f(i); f is a device functor int64_t -> double.
// Asynchronous on `stream`. n = 0 writes 0 (or leaves *out unchanged when accumulating).
template <class F>
void reduce_sum(int64_t n, F f, double* out, ReduceWrite write, cudaStream_t stream) {
  using namespace detail;
  const int64_t want = (n + kReduceThreads - 1) / kReduceThreads;
  const int n_blocks = static_cast<int>(std::clamp<int64_t>(want, 1, kReduceBlocks));
  // Partials [n_blocks] from the stream-ordered pool, returned to it on every path.
  struct Scratch {
    double* ptr = nullptr;
    cudaStream_t stream;
    ~Scratch() {
      if (ptr) cudaFreeAsync(ptr, stream);  // errors ignored: a destructor must not throw
    }
  } scratch{nullptr, stream};
  SKU_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&scratch.ptr), n_blocks * sizeof(double), stream));
  reduce_partial_kernel<<<n_blocks, kReduceThreads, 0, stream>>>(n, f, scratch.ptr);
  SKU_CHECK_LAUNCH("reduce_partial_kernel");
  reduce_final_kernel<<<1, kReduceThreads, 0, stream>>>(scratch.ptr, n_blocks, out, write);
  SKU_CHECK_LAUNCH("reduce_final_kernel");
}

}  // namespace skucast
