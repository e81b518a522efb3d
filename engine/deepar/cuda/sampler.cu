// engine/deepar/cuda/sampler.cu — kernels and launchers of
// engine/deepar/cuda/sampler_kernels.h (DeepAR sampling on the GPU).
// defines: replicate_rows_kernel, fill_affine_i64_kernel, fill_f32_kernel,
//          step_inputs_fwd_kernel, sample_paths_fwd_kernel (one thread per path row),
//          path_stats_fwd_kernel (one thread per (series, step)), path_sort_bitonic_kernel
//          (one block per segment, shared memory), path_sort_heap_kernel (one thread per
//          segment, the fallback for long segments); their launchers.
// uses: engine/deepar/sample.h (the CPU's draws, SKU_HD), kernels/cuda/check.cuh.
// Compiled with -fmad=false (CMakeLists.txt): no FMA contraction, so the draws do the host's
// IEEE operations (Note [Identical draws on both devices] in engine/deepar/sample.h).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>

#include "engine/deepar/cuda/sampler_kernels.h"
#include "engine/deepar/sample.h"
#include "kernels/cuda/check.cuh"

namespace skucast::deepar {

namespace {

// ---------------------------------------------------------------- kernels ----
__global__ void replicate_rows_kernel(const float* __restrict__ src, int64_t n_groups, int64_t n_src,
                                      int64_t row_len, int64_t n_copies, float* __restrict__ dst) {
  const int64_t n_dst = n_src * n_copies;
  const int64_t n = n_groups * n_dst * row_len;  // elements (g, r, j), j fastest
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += stride) {
    const int64_t j = e % row_len, gr = e / row_len;
    const int64_t r = gr % n_dst, g = gr / n_dst;
    dst[e] = src[(g * n_src + r / n_copies) * row_len + j];
  }
}

__global__ void fill_affine_i64_kernel(int64_t* __restrict__ out, int64_t n, int64_t a, int64_t b) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = a + b * i;
}

__global__ void fill_f32_kernel(float* __restrict__ out, int64_t n, float v) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = v;
}

__global__ void step_inputs_fwd_kernel(const float* __restrict__ base, const float* __restrict__ exog,
                                       int64_t n_rows, int64_t n_paths, int64_t F0, int64_t F,
                                       float* __restrict__ x) {
  const int64_t n = n_rows * F, E = F - F0;  // elements (r, j), column fastest
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += stride) {
    const int64_t r = e / F, j = e % F;
    x[e] = j < F0 ? base[r * F0 + j] : exog[(r / n_paths) * E + (j - F0)];
  }
}

__global__ void sample_paths_fwd_kernel(const SampleParams p) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < p.n_rows; r += stride) {
    const int64_t i = r / p.n_paths, path = r % p.n_paths, s = p.first_series + i;
    PathDraws dr(path_draw_key(p.seed, s, path, p.step));
    const double v = draw_value(p.kind, p.tweedie_power, p.raw + r * p.n_out, p.scale[r], p.tweedie_phi, dr) +
                     (p.loc ? p.loc[r] : 0.0f);  // Note [Window location]: 0 without one, as the CPU's loc_r
    const float vf = path_value(v, p.nonneg[i] != 0);
    p.y[r * p.y_stride + p.y_col] = vf;  // fed back on the model's scale
    p.paths[(i * p.n_horizon + p.step) * p.n_paths + path] = p.point ? vf : to_sales_scale(vf, p.log1p[i] != 0);
  }
}

__global__ void path_stats_fwd_kernel(const PathStatsParams p) {
  const int64_t n = p.n_series * p.n_horizon;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t ih = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ih < n; ih += stride) {
    const int64_t i = ih / p.n_horizon, h = ih % p.n_horizon, N = p.n_paths;
    const float* v = p.paths + ih * N;
    double sum = 0;
    for (int64_t k = 0; k < N; ++k) sum += v[k];  // path order, as the CPU
    const double mean = sum / static_cast<double>(N);
    const bool log1p = p.log1p[i] != 0;
    p.mean[ih] = p.point ? to_sales_scale(static_cast<float>(mean), log1p) : static_cast<float>(mean);
    float* q = p.quantiles + ih * p.n_levels;
    if (p.point) {  // Gaussian quantiles on the model's scale, mapped back (monotone)
      const double sd = p.scale[i] * p.resid_sd * sqrt(static_cast<double>(h + 1));
      for (int64_t k = 0; k < p.n_levels; ++k) {
        const double qk = mean + sd * p.z[k];
        q[k] = to_sales_scale(static_cast<float>(p.nonneg[i] ? sku_max(qk, 0.0) : qk), log1p);
      }
    } else {
      const float* sv = p.sorted + ih * N;
      for (int64_t k = 0; k < p.n_levels; ++k) q[k] = static_cast<float>(quantile_sorted(sv, N, p.levels[k]));
    }
  }
}

// Note [Sorting the paths]: every (series, step) sorts its N path values once. A block per
// segment runs a bitonic sort in shared memory over the next power of two P >= N (padded with
// +inf, which sorts last and is never written back) when P <= kMaxBitonic; longer segments
// (N > 8192 paths, rare) fall back to one thread per segment running heapsort in global
// memory. Both sort finite values (path_value), so the result is the sequence std::sort gives
// (up to the order of -0 and +0, which compare equal). Written here rather than with CUB's
// segmented sort: CUB instantiates a dozen kernels and the GPU test binaries are packed under
// a size limit (bench/gpu_pack.sh).
constexpr int64_t kMaxBitonic = 8192;  // 32 KiB of shared memory: under the 48 KiB default
constexpr int kSortBlock = 256;

__global__ void path_sort_bitonic_kernel(const float* __restrict__ in, float* __restrict__ out, int64_t n_segments,
                                         int64_t n, int64_t p2) {
  extern __shared__ float sh[];  // [p2]
  for (int64_t seg = blockIdx.x; seg < n_segments; seg += gridDim.x) {
    const float* src = in + seg * n;
    for (int64_t i = threadIdx.x; i < p2; i += blockDim.x) sh[i] = i < n ? src[i] : INFINITY;
    __syncthreads();
    for (int64_t k = 2; k <= p2; k <<= 1) {
      for (int64_t j = k >> 1; j > 0; j >>= 1) {
        for (int64_t i = threadIdx.x; i < p2; i += blockDim.x) {
          const int64_t ixj = i ^ j;
          if (ixj > i) {
            const bool ascending = (i & k) == 0;
            const float a = sh[i], b = sh[ixj];
            if ((a > b) == ascending) {
              sh[i] = b;
              sh[ixj] = a;
            }
          }
        }
        __syncthreads();
      }
    }
    float* dst = out + seg * n;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] = sh[i];
    __syncthreads();  // sh is refilled for the next segment
  }
}

__device__ void sift_down(float* v, int64_t root, int64_t end) {
  while (2 * root + 1 < end) {
    int64_t child = 2 * root + 1;
    if (child + 1 < end && v[child] < v[child + 1]) ++child;
    if (!(v[root] < v[child])) return;
    const float t = v[root];
    v[root] = v[child];
    v[child] = t;
    root = child;
  }
}

__global__ void path_sort_heap_kernel(const float* __restrict__ in, float* __restrict__ out, int64_t n_segments,
                                      int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t seg = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; seg < n_segments; seg += stride) {
    float* v = out + seg * n;
    for (int64_t i = 0; i < n; ++i) v[i] = in[seg * n + i];
    for (int64_t i = n / 2 - 1; i >= 0; --i) sift_down(v, i, n);
    for (int64_t end = n - 1; end > 0; --end) {
      const float t = v[0];
      v[0] = v[end];
      v[end] = t;
      sift_down(v, 0, end);
    }
  }
}

// Grid-stride launches: at most 4,096 blocks of 256 (~30 per SM on an H200). The block size
// is free (no shared memory, no intra-block cooperation); 256 keeps occupancy high for the
// register-heavy sampling kernel (double math, the gamma/Poisson loops).
constexpr int kBlock = 256;

}  // namespace

// -------------------------------------------------------------- launchers ----
void replicate_rows(const float* src, int64_t n_groups, int64_t n_src, int64_t row_len, int64_t n_copies, float* dst,
                    cudaStream_t stream) {
  const int64_t n = n_groups * n_src * n_copies * row_len;  // sizes checked by the caller (checked_mul)
  if (n <= 0) return;
  replicate_rows_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(src, n_groups, n_src, row_len, n_copies,
                                                                              dst);
  SKU_CHECK_LAUNCH("replicate_rows_kernel");
}

void fill_affine_i64(int64_t* out, int64_t n, int64_t a, int64_t b, cudaStream_t stream) {
  if (n <= 0) return;
  fill_affine_i64_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(out, n, a, b);
  SKU_CHECK_LAUNCH("fill_affine_i64_kernel");
}

void fill_f32(float* out, int64_t n, float v, cudaStream_t stream) {
  if (n <= 0) return;
  fill_f32_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(out, n, v);
  SKU_CHECK_LAUNCH("fill_f32_kernel");
}

void step_inputs_fwd(const float* base, const float* exog, int64_t n_rows, int64_t n_paths, int64_t n_base,
                     int64_t n_features, float* x, cudaStream_t stream) {
  const int64_t n = n_rows * n_features;
  if (n <= 0) return;
  step_inputs_fwd_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(base, exog, n_rows, n_paths, n_base,
                                                                               n_features, x);
  SKU_CHECK_LAUNCH("step_inputs_fwd_kernel");
}

void sample_paths_fwd(const SampleParams& p, cudaStream_t stream) {
  if (p.n_rows <= 0) return;
  sample_paths_fwd_kernel<<<grid_stride_blocks(p.n_rows, kBlock), kBlock, 0, stream>>>(p);
  SKU_CHECK_LAUNCH("sample_paths_fwd_kernel");
}

void path_stats_fwd(const PathStatsParams& p, cudaStream_t stream) {
  const int64_t n = p.n_series * p.n_horizon;
  if (n <= 0) return;
  path_stats_fwd_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(p);
  SKU_CHECK_LAUNCH("path_stats_fwd_kernel");
}

void path_sort(const float* keys_in, float* keys_out, int64_t n_segments, int64_t seg_len, cudaStream_t stream) {
  if (n_segments <= 0 || seg_len <= 0) return;
  int64_t p2 = 1;
  while (p2 < seg_len) p2 <<= 1;
  if (p2 <= kMaxBitonic) {
    // One block per segment (grid-stride beyond 65,535 blocks); 256 threads, or fewer for
    // short segments (each thread handles p2 / blockDim elements per pass).
    const int threads = static_cast<int>(std::clamp<int64_t>(p2 / 2, 32, kSortBlock));
    const int n_blocks = static_cast<int>(std::min<int64_t>(n_segments, 65535));
    path_sort_bitonic_kernel<<<n_blocks, threads, static_cast<size_t>(p2) * sizeof(float), stream>>>(
        keys_in, keys_out, n_segments, seg_len, p2);
    SKU_CHECK_LAUNCH("path_sort_bitonic_kernel");
    return;
  }
  path_sort_heap_kernel<<<grid_stride_blocks(n_segments, kBlock), kBlock, 0, stream>>>(keys_in, keys_out, n_segments,
                                                                                       seg_len);
  SKU_CHECK_LAUNCH("path_sort_heap_kernel");
}

}  // namespace skucast::deepar
