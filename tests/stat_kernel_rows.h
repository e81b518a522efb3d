// tests/stat_kernel_rows.h — the GPU statistical models' per-series function
// (stat_gpu_forecast_row, engine/stat/gpu_series.h) compiled for the host and run over the rows
// of a panel: what each CUDA thread of stat_forecast_cuda computes, here on machines without a
// device. For the tests that pin the kernel's code to forecast_batch (its CPU twin) and read the
// kernel's ARIMA order output on the host; production runs forecast_batch.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/stat/gpu_models.h"
#include "engine/stat/gpu_series.h"

namespace skucast::test {

template <StatGpuFamily kFamily>
void stat_kernel_rows_family(const StatGpuParams& p, const float* y, int64_t n_series, float* mean, float* quantiles,
                             uint8_t* fallback) {
  const int64_t H = p.horizon, n_cells = H * p.n_levels;
#pragma omp parallel
  {
    std::vector<double> w(static_cast<size_t>(p.scratch_per_series));  // this thread's series scratch
#pragma omp for schedule(dynamic, 16)
    for (int64_t s = 0; s < n_series; ++s)
      fallback[s] = stat_gpu_forecast_row<kFamily>(p, y + s * p.n_steps, w.data(), mean + s * H, quantiles + s * n_cells,
                                                   p.orders != nullptr ? p.orders + s * kStatGpuOrderFields : nullptr)
                        ? 1
                        : 0;
  }
}

// All host memory: p from stat_gpu_params (p.levels, p.orders on the host). [in] y [S, T]
// (NaN = missing); [out] mean [S, H], quantiles [S, H, Q], fallback [S] (1 = a fallback), and
// p.orders [S, kStatGpuOrderFields] when set.
inline void stat_kernel_rows_on_host(const StatGpuParams& p, const float* y, int64_t n_series, float* mean,
                                     float* quantiles, uint8_t* fallback) {
  switch (stat_gpu_family(p.model)) {
    case StatGpuFamily::Simple:
      return stat_kernel_rows_family<StatGpuFamily::Simple>(p, y, n_series, mean, quantiles, fallback);
    case StatGpuFamily::Ets: return stat_kernel_rows_family<StatGpuFamily::Ets>(p, y, n_series, mean, quantiles, fallback);
    case StatGpuFamily::Theta:
      return stat_kernel_rows_family<StatGpuFamily::Theta>(p, y, n_series, mean, quantiles, fallback);
    case StatGpuFamily::Croston:
      return stat_kernel_rows_family<StatGpuFamily::Croston>(p, y, n_series, mean, quantiles, fallback);
    case StatGpuFamily::Arima:
      return stat_kernel_rows_family<StatGpuFamily::Arima>(p, y, n_series, mean, quantiles, fallback);
  }
}

}  // namespace skucast::test
