// engine/nn/rnn_cudnn_stub.cpp — CudnnRnn in a build without CUDA (STYLE L3): the class
// exists and its constructor fails with a clear message; nothing else can be reached.
#include <string>

#include "engine/nn/rnn_cudnn.h"
#include "kernels/common.hpp"

namespace skucast::nn {

struct CudnnRnn::Impl {
  RnnConfig cfg;
};
struct CudnnRnnContext::Impl {};

CudnnRnnContext::CudnnRnnContext() = default;
CudnnRnnContext::~CudnnRnnContext() = default;
int64_t CudnnRnnContext::n_steps() const { return 0; }
int64_t CudnnRnnContext::n_batch() const { return 0; }
const float* CudnnRnnContext::y() const { return nullptr; }
const float* CudnnRnnContext::h_n() const { return nullptr; }
const float* CudnnRnnContext::c_n() const { return nullptr; }

CudnnRnn::CudnnRnn(const RnnConfig& cfg, RnnPrecision, uint64_t) {
  cfg.validate();
  throw DeviceError("CudnnRnn: this skucast was built without CUDA; rebuild with -DSKUCAST_CUDA=ON");
}
CudnnRnn::~CudnnRnn() = default;
const RnnConfig& CudnnRnn::config() const { return m->cfg; }
RnnPrecision CudnnRnn::precision() const { return RnnPrecision::Fp32; }
bool CudnnRnn::identity_layout() const { return false; }
std::unique_ptr<CudnnRnnContext> CudnnRnn::forward(const float*, const float*, int64_t, int64_t, const int32_t*,
                                                   const float*, const float*, Phase, cudaStream_t) const {
  throw DeviceError("CudnnRnn: built without CUDA");
}
void CudnnRnn::backward(const CudnnRnnContext&, const float*, const float*, const float*, const float*, float*, float*,
                        float*, float*, GradMode, cudaStream_t) const {
  throw DeviceError("CudnnRnn: built without CUDA");
}

}  // namespace skucast::nn
