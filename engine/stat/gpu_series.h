// engine/stat/gpu_series.h — one series through the batch runner's steps and one
// statistical model: the per-series function of the GPU kernel (engine/stat/cuda/gpu_models.cu,
// one thread per series). tests/stat/test_stat_gpu_twin.cpp runs it on the host against
// forecast_batch, the kernel's CPU twin.
//
// It mirrors forecast_batch (engine/stat/model.cpp) for one row with no regressors and no
// transform: prepare (series_prep.h), the model (its StatModel's per-series core), the
// runner's fallback when the output is not storable (naive, then flat quantiles, then 0),
// then finish_series_hd. Compiled for the CPU and the GPU (Note [One source for CPU and GPU
// models] in kernels/hd.hpp).
#pragma once

#include <cstdint>

#include "engine/stat/arima/series.h"
#include "engine/stat/croston.h"
#include "engine/stat/ets/ets.h"
#include "kernels/hd.hpp"
#include "engine/stat/series_prep.h"
#include "engine/stat/simple.h"
#include "engine/stat/gpu_models.h"
#include "engine/stat/ets/theta.h"

namespace skucast {

// Scratch layout of one series (doubles), shared with stat_gpu_scratch_doubles:
//   ybuf [max(T, 1)] | mean [H] | quant [H*Q] | work [H + k*T], or for arima
//   work [H + stat_gpu_arima_work(T, m)]
// k = 0 (naive, snaive, ETS: sd [H]), 1 (theta: sd [H], x [T]), 2 (ma, croston, sba, tsb:
// residuals and their copy), 4 (croston_opt: + demand sizes and intervals); arima: sd [H] and
// the series' ARIMA work (Note [ARIMA scratch] in engine/stat/arima/core.h).
SKU_HD inline int64_t stat_gpu_work_series(StatGpuModel model) {
  switch (model) {
    case StatGpuModel::Theta: return 1;
    case StatGpuModel::Ma:
    case StatGpuModel::Croston:
    case StatGpuModel::Sba:
    case StatGpuModel::Tsb: return 2;
    case StatGpuModel::CrostonOpt: return 4;
    default: return 0;
  }
}

// Doubles of ARIMA work after sd [H] for series of T steps with season length m.
SKU_HD inline int64_t stat_gpu_arima_work(int64_t n_steps, int season_length) {
  return arima_series_work_doubles(n_steps, season_length);
}

SKU_HD inline EtsKind stat_gpu_ets_kind(StatGpuModel model) {
  switch (model) {
    case StatGpuModel::Ses: return EtsKind::Ses;
    case StatGpuModel::Holt: return EtsKind::Holt;
    case StatGpuModel::Damped: return EtsKind::Damped;
    case StatGpuModel::HwAdd: return EtsKind::HwAdd;
    case StatGpuModel::HwMul: return EtsKind::HwMul;
    default: return EtsKind::Auto;
  }
}

SKU_HD inline CrostonVariant stat_gpu_croston_variant(StatGpuModel model) {
  switch (model) {
    case StatGpuModel::Sba: return CrostonVariant::Sba;
    case StatGpuModel::Tsb: return CrostonVariant::Tsb;
    case StatGpuModel::CrostonOpt: return CrostonVariant::Optimized;
    default: return CrostonVariant::Classic;
  }
}

// The model of family kFamily on one prepared series (in.n >= 1). work: [H + k*T] scratch.
// order_out: arima's optional order (StatGpuParams::orders), else null.
template <StatGpuFamily kFamily>
SKU_HD inline void stat_gpu_model_series(const StatGpuParams& p, const SeriesInput& in, const ForecastSpec& spec,
                                         SeriesOutput& out, double* work, int32_t* order_out) {
  const int64_t T = p.n_steps;
  // if constexpr: each family's kernel compiles only its own models (Note [Stat kernel mapping]).
  if constexpr (kFamily == StatGpuFamily::Simple) {
    if (p.model == StatGpuModel::Naive) naive_series(in, spec, out);
    else if (p.model == StatGpuModel::Snaive) snaive_series(in, spec, out);
    else ma_series(0, in, spec, out, work, work + T);  // make_ma(): default window
  } else if constexpr (kFamily == StatGpuFamily::Ets) {
    ets_forecast_series(stat_gpu_ets_kind(p.model), in, spec, out, work);
  } else if constexpr (kFamily == StatGpuFamily::Theta) {
    theta_forecast_series(in, spec, out, work, work + spec.horizon);
  } else if constexpr (kFamily == StatGpuFamily::Arima) {
    arima_forecast_series(in, spec, out, work, work + spec.horizon, order_out);  // the StatModel "arima"'s own code
  } else {
    croston_forecast_series(stat_gpu_croston_variant(p.model), CrostonParams{}, in, spec, out, work, work + T,
                            work + 2 * T, work + 3 * T);
  }
}

// One row of the batch. [in] y [T] (NaN = missing); w [p.scratch_per_series] scratch;
// [out] mean_out [H], quant_out [H, Q], order_out [8] (optional, arima: StatGpuParams::orders).
// Returns true when the series used a fallback.
template <StatGpuFamily kFamily>
SKU_HD inline bool stat_gpu_forecast_row(const StatGpuParams& p, const float* y, double* w, float* mean_out,
                                         float* quant_out, int32_t* order_out) {
  const int64_t T = p.n_steps, H = p.horizon;
  const int Q = p.n_levels;
  double* ybuf = w;                         // [max(T, 1)]
  double* mean = ybuf + (T > 1 ? T : 1);    // [H]
  double* quant = mean + H;                 // [H, Q]
  double* work = quant + H * Q;             // [H + k*T]
  int64_t first = 0;
  const int64_t n = prepare_series_hd(y, T, ybuf, &first);
  SeriesOutput so;
  so.mean = mean;
  so.quantiles = quant;
  so.fallback = false;
  ForecastSpec spec;
  spec.horizon = H;
  spec.levels = p.levels;
  spec.n_levels = Q;
  if (order_out != nullptr)  // arima's order: -1 until a fit writes it (not at all for an all-NaN row)
    for (int i = 0; i < kStatGpuOrderFields; ++i) order_out[i] = -1;
  if (n == 0) {  // nothing observed: forecast 0 with zero-width intervals
    for (int64_t i = 0; i < H; ++i) mean[i] = 0.0;
    for (int64_t i = 0; i < H * Q; ++i) quant[i] = 0.0;
    so.fallback = true;
  } else {
    SeriesInput in;
    in.y = ybuf;
    in.n = n;
    in.season_length = p.season_length;
    stat_gpu_model_series<kFamily>(p, in, spec, so, work, order_out);
    // forecast_batch's forecast_or_fallback: values a float cannot hold -> naive.
    if (!storable_hd(mean, H) || !storable_hd(quant, H * Q)) {
      so.fallback = true;
      naive_series(in, spec, so);
      if (!storable_hd(quant, H * Q)) flat_quantiles(spec, mean, quant);
      if (!storable_hd(mean, H)) {  // values near FLT_MAX: nothing sensible left
        for (int64_t i = 0; i < H; ++i) mean[i] = 0.0;
        for (int64_t i = 0; i < H * Q; ++i) quant[i] = 0.0;
      }
    }
  }
  finish_series_hd(ybuf, n, H, Q, mean, quant, mean_out, quant_out);
  return so.fallback;
}

}  // namespace skucast
