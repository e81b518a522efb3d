// engine/eval/model_choice.cpp — the per-series model choice (engine/eval/model_choice.h).
#include "engine/eval/model_choice.h"

#include <cmath>
#include <limits>

#include "engine/eval/backtest.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

// Mean over folds of column c for model m and series s; NaN when no fold has it defined.
double fold_mean(const BacktestResult& r, int64_t m, int64_t s, int c) {
  double sum = 0.0;
  int64_t n = 0;
  for (int64_t k = 0; k < r.n_folds(); ++k) {
    const double v = r.value(m, k, s, c);
    if (std::isfinite(v)) { sum += v; ++n; }
  }
  return n ? sum / static_cast<double>(n) : std::nan("");
}

// The model with the lowest finite fold_mean of column c, or -1 when none has one.
int argmin_model(const BacktestResult& r, int64_t s, int c) {
  int best = -1;
  double best_v = std::numeric_limits<double>::infinity();
  for (int64_t m = 0; m < static_cast<int64_t>(r.models.size()); ++m) {
    const double v = fold_mean(r, m, s, c);
    if (std::isfinite(v) && v < best_v) {  // strict: ties keep the earlier candidate
      best_v = v;
      best = static_cast<int>(m);
    }
  }
  return best;
}

}  // namespace

namespace {

void check_metric(const MetricLayout& layout, const std::string& metric) {
  const int c = layout.index(metric);
  if (c >= 0 && metric != "bias" && metric.rfind("cov", 0) != 0) return;
  std::string known;
  for (const auto& n : layout.names)
    if (n != "bias" && n.rfind("cov", 0) != 0) known += (known.empty() ? "" : ", ") + n;
  throw InputError("--select-metric: '" + metric + "' is not an error metric of the backtest; expected one of " + known);
}

}  // namespace

void check_select_metric(const std::vector<double>& levels, const std::string& metric) {
  check_metric(metric_layout(levels), metric);
}

std::vector<int> choose_models(const BacktestResult& r, const std::string& metric) {
  check_metric(r.layout, metric);
  const int c = r.layout.index(metric);
  const int c_mae = r.layout.index("mae");
  std::vector<int> chosen(static_cast<size_t>(r.n_series), 0);
  for (int64_t s = 0; s < r.n_series; ++s) {
    int m = argmin_model(r, s, c);  // Note [Model choice per series]
    if (m < 0) m = argmin_model(r, s, c_mae);
    chosen[static_cast<size_t>(s)] = m < 0 ? 0 : m;
  }
  return chosen;
}

}  // namespace skucast
