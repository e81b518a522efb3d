// engine/stat/arima/series.h — the per-series function of the StatModel "arima" (arima.h):
// fitting window, short and constant series, the automatic order (engine/stat/arima/auto_core.h), the
// forecast with its variances (engine/stat/arima/kalman_core.h), normal quantiles and the naive fallback.
// ArimaModel (arima.cpp) and the GPU batch (engine/stat/gpu_series.h, one CUDA thread
// per series) run this same function (SKU_HD, Note [One source for CPU and GPU models] in kernels/hd.hpp);
// all memory comes from the caller (Note [ARIMA scratch] in engine/stat/arima/core.h).
#pragma once

#include <cmath>
#include <cstdint>

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/auto_core.h"
#include "engine/stat/arima/core.h"
#include "engine/stat/arima/kalman_core.h"
#include "engine/stat/forecast_util.h"
#include "kernels/hd.hpp"
#include "engine/stat/model.h"

namespace skucast {

// Number of values "arima" fits of a series of n (Note [ARIMA fitting window]).
inline SKU_HD int64_t arima_window_n(int64_t n, int m) {
  const int64_t w4 = 4 * static_cast<int64_t>(m);
  const int64_t w = kArimaWindowMin > w4 ? kArimaWindowMin : w4;
  return n > w ? w : n;
}

// Doubles of work arima_forecast_series needs for series of at most n values (before the
// window) with season length m.
inline SKU_HD int64_t arima_series_work_doubles(int64_t n, int m) {
  return arima_work_doubles(arima_window_n(n, m), m, 0, arima_r_cap(m));
}

// out.fitted of a fallback that filled it for the last n_win values (the fitting window) moved
// to their place in the series of off + n_win values; NaN before the window.
inline SKU_HD void arima_window_fitted(SeriesOutput& out, int64_t off, int64_t n_win) {
  if (!out.fitted || !out.has_fitted || off == 0) return;
  for (int64_t t = n_win - 1; t >= 0; --t) out.fitted[off + t] = out.fitted[t];
  for (int64_t t = 0; t < off; ++t) out.fitted[t] = NAN;
}

// The StatModel "arima" on one prepared series: arima_auto, then arima_forecast; naive
// fallback (out.fallback = true) for series too short (n < 8), constant series (flat forecast,
// zero-width intervals) and failed fits. Never writes NaN/Inf. [out] out.mean [H],
// out.quantiles [H, Q]; sd [H] and work [arima_series_work_doubles(whole.n, m)] scratch.
// order (optional) [8]: the fitted (p, d, q, P, D, Q, m, constant), all -1 without a fit.
// out.fitted [whole.n] (optional, `forecast --residuals`): the Kalman filter's one-step
// predictions y_t − v_t over the fitting window after its first d + D m values (R's
// residuals(Arima) are these innovations there), NaN before; a fallback's own.
inline SKU_HD void arima_forecast_series(const SeriesInput& whole, const ForecastSpec& spec, SeriesOutput& out,
                                         double* sd, double* work, int32_t* order = nullptr) {
  out.fallback = false;
  if (order != nullptr)
    for (int i = 0; i < 8; ++i) order[i] = -1;
  const int64_t h = spec.horizon;
  if (h <= 0) return;
  SeriesInput in = whole;  // Note [ARIMA fitting window] (arima_fit_window without regressors)
  in.n = arima_window_n(whole.n, whole.season_length);
  in.y = whole.y + (whole.n - in.n);
  in.regressors = nullptr;
  in.n_regressors = 0;
  const int64_t off = whole.n - in.n;  // values before the fitting window
  if (in.n < 8 || !all_finite(in.y, in.n)) {
    naive_fallback(in, spec, out);
    arima_window_fitted(out, off, in.n);
    return;
  }
  if (is_constant_series(in.y, in.n)) {
    constant_forecast(in, spec, out);
    arima_window_fitted(out, off, in.n);
    return;
  }
  const int m = in.season_length;
  const ArimaWork W = arima_work_make(work, in.n, m, 0, arima_r_cap(m));
  ArimaFit fit;
  bool ok = arima_auto_hd(in.y, in.n, m, fit, W, ArimaAutoOptions{}, nullptr);
  int nd = 0;  // d + D m: values the differencing consumes
  if (ok) {
    // The forecast's work (w and the augmented covariance) must fit the region it shares with
    // the search (Note [ARIMA scratch]); arima_work_doubles sized it for every order the
    // search can return, so this only guards against a broken invariant.
    double delta[kArimaMaxDiff];
    nd = arima_diff_poly(fit.order, delta);
    const int r = arima_expand(fit.order, fit.coefs).r;
    ok = r <= W.mats.r_cap && arima_forecast_work_doubles(in.n, r, nd) <= W.forecast_cap &&
         arima_forecast_hd(in.y, in.n, fit.order, fit.coefs, fit.sigma2, h, out.mean, sd, W.mats, W.forecast,
                           out.fitted ? out.fitted + off + nd : nullptr);
  }
  if (!ok) {
    naive_fallback(in, spec, out);
    arima_window_fitted(out, off, in.n);
    return;
  }
  if (out.fitted) {  // innovations → one-step predictions
    for (int64_t t = 0; t < off + nd; ++t) out.fitted[t] = NAN;
    for (int64_t t = off + nd; t < whole.n; ++t) out.fitted[t] = whole.y[t] - out.fitted[t];
    out.has_fitted = true;
  }
  if (order != nullptr) {
    const ArimaOrder& o = fit.order;
    order[0] = o.p, order[1] = o.d, order[2] = o.q, order[3] = o.P, order[4] = o.D, order[5] = o.Q, order[6] = o.m;
    order[7] = o.constant ? 1 : 0;
  }
  write_normal_quantiles(out.mean, sd, spec, out);
  if (!output_is_finite(spec, out)) {
    naive_fallback(in, spec, out);
    arima_window_fitted(out, off, in.n);
  }
}

}  // namespace skucast
