// tests/gpu/test_deepar_train_parity.cpp — the DeepAR training step on the GPU
// (engine/deepar/cuda/train_step.h, CudaTrainStep) against the CPU trainer's step (CpuStep::run +
// nn::AdamW, engine/deepar/internal.h): the same seed, panel, windows and weights, kSteps steps on
// each, then the losses, weights and AdamW first moments compared (STYLE T1, T2, T6).
// LSTM and GRU, Gaussian and negative binomial, with and without static embeddings (the
// embedding path: device gather and the device twin of embedding_backward; without: no tables),
// and a _loc case with the window location (Note [Window location]; the resident-panel case
// then computes the locations and scales on the device, window_scale_kernel<true>).
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

#include "engine/deepar/cuda/train_step.h"
#include "engine/deepar/internal.h"
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
  o.dropout = 0.0;  // masks differ between devices (Note [cuDNN dropout]): parity needs none
  o.batch = 48;
  o.lr = 1e-3;
  o.weight_decay = 0.01;
  o.clip = 1.0;  // small enough to clip: the device-side norm is exercised
  o.seed = 11;
  o.season_length = 7;
  if (c.window_loc) {  // Note [Window location], with the volatility input `auto` gives it (Note [Derived inputs])
    o.target_transform = "log1p_window";
    o.volatility = "on";
  }
  if (c.distances) o.distances = "on";  // Note [Distance inputs]
  o.validate();
  TestPanelShape sh;
  sh.n_steps = 90;
  sh.pad_extra = o.horizon;
  sh.late_every = 5;
  sh.late_start = 40;
  make_test_panel(o, c.statics, sh, s.fp, s.l, s.d);
  if (c.log1p) apply_log1p(s.d);  // Note [Target transform]
  init_weights(s.l, o.seed, s.w0);
  return s;
}

// HostWindows::cut's scale, location and target (Note [Window location]): loc stays empty
// without a window location.
void scale_and_target(const TrainData& s, const WindowBatch& wb, std::vector<float>& scale, std::vector<float>& loc,
                      std::vector<float>& target) {
  scale.resize(wb.n_batch);
  target.resize(wb.n_steps * wb.n_batch);
  loc.clear();
  if (s.l.window_loc) {
    loc.resize(wb.n_batch);
    window_loc_scale_cpu(s.d.y.data(), s.d.n_series, s.d.n_time, wb, s.o.context, loc.data(), scale.data());
  } else {
    window_scale_cpu(s.d.y.data(), s.d.n_series, s.d.n_time, wb, s.o.context, scale.data());
  }
  window_target_cpu(s.d.y.data(), s.d.n_series, s.d.n_time, wb, target.data(), loc.empty() ? nullptr : loc.data());
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
  std::vector<float> loc;
  scale_and_target(s, wb, b.scale, loc, b.target);
  for (int64_t t = 0; t < W; ++t)
    for (int64_t i = 0; i < B; ++i)
      if (b.t0[i] + t >= T - s.o.horizon) b.target[t * B + i] = NAN;  // the validation steps
  ComposeScratch cs;
  compose_inputs(s.d, s.l, w, s.d.y.data(), s.d.n_series, T, 0, b.series.data(), b.series.data(), b.t0.data(), B, W,
                 b.scale.data(), cs, x_out, loc.empty() ? nullptr : loc.data());
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

  // CPU: the trainer's step (engine/deepar/train.cpp: CpuStep::run, then AdamW::step).
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
                                           Case{"lstm", "gaussian", false},
                                           Case{"gru", "gaussian", true, true, true},
                                           Case{"gru", "gaussian", true, true, false, true}),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name(); });

// Windows cut on the device from the resident panel (upload_panel + submit_windows: the
// features, covariate, mask and embedding kernels) against the same windows composed on the
// host (compose_inputs + next_inputs/submit), both on the GPU: the inputs differ only by the
// features kernel's float rounding (it runs features_cpu.cpp's kernels/features_math.hpp in
// double, see tests/gpu/test_kernel_parity.cpp), so losses agree to 1e-6 relative and weights after
// kSteps steps to the 1e-5 (a = 1e-5 max|w|) that such input rounding can move AdamW's steps.
// Then evaluate() (validation on the device) against the CPU network's inference loss on the
// same validation windows: 1e-4 relative, the forward-only part of the FP32 budget above.
class DeepArResidentPanel : public GpuTest, public ::testing::WithParamInterface<Case> {};

TEST_P(DeepArResidentPanel, DeviceWindowsMatchHostComposed) {
  const Case c = GetParam();
  const TrainData s = make_setup(c);
  const int64_t B = s.o.batch, W = s.o.context + s.o.horizon, n = s.l.n_params, T = s.d.n_time;
  const std::vector<float> zeros(n, 0.0f);
  CudaTrainSetup setup;
  setup.context = s.o.context;
  CudaTrainStep host(s.l, s.d, B, W, adam_config(s.o), setup), dev(s.l, s.d, B, W, adam_config(s.o), setup);
  host.upload(s.w0, zeros, zeros, 0);
  dev.upload(s.w0, zeros, zeros, 0);
  std::string why;
  ASSERT_TRUE(dev.upload_panel(0, &why)) << why;
  EXPECT_TRUE(dev.panel_resident());
  EXPECT_FALSE(host.panel_resident());
  EXPECT_GT(dev.panel_bytes(), static_cast<int64_t>(s.d.y.size() * sizeof(float)));
  std::vector<double> loss_host, loss_dev;
  for (int64_t k = 0; k < kSteps; ++k) {
    Batch b;
    const CudaStepInputs in = host.next_inputs(B, W);
    cut(s, k, s.w0.data(), b, in.x);
    std::copy(b.target.begin(), b.target.end(), in.target);
    std::copy(b.scale.begin(), b.scale.end(), in.scale);
    host.submit(b.series.data(), B, W);
    dev.submit_windows(b.series.data(), b.t0.data(), B, W, T - s.o.horizon, 0);  // cut()'s mask
  }
  for (const nn::LossValue& v : host.take_losses(true)) loss_host.push_back(v.loss);
  for (const nn::LossValue& v : dev.take_losses(true)) loss_dev.push_back(v.loss);
  ASSERT_EQ(loss_host.size(), static_cast<size_t>(kSteps));
  ASSERT_EQ(loss_dev.size(), static_cast<size_t>(kSteps));
  for (int64_t k = 0; k < kSteps; ++k)
    EXPECT_NEAR(loss_dev[k], loss_host[k], 1e-6 * std::fabs(loss_host[k])) << c.name() << " step " << k + 1;
  std::vector<float> wh, mh, vh, wd, md, vd;
  host.download(wh, mh, vh);
  dev.download(wd, md, vd);
  EXPECT_TRUE(all_close(wh, wd, 1e-5 * max_abs(wh), 1e-5)) << c.name() << " weights";

  // Validation windows (deepar_train's validate): the last `horizon` steps after a context.
  const int64_t V = s.o.horizon, n_steps = s.o.context + V, Bv = std::min<int64_t>(B, s.d.n_series);
  std::vector<int64_t> series(Bv), t0(Bv, T - V - s.o.context);
  for (int64_t b = 0; b < Bv; ++b) series[b] = b;
  std::vector<float> target, scale, head0;
  const nn::LossValue ev = dev.evaluate(wd.data(), series.data(), t0.data(), Bv, n_steps, T, s.o.context, &target,
                                        &scale, &head0);
  // The CPU reference on the same weights and windows.
  const WindowBatch wb{series.data(), t0.data(), Bv, n_steps};
  std::vector<float> cs, cl, ct, cx(n_steps * Bv * s.l.n_features);
  scale_and_target(s, wb, cs, cl, ct);
  for (int64_t t = 0; t < s.o.context; ++t)
    for (int64_t b = 0; b < Bv; ++b) ct[t * Bv + b] = NAN;
  ComposeScratch scratch;
  compose_inputs(s.d, s.l, wd.data(), s.d.y.data(), s.d.n_series, T, 0, series.data(), series.data(), t0.data(), Bv,
                 n_steps, cs.data(), scratch, cx.data(), cl.empty() ? nullptr : cl.data());
  CpuStep cpu(s.l);
  const nn::LossValue cv = cpu.run(s.d, s.l, wd.data(), cx.data(), ct.data(), cs.data(), series.data(), Bv, n_steps,
                                   nn::Phase::Inference, 0, nullptr);
  EXPECT_EQ(ev.weight_sum, cv.weight_sum) << c.name();
  EXPECT_NEAR(ev.loss, cv.loss, 1e-4 * std::fabs(cv.loss)) << c.name();
  ASSERT_EQ(target.size(), ct.size());
  for (size_t i = 0; i < ct.size(); ++i) EXPECT_EQ(std::isnan(target[i]), std::isnan(ct[i])) << i;
  EXPECT_TRUE(all_close(cs, scale, 1e-6 * max_abs(cs), 1e-6)) << c.name() << " scales";
  ASSERT_EQ(head0.size(), ct.size());
  const int64_t P = cpu.net.head.n_out();
  std::vector<float> cpu_head0(ct.size());
  for (size_t r = 0; r < ct.size(); ++r) cpu_head0[r] = cpu.dctx->y()[r * P];
  EXPECT_TRUE(all_close(cpu_head0, head0, 1e-4 * max_abs(cpu_head0), 1e-4)) << c.name() << " head outputs";
  std::printf("PARITY deepar_resident_%s loss_host=%.8f loss_dev=%.8f val_cpu=%.8f val_gpu=%.8f\n",
              c.name().c_str(), loss_host.back(), loss_dev.back(), cv.loss, ev.loss);
}

INSTANTIATE_TEST_SUITE_P(Cases, DeepArResidentPanel,
                         ::testing::Values(Case{"lstm", "gaussian", true}, Case{"gru", "negbin", false},
                                           Case{"gru", "gaussian", true, true, true},
                                           Case{"lstm", "negbin", true, false, false, true}),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name(); });

// Dropout (cuDNN's, Note [cuDNN dropout]) and half precision run the whole step: the losses
// stay finite and near the FP32, dropout-free run's (the masks and half rounding move them;
// 10 % relative over kSteps steps from the same start), the weights move, and two runs with the
// same seed draw the same masks (cuDNN's dropout states are seeded at construction): the first
// step's loss, a forward only, is bit-identical; the weights after kSteps agree to 1e-5 (cuDNN's
// and cuBLAS's backward need not be bitwise deterministic run to run).
class DeepArTrainGpuOptions : public GpuTest {};

TEST_F(DeepArTrainGpuOptions, DropoutAndHalfPrecisionTrain) {
  TrainData s = make_setup(Case{"lstm", "gaussian", true});
  const int64_t B = s.o.batch, W = s.o.context + s.o.horizon, n = s.l.n_params, T = s.d.n_time;
  const std::vector<float> zeros(n, 0.0f);
  auto run = [&](float dropout, TrainPrecision prec, uint64_t seed, std::vector<float>& w_out) {
    Layout l = s.l;
    l.rnn.dropout = dropout;
    CudaTrainSetup setup;
    setup.context = s.o.context;
    setup.precision = prec;
    setup.dropout_seed = seed;
    CudaTrainStep gpu(l, s.d, B, W, adam_config(s.o), setup);
    gpu.upload(s.w0, zeros, zeros, 0);
    EXPECT_TRUE(gpu.upload_panel(0));
    for (int64_t k = 0; k < kSteps; ++k) {
      Batch b;
      b.x.resize(W * B * s.l.n_features);
      cut(s, k, s.w0.data(), b, b.x.data());
      gpu.submit_windows(b.series.data(), b.t0.data(), B, W, T - s.o.horizon, 0);
    }
    std::vector<double> losses;
    for (const nn::LossValue& v : gpu.take_losses(true)) losses.push_back(v.loss);
    std::vector<float> m1, m2;
    gpu.download(w_out, m1, m2);
    return losses;
  };
  std::vector<float> w_ref, w_a, w_b;
  const std::vector<double> ref = run(0.0f, TrainPrecision::Fp32, 0, w_ref);
  const std::vector<double> a = run(0.3f, TrainPrecision::Fp32, 7, w_a);
  const std::vector<double> b = run(0.3f, TrainPrecision::Fp32, 7, w_b);
  ASSERT_EQ(a.size(), ref.size());
  EXPECT_EQ(a[0], b[0]) << "same dropout seed, different masks";
  EXPECT_TRUE(all_close(w_a, w_b, 1e-5 * max_abs(w_a), 1e-5));
  EXPECT_NE(w_a, w_ref) << "dropout 0.3 changed nothing";
  for (size_t k = 0; k < ref.size(); ++k) {
    EXPECT_TRUE(std::isfinite(a[k]));
    EXPECT_NEAR(a[k], ref[k], 0.1 * std::fabs(ref[k])) << "dropout step " << k + 1;
  }
  for (TrainPrecision p : {TrainPrecision::Fp16, TrainPrecision::Bf16}) {
    std::vector<float> w_h;
    std::vector<double> h;
    try {
      h = run(0.0f, p, 0, w_h);
    } catch (const DeviceError& e) {  // a cuDNN without BF16 RNNs (Note [cuDNN precision])
      std::printf("precision refused by cuDNN: %s\n", e.what());
      continue;
    }
    ASSERT_EQ(h.size(), ref.size());
    for (size_t k = 0; k < ref.size(); ++k)
      EXPECT_NEAR(h[k], ref[k], 0.1 * std::fabs(ref[k])) << (p == TrainPrecision::Fp16 ? "fp16" : "bf16") << " step "
                                                        << k + 1;
    EXPECT_NE(w_h, s.w0);
    std::printf("PARITY deepar_train_%s loss_fp32=%.6f loss_half=%.6f\n", p == TrainPrecision::Fp16 ? "fp16" : "bf16",
                ref.back(), h.back());
  }
}

// Bad input gives clear errors, never a crash: oversized batches, negative counts, windows
// outside the panel, device windows without a resident panel.
class DeepArTrainGpuErrors : public GpuTest {};

TEST_F(DeepArTrainGpuErrors, RefusesWhatItCannotRun) {
  TrainData s = make_setup(Case{"lstm", "negbin", true});
  const int64_t B = s.o.batch, W = s.o.context + s.o.horizon;
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

  EXPECT_THROW(gpu.submit_windows(b.series.data(), b.t0.data(), B, W, s.d.n_time, 0), Error);  // not resident
  std::string why;
  EXPECT_FALSE(gpu.upload_panel(16, &why));  // 16 bytes: too small
  EXPECT_NE(why.find("GiB"), std::string::npos) << why;
  ASSERT_TRUE(gpu.upload_panel(0, &why)) << why;
  std::vector<int64_t> bad_series = b.series, bad_t0 = b.t0;
  bad_series[3] = s.d.n_series;
  EXPECT_THROW(gpu.submit_windows(bad_series.data(), b.t0.data(), B, W, s.d.n_time, 0), InputError);
  bad_t0[2] = -s.d.pad - 1;
  EXPECT_THROW(gpu.submit_windows(b.series.data(), bad_t0.data(), B, W, s.d.n_time, 0), InputError);
  EXPECT_EQ(gpu.n_submitted(), 1);  // nothing more was queued
  // A panel with a negative count stays on the host path, which names the value per step.
  TrainData neg = make_setup(Case{"lstm", "negbin", true});
  neg.d.y[neg.d.n_time + 3] = -2.0f;
  CudaTrainStep g2(neg.l, neg.d, B, W, adam_config(neg.o));
  EXPECT_FALSE(g2.upload_panel(0, &why));
  EXPECT_NE(why.find("series 1 step 3"), std::string::npos) << why;
}

}  // namespace
