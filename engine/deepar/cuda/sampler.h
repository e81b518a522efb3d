// engine/deepar/cuda/sampler.h — DeepAR's ancestral sampling on the GPU: the device
// twin of forecast_paths_cpu (engine/deepar/internal.h, engine/deepar/paths.cpp), behind the Sampler interface
// (engine/deepar/sampler.h, make_sampler with Device::Cuda). Internal to engine/deepar; no CUDA types
// (STYLE B4). engine/deepar/cuda/sampler.cpp (host orchestration) and engine/deepar/cuda/sampler.cu
// (kernels), compiled in CUDA builds only; in a CPU-only build make_sampler refuses Device::Cuda
// (STYLE L3).
//
// Note [DeepAR forecasting on the GPU]
//   The catalog streams through the device in blocks of nb series (nb from the byte budget,
//   below). Per block:
//     1. the host composes what the CPU composes before sampling (forecast_block_inputs: the
//        local history ys [nb, L], the scales nu [nb] (and the locations, Note [Window
//        location], when the model has them), the encoder inputs x [ctx, nb, F] and
//        the covariate/embedding columns of the H future steps, exog [H, nb, E]) into pinned
//        memory; one async copy takes them in. Two stagings alternate: the host composes
//        block k+1 while the device runs block k (the host part is a CPU pass over the
//        series' history and covariates, comparable to the device's work on large blocks);
//     2. the encoder: CudnnRnn forward over the `context` steps (Phase::Inference, no
//        per-sequence lengths: like the CPU, steps before a series' launch are inputs with
//        the observed flag 0, not padding), from zero states;
//     3. its final states and ys are replicated to the R = nb*N paths (row r = i*N + p, the
//        CPU's order), the scales (and locations) too;
//     4. per horizon step h: features_fwd (kernels/features.hpp, the CUDA twin of
//        features_fwd_cpu) cuts the base columns of step T+h from each path's own history
//        (lags, rolling statistics, the shared calendar columns; relative to the path's
//        location when there is one), step_inputs_fwd appends the
//        exog columns; one CudnnRnn step (T = 1, h0/c0 = the previous step's h_n/c_n); the
//        dense head on cuBLAS (FP32, no TF32); sample_paths_fwd draws every row from the
//        same counter-based generator as the CPU (engine/deepar/sample.h, Note [Identical draws on
//        both devices]), plus the path's location, writes it into the path's history and into
//        paths [nb, H, N];
//     5. means in path order (double sums, as the CPU), quantiles from a sort of the N paths
//        of every (series, step) (Note [Sorting the paths] in engine/deepar/cuda/sampler.cu; type
//        7, quantile_sorted); point losses
//        (mse, mae) decode their one path and take the CPU's Gaussian quantiles
//        mean + nu * resid_sd * sqrt(h+1) * z_q with z_q computed on the host;
//     6. mean [nb, H] and quantiles [nb, H, Q] come back; the host copies them into place.
//   What differs from the CPU is FP32 rounding in cuDNN/cuBLAS vs OpenBLAS (no TF32): the
//   head outputs differ by ~1e-6 relative, a draw by as much, and through feedback into the
//   lags the paths drift apart by rounding only. Same seed, same draws: means and quantiles
//   agree to ~1e-4 relative, the deterministic point-loss path to ~1e-5
//   (tests/gpu/test_deepar_forecast_parity.cpp).
//   Memory: nb = budget / (bytes per series), bytes per series = N paths x (their history,
//   inputs, states in and out, cuDNN workspace, head, paths and sort copy) + the series'
//   encoder inputs and outputs (forecast_block_bytes). Budget: CudaForecastOptions
//   (`skucast forecast --gpu-memory`), default 2 GiB; at least one series per block.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/deepar/internal.h"
#include "engine/deepar/sampler.h"  // forecast_block_bytes, forecast_block_series

namespace skucast::deepar {

struct CudaForecastOptions {
  size_t max_block_bytes = 0;  // device memory one block of series may use; 0 = 2 GiB
};

// The GPU twin of forecast_paths_cpu: the same request, the same outputs (host vectors).
// Throws InputError on a bad request, DeviceError without a usable device. CUDA builds only:
// make_sampler (engine/deepar/sampler.h) is how the forecaster reaches it.
PathForecast forecast_paths_cuda(const Layout& l, const PanelData& d, const PathRequest& r,
                                 const CudaForecastOptions& opt = {});

}  // namespace skucast::deepar
