// engine/stat/gpu_models.h — the batched statistical models on the GPU (one CUDA thread per
// series). Their CPU twin (STYLE B3) is the batch runner, forecast_batch (engine/stat/model.h).
//
// The per-series code is the CPU models' own (Note [One source for CPU and GPU models] in
// kernels/hd.hpp): engine/stat/gpu_series.h runs the batch runner's preparation
// (trim, interpolate, all-NaN -> 0 + fallback), the model with forecast_batch's fallbacks,
// then sorted quantiles and non-negative clipping, exactly as forecast_batch does for
// make_stat_model(name). Which models have this path is said by their entries in the one
// registry of model names (engine/stat/model.cpp): naive, snaive, ma, ses, holt, damped,
// hw_add, hw_mul, ets, theta, croston, sba, tsb, croston_opt, arima (not arimax, ensembles,
// regressors or transforms: forecast_batch runs those).
//
// Two entry points:
//   stat_forecast_cuda   the launcher on device pointers (one block of series, one stream).
//   forecast_batch_cuda  host convenience: streams the host panel through the device in
//                        blocks of series, so memory is bounded by the block, not by S x T.
// In a CPU-only build (SKUCAST_CUDA=OFF) both throw DeviceError "rebuild with
// -DSKUCAST_CUDA=ON" (engine/stat/gpu_models_cpu_only.cpp, STYLE L3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/stat/model.h"
#include "kernels/stream.hpp"

namespace skucast {

enum class StatGpuModel : int {
  Naive, Snaive, Ma,                             // StatGpuFamily::Simple
  Ses, Holt, Damped, HwAdd, HwMul, Ets,          // StatGpuFamily::Ets
  Theta,                                         // StatGpuFamily::Theta
  Croston, Sba, Tsb, CrostonOpt,                 // StatGpuFamily::Croston
  Arima,                                         // StatGpuFamily::Arima
};

// Kernels are compiled once per family (each its own register budget: Note [Stat kernel
// mapping] in engine/stat/cuda/gpu_models.cu).
enum class StatGpuFamily : int { Simple, Ets, Theta, Croston, Arima };

// From the registry of make_stat_model (engine/stat/model.cpp), whose entries name their GPU
// kernel: the kernel of the model named `name` ("ets", "theta", ...; InputError naming it and
// listing stat_gpu_model_names() when it has none), and the names of the models that have one,
// in registry order.
StatGpuModel stat_gpu_model(const std::string& name);
std::vector<std::string> stat_gpu_model_names();
StatGpuFamily stat_gpu_family(StatGpuModel model);

// One batch call's parameters (plain data, passed by value to the kernel).
struct StatGpuParams {
  StatGpuModel model = StatGpuModel::Naive;
  int64_t n_steps = 0;            // T
  int season_length = 1;          // m
  int64_t horizon = 0;            // H
  const double* levels = nullptr;  // [Q] ascending in (0, 1); device memory for the kernel
  int n_levels = 0;               // Q
  int64_t scratch_per_series = 0;  // doubles of scratch per series: stat_gpu_scratch_doubles()
  // Optional, arima only (a diagnostic for the parity tests and benchmarks): [S, 8] the chosen
  // order (p, d, q, P, D, Q, m, constant) per series, all -1 where no ARIMA was fitted (a
  // fallback, a constant series). Device memory for the kernel.
  int32_t* orders = nullptr;
};

inline constexpr int kStatGpuOrderFields = 8;

// Doubles of scratch one series needs: the prepared series [T], its outputs [H + H*Q] and the
// model's work space (sd [H], residual copies [T] ...; for arima the order search's and the
// forecast's buffers, which depend on the season length m: Note [ARIMA scratch] in
// engine/stat/arima/core.h).
int64_t stat_gpu_scratch_doubles(StatGpuModel model, int64_t n_steps, int season_length, int64_t horizon,
                                 int n_levels);

// Validated parameters for a batch (throws InputError as forecast_batch does for a bad
// horizon, season length or levels); levels points at the caller's host vector.
StatGpuParams stat_gpu_params(StatGpuModel model, int64_t n_steps, int season_length, int64_t horizon,
                              const std::vector<double>& levels);

// Launcher, all device memory, asynchronous on `stream` (no host sync). [in] y [S, T]
// (NaN = missing), p.levels [Q]; scratch [S, p.scratch_per_series] doubles; [out] mean [S, H],
// quantiles [S, H, Q], fallback [S] (1 when the series used a fallback).
void stat_forecast_cuda(const StatGpuParams& p, const float* y, int64_t n_series, double* scratch, float* mean,
                        float* quantiles, uint8_t* fallback, cudaStream_t stream);

struct StatGpuOptions {
  // Device memory one block of series may use (input, scratch, outputs); the block size
  // follows from it, and two blocks are in flight (Note [Stat block pipeline] in
  // engine/stat/cuda/gpu_models.cu). 0: 2 GiB, or more when 2 GiB would hold fewer series than
  // the device keeps resident (Note [Stat block size]), within a quarter of the free memory.
  size_t max_block_bytes = 0;
};

// Host convenience: the same result as forecast_batch(*make_stat_model(model), ...) (up to
// Note [GPU parity] in tests/gpu/test_stat_models_parity.cpp), computed on the current CUDA
// device. [in] y [S, T] host; returns host outputs.
BatchForecast forecast_batch_cuda(const std::string& model, const float* y, int64_t n_series, int64_t n_steps,
                                  int season_length, int64_t horizon, const std::vector<double>& levels,
                                  const StatGpuOptions& opt = {});

}  // namespace skucast
