// kernels/features_cpu.cpp — CPU reference for the window feature kernels (features.hpp):
// OpenMP loops over the windows, whose per-element math is kernels/features_math.hpp's,
// shared with kernels/cuda/features.cu.
#include "kernels/features.hpp"

#include <cmath>

#include "kernels/features_math.hpp"

namespace skucast {

void features_fwd_cpu(const FeatureSpec& spec, const float* y, int64_t /*n_series*/, int64_t n_time,
                      const float* scale, const WindowBatch& batch, const float* calendar, int64_t n_cal,
                      float* x, const float* loc) {
  const int64_t F = feature_count(spec), B = batch.n_batch;
#pragma omp parallel for schedule(static) if (B * batch.n_steps >= 4096)
  for (int64_t b = 0; b < B; ++b) {
    const int64_t s = batch.series[b];
    const double inv = 1.0 / scale[b];
    for (int64_t t = 0; t < batch.n_steps; ++t) {
      const int64_t tau = batch.t0[b] + t;  // absolute step this row describes
      feature_row(spec, y, n_time, s, tau, inv, calendar, n_cal, x + (t * B + b) * F, loc ? loc[b] : 0.0);  // x[t, b, :]
    }
  }
}

void window_scale_cpu(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch,
                      int64_t n_context, float* scale) {
#pragma omp parallel for schedule(static) if (batch.n_batch * n_context >= 16384)
  for (int64_t b = 0; b < batch.n_batch; ++b) {
    double sum = 0;
    int64_t n = 0;
    for (int64_t t = 0; t < n_context; ++t) {  // context steps in order
      const float v = feature_at(y, n_time, batch.series[b], batch.t0[b] + t);
      if (std::isnan(v)) continue;
      sum += std::fabs(v);
      ++n;
    }
    scale[b] = window_scale_value(sum, static_cast<double>(n));
  }
}

void window_loc_scale_cpu(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch,
                          int64_t n_context, float* loc, float* scale) {
#pragma omp parallel for schedule(static) if (batch.n_batch * n_context >= 16384)
  for (int64_t b = 0; b < batch.n_batch; ++b) {
    double sum = 0;
    int64_t n = 0;
    for (int64_t t = 0; t < n_context; ++t) {
      const float v = feature_at(y, n_time, batch.series[b], batch.t0[b] + t);
      if (std::isnan(v)) continue;
      sum += v;
      ++n;
    }
    const double m = n > 0 ? sum / static_cast<double>(n) : 0.0;
    double dev = 0;
    for (int64_t t = 0; t < n_context; ++t) {
      const float v = feature_at(y, n_time, batch.series[b], batch.t0[b] + t);
      if (!std::isnan(v)) dev += std::fabs(v - m);
    }
    loc[b] = static_cast<float>(m);
    scale[b] = window_scale_value(dev, static_cast<double>(n));
  }
}

void window_target_cpu(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch,
                       float* target, const float* loc) {
  for (int64_t t = 0; t < batch.n_steps; ++t)
    for (int64_t b = 0; b < batch.n_batch; ++b)
      target[t * batch.n_batch + b] =
          feature_at(y, n_time, batch.series[b], batch.t0[b] + t) - (loc ? loc[b] : 0.0f);  // NaN stays NaN
}

}  // namespace skucast
