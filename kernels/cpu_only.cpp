// kernels/cpu_only.cpp — the CUDA entry points in a build without CUDA (STYLE L3):
// they exist, and fail with a clear message. Device queries answer "no device".
#ifndef SKUCAST_HAVE_CUDA  // a CUDA build defines these in the cuda/ folder

#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "kernels/adam.hpp"
#include "kernels/features.hpp"
#include "kernels/likelihood.hpp"

namespace skucast {

namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw DeviceError(std::string(what) + ": this skucast was built without CUDA; rebuild with -DSKUCAST_CUDA=ON");
}
}  // namespace

int cuda_device_count() { return 0; }
std::string cuda_device_description() { return "built without CUDA"; }
bool built_with_cuda() { return false; }

void adam_step(const AdamParams&, const AdamClip&, float*, const float*, float*, float*, int64_t, cudaStream_t) {
  no_cuda("adam_step");
}
void grad_sq_norm(const float*, int64_t, double*, NormWrite, cudaStream_t) { no_cuda("grad_sq_norm"); }

void likelihood_fwd_bwd(const LikelihoodParams&, const float*, const float*, const float*, const float*, int64_t,
                        int64_t, double, const double*, float*, float*, cudaStream_t) {
  no_cuda("likelihood_fwd_bwd");
}
void likelihood_weight_sum(const float*, const float*, int64_t, int64_t, double*, cudaStream_t) {
  no_cuda("likelihood_weight_sum");
}

void features_fwd(const FeatureSpec&, const float*, int64_t, int64_t, const float*, const WindowBatch&, const float*,
                  int64_t, float*, cudaStream_t) {
  no_cuda("features_fwd");
}
void window_scale(const float*, int64_t, int64_t, const WindowBatch&, int64_t, float*, cudaStream_t) {
  no_cuda("window_scale");
}
void window_target(const float*, int64_t, int64_t, const WindowBatch&, float*, cudaStream_t) { no_cuda("window_target"); }

}  // namespace skucast

#endif  // SKUCAST_HAVE_CUDA
