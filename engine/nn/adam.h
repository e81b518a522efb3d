// engine/nn/adam.h — the optimizer of the global models: AdamW (torch.optim.AdamW) over
// one flat parameter buffer, with optional global-norm gradient clipping
// (torch.nn.utils.clip_grad_norm_). The element-wise work is kernels/adam.hpp.
#pragma once

#include <cstdint>
#include <vector>

namespace skucast::nn {

struct AdamWConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // decoupled: w *= 1 - lr * weight_decay each step
  double clip_norm = 0.0;     // max global L2 norm of the gradient; 0 = no clipping
};

class AdamW {
 public:
  // n_params: size of the flat buffer it will update. Throws InputError on a bad config.
  AdamW(const AdamWConfig& cfg, int64_t n_params);

  // One step: clips grad (by scaling, grad itself is not modified), then updates
  // weights [n_params] in place. Returns the gradient's global L2 norm before clipping.
  double step(float* weights, const float* grad);

  int64_t n_steps() const { return m_step; }
  const AdamWConfig& config() const { return m_cfg; }
  void set_lr(double lr) { m_cfg.lr = lr; }
  // Moment estimates, [n_params] each (for checkpoints).
  std::vector<float>& m() { return m_m; }
  std::vector<float>& v() { return m_v; }
  void set_step(int64_t step) { m_step = step; }

 private:
  AdamWConfig m_cfg;
  int64_t m_n_params;
  int64_t m_step = 0;
  std::vector<float> m_m, m_v;  // [n_params]
};

}  // namespace skucast::nn
