// engine/stat/forecast_util.h — helpers shared by the ETS and Theta model wrappers:
// quantiles from mean and standard deviation, a naive fallback, input checks. Compiled for the
// CPU and the GPU (SKU_HD, Note [One source for CPU and GPU models] in kernels/hd.hpp).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"
#include "engine/stat/normal.h"
#include "engine/stat/model.h"

namespace skucast {

// out.quantiles[h, q] = mean[h] + z(level q) * sd[h]; sd [H] >= 0. Writes out.mean too.
// mean and sd may alias out.mean (sd never aliases out.quantiles).
SKU_HD inline void write_normal_quantiles(const double* mean, const double* sd, const ForecastSpec& spec,
                                          SeriesOutput& out) {
  for (int64_t i = 0; i < spec.horizon; ++i) out.mean[i] = mean[i];
  for (int q = 0; q < spec.n_levels; ++q) {  // one inverse CDF per level (same values as per cell)
    const double z = inverse_normal_cdf(spec.levels[q]);
    for (int64_t i = 0; i < spec.horizon; ++i) out.quantiles[i * spec.n_levels + q] = out.mean[i] + z * sd[i];
  }
}

// True when every mean and quantile is finite.
SKU_HD inline bool output_is_finite(const ForecastSpec& spec, const SeriesOutput& out) {
  for (int64_t i = 0; i < spec.horizon; ++i) {
    if (!std::isfinite(out.mean[i])) return false;
    for (int q = 0; q < spec.n_levels; ++q)
      if (!std::isfinite(out.quantiles[i * spec.n_levels + q])) return false;
  }
  return true;
}

// Random-walk fallback: mean = last finite value (0 if none), sd_h = sqrt(h) * RMS of the
// first differences. Always finite. Sets out.fallback.
SKU_HD inline void naive_fallback(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) {
  double last = 0.0, ss = 0.0, prev = 0.0;
  int64_t n_diff = 0;
  bool have_prev = false;
  for (int64_t t = 0; t < in.n; ++t) {
    const double v = in.y[t];
    if (!std::isfinite(v)) continue;
    if (have_prev) {
      ss += (v - prev) * (v - prev);
      ++n_diff;
    }
    prev = v;
    have_prev = true;
    last = v;
  }
  double sigma = n_diff > 0 ? std::sqrt(ss / static_cast<double>(n_diff)) : 0.0;
  if (!std::isfinite(sigma)) sigma = 0.0;
  if (!std::isfinite(last)) last = 0.0;
  if (out.fitted) {  // the random walk's one-step predictions
    for (int64_t t = 0; t < in.n; ++t) out.fitted[t] = t > 0 && std::isfinite(in.y[t - 1]) ? in.y[t - 1] : NAN;
    out.has_fitted = true;
  }
  for (int64_t i = 0; i < spec.horizon; ++i) {
    out.mean[i] = last;
    const double sd = sigma * std::sqrt(static_cast<double>(i + 1));
    for (int q = 0; q < spec.n_levels; ++q) {
      const double v = last + inverse_normal_cdf(spec.levels[q]) * sd;
      out.quantiles[i * spec.n_levels + q] = std::isfinite(v) ? v : last;
    }
  }
  out.fallback = true;
}

// Defined fallback for a constant series (its likelihood is degenerate: SSE = 0): the
// last value, with zero-width intervals. Sets out.fallback.
SKU_HD inline void constant_forecast(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) {
  const double last = in.y[in.n - 1];
  if (out.fitted) {  // a constant series predicts itself
    for (int64_t t = 0; t < in.n; ++t) out.fitted[t] = t > 0 ? last : NAN;
    out.has_fitted = true;
  }
  for (int64_t i = 0; i < spec.horizon; ++i) {
    out.mean[i] = last;
    for (int q = 0; q < spec.n_levels; ++q) out.quantiles[i * spec.n_levels + q] = last;
  }
  out.fallback = true;
}

// True when all n values are finite.
SKU_HD inline bool all_finite(const double* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(y[i])) return false;
  return true;
}

// True when the series is constant up to 1e-10 of its size.
SKU_HD inline bool is_constant_series(const double* y, int64_t n) {
  double lo = y[0], hi = y[0];
  for (int64_t i = 1; i < n; ++i) {
    lo = y[i] < lo ? y[i] : lo;
    hi = y[i] > hi ? y[i] : hi;
  }
  return hi - lo <= 1e-10 * (std::fabs(hi) + std::fabs(lo) + 1e-300);
}

}  // namespace skucast
