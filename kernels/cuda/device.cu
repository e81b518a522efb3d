// kernels/cuda/device.cu — device discovery in a CUDA build.
#include <cuda_runtime.h>

#include <string>

#include "kernels/device.hpp"

namespace skucast {

int cuda_device_count() {
  int n = 0;
  // No driver / no device returns an error: that is "no device", not a failure.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error state
    return 0;
  }
  return n;
}

std::string cuda_device_description() {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return cudaGetErrorString(err);  // callers say "no CUDA device (<this>)"
  }
  if (n == 0) return "the driver reports no device";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "CUDA device 0 (properties unavailable)";
  return std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
}

bool built_with_cuda() { return true; }

}  // namespace skucast
