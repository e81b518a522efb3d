// kernels/scale_stats_cpu.cpp — CPU reference for scale_stats (see scale_stats.hpp).
#include "kernels/scale_stats.hpp"

#include <cmath>

namespace skucast {

void scale_stats_cpu(const float* y, int64_t n_series, int64_t n_steps, int32_t* count, float* mean, float* std) {
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < n_series; ++s) {
    const float* row = y + s * n_steps;  // series s, steps 0..T-1
    // Welford's update: one pass, stable for long series.
    int64_t n = 0;
    double mu = 0.0, m2 = 0.0;
    for (int64_t t = 0; t < n_steps; ++t) {
      const double v = row[t];
      if (!std::isfinite(v)) continue;  // NaN = not observed
      ++n;
      const double d = v - mu;
      mu += d / static_cast<double>(n);
      m2 += d * (v - mu);
    }
    count[s] = static_cast<int32_t>(n);
    mean[s] = n > 0 ? static_cast<float>(mu) : 0.0f;
    std[s] = n > 1 ? static_cast<float>(std::sqrt(m2 / static_cast<double>(n))) : 0.0f;
  }
}

}  // namespace skucast
