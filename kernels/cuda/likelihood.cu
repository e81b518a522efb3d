// kernels/cuda/likelihood.cu — CUDA twin of likelihood_fwd_bwd_cpu and
// likelihood_weight_sum_cpu (likelihood.hpp, Note [Likelihood parametrization]).
// defines: likelihood_fwd_bwd_kernel (one thread per (t, b) row), WeightFn (sum functor);
//          likelihood_fwd_bwd, likelihood_weight_sum (launchers).
// uses: reduce.cuh (reduce_sum).
// The per-element math is kernels/likelihood_math.hpp's, shared with likelihood_cpu.cpp.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/reduce.cuh"
#include "kernels/likelihood.hpp"
#include "kernels/likelihood_math.hpp"

namespace skucast {

namespace {

// ---------------------------------------------------------------- kernels ----
__global__ void likelihood_fwd_bwd_kernel(Likelihood kind, double power, int P, const float* __restrict__ raw,
                                          const float* __restrict__ y, const float* __restrict__ scale,
                                          const float* __restrict__ weight, int64_t n_rows, int64_t n_batch,
                                          double grad_scale, const double* __restrict__ weight_sum,
                                          float* __restrict__ loss, float* __restrict__ draw) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;  // row (t, b), time-major
  if (i >= n_rows) return;
  double gs = grad_scale;
  if (weight_sum != nullptr) {
    const double ws = *weight_sum;
    gs = ws > 0.0 ? gs / ws : 0.0;
  }
  likelihood_row(kind, power, P, raw, y, scale, weight, i, n_batch, gs, loss, draw);
}

struct WeightFn {
  const float* y;
  const float* weight;
  int64_t n_batch;
  __device__ double operator()(int64_t i) const { return likelihood_weight_term(y, weight, i, n_batch); }
};

}  // namespace

// -------------------------------------------------------------- launchers ----
void likelihood_fwd_bwd(const LikelihoodParams& params, const float* raw, const float* y, const float* scale,
                        const float* weight, int64_t n_steps, int64_t n_batch, double grad_scale,
                        const double* weight_sum, float* loss, float* draw, cudaStream_t stream) {
  const int64_t n_rows = checked_mul(n_steps, n_batch);
  if (n_rows == 0) return;
  // 128 threads: the NegBin branch is register-heavy (lgamma, digamma in double), so a
  // smaller block keeps more blocks resident; one row per thread, rows = T*B (~100k+).
  constexpr int kBlock = 128;
  const int64_t n_blocks = (n_rows + kBlock - 1) / kBlock;
  likelihood_fwd_bwd_kernel<<<checked_int(n_blocks, "likelihood grid"), kBlock, 0, stream>>>(
      params.kind, params.tweedie_power, static_cast<int>(likelihood_n_params(params.kind)), raw, y, scale, weight,
      n_rows, n_batch, grad_scale, weight_sum, loss, draw);
  SKU_CHECK_LAUNCH("likelihood_fwd_bwd_kernel");
}

void likelihood_weight_sum(const float* y, const float* weight, int64_t n_steps, int64_t n_batch, double* out,
                           cudaStream_t stream) {
  reduce_sum(checked_mul(n_steps, n_batch), WeightFn{y, weight, n_batch}, out, ReduceWrite::Overwrite, stream);
}

}  // namespace skucast
