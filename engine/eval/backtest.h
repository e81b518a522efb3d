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
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/eval/metrics.h"
#include "engine/stat/model.h"

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
  std::string nn_likelihood = "gaussian";
  int nn_paths = 100;
  uint64_t nn_seed = 0;
  double nn_dropout = 0.2;     // as `train`'s default
  double nn_ema = 0.98;        // as `train --ema` (Note [Weight average] in engine/deepar/train.cpp)
  // Global models from a trained model file (--checkpoint; a comma-separated list pools): each
  // fold forecasts with the stored weights, no refit (Note [Checkpoint folds]); empty: refit.
  std::string nn_checkpoint;
  // Where the global models train and forecast (tools decide and say why: cmd_backtest.cpp);
  // gpu_block_bytes also bounds the GPU forecast's blocks.
  bool nn_train_gpu = false, nn_forecast_gpu = false;
  // Keep each fold's signed errors (BacktestResult::errors), e.g. for conformal intervals
  // (engine/eval/conformal.h). Costs 4 bytes per (model, fold, series, step).
  bool keep_errors = false;
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
  std::vector<double> seconds;             // [Mo] wall time spent forecasting
  // Only with BacktestOptions::keep_errors: actual − point forecast (the mean) at each fold
  // and step, NaN where the actual is missing; empty otherwise.
  std::vector<float> errors;               // [Mo, K, S, H]

  int64_t n_folds() const { return static_cast<int64_t>(origins.size()); }
  double value(int64_t model, int64_t fold, int64_t series, int metric) const {
    return per_series[((model * n_folds() + fold) * n_series + series) * layout.size() + metric];
  }
  // errors[model, fold, series, :] (keep_errors only).
  const float* error_row(int64_t model, int64_t fold, int64_t series) const {
    return errors.data() + ((model * n_folds() + fold) * n_series + series) * horizon;
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
// series_id,model,fold,<metrics>: one row per (model, fold, series). Written atomically.
void write_backtest_series_csv(const std::string& path, const BacktestResult& r, const std::vector<std::string>& ids);
// model,<summary metrics>,n_fallback,seconds: one row per model. Written atomically.
void write_backtest_summary_csv(const std::string& path, const BacktestResult& r);
// HDF5 (atomically): attrs format="skucast-backtest", version=2, horizon, step, folds;
// /origins int64 [K], /quantile_levels float64 [Q], /series/id string [S],
// /metrics/<model>/<metric> float64 [K, S], /summary/metrics string [M'],
// /summary/<model> float64 [M'].
void write_backtest_h5(const std::string& path, const BacktestResult& r, const std::vector<std::string>& ids);

}  // namespace skucast
