// engine/models/theta.h — the Theta method (Assimakopoulos & Nikolopoulos 2000) as in the
// M3 competition and R's forecast::thetaf.
//
// Per series: (1) seasonality test: |r_m| / sqrt((1 + 2 sum_{k<m} r_k^2) / n) > z_0.95 on
// the autocorrelation r at lag m, when m > 1 and n > 2m; (2) if seasonal, classical
// multiplicative decomposition and seasonal adjustment; (3) SES (ETS ANN, alpha and l0 by
// minimum MSE) on the adjusted series plus a drift of half the slope of the linear trend:
// f_h = l_n + b (h - 1 + (1 - (1 - alpha)^n) / alpha); (4) reseasonalise. Intervals as
// thetaf: sd_h = sigma * sqrt(1 + (h - 1) alpha^2), normal quantiles.
// Fallbacks (out.fallback = true): n < 4 or a failed SES fit -> naive; a constant series
// forecasts itself with zero-width intervals.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/stat_model.h"

namespace skucast {

// Pure per-series Theta. [in] y [n] finite, m season length. [out] mean [h], sd [h].
// Returns false when it could not be fitted (caller falls back).
bool theta_forecast(const double* y, int64_t n, int m, int64_t h, double* mean, double* sd);

// True when thetaf's seasonality test finds seasonality at lag m (90 % one-sided).
bool theta_seasonality_test(const double* y, int64_t n, int m);

class ThetaModel final : public StatModel {
 public:
  std::string name() const override { return "theta"; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override;
};

// "theta" -> ThetaModel; nullptr for any other name.
std::unique_ptr<StatModel> make_theta_model(const std::string& name);

}  // namespace skucast
