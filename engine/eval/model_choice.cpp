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


std::vector<double> inverse_error_weights(const BacktestResult& r, const std::string& metric) {
  check_select_metric(r.levels, metric);
  const int c_metric = r.layout.index(metric), c_mae = r.layout.index("mae");
  const int64_t C = static_cast<int64_t>(r.models.size());
  std::vector<double> w(static_cast<size_t>(r.n_series * C), 0.0);
  std::vector<double> e(static_cast<size_t>(C));
  for (int64_t s = 0; s < r.n_series; ++s) {
    double* ws = w.data() + s * C;
    int64_t n_defined = 0;
    for (const int col : {c_metric, c_mae}) {  // Note [Inverse-error weights]: the metric, else MAE
      n_defined = 0;
      for (int64_t c = 0; c < C; ++c) {
        e[static_cast<size_t>(c)] = fold_mean(r, c, s, col);
        n_defined += std::isfinite(e[static_cast<size_t>(c)]);
      }
      if (n_defined > 0) break;
    }
    if (n_defined == 0) {
      for (int64_t c = 0; c < C; ++c) ws[c] = 1.0 / static_cast<double>(C);
      continue;
    }
    int64_t n_zero = 0;
    for (int64_t c = 0; c < C; ++c) n_zero += e[static_cast<size_t>(c)] == 0.0;
    double sum = 0.0;
    for (int64_t c = 0; c < C; ++c) {
      const double v = e[static_cast<size_t>(c)];
      ws[c] = !std::isfinite(v) ? 0.0 : n_zero > 0 ? (v == 0.0 ? 1.0 : 0.0) : 1.0 / v;
      sum += ws[c];
    }
    for (int64_t c = 0; c < C; ++c) ws[c] /= sum;
  }
  return w;
}

}  // namespace skucast
