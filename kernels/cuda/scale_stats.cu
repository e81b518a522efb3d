// kernels/cuda/scale_stats.cu — CUDA twin of scale_stats_cpu.
// defines: scale_stats_kernel (one warp per series), scale_stats_cuda (launcher).
// One warp per series: each lane runs Welford over a strided slice of the row, then the
// lanes merge their (n, mean, M2) triples with Chan's parallel formula via shuffles.
#include <cuda_runtime.h>

#include <cmath>

#include "kernels/cuda/check.cuh"
#include "kernels/scale_stats.hpp"

namespace skucast {

// ---------------------------------------------------------------- kernels ----
__global__ void scale_stats_kernel(const float* __restrict__ y, int64_t n_series, int64_t n_steps,
                                   int32_t* __restrict__ count, float* __restrict__ mean, float* __restrict__ stdev) {
  const int lane = threadIdx.x & 31;
  const int64_t s = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;  // series of this warp
  if (s >= n_series) return;  // whole warp exits together
  const float* row = y + s * n_steps;
  double n = 0.0, mu = 0.0, m2 = 0.0;
  for (int64_t t = lane; t < n_steps; t += 32) {  // coalesced: lanes read consecutive steps
    const double v = row[t];
    if (!isfinite(v)) continue;
    n += 1.0;
    const double d = v - mu;
    mu += d / n;
    m2 += d * (v - mu);
  }
  // Merge the 32 partial triples (Chan et al.).
  for (int off = 16; off > 0; off >>= 1) {
    const double nb = __shfl_down_sync(0xffffffffu, n, off);
    const double mb = __shfl_down_sync(0xffffffffu, mu, off);
    const double m2b = __shfl_down_sync(0xffffffffu, m2, off);
    const double nt = n + nb;
    if (nt > 0.0) {
      const double d = mb - mu;
      mu += d * nb / nt;
      m2 += m2b + d * d * n * nb / nt;
      n = nt;
    }
  }
  if (lane == 0) {
    count[s] = static_cast<int32_t>(n);
    mean[s] = n > 0.0 ? static_cast<float>(mu) : 0.0f;
    stdev[s] = n > 1.0 ? static_cast<float>(sqrt(m2 / n)) : 0.0f;
  }
}

// -------------------------------------------------------------- launchers ----
void scale_stats_cuda(const float* y, int64_t n_series, int64_t n_steps, int32_t* count, float* mean, float* std,
                      void* stream) {
  if (n_series == 0) return;
  // 256 threads = 8 warps = 8 series per block: enough blocks to fill an H100/H200 from
  // ~1k series up, and small enough that tail blocks waste little.
  constexpr int kBlock = 256;
  const int64_t n_threads = checked_mul(n_series, 32);
  const int64_t n_blocks = (n_threads + kBlock - 1) / kBlock;
  scale_stats_kernel<<<checked_int(n_blocks, "scale_stats grid"), kBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      y, n_series, n_steps, count, mean, std);
  SKU_CHECK_LAUNCH("scale_stats_kernel");
}

}  // namespace skucast
