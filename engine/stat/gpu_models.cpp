// engine/stat/gpu_models.cpp — model names, parameter checks and the CPU twin
// (stat_forecast_cpu) of the GPU statistical models (see engine/stat/gpu_models.h). Built in every
// configuration; the CUDA side is engine/stat/cuda/gpu_models.cu (or engine/stat/gpu_models_cpu_only.cpp).
#include <omp.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/stat/gpu_models.h"
#include "engine/stat/gpu_series.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

struct NamedModel {
  const char* name;
  StatGpuModel model;
};

// Names as in make_stat_model's registry (engine/stat/model.cpp).
const NamedModel kNames[] = {
    {"naive", StatGpuModel::Naive},   {"snaive", StatGpuModel::Snaive},   {"ma", StatGpuModel::Ma},
    {"ses", StatGpuModel::Ses},       {"holt", StatGpuModel::Holt},       {"damped", StatGpuModel::Damped},
    {"hw_add", StatGpuModel::HwAdd},  {"hw_mul", StatGpuModel::HwMul},    {"ets", StatGpuModel::Ets},
    {"theta", StatGpuModel::Theta},   {"croston", StatGpuModel::Croston}, {"sba", StatGpuModel::Sba},
    {"tsb", StatGpuModel::Tsb},       {"croston_opt", StatGpuModel::CrostonOpt}, {"arima", StatGpuModel::Arima},
};

}  // namespace

std::vector<std::string> stat_gpu_model_names() {
  std::vector<std::string> v;
  for (const auto& e : kNames) v.emplace_back(e.name);
  return v;
}

StatGpuModel stat_gpu_model(const std::string& name) {
  for (const auto& e : kNames)
    if (name == e.name) return e.model;
  std::string known;
  for (const auto& e : kNames) known += std::string(known.empty() ? "" : ", ") + e.name;
  throw InputError("the GPU statistical models have no model '" + name + "'; expected one of " + known);
}

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

namespace {

template <StatGpuFamily kFamily>
void stat_forecast_cpu_family(const StatGpuParams& p, const float* y, int64_t n_series, float* mean, float* quantiles,
                              uint8_t* fallback) {
  const int64_t H = p.horizon, n_cells = H * p.n_levels;
  const int n_threads = static_cast<int>(std::clamp<int64_t>(n_series / 64, 1, omp_get_max_threads()));
#pragma omp parallel num_threads(n_threads)
  {
    std::vector<double> w(static_cast<size_t>(p.scratch_per_series));  // [scratch] this thread's series
#pragma omp for schedule(dynamic, 64)
    for (int64_t s = 0; s < n_series; ++s)
      fallback[s] = stat_gpu_forecast_row<kFamily>(p, y + s * p.n_steps, w.data(), mean + s * H, quantiles + s * n_cells,
                                                   p.orders != nullptr ? p.orders + s * kStatGpuOrderFields : nullptr)
                        ? 1
                        : 0;
  }
}

}  // namespace

void stat_forecast_cpu(const StatGpuParams& p, const float* y, int64_t n_series, float* mean, float* quantiles,
                       uint8_t* fallback) {
  switch (stat_gpu_family(p.model)) {
    case StatGpuFamily::Simple: return stat_forecast_cpu_family<StatGpuFamily::Simple>(p, y, n_series, mean, quantiles, fallback);
    case StatGpuFamily::Ets: return stat_forecast_cpu_family<StatGpuFamily::Ets>(p, y, n_series, mean, quantiles, fallback);
    case StatGpuFamily::Theta: return stat_forecast_cpu_family<StatGpuFamily::Theta>(p, y, n_series, mean, quantiles, fallback);
    case StatGpuFamily::Croston: return stat_forecast_cpu_family<StatGpuFamily::Croston>(p, y, n_series, mean, quantiles, fallback);
    case StatGpuFamily::Arima: return stat_forecast_cpu_family<StatGpuFamily::Arima>(p, y, n_series, mean, quantiles, fallback);
  }
}

}  // namespace skucast
