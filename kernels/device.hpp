// kernels/device.hpp — what accelerator this process can use.
// Without a GPU, cudaGetDeviceCount returns an error (no driver): that means "no device",
// never a crash. In a build without CUDA every query answers "no device".
#pragma once

#include <string>

namespace skucast {

// Number of usable CUDA devices (0 when none, or when built without CUDA).
int cuda_device_count();
// Why there is no device ("built without CUDA", "no CUDA driver: ..."), or the device name.
std::string cuda_device_description();
// True when this binary was built with the CUDA backend.
bool built_with_cuda();

}  // namespace skucast
