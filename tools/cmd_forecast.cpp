// tools/cmd_forecast.cpp — `skucast forecast`: reads the panel in blocks of series, runs a
// statistical model (or a '+' ensemble) with forecast_batch and writes the forecast file
// (io/forecast_file.h; origin = T) and optionally its CSV; lstm/gru forecast from a checkpoint by
// sample paths. With --intervals conformal the quantiles are recalibrated from rolling-origin
// folds before the origin (engine/eval/conformal.h; Note [Global model calibration] for lstm/gru);
// --model auto combines or picks each series' models by their backtest errors
// (engine/eval/model_choice.h), lstm/gru among them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/stat/arima/regressors.h"
#include "engine/stat/boxcox.h"
#include "engine/deepar/model.h"
#include "engine/eval/backtest.h"
#include "engine/eval/conformal.h"
#include "engine/eval/cumulative.h"
#include "engine/eval/hierarchy.h"
#include "engine/eval/model_choice.h"
#include "engine/stat/gpu_models.h"
#include "io/shard.h"
#include "engine/stat/model.h"
#include "io/atomic_file.h"
#include "io/forecast_file.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "tools/commands.h"
#include "tools/stat_cli.h"

namespace skucast::cli {

namespace {

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
  int64_t selection_folds = 0;      // --model auto: 0: kDefaultSelectionFolds, fewer when the history is short
  std::string select_metric = "mase";
  std::string select_rule = "top2";               // Note [Top-k inverse-error weights]
  double select_margin = kDefaultSelectMargin;  // --select-rule lowest: Note [Choice against the catalog's best]
  bool select_margin_given = false;
  int64_t horizon = 0;
  int64_t block = 0;  // 0: series_block's choice (Note [Series block size])
  int paths = 0;  // 0: from the panel's series (Note [Sample paths from the catalog size])
  uint64_t seed = 1;
  bool residuals = false;  // store in-sample one-step residuals (reconcile wls_var, mint_shrink)
  std::string hier_levels;  // lstm/gru --levels: aggregates from summed paths (Note [Summed sample paths])
};

// Note [Calibration folds]: `--intervals conformal` runs K rolling-origin folds of the same
// model (run_backtest, engine/eval/backtest.h) whose last origin is T − H and each earlier one
// --calibration-step (default H) before it, so every error is out of sample and no fold reaches
// past the forecast origin. K defaults to 5: with one error per fold and step, a series reaches
// the 20 errors per step of its own quantiles only with K >= 20, so by default the quantiles come
// from pools of similar series (Note [Conformal pooling], engine/eval/conformal.h), and 5 folds
// give every pool 5 errors per series while costing 5 model fits. When the history is too short
// for the default, K is lowered to what fits (with a note); an explicit K that does not fit is
// an error. The global models (lstm/gru) are calibrated from the stored model's forecasts at
// origins after its training (Note [Global model calibration]).
constexpr int64_t kDefaultCalibrationFolds = 5;

// Note [Global model calibration]
//   `forecast --model lstm|gru --checkpoint m.h5 --intervals conformal` does not refit the
//   network per fold (a nightly run could not afford it). It forecasts from each calibration
//   origin with the stored model (Note [Checkpoint folds], engine/eval/backtest.h) and uses only
//   origins at or after the model's training end E (Note [What the model has seen],
//   engine/deepar/model.h): the last origin is T − H, each earlier one --calibration-step before
//   it, none before E. So the weights were never fitted to any target these errors measure. Not
//   wholly unseen: targets in the validation window [E, T_train) chose the epoch kept (early
//   stopping) and the residual statistics, which biases those errors slightly low; targets from
//   T_train on (a panel that grew since training) are unseen. The run prints how many folds
//   touch the validation window. With the default --val-steps (= H) and the training panel, one
//   fold fits; the quantiles then come from the pools (Note [Conformal pooling]: S errors per
//   step across the catalog), which is what the default K = 5 of the statistical models does
//   too. More folds: train with --val-steps K·H, or forecast a panel that has grown. When fewer
//   than the default fit, K is lowered with a note; an explicit --calibration-folds that does
//   not fit, or no fold at all, is an error saying how many fit. The same origins serve
//   `--model auto` and `--combine weighted` when a candidate or member is lstm/gru.


// Note [Model choice per series] (engine/eval/model_choice.h): `--model auto` backtests its
// candidates on the last --selection-folds folds (default 3, step H) before the origin.
constexpr int64_t kDefaultSelectionFolds = 3;
constexpr const char* kDefaultAutoCandidates = "ets,theta,tsb,snaive";

// The folds for a panel of T steps: `requested` when given (> 0; InputError naming `flag` when
// they do not fit), else the most folds up to `preferred` that fit, with a note when fewer.
// what: "calibration" or "selection", for the messages.
int64_t fitting_folds(int64_t requested, int64_t preferred, const char* flag, const char* what, int64_t n_steps,
                      int64_t horizon, int64_t step) {
  if (requested > 0) {
    try {
      fold_origins(n_steps, horizon, requested, step);
    } catch (const InputError& e) {
      throw InputError(std::string(flag) + ": " + e.what() + "; lower " + flag);
    }
    return requested;
  }
  // The most folds (<= the default) with one step of history before the first origin.
  const int64_t room = n_steps - 1 - horizon;
  if (room < 0)
    throw InputError(std::string(what) + ": the panel has " + std::to_string(n_steps) + " steps, too few for one " +
                     "fold of horizon " + std::to_string(horizon) + " (needs at least " + std::to_string(horizon + 1) +
                     ")");
  const int64_t fit = std::min(preferred, room / step + 1);
  if (fit < preferred)
    std::fprintf(stderr, "skucast: note: the history (%lld steps) holds %lld %s fold(s) of horizon %lld, "
                 "step %lld, not %lld\n", static_cast<long long>(n_steps), static_cast<long long>(fit), what,
                 static_cast<long long>(horizon), static_cast<long long>(step), static_cast<long long>(preferred));
  return fit;
}

bool is_global(const std::string& name) { return name == "lstm" || name == "gru"; }

// Note [Global model calibration]: the folds when a global model from `checkpoint` takes part:
// as fitting_folds, but every origin at or after the model's training end.
int64_t checkpoint_folds(int64_t requested, int64_t preferred, const char* flag, const char* what,
                         const std::string& checkpoint, int64_t n_steps, int64_t horizon, int64_t step) {
  const SeenSteps seen = checkpoint_seen_steps(checkpoint);
  const int64_t fit = checkpoint_fold_count(n_steps, horizon, step, seen.train_end);
  const std::string why = checkpoint + ": the model trained on steps [0, " + std::to_string(seen.train_end) +
                          ") of the panel (validation window [" + std::to_string(seen.train_end) + ", " +
                          std::to_string(seen.trained_steps) + ")); out-of-sample " + what + " folds need origins from " +
                          std::to_string(seen.train_end) + " to T − H = " + std::to_string(n_steps - horizon) + ", and " +
                          std::to_string(fit) + " fold(s) of horizon " + std::to_string(horizon) + " with step " +
                          std::to_string(step) + " fit there";
  const std::string hint = "train with a longer --val-steps (K folds of step H need --val-steps K·H), or forecast a panel "
                           "that has grown since training";
  if (fit == 0) throw InputError(why + "; " + hint);
  if (requested > fit) throw InputError(std::string(flag) + " " + std::to_string(requested) + ": " + why + "; lower " + flag + " or " + hint);
  if (requested > 0) return requested;
  if (fit < preferred)
    std::fprintf(stderr, "skucast: note: %lld out-of-sample %s fold(s) of horizon %lld fit after the model's training "
                 "(steps %lld..%lld), not %lld\n",
                 static_cast<long long>(fit), what, static_cast<long long>(horizon),
                 static_cast<long long>(seen.train_end), static_cast<long long>(n_steps - 1), static_cast<long long>(preferred));
  return std::min(fit, preferred);
}

// `auto` or `auto:a,b,c` → the candidates; empty for any other model name.
std::vector<std::string> auto_candidates(const std::string& model) {
  if (model != "auto" && model.rfind("auto:", 0) != 0) return {};
  const std::string list = model == "auto" ? kDefaultAutoCandidates : model.substr(5);
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string c = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (c.empty()) throw InputError("--model " + model + ": an empty candidate (expected e.g. auto:ets,theta,tsb)");
    for (const auto& prev : out)
      if (prev == c) throw InputError("--model " + model + ": candidate '" + c + "' is listed twice");
    out.push_back(c);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// An aggregated panel's forecast names each series' level (the `level` CSV column).
void set_series_levels(const std::string& panel, const PanelHeader& hdr, ForecastFile& fc, int64_t s_begin) {
  const StaticAttr* level = hdr.find_static("level");
  if (level == nullptr || !has_hierarchy(panel)) return;
  fc.series_level.resize(fc.ids.size());
  for (size_t i = 0; i < fc.ids.size(); ++i)
    fc.series_level[i] = level->levels[static_cast<size_t>(level->codes[static_cast<size_t>(s_begin) + i])];
}

// Where a global model's sample paths run: the device and the note when --device cuda cannot
// be honoured (Note [Recurrent forecasting on the GPU] below).
ForecastDeviceOptions global_forecast_device(const ForecastCli& o, const std::string& name) {
  // Note [Recurrent forecasting on the GPU]: only an explicit --device cuda samples the paths
  // there (engine/deepar/cuda/sampler.h: encoder, recurrent steps, head, draws, means
  // and quantiles on the device, with the CPU's counter-based draws). `auto` keeps the CPU
  // until tests/gpu/test_deepar_forecast_parity.cpp has been run on a device and the CPU-GPU
  // agreement measured, as `train` does (Note [Recurrent training on the GPU] in
  // cmd_train.cpp). A request that cannot be met (no device, a build without CUDA) says why in
  // one line and forecasts on the CPU; the model file is the same either way.
  ForecastDeviceOptions dev;
  dev.max_block_bytes = parse_memory_size(o.gpu_memory);
  // Every trained model has a GPU forecast path (dropout is a training mask): only the
  // machine can say no (Note [Device choice] in kernels/device.hpp).
  const DeviceChoice where = resolve_device(o.device);
  dev.device = where.device;
  if (where.device == Device::Cuda)
    std::fprintf(stderr, "skucast: forecasting on the GPU: %s\n", cuda_device_description().c_str());
  else if (!where.note.empty())
    std::fprintf(stderr, "skucast: note: %s; the %s forecast runs on the CPU\n", where.note.c_str(), name.c_str());
  return dev;
}

// The global model's forecast of the panel's series in `shard`, checked against the model name.
ForecastFile global_forecast(const ForecastCli& o, const std::string& name, const PanelReader& reader,
                             const std::vector<double>& levels, const ForecastDeviceOptions& dev,
                             const SeriesShard& shard, const ForecastHierarchy* hierarchy = nullptr) {
  ForecastFile fc =
      forecast_with_checkpoint(reader, o.checkpoint, o.horizon, levels, o.paths, o.seed, dev, shard, hierarchy);
  if (fc.model != name)
    throw InputError(o.checkpoint + ": the checkpoint holds a '" + fc.model + "' model, but --model names '" + name + "'");
  return fc;
}

// --intervals conformal: applies the calibration to fc's quantiles and prints what it did.
// n_validation: folds whose targets touch a global model's validation window (-1: not global).
void apply_conformal(const CalibrationSet& cal, double calibration_s, int64_t n_validation, const std::string& score,
                     ForecastFile& fc) {
  const auto c0 = std::chrono::steady_clock::now();
  ConformalOptions copt;
  copt.score = parse_conformal_score(score);
  const ConformalStats cs = conformal_quantiles(cal, fc.mean.data(), fc.levels, fc.quantiles.data(), copt);
  // The demand summed over steps 1..h from the same folds (Note [Cumulative demand quantiles]).
  fc.cumulative_quantiles.resize(fc.quantiles.size());
  if (!fc.levels.empty())
    conformal_cumulative_quantiles(cal, fc.mean.data(), fc.quantiles.data(), fc.levels, fc.cumulative_quantiles.data());
  calibration_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  fc.intervals = "conformal";
  fc.calibration_folds = cal.n_folds;
  const int64_t n_cells = cal.n_series * cal.horizon;
  std::string global_note;
  if (n_validation >= 0)
    global_note = "; forecast by the stored model after its training end, " + std::to_string(n_validation) +
                  " fold(s) with targets in its validation window (early stopping looked at them)";
  std::string score_note = cs.score == ConformalScore::Raw
                               ? std::string("raw scores (errors over the naive MAE)")
                               : std::string(conformal_score_name(cs.score)) + " scores over the model's own spread (" +
                                     std::to_string(cs.n_floored) + " cell(s) at its floor, " +
                                     std::to_string(cs.n_capped) + " at its cap)";
  if (copt.score != ConformalScore::Raw && cs.score == ConformalScore::Raw)
    score_note += ", as one quantile level gives no spread to scale by";
  std::fprintf(stderr,
               "skucast: conformal intervals: %lld calibration fold(s), %.3f s; %s; (series, step) cells from their own "
               "errors %lld, pooled %lld, model's %lld of %lld; %lld quantile(s) clamped to the extreme error "
               "(too few errors for the level)%s\n",
               static_cast<long long>(cal.n_folds), calibration_s, score_note.c_str(), static_cast<long long>(cs.n_own),
               static_cast<long long>(cs.n_pooled), static_cast<long long>(cs.n_model),
               static_cast<long long>(n_cells), static_cast<long long>(cs.n_clamped), global_note.c_str());
}

// lstm/gru: a global model from `skucast train`, forecast by sample paths; with --intervals
// conformal, recalibrated from the stored model's forecasts after its training (Note [Global
// model calibration]).
void run_neural_forecast(const ForecastCli& o, const std::vector<double>& levels, const SeriesShard& shard) {
  if (o.checkpoint.empty())
    throw InputError("model '" + o.model + "' needs a trained checkpoint: run `skucast train --model " + o.model +
                     " ... --out model.h5`, then pass --checkpoint model.h5");
  if (o.paths < 1) throw InputError("--paths must be at least 1, got " + std::to_string(o.paths));
  const bool hier = !o.hier_levels.empty();
  if (hier && o.residuals)
    throw InputError("--residuals with --levels: the aggregates' forecasts are sums of sample paths, which give no "
                     "one-step predictions of the aggregates; aggregate the panel (`skucast aggregate --levels ...`), "
                     "forecast it with --residuals and `skucast reconcile`");
  if (hier && o.intervals == "conformal")
    throw InputError("--levels with --intervals conformal: the calibration folds score only the panel's own series; "
                     "use one of them");
  ForecastCli where = o;
  if (hier && o.device == "cuda") {  // Note [Summed sample paths]
    std::fprintf(stderr, "skucast: note: --levels sums the sample paths on the CPU (the GPU sampler keeps only means "
                         "and quantiles); the %s forecast samples on the CPU\n", o.model.c_str());
    where.device = "cpu";
  }
  const ForecastDeviceOptions dev = global_forecast_device(where, o.model);
  const auto t0 = std::chrono::steady_clock::now();
  const PanelReader reader(o.panel);
  // --levels: the aggregates of `skucast aggregate --levels` with the same ids and order.
  Aggregation agg;
  ForecastHierarchy fh;
  if (hier) {
    const std::vector<HierLevel> hl = parse_hier_levels(o.hier_levels, reader.header(), o.panel);
    agg = build_aggregation(reader.header(), hl, bottom_level_name(o.hier_levels));
    fh.structure = &agg.structure;
    fh.aggregate_ids.assign(agg.ids.begin(), agg.ids.begin() + agg.structure.n_aggregates);
  }
  ForecastFile fc = global_forecast(o, o.model, reader, levels, dev, shard, hier ? &fh : nullptr);
  const double model_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double residual_s = 0.0;
  if (o.residuals) {  // Note [Global model residuals] in engine/deepar/residuals.cpp
    if (dev.device == Device::Cuda)
      std::fprintf(stderr, "skucast: note: --residuals: the %s one-step predictions are computed on the CPU\n",
                   o.model.c_str());
    const auto r0 = std::chrono::steady_clock::now();
    fc.residual_steps = reader.header().n_steps;
    fc.residuals = residuals_with_checkpoint(reader, o.checkpoint, shard);  // [S, T]
    residual_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
  }
  if (o.intervals == "conformal") {
    const int64_t T = reader.header().n_steps, H = o.horizon;
    BacktestOptions bo;
    bo.models = {o.model};
    bo.horizon = H;
    bo.step = o.calibration_step > 0 ? o.calibration_step : H;
    bo.folds = checkpoint_folds(o.calibration_folds, kDefaultCalibrationFolds, "--calibration-folds", "calibration",
                                o.checkpoint, T, H, bo.step);
    bo.levels = levels;
    bo.nn_checkpoint = o.checkpoint;
    bo.nn_paths = o.paths;
    bo.nn_seed = o.seed;
    bo.nn_forecast_gpu = dev.device == Device::Cuda;
    bo.gpu_block_bytes = dev.max_block_bytes;
    const auto c0 = std::chrono::steady_clock::now();
    const CalibrationSet cal = calibrate(reader, bo);
    const double calibration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    const int64_t trained_steps = checkpoint_seen_steps(o.checkpoint).trained_steps;
    int64_t n_validation = 0;
    for (int64_t o_k : fold_origins(T, H, bo.folds, bo.step)) n_validation += o_k < trained_steps;
    apply_conformal(cal, calibration_s, n_validation, o.conformal_score, fc);
  }
  fc.shard_index = shard.index;  // recorded for `skucast merge`
  fc.shard_count = shard.count;
  if (!hier) set_series_levels(o.panel, reader.header(), fc, shard.range(reader.header().n_series()).first);
  write_forecast_outputs(o.out, o.csv, fc);  // Note [Output sets]
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char residual_note[64] = "";
  if (o.residuals) std::snprintf(residual_note, sizeof residual_note, ", residuals %.3f s", residual_s);
  // model: the panel and checkpoint loaded, the paths sampled, their means and quantiles.
  std::fprintf(stderr,
               "skucast: forecast %s%s: %zu series%s × %lld steps, %d paths, %zu quantile(s); model %.3f s (%.0f "
               "series/s)%s, total %.3f s → %s%s%s\n",
               fc.model.c_str(), dev.device == Device::Cuda ? " on the GPU" : "", fc.ids.size(),
               hier ? (" (" + std::to_string(agg.structure.n_aggregates) + " aggregates from summed paths)").c_str() : "",
               static_cast<long long>(fc.horizon), o.paths, fc.levels.size(), model_s,
               model_s > 0.0 ? static_cast<double>(fc.ids.size()) / model_s : 0.0,
               residual_note, total_s, o.out.c_str(),
               o.csv.empty() ? "" : ", ", o.csv.c_str());
}

// "a+b+c" → {a, b, c}, for --combine weighted and for ensembles with a global member (lstm+ets);
// InputError on an empty member or fewer than two.
std::vector<std::string> ensemble_members(const std::string& model) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t plus = model.find('+', start);
    out.push_back(model.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
    if (out.back().empty()) throw InputError("ensemble '" + model + "' has an empty member; write members as a+b");
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  if (out.size() < 2)
    throw InputError("--combine weighted needs an ensemble of at least two members (a+b), got '" + model + "'");
  return out;
}

// The one global model (lstm or gru) among names, or "" when none; InputError when both are.
std::string global_member(const std::vector<std::string>& names, const std::string& model) {
  std::string found;
  for (const std::string& n : names) {
    if (!is_global(n)) continue;
    if (!found.empty())
      throw InputError("--model " + model + ": at most one global model (lstm or gru, the one in --checkpoint) may "
                       "take part, got '" + found + "' and '" + n + "'");
    found = n;
  }
  return found;
}

void run_forecast(const ForecastCli& options) {
  ForecastCli o = options;  // o.paths resolved below
  if (o.horizon < 1) throw InputError("--horizon must be at least 1, got " + std::to_string(o.horizon));
  if (o.horizon > kMaxPanelSteps)
    throw InputError("--horizon must be at most " + std::to_string(kMaxPanelSteps) +
                     " (the longest time axis a panel may have), got " + std::to_string(o.horizon));
  if (o.block < 0) throw InputError("--block must be 0 (automatic) or a number of series, got " + std::to_string(o.block));
  if (o.out.empty()) throw InputError("--out is required");
  // Both outputs checked before any work: a run that fails on --csv has not replaced --out.
  std::vector<std::pair<std::string, std::string>> inputs{{"--panel", o.panel}};
  if (!o.checkpoint.empty())
    for (const std::string& c : split_checkpoints(o.checkpoint)) inputs.emplace_back("--checkpoint", c);
  check_output_path(o.out, "--out", inputs);
  inputs.emplace_back("--out", o.out);
  if (!o.csv.empty()) check_output_path(o.csv, "--csv", inputs);
  const std::vector<double> levels = parse_levels(o.quantiles);
  const SeriesShard shard = o.shard.empty() ? SeriesShard{} : parse_shard(o.shard);
  const bool conformal = o.intervals == "conformal";
  if (!conformal && (o.calibration_folds != 0 || o.calibration_step != 0 || o.conformal_score_given))
    throw InputError("--calibration-folds, --calibration-step and --conformal-score go with --intervals conformal");
  if (conformal && !o.shard.empty())
    throw InputError("--intervals conformal pools errors over the whole catalog, so it does not run per --shard yet; "
                     "forecast without --shard");
  if (o.calibration_folds < 0 || o.calibration_step < 0)
    throw InputError("--calibration-folds and --calibration-step must be at least 1");
  if (!o.hier_levels.empty() && o.model != "lstm" && o.model != "gru")
    throw InputError("--levels is for lstm/gru (their sample paths are summed); for '" + o.model +
                     "' aggregate the panel (`skucast aggregate --levels ...`), forecast it and `skucast reconcile`");
  // Note [Sample paths from the catalog size]: the whole panel's series, also per --shard.
  if (o.paths == 0 && (o.model == "lstm" || o.model == "gru" || !o.checkpoint.empty()))
    o.paths = deepar_default_paths(PanelReader(o.panel).header().n_series());
  if (o.model == "lstm" || o.model == "gru") {
    if (o.transform != "none")
      throw InputError("--transform is for the statistical models; '" + o.model +
                       "' scales each series itself (its likelihood), so leave --transform none");
    return run_neural_forecast(o, levels, shard);
  }
  // One model, the candidates of `auto` (Note [Model choice per series]) or the members of a
  // weighted ensemble (Note [Inverse-error weights]): the last two are backtested first. A global
  // model (lstm/gru from --checkpoint) may be a candidate or member (Note [Global model
  // calibration]); an ensemble with one and --combine mean weighs its members equally.
  const bool weighted = o.combine == "weighted";
  const std::vector<std::string> candidates = auto_candidates(o.model);
  const bool is_auto = !candidates.empty();
  if (weighted && is_auto)
    throw InputError("--combine weighted weighs the members of an ensemble a+b+...; --model auto chooses one model per "
                     "series instead");
  const bool is_ensemble = !is_auto && o.model.find('+') != std::string::npos;
  const std::vector<std::string> members =
      (weighted || is_ensemble) ? ensemble_members(o.model) : std::vector<std::string>{};
  const std::string global_name = global_member(is_auto ? candidates : members, o.model);
  const bool has_global = !global_name.empty();
  if (!has_global && !o.checkpoint.empty())
    throw InputError("--checkpoint is for the lstm/gru models; '" + o.model + "' is fitted on the panel directly");
  if (has_global && o.checkpoint.empty())
    throw InputError("--model " + o.model + ": the global model '" + global_name + "' needs its trained model file: "
                     "run `skucast train --model " + global_name + " ... --out model.h5`, then pass --checkpoint model.h5");
  if (has_global && is_ensemble && o.combine == "median")
    throw InputError("--combine median with a global member ('" + o.model + "') is not built; use --combine mean "
                     "(equal weights) or weighted");
  if (has_global && !is_auto && conformal)
    throw InputError("--intervals conformal with an ensemble that has a global member ('" + o.model + "') is not "
                     "built yet; calibrate the global model alone (--model " + global_name + ") or a statistical ensemble");
  if (has_global && o.transform != "none")
    std::fprintf(stderr, "skucast: note: --transform %s applies to the statistical models only; '%s' scales each "
                 "series itself\n", o.transform.c_str(), global_name.c_str());
  const bool equal_weights = has_global && is_ensemble && o.combine == "mean";
  const std::vector<std::string> scored = is_auto ? candidates : weighted ? members : std::vector<std::string>{};
  const bool by_backtest = !scored.empty();
  if (!by_backtest && (o.selection_folds != 0 || o.select_metric != "mase"))
    throw InputError("--selection-folds and --select-metric go with --model auto or --combine weighted");
  if (!is_auto && o.select_margin_given) throw InputError("--select-margin goes with --model auto");
  if (!is_auto && o.select_rule != "top2") throw InputError("--select-rule goes with --model auto");
  // Note [Top-k inverse-error weights]: auto combines each series' two best candidates, or with
  // --select-rule lowest chooses one (Note [Choice against the catalog's best]).
  const bool auto_top2 = is_auto && o.select_rule == "top2";
  if (auto_top2 && o.select_margin_given)
    throw InputError("--select-margin goes with --select-rule lowest (the default rule, top2, combines two candidates)");
  if (o.residuals && by_backtest)
    throw InputError("--residuals: --model auto and --combine weighted mix models per series; store residuals of one "
                     "model (" + std::string(kResidualModels) + ", or lstm/gru with --checkpoint)");
  if (o.residuals && has_global)
    throw InputError("--residuals: the ensemble '" + o.model + "' mixes a global model's sample paths with statistical "
                     "forecasts and has no one-step predictions of its own; store residuals of one model (" +
                     std::string(kResidualModels) + ", or " + global_name + " alone)");
  if (weighted && conformal)
    throw InputError("--intervals conformal with --combine weighted is not built yet; use --combine mean or median");
  if (is_auto && conformal)
    throw InputError("--intervals conformal with --model auto is not built yet: the errors of the folds that chose "
                     "each series' model are biased low (the choice favours the model that happened to fit them); "
                     "use one model, or --intervals model");
  if (by_backtest) check_select_metric(levels, o.select_metric);
  // [C] candidates or members, or the one model; nullptr for the global model (forecast once, below).
  const std::vector<std::string> model_names =
      by_backtest ? scored : equal_weights ? members : std::vector<std::string>{o.model};
  std::vector<std::unique_ptr<StatModel>> models;
  for (const std::string& name : model_names)
    models.push_back(is_global(name) ? nullptr : make_stat_model(name, weighted ? "mean" : o.combine));  // unknown → InputError
  bool uses_regressors = false;
  for (const auto& m : models) uses_regressors = uses_regressors || (m && m->uses_regressors());
  const Transform transform = parse_transform(o.transform);

  const PanelReader reader(o.panel);
  const PanelHeader& hdr = reader.header();
  const int64_t n_steps = hdr.n_steps, horizon = o.horizon;
  const auto [s_begin, s_end] = shard.range(hdr.n_series());  // the series this run forecasts
  const int64_t n_series = s_end - s_begin;
  const int64_t n_levels = static_cast<int64_t>(levels.size());
  if (n_steps < 1) throw InputError(o.panel + ": the panel has no history (T = 0)");
  // Regressors (Note [Regressor names]): read only for models that use them; a list given to
  // other models is still checked against the panel, then ignored.
  RegressorPlan xplan;
  if (uses_regressors) {
    xplan = plan_regressors(hdr, o.panel, o.regressors);
    check_regressor_horizon(xplan, hdr, o.panel, horizon);
  } else if (o.regressors_given) {
    plan_regressors(hdr, o.panel, o.regressors);
    std::fprintf(stderr, "skucast: note: model '%s' does not use regressors; --regressors is ignored\n",
                 o.model.c_str());
  }
  // Note [Statistical models on the GPU] (tools/stat_cli.h).
  const bool on_gpu =
      !o.residuals && stat_model_on_gpu(o.device, o.model, xplan.size() > 0, transform != Transform::None);
  if (o.residuals && transform != Transform::None)
    throw InputError("--residuals: residuals are on the data's scale; use --transform none");
  StatGpuOptions gpu_opt;
  gpu_opt.max_block_bytes = parse_memory_size(o.gpu_memory);
  const int64_t series_per_block = series_block(o.block, on_gpu, n_series, n_steps);

  // Note [Model choice per series]: the candidates' folds run first, over the whole panel.
  std::vector<int> chosen(static_cast<size_t>(n_series), 0);  // [S] index into models
  std::vector<double> weights;                                 // [S, C] --combine weighted
  double selection_s = 0.0;
  int64_t n_selection_folds = 0;
  int catalog_choice = 0;  // --model auto: the candidate best over the catalog on the folds
  ForecastDeviceOptions global_dev;  // has_global: where its sample paths run
  if (has_global) {
    if (o.paths < 1) throw InputError("--paths must be at least 1, got " + std::to_string(o.paths));
    global_dev = global_forecast_device(o, global_name);
  }
  if (equal_weights) weights.assign(static_cast<size_t>(n_series) * models.size(), 1.0 / static_cast<double>(models.size()));
  if (by_backtest) {
    BacktestOptions bo;
    bo.models = scored;
    bo.horizon = horizon;
    bo.step = horizon;
    // Note [Global model calibration]: with a global model, only folds after its training.
    bo.folds = n_selection_folds =
        has_global ? checkpoint_folds(o.selection_folds, kDefaultSelectionFolds, "--selection-folds", "selection",
                                      o.checkpoint, n_steps, horizon, horizon)
                   : fitting_folds(o.selection_folds, kDefaultSelectionFolds, "--selection-folds", "selection", n_steps,
                                   horizon, horizon);
    if (has_global) {
      bo.nn_checkpoint = o.checkpoint;
      bo.nn_paths = o.paths;
      bo.nn_seed = o.seed;
      bo.nn_forecast_gpu = global_dev.device == Device::Cuda;
      bo.gpu_block_bytes = global_dev.max_block_bytes;
    }
    bo.levels = levels;
    bo.combine = o.combine;
    bo.block = series_per_block;
    bo.regressors = o.regressors;
    bo.transform = transform;
    const auto c0 = std::chrono::steady_clock::now();
    const BacktestResult r = run_backtest(reader, bo);
    if (is_auto && !auto_top2) {
      const std::vector<int> all = choose_models(r, o.select_metric, o.select_margin);
      catalog_choice = catalog_best(r, o.select_metric);
      std::copy(all.begin() + s_begin, all.begin() + s_end, chosen.begin());
    } else {
      const std::vector<double> all = inverse_error_weights(r, o.select_metric, auto_top2 ? 2 : 0);  // [S_panel, C]
      const int64_t C = static_cast<int64_t>(scored.size());
      weights.assign(all.begin() + s_begin * C, all.begin() + s_end * C);
    }
    selection_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  }

  // Note [Calibration folds]: the folds run first, over the whole panel.
  CalibrationSet cal;
  double calibration_s = 0.0;
  if (conformal) {
    BacktestOptions bo;
    bo.models = {o.model};
    bo.horizon = horizon;
    bo.step = o.calibration_step > 0 ? o.calibration_step : horizon;
    bo.folds = fitting_folds(o.calibration_folds, kDefaultCalibrationFolds, "--calibration-folds", "calibration",
                             n_steps, horizon, bo.step);
    bo.levels = levels;
    bo.combine = o.combine;
    bo.block = series_per_block;
    bo.regressors = o.regressors;
    bo.transform = transform;
    if (on_gpu) bo.gpu_models = {o.model};
    bo.gpu_block_bytes = gpu_opt.max_block_bytes;
    const auto c0 = std::chrono::steady_clock::now();
    cal = calibrate(reader, bo);
    calibration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  }

  ForecastFile fc;
  fc.model = o.model;
  fc.axis = hdr.axis;
  fc.origin = n_steps;
  fc.horizon = horizon;
  fc.ids.assign(hdr.ids.begin() + s_begin, hdr.ids.begin() + s_end);
  fc.levels = levels;
  fc.shard_index = shard.index;  // recorded for `skucast merge`
  fc.shard_count = shard.count;
  set_series_levels(o.panel, hdr, fc, s_begin);
  fc.mean.resize(static_cast<size_t>(checked_mul(n_series, horizon)));                         // [S, H]
  fc.quantiles.resize(static_cast<size_t>(checked_mul(checked_mul(n_series, horizon), n_levels)));  // [S, H, Q]
  if (o.residuals) {
    fc.residual_steps = n_steps;
    fc.residuals.resize(static_cast<size_t>(checked_mul(n_series, n_steps)));  // [S, T]
  }
  int64_t n_no_fitted = 0;

  const auto t0 = std::chrono::steady_clock::now();
  double model_s = 0.0;
  int64_t n_fallback = 0;
  if (is_auto) fc.model_per_series.resize(static_cast<size_t>(n_series));
  // The global candidate or member forecasts every series of the run once (sample paths over the
  // catalog); the blocks below take their rows of it (GivenForecast).
  ForecastFile global_fc;
  std::vector<GivenForecast> given(models.size());
  if (has_global) {
    const auto g0 = std::chrono::steady_clock::now();
    global_fc = global_forecast(o, global_name, reader, levels, global_dev, shard);
    model_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
  }
  std::vector<float> block;   // [nb, T]
  std::vector<float> xblock;  // [nb, T+F, K]
  for (int64_t j0 = 0; j0 < n_series; j0 += series_per_block) {  // j0: output row, i0: panel series
    const int64_t nb = std::min(series_per_block, n_series - j0), i0 = s_begin + j0;
    block.resize(static_cast<size_t>(checked_mul(nb, n_steps)));
    reader.read_target(i0, i0 + nb, block.data());
    BatchOptions bo;
    bo.transform = transform;
    bo.ids = hdr.ids.data() + i0;
    if (o.residuals) bo.residuals = fc.residuals.data() + j0 * n_steps;
    if (xplan.size() > 0) {
      read_regressors(reader, xplan, i0, i0 + nb, xblock);
      bo.xreg = xblock.data();
      bo.xreg_steps = hdr.n_total();
      bo.n_xreg = xplan.size();
    }
    for (size_t c = 0; c < models.size(); ++c)
      if (!models[c]) given[c] = {global_fc.mean.data() + j0 * horizon, global_fc.quantiles.data() + j0 * horizon * n_levels};
    const auto m0 = std::chrono::steady_clock::now();
    if (weighted || equal_weights || auto_top2) {
      const int64_t C = static_cast<int64_t>(models.size());
      n_fallback += forecast_weighted(models, weights.data() + j0 * C, block.data(),
                                      nb, n_steps, hdr.axis.season_length, horizon, levels, bo,
                                      fc.mean.data() + j0 * horizon, fc.quantiles.data() + j0 * horizon * n_levels, given);
      for (int64_t s = 0; auto_top2 && s < nb; ++s) {  // the candidates with weight, in listed order
        std::string& names = fc.model_per_series[static_cast<size_t>(j0 + s)];
        for (int64_t c = 0; c < C; ++c)
          if (weights[static_cast<size_t>((j0 + s) * C + c)] > 0.0) names += (names.empty() ? "" : "+") + candidates[static_cast<size_t>(c)];
      }
    } else if (is_auto) {
      n_fallback += forecast_chosen(models, chosen.data() + j0, block.data(), nb, n_steps, hdr.axis.season_length,
                                    horizon, levels, bo, fc.mean.data() + j0 * horizon,
                                    fc.quantiles.data() + j0 * horizon * n_levels, given);
      for (int64_t s = 0; s < nb; ++s)
        fc.model_per_series[static_cast<size_t>(j0 + s)] = candidates[static_cast<size_t>(chosen[static_cast<size_t>(j0 + s)])];
    } else {
      const BatchForecast b =
          on_gpu ? forecast_batch_cuda(o.model, block.data(), nb, n_steps, hdr.axis.season_length, horizon, levels, gpu_opt)
                 : forecast_batch(*models[0], block.data(), nb, n_steps, hdr.axis.season_length, horizon, levels, bo);
      n_fallback += b.n_fallback;
      n_no_fitted += b.n_no_fitted;
      std::copy(b.mean.begin(), b.mean.end(), fc.mean.begin() + j0 * horizon);
      std::copy(b.quantiles.begin(), b.quantiles.end(), fc.quantiles.begin() + j0 * horizon * n_levels);
    }
    model_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
  }
  if (n_no_fitted > 0)
    throw InputError("--residuals: model '" + o.model + "' gave no in-sample one-step predictions for " +
                     std::to_string(n_no_fitted) + " series; residuals come from " + kResidualModels +
                     " (not ensembles, arimax or ma)");
  // The members' mean weights over the series, "a 0.25, b 0.75".
  auto mean_weights = [&] {
    const size_t C = scored.size();
    std::string text;
    for (size_t c = 0; c < C; ++c) {
      double sum = 0.0;
      for (int64_t s = 0; s < n_series; ++s) sum += weights[static_cast<size_t>(s) * C + c];
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%s %.3f", c ? ", " : "", scored[c].c_str(),
                    n_series > 0 ? sum / static_cast<double>(n_series) : 0.0);
      text += buf;
    }
    return text;
  };
  if (auto_top2)
    std::fprintf(stderr, "skucast: auto: per series the 2 candidates with the lowest mean %s over %lld fold(s), "
                 "weighed by 1 / error; mean weights %s; selection %.3f s\n", o.select_metric.c_str(),
                 static_cast<long long>(n_selection_folds), mean_weights().c_str(), selection_s);
  if (is_auto && !auto_top2) {
    std::vector<int64_t> count(candidates.size(), 0);
    for (int c : chosen) ++count[static_cast<size_t>(c)];
    std::string picks;
    for (size_t c = 0; c < candidates.size(); ++c)
      picks += (c ? ", " : "") + candidates[c] + " " + std::to_string(count[c]);
    // Note [Choice against the catalog's best].
    std::fprintf(stderr, "skucast: auto: lowest mean %s over %lld fold(s) per series, leaving the catalog's best (%s) "
                 "only when %.0f %% lower: %s; selection %.3f s\n", o.select_metric.c_str(),
                 static_cast<long long>(n_selection_folds), candidates[static_cast<size_t>(catalog_choice)].c_str(),
                 100.0 * o.select_margin, picks.c_str(), selection_s);
  }
  if (weighted)
    std::fprintf(stderr, "skucast: weighted: members weighed per series by 1 / mean %s over %lld fold(s); mean "
                 "weights %s; backtest %.3f s\n", o.select_metric.c_str(), static_cast<long long>(n_selection_folds),
                 mean_weights().c_str(), selection_s);
  if (conformal) apply_conformal(cal, calibration_s, -1, o.conformal_score, fc);
  write_forecast_outputs(o.out, o.csv, fc);  // Note [Output sets]
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string extras = (xplan.size() > 0 ? ", regressors " + xplan.describe() : std::string()) +
                             (transform != Transform::None ? std::string(", transform ") + transform_name(transform) : "") +
                             (on_gpu ? ", on the GPU" : "") + (conformal ? ", conformal intervals" : "");
  std::fprintf(stderr,
               "skucast: forecast %s%s: %lld series × %lld steps, %lld quantile(s), %lld fallback(s); "
               "model %.3f s (%.0f series/s), total %.3f s → %s%s%s\n",
               (is_auto || has_global ? o.model : models[0]->name()).c_str(), extras.c_str(), static_cast<long long>(n_series), static_cast<long long>(horizon),
               static_cast<long long>(n_levels), static_cast<long long>(n_fallback), model_s,
               model_s > 0.0 ? static_cast<double>(n_series) / model_s : 0.0, total_s, o.out.c_str(),
               o.csv.empty() ? "" : ", ", o.csv.c_str());
}

}  // namespace

void add_forecast(CLI::App& app) {
  auto opt = std::make_shared<ForecastCli>();
  auto* sub = app.add_subcommand("forecast", "Forecast every series of a panel with a statistical model, an ensemble, a per-series choice (auto) or the global model (lstm/gru)");
  sub->add_option("--panel", opt->panel, "panel file (skucast ingest / synth)")->required();
  sub->add_option("--model", opt->model,
                  "model: naive, snaive, ma, croston, sba, tsb, ... (see the error for the full list), members "
                  "joined by '+' for an ensemble (ets+theta; one member may be lstm/gru with --checkpoint), or "
                  "auto[:a,b,...]: per series the two candidates with the lowest backtest errors, weighed by inverse "
                  "error, or the one lowest (--select-rule; default candidates ets,theta,tsb,snaive)")
      ->required();
  sub->add_option("--horizon", opt->horizon, "steps to forecast H (>= 1)")->required();
  sub->add_option("--quantiles", opt->quantiles, "quantile levels, comma-separated, ascending in (0, 1)")
      ->capture_default_str();
  sub->add_option("--combine", opt->combine,
                  "ensemble combination of members' means and quantiles: mean, median, or weighted (per series by "
                  "the inverse of each member's backtest error over --selection-folds folds, --select-metric)")
      ->capture_default_str()
      ->check(CLI::IsMember({"mean", "median", "weighted"}));
  sub->add_option("--regressors", opt->regressors,
                  "arimax: regressors from the panel, comma-separated: NAME (/dynamic/NAME as is), NAME:log (its log, "
                  "e.g. price:log), event:NAME (/calendar/events/NAME), events (all events); at most 8. Without it "
                  "arimax uses every dynamic covariate as is. Forecasting needs their future part to cover --horizon. "
                  "Other models ignore it")
      ->each([opt](const std::string&) { opt->regressors_given = true; });
  sub->add_option("--transform", opt->transform,
                  "statistical models: fit on a transformed scale: none, log (log(1 + y)) or boxcox (Guerrero's "
                  "lambda per series); quantiles are mapped back exactly, the mean with R's bias adjustment; "
                  "needs values >= 0")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "log", "boxcox"}));
  sub->add_option("--checkpoint", opt->checkpoint,
                  "trained model file from skucast train (lstm/gru, alone, as a candidate of auto or a member of an "
                  "ensemble); several, comma-separated (the same options, different --seed), pool their sample paths");
  sub->add_option("--paths", opt->paths, "lstm/gru: sample paths per series for the mean and quantiles (0: from the "
                  "panel's series, 10^6 / series between 100 and 1,000)")
      ->capture_default_str()
      ->check(in_range(0, kMaxPaths));
  sub->add_option("--seed", opt->seed, "lstm/gru: seed of the sample paths")->capture_default_str();
  sub->add_option("--device", opt->device, "where to run: auto or cpu (the CPU), or cuda: lstm/gru sample paths on the GPU "
                  "(engine/deepar/cuda/sampler.h) and the single statistical models without regressors or "
                  "transform (engine/stat/gpu_models.h); not yet validated on a device; without one, the CPU with a note")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  sub->add_option("--gpu-memory", opt->gpu_memory,
                  "--device cuda: device memory one block of series (with its lstm/gru sample paths) may use (e.g. "
                  "512M, 8G); the catalog is streamed through the GPU in blocks of that size, two statistical blocks in "
                  "flight (default 2G)");
  sub->add_option("--block", opt->block,
                  "series per block read from the panel (0: 4096, or a 1 GiB block when the model runs on the GPU)")
      ->capture_default_str();
  sub->add_option("--shard", opt->shard,
                  "K/N: forecast only shard K of N of the series (0 <= K < N), e.g. one per GPU; `skucast merge` "
                  "joins the shards' files into the whole forecast");
  sub->add_option("--intervals", opt->intervals,
                  "quantiles: model (the model's own) or conformal (recalibrated from the signed errors of "
                  "rolling-origin folds before the origin; statistical models and ensembles, and lstm/gru from "
                  "folds after the checkpoint's training end; README)")
      ->capture_default_str()
      ->check(CLI::IsMember({"model", "conformal"}));
  sub->add_option("--calibration-folds", opt->calibration_folds,
                  "--intervals conformal: folds K (default 5, fewer when the history is short); a series uses its "
                  "own errors at a step from 20 folds on, pooled errors of similar series below")
      ->check(in_range(1, 10000));
  sub->add_option("--conformal-score", opt->conformal_score,
                  "--intervals conformal: raw (signed errors over the naive MAE, pooled by zero share; the default: "
                  "better on retail-like catalogs), scaled (each fold error's size over the model's own predicted "
                  "spread, so each series keeps its own interval's width; better on smooth ones such as M3) or "
                  "signed (the signed error over the spread); Note [Conformal scaled scores]")
      ->capture_default_str()
      ->check(CLI::IsMember({"scaled", "signed", "raw"}))
      ->each([opt](const std::string&) { opt->conformal_score_given = true; });
  sub->add_option("--calibration-step", opt->calibration_step,
                  "--intervals conformal: steps between fold origins (default: the horizon)")
      ->check(at_least(1));
  sub->add_option("--selection-folds", opt->selection_folds,
                  "--model auto, --combine weighted: backtest folds before the origin that choose each series' model "
                  "or weights (default 3, fewer when the history is short; step: the horizon)")
      ->check(in_range(1, 10000));
  sub->add_option("--select-metric", opt->select_metric,
                  "--model auto, --combine weighted: the backtest error that chooses (lowest) or weighs (inverse) each "
                  "series' models: mase, rmsse, mae, rmse, smape or pinball")
      ->capture_default_str();
  sub->add_option("--select-rule", opt->select_rule,
                  "--model auto: top2 (per series the two candidates with the lowest backtest error, weighed by 1 / "
                  "error) or lowest (the one with the lowest error, see --select-margin)")
      ->capture_default_str()
      ->check(CLI::IsMember({"top2", "lowest"}));
  sub->add_option("--select-margin", opt->select_margin,
                  "--model auto --select-rule lowest: a series leaves the candidate best over the whole catalog (on the same folds) only "
                  "for one whose mean error is this share lower (0: always the series' own lowest; 1: never)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->each([opt](const std::string&) { opt->select_margin_given = true; });
  sub->add_flag("--residuals", opt->residuals,
                "also store the in-sample one-step residuals [S, T] (/forecast/residuals), which `skucast reconcile "
                "--method wls_var|mint_shrink` needs; models " + std::string(kResidualModels) +
                    ", and lstm/gru (teacher-forced one-step predictions of the --checkpoint model, on the CPU)");
  sub->add_option("--levels", opt->hier_levels,
                  "lstm/gru: also forecast every aggregate of these levels (the syntax of `skucast aggregate "
                  "--levels`, e.g. \"total;store\" or m5) from the sums of its series' sample paths, coherent at every "
                  "level; the file holds the aggregates then the panel's series, as an aggregated panel, with a level "
                  "column in CSV. Samples on the CPU; not with --shard or --intervals conformal")
      ->check([](const std::string& v) { return v.empty() ? std::string("--levels is empty") : std::string(); });
  sub->add_option("--out", opt->out, "forecast file (.h5), written atomically")->required();
  sub->add_option("--csv", opt->csv, "also write the forecast as CSV (series_id,time,step,mean,q<level>...)");
  sub->callback([opt] { run_forecast(*opt); });
}

}  // namespace skucast::cli
