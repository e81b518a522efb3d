// tools/cmd_forecast.cpp — `skucast forecast`: the command's outline. Its options fill a
// ForecastCli (tools/forecast_cli.h, which lists the parts), run_forecast checks what every path
// shares and hands the run to one of two paths: the statistical one (a model, a '+' ensemble or
// --model auto; tools/forecast_stat.cpp), or lstm/gru forecast from a checkpoint by sample paths
// (tools/forecast_global.cpp). Both write the forecast file (io/forecast_file.h; origin = T) and
// optionally its CSV. With --intervals conformal the quantiles are recalibrated from
// rolling-origin folds before the origin (tools/forecast_calibration.cpp; Note [Calibration
// folds], Note [Global model calibration]).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/deepar/model.h"
#include "engine/stat/model.h"
#include "io/atomic_file.h"
#include "io/panel.h"
#include "io/shard.h"
#include "kernels/common.hpp"
#include "tools/commands.h"
#include "tools/forecast_cli.h"
#include "tools/stat_cli.h"

namespace skucast::cli {

namespace {

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
  if (!conformal && (o.calibration_folds != 0 || o.calibration_step != 0 || o.conformal_score_given ||
                     o.conformal_pool_given || !o.conformal_by.empty()))
    throw InputError("--calibration-folds, --calibration-step, --conformal-score, --conformal-pool and --conformal-by go "
                     "with --intervals conformal");
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
  run_stat_forecast(o, levels, shard);
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
  sub->add_option("--bias-correction", opt->bias_correction,
                  "lstm/gru: auto (each series' forecast shifted on the log scale by the median of its one-step errors "
                  "over the steps after the model's training end, times how much such biases persisted across the "
                  "catalog) or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "off"}));
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
                  "--intervals conformal: raw (signed errors over the naive MAE, pooled by zero share; the default of "
                  "the statistical models: better on retail-like catalogs), scaled (each fold error's size over the "
                  "model's own predicted spread, so each series keeps its own interval's width; better on smooth "
                  "ones such as M3, and the default of lstm/gru: Note [Global model calibration]) or signed (the "
                  "signed error over the spread); Note [Conformal scaled scores]")
      ->check(CLI::IsMember({"scaled", "signed", "raw"}))
      ->each([opt](const std::string&) { opt->conformal_score_given = true; });
  sub->add_option("--conformal-pool", opt->conformal_pool,
                  "--intervals conformal: how pooled errors weigh: errors (each fold error once; the default) or "
                  "series (each series once, 1/n for its n errors at a step); Note [Conformal series-balanced pools]")
      ->capture_default_str()
      ->check(CLI::IsMember({"errors", "series"}))
      ->each([opt](const std::string&) { opt->conformal_pool_given = true; });
  sub->add_option("--conformal-by", opt->conformal_by,
                  "--intervals conformal: dynamic covariates or calendar events (flags such as deal,feat; at most 4, "
                  "comma-separated) whose pattern of non-zero values at the target step splits the pools, so promoted "
                  "steps get the errors of promoted steps; auto (the statistical models' default: of the panel's "
                  "per-series inputs that are zero on at least half the history, those whose steps the folds missed "
                  "by 1.25x more or less, at most 2) or none (the global models' default); Note [Conformal event "
                  "classes]")
      ->delimiter(',');
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
  sub->add_option("--select-shrink", opt->select_shrink,
                  "--model auto (top2): each series' fold errors are shrunk towards each candidate's mean over the "
                  "catalog, as if the catalog's mean were worth this many folds (0: the series' own errors alone)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6))
      ->each([opt](const std::string&) { opt->select_shrink_given = true; });
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
