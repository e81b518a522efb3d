// tests/kernels/test_kernel_math.cpp — the per-element math that both twins of each kernel call
// (kernels/likelihood_math.hpp, features_math.hpp, adam_math.hpp; STYLE B10), on the CPU,
// against values worked out by hand or by an independent formula written in the test; each
// comment shows the arithmetic. The GPU runs the same functions: tests/gpu/test_kernel_parity.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/adam_math.hpp"
#include "kernels/features_math.hpp"
#include "kernels/likelihood_math.hpp"

using namespace skucast;

namespace {

constexpr double kEulerGamma = 0.57721566490153286061;
const double kLn2 = std::log(2.0);
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

// |got - want| <= tol * max(1, |want|).
::testing::AssertionResult near_rel(double want, double got, double tol) {
  if (std::fabs(got - want) <= tol * std::fmax(1.0, std::fabs(want))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "want " << want << " got " << got << " (diff " << got - want << ")";
}

// The raw head output v with softplus(v) + 1e-6 = target: v = log(e^(target - 1e-6) - 1).
double raw_for(double target) { return std::log(std::expm1(target - kLikelihoodEps)); }

// ------------------------------------------------------------ likelihood ----
TEST(LikelihoodMath, Softplus) {
  EXPECT_TRUE(near_rel(kLn2, likelihood_softplus(0.0), 1e-15));                   // log(1 + e^0) = log 2
  EXPECT_TRUE(near_rel(2.1269280110429727, likelihood_softplus(2.0), 1e-15));     // log(1 + 7.389056) = log 8.389056
  EXPECT_TRUE(near_rel(0.04858735157374206, likelihood_softplus(-3.0), 1e-15));   // log(1 + 0.0497871) = 0.0485874
  EXPECT_EQ(likelihood_softplus(800.0), 800.0);   // 800 + log1p(e^-800) = 800 + 0: no overflow
  EXPECT_EQ(likelihood_softplus(-800.0), 0.0);    // log1p(e^-800) = log1p(0)
}

TEST(LikelihoodMath, Sigmoid) {
  EXPECT_EQ(likelihood_sigmoid(0.0), 0.5);                                      // 1 / (1 + 1)
  EXPECT_TRUE(near_rel(0.75, likelihood_sigmoid(std::log(3.0)), 1e-15));        // 1 / (1 + 1/3) = 3/4
  EXPECT_TRUE(near_rel(0.25, likelihood_sigmoid(-std::log(3.0)), 1e-15));       // (1/3) / (1 + 1/3) = 1/4
  EXPECT_EQ(likelihood_sigmoid(800.0), 1.0);                                    // 1 / (1 + 0)
  EXPECT_EQ(likelihood_sigmoid(-800.0), 0.0);                                   // 0 / (1 + 0), no inf / inf
}

TEST(LikelihoodMath, Digamma) {
  // psi(1) = -gamma; psi(0.5) = -gamma - 2 log 2; psi(x + 1) = psi(x) + 1/x.
  EXPECT_TRUE(near_rel(-kEulerGamma, likelihood_digamma(1.0), 1e-13));
  EXPECT_TRUE(near_rel(-kEulerGamma - 2 * kLn2, likelihood_digamma(0.5), 1e-13));  // -1.9635100
  // psi(3.5) = psi(0.5) + 1/0.5 + 1/1.5 + 1/2.5 = -1.9635100 + 2 + 0.6666667 + 0.4 = 1.1031566
  EXPECT_TRUE(near_rel(-kEulerGamma - 2 * kLn2 + 2.0 + 2.0 / 3 + 0.4, likelihood_digamma(3.5), 1e-13));
  // psi(10) = H_9 - gamma = 7129/2520 - gamma = 2.2517526 (the series branch, no recurrence)
  EXPECT_TRUE(near_rel(7129.0 / 2520 - kEulerGamma, likelihood_digamma(10.0), 1e-13));
  // psi(20) = H_19 - gamma, H_19 = H_9 + 1/10 + ... + 1/19
  double h19 = 7129.0 / 2520;
  for (int k = 10; k <= 19; ++k) h19 += 1.0 / k;
  EXPECT_TRUE(near_rel(h19 - kEulerGamma, likelihood_digamma(20.0), 1e-13));
}

TEST(LikelihoodMath, LogGamma) {
  EXPECT_EQ(likelihood_log_gamma(1.0), 0.0);                                        // log 0! = 0
  EXPECT_EQ(likelihood_log_gamma(2.0), 0.0);                                        // log 1! = 0
  EXPECT_TRUE(near_rel(std::log(24.0), likelihood_log_gamma(5.0), 1e-15));           // log 4! = log 24
  EXPECT_TRUE(near_rel(0.5 * std::log(M_PI), likelihood_log_gamma(0.5), 1e-15));     // Gamma(1/2) = sqrt(pi)
  // Gamma(3.5) = 2.5 * 1.5 * 0.5 * sqrt(pi) = 15/8 sqrt(pi)
  EXPECT_TRUE(near_rel(std::log(15.0 / 8 * std::sqrt(M_PI)), likelihood_log_gamma(3.5), 1e-15));
  // log|Gamma(-0.5)| = log(2 sqrt(pi)) (Gamma(-0.5) = Gamma(0.5) / -0.5 = -2 sqrt(pi))
  EXPECT_TRUE(near_rel(std::log(2 * std::sqrt(M_PI)), likelihood_log_gamma(-0.5), 1e-15));
}

TEST(LikelihoodMath, GaussianElement) {
  // softplus(raw1) + eps = 1: sigma = 1 in scaled units. nu = 2, y = 6: z = 3; raw0 = 1 = mean.
  // e = (3 - 1) / 1 = 2; loss = log(2 * 1) + log(2 pi)/2 + 2^2/2 = 0.6931472 + 0.9189385 + 2;
  // d0 = -e / s = -2; d1 = (1 - e^2) / s * sigmoid(raw1) = -3 (1 - e^-1), as sigmoid = 1 - e^-softplus.
  const double raw1 = raw_for(1.0);
  const LikelihoodElement e = likelihood_element(Likelihood::Gaussian, 0.0, 1.0, raw1, 6.0, 2.0);
  EXPECT_TRUE(near_rel(kLn2 + 0.5 * std::log(2 * M_PI) + 2.0, e.loss, 1e-12));
  EXPECT_TRUE(near_rel(-2.0, e.d0, 1e-12));
  EXPECT_TRUE(near_rel(-3.0 * (1.0 - std::exp(-(1.0 - kLikelihoodEps))), e.d1, 1e-12));
  // The gradient in raw0 by a central difference of the closed-form loss: -log N(6; 2 r0, 2).
  const auto loss_at = [](double r0) { return std::log(2.0) + 0.5 * std::log(2 * M_PI) + 0.5 * (3 - r0) * (3 - r0); };
  EXPECT_TRUE(near_rel((loss_at(1.0 + 1e-5) - loss_at(1.0 - 1e-5)) / 2e-5, e.d0, 1e-8));
}

TEST(LikelihoodMath, NegBinElement) {
  // nu = 4 (sqrt 2); softplus(raw0) + eps = 1.5: mu = 6; softplus(raw1) + eps = 1: alpha = 1/2,
  // r = 2. y = 3: NB(3) = Gamma(5) / (Gamma(4) Gamma(2)) (r/(r+mu))^r (mu/(r+mu))^y
  //                     = 24/6 * (2/8)^2 * (6/8)^3 = 4 * 1/16 * 27/64 = 108/1024.
  const double raw0 = raw_for(1.5), raw1 = raw_for(1.0);
  const LikelihoodElement e = likelihood_element(Likelihood::NegBin, 0.0, raw0, raw1, 3.0, 4.0);
  EXPECT_TRUE(near_rel(-std::log(108.0 / 1024), e.loss, 1e-12));  // 2.2493406
  // d loss / d mu = (mu - y) / (mu (1 + alpha mu)) = 3 / (6 * 4) = 1/8; d mu / d raw0 = nu sigmoid(raw0)
  // = 4 (1 - e^-1.5): d0 = 1/8 * 4 * (1 - e^-1.5).
  EXPECT_TRUE(near_rel(0.5 * (1.0 - std::exp(-(1.5 - kLikelihoodEps))), e.d0, 1e-12));
  // d loss / d alpha = -[(psi(r) - psi(y + r) + log(1 + alpha mu)) / alpha^2 + (y - mu) / (alpha (1 + alpha mu))]
  //   psi(2) - psi(5) = -(1/2 + 1/3 + 1/4) = -13/12; log(1 + 3) = log 4; alpha^2 = 1/4;
  //   (3 - 6) / (1/2 * 4) = -3/2  =>  -[4 (log 4 - 13/12) - 3/2] = 35/6 - 4 log 4 = 0.2881559;
  // d alpha / d raw1 = sigmoid(raw1) / sqrt(nu) = (1 - e^-1) / 2.
  const double dalpha = 35.0 / 6 - 4 * std::log(4.0);
  EXPECT_TRUE(near_rel(dalpha * (1.0 - std::exp(-(1.0 - kLikelihoodEps))) / 2.0, e.d1, 1e-12));
  // Cross-check d loss / d alpha by a central difference of log NB written with the finite
  // product Gamma(y + r) / Gamma(r) = r (r + 1) (r + 2) (no lgamma, no digamma).
  const auto nll = [](double alpha) {
    const double r = 1 / alpha, mu = 6.0;
    return -(std::log(r * (r + 1) * (r + 2) / 6.0) + r * std::log(r / (r + mu)) + 3 * std::log(mu / (r + mu)));
  };
  EXPECT_TRUE(near_rel((nll(0.5 + 1e-6) - nll(0.5 - 1e-6)) / 2e-6, dalpha, 1e-7));
  // y = 0: log NB(0) = -r log(1 + alpha mu) = -2 log 4 (the y log(alpha mu) term is skipped).
  EXPECT_TRUE(near_rel(2 * std::log(4.0), likelihood_element(Likelihood::NegBin, 0.0, raw0, raw1, 0.0, 4.0).loss, 1e-12));
}

TEST(LikelihoodMath, TweedieElement) {
  // p = 1.5, nu = 1. raw0 = 0 (m = 1), y = 4 (z = 4, z^0.5 = 2):
  // loss = 2 [2 / (-0.5 * 0.5) - 4 * 1 / -0.5 + 1 / 0.5] = 2 [-8 + 8 + 2] = 4; d0 = 2 (m^0.5 - z m^-0.5) = 2 (1 - 4) = -6.
  LikelihoodElement e = likelihood_element(Likelihood::Tweedie, 1.5, 0.0, 0.0, 4.0, 1.0);
  EXPECT_TRUE(near_rel(4.0, e.loss, 1e-14));
  EXPECT_TRUE(near_rel(-6.0, e.d0, 1e-14));
  EXPECT_EQ(e.d1, 0.0);
  // The deviance is 0 at m = z: raw0 = log 4, y = 8, nu = 2 (z = 4): 2 [-8 - 4 * 0.5 / -0.5 + 2 / 0.5] = 0;
  // d0 = 2 (2 - 4 * 0.5) = 0.
  e = likelihood_element(Likelihood::Tweedie, 1.5, std::log(4.0), 0.0, 8.0, 2.0);
  EXPECT_TRUE(near_rel(0.0, e.loss, 1e-13));
  EXPECT_TRUE(near_rel(0.0, e.d0, 1e-13));
  // y = 0 (z^(2-p) taken as 0): raw0 = log 4, m^0.5 = 2: loss = 2 * 2 / 0.5 = 8; d0 = 2 * 2 = 4.
  e = likelihood_element(Likelihood::Tweedie, 1.5, std::log(4.0), 0.0, 0.0, 3.0);
  EXPECT_TRUE(near_rel(8.0, e.loss, 1e-14));
  EXPECT_TRUE(near_rel(4.0, e.d0, 1e-14));
}

TEST(LikelihoodMath, MseAndMaeElements) {
  // Mse: raw0 = 1.5, y / nu = 2 / 4 = 0.5: d = 1, loss 1, d0 = 2.
  LikelihoodElement e = likelihood_element(Likelihood::Mse, 0.0, 1.5, 0.0, 2.0, 4.0);
  EXPECT_EQ(e.loss, 1.0);
  EXPECT_EQ(e.d0, 2.0);
  // Mae: raw0 = 0.25, y / nu = 3 / 2 = 1.5: d = -1.25, loss 1.25, d0 = sign(d) = -1.
  e = likelihood_element(Likelihood::Mae, 0.0, 0.25, 0.0, 3.0, 2.0);
  EXPECT_EQ(e.loss, 1.25);
  EXPECT_EQ(e.d0, -1.0);
  // Mae at a tie: raw0 = 0.5 = 1 / 2: loss 0, gradient 0.
  e = likelihood_element(Likelihood::Mae, 0.0, 0.5, 0.0, 1.0, 2.0);
  EXPECT_EQ(e.loss, 0.0);
  EXPECT_EQ(e.d0, 0.0);
}

TEST(LikelihoodMath, RowMasksWeightsAndScales) {
  // Mse (P = 1), T = 2, B = 2, rows i = t * 2 + b. raw = 1.5 everywhere, scale {4, 2},
  // weight {3, 0}, y {2, 2, NaN, 1}, grad_scale 0.5.
  const float raw[4] = {1.5f, 1.5f, 1.5f, 1.5f}, y[4] = {2.0f, 2.0f, kNaNf, 1.0f};
  const float scale[2] = {4.0f, 2.0f}, weight[2] = {3.0f, 0.0f};
  float loss[4] = {-1, -1, -1, -1}, draw[4] = {-1, -1, -1, -1};
  for (int64_t i = 0; i < 4; ++i) likelihood_row(Likelihood::Mse, 0.0, 1, raw, y, scale, weight, i, 2, 0.5, loss, draw);
  // row 0 (b = 0): d = 1.5 - 2/4 = 1: loss 1 (unweighted), draw = 0.5 * 3 * 2 * 1 = 3.
  EXPECT_EQ(loss[0], 1.0f);
  EXPECT_EQ(draw[0], 3.0f);
  // row 1 (b = 1, weight 0) and row 2 (y NaN): masked, both zero.
  EXPECT_EQ(loss[1], 0.0f);
  EXPECT_EQ(draw[1], 0.0f);
  EXPECT_EQ(loss[2], 0.0f);
  EXPECT_EQ(draw[2], 0.0f);
  // row 3 (b = 1, weight 0 again): masked.
  EXPECT_EQ(loss[3], 0.0f);
  EXPECT_EQ(draw[3], 0.0f);
  // No weight (all ones), row 3: d = 1.5 - 1/2 = 1: loss 1, draw = 0.5 * 1 * 2 = 1.
  likelihood_row(Likelihood::Mse, 0.0, 1, raw, y, scale, static_cast<const float*>(nullptr), 3, 2, 0.5, loss, draw);
  EXPECT_EQ(loss[3], 1.0f);
  EXPECT_EQ(draw[3], 1.0f);
}

TEST(LikelihoodMath, RowWritesBothParametersInDouble) {
  // Gaussian (P = 2) in double, one row: the element of GaussianElement, times grad_scale 2 * weight 1.5.
  const double raw[2] = {1.0, raw_for(1.0)}, y[1] = {6.0}, scale[1] = {2.0}, weight[1] = {1.5};
  double loss[1] = {-1}, draw[2] = {-1, -1};
  likelihood_row(Likelihood::Gaussian, 0.0, 2, raw, y, scale, weight, 0, 1, 2.0, loss, draw);
  EXPECT_TRUE(near_rel(kLn2 + 0.5 * std::log(2 * M_PI) + 2.0, loss[0], 1e-12));
  EXPECT_TRUE(near_rel(3.0 * -2.0, draw[0], 1e-12));                                       // 2 * 1.5 * d0
  EXPECT_TRUE(near_rel(3.0 * -3.0 * (1.0 - std::exp(-(1.0 - kLikelihoodEps))), draw[1], 1e-12));  // 2 * 1.5 * d1
  // Masked (y = inf, not finite): both parameters zeroed.
  const double y_inf[1] = {INFINITY};
  likelihood_row(Likelihood::Gaussian, 0.0, 2, raw, y_inf, scale, weight, 0, 1, 2.0, loss, draw);
  EXPECT_EQ(loss[0], 0.0);
  EXPECT_EQ(draw[0], 0.0);
  EXPECT_EQ(draw[1], 0.0);
}

TEST(LikelihoodMath, WeightTerm) {
  // B = 2: row i takes weight[i % 2]; rows whose y is NaN or infinite add 0.
  const float y[4] = {1.0f, kNaNf, 0.0f, INFINITY}, weight[2] = {0.25f, 4.0f};
  EXPECT_EQ(likelihood_weight_term(y, weight, 0, 2), 0.25);
  EXPECT_EQ(likelihood_weight_term(y, weight, 1, 2), 0.0);
  EXPECT_EQ(likelihood_weight_term(y, weight, 2, 2), 0.25);  // y = 0 is observed
  EXPECT_EQ(likelihood_weight_term(y, weight, 3, 2), 0.0);
  EXPECT_EQ(likelihood_weight_term(y, static_cast<const float*>(nullptr), 2, 2), 1.0);
}

// -------------------------------------------------------------- features ----
TEST(FeaturesMath, At) {
  // y [2, 3]: row 1 is {4, NaN, 6}.
  const float y[6] = {1, 2, 3, 4, kNaNf, 6};
  EXPECT_EQ(feature_at(y, 3, 1, 0), 4.0f);   // y[1 * 3 + 0]
  EXPECT_EQ(feature_at(y, 3, 1, 2), 6.0f);   // y[1 * 3 + 2]
  EXPECT_TRUE(std::isnan(feature_at(y, 3, 1, 1)));   // not observed
  EXPECT_TRUE(std::isnan(feature_at(y, 3, 1, -1)));  // before the axis (not y[2])
  EXPECT_TRUE(std::isnan(feature_at(y, 3, 0, 3)));   // past the axis (not y[3])
}

TEST(FeaturesMath, Rolling) {
  const float y[5] = {1, 2, kNaNf, 4, 2};
  double mean = -1, sd = -1;
  // tau = 4, w = 3: y[1..3] = {2, NaN, 4} -> {2, 4}: mean 3, var (4 + 16)/2 - 9 = 1, sd 1.
  feature_rolling(y, 5, 0, 4, 3, mean, sd);
  EXPECT_EQ(mean, 3.0);
  EXPECT_EQ(sd, 1.0);
  // tau = 2, w = 5: y[-3..1] -> {1, 2}: mean 1.5, var (1 + 4)/2 - 2.25 = 0.25, sd 0.5.
  feature_rolling(y, 5, 0, 2, 5, mean, sd);
  EXPECT_EQ(mean, 1.5);
  EXPECT_EQ(sd, 0.5);
  // tau = 5, w = 4: y[1..4] -> {2, 4, 2}: mean 8/3, var (4 + 16 + 4)/3 - 64/9 = 8/9, sd sqrt(8)/3.
  feature_rolling(y, 5, 0, 5, 4, mean, sd);
  EXPECT_TRUE(near_rel(8.0 / 3, mean, 1e-15));
  EXPECT_TRUE(near_rel(std::sqrt(8.0) / 3, sd, 1e-14));
  // tau = 3, w = 1: y[2] is missing -> nothing observed: (0, 0).
  feature_rolling(y, 5, 0, 3, 1, mean, sd);
  EXPECT_EQ(mean, 0.0);
  EXPECT_EQ(sd, 0.0);
  // A constant window has sd exactly 0 (sum2/n - mean^2 = 0.01 - 0.01 on the float 0.1).
  const float c[3] = {0.1f, 0.1f, 0.1f};
  feature_rolling(c, 3, 0, 3, 3, mean, sd);
  EXPECT_EQ(sd, 0.0);
}

TEST(FeaturesMath, Row) {
  // y = {2, 4, NaN, 8, 10, 12}, m = 2, roll_short 2, roll_long 4, C = 2 calendar columns;
  // calendar [3, 2] = {{100, 101}, {102, 103}, {104, 105}}; tau = 4, scale 2 (inv 0.5).
  const float y[6] = {2, 4, kNaNf, 8, 10, 12};
  FeatureSpec spec;
  spec.season_length = 2;
  spec.roll_short = 2;
  spec.roll_long = 4;
  spec.n_calendar = 2;
  ASSERT_EQ(feature_count(spec), 2 + 1 + 2 + 2 + 2);
  const float cal[6] = {100, 101, 102, 103, 104, 105};
  float row[9];
  feature_row(spec, y, 6, 0, 4, 0.5, cal, 3, row);
  EXPECT_EQ(row[0], 4.0f);  // lag 1: y[3] / 2 = 8 / 2
  EXPECT_EQ(row[1], 1.0f);  // y[3] observed
  EXPECT_EQ(row[2], 0.0f);  // lag m: y[2] missing
  EXPECT_EQ(row[3], 4.0f);  // short window y[2..3] = {8}: mean 8 / 2
  EXPECT_EQ(row[4], 0.0f);  //   sd 0
  // long window y[0..3] = {2, 4, 8}: mean 14/3, var (4 + 16 + 64)/3 - 196/9 = 56/9, sd sqrt(56)/3; / 2
  EXPECT_FLOAT_EQ(row[5], static_cast<float>(14.0 / 3 / 2));
  EXPECT_FLOAT_EQ(row[6], static_cast<float>(std::sqrt(56.0) / 3 / 2));
  EXPECT_EQ(row[7], 0.0f);  // tau = 4 is past the calendar's 3 rows: 0
  EXPECT_EQ(row[8], 0.0f);
  // tau = 2: lag 1 = y[1] = 4 -> 2; lag m = y[0] = 2 -> 1; short window y[0..1] = {2, 4}: mean 3,
  // sd 1 -> 1.5, 0.5; long window y[-2..1] = {2, 4}: the same; calendar row 2 = {104, 105}.
  feature_row(spec, y, 6, 0, 2, 0.5, cal, 3, row);
  const float want[9] = {2.0f, 1.0f, 1.0f, 1.5f, 0.5f, 1.5f, 0.5f, 104.0f, 105.0f};
  for (int k = 0; k < 9; ++k) EXPECT_EQ(row[k], want[k]) << k;
  // Columns switched off: m = 1, roll_short = 0 -> lag 1, its flag, then the long window only.
  spec.season_length = 1;
  spec.roll_short = 0;
  spec.n_calendar = 0;
  ASSERT_EQ(feature_count(spec), 4);
  feature_row(spec, y, 6, 0, 2, 0.5, nullptr, 0, row);
  EXPECT_EQ(row[0], 2.0f);
  EXPECT_EQ(row[1], 1.0f);
  EXPECT_EQ(row[2], 1.5f);
  EXPECT_EQ(row[3], 0.5f);
}

TEST(FeaturesMath, WindowScaleValue) {
  EXPECT_EQ(window_scale_value(0.0, 0.0), 1.0f);   // nothing observed: 1
  EXPECT_EQ(window_scale_value(10.0, 4.0), 3.5f);  // 1 + 10 / 4
  EXPECT_EQ(window_scale_value(0.0, 3.0), 1.0f);   // all zeros observed: 1 + 0
}

// ------------------------------------------------------------------ adam ----
TEST(AdamMath, Scalars) {
  AdamParams p;
  p.lr = 0.1;
  p.weight_decay = 0.5;
  p.beta1 = 0.5;
  p.beta2 = 0.75;
  p.step = 2;
  const AdamScalars s = adam_scalars(p);
  EXPECT_TRUE(near_rel(0.95, s.decay, 1e-15));                  // 1 - 0.1 * 0.5
  EXPECT_TRUE(near_rel(0.1 / 0.75, s.step_size, 1e-15));        // lr / (1 - 0.5^2)
  EXPECT_TRUE(near_rel(std::sqrt(0.4375), s.bc2_sqrt, 1e-15));  // sqrt(1 - 0.75^2) = sqrt(7/16)
  EXPECT_EQ(s.beta1, 0.5);
  EXPECT_EQ(s.beta2, 0.75);
  EXPECT_EQ(s.eps, p.eps);
}

TEST(AdamMath, Element) {
  // beta1 = 1/2, beta2 = 3/4, eps = 0, lr = 1/2, decay 0.9, step 1: step_size = 0.5 / 0.5 = 1,
  // bc2_sqrt = sqrt(1/4) = 1/2. m = 1, v = 1, w = 2, g = 3:
  //   m = 0.5 * 1 + 0.5 * 3 = 2; v = 0.75 * 1 + 0.25 * 9 = 3;
  //   w = 2 * 0.9 - 1 * 2 / (sqrt(3) / 0.5 + 0) = 1.8 - 1/sqrt(3) = 1.2226497.
  AdamParams p;
  p.lr = 0.5;
  p.weight_decay = 0.2;
  p.beta1 = 0.5;
  p.beta2 = 0.75;
  p.eps = 0.0;
  p.step = 1;
  float w[2] = {0.0f, 2.0f}, m[2] = {0.0f, 1.0f}, v[2] = {0.0f, 1.0f};
  adam_element(adam_scalars(p), 3.0, w, m, v, 1);
  EXPECT_EQ(m[1], 2.0f);
  EXPECT_EQ(v[1], 3.0f);
  EXPECT_EQ(w[1], static_cast<float>(1.8 - 1.0 / std::sqrt(3.0)));
  EXPECT_EQ(w[0], 0.0f);  // element 0 untouched
  // First step of the defaults from zero moments moves w by lr * sign(g): m = 0.1 g, v = 0.001 g^2,
  // step_size = lr / 0.1, sqrt(v) / sqrt(0.001) = |g|: w -= lr * 0.1 g / 0.1 / (|g| + 1e-8).
  AdamParams d;
  d.lr = 0.01;
  float w1[1] = {1.0f}, m1[1] = {0.0f}, v1[1] = {0.0f};
  adam_element(adam_scalars(d), -2.0, w1, m1, v1, 0);
  EXPECT_FLOAT_EQ(w1[0], 1.01f);
  EXPECT_FLOAT_EQ(m1[0], -0.2f);
  EXPECT_FLOAT_EQ(v1[0], 0.004f);
}

TEST(AdamMath, ClipScale) {
  EXPECT_EQ(adam_clip_scale(16.0, 0.0), 1.0);   // clipping off
  EXPECT_EQ(adam_clip_scale(16.0, -1.0), 1.0);  // clipping off
  EXPECT_EQ(adam_clip_scale(16.0, 10.0), 1.0);  // norm 4 within 10
  // norm sqrt(16) = 4 over max 2: 2 / (4 + 1e-6) = 0.499999875
  EXPECT_TRUE(near_rel(0.49999987500003124, adam_clip_scale(16.0, 2.0), 1e-15));
  EXPECT_EQ(adam_clip_scale(NAN, 1.0), 1.0);    // NaN norm: NaN < 1 is false, no clipping
  EXPECT_EQ(adam_clip_scale(16.0, NAN), 1.0);   // NaN max_norm: off
  EXPECT_EQ(clip_scale_cpu(16.0, 2.0), adam_clip_scale(16.0, 2.0));  // the host entry point
}

TEST(AdamMath, GradSqTerm) {
  const float g[3] = {3.0f, -0.5f, 0.1f};
  EXPECT_EQ(grad_sq_term(g, 0), 9.0);
  EXPECT_EQ(grad_sq_term(g, 1), 0.25);
  // 0.1f = 0.100000001490116119384765625 exactly; its square in double (exact: 48 bits):
  // 0.010000000298023226097399174250313080847263336181640625.
  EXPECT_EQ(grad_sq_term(g, 2), 0.010000000298023226097399174250313080847263336181640625);
}

}  // namespace
