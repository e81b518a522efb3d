// kernels/cuda_stubs.cpp — the CUDA entry points in a build without CUDA (STYLE L3):
// they exist, and fail with a clear message. Device queries answer "no device".
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "kernels/scale_stats.hpp"

namespace skucast {

namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw DeviceError(std::string(what) + ": this skucast was built without CUDA; rebuild with -DSKUCAST_CUDA=ON");
}
}  // namespace

int cuda_device_count() { return 0; }
std::string cuda_device_description() { return "built without CUDA"; }
bool built_with_cuda() { return false; }

void scale_stats_cuda(const float*, int64_t, int64_t, int32_t*, float*, float*, void*) { no_cuda("scale_stats_cuda"); }

}  // namespace skucast
