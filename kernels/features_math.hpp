// kernels/features_math.hpp — the per-element math of the window feature kernels
// (features.hpp), written once for both twins (STYLE B10): the OpenMP loops of
// kernels/features_cpu.cpp and the CUDA kernels of kernels/cuda/features.cu call these
// `inline SKU_HD` functions (kernels/hd.hpp, Note [One source for CPU and GPU models]).
// defines: feature_at (one panel value, NaN off the axis), feature_rolling (rolling mean and
//          std), feature_row (the F columns of one (t, b) row of x), window_scale_value (a
//          window's scale from its sums).
// Double accumulation in a fixed order of terms; the device runs the same source, and differs
// from the host only by FMA contraction (kernels/cuda/ is not compiled with -fmad=false), which
// the rolling std's cancellation (sqrt(sum2/n - mean^2)) can magnify to ~1e-7 of the mean.
// window_scale's device kernel sums in another order (a warp per window); only its per-value
// reads and its final formula are shared.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/features.hpp"
#include "kernels/hd.hpp"

namespace skucast {

// y[s, tau] of the panel y [S, n_time] when tau is on the axis (the value, NaN when not
// observed); NaN otherwise.
SKU_HD inline float feature_at(const float* y, int64_t n_time, int64_t s, int64_t tau) {
  return tau >= 0 && tau < n_time ? y[s * n_time + tau] : NAN;
}

// Mean and population std of the observed values among y[s, tau-w .. tau-1] (0, 0 if none);
// returns how many were observed.
SKU_HD inline int64_t feature_rolling(const float* y, int64_t n_time, int64_t s, int64_t tau, int64_t w, double& mean,
                                   double& sd) {
  double sum = 0, sum2 = 0;
  int64_t n = 0;
  for (int64_t k = tau - w; k < tau; ++k) {
    const float v = feature_at(y, n_time, s, k);
    if (std::isnan(v)) continue;
    sum += v;
    sum2 += static_cast<double>(v) * v;
    ++n;
  }
  mean = n ? sum / n : 0.0;
  // std::max(0.0, var) spelled out, (0 < var) ? var : 0 (std::max is not a device function): a
  // NaN var gives 0. The device kernel used fmax before, which gives 0 for NaN too.
  const double var = n ? sum2 / n - mean * mean : 0.0;
  sd = n ? std::sqrt((0.0 < var) ? var : 0.0) : 0.0;
  return n;
}

// The two columns of one rolling window w (mean and std, / nu) at row[f], f advanced past
// them; nothing when w <= 0 (the window is off).
SKU_HD inline int64_t feature_put_rolling(const float* y, int64_t n_time, int64_t s, int64_t tau, int32_t w,
                                          double inv, float* row, int64_t f, double loc = 0.0) {
  if (w <= 0) return f;
  double mean, sd;
  const int64_t n = feature_rolling(y, n_time, s, tau, w, mean, sd);
  row[f++] = static_cast<float>((n > 0 ? mean - loc : 0.0) * inv);
  row[f++] = static_cast<float>(sd * inv);
  return f;
}

// The feature_count(spec) columns of x for absolute step tau of series row s (features.hpp's
// column order), inv = 1 / scale[b]; calendar [n_cal, spec.n_calendar] or null when
// spec.n_calendar = 0.
SKU_HD inline void feature_row(const FeatureSpec& spec, const float* y, int64_t n_time, int64_t s, int64_t tau,
                               double inv, const float* calendar, int64_t n_cal, float* row, double loc = 0.0) {
  int64_t f = 0;
  const float lag1 = feature_at(y, n_time, s, tau - 1);
  row[f++] = std::isnan(lag1) ? 0.0f : static_cast<float>((lag1 - loc) * inv);
  row[f++] = std::isnan(lag1) ? 0.0f : 1.0f;
  if (spec.season_length > 1) {
    const float lag_m = feature_at(y, n_time, s, tau - spec.season_length);
    row[f++] = std::isnan(lag_m) ? 0.0f : static_cast<float>((lag_m - loc) * inv);
  }
  f = feature_put_rolling(y, n_time, s, tau, spec.roll_short, inv, row, f, loc);
  f = feature_put_rolling(y, n_time, s, tau, spec.roll_long, inv, row, f, loc);
  for (int32_t c = 0; c < spec.n_calendar; ++c)
    row[f++] = tau >= 0 && tau < n_cal ? calendar[tau * spec.n_calendar + c] : 0.0f;
}

// DeepAR's window scale from the sum of |y| over the n observed context values: 1 + the mean
// (1 when n = 0).
SKU_HD inline float window_scale_value(double sum_abs, double n) {
  return static_cast<float>(1.0 + (n > 0.0 ? sum_abs / n : 0.0));
}

}  // namespace skucast
