// engine/stat/series_prep.h — the batch runner's per-series preparation and finishing, as
// plain functions compiled for the CPU and the GPU (SKU_HD, Note [One source for CPU and GPU
// models] in kernels/hd.hpp).
//
// These are the steps forecast_batch (engine/stat/model.cpp) applies around every model:
//   prepare_series_hd   trim leading/trailing missing values, interpolate interior gaps;
//   storable_hd         a value a float can hold (the runner's fallback trigger);
//   finish_series_hd    quantiles sorted per step, Note [Non-negative support] clipping,
//                       narrowing to float.
// forecast_batch uses prepare_series_hd and storable_hd directly;
// engine/stat/gpu_series.h uses all three for the GPU batch. finish_series_hd is
// forecast_batch's finishing step written without std::sort (same results).
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"

namespace skucast {

// Copies row y [T] into out as doubles without the leading/trailing missing values and with
// interior gaps filled by linear interpolation between the neighbouring observations.
// Non-finite values (NaN, ±Inf) count as missing. Returns n (0 when nothing is observed) and
// the index of the first observation in *first_out.
SKU_HD inline int64_t prepare_series_hd(const float* y, int64_t n_steps, double* out, int64_t* first_out) {
  int64_t first = 0, last = n_steps - 1;
  while (first < n_steps && !std::isfinite(y[first])) ++first;
  *first_out = first;
  if (first == n_steps) return 0;
  while (!std::isfinite(y[last])) --last;
  const int64_t n = last - first + 1;
  int64_t prev = 0;  // index (in out) of the last observed value
  out[0] = y[first];
  for (int64_t i = 1; i < n; ++i) {
    const float v = y[first + i];
    if (!std::isfinite(v)) continue;
    out[i] = v;
    // Fill the gap (prev, i) on the straight line between out[prev] and out[i].
    for (int64_t g = prev + 1; g < i; ++g) {
      const double w = static_cast<double>(g - prev) / static_cast<double>(i - prev);
      out[g] = out[prev] + w * (out[i] - out[prev]);
    }
    prev = i;
  }
  return n;
}

// True when every v [n] fits a float (NaN fails too).
SKU_HD inline bool storable_hd(const double* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!(std::fabs(v[i]) <= static_cast<double>(FLT_MAX))) return false;
  return true;
}

// Sorts each step's quantile row (insertion sort: Q is small, and the rows of well-behaved
// models are already sorted), clips mean and quantiles at 0 when the prepared series y [n]
// has no negative value (Note [Non-negative support] in engine/stat/model.cpp; n = 0: no
// clipping), and writes them as floats. [in/out] mean [H], quant [H, Q] (doubles, modified);
// [out] mean_out [H], quant_out [H, Q].
SKU_HD inline void finish_series_hd(const double* y, int64_t n, int64_t horizon, int n_levels, double* mean,
                                    double* quant, float* mean_out, float* quant_out) {
  for (int64_t h = 0; h < horizon; ++h) {
    double* row = quant + h * n_levels;
    for (int i = 1; i < n_levels; ++i) {
      const double v = row[i];
      int j = i - 1;
      for (; j >= 0 && v < row[j]; --j) row[j + 1] = row[j];
      row[j + 1] = v;
    }
  }
  if (n > 0) {
    double lo = y[0];  // std::min_element: the first smallest
    for (int64_t t = 1; t < n; ++t) lo = y[t] < lo ? y[t] : lo;
    if (lo >= 0.0) {
      for (int64_t h = 0; h < horizon; ++h) mean[h] = mean[h] < 0.0 ? 0.0 : mean[h];  // std::max(v, 0.0)
      for (int64_t i = 0; i < horizon * n_levels; ++i) quant[i] = quant[i] < 0.0 ? 0.0 : quant[i];
    }
  }
  for (int64_t h = 0; h < horizon; ++h) mean_out[h] = static_cast<float>(mean[h]);
  for (int64_t i = 0; i < horizon * n_levels; ++i) quant_out[i] = static_cast<float>(quant[i]);
}

}  // namespace skucast
