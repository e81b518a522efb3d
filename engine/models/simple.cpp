// engine/models/simple.cpp — naive, seasonal naive, moving average, and the shared interval
// helpers (Note [Simple-model intervals] in simple.h).
#include "engine/models/simple.h"

#include "engine/models/normal.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace skucast {

// --------------------------------------------------------- interval helpers ----

double normal_quantile(double p) { return inverse_normal_cdf(p); }  // engine/models/normal.h

void flat_quantiles(const ForecastSpec& spec, const double* mean, double* quantiles) {
  for (int64_t h = 0; h < spec.horizon; ++h)
    for (int j = 0; j < spec.n_levels; ++j) quantiles[h * spec.n_levels + j] = mean[h];
}

void normal_quantiles(const ForecastSpec& spec, const double* mean, const double* sigma_h, double* quantiles) {
  for (int j = 0; j < spec.n_levels; ++j) {
    const double z = normal_quantile(spec.levels[j]);
    for (int64_t h = 0; h < spec.horizon; ++h) quantiles[h * spec.n_levels + j] = mean[h] + z * sigma_h[h];
  }
}

double sorted_quantile(const double* x, int64_t n, double p) {
  // numpy "linear": position p*(n-1), interpolate between its two neighbours.
  const double pos = p * static_cast<double>(n - 1);
  int64_t lo = static_cast<int64_t>(std::floor(pos));
  lo = std::clamp<int64_t>(lo, 0, n - 1);
  const int64_t hi = std::min<int64_t>(lo + 1, n - 1);
  const double frac = pos - static_cast<double>(lo);
  return x[lo] + frac * (x[hi] - x[lo]);
}

void residual_quantiles(const ForecastSpec& spec, const double* resid, int64_t n_resid, const double* mean,
                        double* quantiles, double* scratch) {
  if (n_resid <= 0) {
    flat_quantiles(spec, mean, quantiles);
    return;
  }
  std::copy(resid, resid + n_resid, scratch);
  int64_t start = 0;  // levels ascend: [start, n) holds every order statistic at or above start
  for (int j = 0; j < spec.n_levels; ++j) {
    // The two order statistics around position p*(n-1) by selection, O(n) per level instead
    // of a full sort; the result equals sorted_quantile() on the sorted residuals.
    const double pos = spec.levels[j] * static_cast<double>(n_resid - 1);
    const int64_t lo = std::clamp<int64_t>(static_cast<int64_t>(std::floor(pos)), 0, n_resid - 1);
    std::nth_element(scratch + (lo >= start ? start : 0), scratch + lo, scratch + n_resid);
    start = lo;
    const double v_lo = scratch[lo];
    const double v_hi = lo + 1 < n_resid ? *std::min_element(scratch + lo + 1, scratch + n_resid) : v_lo;
    const double qe = v_lo + (pos - static_cast<double>(lo)) * (v_hi - v_lo);  // one-step error quantile
    for (int64_t h = 0; h < spec.horizon; ++h)
      quantiles[h * spec.n_levels + j] = mean[h] + qe * std::sqrt(static_cast<double>(h + 1));
  }
}

double* thread_scratch(int slot, int64_t n) {
  // Slots: 0-1 per-series models (residuals, sort copy), 2-3 free for model authors,
  // 4-7 the ensemble (member outputs). A nested call must use a different slot.
  static thread_local std::vector<double> buffers[8];
  auto& b = buffers[slot & 7];
  if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  return b.data();
}

// ------------------------------------------------------------------ naive ----

void naive_forecast(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) {
  const double* y = in.y;
  const int64_t n = in.n;
  const double last = y[n - 1];
  double ss = 0.0;  // sum of squared one-step differences
  for (int64_t t = 1; t < n; ++t) ss += (y[t] - y[t - 1]) * (y[t] - y[t - 1]);
  const double sigma = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
  for (int64_t h = 0; h < spec.horizon; ++h) {
    out.mean[h] = last;
    const double s = sigma * std::sqrt(static_cast<double>(h + 1));
    for (int j = 0; j < spec.n_levels; ++j)
      out.quantiles[h * spec.n_levels + j] = sigma > 0.0 ? last + normal_quantile(spec.levels[j]) * s : last;
  }
}

namespace {

class NaiveModel final : public StatModel {
 public:
  std::string name() const override { return "naive"; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    naive_forecast(in, spec, out);
  }
};

// ---------------------------------------------------------- seasonal naive ----

class SeasonalNaiveModel final : public StatModel {
 public:
  std::string name() const override { return "snaive"; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    const int64_t m = std::max(1, in.season_length);
    const int64_t n = in.n;
    if (m == 1) {  // with no season, seasonal naive is naive
      naive_forecast(in, spec, out);
      return;
    }
    if (n < m) {  // not one full season yet: fall back to naive
      naive_forecast(in, spec, out);
      out.fallback = true;
      return;
    }
    const double* y = in.y;
    double ss = 0.0;  // sum of squared seasonal differences y_t - y_{t-m}
    for (int64_t t = m; t < n; ++t) ss += (y[t] - y[t - m]) * (y[t] - y[t - m]);
    const double sigma = n > m ? std::sqrt(ss / static_cast<double>(n - m)) : 0.0;
    for (int64_t h = 0; h < spec.horizon; ++h) {
      out.mean[h] = y[n - m + (h % m)];  // same position in the last observed season
      const double s = sigma * std::sqrt(static_cast<double>(h / m + 1));  // floor((h-1)/m)+1, h 1-based
      for (int j = 0; j < spec.n_levels; ++j)
        out.quantiles[h * spec.n_levels + j] =
            sigma > 0.0 ? out.mean[h] + normal_quantile(spec.levels[j]) * s : out.mean[h];
    }
  }
};

// ---------------------------------------------------------- moving average ----

class MovingAverageModel final : public StatModel {
 public:
  explicit MovingAverageModel(int window) : m_window(window) {}
  std::string name() const override { return "ma"; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    const double* y = in.y;
    const int64_t n = in.n;
    int64_t k = m_window > 0 ? m_window : (in.season_length > 1 ? in.season_length : 7);
    k = std::min(k, n);
    // One-step in-sample errors: e_t = y_t - mean(y[t-k .. t-1]) for t = k .. n-1 (rolling sum).
    double* resid = thread_scratch(0, n);
    int64_t n_resid = 0;
    double window_sum = 0.0;
    for (int64_t t = 0; t < k; ++t) window_sum += y[t];
    for (int64_t t = k; t < n; ++t) {
      resid[n_resid++] = y[t] - window_sum / static_cast<double>(k);
      window_sum += y[t] - y[t - k];
    }
    // Recompute the final window exactly (the rolling sum drifts on long series).
    double last_sum = 0.0;
    for (int64_t t = n - k; t < n; ++t) last_sum += y[t];
    const double f = last_sum / static_cast<double>(k);
    for (int64_t h = 0; h < spec.horizon; ++h) out.mean[h] = f;
    residual_quantiles(spec, resid, n_resid, out.mean, out.quantiles, thread_scratch(1, n_resid));
  }

 private:
  int m_window;
};

}  // namespace

std::unique_ptr<StatModel> make_naive() { return std::make_unique<NaiveModel>(); }
std::unique_ptr<StatModel> make_snaive() { return std::make_unique<SeasonalNaiveModel>(); }
std::unique_ptr<StatModel> make_ma(int window) { return std::make_unique<MovingAverageModel>(window); }

}  // namespace skucast
