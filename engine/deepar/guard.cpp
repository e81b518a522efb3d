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

double series_cap(const PanelData& d, int64_t s) {
  const int64_t T = d.n_time;
  double peak = 0.0;
  for (int64_t t = 0; t < T; ++t) {
    const float z = d.y[s * T + t];
    if (!std::isnan(z)) peak = std::max(peak, std::fabs(static_cast<double>(from_model_scale(d, s, z))));
  }
  return forecast_cap(peak);  // kPathBound x max(peak, 1)
}

BoundCount bound_forecast(const PanelData& d, int64_t s0, int64_t horizon, int64_t n_levels, std::vector<float>& mean,
                          std::vector<float>& quantiles) {
  const int64_t H = horizon;
  const int64_t n = H > 0 ? static_cast<int64_t>(mean.size()) / H : 0;
  BoundCount c;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t hits = bound_forecast_row(static_cast<float>(series_cap(d, s0 + i)), H, n_levels, mean.data() + i * H,
                                            quantiles.data() + i * H * n_levels);
    c.n_values += hits;
    c.n_series += hits > 0;
  }
  return c;
}

void bound_paths(const PanelData& d, int64_t i0, int64_t nb, int64_t n_paths, int64_t horizon, float* paths) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < nb; ++i) {
    const float cap = static_cast<float>(series_cap(d, i0 + i));
    float* p = paths + i * n_paths * horizon;  // series i0 + i [N, H]
    for (int64_t k = 0; k < n_paths * horizon; ++k) clamp_to_cap(p[k], cap);
  }
}

}  // namespace skucast::deepar
