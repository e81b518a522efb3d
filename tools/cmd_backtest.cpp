// tools/cmd_backtest.cpp — `skucast backtest`: rolling-origin backtest of statistical models
// (engine/eval/backtest.h); prints the model × metric table and writes the optional outputs.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/eval/reconcile.h"
#include "engine/stat/model.h"
#include "io/hierarchy_file.h"
#include "engine/stat/boxcox.h"
#include "engine/deepar/model.h"
#include "io/atomic_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "tools/commands.h"
#include "tools/stat_cli.h"

namespace skucast::cli {

namespace {

struct BacktestCli {
  std::string panel, models, csv, summary, out, level_csv, reconcile;
  bool levels = false, nonnegative = false;
  int64_t epochs = 10, hidden = 64, layers = 2, context = 0;
  std::string likelihood = "auto";
  int paths = 0;  // 0: from the panel's series (Note [Sample paths from the catalog size])
  std::string bias_correction = "auto";  // Note [Recent bias correction] in engine/deepar/residuals.cpp
  uint64_t seed = 0;
  double dropout = 0.2;  // as train's default (DeepArOptions)
  double ema = 0.98;     // as train's default (DeepArOptions)
  std::string attention = "off";  // as train's default (DeepArOptions)
  std::string distances = "off";  // as train's default (Note [Distance inputs] in engine/deepar/data.cpp)
  std::string quantiles = "0.1,0.5,0.9";
  std::string combine = "mean";
  std::string device = "auto", gpu_memory;
  std::string regressors, transform = "none";
  int64_t horizon = 0, folds = 1, step = 0, block = 0;  // block 0: Note [Series block size]
  bool step_given = false;  // step 0 when not given: the horizon
};

// "a, b,c" → {"a", "b", "c"}; an empty entry or list is an InputError naming `flag`.
std::vector<std::string> split_list(const std::string& text, const std::string& flag, const std::string& example) {
  std::vector<std::string> v;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b == std::string::npos) throw InputError(flag + ": empty name in '" + text + "' (expected e.g. " + example + ")");
    v.push_back(item.substr(b, e - b + 1));
  }
  if (v.empty()) throw InputError(flag + ": nothing given (expected e.g. " + example + ")");
  return v;
}

std::vector<std::string> split_models(const std::string& text) {
  std::vector<std::string> models = split_list(text, "--models", "naive,snaive");
  for (const std::string& m : models)
    if (m == "auto" || m.rfind("auto:", 0) == 0)  // split at its commas: said before it reads as a model 'auto:ets'
      throw InputError("--models: auto (a per-series choice) is a `forecast --model` option, not a backtest model; "
                       "backtest its candidates side by side (e.g. --models ets,theta,arima) to see what it would "
                       "choose from");
  return models;
}

void run_backtest_cli(const BacktestCli& o) {
  if (o.horizon < 1) throw InputError("--horizon must be at least 1, got " + std::to_string(o.horizon));
  if (o.folds < 1) throw InputError("--folds must be at least 1, got " + std::to_string(o.folds));
  // A given --step 0 is refused like forecast's --calibration-step 0; not given, it is the horizon.
  if (o.step < 0 || (o.step_given && o.step < 1))
    throw InputError("--step must be at least 1, got " + std::to_string(o.step));
  if (o.epochs < 1) throw InputError("--epochs must be at least 1, got " + std::to_string(o.epochs));
  // Every output checked before any work: a run that fails on the last one has not
  // replaced the others.
  const std::vector<std::pair<std::string, std::string>> outputs = {
      {"--csv", o.csv}, {"--summary", o.summary}, {"--out", o.out}, {"--level-csv", o.level_csv}};
  std::vector<std::pair<std::string, std::string>> others = {{"--panel", o.panel}};
  for (const auto& [flag, file] : outputs) {
    if (file.empty()) continue;
    check_output_path(file, flag, others);
    others.emplace_back(flag, file);
  }
  BacktestOptions bo;
  bo.models = split_models(o.models);
  bo.horizon = o.horizon;
  bo.folds = o.folds;
  bo.step = o.step;
  bo.levels = parse_levels(o.quantiles);
  bo.combine = o.combine;
  bo.regressors = o.regressors;
  bo.transform = parse_transform(o.transform);
  bo.nn_epochs = o.epochs;
  bo.nn_hidden = o.hidden;
  bo.nn_layers = o.layers;
  bo.nn_context = o.context;
  bo.nn_likelihood = o.likelihood;
  bo.nn_paths = o.paths;
  bo.nn_seed = o.seed;
  bo.nn_bias_correction = o.bias_correction == "auto";
  bo.nn_dropout = o.dropout;
  bo.nn_ema = o.ema;
  bo.nn_attention = o.attention;
  bo.nn_distances = o.distances;
  bo.gpu_block_bytes = parse_memory_size(o.gpu_memory);
  // Note [Scoring by level]: --levels, --reconcile (which implies it) and --level-csv need the
  // aggregated panel's /hierarchy.
  for (const std::string& m : o.reconcile.empty() ? std::vector<std::string>{} : split_list(o.reconcile, "--reconcile", "bu,mint_shrink"))
    bo.reconcile.push_back(parse_reconcile_method(m));
  for (ReconcileOptions& ro : bo.reconcile) ro.nonnegative = o.nonnegative;
  if (o.nonnegative && bo.reconcile.empty()) throw InputError("--nonnegative goes with --reconcile METHOD");
  const bool levels = o.levels || !bo.reconcile.empty() || !o.level_csv.empty();
  HierarchyStructure hierarchy;
  if (levels) {
    if (!has_hierarchy(o.panel))
      throw InputError(std::string(o.levels ? "--levels" : !bo.reconcile.empty() ? "--reconcile" : "--level-csv") +
                       ": " + o.panel + " has no /hierarchy: it is not an aggregated panel; make one with `skucast "
                       "aggregate --panel " + o.panel + " --levels \"total;...\" --out agg.h5` and backtest agg.h5");
    hierarchy = read_hierarchy(o.panel);
    bo.hierarchy = &hierarchy;
  }
  const PanelReader reader(o.panel);
  // Note [Statistical models on the GPU] (tools/stat_cli.h), model by model; regressors count
  // only for the models that use them (arimax, which has no GPU path).
  for (const std::string& m : bo.models)
    if (m != "lstm" && m != "gru" && stat_model_on_gpu(o.device, m, false, bo.transform != Transform::None))
      bo.gpu_models.push_back(m);
  if (o.block < 0) throw InputError("--block must be 0 (automatic) or a number of series, got " + std::to_string(o.block));
  bo.block = series_block(o.block, !bo.gpu_models.empty(), reader.header().n_series(), reader.header().n_steps);
  // The lstm/gru folds: as `train` and `forecast` do (Note [Recurrent training on the GPU] in
  // cmd_train.cpp, Note [Recurrent forecasting on the GPU] in forecast_global.cpp): only --device
  // cuda, and each part that cannot use the GPU says why.
  const bool neural = std::find(bo.models.begin(), bo.models.end(), "lstm") != bo.models.end() ||
                      std::find(bo.models.begin(), bo.models.end(), "gru") != bo.models.end();
  if (neural) {
    // Note [Sample paths from the catalog size]: from the whole panel's series.
    if (o.paths == 0) bo.nn_paths = deepar_default_paths(reader.header().n_series());
    // The same machine answers for both parts: every trained model has a GPU forecast path.
    const DeviceChoice where = resolve_device(o.device);
    bo.nn_train_gpu = bo.nn_forecast_gpu = where.device == Device::Cuda;
    if (!where.note.empty())
      std::fprintf(stderr, "skucast: note: %s; the lstm/gru folds train and forecast on the CPU\n", where.note.c_str());
    bool resid = false;  // Note [Fold residuals of the global model] in engine/eval/backtest.cpp
    for (const ReconcileOptions& ro : bo.reconcile) resid = resid || needs_residuals(ro.method);
    if (resid && where.device == Device::Cuda)
      std::fprintf(stderr, "skucast: note: --reconcile: the lstm/gru one-step predictions are computed on the CPU\n");
  }

  const BacktestResult r = run_backtest(reader, bo);  // builds the models first: unknown → InputError
  for (size_t m = 0; m < r.n_bounded.size(); ++m)
    if (r.n_bounded[m] > 0)
      std::fprintf(stderr,
                   "skucast: note: %s: %lld forecast value(s) over the folds bounded to %g times the largest value of "
                   "their series' history (Note [Bounded statistical forecasts])\n",
                   r.models[m].c_str(), static_cast<long long>(r.n_bounded[m]), kStatBound);
  std::fputs(format_backtest_table(r).c_str(), stdout);
  std::fputs(format_level_table(r).c_str(), stdout);
  std::fflush(stdout);
  const auto& ids = reader.header().ids;
  if (!o.level_csv.empty()) write_backtest_level_csv(o.level_csv, r);
  if (!o.csv.empty()) write_backtest_series_csv(o.csv, r, ids);
  if (!o.summary.empty()) write_backtest_summary_csv(o.summary, r);
  if (!o.out.empty()) write_backtest_h5(o.out, r, ids);
}

}  // namespace

void add_backtest(CLI::App& app) {
  auto opt = std::make_shared<BacktestCli>();
  auto* sub = app.add_subcommand("backtest", "Rolling-origin backtest of statistical and global (lstm/gru, trained per fold) models; prints a model × metric table");
  sub->add_option("--panel", opt->panel, "panel file (skucast ingest / synth)")->required();
  sub->add_option("--models", opt->models, "models to compare, comma-separated (naive,snaive,ets+theta,lstm)")->required();
  sub->add_option("--horizon", opt->horizon, "steps per fold H (>= 1)")->required();
  sub->add_option("--folds", opt->folds, "number of rolling origins K; the last is T - H")->capture_default_str();
  auto* step = sub->add_option("--step", opt->step, "steps between origins, at least 1 (default: the horizon)");
  sub->add_option("--quantiles", opt->quantiles, "quantile levels for pinball loss and coverage")->capture_default_str();
  sub->add_option("--combine", opt->combine, "ensemble combination: mean or median")
      ->capture_default_str()
      ->check(CLI::IsMember({"mean", "median"}));
  sub->add_option("--device", opt->device,
                  "auto or cpu (the CPU), or cuda: the single statistical models without regressors or transform "
                  "and the lstm/gru folds on the GPU, the others on the CPU with a note")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  sub->add_option("--gpu-memory", opt->gpu_memory,
                  "--device cuda: device memory one block of series may use, two blocks in flight (e.g. 512M, 8G; "
                  "default 2G)");
  sub->add_option("--block", opt->block,
                  "series per block read from the panel (0: 4096, or a 1 GiB block when a model runs on the GPU)")
      ->capture_default_str();
  sub->add_option("--regressors", opt->regressors,
                  "arimax: regressors from the panel (NAME, NAME:log, event:NAME, events; see forecast --help); "
                  "default: every dynamic covariate as is. Other models ignore it");
  sub->add_option("--transform", opt->transform,
                  "statistical models: fit on a transformed scale: none, log (log(1 + y)) or boxcox (Guerrero's lambda)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "log", "boxcox"}));
  sub->add_option("--epochs", opt->epochs, "lstm/gru: training epochs per fold (early stopping)")->capture_default_str();
  sub->add_option("--hidden", opt->hidden, "lstm/gru: hidden units")->capture_default_str();
  sub->add_option("--layers", opt->layers, "lstm/gru: recurrent layers")->capture_default_str();
  sub->add_option("--context", opt->context, "lstm/gru: context steps (default: from the panel, as train)");
  sub->add_option("--likelihood", opt->likelihood, "lstm/gru: auto|gaussian|student_t|negbin|tweedie|mse|mae (auto: as train's, chosen per fold from the "
                  "panel cut at its origin)")->capture_default_str();
  sub->add_option("--paths", opt->paths, "lstm/gru: sample paths per series (0: from the panel's series, as forecast)")
      ->capture_default_str()
      ->check(in_range(0, kMaxPaths));
  sub->add_option("--bias-correction", opt->bias_correction,
                  "lstm/gru: auto (shift each series' forecast by its recent out-of-sample bias, as forecast) or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "off"}));
  sub->add_option("--ema", opt->ema, "lstm/gru: decay per batch of the weights' moving average (train --ema)")
      ->capture_default_str();
  sub->add_option("--attention", opt->attention,
                  "lstm/gru: on: causal self-attention over the recurrent outputs (train --attention)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  sub->add_option("--distances", opt->distances,
                  "lstm/gru: on: each event's nearness and each series' age as inputs (train --distances)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  sub->add_option("--dropout", opt->dropout, "lstm/gru: dropout between layers")
      ->capture_default_str();
  sub->add_option("--seed", opt->seed, "lstm/gru: seed of training and sampling")->capture_default_str();
  sub->add_flag("--levels", opt->levels,
                "aggregated panel (skucast aggregate): every metric per level and M5's WRMSSE per level and over all "
                "levels (weights: dollar sales over the 28 steps before each origin, unit sales without a price)");
  sub->add_option("--reconcile", opt->reconcile,
                  "aggregated panel: also reconcile each fold's forecasts with these methods, comma-separated (bu, td, "
                  "mo:LEVEL, ols, wls_struct, wls_var, mint_shrink; wls_var and mint_shrink need a model with "
                  "in-sample residuals: " + std::string(kResidualModels) + ", lstm, gru) and score them as "
                  "<model>:<method>; implies --levels");
  sub->add_flag("--nonnegative", opt->nonnegative, "with --reconcile: no negative reconciled forecast (as reconcile)");
  sub->add_option("--level-csv", opt->level_csv,
                  "per-level CSV: level,n_series,model,<metrics> (wrmsse: the level's), then rows 'all'; implies --levels");
  sub->add_option("--csv", opt->csv, "per-series metrics CSV: series_id,model,fold,<metrics>[,level]");
  sub->add_option("--summary", opt->summary, "summary CSV: one row per model, one column per metric");
  sub->add_option("--out", opt->out, "per-series metrics as HDF5 (/metrics/<model>/<metric> [K, S])");
  sub->callback([opt, step] {
    opt->step_given = step->count() > 0;
    run_backtest_cli(*opt);
  });
}

}  // namespace skucast::cli
