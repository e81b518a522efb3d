// tests/nn/test_attention.cpp — the CPU causal self-attention (engine/nn/attention.h): gradients
// by central finite differences in double precision (STYLE T7, as tests/nn/test_rnn_gradcheck.cpp),
// the gradient modes, and the step-wise path with its key/value cache against the whole-sequence
// forward (STYLE T6; Note [Attention]: causal, so both compute the same function). The PyTorch
// comparison is in tests/nn/test_rnn_torch_parity.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/nn/attention.h"
#include "kernels/common.hpp"

using namespace skucast::nn;

namespace {

template <typename T>
std::vector<T> random_vec(size_t n, std::mt19937_64& rng, double scale = 1.0) {
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(u(rng));
  return v;
}

// J = sum gy * y for the attention output of h under weights w.
double objective(const Attention<double>& att, const std::vector<double>& w, const std::vector<double>& h,
                 const std::vector<double>& gy, int64_t n_steps, int64_t n_batch) {
  AttentionContext<double> ctx;
  att.forward_into(ctx, w.data(), h.data(), n_steps, n_batch);
  double j = 0;
  for (size_t i = 0; i < gy.size(); ++i) j += gy[i] * ctx.y()[i];
  return j;
}

// |numeric - analytic| <= 1e-7 + 1e-6 |numeric| (step 1e-6: truncation ~1e-12 |f'''|, rounding
// ~1e-16 / 1e-6, both far below the budget), reporting the worst element (STYLE T2).
void expect_grads(const std::string& what, const std::vector<double>& numeric, const double* analytic) {
  double worst = 0, max_abs = 0;
  size_t at = 0;
  for (size_t i = 0; i < numeric.size(); ++i) {
    const double err = std::fabs(numeric[i] - analytic[i]);
    max_abs = std::max(max_abs, err);
    const double used = err / (1e-7 + 1e-6 * std::fabs(numeric[i]));
    if (used > worst) worst = used, at = i;
  }
  std::printf("[gradcheck] %-22s n=%-4zu max_abs=%.3g budget=%.1f%%\n", what.c_str(), numeric.size(), max_abs,
              100 * worst);
  EXPECT_LE(worst, 1.0) << what << ": index " << at << " numeric " << numeric[at] << " analytic " << analytic[at];
}

TEST(AttentionGradcheck, WeightsAndInputsMatchFiniteDifferences) {
  const int64_t Hd = 5, D = 3, N = 6, B = 3;
  std::mt19937_64 rng(7);
  const Attention<double> att(AttentionConfig{Hd, D});
  std::vector<double> w = random_vec<double>(att.n_params(), rng, 0.8);  // W_o not 0: every path carries gradient
  std::vector<double> h = random_vec<double>(N * B * Hd, rng, 1.5);
  const std::vector<double> gy = random_vec<double>(N * B * Hd, rng);
  AttentionContext<double> ctx;
  att.forward_into(ctx, w.data(), h.data(), N, B);
  std::vector<double> dh(h.size()), dw(w.size());
  att.backward(ctx, w.data(), gy.data(), dh.data(), dw.data(), GradMode::Overwrite);

  const double eps = 1e-6;
  auto numeric = [&](std::vector<double>& v) {
    std::vector<double> g(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const double keep = v[i];
      v[i] = keep + eps;
      const double jp = objective(att, w, h, gy, N, B);
      v[i] = keep - eps;
      const double jm = objective(att, w, h, gy, N, B);
      v[i] = keep;
      g[i] = (jp - jm) / (2 * eps);
    }
    return g;
  };
  expect_grads("attention dweights", numeric(w), dw.data());
  expect_grads("attention dh", numeric(h), dh.data());

  // Accumulate adds to what is there; Ignore leaves the weights' gradient alone and still gives dh.
  std::vector<double> acc(w.size(), 1.0), dh2(h.size());
  att.backward(ctx, w.data(), gy.data(), dh2.data(), acc.data(), GradMode::Accumulate);
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(acc[i], dw[i] + 1.0, 1e-12) << i;
  att.backward(ctx, w.data(), gy.data(), dh2.data(), nullptr, GradMode::Ignore);
  for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(dh2[i], dh[i]) << i;
}

// Rows of group g repeat window g's steps after the prefix; every row's step-wise output must
// equal the whole-sequence forward of its window.
template <typename T>
void check_step_matches_forward(int64_t n_prefix, int64_t per, double tol) {
  const int64_t Hd = 8, D = 4, G = 3, N = 9, n_dec = N - n_prefix;
  std::mt19937_64 rng(11);
  const Attention<T> att(AttentionConfig{Hd, D});
  const std::vector<T> w = random_vec<T>(att.n_params(), rng, 0.7);
  const std::vector<T> h = random_vec<T>(N * G * Hd, rng, 2.0);  // [N, G, Hd]
  AttentionContext<T> ctx;
  att.forward_into(ctx, w.data(), h.data(), N, G);

  AttentionCache<T> cache;
  att.prime(cache, w.data(), h.data(), n_prefix, G, per, n_dec);
  const int64_t R = G * per;
  std::vector<T> hr(R * Hd), y(R * Hd);
  double worst = 0;
  for (int64_t t = n_prefix; t < N; ++t) {
    for (int64_t r = 0; r < R; ++r)
      std::copy_n(h.begin() + (t * G + r / per) * Hd, Hd, hr.begin() + r * Hd);
    att.step(cache, w.data(), hr.data(), y.data());
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < Hd; ++c) {
        const double ref = ctx.y()[(t * G + r / per) * Hd + c];
        worst = std::max(worst, std::fabs(static_cast<double>(y[r * Hd + c]) - ref) / (1.0 + std::fabs(ref)));
      }
  }
  std::printf("[attention step] prefix %lld, %lld row(s) a group, %s: max error %.3g\n",
              static_cast<long long>(n_prefix), static_cast<long long>(per), sizeof(T) == 4 ? "f32" : "f64", worst);
  EXPECT_LE(worst, tol);
  // The cache is full: one step more is an error, not a write past the end.
  EXPECT_THROW(att.step(cache, w.data(), hr.data(), y.data()), skucast::Error);
}

// Tolerances: the two paths sum the same terms in a different order (GEMM vs loops), so they
// agree to a few ulps of the operands' size (|y| <~ 10): 1e-12 in double, 1e-5 in float.
TEST(AttentionStep, PrefixThenStepsMatchesForwardDouble) { check_step_matches_forward<double>(5, 1, 1e-12); }
TEST(AttentionStep, SharedPrefixManyRowsMatchesForwardDouble) { check_step_matches_forward<double>(5, 4, 1e-12); }
TEST(AttentionStep, NoPrefixMatchesForwardDouble) { check_step_matches_forward<double>(0, 2, 1e-12); }
TEST(AttentionStep, SharedPrefixManyRowsMatchesForwardFloat) { check_step_matches_forward<float>(6, 3, 1e-5); }

TEST(Attention, FreshWeightsAreTheIdentity) {
  // Note [Attention]: W_o starts at 0, so a fresh layer passes the recurrent outputs through.
  const int64_t Hd = 4, D = 4, N = 5, B = 2;
  const Attention<float> att(AttentionConfig{Hd, D});
  std::vector<float> w(att.n_params());
  att.init_uniform(w.data(), 3);
  std::mt19937_64 rng(1);
  const std::vector<float> h = random_vec<float>(N * B * Hd, rng);
  AttentionContext<float> ctx;
  att.forward_into(ctx, w.data(), h.data(), N, B);
  for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(ctx.y()[i], h[i]) << i;
  EXPECT_THROW(Attention<float>(AttentionConfig{0, 4}), skucast::InputError);
}

}  // namespace
