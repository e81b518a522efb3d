// tests/stat/test_stat_gpu_twin.cpp — the GPU statistical models' kernel code against its CPU
// twin, forecast_batch, for every model whose registry entry has a GPU kernel: the kernel's
// per-series function (engine/stat/gpu_series.h) compiled for the host and run over the rows
// (tests/stat_kernel_rows.h) must give the same floats, bit for bit, and the same fallbacks.
// This pins the device's code on machines without a GPU; tests/gpu/test_stat_models_parity.cpp
// then compares the device against forecast_batch. "arima" is among stat_gpu_model_names(), so
// the loops over the names cover it too; ArimaShapes adds its own shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "engine/stat/gpu_models.h"
#include "engine/stat/model.h"
#include "kernels/common.hpp"
#include "tests/stat_kernel_rows.h"
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
  test::stat_kernel_rows_on_host(p, y.data(), c.n_series, mean.data(), quant.data(), fallback.data());
  int64_t n_fallback = 0;
  for (uint8_t f : fallback) n_fallback += f;
  EXPECT_EQ(n_fallback, ref.n_fallback) << name;
  int64_t bad = 0;
  for (size_t i = 0; i < mean.size(); ++i)
    if (!(mean[i] == ref.mean[i]) && bad++ < 3)
      ADD_FAILURE() << name << " mean[" << i << "] (series " << i / c.horizon << "): kernel " << mean[i]
                    << " forecast_batch " << ref.mean[i];
  for (size_t i = 0; i < quant.size(); ++i)
    if (!(quant[i] == ref.quantiles[i]) && bad++ < 6)
      ADD_FAILURE() << name << " quantiles[" << i << "]: kernel " << quant[i] << " forecast_batch " << ref.quantiles[i];
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

// ARIMA (StatGpuModel::Arima, the StatModel "arima"'s own per-series code, engine/stat/arima/series.h) on
// more shapes: monthly with seasonal differencing and the exact search (T = 144 <= 150),
// daily past the fitting window (T = 800 > 728: the last 728 steps, approximation = CSS
// search), quarterly, non-seasonal and shorter than the 8 observations ARIMA needs; every
// panel mixes the kinds of tests/stat_panel.h (trend, season, intermittent, constant,
// negative, short, NaN holes, late starts, early ends, all-NaN).
TEST(StatGpuTwin, ArimaShapes) {
  const std::vector<double> levels{0.1, 0.5, 0.9};
  expect_twin("arima", {24, 144, 12, 18}, levels);
  expect_twin("arima", {12, 800, 7, 14}, levels);
  expect_twin("arima", {16, 40, 4, 8}, levels);
  expect_twin("arima", {16, 50, 1, 6}, levels);
  expect_twin("arima", {10, 7, 12, 3}, levels);
  expect_twin("arima", {9, 30, 12, 5}, {});
}

// The kernel's optional order output (StatGpuParams::orders): a valid order where ARIMA was
// fitted, -1 where the series fell back (short, constant, all-NaN).
TEST(StatGpuTwin, ArimaOrdersDiagnostic) {
  const int64_t S = 24, T = 60, H = 6;
  const std::vector<double> levels{0.5};
  const std::vector<float> y = test::stat_test_panel(S, T, 12, 5u);
  StatGpuParams p = stat_gpu_params(StatGpuModel::Arima, T, 12, H, levels);
  std::vector<int32_t> orders(static_cast<size_t>(S * kStatGpuOrderFields), 99);
  p.orders = orders.data();
  std::vector<float> mean(static_cast<size_t>(S * H)), quant(static_cast<size_t>(S * H));
  std::vector<uint8_t> fallback(static_cast<size_t>(S));
  test::stat_kernel_rows_on_host(p, y.data(), S, mean.data(), quant.data(), fallback.data());
  int64_t n_fitted = 0;
  for (int64_t s = 0; s < S; ++s) {
    const int32_t* o = orders.data() + s * kStatGpuOrderFields;
    if (fallback[s]) {
      for (int i = 0; i < kStatGpuOrderFields; ++i) EXPECT_EQ(o[i], -1) << "series " << s;
      continue;
    }
    ++n_fitted;
    EXPECT_TRUE(o[0] >= 0 && o[0] <= 5 && o[1] >= 0 && o[1] <= 2 && o[2] >= 0 && o[2] <= 5) << "series " << s;
    EXPECT_TRUE(o[3] >= 0 && o[3] <= 2 && o[4] >= 0 && o[4] <= 1 && o[5] >= 0 && o[5] <= 2) << "series " << s;
    EXPECT_TRUE(o[6] == 1 || o[6] == 12) << "series " << s;
    EXPECT_TRUE(o[7] == 0 || o[7] == 1) << "series " << s;
  }
  EXPECT_GT(n_fitted, S / 2);
}

TEST(StatGpuTwin, NoQuantilesAndSingleStep) {
  for (const char* name : {"ets", "theta", "croston_opt", "ma", "arima"}) expect_twin(name, {17, 40, 4, 1}, {});
}

// The registry (engine/stat/model.cpp) is the one list of names: every GPU model is a
// registered model with a kernel of its own; arimax (regressors) has none.
TEST(StatGpuTwin, GpuModelsAreRegistryEntries) {
  const std::vector<std::string> all = stat_model_names(), gpu = stat_gpu_model_names();
  std::set<int> kernels;
  for (const std::string& name : gpu) {
    EXPECT_NE(std::find(all.begin(), all.end(), name), all.end()) << name;
    kernels.insert(static_cast<int>(stat_gpu_model(name)));
  }
  EXPECT_EQ(kernels.size(), gpu.size());
  EXPECT_EQ(gpu.size() + 1, all.size());
  EXPECT_EQ(std::find(gpu.begin(), gpu.end(), "arimax"), gpu.end());
}

TEST(StatGpuTwin, RejectsWhatForecastBatchRejects) {
  EXPECT_THROW(stat_gpu_model("arimax"), InputError);  // regressors: forecast_batch only
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
