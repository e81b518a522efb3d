// engine/stat/gpu_models.cpp — the GPU statistical models' families, scratch sizes and parameter
// checks (see engine/stat/gpu_models.h). Built in every configuration; the CUDA side is
// engine/stat/cuda/gpu_models.cu (or engine/stat/gpu_models_cpu_only.cpp); the model names are
// the registry's (engine/stat/model.cpp).
#include <algorithm>
#include <string>
#include <vector>

#include "engine/stat/gpu_models.h"
#include "engine/stat/gpu_series.h"
#include "kernels/common.hpp"

namespace skucast {

StatGpuFamily stat_gpu_family(StatGpuModel model) {
  switch (model) {
    case StatGpuModel::Naive:
    case StatGpuModel::Snaive:
    case StatGpuModel::Ma: return StatGpuFamily::Simple;
    case StatGpuModel::Theta: return StatGpuFamily::Theta;
    case StatGpuModel::Croston:
    case StatGpuModel::Sba:
    case StatGpuModel::Tsb:
    case StatGpuModel::CrostonOpt: return StatGpuFamily::Croston;
    case StatGpuModel::Arima: return StatGpuFamily::Arima;
    default: return StatGpuFamily::Ets;
  }
}

int64_t stat_gpu_scratch_doubles(StatGpuModel model, int64_t n_steps, int season_length, int64_t horizon,
                                 int n_levels) {
  // Layout in engine/stat/gpu_series.h: ybuf [max(T, 1)] | mean [H] | quant [H*Q] | work [H + model's].
  const int64_t t = std::max<int64_t>(n_steps, 1);
  const int64_t model_work = model == StatGpuModel::Arima ? stat_gpu_arima_work(t, season_length)
                                                          : checked_mul(stat_gpu_work_series(model), t);
  return t + horizon + checked_mul(horizon, n_levels) + horizon + model_work;
}

StatGpuParams stat_gpu_params(StatGpuModel model, int64_t n_steps, int season_length, int64_t horizon,
                              const std::vector<double>& levels) {
  // The same checks and messages as forecast_batch (STYLE M12: once, at the boundary).
  if (n_steps < 0) throw InputError("stat_gpu: expected a non-negative number of steps, got " + std::to_string(n_steps));
  check_forecast_args(season_length, horizon, levels);  // engine/stat/model.h
  StatGpuParams p;
  p.model = model;
  p.n_steps = n_steps;
  p.season_length = season_length;
  p.horizon = horizon;
  p.levels = levels.data();
  p.n_levels = checked_int(static_cast<int64_t>(levels.size()), "number of quantile levels");
  p.scratch_per_series = stat_gpu_scratch_doubles(model, n_steps, season_length, horizon, p.n_levels);
  return p;
}

}  // namespace skucast
