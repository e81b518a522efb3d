// engine/deepar/guard.cpp — input checks and forecast bounds (engine/deepar/guard.h,
// Note [Finite forecasts]).
#include "engine/deepar/guard.h"

#include <algorithm>
#include <cmath>

#include "kernels/common.hpp"

namespace skucast::deepar {

void check_model_inputs(const PanelData& d, const std::vector<std::string>& ids, const std::string& file) {
  const int64_t S = d.n_series, T = d.n_time;
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T; ++t) {
      const float z = d.y[s * T + t];
      if (std::isnan(z)) continue;  // missing: masked
      const double v = from_model_scale(d, s, z);
      if (std::isfinite(v) && std::fabs(v) <= kMaxModelInput) continue;
      const std::string id = s < static_cast<int64_t>(ids.size()) ? ids[s] : std::to_string(s);
      throw InputError(file + ": series '" + id + "' has the value " + std::to_string(v) + " at step " +
                       std::to_string(t) + ", which the lstm/gru model cannot represent (values must be finite and "
                       "at most 1e30 in magnitude); fix or remove the series, or rescale the panel");
    }
}

BoundCount bound_forecast(const PanelData& d, int64_t s0, int64_t horizon, int64_t n_levels, std::vector<float>& mean,
                          std::vector<float>& quantiles) {
  const int64_t T = d.n_time, H = horizon, Q = n_levels;
  const int64_t n = H > 0 ? static_cast<int64_t>(mean.size()) / H : 0;
  BoundCount c;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t s = s0 + i;
    double peak = 0.0;
    for (int64_t t = 0; t < T; ++t) {
      const float z = d.y[s * T + t];
      if (!std::isnan(z)) peak = std::max(peak, std::fabs(static_cast<double>(from_model_scale(d, s, z))));
    }
    const float cap = static_cast<float>(kPathBound * std::max(peak, 1.0));
    int64_t hits = 0;
    auto bound = [&](float& v) {
      if (v >= -cap && v <= cap) return;
      v = std::isnan(v) || v > cap ? cap : -cap;
      ++hits;
    };
    for (int64_t h = 0; h < H; ++h) {
      bound(mean[i * H + h]);
      float* q = quantiles.data() + (i * H + h) * Q;
      for (int64_t k = 0; k < Q; ++k) {
        bound(q[k]);
        if (k > 0 && q[k] < q[k - 1]) q[k] = q[k - 1];  // ascending, after a NaN went to the cap
      }
    }
    c.n_values += hits;
    c.n_series += hits > 0;
  }
  return c;
}

}  // namespace skucast::deepar
