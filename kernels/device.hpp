// kernels/device.hpp — what accelerator this process can use, and the one place where a
// command's --device request becomes a device (resolve_device).
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

// Where a part of a run executes.
enum class Device { Cpu, Cuda };

struct DeviceChoice {
  Device device = Device::Cpu;
  // Empty when the request is met; otherwise why it is not, in a few words ("no CUDA
  // device (...)", "this skucast was built without CUDA (rebuild with -DSKUCAST_CUDA=ON)",
  // or the part's own reason), for the caller's one-line note.
  std::string note;
};

// Note [Device choice]
//   Every command picks the device of each part of its run here. `requested` is the --device
//   value: "cpu" and "auto" run on the CPU (auto keeps the CPU until the GPU parity tests have
//   run on a device and their agreement has been measured); "cuda" runs on the GPU when this
//   build has CUDA, a device is present and the part can (`unable`: empty when the part has
//   a GPU path for this request, else why not, e.g. "model 'arimax' has no GPU path").
//   A "cuda" request that cannot be met runs on the CPU and says why in `note`; the caller
//   prints it in one line naming the part. Any other value is an InputError naming it.
DeviceChoice resolve_device(const std::string& requested, const std::string& unable = "");

}  // namespace skucast
