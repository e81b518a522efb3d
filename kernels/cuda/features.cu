// kernels/cuda/features.cu — CUDA twins of the window feature kernels (features.hpp).
// defines: features_fwd_kernel (one thread per (t, b) row; block 32 windows x 8 steps, or
//          256 windows x 1 step for windows under 8 steps),
//          window_scale_kernel (one warp per window), window_target_kernel,
//          calendar_daily_kernel (one thread per step); their launchers.
// The arithmetic follows features_cpu.cpp line by line (double accumulation, same order of
// terms); the parity test holds the two together.
#include <cuda_runtime.h>

#include <cmath>

#include "kernels/cuda/check.cuh"
#include "kernels/features.hpp"

namespace skucast {

namespace {

constexpr double kTwoPi = 6.283185307179586476925;

// y[s, tau] when tau is on the axis, NaN otherwise (features_cpu.cpp's at()).
__device__ inline float at_d(const float* y, int64_t n_time, int64_t s, int64_t tau) {
  return tau >= 0 && tau < n_time ? y[s * n_time + tau] : NAN;
}

// Mean and population std of the observed values among y[s, tau-w .. tau-1].
__device__ inline void rolling_d(const float* y, int64_t n_time, int64_t s, int64_t tau, int64_t w, double& mean,
                                 double& sd) {
  double sum = 0, sum2 = 0;
  int64_t n = 0;
  for (int64_t k = tau - w; k < tau; ++k) {
    const float v = at_d(y, n_time, s, k);
    if (isnan(v)) continue;
    sum += v;
    sum2 += static_cast<double>(v) * v;
    ++n;
  }
  mean = n ? sum / n : 0.0;
  sd = n ? sqrt(fmax(0.0, sum2 / n - mean * mean)) : 0.0;
}

// ---------------------------------------------------------------- kernels ----
// threadIdx.x -> window b (32 consecutive windows: the warp's rows x[t, b..b+31, :] are one
// contiguous run, so the stores coalesce); threadIdx.y + 8 blockIdx.y -> step t (the 8 warps
// of a block read the same 32 series rows at neighbouring steps, so window re-reads hit L1).
__global__ void features_fwd_kernel(FeatureSpec spec, int64_t F, const float* __restrict__ y, int64_t n_time,
                                    const float* __restrict__ scale, const int64_t* __restrict__ series,
                                    const int64_t* __restrict__ t0, int64_t n_batch, int64_t n_steps,
                                    const float* __restrict__ calendar, int64_t n_cal, float* __restrict__ x) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t t = static_cast<int64_t>(blockIdx.y) * blockDim.y + threadIdx.y;
  if (b >= n_batch || t >= n_steps) return;
  const int64_t s = series[b];
  const double inv = 1.0 / scale[b];
  const int64_t tau = t0[b] + t;      // absolute step this row describes
  float* row = x + (t * n_batch + b) * F;  // x[t, b, :]
  int64_t f = 0;
  const float lag1 = at_d(y, n_time, s, tau - 1);
  row[f++] = isnan(lag1) ? 0.0f : static_cast<float>(lag1 * inv);
  row[f++] = isnan(lag1) ? 0.0f : 1.0f;
  if (spec.season_length > 1) {
    const float lag_m = at_d(y, n_time, s, tau - spec.season_length);
    row[f++] = isnan(lag_m) ? 0.0f : static_cast<float>(lag_m * inv);
  }
  const int32_t windows[2] = {spec.roll_short, spec.roll_long};
#pragma unroll
  for (int k = 0; k < 2; ++k) {
    const int32_t w = windows[k];
    if (w <= 0) continue;
    double mean, sd;
    rolling_d(y, n_time, s, tau, w, mean, sd);
    row[f++] = static_cast<float>(mean * inv);
    row[f++] = static_cast<float>(sd * inv);
  }
  for (int32_t c = 0; c < spec.n_calendar; ++c)
    row[f++] = tau >= 0 && tau < n_cal ? calendar[tau * spec.n_calendar + c] : 0.0f;
}

// One warp per window: lanes stride over the context steps (coalesced along the row), then
// a shuffle reduction of (sum |y|, count).
__global__ void window_scale_kernel(const float* __restrict__ y, int64_t n_time, const int64_t* __restrict__ series,
                                    const int64_t* __restrict__ t0, int64_t n_batch, int64_t n_context,
                                    float* __restrict__ scale) {
  const int lane = threadIdx.x & 31;
  const int64_t b = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5;
  if (b >= n_batch) return;  // the whole warp exits together
  const int64_t s = series[b];
  double sum = 0.0, n = 0.0;
  for (int64_t t = lane; t < n_context; t += 32) {
    const float v = at_d(y, n_time, s, t0[b] + t);
    if (isnan(v)) continue;
    sum += fabs(v);
    n += 1.0;
  }
  for (int off = 16; off > 0; off >>= 1) {
    sum += __shfl_down_sync(0xffffffffu, sum, off);
    n += __shfl_down_sync(0xffffffffu, n, off);
  }
  if (lane == 0) scale[b] = static_cast<float>(1.0 + (n > 0.0 ? sum / n : 0.0));
}

// One thread per element of target [T, B]; consecutive threads take consecutive b.
__global__ void window_target_kernel(const float* __restrict__ y, int64_t n_time, const int64_t* __restrict__ series,
                                     const int64_t* __restrict__ t0, int64_t n_batch, int64_t n_elems,
                                     float* __restrict__ target) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_elems) return;
  const int64_t t = i / n_batch, b = i % n_batch;
  target[i] = at_d(y, n_time, series[b], t0[b] + t);
}

__global__ void calendar_daily_kernel(int64_t first_day, int64_t n_time, float* __restrict__ out) {
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= n_time) return;
  // Same civil-date arithmetic as calendar_daily_cpu (H. Hinnant's days_from_civil inverse).
  const int64_t day = first_day + t;
  const int64_t dow = ((day + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
  const int64_t z = day + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy_mar = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy_mar + 2) / 153;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int64_t doy = month >= 3 ? doy_mar + 59 + (leap ? 1 : 0) : doy_mar - 306;
  out[t * 4 + 0] = static_cast<float>(sin(kTwoPi * dow / 7.0));
  out[t * 4 + 1] = static_cast<float>(cos(kTwoPi * dow / 7.0));
  out[t * 4 + 2] = static_cast<float>(sin(kTwoPi * doy / 365.25));
  out[t * 4 + 3] = static_cast<float>(cos(kTwoPi * doy / 365.25));
}

}  // namespace

// -------------------------------------------------------------- launchers ----
void features_fwd(const FeatureSpec& spec, const float* y, int64_t /*n_series*/, int64_t n_time, const float* scale,
                  const WindowBatch& batch, const float* calendar, int64_t n_cal, float* x, cudaStream_t stream) {
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
                                                  batch.t0, batch.n_batch, batch.n_steps, calendar, n_cal, x);
  SKU_CHECK_LAUNCH("features_fwd_kernel");
}

void window_scale(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch, int64_t n_context,
                  float* scale, cudaStream_t stream) {
  if (batch.n_batch == 0) return;
  constexpr int kBlock = 256;  // 8 warps = 8 windows per block
  const int64_t n_blocks = (checked_mul(batch.n_batch, 32) + kBlock - 1) / kBlock;
  window_scale_kernel<<<checked_int(n_blocks, "window_scale grid"), kBlock, 0, stream>>>(
      y, n_time, batch.series, batch.t0, batch.n_batch, n_context, scale);
  SKU_CHECK_LAUNCH("window_scale_kernel");
}

void window_target(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch, float* target,
                   cudaStream_t stream) {
  const int64_t n = checked_mul(batch.n_steps, batch.n_batch);
  if (n == 0) return;
  constexpr int kBlock = 256;  // element-wise
  window_target_kernel<<<checked_int((n + kBlock - 1) / kBlock, "window_target grid"), kBlock, 0, stream>>>(
      y, n_time, batch.series, batch.t0, batch.n_batch, n, target);
  SKU_CHECK_LAUNCH("window_target_kernel");
}

void calendar_daily(int64_t first_day, int64_t n_time, float* out, cudaStream_t stream) {
  if (n_time == 0) return;
  constexpr int kBlock = 256;  // element-wise
  calendar_daily_kernel<<<checked_int((n_time + kBlock - 1) / kBlock, "calendar grid"), kBlock, 0, stream>>>(
      first_day, n_time, out);
  SKU_CHECK_LAUNCH("calendar_daily_kernel");
}

}  // namespace skucast
