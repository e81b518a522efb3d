// tests/gpu/test_deepar_train_parity.cpp — the DeepAR training step on the GPU
// (engine/models/deepar_cuda.h, CudaTrainStep) against the CPU trainer's step (CpuStep::run +
// nn::AdamW, deepar_internal.h): the same seed, panel, windows and weights, kSteps steps on
// each, then the losses, weights and AdamW first moments compared (STYLE T1, T2, T6).
// LSTM and GRU, Gaussian and negative binomial, with and without static embeddings (the
// embedding path: device gather + host embedding_backward; without: AdamW at once).
// The panel is built in memory (no HDF5: this binary is packed for the GPU machine,
// bench/gpu_pack.sh). Skips without a device (STYLE T8).
//
// Tolerances, |gpu - cpu| <= atol + rtol |cpu| with atol = a * max|cpu| per tensor:
//   loss per step: rtol 1e-4. Step 1 sees identical inputs and weights; the loss sums T*B
//     per-row terms whose head outputs differ by FP32 summation order only (cuDNN and cuBLAS
//     vs OpenBLAS, no TF32: CUDNN_FMA_MATH, CUBLAS_DEFAULT_MATH), ~1e-6 relative; later steps
//     add the weights' difference.
//   weights after kSteps steps: a = 1e-4, rtol 1e-4. AdamW moves a weight by
//     lr * m/(sqrt(v) + eps), which is insensitive to a gradient's rounding except near g = 0,
//     where its slope is lr/eps: an element whose gradient cancels to rounding level (~1e-8
//     absolute here) would move by anything up to lr on one device and not the other. The test
//     therefore runs AdamW with eps = 1e-6 instead of the trainer's 1e-8 (every code path is
//     the same; the amplification drops to lr/eps * 1e-8 = 1e-5), so that a rare cancelling
//     element cannot fail it. Otherwise FP32 rounding of the gradient (~1e-5 relative after
//     BPTT, tests/gpu/test_rnn_cudnn_parity.cpp) leaves the weights within ~1e-6 relative of
//     each other; 1e-4 is the FP32 cuDNN-vs-CPU budget with two orders of margin, still far
//     below one step's change (lr = 1e-3 on weights ~0.1). Both runs give exact zeros where the
//     inputs are exactly zero (absent embedding rows, padding).
//   AdamW first moments (a running mean of the clipped gradients): a = 1e-4, rtol 1e-3, the
//     FP32 gradient budget of test_rnn_cudnn_parity.cpp (dW sums T*B outer products in
//     cuDNN's order; BPTT compounds the forward's rounding).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/models/deepar_cuda.h"
#include "engine/models/deepar_internal.h"
#include "engine/nn/adam.h"
#include "engine/nn/loss.h"
#include "kernels/common.hpp"
#include "kernels/features.hpp"
#include "tests/gpu/deepar_test_panel.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using namespace skucast::deepar;

namespace {

constexpr int64_t kSteps = 5;  // more than the loss ring (4): its reuse is covered too

using Case = fixture::DeepArTestCase;
using fixture::make_test_panel;
using fixture::TestPanelShape;

// A small panel in memory: S series of T steps of counts (NaN holes, late launches), one
// per-series covariate, calendar + one event column, and (statics) two static attributes.
struct TrainData {
  DeepArOptions o;
  PanelFingerprint fp;
  Layout l;
  PanelData d;
  std::vector<float> w0;
};

TrainData make_setup(const Case& c) {
  TrainData s;
  DeepArOptions& o = s.o;
  o.cell = c.cell;
  o.likelihood = c.likelihood;
  o.hidden = 16;
  o.layers = 2;
  o.context = 14;
  o.horizon = 7;
  o.dropout = 0.0;  // Note [DeepAR training on the GPU]: no GPU dropout
  o.batch = 48;
  o.lr = 1e-3;
  o.weight_decay = 0.01;
  o.clip = 1.0;  // small enough to clip: the device-side norm is exercised
  o.seed = 11;
  o.season_length = 7;
  o.validate();
  TestPanelShape sh;
  sh.n_steps = 90;
  sh.pad_extra = o.horizon;
  sh.late_every = 5;
  sh.late_start = 40;
  make_test_panel(o, c.statics, sh, s.fp, s.l, s.d);
  init_weights(s.l, o.seed, s.w0);
  return s;
}

// The windows of step k: series and origins drawn from a seeded generator, as the trainer's
// Note [DeepAR windows] would (origins may start before step 0), masked like training.
struct Batch {
  std::vector<int64_t> series, t0;
  std::vector<float> x, target, scale;
};

void cut(const TrainData& s, int64_t k, const float* w, Batch& b, float* x_out) {
  const int64_t B = s.o.batch, W = s.o.context + s.o.horizon, T = s.d.n_time;
  std::mt19937 rng(static_cast<uint32_t>(100 + k));
  b.series.resize(B);
  b.t0.resize(B);
  for (int64_t i = 0; i < B; ++i) {
    b.series[i] = static_cast<int64_t>(rng() % static_cast<uint32_t>(s.d.n_series));
    b.t0[i] = -s.o.context + static_cast<int64_t>(rng() % static_cast<uint32_t>(T - W + s.o.context + 1));
  }
  const WindowBatch wb{b.series.data(), b.t0.data(), B, W};
  b.scale.resize(B);
  b.target.resize(W * B);
  window_scale_cpu(s.d.y.data(), s.d.n_series, T, wb, s.o.context, b.scale.data());
  window_target_cpu(s.d.y.data(), s.d.n_series, T, wb, b.target.data());
  for (int64_t t = 0; t < W; ++t)
    for (int64_t i = 0; i < B; ++i)
      if (b.t0[i] + t >= T - s.o.horizon) b.target[t * B + i] = NAN;  // the validation steps
  ComposeScratch cs;
  compose_inputs(s.d, s.l, w, s.d.y.data(), s.d.n_series, T, 0, b.series.data(), b.series.data(), b.t0.data(), B, W,
                 b.scale.data(), cs, x_out);
}

nn::AdamWConfig adam_config(const DeepArOptions& o) {
  return nn::AdamWConfig{o.lr, 0.9, 0.999, 1e-6, o.weight_decay, o.clip};  // eps: see the header
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

class DeepArTrainParity : public GpuTest, public ::testing::WithParamInterface<Case> {};

TEST_P(DeepArTrainParity, StepsMatchCpuTrainer) {
  const Case c = GetParam();
  const TrainData s = make_setup(c);
  const int64_t B = s.o.batch, W = s.o.context + s.o.horizon, n = s.l.n_params;
  ASSERT_EQ(static_cast<int64_t>(s.w0.size()), n);

  // CPU: the trainer's step (deepar_model.cpp: CpuStep::run, then AdamW::step).
  std::vector<float> w_cpu = s.w0, grad(n);
  nn::AdamW opt(adam_config(s.o), n);
  CpuStep cpu(s.l);
  std::vector<double> loss_cpu;
  for (int64_t k = 0; k < kSteps; ++k) {
    Batch b;
    b.x.resize(W * B * s.l.n_features);
    cut(s, k, w_cpu.data(), b, b.x.data());
    const nn::LossValue v = cpu.run(s.d, s.l, w_cpu.data(), b.x.data(), b.target.data(), b.scale.data(),
                                    b.series.data(), B, W, nn::Phase::Training, 0, grad.data());
    opt.step(w_cpu.data(), grad.data());
    loss_cpu.push_back(v.loss);
  }

  // GPU: the same windows; inputs composed with the *initial* host weights, as deepar_train
  // does within an epoch (the device refills the embedding columns from its own weights).
  CudaTrainStep gpu(s.l, s.d, B, W, adam_config(s.o));
  gpu.upload(s.w0, std::vector<float>(n, 0.0f), std::vector<float>(n, 0.0f), 0);
  std::vector<double> loss_gpu;
  for (int64_t k = 0; k < kSteps; ++k) {
    EXPECT_EQ(gpu.n_submitted(), k);
    Batch b;
    const CudaStepInputs in = gpu.next_inputs(B, W);
    cut(s, k, s.w0.data(), b, in.x);
    std::copy(b.target.begin(), b.target.end(), in.target);
    std::copy(b.scale.begin(), b.scale.end(), in.scale);
    gpu.submit(b.series.data(), B, W);
    for (const nn::LossValue& v : gpu.take_losses(false)) loss_gpu.push_back(v.loss);
  }
  for (const nn::LossValue& v : gpu.take_losses(true)) loss_gpu.push_back(v.loss);
  std::vector<float> w_gpu, m_gpu, v_gpu;
  gpu.download(w_gpu, m_gpu, v_gpu);
  EXPECT_EQ(gpu.n_submitted(), kSteps);

  ASSERT_EQ(loss_gpu.size(), loss_cpu.size());
  for (int64_t k = 0; k < kSteps; ++k)
    EXPECT_NEAR(loss_gpu[k], loss_cpu[k], 1e-4 * std::fabs(loss_cpu[k])) << c.name() << " step " << k + 1;
  EXPECT_TRUE(all_close(w_cpu, w_gpu, 1e-4 * max_abs(w_cpu), 1e-4)) << c.name() << " weights";
  EXPECT_TRUE(all_close(opt.m(), m_gpu, 1e-4 * max_abs(opt.m()), 1e-3)) << c.name() << " AdamW m";
  // The weights moved: the comparison is not between two untouched copies.
  double moved = 0;
  for (int64_t i = 0; i < n; ++i) moved = std::max(moved, std::fabs(static_cast<double>(w_cpu[i]) - s.w0[i]));
  EXPECT_GT(moved, 0.5 * s.o.lr) << c.name();
  std::printf("PARITY deepar_train_%s steps=%lld loss_cpu=%.6f loss_gpu=%.6f\n", c.name().c_str(),
              static_cast<long long>(kSteps), loss_cpu.back(), loss_gpu.back());
}

INSTANTIATE_TEST_SUITE_P(Cases, DeepArTrainParity,
                         ::testing::Values(Case{"lstm", "gaussian", true}, Case{"gru", "gaussian", true},
                                           Case{"lstm", "negbin", true}, Case{"gru", "negbin", false},
                                           Case{"lstm", "gaussian", false}),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name(); });

// Bad input gives clear errors, never a crash: dropout, oversized batches, negative counts.
class DeepArTrainGpuErrors : public GpuTest {};

TEST_F(DeepArTrainGpuErrors, RefusesWhatItCannotRun) {
  TrainData s = make_setup(Case{"lstm", "negbin", true});
  const int64_t B = s.o.batch, W = s.o.context + s.o.horizon;
  Layout with_dropout = s.l;
  with_dropout.rnn.dropout = 0.1f;
  try {
    CudaTrainStep bad(with_dropout, s.d, B, W, adam_config(s.o));
    FAIL() << "dropout 0.1 was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dropout"), std::string::npos) << e.what();
  }
  CudaTrainStep gpu(s.l, s.d, B, W, adam_config(s.o));
  EXPECT_THROW(gpu.upload(std::vector<float>(3), s.w0, s.w0, 0), InputError);
  gpu.upload(s.w0, std::vector<float>(s.l.n_params, 0.0f), std::vector<float>(s.l.n_params, 0.0f), 0);
  EXPECT_THROW(gpu.next_inputs(B + 1, W), InputError);
  Batch b;
  const CudaStepInputs in = gpu.next_inputs(B, W);
  cut(s, 0, s.w0.data(), b, in.x);
  std::copy(b.target.begin(), b.target.end(), in.target);
  std::copy(b.scale.begin(), b.scale.end(), in.scale);
  in.target[5] = -1.0f;  // a negative count: NegBin refuses it, as on the CPU
  EXPECT_THROW(gpu.submit(b.series.data(), B, W), InputError);
  EXPECT_EQ(gpu.n_submitted(), 0);  // nothing was queued
  in.target[5] = 1.0f;
  gpu.submit(b.series.data(), B, W);
  EXPECT_EQ(gpu.take_losses(true).size(), 1u);
}

}  // namespace
