// engine/stat/ets/theta.h — the Theta method (Assimakopoulos & Nikolopoulos 2000) as in the
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
// Fitted values (`forecast --residuals`): thetaf's, the SES fit's one-step predictions of the
// seasonally adjusted series times the seasonal index (the drift is not in them, as in R's
// forecast::thetaf, whose residuals are y − fitted).
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/stat/decompose.h"
#include "engine/stat/ets/fit.h"
#include "engine/stat/forecast_util.h"
#include "kernels/hd.hpp"
#include "engine/stat/model.h"

namespace skucast {

// True when thetaf's seasonality test finds seasonality at lag m (90 % one-sided).
SKU_HD inline bool theta_seasonality_test(const double* y, int64_t n, int m) {
  if (m < 2 || n <= 2 * static_cast<int64_t>(m) || is_constant_series(y, n)) return false;
  double mean = 0.0;
  for (int64_t t = 0; t < n; ++t) mean += y[t];
  mean /= static_cast<double>(n);
  double c0 = 0.0;
  for (int64_t t = 0; t < n; ++t) c0 += (y[t] - mean) * (y[t] - mean);
  if (!(c0 > 0.0)) return false;
  double sum_r2 = 0.0, r_m = 0.0;
  for (int k = 1; k <= m; ++k) {
    double ck = 0.0;
    for (int64_t t = 0; t + k < n; ++t) ck += (y[t] - mean) * (y[t + k] - mean);
    const double r = ck / c0;
    if (k < m) sum_r2 += r * r;
    else r_m = r;
  }
  const double stat = std::sqrt((1.0 + 2.0 * sum_r2) / static_cast<double>(n));
  return std::fabs(r_m) / stat > 1.6448536269514722;  // qnorm(0.95)
}

// Pure per-series Theta. [in] y [n] finite, m season length. [out] mean [h], sd [h]; x [n]
// scratch (the seasonally adjusted series); fitted [n] or null: the in-sample one-step
// predictions (header note). Returns false when it could not be fitted (caller falls back).
// Compiled for the CPU and the GPU (Note [One source for CPU and GPU models] in
// kernels/hd.hpp).
SKU_HD inline bool theta_forecast(const double* y, int64_t n, int m, int64_t h, double* mean, double* sd, double* x,
                                  double* fitted = nullptr) {
  if (n < 4) return false;
  constexpr int kMaxM = 64;
  double figure[kMaxM];  // [m] multiplicative seasonal indices by position t % m
  bool seasonal = m <= kMaxM && theta_seasonality_test(y, n, m);
  if (seasonal && !classical_seasonal_figure(y, n, m, true, figure)) seasonal = false;
  if (seasonal)
    for (int i = 0; i < m; ++i)
      // thetaf drops seasonality on indices with abs < 1e-4; negative ones (possible with
      // non-positive data) would flip the forecast, so they drop it here too.
      if (!(figure[i] > 1e-4)) seasonal = false;
  for (int64_t t = 0; t < n; ++t) x[t] = y[t];  // [n] seasonally adjusted series
  if (seasonal)
    for (int64_t t = 0; t < n; ++t) x[t] = y[t] / figure[t % m];

  EtsSpec spec;  // ANN by MSE, as forecast::ses(initial = "optimal")
  spec.m = m > 1 ? m : 1;
  EtsFit fit;
  if (!ets_fit(x, n, spec, EtsCriterion::Mse, fit)) return false;
  if (fitted) {
    ets_filter(x, n, fit.spec, fit.par, fit.x0, fitted, nullptr);
    if (seasonal)
      for (int64_t t = 0; t < n; ++t) fitted[t] *= figure[t % m];
  }
  double intercept, slope;
  linear_trend_fit(x, n, 0.0, &intercept, &slope);
  const double drift = 0.5 * slope;
  const double alpha = fit.par.alpha > 1e-10 ? fit.par.alpha : 1e-10;
  const double level = fit.x_end[0];
  const double lead = (1.0 - std::pow(1.0 - alpha, static_cast<double>(n))) / alpha;
  const double sigma = std::sqrt(fit.sigma2 > 0.0 ? fit.sigma2 : 0.0);
  for (int64_t i = 0; i < h; ++i) {
    double f = level + drift * (static_cast<double>(i) + lead);
    if (seasonal) f *= figure[(n + i) % m];
    mean[i] = f;
    sd[i] = sigma * std::sqrt(static_cast<double>(i) * alpha * alpha + 1.0);
  }
  return true;
}

// The same with its own scratch (host only).
bool theta_forecast(const double* y, int64_t n, int m, int64_t h, double* mean, double* sd);

// The per-series function behind ThetaModel. [out] out.mean [H], out.quantiles [H, Q],
// out.fallback; sd [H] and x [n] scratch.
SKU_HD inline void theta_forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out, double* sd,
                                         double* x) {
  out.fallback = false;
  const int64_t h = spec.horizon;
  if (h <= 0) return;
  if (in.n < 1 || !all_finite(in.y, in.n)) {
    naive_fallback(in, spec, out);
    return;
  }
  if (is_constant_series(in.y, in.n)) return constant_forecast(in, spec, out);
  if (!theta_forecast(in.y, in.n, in.season_length, h, out.mean, sd, x, out.fitted)) {
    naive_fallback(in, spec, out);
    return;
  }
  out.has_fitted = out.fitted != nullptr;
  write_normal_quantiles(out.mean, sd, spec, out);
  if (!output_is_finite(spec, out)) naive_fallback(in, spec, out);
}

class ThetaModel final : public StatModel {
 public:
  std::string name() const override { return "theta"; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override;
};

// "theta" -> ThetaModel; nullptr for any other name.
std::unique_ptr<StatModel> make_theta_model(const std::string& name);

}  // namespace skucast
