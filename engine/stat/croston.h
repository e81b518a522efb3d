// engine/stat/croston.h — intermittent-demand models: Croston, SBA and TSB.
//
// Note [Croston conventions] (match statsforecast's CrostonClassic, CrostonSBA and TSB)
//   Demands d_k are the non-zero values, intervals q_k the gaps between them; the first
//   interval is the (1-based) position of the first demand (statsforecast `_intervals`).
//   Each is smoothed by simple exponential smoothing started at its first value:
//     z <- d_1, p <- q_1;   then per later demand:  z <- z + a_d (d_k - z),  p <- p + a_p (q_k - p)
//   croston: f = z / p                              (a_d = a_p = 0.1)
//   sba:     f = (1 - a_p / 2) z / p = 0.95 z / p     (Syntetos & Boylan 2005 bias correction)
//   tsb:     demand probability b <- 1[y_0 != 0], then every period b <- b + a_b (1[y_t != 0] - b);
//            z as above (updated only on demand periods); f = b * z   (a_d = a_b = 0.1)
//   croston_opt: croston with a_d and a_p each chosen in [0.1, 0.3] to minimize the in-sample
//            one-step MSE of SES on the demands / on the intervals (statsforecast's
//            CrostonOptimized; golden-section search to 1e-5 instead of scipy's bounded Brent)
//   A series without any non-zero value forecasts 0.
//   Intervals: empirical quantiles of the in-sample one-step errors after the first demand,
//   scaled by sqrt(h) (Note [Simple-model intervals]); clipped at 0 when the series has no
//   negative value.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>

#include "kernels/hd.hpp"
#include "engine/stat/simple.h"
#include "engine/stat/model.h"

namespace skucast {

enum class CrostonVariant { Classic, Sba, Tsb, Optimized };

struct CrostonParams {
  double alpha_demand = 0.1;    // a_d: smoothing of the demand sizes
  double alpha_interval = 0.1;  // a_p: smoothing of the intervals (classic, sba) or of the
                                // demand probability a_b (tsb)
};

std::unique_ptr<StatModel> make_croston(CrostonParams p = {});
std::unique_ptr<StatModel> make_sba(CrostonParams p = {});
std::unique_ptr<StatModel> make_tsb(CrostonParams p = {});
std::unique_ptr<StatModel> make_croston_optimized();

// ------------------------------------------------------- per-series cores ----
// Compiled for the CPU and the GPU (SKU_HD, Note [One source for CPU and GPU models] in
// kernels/hd.hpp).

// statsforecast's _ses_fcst_mse: sum over i >= 1 of (x_i - level_{i-1})^2 / n.
SKU_HD inline double croston_ses_mse(const double* x, int64_t n, double alpha) {
  double level = x[0], sse = 0.0;
  for (int64_t i = 1; i < n; ++i) {
    const double e = x[i] - level;
    sse += e * e;
    level += alpha * e;
  }
  return sse / static_cast<double>(n);
}

// The alpha in [lo, hi] minimizing the SES one-step in-sample MSE of x [n] (level started at
// x[0]); lo when n < 3.
SKU_HD inline double optimize_ses_alpha(const double* x, int64_t n, double lo, double hi) {
  if (n < 3) return lo;  // fewer than two errors: every alpha fits equally
  const double g = 0.5 * (std::sqrt(5.0) - 1.0);  // golden ratio conjugate
  double a = lo, b = hi;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = croston_ses_mse(x, n, c), fd = croston_ses_mse(x, n, d);
  while (b - a > 1e-5) {
    if (fc <= fd) {
      b = d; d = c; fd = fc;
      c = b - g * (b - a); fc = croston_ses_mse(x, n, c);
    } else {
      a = c; c = d; fc = fd;
      d = a + g * (b - a); fd = croston_ses_mse(x, n, d);
    }
  }
  // The end points can win on monotone objectives (the usual case at the bounds).
  double best = 0.5 * (a + b), f_best = croston_ses_mse(x, n, best);
  const double ends[2] = {lo, hi};
  for (int i = 0; i < 2; ++i) {
    const double fe = croston_ses_mse(x, n, ends[i]);
    if (fe < f_best) { best = ends[i]; f_best = fe; }
  }
  return best;
}

// The per-series function behind all of them (Optimized: pass the optimized alphas): returns the flat forecast f and, when resid is
// not null, writes the one-step in-sample errors after the first demand into resid [n] and
// their count into *n_resid; fitted [n] or null: the one-step prediction made before each step
// (the forecast from the state so far), NaN up to and including the first demand, so that
// y − fitted are those same errors (`forecast --residuals`). y [n] finite, n >= 1.
SKU_HD inline double croston_fit(CrostonVariant v, const CrostonParams& p, const double* y, int64_t n, double* resid,
                                 int64_t* n_resid, double* fitted = nullptr) {
  const double a_d = p.alpha_demand, a_p = p.alpha_interval;
  const double sba_factor = v == CrostonVariant::Sba ? 1.0 - a_p / 2.0 : 1.0;
  int64_t count = 0;
  bool seen = false;       // a demand has been observed
  double z = 0.0;          // smoothed demand size
  double q = 0.0;          // smoothed interval (classic, sba)
  double b = 0.0;          // smoothed demand probability (tsb)
  int64_t last = -1;       // position of the last demand
  auto current = [&]() {   // forecast from the state so far
    if (v == CrostonVariant::Tsb) return b * z;
    return sba_factor * z / q;  // q >= 1 once a demand was seen
  };
  for (int64_t t = 0; t < n; ++t) {
    const bool demand = y[t] != 0.0;
    if (seen && resid) resid[count++] = y[t] - current();  // one-step error at t
    if (fitted) fitted[t] = seen ? current() : NAN;
    if (v == CrostonVariant::Tsb) {
      // The probability is smoothed over every period, started at the first indicator.
      b = t == 0 ? (demand ? 1.0 : 0.0) : b + a_p * ((demand ? 1.0 : 0.0) - b);
    }
    if (!demand) continue;
    const double interval = static_cast<double>(t - last);  // first one: t + 1
    if (!seen) {
      z = y[t];
      q = interval;
      seen = true;
    } else {
      z += a_d * (y[t] - z);
      q += a_p * (interval - q);
    }
    last = t;
  }
  if (n_resid) *n_resid = count;
  return seen ? current() : 0.0;
}

// The forecast of one prepared series (in.n >= 1). [out] out.mean [H], out.quantiles [H, Q];
// resid, scratch, demand, interval: [n] scratch each (demand and interval only for Optimized).
SKU_HD inline void croston_forecast_series(CrostonVariant variant, CrostonParams params, const SeriesInput& in,
                                           const ForecastSpec& spec, SeriesOutput& out, double* resid,
                                           double* scratch, double* demand, double* interval) {
  int64_t n_resid = 0;
  if (variant == CrostonVariant::Optimized) {
    // Demand sizes and intervals (first interval = position + 1).
    int64_t k = 0, last = -1;
    for (int64_t t = 0; t < in.n; ++t) {
      if (in.y[t] == 0.0) continue;
      demand[k] = in.y[t];
      interval[k++] = static_cast<double>(t - last);
      last = t;
    }
    params.alpha_demand = optimize_ses_alpha(demand, k, 0.1, 0.3);
    params.alpha_interval = optimize_ses_alpha(interval, k, 0.1, 0.3);
    variant = CrostonVariant::Classic;
  }
  const double f = croston_fit(variant, params, in.y, in.n, resid, &n_resid, out.fitted);
  out.has_fitted = out.fitted != nullptr;
  for (int64_t h = 0; h < spec.horizon; ++h) out.mean[h] = f;
  residual_quantiles(spec, resid, n_resid, out.mean, out.quantiles, scratch);
  bool non_negative = true;
  for (int64_t t = 0; t < in.n; ++t) non_negative = non_negative && in.y[t] >= 0.0;
  if (non_negative) {
    for (int64_t i = 0; i < spec.horizon * spec.n_levels; ++i)
      out.quantiles[i] = 0.0 < out.quantiles[i] ? out.quantiles[i] : 0.0;  // std::max(0.0, q)
  }
}

}  // namespace skucast
