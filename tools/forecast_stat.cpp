// tools/forecast_stat.cpp — `skucast forecast` with a statistical model: reads the panel in
// blocks of series and runs one model (or a '+' ensemble) with forecast_batch, on the CPU or the
// GPU (Note [Statistical models on the GPU], tools/stat_cli.h); --model auto combines or picks
// each series' models by their backtest errors (engine/eval/model_choice.h) and --combine
// weighted weighs an ensemble's members so, a global model (lstm/gru) among them; --intervals
// conformal recalibrates the quantiles from rolling-origin folds before the origin
// (tools/forecast_calibration.cpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/deepar/model.h"
#include "engine/eval/backtest.h"
#include "engine/eval/conformal.h"
#include "engine/eval/model_choice.h"
#include "engine/stat/arima/regressors.h"
#include "engine/stat/boxcox.h"
#include "engine/stat/gpu_models.h"
#include "engine/stat/model.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "io/shard.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "tools/forecast_cli.h"
#include "tools/stat_cli.h"

namespace skucast::cli {

void run_stat_forecast(const ForecastCli& o, const std::vector<double>& levels, const SeriesShard& shard) {
  const bool conformal = o.intervals == "conformal";
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
  if (!auto_top2 && o.select_shrink_given)
    throw InputError("--select-shrink goes with --model auto and its default rule, top2");
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
    check_regressor_history(reader, xplan);  // Note [Regressors without history]
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
      bo.nn_bias_correction = o.bias_correction == "auto";
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
      const std::vector<double> all = inverse_error_weights(r, o.select_metric, auto_top2 ? 2 : 0,
                                                                auto_top2 ? o.select_shrink : 0.0);  // [S_panel, C]
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
    classify_conformal_steps(cal, reader, o.conformal_by, false, series_per_block);
    calibration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  }

  ForecastFile fc;
  fc.model = o.model;
  fc.axis = hdr.axis;
  fc.origin = n_steps;
  fc.horizon = horizon;
  fc.ids.assign(hdr.ids.begin() + s_begin, hdr.ids.begin() + s_end);
  fc.levels = levels;
  record_shard(o, levels, reader, shard, fc);  // for `skucast merge`: Note [Shards of one run]
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
    fc.bias_correction = global_fc.bias_correction;  // the member's (Note [Recent bias correction])
    fc.bias_steps = global_fc.bias_steps;
    model_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
  }
  std::vector<float> block;   // [nb, T]
  std::vector<float> xblock;  // [nb, T+F, K]
  std::vector<RegressorUse> xuse;  // [nb, K] Note [Regressor use]: one model's run only
  RegressorUseCount xcount;
  StatBoundCount bounded;
  StaleSeries stale;  // Note [Series that stopped selling]
  stale.gap = stale_gap(hdr, horizon);
  for (int64_t j0 = 0; j0 < n_series; j0 += series_per_block) {  // j0: output row, i0: panel series
    const int64_t nb = std::min(series_per_block, n_series - j0), i0 = s_begin + j0;
    block.resize(static_cast<size_t>(checked_mul(nb, n_steps)));
    reader.read_target(i0, i0 + nb, block.data());
    stale.add(block.data(), nb, n_steps, i0, hdr);
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
      if (bo.xreg != nullptr && !on_gpu) {
        xuse.resize(static_cast<size_t>(checked_mul(nb, bo.n_xreg)));
        bo.regressor_use = xuse.data();
      }
      const BatchForecast b =
          on_gpu ? forecast_batch_cuda(o.model, block.data(), nb, n_steps, hdr.axis.season_length, horizon, levels, gpu_opt)
                 : forecast_batch(*models[0], block.data(), nb, n_steps, hdr.axis.season_length, horizon, levels, bo);
      n_fallback += b.n_fallback;
      n_no_fitted += b.n_no_fitted;
      if (bo.regressor_use != nullptr) xcount.add(xuse.data(), nb, bo.n_xreg);
      std::copy(b.mean.begin(), b.mean.end(), fc.mean.begin() + j0 * horizon);
      std::copy(b.quantiles.begin(), b.quantiles.end(), fc.quantiles.begin() + j0 * horizon * n_levels);
    }
    model_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
    // Note [Bounded statistical forecasts]: every path above (the global member's rows too).
    const StatBoundCount bc = bound_stat_forecast(block.data(), nb, n_steps, horizon, n_levels,
                                                  fc.mean.data() + j0 * horizon,
                                                  fc.quantiles.data() + j0 * horizon * n_levels);
    bounded.n_values += bc.n_values;
    bounded.n_series += bc.n_series;
  }
  for (const std::string& line : regressor_use_notes(xplan, xcount))  // Note [Regressor use]
    std::fprintf(stderr, "skucast: note: %s\n", line.c_str());
  print_stale_note(stale, hdr);
  if (bounded.n_values > 0)
    std::fprintf(stderr,
                 "skucast: note: %lld forecast value(s) of %lld series bounded to %g times the largest value of "
                 "their history (Note [Bounded statistical forecasts])\n",
                 static_cast<long long>(bounded.n_values), static_cast<long long>(bounded.n_series), kStatBound);
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
  char shrunk[96] = "";
  if (auto_top2 && o.select_shrink > 0)
    std::snprintf(shrunk, sizeof shrunk, " shrunk towards the catalog's mean (worth %g folds)", o.select_shrink);
  if (auto_top2)
    std::fprintf(stderr, "skucast: auto: per series the 2 candidates with the lowest mean %s over %lld fold(s)%s, "
                 "weighed by 1 / error; mean weights %s; selection %.3f s\n", o.select_metric.c_str(),
                 static_cast<long long>(n_selection_folds), shrunk, mean_weights().c_str(), selection_s);
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
  if (conformal) apply_conformal(cal, calibration_s, -1, o.conformal_score, o.conformal_pool, fc);
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

}  // namespace skucast::cli
