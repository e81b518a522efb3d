// tests/gpu/test_kernel_parity.cpp — one table-driven harness for the kernels/ ops (STYLE T12):
// every row runs one op's CUDA launcher and its _cpu twin on the same seeded inputs and
// compares |gpu - ref| <= atol + rtol |ref| (all_close: index, ref, got, max errors, STYLE T1,
// T2), over the shape sweep of STYLE T3: batches 0 (empty), 1, 2, 31, 257 and 10,000 (none a
// multiple of the 128- or 256-thread blocks), a larger one where a row's grid strides, and for
// each an all-NaN variant where NaN inputs mean something (masked series, NaN gradients).
// Adding an op adds a row to kOps. Every row skips without a device (GpuTest).
//
// Tolerances, per row (both twins run kernels/<op>_math.hpp's functions, in double, and round
// once to the storage type; what is left is the device's log/exp/pow/lgamma, a few double ulp
// from glibc's, FMA contraction, and, for the sums, the order of the terms):
//   likelihood_fwd_bwd: fp32 defaults 1e-5 / 1e-5.
//   likelihood_weight_sum, grad_sq_norm: double sums in another order: 1e-12 relative.
//   features_fwd, window_scale: fp32 defaults; FMA contraction in the rolling sum of squares,
//     magnified by the sd's cancellation (sqrt(sum2/n - mean^2)), stays ~1e-7 of the mean.
//   window_scale with the location (window_loc_scale): double sums in another order (a warp
//     per window), rounded to float: fp32 defaults.
//   window_target: copies values (minus the same float location): exact.
//   adam_step: 1e-6 / 1e-6: one float ulp (~6e-8 relative) from contraction, compounded over
//     three steps through m and v.
// Special cases that are not a shape (NaN gradients through the device-side norm and clip,
// empty launches with null pointers) are separate tests at the end.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "kernels/adam.hpp"
#include "kernels/device_buffer.hpp"
#include "kernels/features.hpp"
#include "kernels/likelihood.hpp"
#include "tests/gpu/parity_util.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using skucast::test::kNaNf;
using skucast::test::normal_with_nan;
using skucast::test::poison;

namespace {

// Fills a device buffer with 0x7F bytes: a large finite value (3.4e38 as float), for outputs
// whose reference holds NaN, where NaN poison would pass unwritten.
template <class T>
void poison_finite(DeviceBuffer<T>& b) {
  if (b.size()) SKU_CUDA_CHECK(cudaMemset(b.data(), 0x7F, b.size() * sizeof(T)));
}

std::string shape(const char* what, int64_t a, int64_t b) {
  return std::string(what) + " " + std::to_string(a) + " x " + std::to_string(b);
}

// ------------------------------------------------------------ likelihood ----
// Inputs of one batch: counts for NegBin/Tweedie (their support is y >= 0), reals otherwise;
// 10 % of y NaN, and every y NaN when all_nan.
struct LikelihoodBatch {
  std::vector<float> raw, y, scale, weight;
};

LikelihoodBatch make_likelihood_batch(std::mt19937& rng, Likelihood kind, int64_t T, int64_t B, bool with_weight,
                                      bool all_nan) {
  const int64_t P = likelihood_n_params(kind);
  LikelihoodBatch b;
  b.raw = normal_with_nan(rng, T * B * P, 0.0f, 1.5f, 0.0);
  const bool counts = kind == Likelihood::NegBin || kind == Likelihood::Tweedie;
  b.y = normal_with_nan(rng, T * B, counts ? 0.0f : 40.0f, counts ? 6.0f : 25.0f, all_nan ? 1.0 : 0.1);
  if (counts)
    for (auto& v : b.y)
      if (!std::isnan(v)) v = std::floor(std::fabs(v));
  std::uniform_real_distribution<float> U(0.0f, 1.0f);
  b.scale.resize(B);
  for (auto& s : b.scale) s = 1.0f + 30.0f * U(rng);
  if (with_weight) {
    b.weight.resize(B);
    for (int64_t i = 0; i < B; ++i) b.weight[i] = i % 5 == 2 ? 0.0f : 2.0f * U(rng);  // some zero weights
  }
  return b;
}

// likelihood_fwd_bwd of one kind: the gradient factor from a device-resident weight sum (as the
// training step normalizes, no host round trip) and from a host grad_scale.
template <Likelihood K>
void row_likelihood_fwd_bwd(int64_t B, bool all_nan, std::mt19937& rng) {
  LikelihoodParams params;
  params.kind = K;
  params.tweedie_power = 1.4;
  const int64_t P = likelihood_n_params(K);
  for (int64_t T : {1, 7}) {
    for (bool with_weight : {false, true}) {
      const std::string where = shape("T x B", T, B) + (with_weight ? " weighted" : "");
      const LikelihoodBatch in = make_likelihood_batch(rng, K, T, B, with_weight, all_nan);
      const float* w_host = with_weight ? in.weight.data() : nullptr;
      // CPU reference, normalized as the trainer does: grad_scale = 1 / sum of weights.
      const double wsum = likelihood_weight_sum_cpu(in.y.data(), w_host, T, B);
      const double gs = wsum > 0 ? 1.0 / wsum : 0.0;
      std::vector<float> loss_ref(T * B), draw_ref(T * B * P);
      likelihood_fwd_bwd_cpu(params, in.raw.data(), in.y.data(), in.scale.data(), w_host, T, B, gs, loss_ref.data(),
                             draw_ref.data());

      DeviceBuffer<float> d_raw(in.raw), d_y(in.y), d_scale(in.scale), d_loss(T * B), d_draw(T * B * P);
      DeviceBuffer<float> d_w = with_weight ? DeviceBuffer<float>(in.weight) : DeviceBuffer<float>();
      DeviceBuffer<double> d_wsum(std::vector<double>{wsum});  // the CPU sum: this row checks fwd_bwd alone
      const float* w_dev = with_weight ? d_w.data() : nullptr;

      poison(d_loss);
      poison(d_draw);
      likelihood_fwd_bwd(params, d_raw.data(), d_y.data(), d_scale.data(), w_dev, T, B, 1.0, d_wsum.data(),
                         d_loss.data(), d_draw.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_TRUE(all_close(loss_ref, d_loss.download(), 1e-5, 1e-5)) << "loss, " << where;
      EXPECT_TRUE(all_close(draw_ref, d_draw.download(), 1e-5, 1e-5)) << "draw (device weight sum), " << where;

      poison(d_draw);
      likelihood_fwd_bwd(params, d_raw.data(), d_y.data(), d_scale.data(), w_dev, T, B, gs, nullptr, d_loss.data(),
                         d_draw.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_TRUE(all_close(draw_ref, d_draw.download(), 1e-5, 1e-5)) << "draw (host grad_scale), " << where;
    }
  }
}

void row_likelihood_weight_sum(int64_t B, bool all_nan, std::mt19937& rng) {
  for (int64_t T : {1, 7}) {
    for (bool with_weight : {false, true}) {
      const LikelihoodBatch in = make_likelihood_batch(rng, Likelihood::Gaussian, T, B, with_weight, all_nan);
      const double ref = likelihood_weight_sum_cpu(in.y.data(), with_weight ? in.weight.data() : nullptr, T, B);
      DeviceBuffer<float> d_y(in.y);
      DeviceBuffer<float> d_w = with_weight ? DeviceBuffer<float>(in.weight) : DeviceBuffer<float>();
      DeviceBuffer<double> d_sum(1);
      poison(d_sum);
      likelihood_weight_sum(d_y.data(), with_weight ? d_w.data() : nullptr, T, B, d_sum.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_TRUE(all_close(std::vector<double>{ref}, d_sum.download(), 1e-12, 1e-12))
          << shape("T x B", T, B) << (with_weight ? " weighted" : "");
    }
  }
}

// -------------------------------------------------------------- features ----
// A panel y [S, N] with leading NaN (late launches), interior NaN and one all-NaN series (s = 3);
// every value NaN when all_nan.
constexpr int64_t kS = 97, kN = 400, kNCal = kN + 30;

std::vector<float> make_panel(std::mt19937& rng, bool all_nan) {
  std::vector<float> y = normal_with_nan(rng, kS * kN, 30.0f, 12.0f, all_nan ? 1.0 : 0.08);
  for (int64_t s = 0; s < kS; ++s)
    for (int64_t t = 0; t < kN; ++t)
      if (t < (s * 17) % 60 || s == 3) y[s * kN + t] = kNaNf;
  return y;
}

// B windows over the panel; t0 runs from before the axis (padding) to past its end.
void make_windows(std::mt19937& rng, int64_t T, int64_t B, std::vector<int64_t>& series, std::vector<int64_t>& t0) {
  std::uniform_int_distribution<int64_t> us(0, kS - 1), ut(-40, kN - T + 20);
  series.resize(B);
  t0.resize(B);
  for (int64_t b = 0; b < B; ++b) {
    series[b] = us(rng);
    t0[b] = ut(rng);
  }
}

// The window lengths of the sweep: a training window (context 112 + horizon 28; 40 steps at
// the largest batch, to keep the CPU reference cheap), and 1 and 5 steps: the forecast's
// one-step batches and features_fwd's short-window launch shape (256 windows x 1 step).
std::vector<int64_t> window_lengths(int64_t B) { return {B >= 10000 ? 40 : 140, 1, 5}; }

void row_features_fwd(int64_t B, bool all_nan, std::mt19937& rng) {
  const std::vector<float> y = make_panel(rng, all_nan);
  std::vector<float> cal(kNCal * 4);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  for (auto& c : cal) c = U(rng);
  DeviceBuffer<float> d_y(y), d_cal(cal);
  FeatureSpec full;  // m = 7, rolling 7 and 28, 4 calendar columns
  full.n_calendar = 4;
  FeatureSpec lean;  // no seasonal lag, no short window, no calendar
  lean.season_length = 1;
  lean.roll_short = 0;
  lean.roll_long = 5;
  for (const FeatureSpec& spec : {full, lean}) {
    const int64_t F = feature_count(spec);
    for (int64_t T : window_lengths(B)) {
      std::vector<int64_t> series, t0;
      make_windows(rng, T, B, series, t0);
      const WindowBatch hb{series.data(), t0.data(), B, T};
      std::vector<float> scale(B), x_ref(T * B * F);
      window_scale_cpu(y.data(), kS, kN, hb, std::max<int64_t>(1, T * 4 / 5), scale.data());
      const float* cal_h = spec.n_calendar ? cal.data() : nullptr;
      features_fwd_cpu(spec, y.data(), kS, kN, scale.data(), hb, cal_h, kNCal, x_ref.data());
      // The device reads the CPU scale, so that a scale mismatch shows in window_scale's row only.
      DeviceBuffer<int64_t> d_series(series), d_t0(t0);
      DeviceBuffer<float> d_scale(scale), d_x(T * B * F);
      poison(d_x);
      features_fwd(spec, d_y.data(), kS, kN, d_scale.data(), WindowBatch{d_series.data(), d_t0.data(), B, T},
                   spec.n_calendar ? d_cal.data() : nullptr, kNCal, d_x.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_TRUE(all_close(x_ref, d_x.download(), 1e-5, 1e-5)) << shape("T x B", T, B) << " F=" << F;
      // With each window's location (Note [Window location]), read from the CPU's
      // window_loc_scale_cpu, so that a location mismatch shows in window_scale's row only.
      std::vector<float> loc(B);
      window_loc_scale_cpu(y.data(), kS, kN, hb, std::max<int64_t>(1, T * 4 / 5), loc.data(), scale.data());
      features_fwd_cpu(spec, y.data(), kS, kN, scale.data(), hb, cal_h, kNCal, x_ref.data(), loc.data());
      d_scale.upload(scale);
      DeviceBuffer<float> d_loc(loc);
      poison(d_x);
      features_fwd(spec, d_y.data(), kS, kN, d_scale.data(), WindowBatch{d_series.data(), d_t0.data(), B, T},
                   spec.n_calendar ? d_cal.data() : nullptr, kNCal, d_x.data(), nullptr, d_loc.data());
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_TRUE(all_close(x_ref, d_x.download(), 1e-5, 1e-5)) << shape("T x B", T, B) << " F=" << F << " loc";
    }
  }
}

void row_window_scale(int64_t B, bool all_nan, std::mt19937& rng) {
  const std::vector<float> y = make_panel(rng, all_nan);
  DeviceBuffer<float> d_y(y);
  for (int64_t T : window_lengths(B)) {
    // Contexts under, at and over a warp's 32 lanes (the kernel strides a warp over them).
    for (int64_t n_context : {std::max<int64_t>(1, T * 4 / 5), std::min<int64_t>(T, 32)}) {
      std::vector<int64_t> series, t0;
      make_windows(rng, T, B, series, t0);
      std::vector<float> ref(B);
      window_scale_cpu(y.data(), kS, kN, WindowBatch{series.data(), t0.data(), B, T}, n_context, ref.data());
      DeviceBuffer<int64_t> d_series(series), d_t0(t0);
      DeviceBuffer<float> d_scale(B);
      poison(d_scale);
      window_scale(d_y.data(), kS, kN, WindowBatch{d_series.data(), d_t0.data(), B, T}, n_context, d_scale.data(),
                   nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_TRUE(all_close(ref, d_scale.download(), 1e-5, 1e-5)) << shape("T x B", T, B) << " context " << n_context;
      // With the location of Note [Window location] (window_scale_kernel<true>): double sums in
      // another order, the mean to float rounding; the deviation sum around it too.
      std::vector<float> loc(B);
      window_loc_scale_cpu(y.data(), kS, kN, WindowBatch{series.data(), t0.data(), B, T}, n_context, loc.data(),
                           ref.data());
      DeviceBuffer<float> d_loc(B);
      poison(d_loc);
      poison(d_scale);
      window_loc_scale(d_y.data(), kS, kN, WindowBatch{d_series.data(), d_t0.data(), B, T}, n_context, d_loc.data(),
                       d_scale.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_TRUE(all_close(loc, d_loc.download(), 1e-5, 1e-5)) << shape("T x B", T, B) << " context " << n_context
                                                                << " loc";
      EXPECT_TRUE(all_close(ref, d_scale.download(), 1e-5, 1e-5)) << shape("T x B", T, B) << " context "
                                                                  << n_context << " loc";
    }
  }
}

void row_window_target(int64_t B, bool all_nan, std::mt19937& rng) {
  const std::vector<float> y = make_panel(rng, all_nan);
  DeviceBuffer<float> d_y(y);
  for (int64_t T : window_lengths(B)) {
    std::vector<int64_t> series, t0;
    make_windows(rng, T, B, series, t0);
    std::vector<float> ref(T * B);
    window_target_cpu(y.data(), kS, kN, WindowBatch{series.data(), t0.data(), B, T}, ref.data());
    DeviceBuffer<int64_t> d_series(series), d_t0(t0);
    DeviceBuffer<float> d_target(T * B);
    poison_finite(d_target);  // the reference holds NaN (missing, off the axis)
    window_target(d_y.data(), kS, kN, WindowBatch{d_series.data(), d_t0.data(), B, T}, d_target.data(), nullptr);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_TRUE(all_close(ref, d_target.download(), 0.0, 0.0)) << shape("T x B", T, B);
    // With a location per window (Note [Window location]): one float subtraction on both sides.
    std::vector<float> loc(B);
    std::uniform_real_distribution<float> U(-3.0f, 3.0f);
    for (auto& v : loc) v = U(rng);
    window_target_cpu(y.data(), kS, kN, WindowBatch{series.data(), t0.data(), B, T}, ref.data(), loc.data());
    DeviceBuffer<float> d_loc(loc);
    poison_finite(d_target);
    window_target(d_y.data(), kS, kN, WindowBatch{d_series.data(), d_t0.data(), B, T}, d_target.data(), nullptr,
                  d_loc.data());
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_TRUE(all_close(ref, d_target.download(), 0.0, 0.0)) << shape("T x B", T, B) << " with loc";
  }
}

// ------------------------------------------------------------------ adam ----
// grad_sq_norm over two "parameter groups" summed into one global norm (Overwrite, then
// Accumulate). n = B elements; NaN gradients (all_nan) make the norm NaN on both sides.
void row_grad_sq_norm(int64_t n, bool all_nan, std::mt19937& rng) {
  const std::vector<float> g = normal_with_nan(rng, n, 0.0f, 2.0f, all_nan ? 1.0 : 0.0);
  const int64_t split = n / 3;
  const double ref = grad_sq_norm_cpu(g.data(), split) + grad_sq_norm_cpu(g.data() + split, n - split);
  DeviceBuffer<float> d_g(g);
  DeviceBuffer<double> d_sq(1);
  poison(d_sq);
  grad_sq_norm(d_g.data(), split, d_sq.data(), NormWrite::Overwrite, nullptr);
  grad_sq_norm(d_g.data() + split, n - split, d_sq.data(), NormWrite::Accumulate, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_TRUE(all_close(std::vector<double>{ref}, d_sq.download(), 0.0, 1e-12)) << "n=" << n;
}

// Three AdamW steps, clipping off (no norm pointer) and on (max_norm 1, far below the random
// gradients' norm), the clipping factor read from device memory. The device reads the CPU's
// norm, so that a norm mismatch shows in grad_sq_norm's row only.
void row_adam_step(int64_t n, bool all_nan, std::mt19937& rng) {
  for (double max_norm : {0.0, 1.0}) {
    std::vector<float> w = normal_with_nan(rng, n, 0.0f, 0.5f, 0.0);
    std::vector<float> m(n, 0.0f), v(n, 0.0f);
    DeviceBuffer<float> dw(w), dm(m), dv(v), dg(n);
    DeviceBuffer<double> d_sq(1);
    AdamParams p;
    p.lr = 3e-3;
    p.weight_decay = 0.01;
    for (int64_t step = 1; step <= 3; ++step) {
      const std::vector<float> g = normal_with_nan(rng, n, 0.0f, 2.0f, all_nan ? 1.0 : 0.0);
      p.step = step;
      const double sq = grad_sq_norm_cpu(g.data(), n);
      AdamParams pc = p;
      pc.grad_scale = clip_scale_cpu(sq, max_norm);
      adam_step_cpu(pc, w.data(), g.data(), m.data(), v.data(), n);
      dg.upload(g);
      d_sq.upload(std::vector<double>{sq});
      const AdamClip clip = max_norm > 0 ? AdamClip{d_sq.data(), max_norm} : AdamClip{};
      adam_step(p, clip, dw.data(), dg.data(), dm.data(), dv.data(), n, nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    }
    const std::string where = "n=" + std::to_string(n) + " max_norm=" + std::to_string(max_norm);
    EXPECT_TRUE(all_close(w, dw.download(), 1e-6, 1e-6)) << "w " << where;
    EXPECT_TRUE(all_close(m, dm.download(), 1e-6, 1e-6)) << "m " << where;
    EXPECT_TRUE(all_close(v, dv.download(), 1e-6, 1e-6)) << "v " << where;
  }
}

// ------------------------------------------------------------- the table ----
struct OpRow {
  const char* name;                                        // the test's name: letters, digits, _
  void (*run)(int64_t batch, bool all_nan, std::mt19937&);  // one shape of the sweep
  int64_t large;                                           // a size past the row's grid cap, or 0
};

// 2^20 + 3 elements: past adam_step's 2,048 x 256 threads and the reductions' 1,024 x 256, so
// both grid-stride loops take more than one lap, with a ragged last one.
constexpr int64_t kStrided = (int64_t{1} << 20) + 3;

const OpRow kOps[] = {
    {"likelihood_fwd_bwd_gaussian", row_likelihood_fwd_bwd<Likelihood::Gaussian>, 0},
    {"likelihood_fwd_bwd_negbin", row_likelihood_fwd_bwd<Likelihood::NegBin>, 0},
    {"likelihood_fwd_bwd_tweedie", row_likelihood_fwd_bwd<Likelihood::Tweedie>, 0},
    {"likelihood_fwd_bwd_mse", row_likelihood_fwd_bwd<Likelihood::Mse>, 0},
    {"likelihood_fwd_bwd_mae", row_likelihood_fwd_bwd<Likelihood::Mae>, 0},
    {"likelihood_fwd_bwd_student_t", row_likelihood_fwd_bwd<Likelihood::StudentT>, 0},
    {"likelihood_weight_sum", row_likelihood_weight_sum, 50000},  // x 7 steps: 350,000 rows
    {"features_fwd", row_features_fwd, 0},
    {"window_scale", row_window_scale, 0},
    {"window_target", row_window_target, 0},
    {"grad_sq_norm", row_grad_sq_norm, kStrided},
    {"adam_step", row_adam_step, kStrided},
};

// gtest prints a parameter that fails by its name, not its bytes.
void PrintTo(const OpRow& op, std::ostream* os) { *os << op.name; }

// A row's seed: the FNV-1a hash of its name, so that rows draw different inputs and adding a
// row changes no other row's.
uint32_t seed_of(const char* name) {
  uint32_t h = 2166136261u;
  for (const char* c = name; *c; ++c) h = (h ^ static_cast<unsigned char>(*c)) * 16777619u;
  return h;
}

// STYLE T3's batch sizes, with 0 (empty) and 31 (under one warp).
constexpr int64_t kBatches[] = {0, 1, 2, 31, 257, 10000};

}  // namespace

class KernelParity : public GpuTest, public ::testing::WithParamInterface<OpRow> {};

TEST_P(KernelParity, MatchesCpuTwin) {
  const OpRow& op = GetParam();
  std::mt19937 rng(seed_of(op.name));
  std::vector<int64_t> sizes(std::begin(kBatches), std::end(kBatches));
  if (op.large > 0) sizes.push_back(op.large);
  for (int64_t batch : sizes) {
    for (bool all_nan : {false, true}) {
      SCOPED_TRACE(std::string(op.name) + ": batch " + std::to_string(batch) + (all_nan ? ", all NaN" : ""));
      op.run(batch, all_nan, rng);
      if (HasFatalFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, KernelParity, ::testing::ValuesIn(kOps),
                         [](const ::testing::TestParamInfo<OpRow>& i) { return std::string(i.param.name); });

// ----------------------------------------------------------- special cases ----
class KernelParityCases : public GpuTest {};

// A NaN gradient makes the norm NaN; clip_grad_norm_'s factor is then NaN < 1 == false, so
// neither side clips, and the NaN propagates to that element only, identically: norm, clip and
// step chained on the device, as the training step runs them.
TEST_F(KernelParityCases, AdamNanGradientPropagatesLikeCpu) {
  std::mt19937 rng(12);
  const int64_t n = 257;
  std::vector<float> w = normal_with_nan(rng, n, 0.0f, 0.5f, 0.0), m(n, 0.0f), v(n, 0.0f);
  const std::vector<float> g = normal_with_nan(rng, n, 0.0f, 2.0f, 0.05);
  DeviceBuffer<float> dw(w), dm(m), dv(v), dg(g);
  DeviceBuffer<double> d_sq(1);
  AdamParams p;
  const double sq = grad_sq_norm_cpu(g.data(), n);
  p.grad_scale = clip_scale_cpu(sq, 1.0);
  adam_step_cpu(p, w.data(), g.data(), m.data(), v.data(), n);
  p.grad_scale = 1.0;
  grad_sq_norm(dg.data(), n, d_sq.data(), NormWrite::Overwrite, nullptr);
  adam_step(p, AdamClip{d_sq.data(), 1.0}, dw.data(), dg.data(), dm.data(), dv.data(), n, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_TRUE(std::isnan(d_sq.download()[0]));
  EXPECT_TRUE(all_close(w, dw.download(), 1e-6, 1e-6));
}

// Launchers given nothing to do return without touching their (null) pointers; an empty norm
// overwrites its output with 0.
TEST_F(KernelParityCases, EmptyLaunchesAreNoOps) {
  likelihood_fwd_bwd(LikelihoodParams{}, nullptr, nullptr, nullptr, nullptr, 0, 5, 1.0, nullptr, nullptr, nullptr,
                     nullptr);
  const WindowBatch empty{nullptr, nullptr, 0, 10};
  features_fwd(FeatureSpec{}, nullptr, 0, 0, nullptr, empty, nullptr, 0, nullptr, nullptr);
  window_scale(nullptr, 0, 0, empty, 5, nullptr, nullptr);
  window_loc_scale(nullptr, 0, 0, empty, 5, nullptr, nullptr, nullptr);
  window_target(nullptr, 0, 0, empty, nullptr, nullptr);
  window_target(nullptr, 0, 0, empty, nullptr, nullptr, nullptr);
  features_fwd(FeatureSpec{}, nullptr, 0, 0, nullptr, WindowBatch{nullptr, nullptr, 4, 0}, nullptr, 0, nullptr,
               nullptr);  // zero steps
  adam_step(AdamParams{}, AdamClip{}, nullptr, nullptr, nullptr, nullptr, 0, nullptr);
  DeviceBuffer<double> d_sq(std::vector<double>{42.0});
  grad_sq_norm(nullptr, 0, d_sq.data(), NormWrite::Overwrite, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(d_sq.download()[0], 0.0);
}
