// tools/forecast_cli.h — the parts of `skucast forecast`. tools/cmd_forecast.cpp is the
// command's outline: its options (ForecastCli below), the checks every path shares, then one of
// two paths:
//   tools/forecast_stat.cpp         the statistical path: one model, a '+' ensemble or --model auto
//                                   (a global model may be a candidate or member), the panel read in
//                                   blocks of series;
//   tools/forecast_global.cpp       the global-model path: lstm/gru from a checkpoint, by sample paths;
// and what both use:
//   tools/forecast_calibration.cpp  the folds before the origin (calibration, selection) and the
//                                   conformal quantiles of --intervals conformal;
//   tools/forecast_models.cpp       what --model names: auto's candidates, an ensemble's members,
//                                   the global model among them;
//   tools/forecast_output.cpp       what the forecast file records of its series beside the numbers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/deepar/model.h"        // ForecastDeviceOptions, ForecastHierarchy
#include "engine/eval/conformal.h"      // CalibrationSet
#include "engine/eval/model_choice.h"   // kDefaultSelectMargin, kDefaultSelectShrink
#include "io/forecast_file.h"           // ForecastFile
#include "io/panel.h"                   // PanelHeader, PanelReader
#include "io/shard.h"                   // SeriesShard

namespace skucast::cli {

// The options of `forecast`, as add_forecast (tools/cmd_forecast.cpp) fills them.
struct ForecastCli {
  std::string panel, model, out, csv, checkpoint;
  std::string quantiles = "0.1,0.5,0.9";
  std::string combine = "mean";
  std::string device = "auto";
  std::string gpu_memory;
  std::string regressors;
  bool regressors_given = false;
  std::string transform = "none";
  std::string shard;  // "K/N" (Note [Sharding the catalog] in io/shard.h); empty: every series
  std::string intervals = "model";  // model | conformal (Note [Calibration folds])
  int64_t calibration_folds = 0;    // 0: kDefaultCalibrationFolds, fewer when the history is short
  int64_t calibration_step = 0;     // 0: the horizon
  std::string conformal_score = "raw";  // scaled | signed | raw (Note [Conformal scaled scores])
  bool conformal_score_given = false;
  std::string conformal_pool = "errors";  // errors | series (Note [Conformal series-balanced pools])
  bool conformal_pool_given = false;
  std::vector<std::string> conformal_by;  // event classes (Note [Conformal event classes])
  int64_t selection_folds = 0;      // --model auto: 0: kDefaultSelectionFolds, fewer when the history is short
  std::string select_metric = "mase";
  std::string select_rule = "top2";               // Note [Top-k inverse-error weights]
  double select_margin = kDefaultSelectMargin;  // --select-rule lowest: Note [Choice against the catalog's best]
  bool select_margin_given = false;
  double select_shrink = kDefaultSelectShrink;  // top2: Note [Errors shrunk towards the catalog]
  bool select_shrink_given = false;
  int64_t horizon = 0;
  int64_t block = 0;  // 0: series_block's choice (Note [Series block size])
  int paths = 0;  // 0: from the panel's series (Note [Sample paths from the catalog size])
  std::string bias_correction = "auto";  // lstm/gru: Note [Recent bias correction] in engine/deepar/residuals.cpp
  uint64_t seed = 1;
  bool residuals = false;  // store in-sample one-step residuals (reconcile wls_var, mint_shrink)
  std::string hier_levels;  // lstm/gru --levels: aggregates from summed paths (Note [Summed sample paths])
};

// ---------------------------------------------------------------------------------------------
// The folds and the conformal quantiles (tools/forecast_calibration.cpp)

// Note [Calibration folds] (tools/forecast_calibration.cpp): K by default.
inline constexpr int64_t kDefaultCalibrationFolds = 5;

// Note [Model choice per series] (engine/eval/model_choice.h): `--model auto` backtests its
// candidates on the last --selection-folds folds (default 3, step H) before the origin.
inline constexpr int64_t kDefaultSelectionFolds = 3;

// The folds for a panel of T steps: `requested` when given (> 0; InputError naming `flag` when
// they do not fit), else the most folds up to `preferred` that fit, with a note when fewer.
// what: "calibration" or "selection", for the messages.
int64_t fitting_folds(int64_t requested, int64_t preferred, const char* flag, const char* what, int64_t n_steps,
                      int64_t horizon, int64_t step);

// Note [Global model calibration]: the folds when a global model from `checkpoint` takes part:
// as fitting_folds, but every origin at or after the model's training end.
int64_t checkpoint_folds(int64_t requested, int64_t preferred, const char* flag, const char* what,
                         const std::string& checkpoint, int64_t n_steps, int64_t horizon, int64_t step);

// Note [Conformal event classes]: the classes of cal's steps from --conformal-by as given
// (empty: the default, auto for the statistical models and none for the global ones; "auto",
// "none" or names); auto prints what it picked and why.
void classify_conformal_steps(CalibrationSet& cal, const PanelReader& panel, const std::vector<std::string>& given,
                              bool global, int64_t block);
// --intervals conformal: applies the calibration to fc's quantiles and prints what it did.
// n_validation: folds whose targets touch a global model's validation window (-1: not global).
void apply_conformal(const CalibrationSet& cal, double calibration_s, int64_t n_validation, const std::string& score,
                     const std::string& pool, ForecastFile& fc);

// ---------------------------------------------------------------------------------------------
// What --model names (tools/forecast_models.cpp)

inline constexpr const char* kDefaultAutoCandidates = "ets,theta,tsb,snaive";

// lstm or gru: a global model, forecast from --checkpoint.
bool is_global(const std::string& name);

// `auto` or `auto:a,b,c` → the candidates; empty for any other model name.
std::vector<std::string> auto_candidates(const std::string& model);

// "a+b+c" → {a, b, c}, for --combine weighted and for ensembles with a global member (lstm+ets);
// InputError on an empty member or fewer than two.
std::vector<std::string> ensemble_members(const std::string& model);

// The one global model (lstm or gru) among names, or "" when none; InputError when both are.
std::string global_member(const std::vector<std::string>& names, const std::string& model);

// ---------------------------------------------------------------------------------------------
// The series' labels (tools/forecast_output.cpp)

// An aggregated panel's forecast names each series' level (the `level` CSV column).
void set_series_levels(const std::string& panel, const PanelHeader& hdr, ForecastFile& fc, int64_t s_begin);

// The options that change the numbers, one "--flag value" line each, resolved to the values used
// (levels: the parsed --quantiles); a checkpoint by its CRC-32 and size (Note [Shards of one run]
// in io/forecast_file.h).
std::string run_options(const ForecastCli& o, const std::vector<double>& levels);
// Records the shard K/N in fc, and for a shard (N > 1) the panel's identity, the shard's slice
// and run_options, which `skucast merge` checks (Note [Shards of one run]).
void record_shard(const ForecastCli& o, const std::vector<double>& levels, const PanelReader& reader,
                  const SeriesShard& shard, ForecastFile& fc);

// Series whose last observation is more than `gap` steps before the panel's end (Note [Series
// that stopped selling] in tools/forecast_output.cpp): counted per block of the target
// (add: y [nb, n_steps] of panel series i0..), or over the series [s0, s1) of a panel.
struct StaleSeries {
  int64_t gap = 0, n = 0, example_last = -1;
  std::string example;
  void add(const float* y, int64_t nb, int64_t n_steps, int64_t i0, const PanelHeader& hdr);
};
StaleSeries stale_series(const PanelReader& reader, int64_t s0, int64_t s1, int64_t gap);
void print_stale_note(const StaleSeries& st, const PanelHeader& hdr);
// The gap: max(horizon, season length).
inline int64_t stale_gap(const PanelHeader& hdr, int64_t horizon) {
  return std::max<int64_t>(horizon, hdr.axis.season_length);
}

// ---------------------------------------------------------------------------------------------
// The global-model path (tools/forecast_global.cpp)

// Where a global model's sample paths run: the device and the note when --device cuda cannot
// be honoured (Note [Recurrent forecasting on the GPU] in tools/forecast_global.cpp).
ForecastDeviceOptions global_forecast_device(const ForecastCli& o, const std::string& name);

// The global model's forecast of the panel's series in `shard`, checked against the model name.
ForecastFile global_forecast(const ForecastCli& o, const std::string& name, const PanelReader& reader,
                             const std::vector<double>& levels, const ForecastDeviceOptions& dev,
                             const SeriesShard& shard, const ForecastHierarchy* hierarchy = nullptr);

// lstm/gru: a global model from `skucast train`, forecast by sample paths; with --intervals
// conformal, recalibrated from the stored model's forecasts after its training (Note [Global
// model calibration]).
void run_neural_forecast(const ForecastCli& o, const std::vector<double>& levels, const SeriesShard& shard);

// ---------------------------------------------------------------------------------------------
// The statistical path (tools/forecast_stat.cpp)

// One model, the candidates of `auto` or the members of an ensemble, after the checks of
// run_forecast (tools/cmd_forecast.cpp).
void run_stat_forecast(const ForecastCli& o, const std::vector<double>& levels, const SeriesShard& shard);

}  // namespace skucast::cli
