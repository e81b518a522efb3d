// kernels/cuda/adam.cu — CUDA twin of the AdamW step and the gradient norm (adam.hpp).
// defines: adam_step_kernel (one thread per element, grid-stride), SqFn (norm functor);
//          adam_step, grad_sq_norm (launchers).
// uses: reduce.cuh (reduce_sum); the per-element math is kernels/adam_math.hpp's, shared with
//       adam_cpu.cpp.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>

#include "kernels/adam.hpp"
#include "kernels/adam_math.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/reduce.cuh"

namespace skucast {

namespace {

// ---------------------------------------------------------------- kernels ----
// The step's scalars come from adam_scalars (host, as adam_step_cpu); the clipping factor from
// the device-resident norm, sq_norm (device [1]) or nullptr for no clipping. Every thread
// reads the one value; it is cached.
__global__ void adam_step_kernel(AdamScalars s, double grad_scale, const double* __restrict__ sq_norm,
                                 double max_norm, float* __restrict__ w, const float* __restrict__ grad,
                                 float* __restrict__ m, float* __restrict__ v, int64_t n) {
  // adam_clip_scale returns exactly 1 when it does not clip, so gs = grad_scale then; the norm
  // is read only when clipping is on.
  const double gs =
      sq_norm != nullptr && max_norm > 0.0 ? grad_scale * adam_clip_scale(*sq_norm, max_norm) : grad_scale;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    adam_element(s, gs * static_cast<double>(grad[i]), w, m, v, i);
}

struct SqFn {
  const float* g;
  __device__ double operator()(int64_t i) const { return grad_sq_term(g, i); }
};

}  // namespace

// -------------------------------------------------------------- launchers ----
void adam_step(const AdamParams& p, const AdamClip& clip, float* w, const float* grad, float* m, float* v,
               int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  // 256 threads, grid capped at 8 blocks per SM-equivalent (2048 blocks ≈ 16 per SM on an
  // H200); the grid-stride loop covers any n. Element-wise, memory-bound: 16 B read + 12 B
  // written per element.
  constexpr int kBlock = 256;
  const int64_t n_blocks = std::min<int64_t>((n + kBlock - 1) / kBlock, 2048);
  adam_step_kernel<<<static_cast<int>(n_blocks), kBlock, 0, stream>>>(adam_scalars(p), p.grad_scale, clip.sq_norm,
                                                                    clip.max_norm, w, grad, m, v, n);
  SKU_CHECK_LAUNCH("adam_step_kernel");
}

void grad_sq_norm(const float* grad, int64_t n, double* sq_norm, NormWrite write, cudaStream_t stream) {
  reduce_sum(n, SqFn{grad}, sq_norm, write == NormWrite::Accumulate ? ReduceWrite::Accumulate : ReduceWrite::Overwrite,
             stream);
}

}  // namespace skucast
