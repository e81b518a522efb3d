// engine/stat/simple.h — the simple baselines (naive, seasonal naive, moving average) and
// the interval helpers every model without its own predictive distribution shares.
//
// Each model is a pure per-series function behind StatModel (engine/stat/model.h): it reads
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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "kernels/hd.hpp"
#include "engine/stat/normal.h"
#include "engine/stat/model.h"

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
// Compiled for the CPU and the GPU (SKU_HD, Note [One source for CPU and GPU models] in
// kernels/hd.hpp), like the per-series cores below.

// Inverse of the standard normal CDF for p in (0, 1) (Acklam's rational approximation
// refined by one Halley step; |error| < 1e-13). p <= 0 or p >= 1 gives -/+ infinity.
SKU_HD inline double normal_quantile(double p) { return inverse_normal_cdf(p); }  // engine/stat/normal.h

// quantiles[h, j] = mean[h]  (zero-width intervals).
SKU_HD inline void flat_quantiles(const ForecastSpec& spec, const double* mean /*[H]*/, double* quantiles /*[H, Q]*/) {
  for (int64_t h = 0; h < spec.horizon; ++h)
    for (int j = 0; j < spec.n_levels; ++j) quantiles[h * spec.n_levels + j] = mean[h];
}

// quantiles[h, j] = mean[h] + z(levels[j]) * sigma_h[h].
void normal_quantiles(const ForecastSpec& spec, const double* mean /*[H]*/, const double* sigma_h /*[H]*/,
                      double* quantiles /*[H, Q]*/);

// Empirical quantile (numpy "linear", R type 7) of a sorted array x [n], n >= 1.
double sorted_quantile(const double* x, int64_t n, double p);

// Reorders a [first, last) so that a[k] holds the value a sorted range would have there, with
// no larger value before it and no smaller one after it (std::nth_element's contract; device
// code has no <algorithm>). Quickselect, median-of-three pivot, Hoare partition.
SKU_HD inline void select_nth(double* a, int64_t first, int64_t k, int64_t last) {
  int64_t l = first, r = last - 1;
  while (r > l) {
    const int64_t mid = l + (r - l) / 2;
    double t;
    if (a[mid] < a[l]) t = a[mid], a[mid] = a[l], a[l] = t;
    if (a[r] < a[l]) t = a[r], a[r] = a[l], a[l] = t;
    if (a[r] < a[mid]) t = a[r], a[r] = a[mid], a[mid] = t;
    const double pivot = a[mid];
    int64_t i = l, j = r;
    while (i <= j) {
      while (a[i] < pivot) ++i;
      while (pivot < a[j]) --j;
      if (i <= j) {
        t = a[i], a[i] = a[j], a[j] = t;
        ++i;
        --j;
      }
    }
    // [l, j] <= pivot, (j, i) == pivot, [i, r] >= pivot
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return;
  }
}

// Empirical residual quantiles scaled by sqrt(h) (Note [Simple-model intervals]).
// resid [n_resid] is left unchanged; scratch must hold n_resid doubles. n_resid = 0 gives
// zero-width intervals.
SKU_HD inline void residual_quantiles(const ForecastSpec& spec, const double* resid /*[n_resid]*/, int64_t n_resid,
                                      const double* mean /*[H]*/, double* quantiles /*[H, Q]*/,
                                      double* scratch /*[n_resid]*/) {
  if (n_resid <= 0) {
    flat_quantiles(spec, mean, quantiles);
    return;
  }
  for (int64_t i = 0; i < n_resid; ++i) scratch[i] = resid[i];
  int64_t start = 0;  // levels ascend: [start, n) holds every order statistic at or above start
  for (int j = 0; j < spec.n_levels; ++j) {
    // The two order statistics around position p*(n-1) by selection, O(n) per level instead
    // of a full sort; the result equals sorted_quantile() on the sorted residuals.
    const double pos = spec.levels[j] * static_cast<double>(n_resid - 1);
    int64_t lo = static_cast<int64_t>(std::floor(pos));
    lo = lo < 0 ? 0 : (lo > n_resid - 1 ? n_resid - 1 : lo);
    const int64_t from = lo >= start ? start : 0;
#ifdef __CUDA_ARCH__
    select_nth(scratch, from, lo, n_resid);
#else
    std::nth_element(scratch + from, scratch + lo, scratch + n_resid);
#endif
    start = lo;
    const double v_lo = scratch[lo];
    double v_hi = v_lo;
    if (lo + 1 < n_resid) {
      v_hi = scratch[lo + 1];  // the smallest value after lo: the next order statistic
      for (int64_t i = lo + 2; i < n_resid; ++i) v_hi = scratch[i] < v_hi ? scratch[i] : v_hi;
    }
    const double qe = v_lo + (pos - static_cast<double>(lo)) * (v_hi - v_lo);  // one-step error quantile
    for (int64_t h = 0; h < spec.horizon; ++h)
      quantiles[h * spec.n_levels + j] = mean[h] + qe * std::sqrt(static_cast<double>(h + 1));
  }
}

// Per-thread scratch of at least n doubles, one buffer per `slot` (0..7), reused across calls
// so the per-series functions do not allocate once warm.
double* thread_scratch(int slot, int64_t n);

// ------------------------------------------------------- per-series cores ----
// The functions behind the models above, on caller scratch (CPU: thread_scratch; GPU:
// engine/stat/cuda/gpu_models.cu). [in] in (n >= 1, finite), spec; [out] out.mean [H],
// out.quantiles [H, Q], out.fallback.

SKU_HD inline void naive_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) {
  const double* y = in.y;
  const int64_t n = in.n;
  const double last = y[n - 1];
  double ss = 0.0;  // sum of squared one-step differences
  for (int64_t t = 1; t < n; ++t) ss += (y[t] - y[t - 1]) * (y[t] - y[t - 1]);
  const double sigma = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
  if (out.fitted) {  // ŷ_t = y_{t-1}
    out.fitted[0] = NAN;
    for (int64_t t = 1; t < n; ++t) out.fitted[t] = y[t - 1];
    out.has_fitted = true;
  }
  for (int64_t h = 0; h < spec.horizon; ++h) {
    out.mean[h] = last;
    const double s = sigma * std::sqrt(static_cast<double>(h + 1));
    for (int j = 0; j < spec.n_levels; ++j)
      out.quantiles[h * spec.n_levels + j] = sigma > 0.0 ? last + normal_quantile(spec.levels[j]) * s : last;
  }
}

SKU_HD inline void snaive_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) {
  const int64_t m = in.season_length > 1 ? in.season_length : 1;
  const int64_t n = in.n;
  if (m == 1) {  // with no season, seasonal naive is naive
    naive_series(in, spec, out);
    return;
  }
  if (n < m) {  // not one full season yet: fall back to naive
    naive_series(in, spec, out);
    out.fallback = true;
    return;
  }
  const double* y = in.y;
  double ss = 0.0;  // sum of squared seasonal differences y_t - y_{t-m}
  for (int64_t t = m; t < n; ++t) ss += (y[t] - y[t - m]) * (y[t] - y[t - m]);
  const double sigma = n > m ? std::sqrt(ss / static_cast<double>(n - m)) : 0.0;
  if (out.fitted) {  // ŷ_t = y_{t-m}
    for (int64_t t = 0; t < n; ++t) out.fitted[t] = t >= m ? y[t - m] : NAN;
    out.has_fitted = true;
  }
  for (int64_t h = 0; h < spec.horizon; ++h) {
    out.mean[h] = y[n - m + (h % m)];  // same position in the last observed season
    const double s = sigma * std::sqrt(static_cast<double>(h / m + 1));  // floor((h-1)/m)+1, h 1-based
    for (int j = 0; j < spec.n_levels; ++j)
      out.quantiles[h * spec.n_levels + j] =
          sigma > 0.0 ? out.mean[h] + normal_quantile(spec.levels[j]) * s : out.mean[h];
  }
}

// window 0: the season length when it is > 1, else 7; always capped at n.
// resid [n] and scratch [n] are scratch.
SKU_HD inline void ma_series(int window, const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out,
                             double* resid, double* scratch) {
  const double* y = in.y;
  const int64_t n = in.n;
  int64_t k = window > 0 ? window : (in.season_length > 1 ? in.season_length : 7);
  k = k < n ? k : n;
  // One-step in-sample errors: e_t = y_t - mean(y[t-k .. t-1]) for t = k .. n-1 (rolling sum);
  // those means are the fitted values (`forecast --residuals`), none before step k.
  int64_t n_resid = 0;
  double window_sum = 0.0;
  for (int64_t t = 0; t < k; ++t) {
    window_sum += y[t];
    if (out.fitted) out.fitted[t] = NAN;
  }
  for (int64_t t = k; t < n; ++t) {
    const double pred = window_sum / static_cast<double>(k);
    resid[n_resid++] = y[t] - pred;
    if (out.fitted) out.fitted[t] = pred;
    window_sum += y[t] - y[t - k];
  }
  out.has_fitted = out.fitted != nullptr;
  // Recompute the final window exactly (the rolling sum drifts on long series).
  double last_sum = 0.0;
  for (int64_t t = n - k; t < n; ++t) last_sum += y[t];
  const double f = last_sum / static_cast<double>(k);
  for (int64_t h = 0; h < spec.horizon; ++h) out.mean[h] = f;
  residual_quantiles(spec, resid, n_resid, out.mean, out.quantiles, scratch);
}

}  // namespace skucast
