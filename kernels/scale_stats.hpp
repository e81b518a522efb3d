// kernels/scale_stats.hpp — per-series scale statistics over observed (non-NaN) values.
//
// For each series s (row of y [S, T], row-major, NaN = not observed):
//   count[s] = number of finite values
//   mean[s]  = their mean (0 when count = 0)
//   std[s]   = their population standard deviation (0 when count < 2)
// Accumulation is in double (STYLE K6), so a long series of large values loses nothing.
#pragma once

#include <cstdint>

namespace skucast {

// CPU reference. y, count, mean, std are host pointers. OpenMP over series.
void scale_stats_cpu(const float* y /*[S, T]*/, int64_t n_series, int64_t n_steps,
                     int32_t* count /*[S]*/, float* mean /*[S]*/, float* std /*[S]*/);

// CUDA twin, same arguments and layout; all pointers are device pointers; `stream` is a
// cudaStream_t (opaque here so the header stays CUDA-free). Asynchronous on the stream.
// Throws DeviceError ("rebuild with -DSKUCAST_CUDA=ON") in a build without CUDA.
void scale_stats_cuda(const float* y /*[S, T]*/, int64_t n_series, int64_t n_steps,
                      int32_t* count /*[S]*/, float* mean /*[S]*/, float* std /*[S]*/, void* stream);

}  // namespace skucast
