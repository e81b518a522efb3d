// engine/eval/backtest.h — rolling-origin backtests of the statistical models.
//
// Folds: K origins o_1 < ... < o_K on the panel's axis, the last at T - H and each earlier
// one `step` (default H) before it. At origin o every model is fitted on y[:, :o] (the
// runner's preparation, engine/stat/model.h) and scored on y[:, o:o+H] with the metrics of
// engine/eval/metrics.h. The panel is read in blocks of series, so memory is the block plus the
// per-series metrics [models, K, S, M].
//
// Aggregates (summary): each metric is the mean over all (series, fold) pairs where it is
// defined; WRMSSE is computed per fold (M5: weights normalized over the series with a
// defined RMSSE) and averaged over folds. The number of pairs left out is kept per column.
//
// Note [Scoring by level]
//   On an aggregated panel (`skucast aggregate`, /hierarchy) BacktestOptions::hierarchy asks
//   for every summary metric per level as well (BacktestResult::by_level): each metric is the
//   mean over the level's (series, fold) pairs where it is defined, and the level's WRMSSE is
//   M5's: per fold, sum_i w_i RMSSE_i over the level's series with w normalised to 1 over those
//   whose RMSSE is defined, then the mean over folds. The weight of a bottom series at origin o
//   is its dollar sales over the kWeightSteps steps before o (sum of y_t × price_t over
//   [o − 28, o), NaN terms skipped) when the panel has a covariate named `price`, else its unit
//   sales over the same steps; an aggregate's weight is the sum of its bottom series' (so a
//   store's weight is its items' dollar sales, not its average price times its units). The
//   overall WRMSSE is the mean of the levels' (M5: twelve levels, each weighing 1/12).
//   Levels whose weights are all 0 (nothing sold in those 28 steps) fall back to equal weights.
//
// Note [Reconciled folds]
//   BacktestOptions::reconcile lists reconciliation methods (engine/eval/reconcile.h). At each
//   fold, each model's base forecasts of every series are reconciled with each method by
//   reconcile_forecast (quantiles shifted with the mean, Note [Reconciled quantiles]), and
//   scored like a model named "<model>:<method>" (rows after the base models). wls_var and
//   mint_shrink use the model's in-sample one-step residuals on the fold's history [0, o), as
//   `forecast --residuals` stores them (lstm/gru: from the fold's model on the fold's history,
//   Note [Fold residuals of the global model] in backtest.cpp); a model that gives none (the
//   ensembles, any --transform; kResidualModels in engine/stat/model.h lists the others) is
//   refused naming it. Memory: every model's fold
//   forecasts of every series, [Mo (1 + R), K, S, H (1 + Q)] floats, and with those methods the
//   residuals [Mo, K, S, o].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/eval/metrics.h"
#include "engine/eval/reconcile.h"
#include "engine/stat/model.h"
#include "io/hierarchy_file.h"

namespace skucast {

class PanelReader;

struct BacktestOptions {
  std::vector<std::string> models;             // registry names or '+' ensembles
  int64_t horizon = 0;                         // H >= 1
  int64_t folds = 1;                           // K >= 1
  int64_t step = 0;                            // S >= 1; 0 means H
  std::vector<double> levels{0.1, 0.5, 0.9};   // quantile levels, ascending in (0, 1)
  std::string combine = "mean";                // ensembles: mean | median
  int64_t block = 4096;                        // series per block read from the panel
  // Statistical models that use regressors (arimax): the panel's covariates named as in
  // Note [Regressor names] (engine/stat/arima/regressors.h); "" = every dynamic covariate.
  // At origin o they see the rows [0, o + H) of the covariates (the horizon's are known).
  std::string regressors;
  Transform transform = Transform::None;       // scale the statistical models are fitted on
  // Single statistical models run on the GPU (forecast_batch_cuda, engine/stat/gpu_models.h)
  // when listed here (tools decide: Note [Statistical models on the GPU], tools/stat_cli.h);
  // gpu_block_bytes bounds the device memory of one block (0: the default).
  std::vector<std::string> gpu_models;
  size_t gpu_block_bytes = 0;
  // Global models ("lstm", "gru"): trained afresh on the history before each origin
  // (Note [Neural folds] in backtest.cpp), then forecast by sample paths.
  int64_t nn_epochs = 10, nn_hidden = 64, nn_layers = 2, nn_context = 0;  // 0: from the panel (Note [Defaults from the panel])
  std::string nn_likelihood = "auto";  // Note [Likelihood from the data] in engine/deepar/model.h
  int nn_paths = 100;
  uint64_t nn_seed = 0;
  bool nn_bias_correction = true;  // `--bias-correction auto` (Note [Recent bias correction] in engine/deepar/residuals.cpp)
  double nn_dropout = 0.2;     // as `train`'s default
  double nn_ema = 0.98;        // as `train --ema` (Note [Weight average] in engine/deepar/train.cpp)
  std::string nn_attention = "off";  // as `train --attention` (Note [Attention] in engine/nn/attention.h)
  std::string nn_distances = "off";   // as `train --distances` (Note [Distance inputs] in engine/deepar/data.cpp)
  // Global models from a trained model file (--checkpoint; a comma-separated list pools): each
  // fold forecasts with the stored weights, no refit (Note [Checkpoint folds]); empty: refit.
  std::string nn_checkpoint;
  // Where the global models train and forecast (tools decide and say why: cmd_backtest.cpp);
  // gpu_block_bytes also bounds the GPU forecast's blocks.
  bool nn_train_gpu = false, nn_forecast_gpu = false;
  // Keep each fold's signed errors (BacktestResult::errors), e.g. for conformal intervals
  // (engine/eval/conformal.h). Costs 4 bytes per (model, fold, series, step).
  bool keep_errors = false;
  // Note [Scoring by level]: the aggregated panel's structure (its series in panel order), or
  // null. Only the panel overload of run_backtest takes it.
  const HierarchyStructure* hierarchy = nullptr;
  // Note [Reconciled folds]: methods each fold's base forecasts are reconciled with (needs
  // hierarchy).
  std::vector<ReconcileOptions> reconcile;
};

// Steps before each origin whose sales weigh a series in the per-level WRMSSE (M5's 28 days).
inline constexpr int64_t kWeightSteps = 28;

// Per-level summaries (Note [Scoring by level]).
struct LevelScores {
  std::vector<std::string> names;     // [L] level names, the bottom level last
  std::vector<int64_t> n_series;      // [L]
  std::vector<int32_t> level;         // [S] level of each series
  std::string weight_basis;           // "dollar sales" or "unit sales"
  std::vector<double> weights;        // [K, S] each series' weight, normalised to 1 within its level
  std::vector<double> table;          // [Mo, L, M'] the summary metrics per level (wrmsse: the level's)
  std::vector<double> overall_wrmsse; // [Mo] mean of the levels' WRMSSE
  // The single series of the first level when it has one (the total), for plots: its rows.
  int64_t top_row = -1;
  std::vector<float> top_actual;      // [K, H]
  std::vector<float> top_mean;        // [Mo, K, H]
  std::vector<float> top_quantiles;   // [Mo, K, H, Q]
  int64_t n_levels() const { return static_cast<int64_t>(names.size()); }
};

// Note [Checkpoint folds]
//   A global model given as a trained file (BacktestOptions::nn_checkpoint) is not refitted per
//   fold: at each origin o the panel is cut at o as in Note [Neural folds] and the stored model
//   forecasts H steps from it. Its errors are out of sample only where the targets [o, o + H)
//   lie at or after the model's training end (Note [What the model has seen] in
//   engine/deepar/model.h), so every origin must satisfy o >= train_end; run_backtest throws
//   InputError naming how many folds fit otherwise (checkpoint_fold_count). The statistical
//   models of the same run are fitted per fold as always, on the same origins.

// How many folds of horizon H, `step` apart and ending at T − H, have every origin at or after
// train_end: (T − H − train_end) / step + 1, or 0 when T − H < train_end.
int64_t checkpoint_fold_count(int64_t n_steps, int64_t horizon, int64_t step, int64_t train_end);

// The K fold origins, ascending. Throws InputError when the first origin would leave no
// history (o_1 < 1) or an argument is out of range.
std::vector<int64_t> fold_origins(int64_t n_steps, int64_t horizon, int64_t folds, int64_t step);

struct BacktestResult {
  std::vector<std::string> models;         // [Mo]
  std::vector<int64_t> origins;            // [K]
  std::vector<double> levels;              // [Q]
  MetricLayout layout;                     // per-series metric columns [M]
  int64_t n_series = 0, horizon = 0, step = 0;
  std::vector<double> per_series;          // [Mo, K, S, M]
  std::vector<std::string> summary_names;  // layout.names with "wrmsse" after "rmsse" [M']
  std::vector<double> summary;             // [Mo, M']
  std::vector<int64_t> n_excluded;         // [Mo, M'] (series, fold) pairs with the metric undefined
  std::vector<int64_t> n_fallback;         // [Mo] (series, fold) pairs where the model fell back
  // [base models] forecast values bounded (Note [Bounded statistical forecasts] in
  // engine/stat/model.h), summed over the folds; 0 for the global models (bounded in deepar).
  std::vector<int64_t> n_bounded;
  std::vector<double> seconds;             // [Mo] wall time spent forecasting
  // Only with BacktestOptions::keep_errors: actual − point forecast (the mean) at each fold
  // and step, NaN where the actual is missing, for every row (reconciled ones too); empty otherwise.
  std::vector<float> errors;               // [Mo, K, S, H]
  // With keep_errors too: the fold's own interval width at each step, the outermost quantiles'
  // q_{Q-1} − q_0 (0 with one level; NaN where the actual is missing), for scale-aware
  // conformal scores (Note [Conformal scaled scores] in engine/eval/conformal.h).
  std::vector<float> widths;               // [Mo, K, S, H]
  // Note [Reconciled folds]: models [0, n_base) are the models asked for, the rest their
  // reconciliations "<model>:<method>"; base_of[m] is the base model of row m, method[m] its
  // method ("" for a base model).
  int64_t n_base = 0;
  std::vector<int64_t> base_of;            // [Mo]
  std::vector<std::string> method;         // [Mo]
  // Note [Scoring by level]; empty (no names) without a hierarchy.
  LevelScores by_level;

  int64_t n_folds() const { return static_cast<int64_t>(origins.size()); }
  double value(int64_t model, int64_t fold, int64_t series, int metric) const {
    return per_series[((model * n_folds() + fold) * n_series + series) * layout.size() + metric];
  }
  // errors[model, fold, series, :] (keep_errors only).
  const float* error_row(int64_t model, int64_t fold, int64_t series) const {
    return errors.data() + ((model * n_folds() + fold) * n_series + series) * horizon;
  }
  // widths[model, fold, series, :] (keep_errors only).
  const float* width_row(int64_t model, int64_t fold, int64_t series) const {
    return widths.data() + ((model * n_folds() + fold) * n_series + series) * horizon;
  }
};

// In-memory panel y [S, T] (NaN = missing); weights [S] or null (equal weights). No
// regressors: models that use them run without (arimax = arima).
BacktestResult run_backtest(const float* y, int64_t n_series, int64_t n_steps, int season_length,
                            const float* weights, const BacktestOptions& opt);
// Streams the panel's /target in blocks of opt.block series; weights from /series/weight.
BacktestResult run_backtest(const PanelReader& panel, const BacktestOptions& opt);

// ---------------------------------------------------------------- outputs ----

// The model × metric table; the best value of each column is marked '*' (lowest; bias:
// closest to 0; coverage: closest to nominal), followed by notes on excluded pairs.
std::string format_backtest_table(const BacktestResult& r);
// The per-level table (Note [Scoring by level]): WRMSSE per level and model, then every metric
// per level; "" when the result has no levels.
std::string format_level_table(const BacktestResult& r);
// level,n_series,model,<summary metrics>: one row per (level, model), then rows "all" with the
// mean over levels (wrmsse: the overall M5 WRMSSE). Written atomically.
void write_backtest_level_csv(const std::string& path, const BacktestResult& r);
// series_id,model,fold,<metrics>[,level]: one row per (model, fold, series); the last column
// names the series' level when the result has levels. Written atomically.
void write_backtest_series_csv(const std::string& path, const BacktestResult& r, const std::vector<std::string>& ids);
// model,<summary metrics>,n_fallback,seconds: one row per model. Written atomically.
void write_backtest_summary_csv(const std::string& path, const BacktestResult& r);
// HDF5 (atomically): attrs format="skucast-backtest", version=2, horizon, step, folds;
// /origins int64 [K], /quantile_levels float64 [Q], /series/id string [S],
// /metrics/<model>/<metric> float64 [K, S], /summary/metrics string [M'],
// /summary/<model> float64 [M']. With levels (Note [Scoring by level]; optional, Note [File
// format 2]): /levels attrs weight_basis, weight_steps, top_row; /levels/names string [L],
// /levels/n_series int64 [L], /levels/level int32 [S], /levels/weights float64 [K, S],
// /levels/metrics string [M'], /levels/models string [Mo], /levels/table float64 [Mo, L, M'],
// /levels/overall_wrmsse float64 [Mo], and for the total series /levels/top_actual float32
// [K, H], /levels/top_mean float32 [Mo, K, H], /levels/top_quantiles float32 [Mo, K, H, Q].
void write_backtest_h5(const std::string& path, const BacktestResult& r, const std::vector<std::string>& ids);

}  // namespace skucast
