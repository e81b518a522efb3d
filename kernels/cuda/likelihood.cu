// kernels/cuda/likelihood.cu — CUDA twin of likelihood_fwd_bwd_cpu and
// likelihood_weight_sum_cpu (likelihood.hpp, Note [Likelihood parametrization]).
// defines: likelihood_fwd_bwd_kernel (one thread per (t, b) row), WeightFn (sum functor);
//          likelihood_fwd_bwd, likelihood_weight_sum (launchers).
// uses: reduce.cuh (reduce_sum).
// The per-element math is a line-by-line copy of likelihood_cpu.cpp's element(), in double;
// the twin stays the readable spec and the parity test holds the two together.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/cuda/check.cuh"
#include "kernels/likelihood.hpp"
#include "kernels/cuda/reduce.cuh"

namespace skucast {

namespace {

constexpr double kEps = 1e-6;
constexpr double kHalfLog2Pi = 0.91893853320467274178;

__device__ inline double softplus_d(double v) { return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)); }
__device__ inline double sigmoid_d(double v) {
  if (v >= 0) return 1.0 / (1.0 + exp(-v));
  const double e = exp(v);
  return e / (1.0 + e);
}

// psi(x) for x > 0, as likelihood_cpu.cpp's digamma.
__device__ inline double digamma_d(double x) {
  double r = 0.0;
  while (x < 10.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  const double tail = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
  return r + log(x) - 0.5 / x - tail;
}

struct Element {
  double loss, d0, d1;
};

// kind and power are kernel arguments (uniform across the grid), so the switch does not diverge.
__device__ inline Element element_d(Likelihood kind, double pw, double raw0, double raw1, double y, double nu) {
  Element out{0.0, 0.0, 0.0};
  switch (kind) {
    case Likelihood::Gaussian: {
      const double z = y / nu;
      const double s = softplus_d(raw1) + kEps;
      const double e = (z - raw0) / s;
      out.loss = log(nu * s) + kHalfLog2Pi + 0.5 * e * e;
      out.d0 = -e / s;
      out.d1 = (1.0 - e * e) / s * sigmoid_d(raw1);
      break;
    }
    case Likelihood::NegBin: {
      const double mu = nu * (softplus_d(raw0) + kEps);
      const double sq = sqrt(nu);
      const double alpha = (softplus_d(raw1) + kEps) / sq;
      const double r = 1.0 / alpha;
      const double am1 = 1.0 + alpha * mu;
      const double log_am1 = log1p(alpha * mu);
      const double logp = lgamma(y + r) - lgamma(y + 1.0) - lgamma(r) - r * log_am1 +
                          (y > 0 ? y * log(alpha * mu) : 0.0) - y * log_am1;
      out.loss = -logp;
      const double dmu = (mu - y) / (mu * am1);
      const double dalpha = -((digamma_d(r) - digamma_d(y + r) + log_am1) / (alpha * alpha) + (y - mu) / (alpha * am1));
      out.d0 = dmu * nu * sigmoid_d(raw0);
      out.d1 = dalpha * sigmoid_d(raw1) / sq;
      break;
    }
    case Likelihood::Tweedie: {
      const double z = y / nu;
      const double m1 = exp((1.0 - pw) * raw0);
      const double m2 = exp((2.0 - pw) * raw0);
      const double z2 = z > 0 ? pow(z, 2.0 - pw) : 0.0;
      out.loss = 2.0 * (z2 / ((1.0 - pw) * (2.0 - pw)) - z * m1 / (1.0 - pw) + m2 / (2.0 - pw));
      out.d0 = 2.0 * (m2 - z * m1);
      break;
    }
    case Likelihood::Mse: {
      const double d = raw0 - y / nu;
      out.loss = d * d;
      out.d0 = 2.0 * d;
      break;
    }
    case Likelihood::Mae: {
      const double d = raw0 - y / nu;
      out.loss = fabs(d);
      out.d0 = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
      break;
    }
  }
  return out;
}

// ---------------------------------------------------------------- kernels ----
__global__ void likelihood_fwd_bwd_kernel(Likelihood kind, double power, int P, const float* __restrict__ raw,
                                          const float* __restrict__ y, const float* __restrict__ scale,
                                          const float* __restrict__ weight, int64_t n_rows, int64_t n_batch,
                                          double grad_scale, const double* __restrict__ weight_sum,
                                          float* __restrict__ loss, float* __restrict__ draw) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;  // row (t, b), time-major
  if (i >= n_rows) return;
  const int64_t b = i % n_batch;
  double gs = grad_scale;
  if (weight_sum != nullptr) {
    const double ws = *weight_sum;
    gs = ws > 0.0 ? gs / ws : 0.0;
  }
  const double yi = y[i];
  const double w = weight ? static_cast<double>(weight[b]) : 1.0;
  float* d = draw + i * P;
  if (!isfinite(yi) || w == 0.0) {  // masked: contributes nothing
    loss[i] = 0.0f;
    for (int k = 0; k < P; ++k) d[k] = 0.0f;
    return;
  }
  const double raw1 = P > 1 ? static_cast<double>(raw[i * P + 1]) : 0.0;
  const Element e = element_d(kind, power, raw[i * P], raw1, yi, scale[b]);
  loss[i] = static_cast<float>(e.loss);
  d[0] = static_cast<float>(gs * w * e.d0);
  if (P > 1) d[1] = static_cast<float>(gs * w * e.d1);
}

struct WeightFn {
  const float* y;
  const float* weight;
  int64_t n_batch;
  __device__ double operator()(int64_t i) const {
    if (!isfinite(y[i])) return 0.0;
    return weight ? static_cast<double>(weight[i % n_batch]) : 1.0;
  }
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
