// engine/stat/ets/theta.cpp — the Theta method as forecast::thetaf (see theta.h; the per-series
// code is in the header).
#include "engine/stat/ets/theta.h"

#include <vector>

namespace skucast {

bool theta_forecast(const double* y, int64_t n, int m, int64_t h, double* mean, double* sd) {
  std::vector<double> x(static_cast<size_t>(n > 0 ? n : 0));  // [n]
  return theta_forecast(y, n, m, h, mean, sd, x.data());
}

void ThetaModel::forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const {
  std::vector<double> sd(static_cast<size_t>(spec.horizon > 0 ? spec.horizon : 0));  // [H]
  std::vector<double> x(static_cast<size_t>(in.n > 0 ? in.n : 0));                   // [n]
  theta_forecast_series(in, spec, out, sd.data(), x.data());
}

std::unique_ptr<StatModel> make_theta_model(const std::string& name) {
  if (name == "theta") return std::make_unique<ThetaModel>();
  return nullptr;
}

}  // namespace skucast
