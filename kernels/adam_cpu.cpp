// kernels/adam_cpu.cpp — CPU reference for the AdamW step (see adam.hpp): OpenMP loops over
// the elements, whose per-element math is kernels/adam_math.hpp's, shared with
// kernels/cuda/adam.cu.
#include "kernels/adam.hpp"

#include "kernels/adam_math.hpp"

namespace skucast {

namespace {
constexpr int64_t kOmpMin = 16384;  // below this, threads cost more than they save
}  // namespace

void adam_step_cpu(const AdamParams& p, float* w, const float* grad, float* m, float* v, int64_t n) {
  const AdamScalars s = adam_scalars(p);
#pragma omp parallel for schedule(static) if (n >= kOmpMin)
  for (int64_t i = 0; i < n; ++i) adam_element(s, p.grad_scale * static_cast<double>(grad[i]), w, m, v, i);
}

double grad_sq_norm_cpu(const float* grad, int64_t n) {
  double s = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : s) if (n >= kOmpMin)
  for (int64_t i = 0; i < n; ++i) s += grad_sq_term(grad, i);
  return s;
}

double clip_scale_cpu(double sq_norm, double max_norm) { return adam_clip_scale(sq_norm, max_norm); }

}  // namespace skucast
