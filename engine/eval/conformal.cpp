// engine/eval/conformal.cpp — conformal quantiles from fold errors (engine/eval/conformal.h):
// the order-statistic rule, the per-series statistics pooling needs, and the pools.
#include "engine/eval/conformal.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/stat/model.h"
#include "engine/stat/normal.h"
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
  cal.fold_n_obs.assign(static_cast<size_t>(checked_mul(n_series, n_folds)), 0);
  cal.n_obs.assign(static_cast<size_t>(n_series), 0);
  cal.peak.clear();  // filled by describe_calibration_series; a hand-made set has no bound
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
  if (static_cast<int64_t>(cal.peak.size()) != cal.n_series) cal.peak.assign(static_cast<size_t>(cal.n_series), 0.0);
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
      cal.fold_n_obs[static_cast<size_t>(i * K + k)] = n_seen;
      if (n_seen >= min_history || cal.errors.empty()) continue;
      cal.fold_scale[static_cast<size_t>(i * K + k)] = std::nan("");
      std::fill_n(cal.errors.data() + (i * K + k) * cal.horizon, cal.horizon, std::nanf(""));
    }
    cal.scale[static_cast<size_t>(i)] = naive_mae(row, n_steps);
    int64_t n_obs = 0, n_zero = 0;
    bool nonneg = true;
    double peak = 0.0;
    for (int64_t t = 0; t < n_steps; ++t) {
      if (!std::isfinite(row[t])) continue;
      ++n_obs;
      peak = std::max(peak, std::fabs(static_cast<double>(row[t])));
      n_zero += row[t] == 0.0f;
      nonneg = nonneg && row[t] >= 0.0f;
    }
    cal.n_obs[static_cast<size_t>(i)] = n_obs;
    cal.zero_share[static_cast<size_t>(i)] = n_obs ? static_cast<double>(n_zero) / static_cast<double>(n_obs) : 0.0;
    cal.nonneg[static_cast<size_t>(i)] = nonneg ? 1 : 0;
    cal.peak[static_cast<size_t>(i)] = peak;
  }
}

namespace {

BacktestOptions calibration_options(const BacktestOptions& in) {
  if (in.models.size() != 1) throw Error("calibrate: expected one model, got " + std::to_string(in.models.size()));
  BacktestOptions opt = in;
  opt.keep_errors = true;
  return opt;
}

// errors and widths [Mo = 1, K, S, H] of the backtest are cal's [S, K, H]: reorder.
void take_errors(CalibrationSet& cal, const BacktestResult& r) {
  const int64_t S = r.n_series, K = r.n_folds(), H = r.horizon;
  cal.errors.assign(static_cast<size_t>(checked_mul(checked_mul(S, K), H)), std::nanf(""));
  cal.widths.assign(cal.errors.size(), std::nanf(""));
  cal.levels = r.levels;
  for (int64_t k = 0; k < K; ++k)
    for (int64_t s = 0; s < S; ++s) {
      std::copy_n(r.error_row(0, k, s), H, cal.errors.data() + (s * K + k) * H);
      std::copy_n(r.width_row(0, k, s), H, cal.widths.data() + (s * K + k) * H);
    }
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
  cal.origins = r.origins;
  return cal;
}

namespace {

// Calls row_fn(s, row) for every series' row [T+F] of the dynamic covariate `name` (a shared one
// repeated), the panel read in blocks of `block` series.
template <class RowFn>
void for_each_covariate_row(const PanelReader& panel, const std::string& name, int64_t block, RowFn row_fn) {
  const PanelHeader& hdr = panel.header();
  const int64_t S = hdr.n_series(), TF = hdr.n_total();
  block = std::max<int64_t>(block, 1);
  std::vector<float> x;  // [nb, T+F]
  for (int64_t i0 = 0; i0 < S; i0 += block) {
    const int64_t nb = std::min(block, S - i0);
    x.resize(static_cast<size_t>(checked_mul(nb, TF)));
    panel.read_dynamic(name, i0, i0 + nb, x.data());
    for (int64_t s = 0; s < nb; ++s) row_fn(i0 + s, x.data() + s * TF);
  }
}

// ORs `bit` into fold_class [S, K, H] and step_class [S, H] of series s where its input row
// [T+F] is non-zero (and not missing) at origin_k + h and at T + h.
void mark_event_row(int64_t s, const float* row, const std::vector<int64_t>& origins, int64_t H, int64_t T,
                    uint8_t bit, std::vector<uint8_t>& fold_class, std::vector<uint8_t>& step_class) {
  const int64_t K = static_cast<int64_t>(origins.size());
  for (int64_t k = 0; k < K; ++k)
    for (int64_t h = 0; h < H; ++h) {
      const float v = row[origins[static_cast<size_t>(k)] + h];
      if (std::isfinite(v) && v != 0.0f) fold_class[static_cast<size_t>((s * K + k) * H + h)] |= bit;
    }
  for (int64_t h = 0; h < H; ++h)
    if (std::isfinite(row[T + h]) && row[T + h] != 0.0f) step_class[static_cast<size_t>(s * H + h)] |= bit;
}

}  // namespace

std::vector<AutoConformalEvent> auto_conformal_events(const CalibrationSet& cal, const PanelReader& panel,
                                                      int64_t block) {
  const PanelHeader& hdr = panel.header();
  const int64_t S = cal.n_series, K = cal.n_folds, H = cal.horizon;
  if (S != hdr.n_series() || static_cast<int64_t>(cal.origins.size()) != K)
    throw Error("auto_conformal_events: the calibration set is not the panel's");
  std::vector<AutoConformalEvent> picked;
  if (hdr.n_future < H) return picked;  // the inputs are not known for the forecast's steps
  const int64_t T = hdr.n_steps;
  std::vector<uint8_t> fold_class, step_class;
  std::vector<double> off, on;
  for (const DynamicSpec& d : hdr.dynamic) {
    if (!d.per_series) continue;
    // One read of the input: its zero and non-zero shares over the history, and where it is on.
    fold_class.assign(static_cast<size_t>(checked_mul(checked_mul(S, K), H)), 0);
    step_class.assign(static_cast<size_t>(checked_mul(S, H)), 0);
    int64_t n_zero = 0, n_on = 0;
    for_each_covariate_row(panel, d.name, block, [&](int64_t s, const float* row) {
      for (int64_t t = 0; t < T; ++t) {
        n_zero += row[t] == 0.0f;
        n_on += std::isfinite(row[t]) && row[t] != 0.0f;
      }
      mark_event_row(s, row, cal.origins, H, T, 1, fold_class, step_class);
    });
    const double n = static_cast<double>(std::max<int64_t>(1, n_zero + n_on));
    if (!(static_cast<double>(n_zero) / n >= 0.5 && static_cast<double>(n_on) / n >= 0.01)) continue;
    // How differently the folds missed its steps: the 80 % quantile of |error| / the fold's naive
    // MAE where it is on against where it is off.
    off.clear();
    on.clear();
    for (int64_t s = 0; s < S; ++s)
      for (int64_t k = 0; k < K; ++k) {
        const double sc = cal.fold_scale[static_cast<size_t>(s * K + k)];
        if (!(std::isfinite(sc) && sc > 0.0)) continue;
        for (int64_t h = 0; h < H; ++h) {
          const size_t i = static_cast<size_t>((s * K + k) * H + h);
          if (std::isfinite(cal.errors[i]))
            (fold_class[i] ? on : off).push_back(std::fabs(static_cast<double>(cal.errors[i])) / sc);
        }
      }
    if (static_cast<int64_t>(std::min(on.size(), off.size())) < kAutoEventMinErrors) continue;
    auto width = [](std::vector<double>& v) {  // the 80 % quantile: what an 80 % interval needs
      const auto i = static_cast<std::ptrdiff_t>(0.8 * static_cast<double>(v.size() - 1));
      std::nth_element(v.begin(), v.begin() + i, v.end());
      return v[static_cast<size_t>(i)];
    };
    const double m_on = width(on), m_off = width(off);
    if (!(m_on > 0.0 && m_off > 0.0)) continue;
    if (std::max(m_on / m_off, m_off / m_on) >= kAutoEventSpread) picked.push_back({d.name, m_on / m_off});
  }
  auto spread = [](const AutoConformalEvent& e) { return std::max(e.ratio, 1.0 / e.ratio); };
  std::stable_sort(picked.begin(), picked.end(),
                   [&](const AutoConformalEvent& a, const AutoConformalEvent& b) { return spread(a) > spread(b); });
  if (static_cast<int>(picked.size()) > kAutoConformalEvents) picked.resize(kAutoConformalEvents);
  return picked;
}

void classify_calibration_steps(CalibrationSet& cal, const PanelReader& panel, const std::vector<std::string>& names,
                                int64_t block) {
  cal.n_classes = 1;
  cal.fold_class.clear();
  cal.step_class.clear();
  cal.class_inputs.clear();
  if (names.empty()) return;
  const PanelHeader& hdr = panel.header();
  const int64_t S = cal.n_series, K = cal.n_folds, H = cal.horizon, T = hdr.n_steps, TF = hdr.n_total();
  if (static_cast<int>(names.size()) > kMaxConformalEvents)
    throw InputError("--conformal-by: at most " + std::to_string(kMaxConformalEvents) + " names (" +
                     std::to_string(1 << kMaxConformalEvents) + " classes), got " + std::to_string(names.size()));
  if (S != hdr.n_series() || static_cast<int64_t>(cal.origins.size()) != K)
    throw Error("classify_calibration_steps: the calibration set is not the panel's");
  // Every name resolves to a dynamic covariate or a calendar event, once.
  std::vector<const EventSeries*> events(names.size(), nullptr);
  for (size_t j = 0; j < names.size(); ++j) {
    if (std::count(names.begin(), names.end(), names[j]) > 1)
      throw InputError("--conformal-by: '" + names[j] + "' is named twice");
    if (hdr.find_dynamic(names[j])) continue;
    for (const EventSeries& e : hdr.events)
      if (e.name == names[j]) events[j] = &e;
    if (events[j]) continue;
    std::string known;
    for (const DynamicSpec& d : hdr.dynamic) known += (known.empty() ? "" : ", ") + d.name;
    for (const EventSeries& e : hdr.events) known += (known.empty() ? "" : ", ") + e.name;
    throw InputError("--conformal-by: " + panel.path() + " has no dynamic covariate or calendar event '" + names[j] +
                     "' (it has: " + (known.empty() ? std::string("none") : known) + ")");
  }
  if (TF < T + H)
    throw InputError("--conformal-by " + names.front() + ": " + panel.path() + " knows its inputs for " +
                     std::to_string(TF - T) + " step(s) after the history, the forecast's classes need " +
                     std::to_string(H) + " (ingest the future rows of the covariates)");
  cal.n_classes = 1 << names.size();
  cal.class_inputs = names;
  cal.fold_class.assign(static_cast<size_t>(checked_mul(checked_mul(S, K), H)), 0);
  cal.step_class.assign(static_cast<size_t>(checked_mul(S, H)), 0);
  for (size_t j = 0; j < names.size(); ++j) {
    const auto bit = static_cast<uint8_t>(1u << j);
    if (events[j]) {  // a calendar row, the same for every series
      const std::vector<float> row(events[j]->flags.begin(), events[j]->flags.end());
      for (int64_t s = 0; s < S; ++s)
        mark_event_row(s, row.data(), cal.origins, H, T, bit, cal.fold_class, cal.step_class);
      continue;
    }
    for_each_covariate_row(panel, names[j], block, [&](int64_t s, const float* row) {
      mark_event_row(s, row, cal.origins, H, T, bit, cal.fold_class, cal.step_class);
    });
  }
}

CalibrationSet calibrate(const float* y, int64_t n_series, int64_t n_steps, int season_length,
                         const BacktestOptions& in) {
  const BacktestOptions opt = calibration_options(in);
  const BacktestResult r = run_backtest(y, n_series, n_steps, season_length, nullptr, opt);
  CalibrationSet cal;
  resize_calibration(cal, n_series, r.n_folds(), r.horizon);
  take_errors(cal, r);
  describe_calibration_series(cal, y, 0, n_series, n_steps, r.origins);
  cal.origins = r.origins;
  return cal;
}

ConformalScore parse_conformal_score(const std::string& name) {
  if (name == "scaled") return ConformalScore::Scaled;
  if (name == "signed") return ConformalScore::Signed;
  if (name == "raw") return ConformalScore::Raw;
  throw InputError("--conformal-score: expected scaled, signed or raw, got '" + name + "'");
}

const char* conformal_score_name(ConformalScore score) {
  switch (score) {
    case ConformalScore::Scaled: return "scaled";
    case ConformalScore::Signed: return "signed";
    case ConformalScore::Raw: break;
  }
  return "raw";
}

double conformal_abs_order_statistic(const double* sorted, int64_t n, double p, bool* clamped) {
  if (n < 1) throw Error("conformal_abs_order_statistic: no scores");
  if (!(p >= 0.0 && p < 1.0)) throw Error("conformal_abs_order_statistic: coverage " + std::to_string(p) + " not in [0, 1)");
  if (clamped) *clamped = false;
  // Note [Conformal scaled scores]: k = ceil((n + 1) p); the 1e-9 as in conformal_order_statistic.
  int64_t k = static_cast<int64_t>(std::ceil(static_cast<double>(n + 1) * p - 1e-9));
  if (k < 1) return 0.0;  // p = 0 (the median): no width
  if (k > n) {
    k = n;
    if (clamped) *clamped = true;
  }
  return sorted[k - 1];
}

double conformal_weighted_order_statistic(const double* sorted, const double* weights, int64_t n, double q,
                                          bool symmetric, bool* clamped) {
  if (n < 1) throw Error("conformal_weighted_order_statistic: no scores");
  if (symmetric ? !(q >= 0.0 && q < 1.0) : !(q > 0.0 && q < 1.0))
    throw Error("conformal_weighted_order_statistic: level " + std::to_string(q) + " out of range");
  if (clamped) *clamped = false;
  if (symmetric && q == 0.0) return 0.0;  // the median: no width
  double total = 1.0;                     // W + 1: the new point's weight
  for (int64_t i = 0; i < n; ++i) total += weights[i];
  // Note [Conformal series-balanced pools]; the 1e-9 (relative) as in conformal_order_statistic.
  const bool upper = symmetric || q >= 0.5;
  const double target = (upper ? q : 1.0 - q) * total * (1.0 - 1e-9);
  double cum = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    const int64_t i = upper ? j : n - 1 - j;  // lower bounds count from the top
    cum += weights[i];
    if (cum >= target) return sorted[i];
  }
  if (clamped) *clamped = true;
  return upper ? sorted[n - 1] : sorted[0];
}

ConformalPool parse_conformal_pool(const std::string& name) {
  if (name == "errors") return ConformalPool::Errors;
  if (name == "series") return ConformalPool::Series;
  throw InputError("--conformal-pool: expected errors or series, got '" + name + "'");
}

namespace {

// Note [Conformal scaled scores]: the spread width / zd at step h (0-based) kept within
// [kSpreadFloor, kSpreadCap × sqrt(h + 1)] × scale (no bounds when the scale is 0 or undefined),
// NaN when the width is undefined; *floored and *capped say whether a bound won.
double own_spread(double width, double zd, double scale, int64_t h, bool* floored = nullptr, bool* capped = nullptr) {
  if (!std::isfinite(width)) return std::nan("");
  double d = std::max(width, 0.0) / zd;
  const bool bounded = std::isfinite(scale) && scale > 0.0;
  const double floor = bounded ? kSpreadFloor * scale : 0.0;
  const double cap = bounded ? kSpreadCap * std::sqrt(static_cast<double>(h + 1)) * scale
                             : std::numeric_limits<double>::infinity();
  if (floored) *floored = floor > d;
  if (capped) *capped = d > cap;
  return std::clamp(d, floor, cap);
}

}  // namespace

ConformalStats conformal_quantiles(const CalibrationSet& cal, const float* mean, const std::vector<double>& levels,
                                   float* quantiles, const ConformalOptions& opt) {
  const int64_t S = cal.n_series, K = cal.n_folds, H = cal.horizon;
  const int64_t Q = static_cast<int64_t>(levels.size());
  if (static_cast<int64_t>(cal.errors.size()) != S * K * H || static_cast<int64_t>(cal.scale.size()) != S)
    throw Error("conformal_quantiles: the calibration set is not [S, K, H]");
  // Note [Conformal scaled scores]: Scaled and Signed need the folds' widths and two levels.
  const bool scaled = opt.score != ConformalScore::Raw && !cal.widths.empty() && Q >= 2;
  const bool symmetric = scaled && opt.score == ConformalScore::Scaled;  // |e| / d
  double zd = 1.0;  // z(hi) − z(lo)
  if (scaled) {
    if (static_cast<int64_t>(cal.widths.size()) != S * K * H) throw Error("conformal_quantiles: widths not [S, K, H]");
    if (cal.levels.size() < 2 || cal.levels.front() != levels.front() || cal.levels.back() != levels.back())
      throw Error("conformal_quantiles: the calibration folds' quantile levels differ from the forecast's");
    zd = inverse_normal_cdf(levels.back()) - inverse_normal_cdf(levels.front());
    if (!(zd > 0.0)) throw Error("conformal_quantiles: levels not ascending");
  }
  const int B = std::max(1, opt.n_zero_buckets);
  auto bucket = [&](int64_t s) {
    const double z = cal.zero_share[static_cast<size_t>(s)];
    return std::clamp(static_cast<int>(z * B), 0, B - 1);  // z = 1 joins the top bucket
  };
  // The score of fold k, series s, step h (NaN: none). Raw: the error itself (pooled divided by
  // the fold's naive MAE); Signed: the error over the fold's own spread; Scaled: its size.
  auto score = [&](int64_t s, int64_t k, int64_t h) -> double {
    const size_t i = static_cast<size_t>((s * K + k) * H + h);
    const double e = cal.errors[i];
    if (!std::isfinite(e) || !scaled) return e;
    // Note [Conformal scaled scores]: folds whose history is much shorter than the forecast's
    // are left out (their models were fitted on too little to resemble the final one).
    if (!cal.fold_n_obs.empty() && static_cast<double>(cal.fold_n_obs[static_cast<size_t>(s * K + k)]) <
                                       opt.min_history_share * static_cast<double>(cal.n_obs[static_cast<size_t>(s)]))
      return std::nan("");
    const double d = own_spread(cal.widths[i], zd, cal.fold_scale[static_cast<size_t>(s * K + k)], h);
    if (!(std::isfinite(d) && d > 0.0)) return std::nan("");
    return symmetric ? std::fabs(e) / d : e / d;
  };
  // Pools (Note [Conformal pooling]): pool[pool_index(c, b, h)] for event class c and zero-share
  // bucket b, c = C for all classes and b = B for all buckets (C = 0 without classes: only the
  // class-free pools). With ConformalPool::Series each score weighs 1 / (the series' scores at h)
  // (Note [Conformal series-balanced pools]), kept in pool_weights beside the sorted scores.
  const bool classed = !cal.fold_class.empty();  // Note [Conformal event classes]
  if (classed && (static_cast<int64_t>(cal.fold_class.size()) != S * K * H ||
                  static_cast<int64_t>(cal.step_class.size()) != S * H || cal.n_classes < 1))
    throw Error("conformal_quantiles: the event classes are not [S, K, H] and [S, H]");
  if (classed) {
    const auto out_of_range = [&](uint8_t c) { return c >= cal.n_classes; };
    if (std::any_of(cal.fold_class.begin(), cal.fold_class.end(), out_of_range) ||
        std::any_of(cal.step_class.begin(), cal.step_class.end(), out_of_range))
      throw Error("conformal_quantiles: an event class outside 0.." + std::to_string(cal.n_classes - 1));
  }
  const int C = classed ? cal.n_classes : 0;
  auto pool_index = [&](int c, int b, int64_t h) {
    return static_cast<size_t>((static_cast<int64_t>(c) * (B + 1) + b) * H + h);
  };
  auto fold_class = [&](int64_t s, int64_t k, int64_t h) {
    return classed ? static_cast<int>(cal.fold_class[static_cast<size_t>((s * K + k) * H + h)]) : C;
  };
  const bool balanced = opt.pool == ConformalPool::Series;
  // (score, weight) pairs
  std::vector<std::vector<std::pair<double, double>>> pool(static_cast<size_t>((C + 1) * (B + 1) * H));
  std::vector<std::pair<double, int>> series_scores;  // [K] one series' pooled scores at one step, with their class
  for (int64_t s = 0; s < S; ++s)
    for (int64_t h = 0; h < H; ++h) {
      series_scores.clear();
      for (int64_t k = 0; k < K; ++k) {
        const double sc = scaled ? 1.0 : cal.fold_scale[static_cast<size_t>(s * K + k)];
        if (!(std::isfinite(sc) && sc > 0.0)) continue;
        const double r = score(s, k, h);
        if (std::isfinite(r)) series_scores.emplace_back(r / sc, fold_class(s, k, h));
      }
      const double w = balanced && !series_scores.empty() ? 1.0 / static_cast<double>(series_scores.size()) : 1.0;
      const int b = bucket(s);
      for (const auto& [r, c] : series_scores) {
        if (classed) {
          pool[pool_index(c, b, h)].emplace_back(r, w);
          pool[pool_index(c, B, h)].emplace_back(r, w);
        }
        pool[pool_index(C, b, h)].emplace_back(r, w);
        pool[pool_index(C, B, h)].emplace_back(r, w);
      }
    }
  std::vector<std::vector<double>> pool_scores(pool.size()), pool_weights(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) {
    std::sort(pool[i].begin(), pool[i].end());
    for (const auto& [r, w] : pool[i]) {
      pool_scores[i].push_back(r);
      pool_weights[i].push_back(w);
    }
    pool[i] = {};
  }

  ConformalStats st;
  st.score = scaled ? opt.score : ConformalScore::Raw;
  std::vector<double> own;       // [<= K] one series' scores at one step
  std::vector<double> row;       // [Q]
  for (int64_t s = 0; s < S; ++s) {
    const double sc = cal.scale[static_cast<size_t>(s)];
    for (int64_t h = 0; h < H; ++h) {
      float* out = quantiles + (s * H + h) * Q;
      // The cell's multiplier of a pooled score: Raw: the naive MAE; Scaled, Signed: the own
      // spread, which also multiplies the series' own scores.
      bool floored = false, capped = false;
      const double d = scaled ? own_spread(static_cast<double>(out[Q - 1]) - static_cast<double>(out[0]), zd, sc, h,
                                           &floored, &capped)
                              : sc;
      // The cell's event class (C: none), whose scores alone it uses where it has enough.
      const int c = classed ? static_cast<int>(cal.step_class[static_cast<size_t>(s * H + h)]) : C;
      own.clear();
      for (int64_t k = 0; k < K; ++k) {
        const double r = fold_class(s, k, h) == c ? score(s, k, h) : std::nan("");
        if (std::isfinite(r)) own.push_back(r);
      }
      const double* sorted = nullptr;
      const double* weights = nullptr;  // a pool's with ConformalPool::Series, else none (all 1)
      int64_t n = 0;
      double mult = 1.0;
      const bool usable = std::isfinite(d) && d > 0.0;
      if (static_cast<int64_t>(own.size()) >= opt.min_per_series && (usable || !scaled)) {
        std::sort(own.begin(), own.end());
        sorted = own.data();
        n = static_cast<int64_t>(own.size());
        mult = scaled ? d : 1.0;
        ++st.n_own;
      } else if (usable) {
        // The first pool with min_per_series scores of: the class and bucket, the class, the
        // bucket, all (Note [Conformal event classes]; without classes the last two).
        const int b = bucket(s);
        const size_t order[4] = {pool_index(c, b, h), pool_index(c, B, h), pool_index(C, b, h), pool_index(C, B, h)};
        size_t pi = order[3];
        for (const size_t cand : order)
          if (static_cast<int64_t>(pool_scores[cand].size()) >= opt.min_per_series) {
            pi = cand;
            break;
          }
        st.n_class_pooled += c < C && pi < pool_index(C, 0, 0) && !pool_scores[pi].empty();
        const std::vector<double>* p = &pool_scores[pi];
        if (!p->empty()) {
          sorted = p->data();
          if (balanced) weights = pool_weights[pi].data();
          n = static_cast<int64_t>(p->size());
          mult = d;
          ++st.n_pooled;
        }
      }
      if (!sorted) {
        ++st.n_model;
        continue;
      }
      st.n_floored += scaled && floored;
      st.n_capped += scaled && capped;
      const double m = mean[s * H + h];
      row.resize(static_cast<size_t>(Q));
      for (int64_t j = 0; j < Q; ++j) {
        bool clamped = false;
        const double q = levels[static_cast<size_t>(j)];
        double r;
        if (symmetric) {  // a size |score|: the level's distance from the median, signed by its side
          const double p = std::fabs(2.0 * q - 1.0);
          r = (q >= 0.5 ? 1.0 : -1.0) * (weights ? conformal_weighted_order_statistic(sorted, weights, n, p, true, &clamped)
                                                 : conformal_abs_order_statistic(sorted, n, p, &clamped));
        } else {
          r = weights ? conformal_weighted_order_statistic(sorted, weights, n, q, false, &clamped)
                      : conformal_order_statistic(sorted, n, q, &clamped);
        }
        row[static_cast<size_t>(j)] = m + mult * r;
        st.n_clamped += clamped;
      }
      std::sort(row.begin(), row.end());  // monotone in level (the rule already is; rounding aside)
      // Note [Bounded statistical forecasts]: the bound of the forecast before recalibration.
      const bool bounded = !cal.peak.empty();
      const float cap = bounded ? static_cast<float>(forecast_cap(cal.peak[static_cast<size_t>(s)]) *
                                                     static_cast<double>(opt.cumulative ? h + 1 : 1))
                                : 0.0f;
      for (int64_t j = 0; j < Q; ++j) {
        double v = row[static_cast<size_t>(j)];
        if (cal.nonneg[static_cast<size_t>(s)]) v = std::max(v, 0.0);
        out[j] = static_cast<float>(v);
        if (bounded) st.n_bounded += clamp_to_cap(out[j], cap);
      }
    }
  }
  return st;
}

}  // namespace skucast
