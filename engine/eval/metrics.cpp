// engine/eval/metrics.cpp — CPU implementation of the metrics (Note [Metric definitions] in metrics.h).
#include "engine/eval/metrics.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "kernels/common.hpp"
#include "kernels/metrics.hpp"

namespace skucast {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool observed(float v) { return std::isfinite(v); }

bool usable_scale(double s) { return std::isfinite(s) && s > 0.0; }

}  // namespace

// ------------------------------------------------------------ per series ----

double mae(const float* y, const float* f, int64_t h) {
  double s = 0.0;
  int64_t n = 0;
  for (int64_t t = 0; t < h; ++t)
    if (observed(y[t])) { s += std::fabs(static_cast<double>(y[t]) - f[t]); ++n; }
  return n ? s / static_cast<double>(n) : kNaN;
}

double rmse(const float* y, const float* f, int64_t h) {
  double s = 0.0;
  int64_t n = 0;
  for (int64_t t = 0; t < h; ++t)
    if (observed(y[t])) {
      const double e = static_cast<double>(y[t]) - f[t];
      s += e * e;
      ++n;
    }
  return n ? std::sqrt(s / static_cast<double>(n)) : kNaN;
}

double smape(const float* y, const float* f, int64_t h) {
  double s = 0.0;
  int64_t n = 0;
  for (int64_t t = 0; t < h; ++t) {
    if (!observed(y[t])) continue;
    const double a = y[t], b = f[t];
    const double den = std::fabs(a) + std::fabs(b);
    s += den > 0.0 ? 200.0 * std::fabs(a - b) / den : 0.0;  // both zero: a perfect forecast
    ++n;
  }
  return n ? s / static_cast<double>(n) : kNaN;
}

double bias(const float* y, const float* f, int64_t h) {
  double s = 0.0;
  int64_t n = 0;
  for (int64_t t = 0; t < h; ++t)
    if (observed(y[t])) { s += static_cast<double>(f[t]) - y[t]; ++n; }
  return n ? s / static_cast<double>(n) : kNaN;
}

double mase_scale(const float* x, int64_t n, int m) { return mase_scale_cpu(x, n, m); }

double rmsse_scale(const float* x, int64_t n) { return rmsse_scale_cpu(x, n); }

double mase(const float* y, const float* f, int64_t h, double scale) {
  return usable_scale(scale) ? mae(y, f, h) / scale : kNaN;
}

double rmsse(const float* y, const float* f, int64_t h, double scale) {
  if (!usable_scale(scale)) return kNaN;
  const double r = rmse(y, f, h);
  return std::sqrt(r * r / scale);
}

double pinball(const float* y, const float* q, int64_t h, int n_levels, int j, double tau) {
  double s = 0.0;
  int64_t n = 0;
  for (int64_t t = 0; t < h; ++t) {
    if (!observed(y[t])) continue;
    const double d = static_cast<double>(y[t]) - q[t * n_levels + j];  // y - q
    s += d >= 0.0 ? tau * d : (tau - 1.0) * d;
    ++n;
  }
  return n ? s / static_cast<double>(n) : kNaN;
}

double mean_pinball(const float* y, const float* q, int64_t h, const double* levels, int n_levels) {
  if (n_levels <= 0) return kNaN;
  double s = 0.0;
  for (int j = 0; j < n_levels; ++j) s += pinball(y, q, h, n_levels, j, levels[j]);
  return s / n_levels;
}

double interval_coverage(const float* y, const float* q, int64_t h, int n_levels, int lo, int hi) {
  int64_t in = 0, n = 0;
  for (int64_t t = 0; t < h; ++t) {
    if (!observed(y[t])) continue;
    in += (y[t] >= q[t * n_levels + lo] && y[t] <= q[t * n_levels + hi]) ? 1 : 0;
    ++n;
  }
  return n ? static_cast<double>(in) / static_cast<double>(n) : kNaN;
}

double weighted_mean(const double* v, const float* w, int64_t n_series, int64_t* n_excluded) {
  double sw = 0.0, swv = 0.0;
  int64_t skipped = 0;
  for (int64_t i = 0; i < n_series; ++i) {
    const double wi = w ? static_cast<double>(w[i]) : 1.0;
    if (!std::isfinite(v[i]) || !std::isfinite(wi)) { ++skipped; continue; }
    sw += wi;
    swv += wi * v[i];
  }
  if (n_excluded) *n_excluded = skipped;
  return sw > 0.0 ? swv / sw : kNaN;
}

// --------------------------------------------------------------- batched ----

int MetricLayout::index(const std::string& name) const {
  for (int i = 0; i < size(); ++i)
    if (names[i] == name) return i;
  return -1;
}

MetricLayout metric_layout(const std::vector<double>& levels) {
  MetricLayout l;
  l.names = {"mae", "rmse", "smape", "mase", "rmsse", "bias"};
  if (levels.empty()) return l;
  l.names.push_back("pinball");
  // Symmetric pairs, outermost first: level j < 0.5 pairs with the level equal to 1 - j.
  const int q = static_cast<int>(levels.size());
  for (int lo = 0; lo < q; ++lo) {
    if (!(levels[lo] < 0.5)) break;
    for (int hi = q - 1; hi > lo; --hi) {
      if (std::fabs(levels[lo] + levels[hi] - 1.0) > 1e-9) continue;
      const double nominal = levels[hi] - levels[lo];
      char buf[32];
      const double pct = nominal * 100.0;
      if (std::fabs(pct - std::round(pct)) < 1e-6) std::snprintf(buf, sizeof buf, "cov%d", static_cast<int>(std::lround(pct)));
      else std::snprintf(buf, sizeof buf, "cov%g", pct);
      l.names.emplace_back(buf);
      l.cov_lo.push_back(lo);
      l.cov_hi.push_back(hi);
      l.cov_nominal.push_back(nominal);
      break;
    }
  }
  return l;
}

void series_metrics_cpu(const float* actual, const float* mean, const float* quantiles, const float* history,
                        int64_t n_series, int64_t horizon, int64_t n_hist, int season_length,
                        const std::vector<double>& levels, const MetricLayout& layout, double* out) {
  // The batched sums are the kernel pair kernels/metrics.hpp (it sums in the same order as the
  // per-series functions above, so the results are the same bits).
  const std::vector<int32_t> cov_lo(layout.cov_lo.begin(), layout.cov_lo.end());
  const std::vector<int32_t> cov_hi(layout.cov_hi.begin(), layout.cov_hi.end());
  MetricSpec spec;
  spec.horizon = horizon;
  spec.n_hist = n_hist;
  spec.season_length = season_length;
  spec.n_levels = checked_int(static_cast<int64_t>(levels.size()), "series_metrics: quantile levels");
  spec.levels = levels.data();
  spec.n_cov = spec.n_levels > 0 ? checked_int(static_cast<int64_t>(cov_lo.size()), "series_metrics: coverage pairs") : 0;
  spec.cov_lo = cov_lo.data();
  spec.cov_hi = cov_hi.data();
  if (metric_finish_width(spec) != layout.size())
    throw Error("series_metrics_cpu: layout has " + std::to_string(layout.size()) + " columns, expected " +
                std::to_string(metric_finish_width(spec)) + " for " + std::to_string(levels.size()) + " levels");
  std::vector<double> sums(static_cast<size_t>(checked_mul(n_series, metric_sums_width(spec))));  // [S, K]
  metric_sums_fwd_cpu(spec, actual, mean, spec.n_levels > 0 ? quantiles : nullptr, n_hist > 0 ? history : nullptr,
                      n_series, sums.data());
  metric_finish_cpu(spec, sums.data(), n_series, out);
}

}  // namespace skucast
