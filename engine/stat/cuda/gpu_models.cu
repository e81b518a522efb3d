// engine/stat/cuda/gpu_models.cu — the batched statistical models on the GPU (see engine/stat/gpu_models.h).
// defines: stat_forecast_kernel<Family> (one thread per series), stat_forecast_cuda
// (launcher), forecast_batch_cuda (host wrapper streaming blocks of series through two
// pipelined lanes, Note [Stat block pipeline]).
// uses: engine/stat/gpu_series.h (the per-series function: the CPU models' own code).
//
// Note [Stat kernel mapping]: one thread per series for every model (STYLE B7, as cuML's
// Holt-Winters). The work of a series is a chain of dependent recursions — the ETS filter
// over t inside Nelder-Mead's sequential loop inside the sequential model selection; Croston,
// Theta and the naive family are one or two passes over t — so a warp per series would leave
// 31 lanes idle in exactly the part that costs (the only parallel pieces, preparation and the
// residual quantiles, are a few passes over T). Threads of a warp run the same code on series
// of the same length, so they stay converged except where Nelder-Mead stops at different
// iterations or the fallback paths differ. Each family is its own kernel so that the naive
// family does not carry the register budget of ETS. Per-thread state: the Nelder-Mead simplex
// (33 x 32 doubles) and ETS's fixed arrays live in local memory, cached in L1/L2 (stack
// frames: see the ptxas figures for every family below), which a 1,000,000-series grid does not
// multiply: local memory is reserved per thread an SM can hold (Note [ARIMA kernel stack]), not
// per launched one. The series itself and the variable-length work
// space (prepared y, outputs, residual copies) are in global scratch, [S, scratch_per_series].
// ARIMA (its own family, so that its budget stays out of the others' kernels) is the heaviest:
// the stepwise order search runs up to 94 CSS or maximum-likelihood fits in sequence, each
// Nelder-Mead over the exact-likelihood filter. Registers / stack frame per thread (cuobjdump
// -res-usage of this file, sm_90, CUDA 13.0, each family's branch by `if constexpr`): ARIMA
// 255 / 39 KB, ETS 192 / 16 KB, Theta 168 / 13 KB, Simple and Croston 96 / none. Its
// matrices and series buffers (~76 KB per 120-step monthly series) are in the global scratch
// (Note [ARIMA scratch] in engine/stat/arima/core.h), [S, scratch_per_series] like the other families'.
//
// Note [ARIMA kernel stack]: the device path has no recursion and no indirect calls (the
// ARIMAX recursion of arima_forecast and the trace are host-only), so the frame size is known
// at compile time, and the driver raises the per-thread stack limit (cudaLimitStackSize,
// 1 KB by default) to what a kernel needs at its launch ("the driver automatically increases
// the per-thread stack size for each kernel launch as needed", cuCtxSetLimit). So skucast does
// not set the limit itself. The driver reserves that stack for every thread an SM could hold
// (2,048), not only the ones the kernel's registers let it keep resident: 39 KB x 2,048 x 132
// SMs = 10.5 GB on an H200 for ARIMA (ETS: 4.3 GB), held until the process ends;
// default_block_bytes leaves it out of the block budget. Should a later
// change introduce recursion (ptxas then warns that the stack size cannot be statically
// determined), the launcher must call cudaDeviceSetLimit(cudaLimitStackSize, ...) before the
// launch.
// Compiled with -fmad=false (CMakeLists.txt): no FMA contraction, so the device does the
// host's IEEE operations (Note [One source for CPU and GPU models] in kernels/hd.hpp).
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/deepar/cuda/util.h"
#include "engine/stat/gpu_models.h"
#include "engine/stat/gpu_series.h"
#include "kernels/common.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/device_buffer.hpp"

namespace skucast {

// ---------------------------------------------------------------- kernels ----

// One series per thread. [in] y [S, T]; scratch [S, p.scratch_per_series]; [out] mean [S, H],
// quantiles [S, H, Q], fallback [S].
template <StatGpuFamily kFamily>
__global__ void stat_forecast_kernel(StatGpuParams p, const float* __restrict__ y, int64_t n_series,
                                     double* __restrict__ scratch, float* __restrict__ mean,
                                     float* __restrict__ quantiles, uint8_t* __restrict__ fallback) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;  // series
  if (s >= n_series) return;
  const int64_t H = p.horizon, n_cells = H * p.n_levels;
  int32_t* order = p.orders != nullptr ? p.orders + s * kStatGpuOrderFields : nullptr;  // [8] arima's diagnostic
  const bool fb = stat_gpu_forecast_row<kFamily>(p, y + s * p.n_steps, scratch + s * p.scratch_per_series,
                                                 mean + s * H, quantiles + s * n_cells, order);
  fallback[s] = fb ? 1 : 0;
}

// -------------------------------------------------------------- launchers ----

namespace {

// Block size per family (K3): 128 threads for the heavy fitted models (ETS, Theta, ARIMA: many
// registers and ~15 KB local memory per thread, so occupancy is bounded by registers and a
// smaller block leaves fewer idle threads in the tail), 256 for the light ones.
int stat_block_size(StatGpuFamily f) {
  return f == StatGpuFamily::Ets || f == StatGpuFamily::Theta || f == StatGpuFamily::Arima ? 128 : 256;
}

// What family kFamily's kernel holds on this device: the series it keeps resident at once
// (blocks per SM from its registers and stack, by the occupancy API, x SMs x block size) and
// the local memory the driver reserves for its stack frame once it launches (Note [ARIMA
// kernel stack]): frame x the SM's maximum resident threads x SMs, whatever the occupancy.
struct FamilyFootprint {
  int64_t resident_series = 1;
  size_t stack_reserve = 0;
};

template <StatGpuFamily kFamily>
FamilyFootprint family_footprint() {
  int dev = 0, n_sm = 0, per_sm = 0, max_threads = 0;
  SKU_CUDA_CHECK(cudaGetDevice(&dev));
  SKU_CUDA_CHECK(cudaDeviceGetAttribute(&n_sm, cudaDevAttrMultiProcessorCount, dev));
  SKU_CUDA_CHECK(cudaDeviceGetAttribute(&max_threads, cudaDevAttrMaxThreadsPerMultiProcessor, dev));
  const int block = stat_block_size(kFamily);
  SKU_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, stat_forecast_kernel<kFamily>, block, 0));
  cudaFuncAttributes attr{};
  SKU_CUDA_CHECK(cudaFuncGetAttributes(&attr, stat_forecast_kernel<kFamily>));
  FamilyFootprint f;
  f.resident_series = static_cast<int64_t>(n_sm) * per_sm * block;
  f.stack_reserve = attr.localSizeBytes * static_cast<size_t>(max_threads) * static_cast<size_t>(n_sm);
  return f;
}

FamilyFootprint footprint(StatGpuFamily f) {
  switch (f) {
    case StatGpuFamily::Simple: return family_footprint<StatGpuFamily::Simple>();
    case StatGpuFamily::Ets: return family_footprint<StatGpuFamily::Ets>();
    case StatGpuFamily::Theta: return family_footprint<StatGpuFamily::Theta>();
    case StatGpuFamily::Croston: return family_footprint<StatGpuFamily::Croston>();
    case StatGpuFamily::Arima: return family_footprint<StatGpuFamily::Arima>();
  }
  return {};
}

// Note [Stat block size]: forecast_batch_cuda streams the panel in blocks of series, each
// holding its input rows, scratch and outputs on the device. The default budget, 2 GiB, holds
// ~100,000 series of the light models, but ARIMA's per-series scratch (the order search's
// buffers and the covariance matrices, Note [ARIMA scratch] in engine/stat/arima/core.h: ~76 KB for 120
// monthly steps, ~125 KB for 728 daily ones) would cut a block to 17,000-28,000 series, fewer than an
// H200 keeps resident (132 SMs x the kernel's blocks per SM x 128), leaving SMs idle in every
// block and paying each block's tail (its slowest warp) many times. So without an explicit
// budget a block holds at least four waves of resident series, as long as the two blocks in
// flight (Note [Stat block pipeline]) fit in half of the free device memory left after the
// kernel's stack reservation (counted even when an earlier launch already made it: the
// estimate errs small).
size_t default_block_bytes(StatGpuFamily f, int64_t per_series_bytes) {
  const size_t base = size_t{2} << 30;
  size_t free_b = 0, total_b = 0;
  SKU_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const FamilyFootprint fp = footprint(f);
  free_b -= std::min(free_b, fp.stack_reserve);
  const size_t want = static_cast<size_t>(checked_mul(checked_mul(4, fp.resident_series), per_series_bytes));
  const size_t cap = free_b / 4;  // per block: two in flight
  return std::max(std::min(base, cap), std::min(want, cap));
}

template <StatGpuFamily kFamily>
void launch_family(const StatGpuParams& p, const float* y, int64_t n_series, double* scratch, float* mean,
                   float* quantiles, uint8_t* fallback, cudaStream_t stream) {
  const int block = stat_block_size(kFamily);
  const int64_t n_blocks = (n_series + block - 1) / block;
  stat_forecast_kernel<kFamily><<<checked_int(n_blocks, "stat_forecast grid"), block, 0, stream>>>(
      p, y, n_series, scratch, mean, quantiles, fallback);
  SKU_CHECK_LAUNCH("stat_forecast_kernel");
}

}  // namespace

void stat_forecast_cuda(const StatGpuParams& p, const float* y, int64_t n_series, double* scratch, float* mean,
                        float* quantiles, uint8_t* fallback, cudaStream_t stream) {
  if (n_series < 0) throw InputError("stat_forecast_cuda: expected n_series >= 0, got " + std::to_string(n_series));
  if (n_series == 0) return;
  const int64_t need = stat_gpu_scratch_doubles(p.model, p.n_steps, p.season_length, p.horizon, p.n_levels);
  if (p.scratch_per_series < need)
    throw InputError("stat_forecast_cuda: scratch_per_series " + std::to_string(p.scratch_per_series) +
                     " is below the model's need of " + std::to_string(need));
  switch (stat_gpu_family(p.model)) {
    case StatGpuFamily::Simple:
      return launch_family<StatGpuFamily::Simple>(p, y, n_series, scratch, mean, quantiles, fallback, stream);
    case StatGpuFamily::Ets:
      return launch_family<StatGpuFamily::Ets>(p, y, n_series, scratch, mean, quantiles, fallback, stream);
    case StatGpuFamily::Theta:
      return launch_family<StatGpuFamily::Theta>(p, y, n_series, scratch, mean, quantiles, fallback, stream);
    case StatGpuFamily::Croston:
      return launch_family<StatGpuFamily::Croston>(p, y, n_series, scratch, mean, quantiles, fallback, stream);
    case StatGpuFamily::Arima:
      return launch_family<StatGpuFamily::Arima>(p, y, n_series, scratch, mean, quantiles, fallback, stream);
  }
}

// ------------------------------------------------------------ host wrapper ----

BatchForecast forecast_batch_cuda(const std::string& model, const float* y, int64_t n_series, int64_t n_steps,
                                  int season_length, int64_t horizon, const std::vector<double>& levels,
                                  const StatGpuOptions& opt) {
  if (n_series < 0 || n_steps < 0)
    throw InputError("forecast_batch_cuda: expected a non-negative shape, got [" + std::to_string(n_series) + ", " +
                     std::to_string(n_steps) + "]");
  StatGpuParams p = stat_gpu_params(stat_gpu_model(model), n_steps, season_length, horizon, levels);
  const int64_t Q = p.n_levels, n_cells = checked_mul(horizon, Q);
  BatchForecast out;
  out.n_series = n_series;
  out.horizon = horizon;
  out.levels = levels;
  out.mean.assign(static_cast<size_t>(checked_mul(n_series, horizon)), 0.0f);
  out.quantiles.assign(static_cast<size_t>(checked_mul(n_series, n_cells)), 0.0f);
  if (n_series == 0) return out;

  // Block of series: as many as fit max_block_bytes (input row, scratch, outputs), at most S
  // (Note [Stat block size]).
  const int64_t per_series = checked_mul(n_steps, sizeof(float)) + checked_mul(p.scratch_per_series, sizeof(double)) +
                             checked_mul(horizon + n_cells, sizeof(float)) + 1;
  const size_t budget =
      opt.max_block_bytes > 0 ? opt.max_block_bytes : default_block_bytes(stat_gpu_family(p.model), per_series);
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(n_series, static_cast<int64_t>(budget) / per_series));

  DeviceBuffer<double> d_levels(levels);  // [Q]
  p.levels = d_levels.data();

  // Note [Stat block pipeline]: the blocks go through two lanes, each with its own stream,
  // device buffers and page-locked staging. Block k runs on lane k % 2: its rows are copied
  // into the lane's pinned input, sent (async), forecast and sent back (async) on the lane's
  // stream; the host then prepares block k+1 on the other lane while the device still works
  // on block k. Before a lane takes a new block, the host waits for its previous one and moves
  // its outputs out of pinned memory. So block k+1's upload overlaps block k's kernel, and for
  // the light models (naive, snaive: transfer-bound) the two lanes' copies and kernels
  // overlap each other; for the fitted models the kernel dominates either way. Every block
  // computes the same series with the same code whichever lane runs it, so the outputs do not
  // depend on the block size or the lane (tests/gpu/test_stat_models_parity.cpp compares one
  // block with many). Device memory: two blocks of max_block_bytes (the second lane only when
  // there is more than one block).
  struct Lane {
    deepar::StreamPtr stream;
    DeviceBuffer<float> y, mean, quant;  // [B, T], [B, H], [B, H, Q]
    DeviceBuffer<double> scratch;        // [B, W]
    DeviceBuffer<uint8_t> fallback;      // [B]
    deepar::PinnedBuffer<float> h_y, h_mean, h_quant;
    deepar::PinnedBuffer<uint8_t> h_fallback;
    int64_t s0 = -1, b = 0;  // the block in flight (s0 < 0: none)
  };
  const int n_lanes = n_series > block ? 2 : 1;
  Lane lanes[2];
  for (int k = 0; k < n_lanes; ++k) {
    Lane& L = lanes[k];
    cudaStream_t st = nullptr;
    SKU_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    L.stream.reset(st);
    L.y = DeviceBuffer<float>(static_cast<size_t>(checked_mul(block, n_steps)));
    L.scratch = DeviceBuffer<double>(static_cast<size_t>(checked_mul(block, p.scratch_per_series)));
    L.mean = DeviceBuffer<float>(static_cast<size_t>(checked_mul(block, horizon)));
    L.quant = DeviceBuffer<float>(static_cast<size_t>(checked_mul(block, n_cells)));
    L.fallback = DeviceBuffer<uint8_t>(static_cast<size_t>(block));
    L.h_y = deepar::PinnedBuffer<float>(static_cast<size_t>(checked_mul(block, n_steps)));
    L.h_mean = deepar::PinnedBuffer<float>(static_cast<size_t>(checked_mul(block, horizon)));
    L.h_quant = deepar::PinnedBuffer<float>(static_cast<size_t>(checked_mul(block, n_cells)));
    L.h_fallback = deepar::PinnedBuffer<uint8_t>(static_cast<size_t>(block));
  }
  // Waits for the lane's block (if any) and moves its outputs into `out`.
  int64_t n_fallback = 0;
  auto harvest = [&](Lane& L) {
    if (L.s0 < 0) return;
    SKU_CUDA_CHECK(cudaStreamSynchronize(L.stream.get()));
    std::copy(L.h_mean.data(), L.h_mean.data() + L.b * horizon, out.mean.data() + L.s0 * horizon);
    std::copy(L.h_quant.data(), L.h_quant.data() + L.b * n_cells, out.quantiles.data() + L.s0 * n_cells);
    for (int64_t i = 0; i < L.b; ++i) n_fallback += L.h_fallback.data()[i];
    L.s0 = -1;
  };
  // On any exception the lanes' streams must be idle before their buffers are freed.
  struct Drain {
    Lane* lanes;
    int n;
    ~Drain() {
      for (int k = 0; k < n; ++k)
        if (lanes[k].stream) cudaStreamSynchronize(lanes[k].stream.get());  // errors ignored
    }
  } drain{lanes, n_lanes};
  int64_t k = 0;
  for (int64_t s0 = 0; s0 < n_series; s0 += block, ++k) {
    Lane& L = lanes[k % n_lanes];
    harvest(L);  // its previous block, two blocks ago
    const int64_t b = std::min(block, n_series - s0);
    const cudaStream_t st = L.stream.get();
    if (n_steps > 0) {
      std::copy(y + s0 * n_steps, y + (s0 + b) * n_steps, L.h_y.data());
      SKU_CUDA_CHECK(cudaMemcpyAsync(L.y.data(), L.h_y.data(), static_cast<size_t>(b * n_steps) * sizeof(float),
                                     cudaMemcpyHostToDevice, st));
    }
    stat_forecast_cuda(p, L.y.data(), b, L.scratch.data(), L.mean.data(), L.quant.data(), L.fallback.data(), st);
    SKU_CUDA_CHECK(cudaMemcpyAsync(L.h_mean.data(), L.mean.data(), static_cast<size_t>(b * horizon) * sizeof(float),
                                   cudaMemcpyDeviceToHost, st));
    if (n_cells > 0)  // no quantile levels: no quantile buffer
      SKU_CUDA_CHECK(cudaMemcpyAsync(L.h_quant.data(), L.quant.data(), static_cast<size_t>(b * n_cells) * sizeof(float),
                                     cudaMemcpyDeviceToHost, st));
    SKU_CUDA_CHECK(cudaMemcpyAsync(L.h_fallback.data(), L.fallback.data(), static_cast<size_t>(b),
                                   cudaMemcpyDeviceToHost, st));
    L.s0 = s0;
    L.b = b;
  }
  for (int64_t j = 0; j < n_lanes; ++j) harvest(lanes[(k + j) % n_lanes]);  // the older block first
  out.n_fallback = n_fallback;
  return out;
}

}  // namespace skucast
