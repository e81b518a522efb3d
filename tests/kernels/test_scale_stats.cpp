// tests/kernels/test_scale_stats.cpp — the CPU reference of scale_stats against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/scale_stats.hpp"

using namespace skucast;

TEST(ScaleStatsCpu, HandComputed) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // S = 4, T = 4: mixed, all NaN, one value, constant.
  std::vector<float> y = {1, nan, 3, 5,  nan, nan, nan, nan,  nan, 7, nan, nan,  2, 2, 2, 2};
  std::vector<int32_t> count(4);
  std::vector<float> mean(4), sd(4);
  scale_stats_cpu(y.data(), 4, 4, count.data(), mean.data(), sd.data());
  EXPECT_EQ(count, (std::vector<int32_t>{3, 0, 1, 4}));
  EXPECT_FLOAT_EQ(mean[0], 3.0f);
  EXPECT_FLOAT_EQ(sd[0], std::sqrt(8.0f / 3.0f));  // population std of {1,3,5}
  EXPECT_EQ(mean[1], 0.0f);
  EXPECT_EQ(sd[1], 0.0f);
  EXPECT_EQ(mean[2], 7.0f);
  EXPECT_EQ(sd[2], 0.0f);
  EXPECT_EQ(mean[3], 2.0f);
  EXPECT_EQ(sd[3], 0.0f);
}

TEST(ScaleStatsCpu, LargeOffsetIsStable) {
  // Naive sum-of-squares in float would lose the variance entirely here.
  const int64_t T = 100000;
  std::vector<float> y(T);
  for (int64_t t = 0; t < T; ++t) y[t] = 1e6f + static_cast<float>(t % 2);
  int32_t c;
  float m, s;
  scale_stats_cpu(y.data(), 1, T, &c, &m, &s);
  EXPECT_EQ(c, T);
  EXPECT_NEAR(m, 1e6 + 0.5, 1e-1);
  EXPECT_NEAR(s, 0.5, 1e-6);
}
