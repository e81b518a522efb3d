// engine/stat/simple.cpp — naive, seasonal naive, moving average, and the shared interval
// helpers (Note [Simple-model intervals] in simple.h); the per-series cores are in the header.
#include "engine/stat/simple.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace skucast {

// --------------------------------------------------------- interval helpers ----

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

double* thread_scratch(int slot, int64_t n) {
  // Slots: 0-1 per-series models (residuals, sort copy), 2-3 free for model authors,
  // 4-7 the ensemble (member outputs). A nested call must use a different slot.
  static thread_local std::vector<double> buffers[8];
  auto& b = buffers[slot & 7];
  if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  return b.data();
}

// ------------------------------------------------------------------ naive ----

void naive_forecast(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) { naive_series(in, spec, out); }

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
    snaive_series(in, spec, out);
  }
};

// ---------------------------------------------------------- moving average ----

class MovingAverageModel final : public StatModel {
 public:
  explicit MovingAverageModel(int window) : m_window(window) {}
  std::string name() const override { return "ma"; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    ma_series(m_window, in, spec, out, thread_scratch(0, in.n), thread_scratch(1, in.n));
  }

 private:
  int m_window;
};

}  // namespace

std::unique_ptr<StatModel> make_naive() { return std::make_unique<NaiveModel>(); }
std::unique_ptr<StatModel> make_snaive() { return std::make_unique<SeasonalNaiveModel>(); }
std::unique_ptr<StatModel> make_ma(int window) { return std::make_unique<MovingAverageModel>(window); }

}  // namespace skucast
