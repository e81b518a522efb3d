// tests/nn/test_loss_gradcheck.cpp — the likelihood losses (kernels/likelihood.hpp via
// engine/nn/loss.h): finite-difference gradient checks in double precision (STYLE T7),
// closed-form values, masking, weighting, validation, and float-vs-double agreement.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/nn/loss.h"
#include "kernels/common.hpp"

using namespace skucast;
using namespace skucast::nn;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Batch {
  int64_t T = 6, B = 5, P = 1;
  std::vector<double> raw, y, scale, weight;
};

// Random batch with a few masked rows and one zero-weight window. Count targets for NegBin
// and Tweedie (with zeros); MAE targets are continuous so that no residual is exactly 0.
Batch make_batch(Likelihood kind, uint64_t seed) {
  Batch b;
  b.P = likelihood_n_params(kind);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  b.raw.resize(b.T * b.B * b.P);
  for (auto& v : b.raw) v = n01(rng);
  b.scale.resize(b.B);
  b.weight.resize(b.B);
  for (int64_t i = 0; i < b.B; ++i) {
    b.scale[i] = 0.5 + 3 * u(rng);
    b.weight[i] = 0.1 + u(rng);
  }
  b.weight[2] = 0.0;
  b.y.resize(b.T * b.B);
  for (int64_t i = 0; i < b.T * b.B; ++i) {
    if (kind == Likelihood::NegBin || kind == Likelihood::Tweedie)
      b.y[i] = u(rng) < 0.3 ? 0.0 : std::floor(10 * u(rng));
    else
      b.y[i] = b.scale[i % b.B] * n01(rng);
  }
  b.y[0 * b.B + 1] = kNaN;  // pre-launch
  b.y[1 * b.B + 1] = kNaN;
  b.y[4 * b.B + 3] = kNaN;  // missing
  return b;
}

double loss_of(const LikelihoodParams& p, const Batch& b, std::vector<double>* grad = nullptr) {
  std::vector<double> g(b.raw.size());
  const LossValue v =
      loss_forward_backward<double>(p, b.raw.data(), b.y.data(), b.scale.data(), b.weight.data(), b.T, b.B, g.data());
  if (grad) *grad = g;
  return v.loss;
}

class LossGradCheck : public ::testing::TestWithParam<Likelihood> {};

TEST_P(LossGradCheck, MatchesFiniteDifferences) {
  LikelihoodParams p;
  p.kind = GetParam();
  p.tweedie_power = 1.3;
  for (uint64_t seed : {1u, 2u, 3u}) {
    Batch b = make_batch(p.kind, seed);
    std::vector<double> g;
    loss_of(p, b, &g);
    double worst = 0, max_abs = 0;
    for (size_t i = 0; i < b.raw.size(); ++i) {
      const double keep = b.raw[i], h = 1e-6;
      b.raw[i] = keep + h;
      const double lp = loss_of(p, b);
      b.raw[i] = keep - h;
      const double lm = loss_of(p, b);
      b.raw[i] = keep;
      const double num = (lp - lm) / (2 * h);
      const double err = std::fabs(num - g[i]);
      max_abs = std::max(max_abs, err);
      worst = std::max(worst, err / (1e-8 + 1e-6 * std::fabs(num)));
      ASSERT_LE(err, 1e-8 + 1e-6 * std::fabs(num))
          << likelihood_name(p.kind) << " seed " << seed << " index " << i << " numeric " << num << " analytic " << g[i];
    }
    std::printf("[gradcheck] loss %-8s seed %d max_abs=%.3g budget=%.1f%%\n", likelihood_name(p.kind).c_str(),
                static_cast<int>(seed), max_abs, 100 * worst);
    // Masked rows and the zero-weight window get exactly zero gradient.
    for (int64_t t = 0; t < b.T; ++t) {
      for (int64_t w = 0; w < b.B; ++w) {
        if (!std::isnan(b.y[t * b.B + w]) && w != 2) continue;
        for (int64_t k = 0; k < b.P; ++k) ASSERT_EQ(g[(t * b.B + w) * b.P + k], 0.0);
      }
    }
  }
}

TEST_P(LossGradCheck, FloatAgreesWithDouble) {
  LikelihoodParams p;
  p.kind = GetParam();
  Batch b = make_batch(p.kind, 7);
  std::vector<double> gd;
  const double ld = loss_of(p, b, &gd);
  auto f = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  const auto raw = f(b.raw), y = f(b.y), scale = f(b.scale), weight = f(b.weight);
  std::vector<float> gf(raw.size());
  // Inputs rounded to float: compare against double results on the same rounded inputs.
  Batch br = b;
  br.raw.assign(raw.begin(), raw.end());
  br.y.assign(y.begin(), y.end());
  br.scale.assign(scale.begin(), scale.end());
  br.weight.assign(weight.begin(), weight.end());
  const double lref = loss_of(p, br, &gd);
  (void)ld;
  const LossValue lf =
      loss_forward_backward<float>(p, raw.data(), y.data(), scale.data(), weight.data(), b.T, b.B, gf.data());
  EXPECT_NEAR(lf.loss, lref, 1e-5 * (1 + std::fabs(lref)));
  for (size_t i = 0; i < gf.size(); ++i) EXPECT_NEAR(gf[i], gd[i], 1e-5 * (1e-2 + std::fabs(gd[i]))) << i;
}

INSTANTIATE_TEST_SUITE_P(Kinds, LossGradCheck,
                         ::testing::Values(Likelihood::Gaussian, Likelihood::NegBin, Likelihood::Tweedie,
                                           Likelihood::Mse, Likelihood::Mae, Likelihood::StudentT),
                         [](const ::testing::TestParamInfo<Likelihood>& i) { return likelihood_name(i.param); });

// ------------------------------------------------------------ closed forms ----
double one(Likelihood kind, double raw0, double raw1, double y, double scale, double power = 1.5, double raw2 = 0.0) {
  LikelihoodParams p;
  p.kind = kind;
  p.tweedie_power = power;
  const double raw[3] = {raw0, raw1, raw2};
  double g[3];
  return loss_forward_backward<double>(p, raw, &y, &scale, nullptr, 1, 1, g).loss;
}

TEST(LossValues, ClosedForms) {
  const double sp = std::log1p(std::exp(0.3)) + 1e-6;  // softplus(0.3) + eps
  // Gaussian: mu = 2 * 1.5 = 3, sigma = 2 * sp.
  const double sigma = 2 * sp, e = (4.0 - 3.0) / sigma;
  EXPECT_NEAR(one(Likelihood::Gaussian, 1.5, 0.3, 4.0, 2.0), std::log(sigma) + 0.5 * std::log(2 * M_PI) + 0.5 * e * e,
              1e-12);
  // NegBin at y = 0: p(0) = (1 + alpha mu)^(-1/alpha).
  const double mu = 2.0 * (std::log1p(std::exp(0.5)) + 1e-6), alpha = sp / std::sqrt(2.0);
  EXPECT_NEAR(one(Likelihood::NegBin, 0.5, 0.3, 0.0, 2.0), std::log1p(alpha * mu) / alpha, 1e-12);
  // NegBin at y = 3 against the pmf written as a product.
  const double r = 1 / alpha;
  const double pmf = (r * (r + 1) * (r + 2) / 6.0) * std::pow(1 / (1 + alpha * mu), r) *
                     std::pow(alpha * mu / (1 + alpha * mu), 3);
  EXPECT_NEAR(one(Likelihood::NegBin, 0.5, 0.3, 3.0, 2.0), -std::log(pmf), 1e-12);
  // Tweedie deviance is zero at m = z and positive elsewhere.
  EXPECT_NEAR(one(Likelihood::Tweedie, std::log(1.5), 0, 3.0, 2.0), 0.0, 1e-12);
  EXPECT_GT(one(Likelihood::Tweedie, std::log(1.4), 0, 3.0, 2.0), 0.0);
  EXPECT_NEAR(one(Likelihood::Mse, 1.0, 0, 4.0, 2.0), 1.0, 1e-15);
  EXPECT_NEAR(one(Likelihood::Mae, 1.0, 0, 5.0, 2.0), 1.5, 1e-15);
  // Student-t with raw2 = log(e^1 - 1): df = 3, whose density has the closed form
  // 2 / (pi sqrt(3) sigma (1 + e^2/3)^2); mu = 3, sigma = 2 sp as for the Gaussian above.
  const double df3 = std::log(std::exp(1.0) - 1.0);
  const double t3 = 2.0 / (M_PI * std::sqrt(3.0) * sigma * std::pow(1 + e * e / 3.0, 2));
  EXPECT_NEAR(one(Likelihood::StudentT, 1.5, 0.3, 4.0, 2.0, 1.5, df3), -std::log(t3), 1e-12);
  // Far in the tail the Student-t loss grows like log |e|, the Gaussian's like e^2.
  EXPECT_LT(one(Likelihood::StudentT, 0.0, 0.0, 40.0, 1.0, 1.5, df3), one(Likelihood::Gaussian, 0.0, 0.0, 40.0, 1.0));
}

TEST(LossValues, WeightedMeanOverObservedRows) {
  // Two windows, two steps, MSE with scale 1: losses (raw - y)^2.
  LikelihoodParams p;
  p.kind = Likelihood::Mse;
  const double raw[4] = {1, 2, 3, 4};       // [T=2, B=2, 1]
  const double y[4] = {0, 0, kNaN, 0};      // row (t=1, b=0) masked
  const double scale[2] = {1, 1}, weight[2] = {1, 3};
  double g[4];
  const LossValue v = loss_forward_backward<double>(p, raw, y, scale, weight, 2, 2, g);
  EXPECT_DOUBLE_EQ(v.weight_sum, 1 + 3 + 3);
  EXPECT_DOUBLE_EQ(v.loss, (1 * 1.0 + 3 * 4.0 + 3 * 16.0) / 7.0);
  EXPECT_DOUBLE_EQ(g[2], 0.0);
  EXPECT_DOUBLE_EQ(g[1], 3 * 2 * 2.0 / 7.0);
  // Nothing observed: loss 0, zero gradient, no NaN.
  const double all_nan[4] = {kNaN, kNaN, kNaN, kNaN};
  const LossValue z = loss_forward_backward<double>(p, raw, all_nan, scale, weight, 2, 2, g);
  EXPECT_EQ(z.loss, 0.0);
  for (double v2 : g) EXPECT_EQ(v2, 0.0);
}

TEST(LossValues, ExtremeRawValuesStayFinite) {
  for (double r : {-60.0, -20.0, 20.0, 60.0}) {
    EXPECT_TRUE(std::isfinite(one(Likelihood::Gaussian, 0.1, r, 1.0, 1.0))) << r;
    EXPECT_TRUE(std::isfinite(one(Likelihood::NegBin, r, 0.2, 3.0, 1.0))) << r;
    EXPECT_TRUE(std::isfinite(one(Likelihood::NegBin, 0.2, r, 3.0, 1.0))) << r;
    EXPECT_TRUE(std::isfinite(one(Likelihood::StudentT, 0.1, r, 1.0, 1.0, 1.5, 0.3))) << r;
    EXPECT_TRUE(std::isfinite(one(Likelihood::StudentT, 0.1, 0.3, 1.0, 1.0, 1.5, r))) << r;
  }
}

TEST(LossValidation, RejectsBadInputsWithTheWindow) {
  LikelihoodParams p;
  p.kind = Likelihood::NegBin;
  const double raw[2] = {0, 0}, y_neg = -1, y = 1, bad_scale = 0, scale = 1, bad_w = -1;
  double g[2];
  EXPECT_THROW(loss_forward_backward<double>(p, raw, &y_neg, &scale, nullptr, 1, 1, g), InputError);
  EXPECT_THROW(loss_forward_backward<double>(p, raw, &y, &bad_scale, nullptr, 1, 1, g), InputError);
  EXPECT_THROW(loss_forward_backward<double>(p, raw, &y, &scale, &bad_w, 1, 1, g), InputError);
  p.kind = Likelihood::Tweedie;
  p.tweedie_power = 2.0;
  EXPECT_THROW(loss_forward_backward<double>(p, raw, &y, &scale, nullptr, 1, 1, g), InputError);
  EXPECT_THROW(likelihood_from_name("poisson"), InputError);
  EXPECT_EQ(likelihood_from_name("tweedie"), Likelihood::Tweedie);
}

}  // namespace
