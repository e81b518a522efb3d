// tests/nn/test_loss_adamw.cpp — the optimizer (kernels/adam.hpp, engine/nn/adam.h) on hand-
// computed steps: bias correction, decoupled weight decay and global-norm clipping. The
// replay of three AdamW steps against torch.optim.AdamW is in test_rnn_torch_parity.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/nn/adam.h"
#include "kernels/adam.hpp"
#include "kernels/common.hpp"

using namespace skucast;
using namespace skucast::nn;

namespace {

TEST(AdamKernel, FirstTwoStepsByHand) {
  AdamParams p;
  p.lr = 0.1;
  p.weight_decay = 0.0;
  float w = 1.0f, m = 0.0f, v = 0.0f;
  const float g1 = 0.5f;
  p.step = 1;
  adam_step_cpu(p, &w, &g1, &m, &v, 1);
  // Step 1: m^ = g, v^ = g^2, update = lr * g / (|g| + eps) = 0.1 (to 1e-8 relative).
  EXPECT_NEAR(w, 0.9f, 1e-6);
  EXPECT_NEAR(m, 0.05f, 1e-8);
  EXPECT_NEAR(v, 0.00025f, 1e-10);
  const float g2 = -0.25f;
  p.step = 2;
  adam_step_cpu(p, &w, &g2, &m, &v, 1);
  const double m2 = 0.9 * 0.05 + 0.1 * -0.25, v2 = 0.999 * 0.00025 + 0.001 * 0.0625;
  const double mh = m2 / (1 - 0.81), vh = v2 / (1 - 0.999 * 0.999);
  EXPECT_NEAR(w, 0.9 - 0.1 * mh / (std::sqrt(vh) + 1e-8), 1e-6);
}

TEST(AdamKernel, DecoupledDecayActsWithoutGradient) {
  AdamParams p;
  p.lr = 0.01;
  p.weight_decay = 0.5;
  std::vector<float> w = {2.0f, -4.0f}, g = {0.0f, 0.0f}, m = {0, 0}, v = {0, 0};
  adam_step_cpu(p, w.data(), g.data(), m.data(), v.data(), 2);
  EXPECT_FLOAT_EQ(w[0], 2.0f * (1 - 0.005f));
  EXPECT_FLOAT_EQ(w[1], -4.0f * (1 - 0.005f));
}

TEST(AdamW, ClipsByGlobalNormAndReportsIt) {
  AdamWConfig cfg;
  cfg.lr = 1.0;
  cfg.clip_norm = 1.0;
  AdamW clipped(cfg, 2);
  cfg.clip_norm = 0.0;
  AdamW plain(cfg, 2);
  std::vector<float> g = {3.0f, 4.0f}, g_scaled = {0.6f, 0.8f};
  std::vector<float> w1 = {0, 0}, w2 = {0, 0};
  EXPECT_NEAR(clipped.step(w1.data(), g.data()), 5.0, 1e-12);
  plain.step(w2.data(), g_scaled.data());
  // Clipping scales the gradient to norm 1 (x 1/(5 + 1e-6)): same as stepping on g / 5.
  EXPECT_NEAR(clipped.m()[0], plain.m()[0], 1e-7);
  EXPECT_NEAR(clipped.v()[1], plain.v()[1], 1e-7);
  EXPECT_EQ(clipped.n_steps(), 1);
  // Below the threshold the gradient passes untouched.
  std::vector<float> small = {0.3f, 0.4f}, w3 = {0, 0};
  AdamWConfig c2;
  c2.clip_norm = 1.0;
  AdamW opt(c2, 2);
  opt.step(w3.data(), small.data());
  EXPECT_NEAR(opt.m()[0], 0.1f * 0.3f, 1e-8);
}

TEST(AdamW, RejectsBadConfig) {
  AdamWConfig c;
  c.lr = 0;
  EXPECT_THROW(AdamW(c, 3), InputError);
  c.lr = 1e-3;
  c.beta2 = 1.0;
  EXPECT_THROW(AdamW(c, 3), InputError);
  c.beta2 = 0.999;
  c.clip_norm = -1;
  EXPECT_THROW(AdamW(c, 3), InputError);
  EXPECT_EQ(grad_sq_norm_cpu(std::vector<float>{1, 2, 2}.data(), 3), 9.0);
}

}  // namespace
