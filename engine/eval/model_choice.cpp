// engine/eval/model_choice.cpp — the per-series model choice and inverse-error weights
// (engine/eval/model_choice.h), and the forecasts that apply them.
#include "engine/eval/model_choice.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/stat/model.h"
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

// The number of folds where column c is defined for model m and series s.
int64_t fold_count(const BacktestResult& r, int64_t m, int64_t s, int c) {
  int64_t n = 0;
  for (int64_t k = 0; k < r.n_folds(); ++k) n += std::isfinite(r.value(m, k, s, c));
  return n;
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

namespace {

// catalog_best on column c.
int catalog_best_column(const BacktestResult& r, int c) {
  const int64_t C = static_cast<int64_t>(r.models.size());
  std::vector<double> sum(static_cast<size_t>(C), 0.0);
  int64_t n = 0;
  for (int64_t k = 0; k < r.n_folds(); ++k)
    for (int64_t s = 0; s < r.n_series; ++s) {
      bool all = true;
      for (int64_t m = 0; m < C && all; ++m) all = std::isfinite(r.value(m, k, s, c));
      if (!all) continue;
      for (int64_t m = 0; m < C; ++m) sum[static_cast<size_t>(m)] += r.value(m, k, s, c);
      ++n;
    }
  if (n == 0) return 0;
  return static_cast<int>(std::min_element(sum.begin(), sum.end()) - sum.begin());  // first of equals
}

}  // namespace

int catalog_best(const BacktestResult& r, const std::string& metric) {
  check_metric(r.layout, metric);
  return catalog_best_column(r, r.layout.index(metric));
}

std::vector<int> choose_models(const BacktestResult& r, const std::string& metric, double margin) {
  check_metric(r.layout, metric);
  if (!(margin >= 0.0 && margin <= 1.0))
    throw InputError("--select-margin: expected a share in [0, 1] (e.g. 0.1), got " + std::to_string(margin));
  const int c_metric = r.layout.index(metric);
  const int c_mae = r.layout.index("mae");
  const int best_metric = catalog_best_column(r, c_metric), best_mae = catalog_best_column(r, c_mae);
  std::vector<int> chosen(static_cast<size_t>(r.n_series), 0);
  for (int64_t s = 0; s < r.n_series; ++s) {
    int col = c_metric, best = best_metric;
    int m = argmin_model(r, s, col);  // Note [Model choice per series]
    if (m < 0) {
      col = c_mae;
      best = best_mae;
      m = argmin_model(r, s, col);
    }
    if (m < 0) m = 0;
    // Note [Choice against the catalog's best]: leave the catalog's best only by the margin.
    const double e_best = fold_mean(r, best, s, col);
    if (margin > 0.0 && m != best && std::isfinite(e_best) && !(fold_mean(r, m, s, col) < (1.0 - margin) * e_best))
      m = best;
    chosen[static_cast<size_t>(s)] = m;
  }
  return chosen;
}


std::vector<double> inverse_error_weights(const BacktestResult& r, const std::string& metric, int top_k,
                                          double shrink) {
  if (top_k < 0) throw InputError("inverse_error_weights: top_k must be 0 (all) or more, got " + std::to_string(top_k));
  if (!(shrink >= 0.0 && std::isfinite(shrink)))
    throw InputError("--select-shrink: expected a number of folds >= 0 (e.g. 8), got " + std::to_string(shrink));
  check_select_metric(r.levels, metric);
  const int c_metric = r.layout.index(metric), c_mae = r.layout.index("mae");
  const int64_t C = static_cast<int64_t>(r.models.size());
  // Note [Errors shrunk towards the catalog]: per column, each member's mean error over the
  // series where every member has one.
  std::vector<double> prior_metric(static_cast<size_t>(C), 0.0), prior_mae(static_cast<size_t>(C), 0.0);
  if (shrink > 0.0)
    for (const int col : {c_metric, c_mae}) {
      std::vector<double>& prior = col == c_metric ? prior_metric : prior_mae;
      int64_t n = 0;
      std::vector<double> means(static_cast<size_t>(C));
      for (int64_t s = 0; s < r.n_series; ++s) {
        bool all = true;
        for (int64_t c = 0; c < C && all; ++c) all = std::isfinite(means[static_cast<size_t>(c)] = fold_mean(r, c, s, col));
        if (!all) continue;
        for (int64_t c = 0; c < C; ++c) prior[static_cast<size_t>(c)] += means[static_cast<size_t>(c)];
        ++n;
      }
      for (double& v : prior) v = n ? v / static_cast<double>(n) : std::nan("");
    }
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
      if (n_defined == 0) continue;
      const std::vector<double>& prior = col == c_metric ? prior_metric : prior_mae;
      for (int64_t c = 0; shrink > 0.0 && c < C; ++c) {
        const double v = e[static_cast<size_t>(c)], p = prior[static_cast<size_t>(c)];
        if (!std::isfinite(v) || !std::isfinite(p)) continue;
        const double n = static_cast<double>(fold_count(r, c, s, col));
        e[static_cast<size_t>(c)] = (n * v + shrink * p) / (n + shrink);
      }
      break;
    }
    // Note [Top-k inverse-error weights]: only the k lowest defined errors (ties: the earlier) keep theirs.
    if (top_k > 0 && n_defined > top_k) {
      std::vector<int64_t> order;  // [n_defined] members with a defined error, lowest first, ties by index
      for (int64_t c = 0; c < C; ++c)
        if (std::isfinite(e[static_cast<size_t>(c)])) order.push_back(c);
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return e[static_cast<size_t>(a)] < e[static_cast<size_t>(b)]; });
      for (size_t j = static_cast<size_t>(top_k); j < order.size(); ++j) e[static_cast<size_t>(order[j])] = std::nan("");
      n_defined = top_k;
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

// ------------------------------------------------------------ forecasting ----

namespace {

// The given forecast that stands in for the null model c.
const GivenForecast& given_for(const std::vector<GivenForecast>& given, size_t c) {
  if (c >= given.size() || !given[c].mean || !given[c].quantiles)
    throw InputError("model_choice: candidate " + std::to_string(c) + " has neither a model nor a given forecast");
  return given[c];
}

}  // namespace

int64_t forecast_chosen(const std::vector<std::unique_ptr<StatModel>>& models, const int* chosen, const float* y,
                        int64_t nb, int64_t n_steps, int season_length, int64_t horizon,
                        const std::vector<double>& levels, const BatchOptions& bo, float* mean, float* quantiles,
                        const std::vector<GivenForecast>& given) {
  const int64_t Q = static_cast<int64_t>(levels.size());
  const int64_t x_row = bo.xreg ? bo.xreg_steps * bo.n_xreg : 0;  // regressor values per series
  int64_t n_fallback = 0;
  std::vector<int64_t> rows;                 // [n] rows of the block that chose model c
  std::vector<float> sub, xsub;               // [n, T], [n, X, K]
  std::vector<std::string> ids;               // [n]
  for (size_t c = 0; c < models.size(); ++c) {
    rows.clear();
    for (int64_t s = 0; s < nb; ++s)
      if (chosen[s] == static_cast<int>(c)) rows.push_back(s);
    if (rows.empty()) continue;
    const int64_t n = static_cast<int64_t>(rows.size());
    if (!models[c]) {  // made elsewhere: copy the rows
      const GivenForecast& g = given_for(given, c);
      for (int64_t r = 0; r < n; ++r) {
        std::copy_n(g.mean + rows[r] * horizon, horizon, mean + rows[r] * horizon);
        std::copy_n(g.quantiles + rows[r] * horizon * Q, horizon * Q, quantiles + rows[r] * horizon * Q);
      }
      continue;
    }
    sub.resize(static_cast<size_t>(checked_mul(n, n_steps)));
    xsub.resize(static_cast<size_t>(checked_mul(n, x_row)));
    ids.resize(static_cast<size_t>(n));
    for (int64_t r = 0; r < n; ++r) {
      std::copy_n(y + rows[r] * n_steps, n_steps, sub.data() + r * n_steps);
      if (x_row > 0) std::copy_n(bo.xreg + rows[r] * x_row, x_row, xsub.data() + r * x_row);
      if (bo.ids) ids[static_cast<size_t>(r)] = bo.ids[rows[r]];
    }
    BatchOptions sbo = bo;
    sbo.xreg = x_row > 0 ? xsub.data() : nullptr;
    sbo.ids = bo.ids ? ids.data() : nullptr;
    const BatchForecast b = forecast_batch(*models[c], sub.data(), n, n_steps, season_length, horizon, levels, sbo);
    n_fallback += b.n_fallback;
    for (int64_t r = 0; r < n; ++r) {
      std::copy_n(b.mean.data() + r * horizon, horizon, mean + rows[r] * horizon);
      std::copy_n(b.quantiles.data() + r * horizon * Q, horizon * Q, quantiles + rows[r] * horizon * Q);
    }
  }
  return n_fallback;
}

int64_t forecast_weighted(const std::vector<std::unique_ptr<StatModel>>& models, const double* w, const float* y,
                          int64_t nb, int64_t n_steps, int season_length, int64_t horizon,
                          const std::vector<double>& levels, const BatchOptions& bo, float* mean, float* quantiles,
                          const std::vector<GivenForecast>& given) {
  const int64_t Q = static_cast<int64_t>(levels.size()), C = static_cast<int64_t>(models.size());
  std::vector<double> acc_mean(static_cast<size_t>(nb * horizon), 0.0), acc_q(static_cast<size_t>(nb * horizon * Q), 0.0);
  int64_t n_fallback = 0;
  for (int64_t c = 0; c < C; ++c) {
    const StatModel* model = models[static_cast<size_t>(c)].get();
    BatchForecast b;
    const float* m = nullptr;  // [nb, H]
    const float* q = nullptr;  // [nb, H, Q]
    if (model) {
      b = forecast_batch(*model, y, nb, n_steps, season_length, horizon, levels, bo);
      n_fallback = std::max(n_fallback, b.n_fallback);  // per member; the rows are not reported
      m = b.mean.data();
      q = b.quantiles.data();
    } else {  // made elsewhere (the global model)
      const GivenForecast& g = given_for(given, static_cast<size_t>(c));
      m = g.mean;
      q = g.quantiles;
    }
    for (int64_t s = 0; s < nb; ++s) {
      const double ws = w[s * C + c];
      for (int64_t i = 0; i < horizon; ++i) acc_mean[static_cast<size_t>(s * horizon + i)] += ws * m[s * horizon + i];
      for (int64_t i = 0; i < horizon * Q; ++i) acc_q[static_cast<size_t>(s * horizon * Q + i)] += ws * q[s * horizon * Q + i];
    }
  }
  std::copy(acc_mean.begin(), acc_mean.end(), mean);
  std::copy(acc_q.begin(), acc_q.end(), quantiles);
  return n_fallback;
}

}  // namespace skucast
