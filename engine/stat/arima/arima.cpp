// engine/stat/arima/arima.cpp — the host entry points of ARIMA estimation (arima_fit, whose SKU_HD
// core is engine/stat/arima/fit_core.h), the fitting window and the StatModel "arima", whose per-series
// function (engine/stat/arima/series.h) is also the GPU's (engine/stat/gpu_series.h).
#include "engine/stat/arima/arima.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "engine/stat/arima/core.h"
#include "engine/stat/arima/fit_core.h"
#include "engine/stat/arima/series.h"

namespace skucast {

bool arima_fit(const double* y, int64_t n, const ArimaOrder& o, ArimaFit& out, ArimaScratch& s,
               const ArimaXreg* xreg, ArimaEffort effort) {
  std::vector<double> buf(static_cast<size_t>(3 * std::max<int64_t>(n, 1)));  // [3 n] w, CSS residuals, u
  return arima_fit_hd(y, n, o, out, arima_mats(s), buf.data(), xreg, effort);
}

SeriesInput arima_fit_window(const SeriesInput& in) {
  const int64_t w = std::max<int64_t>(kArimaWindowMin, 4 * static_cast<int64_t>(in.season_length));
  if (in.n <= w) return in;
  SeriesInput out = in;
  const int64_t skip = in.n - w;
  out.y = in.y + skip;
  out.n = w;
  if (in.regressors != nullptr) out.regressors = in.regressors + skip * in.n_regressors;
  return out;
}

namespace {

class ArimaModel final : public StatModel {
 public:
  std::string name() const override { return "arima"; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    if (spec.horizon <= 0) return arima_forecast_series(in, spec, out, nullptr, nullptr);
    // sd [H], then the series' work (Note [ARIMA scratch], engine/stat/arima/core.h).
    std::vector<double> buf(static_cast<size_t>(spec.horizon + arima_series_work_doubles(in.n, in.season_length)));
    arima_forecast_series(in, spec, out, buf.data(), buf.data() + spec.horizon);
  }
};

}  // namespace

std::unique_ptr<StatModel> make_arima_model() { return std::make_unique<ArimaModel>(); }

}  // namespace skucast
