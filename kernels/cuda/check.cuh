// kernels/cuda/check.cuh — SKU_CUDA_CHECK, SKU_CUDNN_CHECK, SKU_CUBLAS_CHECK and launch
// checks (STYLE M7, M8).
// Defines: SKU_CUDA_CHECK(call), SKU_CUDNN_CHECK(call), SKU_CUBLAS_CHECK(call),
// SKU_CHECK_LAUNCH(name). Each failure throws
// skucast::DeviceError with the call text and file:line. SKUCAST_DEBUG_SYNC=1 also
// synchronizes after every launch so asynchronous faults point at their kernel.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdint>
#include <string>

#include "kernels/common.hpp"

namespace skucast::detail {
[[noreturn]] inline void throw_cuda(cudaError_t err, const char* call, const char* file, int line) {
  throw DeviceError(std::string(call) + " failed: " + cudaGetErrorString(err) + " (" + file + ":" +
                    std::to_string(line) + ")");
}
[[noreturn]] inline void throw_cudnn(cudnnStatus_t st, const char* call, const char* file, int line) {
  throw DeviceError(std::string(call) + " failed: " + cudnnGetErrorString(st) + " (" + file + ":" +
                    std::to_string(line) + ")");
}
[[noreturn]] inline void throw_cublas(cublasStatus_t st, const char* call, const char* file, int line) {
  throw DeviceError(std::string(call) + " failed: " + cublasGetStatusString(st) + " (" + file + ":" +
                    std::to_string(line) + ")");
}
}  // namespace skucast::detail

#define SKU_CUDA_CHECK(call)                                                        \
  do {                                                                              \
    cudaError_t sku_err_ = (call);                                                  \
    if (sku_err_ != cudaSuccess) ::skucast::detail::throw_cuda(sku_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define SKU_CUDNN_CHECK(call)                                                        \
  do {                                                                               \
    cudnnStatus_t sku_st_ = (call);                                                  \
    if (sku_st_ != CUDNN_STATUS_SUCCESS) ::skucast::detail::throw_cudnn(sku_st_, #call, __FILE__, __LINE__); \
  } while (0)

#define SKU_CUBLAS_CHECK(call)                                                       \
  do {                                                                               \
    cublasStatus_t sku_st_ = (call);                                                 \
    if (sku_st_ != CUBLAS_STATUS_SUCCESS) ::skucast::detail::throw_cublas(sku_st_, #call, __FILE__, __LINE__); \
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

namespace skucast {

// Blocks of a grid-stride launch over n elements with `block` threads a block: enough to give
// every element a thread, at least 1 and at most 4,096 (~30 per SM on an H200: loads enough in
// flight; the kernel strides over the rest). Shared by the element-wise kernels' launchers.
inline int grid_stride_blocks(int64_t n, int block) {
  const int64_t b = (n + block - 1) / block;
  return static_cast<int>(b < 1 ? 1 : b > 4096 ? 4096 : b);
}

}  // namespace skucast

