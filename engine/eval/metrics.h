// engine/eval/metrics.h — forecast accuracy metrics, per series, with a batched CPU implementation.
//
// Per-series functions take one test window of H steps: actual y [H] (NaN = not observed,
// skipped), point forecast f [H], quantiles q [H, Q] (step-major), and where a scale is
// needed the in-sample history x [n] (NaN = missing). Storage is float, accumulation double
// (STYLE K6). A metric with no observed actual, or with an undefined (zero or non-finite)
// scale, is NaN for that series; aggregates skip NaN and report how many were skipped.
//
// Definitions (Note [Metric definitions]):
//   MAE    mean |y - f|
//   RMSE   sqrt(mean (y - f)^2)
//   sMAPE  mean 200 |y - f| / (|y| + |f|), a term is 0 when y = f = 0         (M3)
//   MASE   MAE / mean_t |x_t - x_{t-m}|; lag 1 when n <= m                  (Hyndman & Koehler 2006)
//   RMSSE  sqrt(mean (y - f)^2 / mean_t (x_t - x_{t-1})^2), the scale over the history
//          from the first non-zero value on                                  (M5)
//   WRMSSE sum_i w_i RMSSE_i, w normalized to sum 1 over the series whose RMSSE is defined;
//          w = the panel's /series/weight, or equal                          (M5)
//   bias   mean (f - y)  (positive: over-forecast)
//   pinball(tau) mean over steps of tau (y - q) if y >= q else (1 - tau)(q - y);
//          "pinball" is the mean over the Q levels
//   coverage(lo, hi) share of observed y with q_lo <= y <= q_hi, for each symmetric pair of
//          levels (lo + hi = 1, lo < 0.5): 0.1/0.9 is the 80 % interval, column "cov80"
// Scales use only pairs where both values are observed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace skucast {

// ------------------------------------------------------------ per series ----

double mae(const float* y, const float* f, int64_t h);
double rmse(const float* y, const float* f, int64_t h);
double smape(const float* y, const float* f, int64_t h);
double bias(const float* y, const float* f, int64_t h);
// Mean absolute lag-m difference of x [n] (lag 1 when the observed span of x is <= m);
// NaN when no pair of observed values exists.
double mase_scale(const float* x, int64_t n, int m);
// Mean squared one-step difference of x [n] from its first non-zero value on.
double rmsse_scale(const float* x, int64_t n);
// mae / scale, NaN when the scale is 0 or not finite.
double mase(const float* y, const float* f, int64_t h, double scale);
// sqrt(mse / scale), NaN when the scale is 0 or not finite.
double rmsse(const float* y, const float* f, int64_t h, double scale);
// Mean pinball loss of quantile column j of q [H, Q] at level tau.
double pinball(const float* y, const float* q, int64_t h, int n_levels, int j, double tau);
// Mean over the Q levels of pinball().
double mean_pinball(const float* y, const float* q, int64_t h, const double* levels, int n_levels);
// Share of observed y inside [q[:, lo], q[:, hi]].
double interval_coverage(const float* y, const float* q, int64_t h, int n_levels, int lo, int hi);
// sum_i w_i v_i / sum_i w_i over series with finite v_i (w null: equal weights);
// *n_excluded (optional) counts the series skipped. NaN when none is left.
double weighted_mean(const double* v, const float* w, int64_t n_series, int64_t* n_excluded);

// --------------------------------------------------------------- batched ----

// The per-series metric columns for a set of quantile levels.
struct MetricLayout {
  std::vector<std::string> names;   // mae, rmse, smape, mase, rmsse, bias[, pinball, covNN...]
  std::vector<int> cov_lo, cov_hi;  // level indices of each coverage column
  std::vector<double> cov_nominal;  // nominal coverage of each coverage column (0.8)
  int index(const std::string& name) const;  // -1 when absent
  int size() const { return static_cast<int>(names.size()); }
};
MetricLayout metric_layout(const std::vector<double>& levels);

// For each series s: out[s, :] = the metrics of `layout` for actual [s, :H] against
// mean [s, :H] and quantiles [s, :H, :Q], scaled by history [s, :n_hist].
// All pointers are host pointers; OpenMP over series.
void series_metrics_cpu(const float* actual /*[S, H]*/, const float* mean /*[S, H]*/,
                        const float* quantiles /*[S, H, Q]*/, const float* history /*[S, n_hist]*/,
                        int64_t n_series, int64_t horizon, int64_t n_hist, int season_length,
                        const std::vector<double>& levels, const MetricLayout& layout, double* out /*[S, M]*/);

}  // namespace skucast
