// tools/cmd_forecast.cpp — `skucast forecast`: reads the panel in blocks of series, runs a
// statistical model (or a '+' ensemble) with forecast_batch and writes the forecast file
// (io/forecast_file.h; origin = T) and optionally its CSV.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/stat/arima/regressors.h"
#include "engine/stat/boxcox.h"
#include "engine/deepar/model.h"
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
  int64_t horizon = 0;
  int64_t block = 0;  // 0: series_block's choice (Note [Series block size])
  int paths = 100;
  uint64_t seed = 1;
  bool residuals = false;  // store in-sample one-step residuals (reconcile wls_var, mint_shrink)
};

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
  write_forecast(o.out, fc);
  if (!o.csv.empty()) write_forecast_csv(o.csv, fc);
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
  if (o.model == "lstm" || o.model == "gru") {
    if (o.residuals)
      throw InputError("--residuals: '" + o.model + "' has no in-sample one-step predictions; residuals come from the "
                       "statistical models naive, snaive, ses, holt, damped, hw_add, hw_mul and ets");
    if (o.transform != "none")
      throw InputError("--transform is for the statistical models; '" + o.model +
                       "' scales each series itself (its likelihood), so leave --transform none");
    return run_neural_forecast(o, levels, shard);
  }
  if (!o.checkpoint.empty())
    throw InputError("--checkpoint is for the lstm/gru models; '" + o.model + "' is fitted on the panel directly");
  const std::unique_ptr<StatModel> model = make_stat_model(o.model, o.combine);  // unknown → InputError
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
  if (model->uses_regressors()) {
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
    const BatchForecast b =
        on_gpu ? forecast_batch_cuda(o.model, block.data(), nb, n_steps, hdr.axis.season_length, horizon, levels, gpu_opt)
               : forecast_batch(*model, block.data(), nb, n_steps, hdr.axis.season_length, horizon, levels, bo);
    model_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
    n_fallback += b.n_fallback;
    n_no_fitted += b.n_no_fitted;
    std::copy(b.mean.begin(), b.mean.end(), fc.mean.begin() + j0 * horizon);
    std::copy(b.quantiles.begin(), b.quantiles.end(), fc.quantiles.begin() + j0 * horizon * n_levels);
  }
  if (n_no_fitted > 0)
    throw InputError("--residuals: model '" + o.model + "' gave no in-sample one-step predictions for " +
                     std::to_string(n_no_fitted) + " series; residuals come from naive, snaive, ses, holt, damped, "
                     "hw_add, hw_mul and ets (not ensembles, theta, arima, ma or the intermittent models)");
  write_forecast(o.out, fc);
  if (!o.csv.empty()) write_forecast_csv(o.csv, fc);
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string extras = (xplan.size() > 0 ? ", regressors " + xplan.describe() : std::string()) +
                             (transform != Transform::None ? std::string(", transform ") + transform_name(transform) : "") +
                             (on_gpu ? ", on the GPU" : "");
  std::fprintf(stderr,
               "skucast: forecast %s%s: %lld series × %lld steps, %lld quantile(s), %lld fallback(s); "
               "model %.3f s (%.0f series/s), total %.3f s → %s%s%s\n",
               model->name().c_str(), extras.c_str(), static_cast<long long>(n_series), static_cast<long long>(horizon),
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
                  "model: naive, snaive, ma, croston, sba, tsb, ... (see the error for the full list), or members "
                  "joined by '+' for an ensemble (ets+theta)")
      ->required();
  sub->add_option("--horizon", opt->horizon, "steps to forecast H (>= 1)")->required();
  sub->add_option("--quantiles", opt->quantiles, "quantile levels, comma-separated, ascending in (0, 1)")
      ->capture_default_str();
  sub->add_option("--combine", opt->combine, "ensemble combination of members' means and quantiles")
      ->capture_default_str()
      ->check(CLI::IsMember({"mean", "median"}));
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
  sub->add_flag("--residuals", opt->residuals,
                "also store the in-sample one-step residuals [S, T] (/forecast/residuals), which `skucast reconcile "
                "--method wls_var|mint_shrink` needs; models naive, snaive, ses, holt, damped, hw_add, hw_mul, ets");
  sub->add_option("--out", opt->out, "forecast file (.h5), written atomically")->required();
  sub->add_option("--csv", opt->csv, "also write the forecast as CSV (series_id,time,step,mean,q<level>...)");
  sub->callback([opt] { run_forecast(*opt); });
}

}  // namespace skucast::cli
