// tests/gpu/test_stat_models_parity.cpp — the batched statistical models on the GPU
// (forecast_batch_cuda, engine/stat/gpu_models.h) against the CPU models (forecast_batch with
// make_stat_model) on the same panel (STYLE T1, T3: S in {1, 257, 10000}, NaN holes, late
// starts, early ends, short, constant, intermittent, negative and all-NaN series).
//
// Note [GPU parity]: the device runs the CPU's own per-series code (kernels/hd.hpp),
// compiled with -fmad=false, in double; tests/stat/test_stat_gpu_twin.cpp pins that host-compiled
// path to forecast_batch bit for bit. What can still differ is the device's log, exp, pow
// and erfc (within 1-2 ulp of glibc's):
//   naive, snaive, ma, croston, sba, tsb, croston_opt: no optimiser reads those functions
//     (only the normal quantile z does): every value within rtol 1e-6 (float outputs: 1-2
//     float ulp), identical fallbacks.
//   theta: SES by MSE (no log in the objective), pow only in the final drift term: every
//     value within rtol 1e-5, identical fallbacks.
//   ses, holt, damped, hw_add, hw_mul, ets: the likelihood is n log(SSE) (+ 2 sum log yhat):
//     a 1-ulp difference can flip a Nelder-Mead comparison or its reltol stopping test, and
//     the optimiser then ends at another point of the same flat optimum (objective equal to
//     ~1e-8 relative; parameters, hence forecasts, ~1e-4 relative apart), or automatic
//     selection can pick the other of two models whose AICc tie. So per series: "strict"
//     when every value is within rtol 1e-5 of the CPU's (atol 1e-5 x series scale), "close"
//     within 2e-2 x series scale. Required: >= 90 % strict and >= 99 % close series, and the
//     fallback counts within 1 % of S. The test prints the measured shares; tighten these
//     bounds once a device run has shown them.
//   arima: the ETS case twice over. The exact likelihood has log F_t and log(ssq) in every
//     Nelder-Mead comparison (CSS fits, maximum likelihood, the restarts), and the stepwise
//     search compares AICc values of candidates that often lie within 1e-6 of each other
//     (R's auto.arima has the same ties); the unit-root tests (KPSS, STL seasonal strength)
//     are plain arithmetic and sqrt, so d and D agree except at a statistic within rounding of
//     its threshold. A 1-ulp difference can therefore end the search at another order, whose
//     forecasts are a different model's (a few % of the series scale apart, more on short
//     noisy series). So ARIMA is judged in two parts (ArimaOrdersAndForecasts, with the
//     kernel's order output, StatGpuParams::orders): the share of series whose chosen order
//     (p,d,q)(P,D,Q)m + constant is the CPU's, required >= 90 %; on those, forecasts as ETS's
//     (>= 90 % strict, >= 99 % close); on the rest only reported (worst error). Fallback
//     counts within 2 % of S (a fit that fails on one side only). In the every-model loop
//     (no orders), arima needs >= 80 % strict and >= 90 % close series. These bounds are set
//     from the reasoning above, not from a device run (none was available when they were
//     written): the PARITY lines print the measured shares; tighten the bounds from them.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/stat/gpu_models.h"
#include "engine/stat/model.h"
#include "kernels/device_buffer.hpp"
#include "tests/gpu/parity_util.hpp"
#include "tests/gpu_fixture.hpp"
#include "tests/stat_kernel_rows.h"
#include "tests/stat_panel.h"

using namespace skucast;

namespace {

bool is_ets_family(const std::string& name) {
  return name == "ses" || name == "holt" || name == "damped" || name == "hw_add" || name == "hw_mul" || name == "ets";
}

// Largest |mean| forecast of series s (and 1): the scale of its errors.
double series_scale(const std::vector<float>& mean, int64_t s, int64_t H) {
  double scale = 1.0;
  for (int64_t h = 0; h < H; ++h) scale = std::max(scale, std::fabs(static_cast<double>(mean[s * H + h])));
  return scale;
}

struct Shape {
  int64_t n_series, n_steps;
  int m;
  int64_t horizon;
};

// Compares one model on one panel (Note [GPU parity]).
void check_model(const std::string& name, const Shape& sh, uint32_t seed) {
  SCOPED_TRACE(name + " S=" + std::to_string(sh.n_series) + " T=" + std::to_string(sh.n_steps));
  const std::vector<double> levels{0.05, 0.25, 0.5, 0.75, 0.95};
  const int64_t S = sh.n_series, H = sh.horizon, Q = static_cast<int64_t>(levels.size());
  const std::vector<float> y = test::stat_test_panel(S, sh.n_steps, sh.m, seed);
  const BatchForecast ref = forecast_batch(*make_stat_model(name), y.data(), S, sh.n_steps, sh.m, H, levels);
  const BatchForecast got = forecast_batch_cuda(name, y.data(), S, sh.n_steps, sh.m, H, levels);
  ASSERT_EQ(got.mean.size(), ref.mean.size());
  ASSERT_EQ(got.quantiles.size(), ref.quantiles.size());
  const bool arima = name == "arima";
  const bool ets = is_ets_family(name) || arima;
  const double rtol = ets || name == "theta" ? 1e-5 : 1e-6;
  int64_t n_strict = 0, n_close = 0, worst_series = -1;
  double worst = 0.0;  // largest |got - ref| / scale over the series that are not strict
  for (int64_t s = 0; s < S; ++s) {
    double scale = 1.0;  // the series' size: its largest |mean| forecast (and 1)
    for (int64_t h = 0; h < H; ++h) scale = std::max(scale, std::fabs(static_cast<double>(ref.mean[s * H + h])));
    bool strict = true;
    double err = 0.0;
    auto cmp = [&](float r, float g) {
      const double d = std::fabs(static_cast<double>(g) - static_cast<double>(r));
      if (!(d <= 1e-5 * scale + rtol * std::fabs(static_cast<double>(r)))) strict = false;
      err = std::max(err, std::isfinite(d) ? d / scale : INFINITY);
    };
    for (int64_t h = 0; h < H; ++h) cmp(ref.mean[s * H + h], got.mean[s * H + h]);
    for (int64_t i = 0; i < H * Q; ++i) cmp(ref.quantiles[s * H * Q + i], got.quantiles[s * H * Q + i]);
    n_strict += strict;
    n_close += err <= 2e-2;
    if (!strict && err > worst) worst = err, worst_series = s;
  }
  std::printf("PARITY %s S=%lld T=%lld strict=%.4f close=%.4f worst_rel=%.3g (series %lld) fallback cpu=%lld gpu=%lld\n",
              name.c_str(), static_cast<long long>(S), static_cast<long long>(sh.n_steps),
              static_cast<double>(n_strict) / S, static_cast<double>(n_close) / S, worst,
              static_cast<long long>(worst_series), static_cast<long long>(ref.n_fallback),
              static_cast<long long>(got.n_fallback));
  if (!ets) {
    EXPECT_EQ(n_strict, S) << "worst series " << worst_series << ": max |gpu - cpu| / scale " << worst;
    EXPECT_EQ(got.n_fallback, ref.n_fallback);
  } else {
    // Note [GPU parity]: ETS 90 % strict / 99 % close; arima (orders may flip) 80 % / 90 %.
    EXPECT_GE(static_cast<double>(n_strict), (arima ? 0.80 : 0.90) * S) << "worst series " << worst_series << ": " << worst;
    EXPECT_GE(static_cast<double>(n_close), (arima ? 0.90 : 0.99) * S) << "worst series " << worst_series << ": " << worst;
    EXPECT_LE(std::llabs(got.n_fallback - ref.n_fallback), std::max<int64_t>(1, (arima ? S / 50 : S / 100)));
  }
}

}  // namespace

class StatModelsGpu : public GpuTest {};

// Every model, 1 and 257 monthly-like series (T = 60, m = 12, H = 18).
TEST_F(StatModelsGpu, EveryModelSmallBatches) {
  for (const std::string& name : stat_gpu_model_names()) {
    check_model(name, {1, 60, 12, 18}, 3);
    check_model(name, {257, 60, 12, 18}, 4);
  }
}

// 10,000 series for the models without a likelihood optimiser (daily-like, T = 200, m = 7).
TEST_F(StatModelsGpu, FastModelsTenThousandSeries) {
  for (const char* name : {"naive", "snaive", "ma", "croston", "sba", "tsb", "croston_opt", "theta"})
    check_model(name, {10000, 200, 7, 28}, 5);
}

// ETS at scale: SES on 10,000 series, automatic selection on 2,000 daily-like series (the
// long-series optimiser settings of engine/stat/ets/fit.h start at n = 256).
TEST_F(StatModelsGpu, EtsLargerBatches) {
  check_model("ses", {10000, 120, 12, 18}, 6);
  check_model("ets", {2000, 300, 7, 28}, 7);
}

// Blocks of series (a small memory budget) give the same result as one block, and the
// device-pointer launcher writes every output element (outputs poisoned with NaN first).
TEST_F(StatModelsGpu, BlocksAndLauncherCoverEveryElement) {
  const int64_t S = 257, T = 50, H = 6;
  const std::vector<double> levels{0.1, 0.9};
  const std::vector<float> y = test::stat_test_panel(S, T, 4, 8);
  const BatchForecast one = forecast_batch_cuda("theta", y.data(), S, T, 4, H, levels);
  StatGpuOptions small;
  small.max_block_bytes = 40 * 1024;  // a few dozen series per block
  const BatchForecast many = forecast_batch_cuda("theta", y.data(), S, T, 4, H, levels, small);
  EXPECT_EQ(one.mean, many.mean);
  EXPECT_EQ(one.quantiles, many.quantiles);
  EXPECT_EQ(one.n_fallback, many.n_fallback);

  StatGpuParams p = stat_gpu_params(StatGpuModel::Croston, T, 4, H, levels);
  DeviceBuffer<double> d_levels(levels);
  p.levels = d_levels.data();
  DeviceBuffer<float> d_y(y), d_mean(static_cast<size_t>(S * H)), d_quant(static_cast<size_t>(S * H * 2));
  DeviceBuffer<double> d_scratch(static_cast<size_t>(S * p.scratch_per_series));
  DeviceBuffer<uint8_t> d_fb(static_cast<size_t>(S));
  test::poison(d_mean);
  test::poison(d_quant);
  stat_forecast_cuda(p, d_y.data(), S, d_scratch.data(), d_mean.data(), d_quant.data(), d_fb.data(), nullptr);
  SKU_CUDA_CHECK(cudaDeviceSynchronize());
  const BatchForecast ref = forecast_batch(*make_stat_model("croston"), y.data(), S, T, 4, H, levels);
  EXPECT_TRUE(all_close(ref.mean, d_mean.download(), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(ref.quantiles, d_quant.download(), 1e-6, 1e-6));
}

TEST_F(StatModelsGpu, RejectsUnknownModels) {
  const std::vector<float> y(10, 1.0f);
  EXPECT_THROW(forecast_batch_cuda("arimax", y.data(), 1, 10, 1, 3, {0.5}), InputError);
}

// ARIMA with the kernel's order output (Note [GPU parity]): forecast_batch against the launcher
// on device pointers with StatGpuParams::orders, outputs poisoned first. The CPU's orders come
// from the kernel's per-series function run on the host (tests/stat_kernel_rows.h), whose
// forecasts are forecast_batch's bit for bit (tests/stat/test_stat_gpu_twin.cpp).
namespace {

void check_arima(const Shape& sh, uint32_t seed) {
  SCOPED_TRACE("arima S=" + std::to_string(sh.n_series) + " T=" + std::to_string(sh.n_steps) + " m=" + std::to_string(sh.m));
  const std::vector<double> levels{0.05, 0.5, 0.95};
  const int64_t S = sh.n_series, T = sh.n_steps, H = sh.horizon, Q = static_cast<int64_t>(levels.size());
  const int64_t n_cells = H * Q, F = kStatGpuOrderFields;
  const std::vector<float> y = test::stat_test_panel(S, T, sh.m, seed);
  const BatchForecast ref = forecast_batch(*make_stat_model("arima"), y.data(), S, T, sh.m, H, levels);
  const std::vector<float>& ref_mean = ref.mean;
  const std::vector<float>& ref_quant = ref.quantiles;
  StatGpuParams p = stat_gpu_params(StatGpuModel::Arima, T, sh.m, H, levels);
  std::vector<int32_t> ref_orders(static_cast<size_t>(S * F));
  {
    std::vector<float> host_mean(ref_mean.size()), host_quant(ref_quant.size());
    std::vector<uint8_t> host_fb(static_cast<size_t>(S));
    p.orders = ref_orders.data();
    test::stat_kernel_rows_on_host(p, y.data(), S, host_mean.data(), host_quant.data(), host_fb.data());
  }

  DeviceBuffer<double> d_levels(levels);
  DeviceBuffer<float> d_y(y), d_mean(static_cast<size_t>(S * H)), d_quant(static_cast<size_t>(S * n_cells));
  DeviceBuffer<double> d_scratch(static_cast<size_t>(S * p.scratch_per_series));
  DeviceBuffer<uint8_t> d_fb(static_cast<size_t>(S));
  DeviceBuffer<int32_t> d_orders(static_cast<size_t>(S * F));
  test::poison(d_mean);
  test::poison(d_quant);
  test::poison(d_orders);
  p.levels = d_levels.data();
  p.orders = d_orders.data();
  stat_forecast_cuda(p, d_y.data(), S, d_scratch.data(), d_mean.data(), d_quant.data(), d_fb.data(), nullptr);
  SKU_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> mean = d_mean.download(), quant = d_quant.download();
  const std::vector<uint8_t> fb = d_fb.download();
  const std::vector<int32_t> orders = d_orders.download();

  const int64_t n_fb_cpu = ref.n_fallback;
  int64_t n_same = 0, n_strict = 0, n_close = 0, n_fb_gpu = 0, worst_same_series = -1, worst_other_series = -1;
  double worst_same = 0.0, worst_other = 0.0;
  for (int64_t s = 0; s < S; ++s) {
    n_fb_gpu += fb[s];
    bool same = true;
    for (int64_t i = 0; i < F; ++i) same = same && orders[s * F + i] == ref_orders[s * F + i];
    const double scale = series_scale(ref_mean, s, H);
    bool strict = true;
    double err = 0.0;
    auto cmp = [&](float r, float g) {
      const double d = std::fabs(static_cast<double>(g) - static_cast<double>(r));
      if (!(d <= 1e-5 * scale + 1e-5 * std::fabs(static_cast<double>(r)))) strict = false;
      err = std::max(err, std::isfinite(d) ? d / scale : INFINITY);
    };
    for (int64_t h = 0; h < H; ++h) cmp(ref_mean[s * H + h], mean[s * H + h]);
    for (int64_t i = 0; i < n_cells; ++i) cmp(ref_quant[s * n_cells + i], quant[s * n_cells + i]);
    if (same) {
      ++n_same;
      n_strict += strict;
      n_close += err <= 2e-2;
      if (!strict && err > worst_same) worst_same = err, worst_same_series = s;
    } else if (err > worst_other) {
      worst_other = err, worst_other_series = s;
    }
  }
  std::printf("PARITY arima S=%lld T=%lld m=%d same_order=%.4f strict_of_same=%.4f close_of_same=%.4f "
              "worst_rel_same=%.3g (series %lld) worst_rel_other=%.3g (series %lld) fallback cpu=%lld gpu=%lld\n",
              static_cast<long long>(S), static_cast<long long>(T), sh.m, static_cast<double>(n_same) / S,
              n_same > 0 ? static_cast<double>(n_strict) / n_same : 0.0,
              n_same > 0 ? static_cast<double>(n_close) / n_same : 0.0, worst_same,
              static_cast<long long>(worst_same_series), worst_other, static_cast<long long>(worst_other_series),
              static_cast<long long>(n_fb_cpu), static_cast<long long>(n_fb_gpu));
  EXPECT_GE(static_cast<double>(n_same), 0.90 * S);
  EXPECT_GE(static_cast<double>(n_strict), 0.90 * n_same) << "worst series " << worst_same_series << ": " << worst_same;
  EXPECT_GE(static_cast<double>(n_close), 0.99 * n_same) << "worst series " << worst_same_series << ": " << worst_same;
  EXPECT_LE(std::llabs(n_fb_gpu - n_fb_cpu), std::max<int64_t>(1, S / 50));
  for (float v : mean) ASSERT_TRUE(std::isfinite(v)) << "an unwritten or non-finite mean";
  for (float v : quant) ASSERT_TRUE(std::isfinite(v)) << "an unwritten or non-finite quantile";
}

}  // namespace

// Monthly-like with the exact search (T = 144 <= 150), and daily-like past the fitting window
// (T = 800: the last 728 steps, CSS search), 1 and 2,000 / 1,000 series.
TEST_F(StatModelsGpu, ArimaOrdersAndForecasts) {
  check_arima({1, 144, 12, 18}, 21);
  check_arima({2000, 144, 12, 18}, 22);
  check_arima({1000, 800, 7, 28}, 23);
}
