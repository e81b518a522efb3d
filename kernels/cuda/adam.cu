// kernels/cuda/adam.cu — CUDA twin of the AdamW step and the gradient norm (adam.hpp).
// defines: adam_step_kernel (one thread per element, grid-stride), SqFn (norm functor);
//          adam_step, grad_sq_norm (launchers).
// uses: reduce.cuh (reduce_sum).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>

#include "kernels/adam.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/reduce.cuh"

namespace skucast {

namespace {

// Scalars of one step, computed once on the host (as adam_step_cpu does).
struct AdamScalars {
  double beta1, beta2, eps, decay, step_size, bc2_sqrt, grad_scale, max_norm;
  const double* sq_norm;  // device [1] or nullptr
};

// ---------------------------------------------------------------- kernels ----
__global__ void adam_step_kernel(AdamScalars p, float* __restrict__ w, const float* __restrict__ grad,
                                 float* __restrict__ m, float* __restrict__ v, int64_t n) {
  // Clipping factor from the device-resident norm: the same formula as clip_scale_cpu
  // (torch.nn.utils.clip_grad_norm_). Every thread reads the one value; it is cached.
  double gs = p.grad_scale;
  if (p.sq_norm != nullptr && p.max_norm > 0.0) {
    const double c = p.max_norm / (sqrt(*p.sq_norm) + 1e-6);
    if (c < 1.0) gs *= c;
  }
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    // Same operations, in the same order and precision, as adam_step_cpu.
    const double g = gs * static_cast<double>(grad[i]);
    const double mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    const double vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    const double wi = static_cast<double>(w[i]) * p.decay;
    w[i] = static_cast<float>(wi - p.step_size * mi / (sqrt(vi) / p.bc2_sqrt + p.eps));
  }
}

struct SqFn {
  const float* g;
  __device__ double operator()(int64_t i) const {
    const double x = g[i];
    return x * x;
  }
};

}  // namespace

// -------------------------------------------------------------- launchers ----
void adam_step(const AdamParams& p, const AdamClip& clip, float* w, const float* grad, float* m, float* v,
               int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  AdamScalars s{};
  s.beta1 = p.beta1;
  s.beta2 = p.beta2;
  s.eps = p.eps;
  s.decay = 1.0 - p.lr * p.weight_decay;
  s.step_size = p.lr / (1.0 - std::pow(p.beta1, static_cast<double>(p.step)));
  s.bc2_sqrt = std::sqrt(1.0 - std::pow(p.beta2, static_cast<double>(p.step)));
  s.grad_scale = p.grad_scale;
  s.max_norm = clip.max_norm;
  s.sq_norm = clip.sq_norm;
  // 256 threads, grid capped at 8 blocks per SM-equivalent (2048 blocks ≈ 16 per SM on an
  // H200); the grid-stride loop covers any n. Element-wise, memory-bound: 16 B read + 12 B
  // written per element.
  constexpr int kBlock = 256;
  const int64_t n_blocks = std::min<int64_t>((n + kBlock - 1) / kBlock, 2048);
  adam_step_kernel<<<static_cast<int>(n_blocks), kBlock, 0, stream>>>(s, w, grad, m, v, n);
  SKU_CHECK_LAUNCH("adam_step_kernel");
}

void grad_sq_norm(const float* grad, int64_t n, double* sq_norm, NormWrite write, cudaStream_t stream) {
  reduce_sum(n, SqFn{grad}, sq_norm, write == NormWrite::Accumulate ? ReduceWrite::Accumulate : ReduceWrite::Overwrite,
             stream);
}

}  // namespace skucast
