// engine/deepar/forecast.cpp — forecasting with the global DeepAR-style model by
// ancestral sampling (engine/deepar/model.h).
//
// Note [DeepAR forecasting]
//   For a block of series: the encoder runs the last `context` steps of history (fewer for
//   recently launched series: earlier steps read as missing, with observed flag 0), with
//   the per-series scale nu of the context (as in training). Its final states are copied to
//   N sample paths per series; then for h = 0 .. H-1 each path takes one recurrent step on
//   the inputs of step T+h (its own sampled past, the known covariates), and draws y[T+h]
//   from the likelihood (Gaussian; negative binomial as a gamma-Poisson mixture; Tweedie as
//   a compound Poisson-gamma with the dispersion estimated on validation). The mean is the
//   mean of the paths, quantiles are their type-7 empirical quantiles. Point losses (mse,
//   mae) decode one deterministic path of predictions; their quantiles are
//   mean + nu * resid_sd * sqrt(h + 1) * z_q, resid_sd the RMS scaled one-step residual on
//   validation. Draws are counter-based in (seed, series, path, step), so forecasts do not
//   depend on the block size or the thread count.
//   The sampling itself runs on a panel in memory behind the Sampler interface
//   (engine/deepar/sampler.h): forecast_paths_cpu (engine/deepar/paths.cpp), or on the GPU
//   forecast_paths_cuda (Note [DeepAR forecasting on the GPU] in engine/deepar/cuda/sampler.h),
//   which draws the same values from the same generator (engine/deepar/sample.h); this file
//   loads the panel and checkpoint and asks make_sampler for the device's sampler.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "engine/deepar/checkpoint.h"
#include "engine/deepar/guard.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/sampler.h"
#include "io/forecast_file.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"

namespace skucast {

using namespace deepar;

namespace {

// The checks every use of one model or several pooled ones shares: each matches the panel,
// holds its layout's weights, and every model pools with models[0] (Note [Pooled models]).
void check_pooled(const std::vector<const DeepArState*>& models, const std::vector<std::string>& names,
                  const PanelReader& panel) {
  const DeepArState& st = *models.at(0);
  const PanelHeader& hdr = panel.header();
  st.panel.check_matches(hdr, panel.path());
  const DeepArOptions& o = st.options;
  const Layout l = make_layout(o, st.panel);
  if (static_cast<int64_t>(st.weights.size()) != l.n_params)
    throw InputError("deepar: the model holds " + std::to_string(st.weights.size()) + " weights, its config needs " +
                     std::to_string(l.n_params));
  for (size_t k = 1; k < models.size(); ++k) {  // pooled: one layout, one way of reading the panel
    const DeepArState& m = *models[k];
    m.panel.check_matches(hdr, panel.path());
    const Layout lk = make_layout(m.options, m.panel);
    const bool same = lk.n_params == l.n_params && lk.n_features == l.n_features && lk.lik.kind == l.lik.kind &&
                      lk.lik.tweedie_power == l.lik.tweedie_power && m.options.cell == o.cell &&
                      m.options.context == o.context && m.options.target_transform == o.target_transform &&
                      m.options.inputs == o.inputs && m.options.attention == o.attention &&
                      static_cast<int64_t>(m.weights.size()) == l.n_params;
    if (!same)
      throw InputError(names[k] + ": cannot be pooled with " + names[0] +
                       ": the models differ in cell, size, inputs, context, likelihood, target transform or attention "
                       "(pool models trained with the same options and different --seed)");
  }
}

// Moves every path value y of series i to (1 + y) e^shift[i] - 1, clipped at 0 (Note [Recent
// bias correction] in engine/deepar/residuals.cpp): the map is affine in y, so the paths' mean and
// quantiles move by it exactly, and a running sum of h + 1 steps S to e^shift (S + h + 1) - (h + 1).
void apply_recent_bias(const std::vector<double>& shift, int64_t H, int64_t Q, PathForecast& pf) {
  auto move = [](float v, double e, double n) { return static_cast<float>(std::max(e * (v + n) - n, 0.0)); };
  for (size_t i = 0; i < shift.size(); ++i) {
    if (shift[i] == 0.0) continue;
    const double e = std::exp(shift[i]);
    for (int64_t h = 0; h < H; ++h) {
      const size_t row = i * static_cast<size_t>(H) + static_cast<size_t>(h);
      pf.mean[row] = move(pf.mean[row], e, 1.0);
      for (int64_t k = 0; k < Q; ++k) {
        const size_t at = row * static_cast<size_t>(Q) + static_cast<size_t>(k);
        pf.quantiles[at] = move(pf.quantiles[at], e, 1.0);
        if (!pf.cum_quantiles.empty()) pf.cum_quantiles[at] = move(pf.cum_quantiles[at], e, static_cast<double>(h + 1));
      }
    }
  }
}

// deepar_forecast for one model or several pooled (Note [Pooled models] in
// engine/deepar/internal.h); models[0] gives the layout, which every other must share.
ForecastFile forecast_models(const std::vector<const DeepArState*>& models, const std::vector<std::string>& names,
                             const PanelReader& panel, int64_t horizon, const std::vector<double>& levels,
                             int n_paths, uint64_t seed, const ForecastDeviceOptions& device,
                             const SeriesShard& shard, const ForecastHierarchy* hier, BiasCorrection bias) {
  const DeepArState& st = *models.at(0);
  const PanelHeader& hdr = panel.header();
  st.panel.check_matches(hdr, panel.path());
  if (horizon < 1) throw InputError("deepar: horizon must be at least 1, got " + std::to_string(horizon));
  if (n_paths < 1) throw InputError("deepar: n_paths must be at least 1, got " + std::to_string(n_paths));
  for (double q : levels)
    if (!(q > 0 && q < 1)) throw InputError("deepar: quantile levels must be in (0, 1), got " + std::to_string(q));
  const DeepArOptions& o = st.options;
  const Layout l = make_layout(o, st.panel);
  if (hier) {  // Note [Summed sample paths]
    const HierarchyStructure& h = *hier->structure;
    if (shard.count > 1)
      throw InputError("--levels sums every series' sample paths, so it does not run per --shard; forecast without "
                       "--shard");
    if (l.lik.kind == Likelihood::Mse || l.lik.kind == Likelihood::Mae)
      throw InputError("--levels: the model was trained with a point loss (" + o.likelihood +
                       "), which has no sample paths to sum; train with a likelihood (gaussian, negbin, tweedie, ...)");
    if (h.n_bottom != hdr.n_series() || static_cast<int64_t>(hier->aggregate_ids.size()) != h.n_aggregates)
      throw InputError("--levels: the hierarchy has " + std::to_string(h.n_bottom) + " bottom series, " +
                       panel.path() + " has " + std::to_string(hdr.n_series()));
  }
  check_pooled(models, names, panel);
  const int64_t lb = lookback(l), ctx = o.context, H = horizon;
  const PanelData d = load_panel(panel, l, H, ctx + lb + 1);
  check_model_inputs(d, hdr.ids, panel.path());  // Note [Finite forecasts] in engine/deepar/guard.h
  if (d.covariates_extended)
    std::fprintf(stderr,
                 "skucast: note: the panel has %lld future step(s) of covariates for a horizon of %lld; "
                 "repeating the last known values\n",
                 static_cast<long long>(hdr.n_future), static_cast<long long>(H));
  PathRequest req;
  req.weights = st.weights.data();
  req.resid_sd = st.resid_sd;
  req.tweedie_phi = st.tweedie_phi;
  req.context = ctx;
  req.horizon = H;
  req.levels = levels;
  req.n_paths = n_paths;
  req.seed = seed;
  if (models.size() > 1)
    for (const DeepArState* m : models) req.members.push_back(PathMember{m->weights.data(), m->tweedie_phi});
  const auto [s0, s1] = shard.range(d.n_series);
  req.series_begin = s0;
  req.series_end = s1;
  PathHierarchy ph;
  if (hier) {
    ph = PathHierarchy{hier->structure->n_aggregates, hier->structure->indptr.data(), hier->structure->indices.data()};
    req.hierarchy = &ph;
  }
  SamplerSetup where{device.device, device.max_block_bytes};
  if (hier) where.device = Device::Cpu;  // Note [Summed sample paths]: the sums run on the CPU
  if (where.device == Device::Cuda && models.size() > 1 && cuda_device_count() > 0) {
    std::fprintf(stderr, "skucast: note: pooling several models has no GPU sampling path yet; "
                         "the %s forecast samples on the CPU\n", o.cell.c_str());
    where.device = Device::Cpu;
  }
  if (where.device == Device::Cuda && l.n_att > 0) {  // Note [Attention] in engine/nn/attention.h
    std::fprintf(stderr, "skucast: note: attention has no GPU sampling path yet; the %s forecast samples on the CPU\n",
                 o.cell.c_str());
    where.device = Device::Cpu;
  }
  const std::unique_ptr<Sampler> sampler = make_sampler(where);
  PathForecast pf = sampler->forecast(l, d, req);
  // Note [Recent bias correction] in engine/deepar/residuals.cpp: on the CPU, after the paths.
  RecentBias rb;
  if (bias == BiasCorrection::Off) {
    rb.off = "off";
  } else if (hier) {
    rb.off = "--levels sums the paths of every series, which one shift per series would not move alike";
  } else {
    std::vector<const float*> members;
    int64_t train_end = -1;
    bool known = true;  // the latest training end of the members; unknown if any member's is
    for (const DeepArState* m : models) {
      members.push_back(m->weights.data());
      known = known && m->train_end >= 0;
      train_end = std::max(train_end, m->train_end);
    }
    if (!known) train_end = -1;
    rb = recent_bias_cpu(l, d, members, ctx, o.horizon, H, train_end, s0, s1);
    if (!rb.shift.empty()) apply_recent_bias(rb.shift, H, static_cast<int64_t>(levels.size()), pf);
  }
  const std::vector<float> unbounded = pf.cum_quantiles.empty() ? std::vector<float>{} : pf.quantiles;  // [S', H, Q]
  const BoundCount bounded = bound_forecast(d, s0, H, static_cast<int64_t>(levels.size()), pf.mean, pf.quantiles);
  if (bounded.n_values > 0)
    std::fprintf(stderr,
                 "skucast: note: %lld forecast value(s) of %lld series bounded to %g times the largest value of "
                 "their history (their sample paths diverged; Note [Finite forecasts])\n",
                 static_cast<long long>(bounded.n_values), static_cast<long long>(bounded.n_series), kPathBound);

  ForecastFile fc;
  fc.model = o.cell;
  fc.axis = hdr.axis;
  fc.origin = d.n_time;
  fc.horizon = H;
  fc.ids.assign(hdr.ids.begin() + s0, hdr.ids.begin() + s1);
  fc.levels = levels;
  fc.mean = std::move(pf.mean);
  fc.quantiles = std::move(pf.quantiles);
  fc.bias_correction = rb.shift.empty() ? -1.0 : rb.alpha;
  fc.bias_steps = rb.shift.empty() ? 0 : rb.steps;
  fc.bias_note = rb.off;
  // The paths' running sums (Note [Cumulative demand quantiles], engine/eval/cumulative.h), not
  // for a hierarchy's aggregates. A series whose forecast was bounded (its paths diverged) gets
  // the sums of its bounded per-step quantiles instead (perfectly correlated steps), so every
  // shard of a run carries them.
  if (!hier && !pf.cum_quantiles.empty()) {
    const int64_t Q = static_cast<int64_t>(levels.size()), n = static_cast<int64_t>(fc.ids.size());
    for (int64_t i = 0; bounded.n_values > 0 && i < n; ++i) {
      const size_t row = static_cast<size_t>(i * H * Q);
      if (std::equal(unbounded.begin() + row, unbounded.begin() + row + H * Q, fc.quantiles.begin() + row)) continue;
      for (int64_t k = 0; k < Q; ++k) {
        double run = 0.0;
        for (int64_t h = 0; h < H; ++h) {
          run += fc.quantiles[row + static_cast<size_t>(h * Q + k)];
          pf.cum_quantiles[row + static_cast<size_t>(h * Q + k)] = static_cast<float>(run);
        }
      }
    }
    fc.cumulative_quantiles = std::move(pf.cum_quantiles);
  }
  if (hier) {  // aggregates first, as in an aggregated panel
    const HierarchyStructure& h = *hier->structure;
    fc.ids.insert(fc.ids.begin(), hier->aggregate_ids.begin(), hier->aggregate_ids.end());
    fc.mean.insert(fc.mean.begin(), pf.agg_mean.begin(), pf.agg_mean.end());
    fc.quantiles.insert(fc.quantiles.begin(), pf.agg_quantiles.begin(), pf.agg_quantiles.end());
    fc.series_level.resize(static_cast<size_t>(h.n_series()));
    for (int64_t i = 0; i < h.n_series(); ++i) fc.series_level[i] = h.level_names.at(static_cast<size_t>(h.level[i]));
  }
  return fc;
}

// The models of a --checkpoint value, one per model (a file of K models, an ensemble, gives
// K), with the levels added to the panel since training (cold start); models point into states.
std::vector<const DeepArState*> load_models(const PanelReader& panel, const std::string& checkpoint,
                                            std::vector<std::string>& names, std::vector<DeepArState>& states) {
  for (const std::string& file : split_checkpoints(checkpoint)) {
    std::vector<DeepArState> members = load_checkpoint_members(file);
    for (size_t k = 0; k < members.size(); ++k) {
      names.push_back(members.size() > 1 ? file + " (model " + std::to_string(k) + ")" : file);
      states.push_back(std::move(members[k]));
      deepar_extend_levels(states.back(), panel.header());  // cold start for levels added since training
    }
  }
  std::vector<const DeepArState*> models;
  for (const DeepArState& s : states) models.push_back(&s);
  return models;
}

// deepar_residuals for one model or several pooled: Note [Global model residuals] in
// engine/deepar/residuals.cpp. [S', T], the actuals read from the panel as stored (not
// through the log1p round trip of PanelData::y).
std::vector<float> residual_models(const std::vector<const DeepArState*>& models,
                                   const std::vector<std::string>& names, const PanelReader& panel,
                                   const SeriesShard& shard) {
  check_pooled(models, names, panel);
  const DeepArState& st = *models.at(0);
  const DeepArOptions& o = st.options;
  const Layout l = make_layout(o, st.panel);
  const int64_t ctx = o.context, H = o.horizon;
  const PanelData d = load_panel(panel, l, H, ctx + lookback(l) + 1);
  check_model_inputs(d, panel.header().ids, panel.path());  // Note [Finite forecasts]
  std::vector<const float*> members;
  for (const DeepArState* m : models) members.push_back(m->weights.data());
  const auto [s0, s1] = shard.range(d.n_series);
  std::vector<float> res = one_step_predictions_cpu(l, d, members, ctx, H, s0, s1);  // [S', T] predictions
  const std::vector<float> actual = panel.read_target(s0, s1);                        // [S', T]
  for (size_t i = 0; i < res.size(); ++i) res[i] = actual[i] - res[i];  // NaN stays NaN
  return res;
}

}  // namespace

ForecastFile deepar_forecast(const DeepArState& st, const PanelReader& panel, int64_t horizon,
                             const std::vector<double>& levels, int n_paths, uint64_t seed,
                             const ForecastDeviceOptions& device, const SeriesShard& shard,
                             const ForecastHierarchy* hierarchy, BiasCorrection bias) {
  return forecast_models({&st}, {"the model"}, panel, horizon, levels, n_paths, seed, device, shard, hierarchy, bias);
}

ForecastFile forecast_with_checkpoint(const PanelReader& panel, const std::string& checkpoint, int64_t horizon,
                                      const std::vector<double>& levels, int n_paths, uint64_t seed,
                                      const ForecastDeviceOptions& device, const SeriesShard& shard,
                                      const ForecastHierarchy* hierarchy, BiasCorrection bias) {
  std::vector<std::string> names;
  std::vector<DeepArState> states;
  const std::vector<const DeepArState*> models = load_models(panel, checkpoint, names, states);
  return forecast_models(models, names, panel, horizon, levels, n_paths, seed, device, shard, hierarchy, bias);
}

std::vector<float> deepar_residuals(const DeepArState& state, const PanelReader& panel, const SeriesShard& shard) {
  return residual_models({&state}, {"the model"}, panel, shard);
}

std::vector<float> residuals_with_checkpoint(const PanelReader& panel, const std::string& checkpoint,
                                             const SeriesShard& shard) {
  std::vector<std::string> names;
  std::vector<DeepArState> states;
  const std::vector<const DeepArState*> models = load_models(panel, checkpoint, names, states);
  return residual_models(models, names, panel, shard);
}

SeenSteps checkpoint_seen_steps(const std::string& checkpoint) {
  SeenSteps seen;
  for (const std::string& file : split_checkpoints(checkpoint))
    for (const DeepArState& st : load_checkpoint_members(file)) {
      if (st.train_end < 0 || st.trained_steps < 0)
        throw InputError(file + ": the model file does not record which panel steps training used (written by an "
                         "older skucast, or resumed from such a file), so no forecast error can be shown to be out of "
                         "sample; train the model again with this version");
      seen.train_end = std::max(seen.train_end, st.train_end);
      seen.trained_steps = std::max(seen.trained_steps, st.trained_steps);
    }
  return seen;
}

std::vector<std::string> split_checkpoints(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.empty()) throw InputError("--checkpoint: an empty model file name in '" + list + "'");
    out.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace skucast
