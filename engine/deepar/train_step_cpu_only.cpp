// engine/deepar/train_step_cpu_only.cpp — CudaTrainStep in a build without CUDA (STYLE L3): the
// class exists and its constructor fails with the reason; nothing else can be reached.
#ifndef SKUCAST_HAVE_CUDA  // a CUDA build defines these in the cuda/ folder

#include <string>

#include "engine/deepar/cuda/train_step.h"
#include "kernels/common.hpp"

namespace skucast::deepar {

struct CudaTrainStep::Impl {};

namespace {
[[noreturn]] void no_cuda() {
  throw DeviceError("deepar: the GPU training step is not available: this skucast was built without CUDA; "
                    "rebuild with -DSKUCAST_CUDA=ON, or train on the CPU (--device cpu)");
}
}  // namespace

CudaTrainStep::CudaTrainStep(const Layout&, const PanelData&, int64_t, int64_t, const nn::AdamWConfig&,
                             const CudaTrainSetup&) {
  no_cuda();
}
CudaTrainStep::~CudaTrainStep() = default;
void CudaTrainStep::upload(const std::vector<float>&, const std::vector<float>&, const std::vector<float>&, int64_t) {
  no_cuda();
}
void CudaTrainStep::download(std::vector<float>&, std::vector<float>&, std::vector<float>&) { no_cuda(); }
void CudaTrainStep::set_lr(double) { no_cuda(); }
int64_t CudaTrainStep::n_submitted() const { return 0; }
CudaStepInputs CudaTrainStep::next_inputs(int64_t, int64_t) { no_cuda(); }
void CudaTrainStep::submit(const int64_t*, int64_t, int64_t) { no_cuda(); }
void CudaTrainStep::finish() { no_cuda(); }
std::vector<nn::LossValue> CudaTrainStep::take_losses(bool) { no_cuda(); }
int64_t CudaTrainStep::panel_bytes() const { return 0; }
bool CudaTrainStep::upload_panel(int64_t, std::string*) { no_cuda(); }
bool CudaTrainStep::panel_resident() const { return false; }
void CudaTrainStep::submit_windows(const int64_t*, const int64_t*, int64_t, int64_t, int64_t, int64_t) { no_cuda(); }
nn::LossValue CudaTrainStep::evaluate(const float*, const int64_t*, const int64_t*, int64_t, int64_t, int64_t, int64_t,
                                      std::vector<float>*, std::vector<float>*, std::vector<float>*) {
  no_cuda();
}

}  // namespace skucast::deepar

#endif  // SKUCAST_HAVE_CUDA
