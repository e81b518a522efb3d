// tests/eval/test_metrics.cpp — every metric of engine/eval/metrics.h against hand-computed values,
// NaN handling (skipped actuals, undefined scales) and the batched implementation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "engine/eval/metrics.h"

namespace skucast {
namespace {

const float kNaNf = std::numeric_limits<float>::quiet_NaN();

// Test window: y = 1 2 NaN 4, f = 2 2 5 2 → observed errors y - f: -1, 0, 2 (t = 2 skipped).
const std::vector<float> kY = {1, 2, kNaNf, 4};
const std::vector<float> kF = {2, 2, 5, 2};

TEST(Metrics, PointMetricsHandComputed) {
  EXPECT_DOUBLE_EQ(mae(kY.data(), kF.data(), 4), 1.0);                    // (1 + 0 + 2) / 3
  EXPECT_DOUBLE_EQ(rmse(kY.data(), kF.data(), 4), std::sqrt(5.0 / 3.0));  // (1 + 0 + 4) / 3
  EXPECT_DOUBLE_EQ(bias(kY.data(), kF.data(), 4), -1.0 / 3.0);            // (1 + 0 - 2) / 3
  // sMAPE terms: 200*1/3, 0, 200*2/6 → mean 400/9
  EXPECT_NEAR(smape(kY.data(), kF.data(), 4), 400.0 / 9.0, 1e-12);
}

TEST(Metrics, SmapeBothZeroIsZero) {
  const std::vector<float> y = {0, 0}, f = {0, 1};  // terms 0 (both zero) and 200
  EXPECT_DOUBLE_EQ(smape(y.data(), f.data(), 2), 100.0);
}

TEST(Metrics, AllActualsMissingIsNaN) {
  const std::vector<float> y = {kNaNf, kNaNf}, f = {1, 1};
  EXPECT_TRUE(std::isnan(mae(y.data(), f.data(), 2)));
  EXPECT_TRUE(std::isnan(smape(y.data(), f.data(), 2)));
}

// History 1 3 2 6 4, m = 2: |2-1|, |6-3|, |4-2| → scale 2; MASE = 1 / 2.
// m = 7 > span 5 → lag 1: 2, 1, 4, 2 → scale 9/4.
TEST(Metrics, MaseHandComputed) {
  const std::vector<float> x = {1, 3, 2, 6, 4};
  EXPECT_DOUBLE_EQ(mase_scale(x.data(), 5, 2), 2.0);
  EXPECT_DOUBLE_EQ(mase(kY.data(), kF.data(), 4, mase_scale(x.data(), 5, 2)), 0.5);
  EXPECT_DOUBLE_EQ(mase_scale(x.data(), 5, 7), 2.25);
  // Leading NaN shorten the span: NaN NaN 1 3 2 with m = 3 → span 3 <= 3 → lag 1: 2, 1.
  const std::vector<float> late = {kNaNf, kNaNf, 1, 3, 2};
  EXPECT_DOUBLE_EQ(mase_scale(late.data(), 5, 3), 1.5);
}

// History 0 0 2 4 1: from the first non-zero (t = 2) the one-step differences are 2, -3
// → scale (4 + 9) / 2 = 6.5; RMSSE = sqrt(MSE / 6.5) with MSE = 5/3.
TEST(Metrics, RmsseHandComputed) {
  const std::vector<float> x = {0, 0, 2, 4, 1};
  EXPECT_DOUBLE_EQ(rmsse_scale(x.data(), 5), 6.5);
  EXPECT_NEAR(rmsse(kY.data(), kF.data(), 4, 6.5), std::sqrt((5.0 / 3.0) / 6.5), 1e-15);
}

TEST(Metrics, ZeroScaleIsNaN) {
  const std::vector<float> flat = {3, 3, 3}, zeros = {0, 0, 0};
  EXPECT_TRUE(std::isnan(mase(kY.data(), kF.data(), 4, mase_scale(flat.data(), 3, 1))));
  EXPECT_TRUE(std::isnan(rmsse(kY.data(), kF.data(), 4, rmsse_scale(flat.data(), 3))));
  EXPECT_TRUE(std::isnan(rmsse_scale(zeros.data(), 3)));  // no pair after a first sale
}

// Quantile columns (Q = 2): lo = 0 2.5 0 3, hi = 2 3 0 5 at levels 0.1 / 0.9.
//   pinball(0.9) with q = hi: y - q = -1, -1, (skip), -1 → 0.1 each → 0.1
//   pinball(0.1) with q = lo: y - q = 1, -0.5, 1 → 0.1, 0.45, 0.1 → 0.65/3
//   coverage: 1 in [0,2] yes, 2 in [2.5,3] no, 4 in [3,5] yes → 2/3
TEST(Metrics, PinballAndCoverageHandComputed) {
  const std::vector<float> q = {0, 2, 2.5f, 3, 0, 0, 3, 5};  // [H=4, Q=2]
  const double levels[2] = {0.1, 0.9};
  EXPECT_NEAR(pinball(kY.data(), q.data(), 4, 2, 1, 0.9), 0.1, 1e-12);
  EXPECT_NEAR(pinball(kY.data(), q.data(), 4, 2, 0, 0.1), 0.65 / 3.0, 1e-12);
  EXPECT_NEAR(mean_pinball(kY.data(), q.data(), 4, levels, 2), (0.1 + 0.65 / 3.0) / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(interval_coverage(kY.data(), q.data(), 4, 2, 0, 1), 2.0 / 3.0);
}

TEST(Metrics, WeightedMeanNormalizesOverDefinedSeries) {
  const std::vector<double> v = {1, std::nan(""), 3};
  const std::vector<float> w = {1, 5, 3};
  int64_t excluded = -1;
  EXPECT_DOUBLE_EQ(weighted_mean(v.data(), w.data(), 3, &excluded), (1.0 + 9.0) / 4.0);
  EXPECT_EQ(excluded, 1);
  EXPECT_DOUBLE_EQ(weighted_mean(v.data(), nullptr, 3, nullptr), 2.0);
}

TEST(Metrics, LayoutNamesCoveragePairs) {
  const MetricLayout a = metric_layout({0.1, 0.5, 0.9});
  EXPECT_EQ(a.names, (std::vector<std::string>{"mae", "rmse", "smape", "mase", "rmsse", "bias", "pinball", "cov80"}));
  const MetricLayout b = metric_layout({0.05, 0.1, 0.5, 0.9, 0.95});
  EXPECT_EQ(b.index("cov90"), 7);
  EXPECT_EQ(b.index("cov80"), 8);
  EXPECT_EQ(b.cov_lo[1], 1);
  EXPECT_EQ(b.cov_hi[1], 3);
  EXPECT_EQ(metric_layout({}).size(), 6);
  EXPECT_EQ(metric_layout({0.5}).names.back(), "pinball");
}

TEST(Metrics, BatchedMatchesPerSeries) {
  // Two series, H = 4, Q = 2, history of 5 steps.
  const std::vector<float> actual = {1, 2, kNaNf, 4, 5, 5, 5, 5};
  const std::vector<float> mean = {2, 2, 5, 2, 5, 5, 5, 5};
  const std::vector<float> quant = {0, 2, 2.5f, 3, 0, 0, 3, 5, 4, 6, 4, 6, 4, 6, 4, 6};
  const std::vector<float> hist = {1, 3, 2, 6, 4, 5, 5, 5, 5, 5};
  const std::vector<double> levels = {0.1, 0.9};
  const MetricLayout layout = metric_layout(levels);
  std::vector<double> out(2 * layout.size());
  series_metrics_cpu(actual.data(), mean.data(), quant.data(), hist.data(), 2, 4, 5, 2, levels, layout, out.data());
  EXPECT_DOUBLE_EQ(out[0], 1.0);                          // mae
  EXPECT_DOUBLE_EQ(out[3], 0.5);                          // mase (scale 2)
  EXPECT_DOUBLE_EQ(out[layout.index("cov80")], 2.0 / 3.0);
  const double* s1 = out.data() + layout.size();
  EXPECT_DOUBLE_EQ(s1[0], 0.0);                            // perfect forecast
  EXPECT_DOUBLE_EQ(s1[2], 0.0);                            // smape
  EXPECT_TRUE(std::isnan(s1[3]));                          // flat history: MASE undefined
  EXPECT_TRUE(std::isnan(s1[4]));                          // and RMSSE
  EXPECT_DOUBLE_EQ(s1[layout.index("cov80")], 1.0);
  EXPECT_NEAR(s1[layout.index("pinball")], 0.5 * (0.1 * 1 + 0.1 * 1), 1e-12);  // |y-q| = 1 each side
}

}  // namespace
}  // namespace skucast
