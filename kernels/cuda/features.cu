// kernels/cuda/features.cu — CUDA twins of the window feature kernels (features.hpp).
// defines: features_fwd_kernel (one thread per (t, b) row; block 32 windows x 8 steps, or
//          256 windows x 1 step for windows under 8 steps),
//          window_scale_kernel (one warp per window; with the location of Note [Window
//          location] or without), window_target_kernel; their launchers.
// The per-element math is kernels/features_math.hpp's, shared with features_cpu.cpp (double
// accumulation, same order of terms); window_scale sums its window in another order.
#include <cuda_runtime.h>

#include <cmath>

#include "kernels/cuda/check.cuh"
#include "kernels/features.hpp"
#include "kernels/features_math.hpp"

namespace skucast {

namespace {

// ---------------------------------------------------------------- kernels ----
// threadIdx.x -> window b (32 consecutive windows: the warp's rows x[t, b..b+31, :] are one
// contiguous run, so the stores coalesce); threadIdx.y + 8 blockIdx.y -> step t (the 8 warps
// of a block read the same 32 series rows at neighbouring steps, so window re-reads hit L1).
__global__ void features_fwd_kernel(FeatureSpec spec, int64_t F, const float* __restrict__ y, int64_t n_time,
                                    const float* __restrict__ scale, const int64_t* __restrict__ series,
                                    const int64_t* __restrict__ t0, int64_t n_batch, int64_t n_steps,
                                    const float* __restrict__ calendar, int64_t n_cal, float* __restrict__ x,
                                    const float* __restrict__ loc) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t t = static_cast<int64_t>(blockIdx.y) * blockDim.y + threadIdx.y;
  if (b >= n_batch || t >= n_steps) return;
  const double inv = 1.0 / scale[b];
  const int64_t tau = t0[b] + t;  // absolute step this row describes
  feature_row(spec, y, n_time, series[b], tau, inv, calendar, n_cal, x + (t * n_batch + b) * F,
              loc ? loc[b] : 0.0);  // x[t, b, :]
}

// One warp per window: lanes stride over the context steps (coalesced along the row), then
// a shuffle reduction (xor: every lane ends with the totals; lane 0's sums are the down-tree's).
// kLoc false: window_scale, (sum |y|, count). kLoc true: the location and scale of Note
// [Window location] (window_loc_scale_cpu's twin), (sum y, count) -> the mean, then a second
// pass for the sum of |y - mean|. Double sums in another order than the CPU's.
template <bool kLoc>
__global__ void window_scale_kernel(const float* __restrict__ y, int64_t n_time, const int64_t* __restrict__ series,
                                    const int64_t* __restrict__ t0, int64_t n_batch, int64_t n_context,
                                    float* __restrict__ loc, float* __restrict__ scale) {
  const int lane = threadIdx.x & 31;
  const int64_t b = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  if (b >= n_batch) return;  // the whole warp exits together
  const int64_t s = series[b];
  double sum = 0.0, n = 0.0;
  for (int64_t t = lane; t < n_context; t += 32) {
    const float v = feature_at(y, n_time, s, t0[b] + t);
    if (isnan(v)) continue;
    sum += kLoc ? v : fabs(v);
    n += 1.0;
  }
  for (int off = 16; off > 0; off >>= 1) {
    sum += __shfl_xor_sync(0xffffffffu, sum, off);
    n += __shfl_xor_sync(0xffffffffu, n, off);
  }
  if (!kLoc) {
    if (lane == 0) scale[b] = window_scale_value(sum, n);
    return;
  }
  const double m = n > 0.0 ? sum / n : 0.0;
  double dev = 0.0;
  for (int64_t t = lane; t < n_context; t += 32) {
    const float v = feature_at(y, n_time, s, t0[b] + t);
    if (!isnan(v)) dev += fabs(v - m);
  }
  for (int off = 16; off > 0; off >>= 1) dev += __shfl_xor_sync(0xffffffffu, dev, off);
  if (lane == 0) {
    loc[b] = static_cast<float>(m);
    scale[b] = window_scale_value(dev, n);
  }
}

// One thread per element of target [T, B]; consecutive threads take consecutive b.
__global__ void window_target_kernel(const float* __restrict__ y, int64_t n_time, const int64_t* __restrict__ series,
                                     const int64_t* __restrict__ t0, int64_t n_batch, int64_t n_elems,
                                     float* __restrict__ target, const float* __restrict__ loc) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_elems) return;
  const int64_t t = i / n_batch, b = i % n_batch;
  target[i] = feature_at(y, n_time, series[b], t0[b] + t) - (loc ? loc[b] : 0.0f);  // NaN stays NaN
}

}  // namespace

// -------------------------------------------------------------- launchers ----
void features_fwd(const FeatureSpec& spec, const float* y, int64_t /*n_series*/, int64_t n_time, const float* scale,
                  const WindowBatch& batch, const float* calendar, int64_t n_cal, float* x, cudaStream_t stream,
                  const float* loc) {
  if (batch.n_batch == 0 || batch.n_steps == 0) return;
  // 256 threads: x covers windows (coalesced stores), y steps. Windows of 8 steps or more: 32
  // windows x 8 steps that share the same series rows in L1; shorter ones (the forecast's
  // one-step batches of every path) 256 windows x 1 step, so no thread of a block idles.
  const unsigned ty = batch.n_steps >= 8 ? 8u : 1u, tx = 256u / ty;
  const dim3 block(tx, ty);
  const dim3 grid(checked_int((batch.n_batch + tx - 1) / tx, "features grid.x"),
                  checked_int((batch.n_steps + ty - 1) / ty, "features grid.y"));
  if (grid.y > 65535) throw Error("features_fwd: n_steps " + std::to_string(batch.n_steps) + " exceeds 524280");
  features_fwd_kernel<<<grid, block, 0, stream>>>(spec, feature_count(spec), y, n_time, scale, batch.series,
                                                  batch.t0, batch.n_batch, batch.n_steps, calendar, n_cal, x, loc);
  SKU_CHECK_LAUNCH("features_fwd_kernel");
}

namespace {

// window_scale_kernel<kLoc> over the batch, one warp per window.
template <bool kLoc>
void launch_window_scale(const float* y, int64_t n_time, const WindowBatch& batch, int64_t n_context, float* loc,
                         float* scale, cudaStream_t stream) {
  if (batch.n_batch == 0) return;
  constexpr int kBlock = 256;  // 8 warps = 8 windows per block
  const int64_t n_blocks = (checked_mul(batch.n_batch, 32) + kBlock - 1) / kBlock;
  window_scale_kernel<kLoc><<<checked_int(n_blocks, "window_scale grid"), kBlock, 0, stream>>>(
      y, n_time, batch.series, batch.t0, batch.n_batch, n_context, loc, scale);
  SKU_CHECK_LAUNCH(kLoc ? "window_scale_kernel<true>" : "window_scale_kernel");
}

}  // namespace

void window_scale(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch, int64_t n_context,
                  float* scale, cudaStream_t stream) {
  launch_window_scale<false>(y, n_time, batch, n_context, nullptr, scale, stream);
}

void window_loc_scale(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch,
                      int64_t n_context, float* loc, float* scale, cudaStream_t stream) {
  launch_window_scale<true>(y, n_time, batch, n_context, loc, scale, stream);
}

void window_target(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch, float* target,
                   cudaStream_t stream, const float* loc) {
  const int64_t n = checked_mul(batch.n_steps, batch.n_batch);
  if (n == 0) return;
  constexpr int kBlock = 256;  // element-wise
  window_target_kernel<<<checked_int((n + kBlock - 1) / kBlock, "window_target grid"), kBlock, 0, stream>>>(
      y, n_time, batch.series, batch.t0, batch.n_batch, n, target, loc);
  SKU_CHECK_LAUNCH("window_target_kernel");
}

}  // namespace skucast
