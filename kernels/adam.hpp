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

#include <cmath>
#include <cstdint>

#include "kernels/stream.hpp"

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

// The per-element math of these kernels is kernels/adam_math.hpp's (STYLE B10).
// CPU reference, OpenMP over elements. w, m, v updated in place; all host pointers.
void adam_step_cpu(const AdamParams& params, float* w /*[n]*/, const float* grad /*[n]*/, float* m /*[n]*/,
                   float* v /*[n]*/, int64_t n);

// sum of grad[i]^2, accumulated in double.
double grad_sq_norm_cpu(const float* grad /*[n]*/, int64_t n);

// Clipping factor of torch.nn.utils.clip_grad_norm_ for a squared global norm: 1 when
// max_norm <= 0 (clipping off) or when the norm is already within max_norm
// (kernels/adam_math.hpp's adam_clip_scale).
double clip_scale_cpu(double sq_norm, double max_norm);

// ------------------------------------------------------------------- CUDA ----
// The same step on the device with the clipping factor read from device memory, so that
// norm -> clip -> update runs without the host waiting (DESIGN.md "Data stays on the device").
struct AdamClip {
  const double* sq_norm = nullptr;  // device [1]: squared global gradient norm; nullptr = no clipping
  double max_norm = 0.0;            // <= 0: no clipping
};

// CUDA twin of adam_step_cpu: w, grad, m, v device pointers, same layout and semantics, with
// g = params.grad_scale * clip_scale_cpu(*clip.sq_norm, clip.max_norm) * grad[i]. Async on stream.
void adam_step(const AdamParams& params, const AdamClip& clip, float* w /*[n]*/, const float* grad /*[n]*/,
               float* m /*[n]*/, float* v /*[n]*/, int64_t n, cudaStream_t stream);

// CUDA twin of grad_sq_norm_cpu: *sq_norm (device [1]) = [*sq_norm +] sum grad[i]^2 in double,
// by a deterministic two-stage reduction (kernels/cuda/reduce.cuh); Accumulate sums several
// parameter buffers into one global norm. Async on stream; the host never waits.
enum class NormWrite { Overwrite, Accumulate };
void grad_sq_norm(const float* grad /*[n]*/, int64_t n, double* sq_norm /*device [1]*/, NormWrite write,
                  cudaStream_t stream);

}  // namespace skucast
