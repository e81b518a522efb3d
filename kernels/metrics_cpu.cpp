// kernels/metrics_cpu.cpp — the per-series metric sums (metrics.hpp), on the CPU.
// Every sum runs over t in increasing order, as engine/eval/metrics.cpp's per-series functions do,
// so series_metrics_cpu gives the same bits whether it calls these or those.
#include <cmath>
#include <limits>

#include "kernels/metrics.hpp"

namespace skucast {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline bool observed(float v) { return std::isfinite(v); }
inline bool usable_scale(double s) { return std::isfinite(s) && s > 0.0; }

}  // namespace

// Mean absolute lag-m difference of x [n]; lag 1 when the observed span is <= m.
double mase_scale_cpu(const float* x, int64_t n, int m) {
  int64_t first = 0, last = n - 1;  // the observed span, leading/trailing NaN excluded
  while (first < n && !observed(x[first])) ++first;
  while (last > first && !observed(x[last])) --last;
  const int64_t span = first < n ? last - first + 1 : 0;
  const int64_t lag = (m >= 1 && span > m) ? m : 1;
  double s = 0.0;
  int64_t k = 0;
  for (int64_t t = lag; t < n; ++t)
    if (observed(x[t]) && observed(x[t - lag])) { s += std::fabs(static_cast<double>(x[t]) - x[t - lag]); ++k; }
  return k ? s / static_cast<double>(k) : kNaN;
}

// Mean squared one-step difference of x [n] from its first non-zero observed value on (M5).
double rmsse_scale_cpu(const float* x, int64_t n) {
  int64_t first = 0;
  while (first < n && !(observed(x[first]) && x[first] != 0.0f)) ++first;
  double s = 0.0;
  int64_t k = 0;
  for (int64_t t = first + 1; t < n; ++t)
    if (observed(x[t]) && observed(x[t - 1])) {
      const double d = static_cast<double>(x[t]) - x[t - 1];
      s += d * d;
      ++k;
    }
  return k ? s / static_cast<double>(k) : kNaN;
}

void metric_sums_fwd_cpu(const MetricSpec& spec, const float* actual, const float* mean, const float* quantiles,
                         const float* history, int64_t n_series, double* sums) {
  const int64_t H = spec.horizon, Q = spec.n_levels, K = metric_sums_width(spec);
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t s = 0; s < n_series; ++s) {
    const float* y = actual + s * H;      // [H]
    const float* f = mean + s * H;        // [H]
    const float* q = quantiles ? quantiles + s * H * Q : nullptr;  // [H, Q]
    double* o = sums + s * K;             // [K]
    for (int64_t k = 0; k < K; ++k) o[k] = 0.0;
    for (int64_t t = 0; t < H; ++t) {
      if (!observed(y[t])) continue;
      const double a = y[t], b = f[t];
      o[kSumCount] += 1.0;
      o[kSumAbs] += std::fabs(a - b);
      o[kSumSq] += (a - b) * (a - b);
      const double den = std::fabs(a) + std::fabs(b);
      o[kSumSmape] += den > 0.0 ? 200.0 * std::fabs(a - b) / den : 0.0;  // both zero: perfect
      o[kSumBias] += b - a;
      for (int64_t j = 0; j < Q; ++j) {
        const double d = a - q[t * Q + j];  // y - q
        o[kMetricFixed + j] += d >= 0.0 ? spec.levels[j] * d : (spec.levels[j] - 1.0) * d;
      }
      for (int32_t c = 0; c < spec.n_cov; ++c)
        o[kMetricFixed + Q + c] += (y[t] >= q[t * Q + spec.cov_lo[c]] && y[t] <= q[t * Q + spec.cov_hi[c]]) ? 1 : 0;
    }
    const float* x = history ? history + s * spec.n_hist : nullptr;  // [n_hist]
    o[kMaseScale] = x ? mase_scale_cpu(x, spec.n_hist, spec.season_length) : kNaN;
    o[kRmsseScale] = x ? rmsse_scale_cpu(x, spec.n_hist) : kNaN;
  }
}

void metric_finish_cpu(const MetricSpec& spec, const double* sums, int64_t n_series, double* out) {
  const int64_t K = metric_sums_width(spec), M = metric_finish_width(spec), Q = spec.n_levels;
  for (int64_t s = 0; s < n_series; ++s) {
    const double* r = sums + s * K;  // [K]
    double* o = out + s * M;         // [M]
    const double n = r[kSumCount];
    if (n == 0.0) {  // no observed actual: every metric is undefined
      for (int64_t k = 0; k < M; ++k) o[k] = kNaN;
      continue;
    }
    const double mae = r[kSumAbs] / n;
    const double rmse = std::sqrt(r[kSumSq] / n);
    o[0] = mae;
    o[1] = rmse;
    o[2] = r[kSumSmape] / n;
    o[3] = usable_scale(r[kMaseScale]) ? mae / r[kMaseScale] : kNaN;
    o[4] = usable_scale(r[kRmsseScale]) ? std::sqrt(rmse * rmse / r[kRmsseScale]) : kNaN;
    o[5] = r[kSumBias] / n;
    if (Q == 0) continue;
    double pin = 0.0;  // mean over levels of the per-level mean pinball loss
    for (int64_t j = 0; j < Q; ++j) pin += r[kMetricFixed + j] / n;
    o[6] = pin / static_cast<double>(Q);
    for (int32_t c = 0; c < spec.n_cov; ++c) o[7 + c] = r[kMetricFixed + Q + c] / n;
  }
}

}  // namespace skucast
