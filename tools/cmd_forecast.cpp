// tools/cmd_forecast.cpp — `skucast forecast`: reads the panel in blocks of series, runs a
// statistical model (or a '+' ensemble) with forecast_batch and writes the forecast file
// (io/forecast_file.h; origin = T) and optionally its CSV. With --intervals conformal the
// quantiles are recalibrated from rolling-origin folds before the origin (engine/eval/conformal.h);
// --model auto picks each series' model by its backtest error (engine/eval/model_choice.h).
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
  int64_t selection_folds = 0;      // --model auto: 0: kDefaultSelectionFolds, fewer when the history is short
  std::string select_metric = "mase";
  int64_t horizon = 0;
  int64_t block = 0;  // 0: series_block's choice (Note [Series block size])
  int paths = 100;
  uint64_t seed = 1;
  bool residuals = false;  // store in-sample one-step residuals (reconcile wls_var, mint_shrink)
};

// Note [Calibration folds]: `--intervals conformal` runs K rolling-origin folds of the same
// model (run_backtest, engine/eval/backtest.h) whose last origin is T − H and each earlier one
// --calibration-step (default H) before it, so every error is out of sample and no fold reaches
// past the forecast origin. K defaults to 5: with one error per fold and step, a series reaches
// the 20 errors per step of its own quantiles only with K >= 20, so by default the quantiles come
// from pools of similar series (Note [Conformal pooling], engine/eval/conformal.h), and 5 folds
// give every pool 5 errors per series while costing 5 model fits. When the history is too short
// for the default, K is lowered to what fits (with a note); an explicit K that does not fit is
// an error. The global models (lstm/gru) are not calibrated in this phase: their errors would
// have to come from a refit per fold or from windows the model never trained on.
constexpr int64_t kDefaultCalibrationFolds = 5;

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
    if (c == "lstm" || c == "gru")
      throw InputError("--model " + model + ": the global model '" + c + "' cannot be a candidate of auto yet (its "
                       "backtest needs a refit per fold); list statistical models or their ensembles");
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

// lstm/gru: a global model from `skucast train`, forecast by sample paths.
void run_neural_forecast(const ForecastCli& o, const std::vector<double>& levels, const SeriesShard& shard) {
  if (o.checkpoint.empty())
    throw InputError("model '" + o.model + "' needs a trained checkpoint: run `skucast train --model " + o.model +
                     " ... --out model.h5`, then pass --checkpoint model.h5");
  if (o.paths < 1) throw InputError("--paths must be at least 1, got " + std::to_string(o.paths));
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
    std::fprintf(stderr, "skucast: note: %s; the %s forecast runs on the CPU\n", where.note.c_str(), o.model.c_str());
  const auto t0 = std::chrono::steady_clock::now();
  const PanelReader reader(o.panel);
  ForecastFile fc = forecast_with_checkpoint(reader, o.checkpoint, o.horizon, levels, o.paths, o.seed, dev, shard);
  const double model_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (fc.model != o.model)
    throw InputError(o.checkpoint + ": the checkpoint holds a '" + fc.model + "' model, but --model is '" + o.model + "'");
  fc.shard_index = shard.index;  // recorded for `skucast merge`
  fc.shard_count = shard.count;
  set_series_levels(o.panel, reader.header(), fc, shard.range(reader.header().n_series()).first);
  write_forecast_outputs(o.out, o.csv, fc);  // Note [Output sets]
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // model: the panel and checkpoint loaded, the paths sampled, their means and quantiles.
  std::fprintf(stderr,
               "skucast: forecast %s%s: %zu series × %lld steps, %d paths, %zu quantile(s); model %.3f s (%.0f "
               "series/s), total %.3f s → %s%s%s\n",
               fc.model.c_str(), dev.device == Device::Cuda ? " on the GPU" : "", fc.ids.size(),
               static_cast<long long>(fc.horizon), o.paths, fc.levels.size(), model_s,
               model_s > 0.0 ? static_cast<double>(fc.ids.size()) / model_s : 0.0, total_s, o.out.c_str(),
               o.csv.empty() ? "" : ", ", o.csv.c_str());
}

// "a+b+c" → {a, b, c}, for --combine weighted; InputError unless it is an ensemble of statistical models.
std::vector<std::string> ensemble_members(const std::string& model) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t plus = model.find('+', start);
    out.push_back(model.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
    if (out.back().empty()) throw InputError("ensemble '" + model + "' has an empty member; write members as a+b");
    if (out.back() == "lstm" || out.back() == "gru")
      throw InputError("--combine weighted: the global model '" + out.back() + "' cannot be a member yet");
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  if (out.size() < 2)
    throw InputError("--combine weighted needs an ensemble of at least two members (a+b), got '" + model + "'");
  return out;
}

void run_forecast(const ForecastCli& o) {
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
  if (!conformal && (o.calibration_folds != 0 || o.calibration_step != 0))
    throw InputError("--calibration-folds and --calibration-step go with --intervals conformal");
  if (conformal && (o.model == "lstm" || o.model == "gru"))
    throw InputError("--intervals conformal is built for the statistical models and their ensembles; for '" + o.model +
                     "' (the global model) it is not built yet: its errors must be out of sample, which needs a "
                     "refit per fold or windows it never trained on. Use --intervals model (the sample paths' "
                     "quantiles)");
  if (conformal && !o.shard.empty())
    throw InputError("--intervals conformal pools errors over the whole catalog, so it does not run per --shard yet; "
                     "forecast without --shard");
  if (o.calibration_folds < 0 || o.calibration_step < 0)
    throw InputError("--calibration-folds and --calibration-step must be at least 1");
  if (o.model == "lstm" || o.model == "gru") {
    if (o.residuals)
      throw InputError("--residuals: '" + o.model + "' has no in-sample one-step predictions; residuals come from the "
                       "statistical models " + std::string(kResidualModels));
    if (o.transform != "none")
      throw InputError("--transform is for the statistical models; '" + o.model +
                       "' scales each series itself (its likelihood), so leave --transform none");
    return run_neural_forecast(o, levels, shard);
  }
  if (!o.checkpoint.empty())
    throw InputError("--checkpoint is for the lstm/gru models; '" + o.model + "' is fitted on the panel directly");
  // One model, the candidates of `auto` (Note [Model choice per series]) or the members of a
  // weighted ensemble (Note [Inverse-error weights]): the last two are backtested first.
  const bool weighted = o.combine == "weighted";
  const std::vector<std::string> candidates = auto_candidates(o.model);
  const bool is_auto = !candidates.empty();
  if (weighted && is_auto)
    throw InputError("--combine weighted weighs the members of an ensemble a+b+...; --model auto chooses one model per "
                     "series instead");
  const std::vector<std::string> scored = is_auto ? candidates : weighted ? ensemble_members(o.model) : std::vector<std::string>{};
  const bool by_backtest = !scored.empty();
  if (!by_backtest && (o.selection_folds != 0 || o.select_metric != "mase"))
    throw InputError("--selection-folds and --select-metric go with --model auto or --combine weighted");
  if (o.residuals && by_backtest)
    throw InputError("--residuals: --model auto and --combine weighted mix models per series; store residuals of one "
                     "model (" + std::string(kResidualModels) + ")");
  if (weighted && conformal)
    throw InputError("--intervals conformal with --combine weighted is not built yet; use --combine mean or median");
  if (is_auto && conformal)
    throw InputError("--intervals conformal with --model auto is not built yet: the errors of the folds that chose "
                     "each series' model are biased low (the choice favours the model that happened to fit them); "
                     "use one model, or --intervals model");
  if (by_backtest) check_select_metric(levels, o.select_metric);
  std::vector<std::unique_ptr<StatModel>> models;  // [C] candidates or members, or the one model
  for (const std::string& name : by_backtest ? scored : std::vector<std::string>{o.model})
    models.push_back(make_stat_model(name, weighted ? "mean" : o.combine));  // unknown → InputError
  bool uses_regressors = false;
  for (const auto& m : models) uses_regressors = uses_regressors || m->uses_regressors();
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
  if (by_backtest) {
    BacktestOptions bo;
    bo.models = scored;
    bo.horizon = horizon;
    bo.step = horizon;
    bo.folds = n_selection_folds =
        fitting_folds(o.selection_folds, kDefaultSelectionFolds, "--selection-folds", "selection", n_steps, horizon, horizon);
    bo.levels = levels;
    bo.combine = o.combine;
    bo.block = series_per_block;
    bo.regressors = o.regressors;
    bo.transform = transform;
    const auto c0 = std::chrono::steady_clock::now();
    const BacktestResult r = run_backtest(reader, bo);
    if (is_auto) {
      const std::vector<int> all = choose_models(r, o.select_metric);
      std::copy(all.begin() + s_begin, all.begin() + s_end, chosen.begin());
    } else {
      const std::vector<double> all = inverse_error_weights(r, o.select_metric);  // [S_panel, C]
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
    const auto m0 = std::chrono::steady_clock::now();
    if (weighted) {
      n_fallback += forecast_weighted(models, weights.data() + j0 * static_cast<int64_t>(models.size()), block.data(),
                                      nb, n_steps, hdr.axis.season_length, horizon, levels, bo,
                                      fc.mean.data() + j0 * horizon, fc.quantiles.data() + j0 * horizon * n_levels);
    } else if (is_auto) {
      n_fallback += forecast_chosen(models, chosen.data() + j0, block.data(), nb, n_steps, hdr.axis.season_length,
                                    horizon, levels, bo, fc.mean.data() + j0 * horizon,
                                    fc.quantiles.data() + j0 * horizon * n_levels);
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
  if (is_auto) {
    std::vector<int64_t> count(candidates.size(), 0);
    for (int c : chosen) ++count[static_cast<size_t>(c)];
    std::string picks;
    for (size_t c = 0; c < candidates.size(); ++c)
      picks += (c ? ", " : "") + candidates[c] + " " + std::to_string(count[c]);
    std::fprintf(stderr, "skucast: auto: lowest mean %s over %lld fold(s) per series: %s; selection %.3f s\n",
                 o.select_metric.c_str(), static_cast<long long>(n_selection_folds), picks.c_str(), selection_s);
  }
  if (weighted) {
    const size_t C = scored.size();
    std::string mean_w;
    for (size_t c = 0; c < C; ++c) {
      double sum = 0.0;
      for (int64_t s = 0; s < n_series; ++s) sum += weights[static_cast<size_t>(s) * C + c];
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s%s %.3f", c ? ", " : "", scored[c].c_str(),
                    n_series > 0 ? sum / static_cast<double>(n_series) : 0.0);
      mean_w += buf;
    }
    std::fprintf(stderr, "skucast: weighted: members weighed per series by 1 / mean %s over %lld fold(s); mean "
                 "weights %s; backtest %.3f s\n", o.select_metric.c_str(), static_cast<long long>(n_selection_folds),
                 mean_w.c_str(), selection_s);
  }
  if (conformal) {
    const auto c0 = std::chrono::steady_clock::now();
    const ConformalStats cs = conformal_quantiles(cal, fc.mean.data(), levels, fc.quantiles.data());
    calibration_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    fc.intervals = "conformal";
    fc.calibration_folds = cal.n_folds;
    const int64_t n_cells = n_series * horizon;
    std::fprintf(stderr,
                 "skucast: conformal intervals: %lld calibration fold(s), %.3f s; (series, step) cells from their own "
                 "errors %lld, pooled %lld, model's %lld of %lld; %lld quantile(s) clamped to the extreme error "
                 "(too few errors for the level)\n",
                 static_cast<long long>(cal.n_folds), calibration_s, static_cast<long long>(cs.n_own),
                 static_cast<long long>(cs.n_pooled), static_cast<long long>(cs.n_model),
                 static_cast<long long>(n_cells), static_cast<long long>(cs.n_clamped));
  }
  write_forecast_outputs(o.out, o.csv, fc);  // Note [Output sets]
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string extras = (xplan.size() > 0 ? ", regressors " + xplan.describe() : std::string()) +
                             (transform != Transform::None ? std::string(", transform ") + transform_name(transform) : "") +
                             (on_gpu ? ", on the GPU" : "") + (conformal ? ", conformal intervals" : "");
  std::fprintf(stderr,
               "skucast: forecast %s%s: %lld series × %lld steps, %lld quantile(s), %lld fallback(s); "
               "model %.3f s (%.0f series/s), total %.3f s → %s%s%s\n",
               (is_auto ? o.model : models[0]->name()).c_str(), extras.c_str(), static_cast<long long>(n_series), static_cast<long long>(horizon),
               static_cast<long long>(n_levels), static_cast<long long>(n_fallback), model_s,
               model_s > 0.0 ? static_cast<double>(n_series) / model_s : 0.0, total_s, o.out.c_str(),
               o.csv.empty() ? "" : ", ", o.csv.c_str());
}

}  // namespace

void add_forecast(CLI::App& app) {
  auto opt = std::make_shared<ForecastCli>();
  auto* sub = app.add_subcommand("forecast", "Forecast every series of a panel with a statistical model or ensemble");
  sub->add_option("--panel", opt->panel, "panel file (skucast ingest / synth)")->required();
  sub->add_option("--model", opt->model,
                  "model: naive, snaive, ma, croston, sba, tsb, ... (see the error for the full list), members "
                  "joined by '+' for an ensemble (ets+theta), or auto[:a,b,...]: per series the candidate with the "
                  "lowest backtest error (default candidates ets,theta,tsb,snaive)")
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
                  "trained model file from skucast train (lstm/gru only); several, comma-separated (the same options, "
                  "different --seed), pool their sample paths");
  sub->add_option("--paths", opt->paths, "lstm/gru: sample paths per series for the mean and quantiles")
      ->capture_default_str()
      ->check(in_range(1, kMaxPaths));
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
                  "rolling-origin folds before the origin; statistical models and ensembles; README)")
      ->capture_default_str()
      ->check(CLI::IsMember({"model", "conformal"}));
  sub->add_option("--calibration-folds", opt->calibration_folds,
                  "--intervals conformal: folds K (default 5, fewer when the history is short); a series uses its "
                  "own errors at a step from 20 folds on, pooled errors of similar series below")
      ->check(in_range(1, 10000));
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
  sub->add_flag("--residuals", opt->residuals,
                "also store the in-sample one-step residuals [S, T] (/forecast/residuals), which `skucast reconcile "
                "--method wls_var|mint_shrink` needs; models " + std::string(kResidualModels));
  sub->add_option("--out", opt->out, "forecast file (.h5), written atomically")->required();
  sub->add_option("--csv", opt->csv, "also write the forecast as CSV (series_id,time,step,mean,q<level>...)");
  sub->callback([opt] { run_forecast(*opt); });
}

}  // namespace skucast::cli
