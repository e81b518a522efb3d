// engine/nn/adam.cpp — AdamW with global-norm clipping (adam.h).
#include "engine/nn/adam.h"

#include <cmath>
#include <string>

#include "kernels/adam.hpp"
#include "kernels/common.hpp"

namespace skucast::nn {

AdamW::AdamW(const AdamWConfig& cfg, int64_t n_params) : m_cfg(cfg), m_n_params(n_params) {
  if (!(cfg.lr > 0) || !(cfg.beta1 >= 0 && cfg.beta1 < 1) || !(cfg.beta2 >= 0 && cfg.beta2 < 1) || !(cfg.eps > 0) ||
      !(cfg.weight_decay >= 0) || !(cfg.clip_norm >= 0))
    throw InputError("adamw: expected lr > 0, betas in [0, 1), eps > 0, weight_decay >= 0, clip_norm >= 0; got lr=" +
                     std::to_string(cfg.lr) + " beta1=" + std::to_string(cfg.beta1) +
                     " beta2=" + std::to_string(cfg.beta2) + " eps=" + std::to_string(cfg.eps) +
                     " weight_decay=" + std::to_string(cfg.weight_decay) + " clip_norm=" + std::to_string(cfg.clip_norm));
  if (n_params < 0) throw InputError("adamw: negative parameter count");
  m_m.assign(n_params, 0.0f);
  m_v.assign(n_params, 0.0f);
}

double AdamW::step(float* weights, const float* grad) {
  const double norm = std::sqrt(grad_sq_norm_cpu(grad, m_n_params));
  AdamParams p;
  p.lr = m_cfg.lr;
  p.beta1 = m_cfg.beta1;
  p.beta2 = m_cfg.beta2;
  p.eps = m_cfg.eps;
  p.weight_decay = m_cfg.weight_decay;
  p.step = ++m_step;
  // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is < 1.
  p.grad_scale = 1.0;
  if (m_cfg.clip_norm > 0) {
    const double c = m_cfg.clip_norm / (norm + 1e-6);
    if (c < 1.0) p.grad_scale = c;
  }
  adam_step_cpu(p, weights, grad, m_m.data(), m_v.data(), m_n_params);
  return norm;
}

}  // namespace skucast::nn
