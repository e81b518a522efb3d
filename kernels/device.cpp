// kernels/device.cpp — resolve_device (Note [Device choice] in kernels/device.hpp), host code
// for both builds: the device queries it calls answer "no device" without CUDA.
#include "kernels/device.hpp"

#include "kernels/common.hpp"

namespace skucast {

DeviceChoice resolve_device(const std::string& requested, const std::string& unable) {
  if (requested != "auto" && requested != "cpu" && requested != "cuda")
    throw InputError("--device must be auto, cpu or cuda, got '" + requested + "'");
  DeviceChoice c;
  if (requested != "cuda") return c;
  if (!built_with_cuda())
    c.note = "this skucast was built without CUDA (rebuild with -DSKUCAST_CUDA=ON)";
  else if (cuda_device_count() == 0)
    c.note = "no CUDA device (" + cuda_device_description() + ")";
  else if (!unable.empty())
    c.note = unable;
  else
    c.device = Device::Cuda;
  return c;
}

}  // namespace skucast
