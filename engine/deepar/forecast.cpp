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
#include <cstdio>
#include <memory>
#include <string>

#include "engine/deepar/checkpoint.h"
#include "engine/deepar/guard.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/sampler.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"

namespace skucast {

using namespace deepar;

ForecastFile deepar_forecast(const DeepArState& st, const PanelReader& panel, int64_t horizon,
                             const std::vector<double>& levels, int n_paths, uint64_t seed,
                             const ForecastDeviceOptions& device, const SeriesShard& shard) {
  const PanelHeader& hdr = panel.header();
  st.panel.check_matches(hdr, panel.path());
  if (horizon < 1) throw InputError("deepar: horizon must be at least 1, got " + std::to_string(horizon));
  if (n_paths < 1) throw InputError("deepar: n_paths must be at least 1, got " + std::to_string(n_paths));
  for (double q : levels)
    if (!(q > 0 && q < 1)) throw InputError("deepar: quantile levels must be in (0, 1), got " + std::to_string(q));
  const DeepArOptions& o = st.options;
  const Layout l = make_layout(o, st.panel);
  if (static_cast<int64_t>(st.weights.size()) != l.n_params)
    throw InputError("deepar: the model holds " + std::to_string(st.weights.size()) + " weights, its config needs " +
                     std::to_string(l.n_params));
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
  const auto [s0, s1] = shard.range(d.n_series);
  req.series_begin = s0;
  req.series_end = s1;
  SamplerSetup where{device.device, device.max_block_bytes};
  if (where.device == Device::Cuda && l.log1p && cuda_device_count() > 0) {
    // Note [Target transform]: the GPU sampler has no back-transform of the paths yet.
    std::fprintf(stderr, "skucast: note: the log1p target transform has no GPU sampling path yet; "
                         "the %s forecast samples on the CPU\n", o.cell.c_str());
    where.device = Device::Cpu;
  }
  const std::unique_ptr<Sampler> sampler = make_sampler(where);
  PathForecast pf = sampler->forecast(l, d, req);
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
  return fc;
}

ForecastFile forecast_with_checkpoint(const PanelReader& panel, const std::string& checkpoint, int64_t horizon,
                                      const std::vector<double>& levels, int n_paths, uint64_t seed,
                                      const ForecastDeviceOptions& device, const SeriesShard& shard) {
  DeepArState st = load_checkpoint(checkpoint);
  deepar_extend_levels(st, panel.header());  // cold start for levels added since training
  return deepar_forecast(st, panel, horizon, levels, n_paths, seed, device, shard);
}

}  // namespace skucast
