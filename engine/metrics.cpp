// engine/metrics.cpp — CPU implementation of the metrics (Note [Metric definitions] in metrics.h).
#include "engine/metrics.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "kernels/common.hpp"

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

double mase_scale(const float* x, int64_t n, int m) {
  // The length that decides the lag is the observed span (leading/trailing NaN excluded).
  int64_t first = 0, last = n - 1;
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

double rmsse_scale(const float* x, int64_t n) {
  int64_t first = 0;  // M5: the scale starts at the first non-zero sale (active period)
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
  const int n_levels = static_cast<int>(levels.size());
  const int n_metrics = layout.size();
  const int64_t n_cells = checked_mul(horizon, n_levels);
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t s = 0; s < n_series; ++s) {
    const float* y = actual + s * horizon;      // [H]
    const float* f = mean + s * horizon;        // [H]
    const float* q = quantiles + s * n_cells;   // [H, Q]
    const float* x = history + s * n_hist;      // [n_hist]
    double* o = out + s * n_metrics;            // [M]
    o[0] = mae(y, f, horizon);
    o[1] = rmse(y, f, horizon);
    o[2] = smape(y, f, horizon);
    o[3] = mase(y, f, horizon, mase_scale(x, n_hist, season_length));
    o[4] = rmsse(y, f, horizon, rmsse_scale(x, n_hist));
    o[5] = bias(y, f, horizon);
    if (n_levels == 0) continue;
    o[6] = mean_pinball(y, q, horizon, levels.data(), n_levels);
    for (size_t c = 0; c < layout.cov_lo.size(); ++c)
      o[7 + c] = interval_coverage(y, q, horizon, n_levels, layout.cov_lo[c], layout.cov_hi[c]);
  }
}

}  // namespace skucast
