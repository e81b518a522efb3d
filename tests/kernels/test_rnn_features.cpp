// tests/kernels/test_rnn_features.cpp — the window kernels of the global models (kernels/features.hpp):
// hand-computed features, scales and targets, and causality.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/features.hpp"

using namespace skucast;

namespace {

TEST(Features, HandComputedColumns) {
  // One series, N = 10: y = 1..10 with y[3] missing.
  std::vector<float> y = {1, 2, 3, NAN, 5, 6, 7, 8, 9, 10};
  FeatureSpec spec;
  spec.season_length = 3;
  spec.roll_short = 2;
  spec.roll_long = 0;
  spec.n_calendar = 1;
  ASSERT_EQ(feature_count(spec), 2 + 1 + 2 + 1);
  const int64_t series[2] = {0, 0}, t0[2] = {-1, 3};
  WindowBatch wb{series, t0, 2, 4};
  const float scale[2] = {2.0f, 1.0f};
  std::vector<float> cal(10);
  for (int i = 0; i < 10; ++i) cal[i] = 100.0f + i;
  std::vector<float> x(4 * 2 * 6, -1.0f);
  features_fwd_cpu(spec, y.data(), 1, 10, scale, wb, cal.data(), 10, x.data());
  auto f = [&](int t, int b, int k) { return x[(t * 2 + b) * 6 + k]; };
  // Window 0 starts before the axis: step 0 is tau = -1 (everything unobserved, calendar 0).
  for (int k = 0; k < 6; ++k) EXPECT_EQ(f(0, 0, k), 0.0f) << k;
  // Window 0 step 3 is tau = 2: lag1 = y[1] = 2 -> 1.0 scaled; seasonal lag y[-1] missing;
  // rolling over y[0..1] = {1, 2}: mean 1.5, std 0.5 -> / 2.
  EXPECT_FLOAT_EQ(f(3, 0, 0), 1.0f);
  EXPECT_FLOAT_EQ(f(3, 0, 1), 1.0f);
  EXPECT_FLOAT_EQ(f(3, 0, 2), 0.0f);
  EXPECT_FLOAT_EQ(f(3, 0, 3), 0.75f);
  EXPECT_FLOAT_EQ(f(3, 0, 4), 0.25f);
  EXPECT_FLOAT_EQ(f(3, 0, 5), 102.0f);
  // Window 1 step 1 is tau = 4: lag1 = y[3] missing; seasonal lag y[1] = 2; rolling over
  // y[2..3] = {3} only: mean 3, std 0.
  EXPECT_FLOAT_EQ(f(1, 1, 0), 0.0f);
  EXPECT_FLOAT_EQ(f(1, 1, 1), 0.0f);
  EXPECT_FLOAT_EQ(f(1, 1, 2), 2.0f);
  EXPECT_FLOAT_EQ(f(1, 1, 3), 3.0f);
  EXPECT_FLOAT_EQ(f(1, 1, 4), 0.0f);
  EXPECT_FLOAT_EQ(f(1, 1, 5), 104.0f);
}

TEST(Features, CausalNoStepSeesItsOwnValue) {
  const int64_t N = 40, T = 20;
  std::vector<float> y(N);
  for (int i = 0; i < N; ++i) y[i] = std::sin(0.3f * i) + 2.0f;
  FeatureSpec spec;
  const int64_t series[1] = {0}, t0[1] = {10};
  WindowBatch wb{series, t0, 1, T};
  const float scale[1] = {1.5f};
  const int64_t F = feature_count(spec);
  std::vector<float> a(T * F), b(T * F);
  features_fwd_cpu(spec, y.data(), 1, N, scale, wb, nullptr, 0, a.data());
  // Changing y at absolute step 10 + 7 must leave the features of steps 0..7 unchanged.
  y[17] += 100.0f;
  features_fwd_cpu(spec, y.data(), 1, N, scale, wb, nullptr, 0, b.data());
  for (int64_t t = 0; t <= 7; ++t)
    for (int64_t k = 0; k < F; ++k) EXPECT_EQ(a[t * F + k], b[t * F + k]) << t << "," << k;
  bool changed = false;
  for (int64_t k = 0; k < F; ++k) changed |= a[8 * F + k] != b[8 * F + k];
  EXPECT_TRUE(changed);
}

TEST(Features, ScaleAndTargets) {
  std::vector<float> y = {NAN, NAN, 2, -4, 6, 8};  // [1, 6]
  const int64_t series[2] = {0, 0}, t0[2] = {0, 3};
  WindowBatch wb{series, t0, 2, 3};
  float scale[2];
  window_scale_cpu(y.data(), 1, 6, wb, 2, scale);
  EXPECT_FLOAT_EQ(scale[0], 1.0f);             // nothing observed in y[0..1]
  EXPECT_FLOAT_EQ(scale[1], 1.0f + 5.0f);      // mean |y| of {-4, 6}
  std::vector<float> target(6);
  window_target_cpu(y.data(), 1, 6, wb, target.data());
  EXPECT_TRUE(std::isnan(target[0]));  // (t=0, b=0)
  EXPECT_FLOAT_EQ(target[1], -4.0f);   // (t=0, b=1)
  EXPECT_FLOAT_EQ(target[4], 2.0f);    // (t=2, b=0)
  EXPECT_FLOAT_EQ(target[5], 8.0f);    // (t=2, b=1): y[3 + 2]
}

}  // namespace

namespace {

// Note [Window location] (engine/deepar/internal.h): the location and scale by hand, and the
// features read relative to the location (the rolling stds, the observed flag and the calendar
// as without one).
TEST(Features, WindowLocationByHand) {
  // y = {NaN, 2, 4, 9, 5, 7}: window 0 starts at tau 0 (context 3: {NaN, 2, 4}), window 1 at tau 2
  // ({4, 9, 5}), window 2 before the axis (nothing observed).
  std::vector<float> y = {NAN, 2, 4, 9, 5, 7};
  const int64_t series[3] = {0, 0, 0}, t0[3] = {0, 2, -5};
  WindowBatch wb{series, t0, 3, 3};
  float loc[3], scale[3];
  window_loc_scale_cpu(y.data(), 1, 6, wb, 3, loc, scale);
  EXPECT_FLOAT_EQ(loc[0], 3.0f);                    // mean of {2, 4}
  EXPECT_FLOAT_EQ(scale[0], 1.0f + 1.0f);           // |2-3|, |4-3|
  EXPECT_FLOAT_EQ(loc[1], 6.0f);                    // mean of {4, 9, 5}
  EXPECT_FLOAT_EQ(scale[1], 1.0f + 2.0f);           // (|4-6| + |9-6| + |5-6|) / 3 = 6 / 3
  EXPECT_FLOAT_EQ(loc[2], 0.0f);
  EXPECT_FLOAT_EQ(scale[2], 1.0f);

  FeatureSpec spec;
  spec.season_length = 2;
  spec.roll_short = 2;
  spec.roll_long = 0;
  spec.n_calendar = 0;
  const int64_t F = feature_count(spec);  // lag1, observed, lag2, mean2, std2
  ASSERT_EQ(F, 5);
  const int64_t s1[1] = {0}, t1[1] = {4};
  WindowBatch one{s1, t1, 1, 2};  // steps tau = 4, 5
  const float sc[1] = {2.0f}, lc[1] = {6.0f};
  std::vector<float> x(2 * F), plain(2 * F);
  features_fwd_cpu(spec, y.data(), 1, 6, sc, one, nullptr, 0, x.data(), lc);
  features_fwd_cpu(spec, y.data(), 1, 6, sc, one, nullptr, 0, plain.data());
  // tau = 4: lag1 y[3] = 9 -> (9-6)/2; lag2 y[2] = 4 -> (4-6)/2; rolling {4, 9}: mean 6.5 ->
  // 0.25, std 2.5 -> 1.25 (not shifted).
  EXPECT_FLOAT_EQ(x[0], 1.5f);
  EXPECT_FLOAT_EQ(x[1], 1.0f);
  EXPECT_FLOAT_EQ(x[2], -1.0f);
  EXPECT_FLOAT_EQ(x[3], 0.25f);
  EXPECT_FLOAT_EQ(x[4], 1.25f);
  EXPECT_FLOAT_EQ(x[4], plain[4]);
  EXPECT_FLOAT_EQ(x[1], plain[1]);
  // tau = 5: lag1 y[4] = 5 -> -0.5; lag2 y[3] = 9 -> 1.5; rolling {9, 5}: mean 7 -> 0.5, std 2 -> 1.
  EXPECT_FLOAT_EQ(x[F + 0], -0.5f);
  EXPECT_FLOAT_EQ(x[F + 2], 1.5f);
  EXPECT_FLOAT_EQ(x[F + 3], 0.5f);
  EXPECT_FLOAT_EQ(x[F + 4], 1.0f);
  // Nothing observed before the axis: the lags and the rolling mean read 0, not -loc / scale.
  const int64_t t2[1] = {0};
  WindowBatch first{s1, t2, 1, 1};
  std::vector<float> x0(F, -9.0f);
  features_fwd_cpu(spec, y.data(), 1, 6, sc, first, nullptr, 0, x0.data(), lc);
  for (int64_t k = 0; k < F; ++k) EXPECT_EQ(x0[k], 0.0f) << k;

  // The targets relative to each window's location (window 1: loc 6 over tau 2..4; window 2
  // before the axis: NaN stays NaN).
  float target[9];
  window_target_cpu(y.data(), 1, 6, wb, target, loc);  // [T = 3, B = 3]
  EXPECT_TRUE(std::isnan(target[0]));                   // tau 0: y NaN
  EXPECT_FLOAT_EQ(target[1], 4.0f - 6.0f);              // window 1, t 0: tau 2
  EXPECT_TRUE(std::isnan(target[2]));                   // window 2, before the axis
  EXPECT_FLOAT_EQ(target[3], 2.0f - 3.0f);              // window 0, t 1: tau 1
  EXPECT_FLOAT_EQ(target[7], 5.0f - 6.0f);              // window 1, t 2: tau 4
  float plain_target[9];
  window_target_cpu(y.data(), 1, 6, wb, plain_target);
  EXPECT_FLOAT_EQ(plain_target[7], 5.0f);
}

}  // namespace
