// tests/test_stat_gpu_twin.cpp — the CPU twin of the GPU statistical models
// (stat_forecast_cpu, engine/models/stat_gpu.h) against forecast_batch with the registry's
// models: the same per-series code (engine/models/stat_gpu_series.h) compiled for the host
// must give the same floats, bit for bit, and the same fallbacks. This pins the shared
// per-series path on machines without a GPU; tests/gpu/test_stat_models_parity.cpp then
// compares the device against it.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/models/stat_gpu.h"
#include "engine/stat_model.h"
#include "kernels/common.hpp"
#include "tests/stat_panel.h"

using namespace skucast;

namespace {

struct TwinCase {
  int64_t n_series, n_steps;
  int m;
  int64_t horizon;
};

void expect_twin(const std::string& name, const TwinCase& c, const std::vector<double>& levels) {
  const std::vector<float> y = test::stat_test_panel(c.n_series, c.n_steps, c.m, 11u + static_cast<uint32_t>(c.n_steps));
  const BatchForecast ref =
      forecast_batch(*make_stat_model(name), y.data(), c.n_series, c.n_steps, c.m, c.horizon, levels);
  const StatGpuParams p = stat_gpu_params(stat_gpu_model(name), c.n_steps, c.m, c.horizon, levels);
  std::vector<float> mean(static_cast<size_t>(c.n_series * c.horizon));
  std::vector<float> quant(static_cast<size_t>(c.n_series * c.horizon * p.n_levels));
  std::vector<uint8_t> fallback(static_cast<size_t>(c.n_series));
  stat_forecast_cpu(p, y.data(), c.n_series, mean.data(), quant.data(), fallback.data());
  int64_t n_fallback = 0;
  for (uint8_t f : fallback) n_fallback += f;
  EXPECT_EQ(n_fallback, ref.n_fallback) << name;
  int64_t bad = 0;
  for (size_t i = 0; i < mean.size(); ++i)
    if (!(mean[i] == ref.mean[i]) && bad++ < 3)
      ADD_FAILURE() << name << " mean[" << i << "] (series " << i / c.horizon << "): twin " << mean[i]
                    << " forecast_batch " << ref.mean[i];
  for (size_t i = 0; i < quant.size(); ++i)
    if (!(quant[i] == ref.quantiles[i]) && bad++ < 6)
      ADD_FAILURE() << name << " quantiles[" << i << "]: twin " << quant[i] << " forecast_batch " << ref.quantiles[i];
  EXPECT_EQ(bad, 0) << name << ": " << bad << " values differ";
}

}  // namespace

TEST(StatGpuTwin, MatchesForecastBatchBitForBit) {
  const std::vector<double> levels{0.05, 0.25, 0.5, 0.75, 0.95};
  for (const std::string& name : stat_gpu_model_names()) {
    SCOPED_TRACE(name);
    expect_twin(name, {80, 60, 12, 18}, levels);  // monthly-like, seasonal fits
    expect_twin(name, {40, 300, 7, 28}, levels);  // daily-like: long-series optimiser settings
    expect_twin(name, {3, 5, 7, 4}, {0.5});        // shorter than a season
  }
}

TEST(StatGpuTwin, NoQuantilesAndSingleStep) {
  for (const char* name : {"ets", "theta", "croston_opt", "ma"}) expect_twin(name, {17, 40, 4, 1}, {});
}

TEST(StatGpuTwin, RejectsWhatForecastBatchRejects) {
  EXPECT_THROW(stat_gpu_model("arima"), InputError);
  EXPECT_THROW(stat_gpu_model("ets+theta"), InputError);
  EXPECT_THROW(stat_gpu_params(StatGpuModel::Ets, 10, 1, 0, {0.5}), InputError);
  EXPECT_THROW(stat_gpu_params(StatGpuModel::Ets, 10, 0, 3, {0.5}), InputError);
  EXPECT_THROW(stat_gpu_params(StatGpuModel::Ets, 10, 1, 3, {0.5, 0.4}), InputError);
  EXPECT_THROW(stat_gpu_params(StatGpuModel::Ets, 10, 1, 3, {1.0}), InputError);
}

#ifndef SKUCAST_HAVE_CUDA
TEST(StatGpuTwin, CudaEntryPointsAskForACudaBuild) {
  const std::vector<float> y(10, 1.0f);
  EXPECT_THROW(forecast_batch_cuda("ets", y.data(), 1, 10, 1, 3, {0.5}), DeviceError);
}
#endif
