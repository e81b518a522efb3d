// kernels/adam.hpp — the optimizer step: Adam with decoupled weight decay (AdamW, as
// torch.optim.AdamW), with a gradient scale that carries global-norm clipping.
//
// For every element i, with g = grad_scale * grad[i] and step k >= 1:
//   w *= 1 - lr * weight_decay                   (decoupled decay, before the update)
//   m  = beta1 m + (1 - beta1) g
//   v  = beta2 v + (1 - beta2) g^2
//   w -= lr / (1 - beta1^k) * m / (sqrt(v) / sqrt(1 - beta2^k) + eps)
// Global-norm clipping (torch.nn.utils.clip_grad_norm_): grad_scale = min(1, max_norm /
// (||grad||_2 + 1e-6)), the norm over all parameters from grad_sq_norm_cpu.
#pragma once

#include <cstdint>

namespace skucast {

struct AdamParams {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  int64_t step = 1;          // k, counted from 1 (bias correction)
  double grad_scale = 1.0;   // clipping factor (and any loss scaling)
};

// CPU reference, OpenMP over elements. w, m, v updated in place; all host pointers.
void adam_step_cpu(const AdamParams& params, float* w /*[n]*/, const float* grad /*[n]*/, float* m /*[n]*/,
                   float* v /*[n]*/, int64_t n);

// sum of grad[i]^2, accumulated in double.
double grad_sq_norm_cpu(const float* grad /*[n]*/, int64_t n);

}  // namespace skucast
