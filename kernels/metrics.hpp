// kernels/metrics.hpp — per-series accuracy sums over a forecast window, the batched CPU kernel
// behind engine/eval/metrics.h (which holds Note [Metric definitions]; this file computes exactly
// those definitions, in the same order of operations).
//
// Inputs, one row per series s (row-major, NaN = not observed):
//   actual    [S, H]      observed values of the test window; NaN steps are skipped
//   mean      [S, H]      point forecast
//   quantiles [S, H, Q]   quantile forecasts, step-major (nullptr when Q = 0)
//   history   [S, n_hist] in-sample values for the scales (nullptr when n_hist = 0)
// Output sums [S, K], K = metric_sums_width(spec), double, one record per series:
//   kSumCount    number of observed actual values n
//   kSumAbs      sum |y - f|          kSumSq      sum (y - f)^2
//   kSumSmape    sum of sMAPE terms   kSumBias    sum (f - y)
//   kMaseScale   mean |x_t - x_{t-m}| (lag 1 when the observed span of x is <= m), NaN if no pair
//   kRmsseScale  mean (x_t - x_{t-1})^2 from the first non-zero observed x on, NaN if no pair
//   then Q pinball sums (level j at kMetricFixed + j),
//   then C coverage counts (pair c at kMetricFixed + Q + c: observed y with q_lo <= y <= q_hi).
// metric_finish_cpu turns the sums into engine/eval/metrics.h's MetricLayout columns
// (mae, rmse, smape, mase, rmsse, bias[, pinball, cov...]), NaN where undefined.
// Sums of observed terms only; accumulation in double (STYLE K6).
#pragma once

#include <cstdint>

namespace skucast {

enum MetricSum : int32_t {
  kSumCount = 0,
  kSumAbs = 1,
  kSumSq = 2,
  kSumSmape = 3,
  kSumBias = 4,
  kMaseScale = 5,
  kRmsseScale = 6,
  kMetricFixed = 7,  // first pinball column
};

// Shape and options of one batch (host pointers).
struct MetricSpec {
  int64_t horizon = 0;              // H
  int64_t n_hist = 0;               // length of each history row
  int32_t season_length = 1;        // m of the MASE scale
  int32_t n_levels = 0;             // Q
  const double* levels = nullptr;   // [Q] quantile levels tau_j
  int32_t n_cov = 0;                // C coverage pairs
  const int32_t* cov_lo = nullptr;  // [C] level index of each pair's lower quantile
  const int32_t* cov_hi = nullptr;  // [C] level index of each pair's upper quantile
};

constexpr int64_t metric_sums_width(const MetricSpec& s) { return kMetricFixed + s.n_levels + s.n_cov; }
// Columns of metric_finish_cpu's output: 6, plus pinball and the C coverage columns when Q > 0.
constexpr int64_t metric_finish_width(const MetricSpec& s) { return 6 + (s.n_levels > 0 ? 1 + s.n_cov : 0); }

// The scales of MASE and RMSSE from a history x [n] (NaN = missing): the mean absolute lag-m
// difference (lag 1 when the observed span is <= m), and the mean squared one-step difference
// from the first non-zero observed value on (M5). NaN when no pair is observed. engine/
// metrics.h's mase_scale/rmsse_scale are these.
double mase_scale_cpu(const float* x, int64_t n, int m);
double rmsse_scale_cpu(const float* x, int64_t n);

// OpenMP over series. sums [S, metric_sums_width(spec)].
void metric_sums_fwd_cpu(const MetricSpec& spec, const float* actual /*[S, H]*/, const float* mean /*[S, H]*/,
                         const float* quantiles /*[S, H, Q]*/, const float* history /*[S, n_hist]*/,
                         int64_t n_series, double* sums /*[S, K]*/);

// Host: the metric columns from the sums (host pointers, spec.levels on the host).
// out [S, metric_finish_width(spec)].
void metric_finish_cpu(const MetricSpec& spec, const double* sums /*[S, K]*/, int64_t n_series,
                       double* out /*[S, M]*/);

}  // namespace skucast
