// kernels/hd.hpp — SKU_HD: marks the code that is compiled for both the CPU and the GPU: the
// per-series statistical model code, and the per-element math of the kernels/ ops
// (kernels/<op>_math.hpp, STYLE B10, called by both <op>_cpu.cpp and cuda/<op>.cu; the rules
// below hold for it too).
//
// Note [One source for CPU and GPU models]: the statistical models are pure per-series
// functions on caller buffers with fixed-size scratch (engine/stat/model.h, STYLE B7). Their
// cores live in headers as `inline SKU_HD` functions: a .cpp (host compiler) instantiates them
// for forecast_batch, engine/stat/cuda/gpu_models.cu (nvcc) for one CUDA thread per series. Under
// nvcc SKU_HD is __host__ __device__; otherwise it is empty, so the CPU build never sees CUDA.
// Rules for code marked SKU_HD: no std::vector, exceptions, allocation, virtual calls or
// <algorithm>; only <cmath> functions CUDA provides in device code (std::log, std::log1p, std::exp,
// std::pow, std::sqrt, std::fabs, std::isfinite, std::isnan, std::cos, std::sin, std::erfc, std::tanh,
// std::ceil, std::trunc, std::nearbyint, std::fmax); no std::swap (not a device function in
// C++17: swap by hand); no namespace-scope arrays (device code cannot index host arrays);
// no recursion (Note [ARIMA kernel stack] in engine/stat/cuda/gpu_models.cu); host-only pieces sit behind
// `#ifndef __CUDA_ARCH__`. The GPU build compiles engine/stat/cuda/gpu_models.cu with -fmad=false, so the device
// does the same IEEE double operations as the host and the only differences left come from
// the device's log/exp/pow/erfc (within 1-2 ulp of glibc's): tests/gpu/test_stat_models_parity.cpp.
#pragma once

#if defined(__CUDACC__)
#define SKU_HD __host__ __device__
#else
#define SKU_HD
#endif
