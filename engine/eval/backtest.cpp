// engine/eval/backtest.cpp — rolling-origin backtests (engine/eval/backtest.h): folds, the block loop and
// the aggregation. The table, CSV and HDF5 outputs are in engine/eval/backtest_report.cpp.
#include "engine/eval/backtest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include <unistd.h>

#include <filesystem>

#include "engine/stat/arima/regressors.h"
#include "engine/deepar/model.h"
#include "engine/stat/gpu_models.h"
#include "engine/stat/model.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

std::vector<int64_t> fold_origins(int64_t n_steps, int64_t horizon, int64_t folds, int64_t step) {
  if (horizon < 1) throw InputError("horizon must be at least 1, got " + std::to_string(horizon));
  if (folds < 1) throw InputError("folds must be at least 1, got " + std::to_string(folds));
  if (step < 1) throw InputError("step must be at least 1, got " + std::to_string(step));
  // need = horizon + (folds - 1) * step + 1 steps: one of history before the first origin.
  // Summed without overflow: --folds and --step come from the command line.
  int64_t span = 0, need = 0;
  const bool overflow = __builtin_mul_overflow(folds - 1, step, &span) || __builtin_add_overflow(span, horizon, &need) ||
                        __builtin_add_overflow(need, int64_t{1}, &need);
  if (overflow || need > n_steps)
    throw InputError("the panel has " + std::to_string(n_steps) + " steps, but " + std::to_string(folds) +
                     " fold(s) of horizon " + std::to_string(horizon) + " with step " + std::to_string(step) +
                     " need " + (overflow ? std::string("more than 2^63") : "at least " + std::to_string(need)) +
                     " (one step of history before the first origin)");
  const int64_t first = n_steps - horizon - span;  // >= 1
  std::vector<int64_t> origins(static_cast<size_t>(folds));
  for (int64_t k = 0; k < folds; ++k) origins[static_cast<size_t>(k)] = first + k * step;
  return origins;
}

int64_t checkpoint_fold_count(int64_t n_steps, int64_t horizon, int64_t step, int64_t train_end) {
  if (horizon < 1 || step < 1) throw InputError("checkpoint_fold_count: horizon and step must be at least 1");
  const int64_t last = n_steps - horizon;  // the last origin
  const int64_t first_allowed = std::max<int64_t>(train_end, 1);
  return last < first_allowed ? 0 : (last - first_allowed) / step + 1;
}

namespace {

bool is_neural(const std::string& name) { return name == "lstm" || name == "gru"; }

struct Plan {
  BacktestOptions opt;
  std::vector<std::unique_ptr<StatModel>> models;  // nullptr for the global (neural) models
};

Plan make_plan(const BacktestOptions& in) {
  Plan p{in, {}};
  if (p.opt.models.empty()) throw InputError("no model to backtest; give --models a,b,c");
  if (!p.opt.reconcile.empty() && !p.opt.hierarchy)
    throw InputError("reconciling the folds needs the panel's hierarchy (an aggregated panel, skucast aggregate)");
  for (size_t j = 0; j < p.opt.reconcile.size(); ++j) {
    for (size_t i = 0; i < j; ++i)
      if (method_name(p.opt.reconcile[i]) == method_name(p.opt.reconcile[j]))
        throw InputError("--reconcile: method '" + method_name(p.opt.reconcile[j]) + "' is listed twice");
    const ReconcileMethod method = p.opt.reconcile[j].method;
    if (method == ReconcileMethod::TopDown || method == ReconcileMethod::MiddleOut) {
      // Crossed levels or an unknown mo level fail here, before any model runs: the same
      // reconciliation of zero forecasts, one step.
      const std::vector<double> zero(static_cast<size_t>(p.opt.hierarchy->n_series()), 0.0);
      reconcile_means(*p.opt.hierarchy, p.opt.reconcile[j], zero.data(), 1, static_cast<const double*>(nullptr), 0);
    }
    if (!needs_residuals(method)) continue;
    if (p.opt.transform != Transform::None)
      throw InputError("--reconcile " + method_name(p.opt.reconcile[j]) +
                       " needs in-sample one-step residuals on the data's scale; use --transform none");
  }
  if (p.opt.step == 0) p.opt.step = p.opt.horizon;
  if (p.opt.block < 1) throw InputError("block must be at least 1 series, got " + std::to_string(p.opt.block));
  for (size_t i = 0; i < p.opt.models.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (p.opt.models[i] == p.opt.models[j]) throw InputError("model '" + p.opt.models[i] + "' is listed twice");
    p.models.push_back(is_neural(p.opt.models[i]) ? nullptr : make_stat_model(p.opt.models[i], p.opt.combine));
  }
  return p;
}

BacktestResult make_result(const Plan& p, int64_t n_series, int64_t n_steps) {
  BacktestResult r;
  r.models = p.opt.models;
  r.origins = fold_origins(n_steps, p.opt.horizon, p.opt.folds, p.opt.step);
  r.levels = p.opt.levels;
  r.layout = metric_layout(p.opt.levels);
  r.n_series = n_series;
  r.horizon = p.opt.horizon;
  r.step = p.opt.step;
  const int64_t n_models = static_cast<int64_t>(r.models.size());
  r.per_series.assign(static_cast<size_t>(checked_mul(checked_mul(n_models * r.n_folds(), n_series), r.layout.size())),
                      std::nan(""));
  r.n_fallback.assign(static_cast<size_t>(n_models), 0);
  r.n_bounded.assign(static_cast<size_t>(n_models), 0);
  r.seconds.assign(static_cast<size_t>(n_models), 0.0);
  // Note [Reconciled folds]: the reconciled rows follow the base models.
  r.n_base = n_models;
  for (int64_t m = 0; m < n_models; ++m) {
    r.base_of.push_back(m);
    r.method.emplace_back();
  }
  for (const ReconcileOptions& ro : p.opt.reconcile)
    for (int64_t m = 0; m < n_models; ++m) {
      r.models.push_back(r.models[static_cast<size_t>(m)] + ":" + method_name(ro));
      r.base_of.push_back(m);
      r.method.push_back(method_name(ro));
    }
  const int64_t n_rows = static_cast<int64_t>(r.models.size());
  if (n_rows > n_models) {
    r.per_series.resize(static_cast<size_t>(checked_mul(checked_mul(n_rows * r.n_folds(), n_series), r.layout.size())),
                        std::nan(""));
    r.n_fallback.resize(static_cast<size_t>(n_rows), 0);
    r.seconds.resize(static_cast<size_t>(n_rows), 0.0);
  }
  if (p.opt.keep_errors) {  // every row, reconciled ones included
    r.errors.assign(static_cast<size_t>(checked_mul(checked_mul(n_rows * r.n_folds(), n_series), r.horizon)),
                    std::nanf(""));
    r.widths.assign(r.errors.size(), std::nanf(""));
  }
  if (p.opt.hierarchy) {  // Note [Scoring by level]
    const HierarchyStructure& h = *p.opt.hierarchy;
    if (h.n_series() != n_series)
      throw InputError("the hierarchy has " + std::to_string(h.n_series()) + " series, the panel " +
                       std::to_string(n_series));
    LevelScores& lv = r.by_level;
    lv.names = h.level_names;
    lv.level = h.level;
    lv.n_series.assign(h.level_names.size(), 0);
    for (int32_t l : h.level) ++lv.n_series[static_cast<size_t>(l)];
    if (h.n_aggregates > 0 && lv.n_series[0] == 1) lv.top_row = 0;  // aggregates come first, level 0 first
    if (lv.top_row >= 0) {
      const int64_t KH = r.n_folds() * r.horizon, Q = static_cast<int64_t>(r.levels.size());
      lv.top_actual.assign(static_cast<size_t>(KH), std::nanf(""));
      lv.top_mean.assign(static_cast<size_t>(n_rows * KH), std::nanf(""));
      lv.top_quantiles.assign(static_cast<size_t>(n_rows * KH * Q), std::nanf(""));
    }
  }
  return r;
}

// Every base model's fold forecasts of every series, kept for reconciliation (Note
// [Reconciled folds]); slot mi * K + k.
struct FoldStore {
  bool active = false;
  bool residuals = false;  // some method needs them
  std::vector<std::vector<float>> mean;       // [S, H] per slot
  std::vector<std::vector<float>> quantiles;  // [S, H, Q] per slot
  std::vector<std::vector<float>> resid;      // [S, o] per slot (residuals only)
};

FoldStore make_store(const Plan& p, const BacktestResult& r) {
  FoldStore st;
  if (p.opt.reconcile.empty()) return st;
  st.active = true;
  for (const ReconcileOptions& ro : p.opt.reconcile) st.residuals = st.residuals || needs_residuals(ro.method);
  const int64_t K = r.n_folds(), S = r.n_series, H = r.horizon, Q = static_cast<int64_t>(r.levels.size());
  const size_t n_slots = static_cast<size_t>(r.n_base * K);
  st.mean.resize(n_slots);
  st.quantiles.resize(n_slots);
  st.resid.resize(n_slots);
  for (int64_t mi = 0; mi < r.n_base; ++mi)
    for (int64_t k = 0; k < K; ++k) {
      const size_t slot = static_cast<size_t>(mi * K + k);
      st.mean[slot].assign(static_cast<size_t>(checked_mul(S, H)), 0.0f);
      st.quantiles[slot].assign(static_cast<size_t>(checked_mul(checked_mul(S, H), Q)), 0.0f);
      if (st.residuals)
        st.resid[slot].assign(static_cast<size_t>(checked_mul(S, r.origins[static_cast<size_t>(k)])), std::nanf(""));
    }
  return st;
}

// Copies rows [i0, i0 + nb) of a fold's forecast into the store and, for the total series, into
// by_level's plot rows (row m of the result).
void keep_forecast(BacktestResult& r, FoldStore* st, int64_t m, int64_t k, int64_t i0, int64_t nb,
                   const float* actual /*[nb, H]*/, const float* mean /*[nb, H]*/, const float* quant /*[nb, H, Q]*/) {
  const int64_t H = r.horizon, Q = static_cast<int64_t>(r.levels.size()), K = r.n_folds();
  if (st && st->active && m < r.n_base) {
    const size_t slot = static_cast<size_t>(m * K + k);
    std::copy(mean, mean + nb * H, st->mean[slot].begin() + i0 * H);
    std::copy(quant, quant + nb * H * Q, st->quantiles[slot].begin() + i0 * H * Q);
  }
  LevelScores& lv = r.by_level;
  if (lv.top_row < i0 || lv.top_row >= i0 + nb) return;
  const int64_t s = lv.top_row - i0;
  std::copy(actual + s * H, actual + (s + 1) * H, lv.top_actual.begin() + k * H);
  std::copy(mean + s * H, mean + (s + 1) * H, lv.top_mean.begin() + (m * K + k) * H);
  std::copy(quant + s * H * Q, quant + (s + 1) * H * Q, lv.top_quantiles.begin() + (m * K + k) * H * Q);
}

// errors[mi, k, i0 + s, h] = actual[s, h] - mean[s, h] for s < nb (NaN where the actual is), and
// widths[mi, k, i0 + s, h] = quant[s, h, Q - 1] - quant[s, h, 0] likewise.
void keep_errors(BacktestResult& r, int64_t mi, int64_t k, int64_t i0, int64_t nb, const float* actual,
                 const float* mean, const float* quant /*[nb, H, Q]*/) {
  if (r.errors.empty()) return;
  const int64_t Q = static_cast<int64_t>(r.levels.size());
  const size_t at = static_cast<size_t>(((mi * r.n_folds() + k) * r.n_series + i0) * r.horizon);
  float* dst = r.errors.data() + at;
  float* wid = r.widths.data() + at;
  for (int64_t c = 0; c < nb * r.horizon; ++c) {
    const bool seen = std::isfinite(actual[c]);
    dst[c] = seen ? actual[c] - mean[c] : std::nanf("");
    wid[c] = !seen ? std::nanf("") : Q > 0 ? quant[c * Q + Q - 1] - quant[c * Q] : 0.0f;
  }
}

// The regressors of a block: xb [nb, X, K] on the panel's axis (X = T + F rows), or none.
struct BlockRegressors {
  const float* x = nullptr;
  int64_t n_rows = 0;  // X
  int k = 0;           // K
};

// Scores every model and fold on rows [i0, i0 + nb) given as yb [nb, T]. ids: [nb] or null.
void run_block(const Plan& p, BacktestResult& r, const float* yb, int64_t i0, int64_t nb, int64_t n_steps,
               int season_length, const BlockRegressors& xr, const std::string* ids, FoldStore* st = nullptr) {
  const int64_t horizon = r.horizon;
  const int n_metrics = r.layout.size();
  std::vector<double> scores(static_cast<size_t>(checked_mul(nb, n_metrics)));  // [nb, M]
  std::vector<float> actual(static_cast<size_t>(checked_mul(nb, horizon)));    // [nb, H]
  std::vector<float> hist;                                                      // [nb, o]
  for (int64_t k = 0; k < r.n_folds(); ++k) {
    const int64_t o = r.origins[static_cast<size_t>(k)];
    hist.resize(static_cast<size_t>(checked_mul(nb, o)));
    for (int64_t s = 0; s < nb; ++s) {
      const float* row = yb + s * n_steps;
      std::copy(row, row + o, hist.data() + s * o);
      std::copy(row + o, row + o + horizon, actual.data() + s * horizon);
    }
    for (size_t mi = 0; mi < p.models.size(); ++mi) {
      if (!p.models[mi]) continue;  // neural: run_neural_folds
      const auto t0 = std::chrono::steady_clock::now();
      BatchOptions bo;
      bo.transform = p.opt.transform;
      bo.ids = ids;
      if (xr.k > 0 && p.models[mi]->uses_regressors()) {  // rows [0, o + H) of the block's covariates
        bo.xreg = xr.x;
        bo.xreg_steps = xr.n_rows;
        bo.n_xreg = xr.k;
      }
      const std::string& name = p.opt.models[mi];
      const bool want_resid = st && st->residuals;
      if (want_resid) bo.residuals = st->resid[mi * static_cast<size_t>(r.n_folds()) + static_cast<size_t>(k)].data() + i0 * o;
      // The GPU runner gives no residuals: those models stay on the CPU when a method needs them.
      const bool on_gpu = !want_resid &&
                          std::find(p.opt.gpu_models.begin(), p.opt.gpu_models.end(), name) != p.opt.gpu_models.end();
      StatGpuOptions gpu_opt;
      gpu_opt.max_block_bytes = p.opt.gpu_block_bytes;
      BatchForecast fc =
          on_gpu ? forecast_batch_cuda(name, hist.data(), nb, o, season_length, horizon, r.levels, gpu_opt)
                 : forecast_batch(*p.models[mi], hist.data(), nb, o, season_length, horizon, r.levels, bo);
      // Note [Bounded statistical forecasts] (engine/stat/model.h), as `forecast` does.
      r.n_bounded[mi] += bound_stat_forecast(hist.data(), nb, o, horizon, static_cast<int64_t>(r.levels.size()),
                                             fc.mean.data(), fc.quantiles.data())
                             .n_values;
      r.seconds[mi] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      r.n_fallback[mi] += fc.n_fallback;
      if (want_resid && fc.n_no_fitted > 0) {
        std::string methods;
        for (const ReconcileOptions& ro : p.opt.reconcile)
          if (needs_residuals(ro.method)) methods += (methods.empty() ? "" : ", ") + method_name(ro);
        throw InputError("--reconcile " + methods + " needs in-sample one-step residuals, and model '" + name +
                         "' gave none for " + std::to_string(fc.n_no_fitted) +
                         " series; residuals come from " + kResidualModels +
                         " (bu, td, mo:LEVEL, ols and wls_struct take any model)");
      }
      keep_forecast(r, st, static_cast<int64_t>(mi), k, i0, nb, actual.data(), fc.mean.data(), fc.quantiles.data());
      series_metrics_cpu(actual.data(), fc.mean.data(), fc.quantiles.data(), hist.data(), nb, horizon, o,
                         season_length, r.levels, r.layout, scores.data());
      double* dst = r.per_series.data() + ((static_cast<int64_t>(mi) * r.n_folds() + k) * r.n_series + i0) * n_metrics;
      std::copy(scores.begin(), scores.end(), dst);
      keep_errors(r, static_cast<int64_t>(mi), k, i0, nb, actual.data(), fc.mean.data(), fc.quantiles.data());
    }
  }
}

// Note [Neural folds]: a fresh model trained on the panel cut at the fold's origin.
DeepArState train_fold_model(const Plan& p, const std::string& cell, const PanelReader& cut_panel, int64_t H) {
  DeepArOptions nn;
  nn.cell = cell;
  nn.horizon = H;
  nn.hidden = p.opt.nn_hidden;
  nn.layers = p.opt.nn_layers;
  nn.context = p.opt.nn_context;
  nn.likelihood = p.opt.nn_likelihood;
  nn.epochs = p.opt.nn_epochs;
  nn.seed = p.opt.nn_seed;
  nn.dropout = p.opt.nn_dropout;
  nn.ema = p.opt.nn_ema;
  nn.attention = p.opt.nn_attention;
  nn.distances = p.opt.nn_distances;
  nn.target_transform = "auto";  // as train's default (Note [Target transform from the data])
  nn.validate();
  const TargetProfile profile = target_profile(cut_panel);
  DeepArState st = deepar_init(nn, cut_panel.header(), &profile);
  deepar_train(st, cut_panel, nn.epochs, {}, p.opt.nn_train_gpu ? Device::Cuda : Device::Cpu);
  return st;
}

// Note [Fold residuals of the global model]
//   wls_var and mint_shrink (Note [Reconciled folds]) need each model's in-sample one-step
//   residuals at each fold. For lstm/gru they are those of `forecast --model lstm|gru
//   --residuals` (Note [Global model residuals] in engine/deepar/residuals.cpp), computed on
//   the fold's cut panel, whose target ends at the origin o: residuals [S, o], every prediction
//   and every actual from [0, o), none from the steps the fold is scored on.
//   - Refit per fold (Note [Neural folds]): the model that forecasts the fold, trained on
//     [0, o) with its validation split inside it; its residuals are in-sample, as the
//     statistical models' are (their filter's, after fitting on [0, o)).
//   - --checkpoint (Note [Checkpoint folds]): the stored model, trained on [0, train_end)
//     with train_end <= o; its residuals are in-sample up to train_end and out of sample on
//     [train_end, o), one-step predictions of steps it never trained on, still all before o.
//     Pooled files average their members' predictions, as forecast --residuals does.
//   So the covariance that mint_shrink estimates at a fold never sees the fold's actuals, and
//   the reconciled rows stay as out of sample as the base row. The predictions run on the CPU
//   (the caller says so when the folds use the GPU) and count in the model's seconds.

// Note [Neural folds]: a global model learns from every series, so it cannot be fitted
// block by block. For each origin o we write the panel cut at o to a temporary file — the
// history [0, o) as target, everything after it (actuals included) only as known future
// covariates, exactly as on the night of o — train a fresh model on it with the options'
// seed, forecast H steps, and score against the actuals like any other model.
void run_neural_folds(const Plan& p, BacktestResult& r, const PanelReader& panel, FoldStore* store) {
  const PanelHeader& hdr = panel.header();
  const int64_t S = hdr.n_series(), T = hdr.n_steps, H = r.horizon;
  const int m = hdr.axis.season_length;
  const int n_metrics = r.layout.size();
  bool any = false;
  for (const auto& mp : p.models) any = any || !mp;
  if (!any) return;
  const std::vector<float> y = panel.read_target(0, S);  // [S, T]
  std::vector<std::vector<float>> dyn;                    // per hdr.dynamic: [S, T+F] or [T+F]
  for (const auto& d : hdr.dynamic) dyn.push_back(panel.read_dynamic(d.name, 0, d.per_series ? S : 1));
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("skucast_bt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() { std::error_code ec; fs::remove_all(d, ec); }
  } cleanup{dir};
  std::vector<float> hist, actual(static_cast<size_t>(checked_mul(S, H)));          // [S, o], [S, H]
  std::vector<double> scores(static_cast<size_t>(checked_mul(S, n_metrics)));       // [S, M]
  for (int64_t k = 0; k < r.n_folds(); ++k) {
    const int64_t o = r.origins[static_cast<size_t>(k)];
    PanelHeader cut = hdr;
    cut.n_steps = o;
    cut.n_future = hdr.n_total() - o;
    hist.resize(static_cast<size_t>(checked_mul(S, o)));
    for (int64_t s = 0; s < S; ++s) {
      std::copy(y.begin() + s * T, y.begin() + s * T + o, hist.begin() + s * o);
      std::copy(y.begin() + s * T + o, y.begin() + s * T + o + H, actual.begin() + s * H);
    }
    const std::string cut_path = (dir / ("fold" + std::to_string(k) + ".h5")).string();
    write_panel(cut_path, cut, hist, dyn);
    const PanelReader cut_panel(cut_path);
    for (size_t mi = 0; mi < p.models.size(); ++mi) {
      if (p.models[mi]) continue;
      const auto t0 = std::chrono::steady_clock::now();
      ForecastDeviceOptions fdev;
      fdev.device = p.opt.nn_forecast_gpu ? Device::Cuda : Device::Cpu;
      fdev.max_block_bytes = p.opt.gpu_block_bytes;
      const BiasCorrection bias = p.opt.nn_bias_correction ? BiasCorrection::Auto : BiasCorrection::Off;
      const bool want_resid = store && store->residuals;  // Note [Fold residuals of the global model]
      std::vector<float> resid;                            // [S, o]
      ForecastFile fc;
      if (!p.opt.nn_checkpoint.empty()) {  // Note [Checkpoint folds]: the stored model, no refit
        fc = forecast_with_checkpoint(cut_panel, p.opt.nn_checkpoint, H, r.levels, p.opt.nn_paths, p.opt.nn_seed, fdev,
                                      {}, nullptr, bias);
        if (fc.model != p.opt.models[mi])
          throw InputError(p.opt.nn_checkpoint + ": the checkpoint holds a '" + fc.model + "' model, but the models "
                           "name '" + p.opt.models[mi] + "'");
        if (want_resid) resid = residuals_with_checkpoint(cut_panel, p.opt.nn_checkpoint);
      } else {
        const DeepArState st = train_fold_model(p, p.opt.models[mi], cut_panel, H);
        fc = deepar_forecast(st, cut_panel, H, r.levels, p.opt.nn_paths, p.opt.nn_seed + 1, fdev, {}, nullptr, bias);
        if (want_resid) resid = deepar_residuals(st, cut_panel);
      }
      if (want_resid) {
        std::vector<float>& dst = store->resid[mi * static_cast<size_t>(r.n_folds()) + static_cast<size_t>(k)];
        if (resid.size() != dst.size())
          throw Error("backtest: the global model's residuals hold " + std::to_string(resid.size()) +
                      " values, expected " + std::to_string(dst.size()) + " (S x origin)");
        dst = std::move(resid);
      }
      r.seconds[mi] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      keep_forecast(r, store, static_cast<int64_t>(mi), k, 0, S, actual.data(), fc.mean.data(), fc.quantiles.data());
      series_metrics_cpu(actual.data(), fc.mean.data(), fc.quantiles.data(), hist.data(), S, H, o, m, r.levels,
                         r.layout, scores.data());
      double* dst = r.per_series.data() + ((static_cast<int64_t>(mi) * r.n_folds() + k) * r.n_series) * n_metrics;
      std::copy(scores.begin(), scores.end(), dst);
      keep_errors(r, static_cast<int64_t>(mi), k, 0, S, actual.data(), fc.mean.data(), fc.quantiles.data());
    }
  }
}

// Fills summary_names, summary and n_excluded from per_series (header note on aggregates).
void summarize(BacktestResult& r, const float* weights) {
  const int n_metrics = r.layout.size();
  const int rmsse_col = r.layout.index("rmsse");
  r.summary_names.clear();
  for (int c = 0; c < n_metrics; ++c) {
    r.summary_names.push_back(r.layout.names[c]);
    if (c == rmsse_col) r.summary_names.push_back("wrmsse");
  }
  const int64_t n_models = static_cast<int64_t>(r.models.size());
  const int64_t n_cols = static_cast<int64_t>(r.summary_names.size());
  r.summary.assign(static_cast<size_t>(n_models * n_cols), std::nan(""));
  r.n_excluded.assign(static_cast<size_t>(n_models * n_cols), 0);
  std::vector<double> col(static_cast<size_t>(r.n_series));  // [S]
  for (int64_t mi = 0; mi < n_models; ++mi) {
    int64_t out_c = 0;
    for (int c = 0; c < n_metrics; ++c, ++out_c) {
      double sum = 0.0;
      int64_t used = 0, skipped = 0;
      for (int64_t k = 0; k < r.n_folds(); ++k)
        for (int64_t s = 0; s < r.n_series; ++s) {
          const double v = r.value(mi, k, s, c);
          if (std::isfinite(v)) { sum += v; ++used; } else { ++skipped; }
        }
      r.summary[mi * n_cols + out_c] = used ? sum / static_cast<double>(used) : std::nan("");
      r.n_excluded[mi * n_cols + out_c] = skipped;
      if (c != rmsse_col) continue;
      ++out_c;  // wrmsse: per fold, then the mean over folds
      double fold_sum = 0.0;
      int64_t folds_used = 0, w_skipped = 0;
      for (int64_t k = 0; k < r.n_folds(); ++k) {
        for (int64_t s = 0; s < r.n_series; ++s) col[static_cast<size_t>(s)] = r.value(mi, k, s, c);
        int64_t excl = 0;
        const double w = weighted_mean(col.data(), weights, r.n_series, &excl);
        w_skipped += excl;
        if (std::isfinite(w)) { fold_sum += w; ++folds_used; }
      }
      r.summary[mi * n_cols + out_c] = folds_used ? fold_sum / static_cast<double>(folds_used) : std::nan("");
      r.n_excluded[mi * n_cols + out_c] = w_skipped;
    }
  }
}

// Note [Reconciled folds]: reconciles every slot of the store with every method, then scores the
// reconciled rows in a second pass over the panel's blocks.
void reconcile_folds(const Plan& p, BacktestResult& r, const FoldStore& st, const PanelReader& panel) {
  const HierarchyStructure& h = *p.opt.hierarchy;
  const PanelHeader& hdr = panel.header();
  const int64_t K = r.n_folds(), S = r.n_series, H = r.horizon, Q = static_cast<int64_t>(r.levels.size());
  const int64_t n_methods = static_cast<int64_t>(p.opt.reconcile.size());
  // rec[(j * n_base + mi) * K + k]: method j of model mi at fold k, as a forecast file [S, H(, Q)].
  std::vector<ForecastFile> rec(static_cast<size_t>(n_methods * r.n_base * K));
  for (int64_t mi = 0; mi < r.n_base; ++mi)
    for (int64_t k = 0; k < K; ++k) {
      const size_t slot = static_cast<size_t>(mi * K + k);
      ForecastFile base;
      base.model = r.models[static_cast<size_t>(mi)];
      base.horizon = H;
      base.ids = hdr.ids;
      base.levels = r.levels;
      base.mean = st.mean[slot];
      base.quantiles = st.quantiles[slot];
      if (st.residuals) {
        base.residual_steps = r.origins[static_cast<size_t>(k)];
        base.residuals = st.resid[slot];
      }
      for (int64_t j = 0; j < n_methods; ++j) {
        const int64_t row = r.n_base + j * r.n_base + mi;
        const auto t0 = std::chrono::steady_clock::now();
        rec[static_cast<size_t>((j * r.n_base + mi) * K + k)] = reconcile_forecast(h, p.opt.reconcile[static_cast<size_t>(j)], base);
        r.seconds[static_cast<size_t>(row)] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        r.n_fallback[static_cast<size_t>(row)] = r.n_fallback[static_cast<size_t>(mi)];
      }
    }
  const int n_metrics = r.layout.size();
  std::vector<float> block, hist, actual;  // [nb, T], [nb, o], [nb, H]
  std::vector<double> scores;              // [nb, M]
  for (int64_t i0 = 0; i0 < S; i0 += p.opt.block) {
    const int64_t nb = std::min(p.opt.block, S - i0), T = hdr.n_steps;
    block.resize(static_cast<size_t>(checked_mul(nb, T)));
    panel.read_target(i0, i0 + nb, block.data());
    scores.resize(static_cast<size_t>(checked_mul(nb, n_metrics)));
    actual.resize(static_cast<size_t>(checked_mul(nb, H)));
    for (int64_t k = 0; k < K; ++k) {
      const int64_t o = r.origins[static_cast<size_t>(k)];
      hist.resize(static_cast<size_t>(checked_mul(nb, o)));
      for (int64_t s = 0; s < nb; ++s) {
        const float* row = block.data() + s * T;
        std::copy(row, row + o, hist.data() + s * o);
        std::copy(row + o, row + o + H, actual.data() + s * H);
      }
      for (int64_t j = 0; j < n_methods; ++j)
        for (int64_t mi = 0; mi < r.n_base; ++mi) {
          const int64_t row = r.n_base + j * r.n_base + mi;
          const ForecastFile& f = rec[static_cast<size_t>((j * r.n_base + mi) * K + k)];
          const float* mean = f.mean.data() + i0 * H;
          const float* quant = f.quantiles.data() + i0 * H * Q;
          keep_forecast(r, nullptr, row, k, i0, nb, actual.data(), mean, quant);
          keep_errors(r, row, k, i0, nb, actual.data(), mean, quant);
          series_metrics_cpu(actual.data(), mean, quant, hist.data(), nb, H, o, hdr.axis.season_length, r.levels,
                             r.layout, scores.data());
          std::copy(scores.begin(), scores.end(), r.per_series.begin() + ((row * K + k) * S + i0) * n_metrics);
        }
    }
  }
}

// Note [Scoring by level]: each series' WRMSSE weight at each origin, normalised within its level.
void level_weights(const Plan& p, BacktestResult& r, const PanelReader& panel) {
  const HierarchyStructure& h = *p.opt.hierarchy;
  const PanelHeader& hdr = panel.header();
  const int64_t K = r.n_folds(), S = r.n_series, A = h.n_aggregates, B = h.n_bottom, T = hdr.n_steps;
  const int64_t TF = hdr.n_total();
  LevelScores& lv = r.by_level;
  const DynamicSpec* price = hdr.find_dynamic("price");
  lv.weight_basis = price ? "dollar sales" : "unit sales";
  lv.weights.assign(static_cast<size_t>(checked_mul(K, S)), 0.0);
  std::vector<float> y, pr;  // [nb, T], [nb, T+F]
  for (int64_t b0 = 0; b0 < B; b0 += p.opt.block) {  // the bottom series: panel rows A + b
    const int64_t nb = std::min(p.opt.block, B - b0);
    y.resize(static_cast<size_t>(checked_mul(nb, T)));
    panel.read_target(A + b0, A + b0 + nb, y.data());
    if (price) {
      pr.resize(static_cast<size_t>(checked_mul(nb, TF)));
      panel.read_dynamic("price", A + b0, A + b0 + nb, pr.data());
    }
    for (int64_t k = 0; k < K; ++k) {
      const int64_t o = r.origins[static_cast<size_t>(k)];
      for (int64_t b = 0; b < nb; ++b) {
        double w = 0.0;
        for (int64_t t = std::max<int64_t>(0, o - kWeightSteps); t < o; ++t) {
          const double v = static_cast<double>(y[static_cast<size_t>(b * T + t)]) *
                           (price ? static_cast<double>(pr[static_cast<size_t>(b * TF + t)]) : 1.0);
          if (std::isfinite(v)) w += v;
        }
        lv.weights[static_cast<size_t>(k * S + A + b0 + b)] = w;
      }
    }
  }
  for (int64_t k = 0; k < K; ++k) {
    double* w = lv.weights.data() + k * S;
    for (int64_t a = 0; a < A; ++a) {
      double sum = 0.0;
      for (int64_t c = h.indptr[static_cast<size_t>(a)]; c < h.indptr[static_cast<size_t>(a) + 1]; ++c)
        sum += w[A + h.indices[static_cast<size_t>(c)]];
      w[a] = sum;
    }
    std::vector<double> total(lv.names.size(), 0.0);
    for (int64_t i = 0; i < S; ++i) total[static_cast<size_t>(lv.level[static_cast<size_t>(i)])] += w[i];
    for (int64_t i = 0; i < S; ++i) {
      const size_t l = static_cast<size_t>(lv.level[static_cast<size_t>(i)]);
      w[i] = total[l] > 0.0 ? w[i] / total[l] : 1.0 / static_cast<double>(lv.n_series[l]);
    }
  }
}

// Note [Scoring by level]: by_level.table and overall_wrmsse from per_series and the weights.
void summarize_levels(BacktestResult& r) {
  LevelScores& lv = r.by_level;
  const int64_t L = lv.n_levels(), K = r.n_folds(), S = r.n_series;
  const int64_t n_rows = static_cast<int64_t>(r.models.size()), n_cols = static_cast<int64_t>(r.summary_names.size());
  const int rmsse_col = r.layout.index("rmsse");
  lv.table.assign(static_cast<size_t>(n_rows * L * n_cols), std::nan(""));
  lv.overall_wrmsse.assign(static_cast<size_t>(n_rows), std::nan(""));
  std::vector<double> sum(static_cast<size_t>(L)), wsum(static_cast<size_t>(L)), wv(static_cast<size_t>(L));
  std::vector<int64_t> used(static_cast<size_t>(L));
  for (int64_t m = 0; m < n_rows; ++m) {
    double* tab = lv.table.data() + m * L * n_cols;
    int64_t out_c = 0;
    for (int c = 0; c < r.layout.size(); ++c, ++out_c) {
      std::fill(sum.begin(), sum.end(), 0.0);
      std::fill(used.begin(), used.end(), 0);
      for (int64_t k = 0; k < K; ++k)
        for (int64_t s = 0; s < S; ++s) {
          const double v = r.value(m, k, s, c);
          if (!std::isfinite(v)) continue;
          const size_t l = static_cast<size_t>(lv.level[static_cast<size_t>(s)]);
          sum[l] += v;
          ++used[l];
        }
      for (int64_t l = 0; l < L; ++l)
        if (used[static_cast<size_t>(l)] > 0) tab[l * n_cols + out_c] = sum[static_cast<size_t>(l)] / static_cast<double>(used[static_cast<size_t>(l)]);
      if (c != rmsse_col) continue;
      ++out_c;  // the level's WRMSSE: per fold, weights renormalised over the defined RMSSE, then the mean over folds
      std::vector<double> fold_sum(static_cast<size_t>(L), 0.0);
      std::vector<int64_t> folds_used(static_cast<size_t>(L), 0);
      for (int64_t k = 0; k < K; ++k) {
        std::fill(wsum.begin(), wsum.end(), 0.0);
        std::fill(wv.begin(), wv.end(), 0.0);
        for (int64_t s = 0; s < S; ++s) {
          const double v = r.value(m, k, s, c), w = lv.weights[static_cast<size_t>(k * S + s)];
          if (!std::isfinite(v)) continue;
          const size_t l = static_cast<size_t>(lv.level[static_cast<size_t>(s)]);
          wsum[l] += w;
          wv[l] += w * v;
        }
        for (int64_t l = 0; l < L; ++l)
          if (wsum[static_cast<size_t>(l)] > 0.0) {
            fold_sum[static_cast<size_t>(l)] += wv[static_cast<size_t>(l)] / wsum[static_cast<size_t>(l)];
            ++folds_used[static_cast<size_t>(l)];
          }
      }
      double all = 0.0;
      int64_t n_all = 0;
      for (int64_t l = 0; l < L; ++l) {
        if (folds_used[static_cast<size_t>(l)] == 0) continue;
        const double v = fold_sum[static_cast<size_t>(l)] / static_cast<double>(folds_used[static_cast<size_t>(l)]);
        tab[l * n_cols + out_c] = v;
        all += v;
        ++n_all;
      }
      lv.overall_wrmsse[static_cast<size_t>(m)] = n_all ? all / static_cast<double>(n_all) : std::nan("");
    }
  }
}

}  // namespace

BacktestResult run_backtest(const float* y, int64_t n_series, int64_t n_steps, int season_length,
                            const float* weights, const BacktestOptions& opt) {
  const Plan p = make_plan(opt);
  for (const auto& mp : p.models)
    if (!mp) throw InputError("lstm/gru backtests need the panel file (covariates, statics); use run_backtest(panel)");
  if (p.opt.hierarchy) throw InputError("scoring by level needs the panel file (its prices); use run_backtest(panel)");
  BacktestResult r = make_result(p, n_series, n_steps);
  for (int64_t i0 = 0; i0 < n_series; i0 += p.opt.block) {
    const int64_t nb = std::min(p.opt.block, n_series - i0);
    run_block(p, r, y + i0 * n_steps, i0, nb, n_steps, season_length, BlockRegressors{}, nullptr);
  }
  summarize(r, weights);
  return r;
}

BacktestResult run_backtest(const PanelReader& panel, const BacktestOptions& opt) {
  const Plan p = make_plan(opt);
  const PanelHeader& hdr = panel.header();
  const int64_t n_series = hdr.n_series(), n_steps = hdr.n_steps;
  BacktestResult r = make_result(p, n_series, n_steps);
  bool any_neural = false;
  for (const auto& mp : p.models) any_neural = any_neural || !mp;
  if (any_neural && !p.opt.nn_checkpoint.empty()) {  // Note [Checkpoint folds]: every origin out of sample
    const SeenSteps seen = checkpoint_seen_steps(p.opt.nn_checkpoint);
    if (r.origins.front() < seen.train_end) {
      const int64_t fit = checkpoint_fold_count(n_steps, p.opt.horizon, p.opt.step, seen.train_end);
      throw InputError(p.opt.nn_checkpoint + ": the model trained on steps [0, " + std::to_string(seen.train_end) +
                       ") of the panel's " + std::to_string(n_steps) + ", so only folds whose origins are at step " +
                       std::to_string(seen.train_end) + " or later are out of sample: " + std::to_string(fit) +
                       " fold(s) of horizon " + std::to_string(p.opt.horizon) + " with step " +
                       std::to_string(p.opt.step) + " fit, " + std::to_string(p.opt.folds) + " were asked for" +
                       (seen.every_step() ? " (it trained on every step of its panel, --refit on; train with "
                                            "--refit off)"
                                          : ""));
    }
  }
  FoldStore store = make_store(p, r);
  // Regressors for the models that use them (the folds need no future part: o + H <= T).
  bool any_xreg = false;
  for (const auto& mp : p.models) any_xreg = any_xreg || (mp && mp->uses_regressors());
  RegressorPlan xplan;
  if (any_xreg) {
    xplan = plan_regressors(hdr, panel.path(), p.opt.regressors);
    check_regressor_history(panel, xplan);  // Note [Regressors without history]
  }
  std::vector<float> block;  // [nb, T]
  std::vector<float> xblock;  // [nb, T+F, K]
  for (int64_t i0 = 0; i0 < n_series; i0 += p.opt.block) {
    const int64_t nb = std::min(p.opt.block, n_series - i0);
    block.resize(static_cast<size_t>(checked_mul(nb, n_steps)));
    panel.read_target(i0, i0 + nb, block.data());
    BlockRegressors xr;
    if (xplan.size() > 0) {
      read_regressors(panel, xplan, i0, i0 + nb, xblock);
      xr = BlockRegressors{xblock.data(), hdr.n_total(), xplan.size()};
    }
    run_block(p, r, block.data(), i0, nb, n_steps, hdr.axis.season_length, xr, hdr.ids.data() + i0, &store);
  }
  run_neural_folds(p, r, panel, &store);
  if (store.active) reconcile_folds(p, r, store, panel);
  summarize(r, hdr.weights.empty() ? nullptr : hdr.weights.data());
  if (p.opt.hierarchy) {
    level_weights(p, r, panel);
    summarize_levels(r);
  }
  return r;
}

}  // namespace skucast
