// engine/eval/conformal.cpp — conformal quantiles from fold errors (engine/eval/conformal.h):
// the order-statistic rule, the per-series statistics pooling needs, and the pools.
#include "engine/eval/conformal.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/eval/backtest.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

double conformal_order_statistic(const double* sorted, int64_t n, double q, bool* clamped) {
  if (n < 1) throw Error("conformal_order_statistic: no errors");
  if (!(q > 0.0 && q < 1.0)) throw Error("conformal_order_statistic: level " + std::to_string(q) + " not in (0, 1)");
  // Note [Conformal order statistic]. The 1e-9 keeps (n + 1) q = 19 from rounding up to 20
  // when 0.95 × 20 lands a hair above 19 in floating point.
  const double n1 = static_cast<double>(n + 1);
  int64_t k = q >= 0.5 ? static_cast<int64_t>(std::ceil(n1 * q - 1e-9))
                       : n + 1 - static_cast<int64_t>(std::ceil(n1 * (1.0 - q) - 1e-9));
  bool c = false;
  if (k > n) { k = n; c = true; }
  if (k < 1) { k = 1; c = true; }
  if (clamped) *clamped = c;
  return sorted[k - 1];
}

void resize_calibration(CalibrationSet& cal, int64_t n_series, int64_t n_folds, int64_t horizon) {
  cal.n_series = n_series;
  cal.n_folds = n_folds;
  cal.horizon = horizon;
  cal.fold_scale.assign(static_cast<size_t>(checked_mul(n_series, n_folds)), std::nan(""));
  cal.scale.assign(static_cast<size_t>(n_series), std::nan(""));
  cal.zero_share.assign(static_cast<size_t>(n_series), 0.0);
  cal.nonneg.assign(static_cast<size_t>(n_series), 1);
}

namespace {

// Mean |y_t − y_{t−1}| over the pairs of observed values in y [n]; NaN when there is none.
double naive_mae(const float* y, int64_t n) {
  double sum = 0.0;
  int64_t used = 0;
  for (int64_t t = 1; t < n; ++t)
    if (std::isfinite(y[t]) && std::isfinite(y[t - 1])) {
      sum += std::fabs(static_cast<double>(y[t]) - static_cast<double>(y[t - 1]));
      ++used;
    }
  return used ? sum / static_cast<double>(used) : std::nan("");
}

}  // namespace

void describe_calibration_series(CalibrationSet& cal, const float* y, int64_t i0, int64_t nb, int64_t n_steps,
                                 const std::vector<int64_t>& origins) {
  const int64_t K = static_cast<int64_t>(origins.size());
  if (K != cal.n_folds) throw Error("describe_calibration_series: origins and folds differ");
  for (int64_t s = 0; s < nb; ++s) {
    const float* row = y + s * n_steps;  // [T]
    const int64_t i = i0 + s;
    for (int64_t k = 0; k < K; ++k) cal.fold_scale[static_cast<size_t>(i * K + k)] = naive_mae(row, origins[k]);
    // Note [Conformal pooling]: a fold counts only where the series had max(H, 2) observed values
    // before its origin.
    const int64_t min_history = std::max<int64_t>(cal.horizon, 2);
    int64_t n_seen = 0, t_seen = 0;
    for (int64_t k = 0; k < K; ++k) {
      for (; t_seen < origins[k]; ++t_seen) n_seen += std::isfinite(row[t_seen]);
      if (n_seen >= min_history || cal.errors.empty()) continue;
      cal.fold_scale[static_cast<size_t>(i * K + k)] = std::nan("");
      std::fill_n(cal.errors.data() + (i * K + k) * cal.horizon, cal.horizon, std::nanf(""));
    }
    cal.scale[static_cast<size_t>(i)] = naive_mae(row, n_steps);
    int64_t n_obs = 0, n_zero = 0;
    bool nonneg = true;
    for (int64_t t = 0; t < n_steps; ++t) {
      if (!std::isfinite(row[t])) continue;
      ++n_obs;
      n_zero += row[t] == 0.0f;
      nonneg = nonneg && row[t] >= 0.0f;
    }
    cal.zero_share[static_cast<size_t>(i)] = n_obs ? static_cast<double>(n_zero) / static_cast<double>(n_obs) : 0.0;
    cal.nonneg[static_cast<size_t>(i)] = nonneg ? 1 : 0;
  }
}

namespace {

BacktestOptions calibration_options(const BacktestOptions& in) {
  if (in.models.size() != 1) throw Error("calibrate: expected one model, got " + std::to_string(in.models.size()));
  BacktestOptions opt = in;
  opt.keep_errors = true;
  return opt;
}

// errors [Mo = 1, K, S, H] of the backtest are cal.errors [S, K, H]: reorder.
void take_errors(CalibrationSet& cal, const BacktestResult& r) {
  const int64_t S = r.n_series, K = r.n_folds(), H = r.horizon;
  cal.errors.assign(static_cast<size_t>(checked_mul(checked_mul(S, K), H)), std::nanf(""));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t s = 0; s < S; ++s) std::copy_n(r.error_row(0, k, s), H, cal.errors.data() + (s * K + k) * H);
}

}  // namespace

CalibrationSet calibrate(const PanelReader& panel, const BacktestOptions& in) {
  const BacktestOptions opt = calibration_options(in);
  const BacktestResult r = run_backtest(panel, opt);
  const PanelHeader& hdr = panel.header();
  CalibrationSet cal;
  resize_calibration(cal, r.n_series, r.n_folds(), r.horizon);
  take_errors(cal, r);
  const int64_t T = hdr.n_steps, block = std::max<int64_t>(opt.block, 1);
  std::vector<float> y;  // [nb, T]
  for (int64_t i0 = 0; i0 < r.n_series; i0 += block) {
    const int64_t nb = std::min(block, r.n_series - i0);
    y.resize(static_cast<size_t>(checked_mul(nb, T)));
    panel.read_target(i0, i0 + nb, y.data());
    describe_calibration_series(cal, y.data(), i0, nb, T, r.origins);
  }
  return cal;
}

CalibrationSet calibrate(const float* y, int64_t n_series, int64_t n_steps, int season_length,
                         const BacktestOptions& in) {
  const BacktestOptions opt = calibration_options(in);
  const BacktestResult r = run_backtest(y, n_series, n_steps, season_length, nullptr, opt);
  CalibrationSet cal;
  resize_calibration(cal, n_series, r.n_folds(), r.horizon);
  take_errors(cal, r);
  describe_calibration_series(cal, y, 0, n_series, n_steps, r.origins);
  return cal;
}

ConformalStats conformal_quantiles(const CalibrationSet& cal, const float* mean, const std::vector<double>& levels,
                                   float* quantiles, const ConformalOptions& opt) {
  const int64_t S = cal.n_series, K = cal.n_folds, H = cal.horizon;
  const int64_t Q = static_cast<int64_t>(levels.size());
  if (static_cast<int64_t>(cal.errors.size()) != S * K * H || static_cast<int64_t>(cal.scale.size()) != S)
    throw Error("conformal_quantiles: the calibration set is not [S, K, H]");
  const int B = std::max(1, opt.n_zero_buckets);
  auto bucket = [&](int64_t s) {
    const double z = cal.zero_share[static_cast<size_t>(s)];
    return std::clamp(static_cast<int>(z * B), 0, B - 1);  // z = 1 joins the top bucket
  };
  auto err = [&](int64_t s, int64_t k, int64_t h) { return cal.errors[static_cast<size_t>((s * K + k) * H + h)]; };
  // Pools of scaled errors (Note [Conformal pooling]): pool[b * H + h], and all buckets: pool[B * H + h].
  std::vector<std::vector<double>> pool(static_cast<size_t>((B + 1) * H));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t k = 0; k < K; ++k) {
      const double sc = cal.fold_scale[static_cast<size_t>(s * K + k)];
      if (!(std::isfinite(sc) && sc > 0.0)) continue;
      for (int64_t h = 0; h < H; ++h) {
        const float e = err(s, k, h);
        if (!std::isfinite(e)) continue;
        pool[static_cast<size_t>(bucket(s) * H + h)].push_back(e / sc);
        pool[static_cast<size_t>(B * H + h)].push_back(e / sc);
      }
    }
  for (auto& p : pool) std::sort(p.begin(), p.end());

  ConformalStats st;
  std::vector<double> own;       // [<= K] one series' errors at one step
  std::vector<double> row;       // [Q]
  for (int64_t s = 0; s < S; ++s) {
    const double sc = cal.scale[static_cast<size_t>(s)];
    for (int64_t h = 0; h < H; ++h) {
      own.clear();
      for (int64_t k = 0; k < K; ++k)
        if (std::isfinite(err(s, k, h))) own.push_back(err(s, k, h));
      const double* sorted = nullptr;
      int64_t n = 0;
      double mult = 1.0;
      if (static_cast<int64_t>(own.size()) >= opt.min_per_series) {
        std::sort(own.begin(), own.end());
        sorted = own.data();
        n = static_cast<int64_t>(own.size());
        ++st.n_own;
      } else if (std::isfinite(sc) && sc > 0.0) {
        const std::vector<double>* p = &pool[static_cast<size_t>(bucket(s) * H + h)];
        if (static_cast<int64_t>(p->size()) < opt.min_per_series) p = &pool[static_cast<size_t>(B * H + h)];
        if (!p->empty()) {
          sorted = p->data();
          n = static_cast<int64_t>(p->size());
          mult = sc;
          ++st.n_pooled;
        }
      }
      float* out = quantiles + (s * H + h) * Q;
      if (!sorted) {
        ++st.n_model;
        continue;
      }
      const double m = mean[s * H + h];
      row.resize(static_cast<size_t>(Q));
      for (int64_t j = 0; j < Q; ++j) {
        bool clamped = false;
        row[static_cast<size_t>(j)] = m + mult * conformal_order_statistic(sorted, n, levels[static_cast<size_t>(j)], &clamped);
        st.n_clamped += clamped;
      }
      std::sort(row.begin(), row.end());  // monotone in level (the rule already is; rounding aside)
      for (int64_t j = 0; j < Q; ++j) {
        double v = row[static_cast<size_t>(j)];
        if (cal.nonneg[static_cast<size_t>(s)]) v = std::max(v, 0.0);
        out[j] = static_cast<float>(v);
      }
    }
  }
  return st;
}

}  // namespace skucast
