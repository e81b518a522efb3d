// kernels/cuda_check.cuh — SKU_CUDA_CHECK and launch checks (STYLE M7, M8).
// Defines: SKU_CUDA_CHECK(call), sku_check_launch(name). Each failure throws
// skucast::DeviceError with the call text and file:line. SKUCAST_DEBUG_SYNC=1 also
// synchronizes after every launch so asynchronous faults point at their kernel.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "kernels/common.hpp"

namespace skucast::detail {
[[noreturn]] inline void throw_cuda(cudaError_t err, const char* call, const char* file, int line) {
  throw DeviceError(std::string(call) + " failed: " + cudaGetErrorString(err) + " (" + file + ":" +
                    std::to_string(line) + ")");
}
}  // namespace skucast::detail

#define SKU_CUDA_CHECK(call)                                                        \
  do {                                                                              \
    cudaError_t sku_err_ = (call);                                                  \
    if (sku_err_ != cudaSuccess) ::skucast::detail::throw_cuda(sku_err_, #call, __FILE__, __LINE__); \
  } while (0)

#ifdef SKUCAST_DEBUG_SYNC
#define SKU_CHECK_LAUNCH(name)                        \
  do {                                               \
    SKU_CUDA_CHECK(cudaGetLastError());              \
    SKU_CUDA_CHECK(cudaDeviceSynchronize());         \
  } while (0)
#else
#define SKU_CHECK_LAUNCH(name) SKU_CUDA_CHECK(cudaGetLastError())
#endif
