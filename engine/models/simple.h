// engine/models/simple.h — the simple baselines (naive, seasonal naive, moving average) and
// the interval helpers every model without its own predictive distribution shares.
//
// Each model is a pure per-series function behind StatModel (engine/stat_model.h): it reads
// a prepared, finite series y [n] and writes mean [H] and quantiles [H, Q] (step-major).
//
// Note [Simple-model intervals]
//   naive:  sigma = sqrt(mean over t of (y_t - y_{t-1})^2), q_p(h) = f + z_p * sigma * sqrt(h)
//   snaive: sigma = sqrt(mean over t of (y_t - y_{t-m})^2),
//           q_p(h) = f + z_p * sigma * sqrt(floor((h-1)/m) + 1)
//           (R's forecast::naive/snaive, Hyndman & Athanasopoulos FPP3 Table 5.2; sigma is the
//           root mean square of the residuals, no degrees-of-freedom correction, as in R.)
//   ma and the intermittent models (no analytic form): empirical quantiles (numpy's default,
//           linear interpolation between order statistics) of the in-sample one-step errors
//           e_t = y_t - fitted_t, scaled by sqrt(h): q_p(h) = f + Q_e(p) * sqrt(h).
//   A series with no residual (n = 1) gets zero-width intervals.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/stat_model.h"

namespace skucast {

// ------------------------------------------------------------------ models ----

std::unique_ptr<StatModel> make_naive();
std::unique_ptr<StatModel> make_snaive();
// window 0: the season length when it is > 1, else 7; always capped at n.
std::unique_ptr<StatModel> make_ma(int window = 0);

// The naive forecast as a plain function: the runner's fallback of last resort.
// [in] in (n >= 1), spec; [out] out.mean [H], out.quantiles [H, Q]. Never throws.
void naive_forecast(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out);

// --------------------------------------------------------- interval helpers ----

// Inverse of the standard normal CDF for p in (0, 1) (Acklam's rational approximation
// refined by one Halley step; |error| < 1e-13). p <= 0 or p >= 1 gives -/+ infinity.
double normal_quantile(double p);

// quantiles[h, j] = mean[h]  (zero-width intervals).
void flat_quantiles(const ForecastSpec& spec, const double* mean /*[H]*/, double* quantiles /*[H, Q]*/);

// quantiles[h, j] = mean[h] + z(levels[j]) * sigma_h[h].
void normal_quantiles(const ForecastSpec& spec, const double* mean /*[H]*/, const double* sigma_h /*[H]*/,
                      double* quantiles /*[H, Q]*/);

// Empirical residual quantiles scaled by sqrt(h) (Note [Simple-model intervals]).
// resid [n_resid] is left unchanged; scratch must hold n_resid doubles. n_resid = 0 gives
// zero-width intervals.
void residual_quantiles(const ForecastSpec& spec, const double* resid /*[n_resid]*/, int64_t n_resid,
                        const double* mean /*[H]*/, double* quantiles /*[H, Q]*/, double* scratch /*[n_resid]*/);

// Empirical quantile (numpy "linear", R type 7) of a sorted array x [n], n >= 1.
double sorted_quantile(const double* x, int64_t n, double p);

// Per-thread scratch of at least n doubles, one buffer per `slot` (0..7), reused across calls
// so the per-series functions do not allocate once warm.
double* thread_scratch(int slot, int64_t n);

}  // namespace skucast
