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
