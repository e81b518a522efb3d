// tools/forecast_global.cpp — `skucast forecast --model lstm|gru`: a global model from
// `skucast train`, forecast by sample paths from its checkpoint (engine/deepar/model.h), on the
// CPU or the GPU, optionally with the aggregates of --levels from summed paths and with
// conformal quantiles from folds after the model's training (Note [Global model calibration]
// in tools/forecast_calibration.cpp). The statistical path uses the same forecast when a
// global model is a candidate or member (tools/forecast_stat.cpp).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/deepar/model.h"
#include "engine/eval/backtest.h"
#include "engine/eval/conformal.h"
#include "engine/eval/hierarchy.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "io/shard.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "tools/forecast_cli.h"
#include "tools/stat_cli.h"

namespace skucast::cli {

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

ForecastFile global_forecast(const ForecastCli& o, const std::string& name, const PanelReader& reader,
                             const std::vector<double>& levels, const ForecastDeviceOptions& dev,
                             const SeriesShard& shard, const ForecastHierarchy* hierarchy) {
  ForecastFile fc = forecast_with_checkpoint(reader, o.checkpoint, o.horizon, levels, o.paths, o.seed, dev, shard,
                                             hierarchy,
                                             o.bias_correction == "auto" ? BiasCorrection::Auto : BiasCorrection::Off);
  if (fc.model != name)
    throw InputError(o.checkpoint + ": the checkpoint holds a '" + fc.model + "' model, but --model names '" + name + "'");
  // Note [Recent bias correction] in engine/deepar/residuals.cpp; the global model alone or as an
  // ensemble member or auto candidate (tools/forecast_stat.cpp).
  if (fc.bias_correction >= 0)
    std::fprintf(stderr,
                 "skucast: forecast %s: recent-bias correction: each series' forecast moved by %.3f x its median "
                 "log error over the last %lld steps (after the model's training end), relative to the catalog's%s\n",
                 name.c_str(), fc.bias_correction, static_cast<long long>(fc.bias_steps),
                 dev.device == Device::Cuda ? "; its one-step predictions ran on the CPU" : "");
  else if (fc.bias_note != "off")
    std::fprintf(stderr, "skucast: forecast %s: no recent-bias correction: %s\n", name.c_str(), fc.bias_note.c_str());
  return fc;
}

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
  // Note [Series that stopped selling] in tools/forecast_output.cpp: a second pass over the target
  // (the engine's panel in memory is gone), outside the model's time.
  if (!hier) {
    const auto [s0, s1] = shard.range(reader.header().n_series());
    print_stale_note(stale_series(reader, s0, s1, stale_gap(reader.header(), o.horizon)), reader.header());
  }
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
    bo.nn_bias_correction = o.bias_correction == "auto";
    bo.nn_forecast_gpu = dev.device == Device::Cuda;
    bo.gpu_block_bytes = dev.max_block_bytes;
    const auto c0 = std::chrono::steady_clock::now();
    CalibrationSet cal = calibrate(reader, bo);
    classify_conformal_steps(cal, reader, o.conformal_by, true, bo.block);
    const double calibration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    const int64_t trained_steps = checkpoint_seen_steps(o.checkpoint).trained_steps;
    int64_t n_validation = 0;
    for (int64_t o_k : fold_origins(T, H, bo.folds, bo.step)) n_validation += o_k < trained_steps;
    // Note [Global model calibration]: the scaled score unless --conformal-score says otherwise.
    apply_conformal(cal, calibration_s, n_validation, o.conformal_score_given ? o.conformal_score : "scaled",
                    o.conformal_pool, fc);
  }
  record_shard(o, levels, reader, shard, fc);  // for `skucast merge`: Note [Shards of one run]
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

}  // namespace skucast::cli
