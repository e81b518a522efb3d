// tests/eval/test_cumulative.cpp — quantiles of the demand summed over steps 1..h (engine/eval/
// cumulative.h) worked by hand: from sample paths, from fold errors through the conformal rule,
// from perfectly correlated steps; `plan` from them (engine/eval/plan.h), the forecast file's
// optional dataset, and files without it planning as before.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/eval/conformal.h"
#include "engine/eval/cumulative.h"
#include "engine/eval/plan.h"
#include "engine/stat/normal.h"
#include "io/forecast_file.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"
#include "tests/eval/plan_forecast.h"

namespace skucast {
namespace {

TEST(CumulativeQuantiles, FromSamplePathsRunningSums) {
  // Three paths over H = 2: running sums at h = 1 {1, 3, 2}, at h = 2 {3, 3, 7}.
  const std::vector<float> paths = {1, 2, 3, 0, 2, 5};  // [P = 3, H = 2]
  std::vector<float> cq(4);                             // [H, Q]
  path_cumulative_quantiles(paths.data(), 3, 2, {0.5, 0.75}, cq.data());
  // Type 7: position (P − 1) q = 1 and 1.5 in the sorted sums.
  EXPECT_FLOAT_EQ(cq[0], 2.0f);  // h = 1: {1, 2, 3}
  EXPECT_FLOAT_EQ(cq[1], 2.5f);
  EXPECT_FLOAT_EQ(cq[2], 3.0f);  // h = 2: {3, 3, 7}
  EXPECT_FLOAT_EQ(cq[3], 5.0f);
}

// One series, K = 4 folds, H = 2; fold k's errors are c_k at both steps (perfectly correlated
// steps), c = −1.5, −0.5, 0.5, 1.5; mean 10 per step.
CalibrationSet correlated_folds() {
  CalibrationSet cal;
  resize_calibration(cal, 1, 4, 2);
  cal.errors.clear();
  for (float c : {-1.5f, -0.5f, 0.5f, 1.5f}) cal.errors.insert(cal.errors.end(), {c, c});
  cal.fold_scale.assign(4, 1.0);
  cal.scale.assign(1, 1.0);
  cal.zero_share.assign(1, 0.0);
  cal.nonneg.assign(1, 1);
  return cal;
}

TEST(CumulativeQuantiles, FoldErrorsSummedAlongTime) {
  CalibrationSet cal = correlated_folds();
  cal.errors[5] = std::nanf("");  // fold 2 has no error at step 2
  const CalibrationSet cum = cumulative_calibration(cal);
  const std::vector<float> want = {-1.5f, -3.0f, -0.5f, -1.0f, 0.5f, NAN, 1.5f, 3.0f};
  for (size_t j = 0; j < want.size(); ++j)
    if (std::isnan(want[j])) EXPECT_TRUE(std::isnan(cum.errors[j])) << j;
    else EXPECT_FLOAT_EQ(cum.errors[j], want[j]) << j;
}

TEST(CumulativeQuantiles, ConformalFromSummedFoldErrors) {
  const CalibrationSet cal = correlated_folds();
  const std::vector<float> mean = {10, 10};                            // [S = 1, H = 2]
  const std::vector<float> quantiles = {8, 10, 12, 8, 10, 12};         // [1, 2, 3], the fallback's input
  const std::vector<double> levels = {0.2, 0.5, 0.8};
  std::vector<float> cq(6);
  ConformalOptions opt;
  opt.min_per_series = 2;  // the series' own 4 errors
  const ConformalStats st = conformal_cumulative_quantiles(cal, mean.data(), quantiles.data(), levels, cq.data(), opt);
  EXPECT_EQ(st.n_own, 2);
  // n = 4, Note [Conformal order statistic]: 0.2 → e_(1); 0.5 → e_(ceil(2.5)) = e_(3); 0.8 → e_(4).
  // h = 1: 10 + {−1.5, 0.5, 1.5}; h = 2: 20 + {−3, 1, 3} (the sums, twice each step's spread).
  const std::vector<float> want = {8.5f, 10.5f, 11.5f, 17.0f, 21.0f, 23.0f};
  for (size_t j = 0; j < want.size(); ++j) EXPECT_FLOAT_EQ(cq[j], want[j]) << j;
  // Too few errors and no scale to pool with: the cells keep perfectly correlated steps.
  CalibrationSet none = cal;
  none.scale.assign(1, 0.0);
  opt.min_per_series = 20;
  const ConformalStats st2 = conformal_cumulative_quantiles(none, mean.data(), quantiles.data(), levels, cq.data(), opt);
  EXPECT_EQ(st2.n_model, 2);
  const std::vector<float> comonotone = {8, 10, 12, 16, 20, 24};
  for (size_t j = 0; j < comonotone.size(); ++j) EXPECT_FLOAT_EQ(cq[j], comonotone[j]) << j;
}

// tests/eval/plan_forecast.h's hand forecast plus cumulative quantiles of perfectly correlated
// steps (sd of D = the sum of the steps' sds).
ForecastFile correlated_forecast() {
  ForecastFile fc = hand_forecast();
  fc.cumulative_quantiles.resize(fc.quantiles.size());
  comonotone_cumulative_quantiles(fc.quantiles.data(), 2, 4, 3, fc.cumulative_quantiles.data());
  return fc;
}

TEST(PlanCumulative, PerfectlyCorrelatedStepsByHand) {
  const ForecastFile fc = correlated_forecast();
  std::vector<StockRow> stock(2);
  stock[1].lead_time = 1;  // L + R = 2
  PlanOptions opt;
  opt.lead_time = 2;
  opt.review_period = 1;
  opt.service_level = 0.95;
  ASSERT_TRUE(plan_uses_cumulative(fc, opt));
  std::vector<PlanRow> rows = make_plan(fc, stock, opt);
  // a: L + R = 3, D's quantiles {30 − 11.534, 30, 30 + 11.534} (1.28155 × 9: sd 9 = 3 × 3, not
  // 3 sqrt(3)). 0.95 is above the grid: the exponential tail, b = 11.534 / ln(0.5 / 0.1) =
  // 7.16646, S = 41.534 + b ln(0.1 / 0.05) = 46.5014.
  EXPECT_TRUE(rows[0].cumulative);
  EXPECT_NEAR(rows[0].demand_mean, 30.0, 1e-5);
  EXPECT_NEAR(rows[0].demand_sd, 9.0, 1e-4);  // reported: the normal through median and top
  EXPECT_NEAR(rows[0].order_up_to, 46.5014, 1e-3);
  // slow: L + R = 2, cumulative quantiles {0, 2, 2 + 1.28155 × 4}: sd 4, b = 5.12621 / ln 5,
  // S = 7.12621 + b ln 2 = 9.33394.
  EXPECT_NEAR(rows[1].demand_sd, 4.0, 1e-4);
  EXPECT_NEAR(rows[1].order_up_to, 9.33394, 1e-3);
  // A level on the grid reads D's quantile: 0.9 → 30 + 1.28155 × 9 = 41.534; 0.7 interpolates
  // between the median 30 and it: 30 + 0.5 × 11.534.
  opt.service_level = 0.9;
  rows = make_plan(fc, stock, opt);
  EXPECT_NEAR(rows[0].order_up_to, 41.5340, 1e-3);
  EXPECT_FALSE(rows[0].beyond_grid);  // on the grid's top level, not above it
  opt.service_level = 0.7;
  rows = make_plan(fc, stock, opt);
  EXPECT_NEAR(rows[0].order_up_to, 35.7670, 1e-3);
  // Fill rate: E[(D − S)+] = (1 − 0.95) × (1/3) × 30 = 0.5 on the grid. At the top quantile the
  // tail alone leaves 0.1 b = 0.717, so S is in the tail: 0.1 b exp(−(S − 41.534) / b) = 0.5,
  // S = 41.534 − b ln(0.5 / (0.1 b)) = 44.1137.
  opt.service_level = 0.95;
  opt.service = ServiceKind::Fill;
  rows = make_plan(fc, stock, opt);
  EXPECT_NEAR(rows[0].order_up_to, 44.1137, 1e-3);
  EXPECT_TRUE(rows[0].beyond_grid);  // above the top quantile 41.534
  const float* q3 = fc.cumulative_quantiles.data() + 2 * 3;  // series a, step 3
  EXPECT_NEAR(grid_loss(fc.levels, q3, rows[0].order_up_to), 0.5, 1e-6);
  // At the median: 0.4 × (mean of 30 and 41.534 − 30) + 0.1 × (41.534 − 30 + b) = 4.17683
  // (the normal with sd 9 would give 9 G(0) = 3.59: the tail is heavier).
  EXPECT_NEAR(grid_loss(fc.levels, q3, 30.0), 4.17683, 1e-4);
  // Far below the grid: E[D] − s, E[D] = 30 + 0.1 b = 30.7166 (the grid is symmetric but its
  // tail above 0.9 is exponential, below 0.1 flat).
  EXPECT_NEAR(grid_loss(fc.levels, q3, -100.0), 130.7166, 1e-3);
  // --steps independent: the old rule, sd 3 sqrt(3).
  opt.service = ServiceKind::Cycle;
  opt.dependence = StepDependence::Independent;
  EXPECT_FALSE(plan_uses_cumulative(fc, opt));
  rows = make_plan(fc, stock, opt);
  EXPECT_FALSE(rows[0].cumulative);
  EXPECT_NEAR(rows[0].demand_sd, 5.19615, 1e-4);
  EXPECT_NEAR(rows[0].order_up_to, 38.5470, 1e-3);
}

class CumulativeFiles : public testing::ScratchTest {};

TEST_F(CumulativeFiles, OptionalDatasetRoundTripsAndOldFilesPlanAsBefore) {
  ForecastFile fc = correlated_forecast();
  write_forecast(path("cum.h5"), fc);
  const ForecastFile back = read_forecast(path("cum.h5"));
  EXPECT_EQ(back.cumulative_quantiles, fc.cumulative_quantiles);
  ForecastFile old = fc;  // a file without the dataset (written before it existed)
  old.cumulative_quantiles.clear();
  write_forecast(path("old.h5"), old);
  const ForecastFile old_back = read_forecast(path("old.h5"));
  EXPECT_TRUE(old_back.cumulative_quantiles.empty());
  std::vector<StockRow> stock(2);
  PlanOptions opt;
  opt.lead_time = 2;
  opt.review_period = 1;
  EXPECT_FALSE(plan_uses_cumulative(old_back, opt));
  const std::vector<PlanRow> rows = make_plan(old_back, stock, opt);
  EXPECT_NEAR(rows[0].demand_sd, 5.19615, 1e-4);  // independent steps, as before
  EXPECT_NEAR(rows[0].order_up_to, 38.5470, 1e-3);
  // A mis-sized dataset is refused when writing, with the sizes.
  ForecastFile bad = fc;
  bad.cumulative_quantiles.pop_back();
  try {
    write_forecast(path("bad.h5"), bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cumulative_quantiles has 23 values, expected S*H*Q = 2*4*3"),
              std::string::npos)
        << e.what();
  }
  // Shards must agree on having it.
  ForecastFile a = fc, b = old;
  a.shard_count = b.shard_count = 2;
  b.shard_index = 1;
  b.ids = {"c", "d"};
  EXPECT_THROW(merge_forecasts({a, b}, {"a.h5", "b.h5"}), InputError);
}

}  // namespace
}  // namespace skucast
