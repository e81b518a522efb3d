// kernels/adam_math.hpp — the per-element math of the AdamW step and the gradient norm
// (adam.hpp), written once for both twins (STYLE B10): the OpenMP loops of kernels/adam_cpu.cpp
// and the CUDA kernels of kernels/cuda/adam.cu call these `inline SKU_HD` functions
// (kernels/hd.hpp, Note [One source for CPU and GPU models]).
// defines: AdamScalars + adam_scalars (the per-step scalars, on the host), adam_clip_scale
//          (torch.nn.utils.clip_grad_norm_'s factor), adam_element (one element's update),
//          grad_sq_term (one element's share of the squared norm).
// Double arithmetic rounded once to float; the device runs the same source and differs from
// the host only by FMA contraction (kernels/cuda/ is not compiled with -fmad=false): at most
// about one float ulp of w, m or v.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/adam.hpp"
#include "kernels/hd.hpp"

namespace skucast {

// The scalars of one step, the same for every element.
struct AdamScalars {
  double beta1, beta2, eps;
  double decay;      // 1 - lr * weight_decay (decoupled decay)
  double step_size;  // lr / (1 - beta1^k)   (bias correction of m)
  double bc2_sqrt;   // sqrt(1 - beta2^k)    (bias correction of v)
};

inline AdamScalars adam_scalars(const AdamParams& p) {
  AdamScalars s{};
  s.beta1 = p.beta1;
  s.beta2 = p.beta2;
  s.eps = p.eps;
  s.decay = 1.0 - p.lr * p.weight_decay;
  const double bc1 = 1.0 - std::pow(p.beta1, static_cast<double>(p.step));
  s.bc2_sqrt = std::sqrt(1.0 - std::pow(p.beta2, static_cast<double>(p.step)));
  s.step_size = p.lr / bc1;
  return s;
}

// Clipping factor of torch.nn.utils.clip_grad_norm_ for a squared global norm: min(1,
// max_norm / (norm + 1e-6)); 1 when max_norm <= 0 (clipping off), and 1 when the factor is
// NaN (a NaN norm: neither twin clips, and the NaN gradient reaches its own elements only).
SKU_HD inline double adam_clip_scale(double sq_norm, double max_norm) {
  if (!(max_norm > 0.0)) return 1.0;
  const double c = max_norm / (std::sqrt(sq_norm) + 1e-6);
  return c < 1.0 ? c : 1.0;
}

// Element i of the step, g = the scaled gradient grad_scale * grad[i]: m, v, then w with the
// decoupled decay applied before the update (adam.hpp).
SKU_HD inline void adam_element(const AdamScalars& s, double g, float* w, float* m, float* v, int64_t i) {
  const double mi = s.beta1 * m[i] + (1.0 - s.beta1) * g;
  const double vi = s.beta2 * v[i] + (1.0 - s.beta2) * g * g;
  m[i] = static_cast<float>(mi);
  v[i] = static_cast<float>(vi);
  const double wi = static_cast<double>(w[i]) * s.decay;
  w[i] = static_cast<float>(wi - s.step_size * mi / (std::sqrt(vi) / s.bc2_sqrt + s.eps));
}

// Element i's term of the squared norm, grad[i]^2 in double.
SKU_HD inline double grad_sq_term(const float* grad, int64_t i) {
  const double x = grad[i];
  return x * x;
}

}  // namespace skucast
