// kernels/adam_cpu.cpp — CPU reference for the AdamW step (see adam.hpp).
#include "kernels/adam.hpp"

#include <cmath>

namespace skucast {

namespace {
constexpr int64_t kOmpMin = 16384;  // below this, threads cost more than they save
}  // namespace

void adam_step_cpu(const AdamParams& p, float* w, const float* grad, float* m, float* v, int64_t n) {
  const double decay = 1.0 - p.lr * p.weight_decay;
  const double bc1 = 1.0 - std::pow(p.beta1, static_cast<double>(p.step));  // bias corrections
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(p.beta2, static_cast<double>(p.step)));
  const double step_size = p.lr / bc1;
#pragma omp parallel for schedule(static) if (n >= kOmpMin)
  for (int64_t i = 0; i < n; ++i) {
    const double g = p.grad_scale * static_cast<double>(grad[i]);
    const double mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    const double vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    const double wi = static_cast<double>(w[i]) * decay;
    w[i] = static_cast<float>(wi - step_size * mi / (std::sqrt(vi) / bc2_sqrt + p.eps));
  }
}

double grad_sq_norm_cpu(const float* grad, int64_t n) {
  double s = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : s) if (n >= kOmpMin)
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(grad[i]) * grad[i];
  return s;
}

}  // namespace skucast
