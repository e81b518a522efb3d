// tests/eval/test_plan.cpp — stock levels (engine/eval/plan.h) against textbook numbers worked by
// hand: the standard normal loss function, cycle-service and fill-rate order-up-to levels for
// normal and Poisson demand, order quantities with packs, a plan from a hand-made forecast file,
// and the stock and order files' errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/eval/plan.h"
#include "io/forecast_file.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"
#include "tests/eval/plan_forecast.h"

namespace skucast {
namespace {

// G(k) as tabulated in Silver, Pyke & Peterson (1998), Appendix B.
TEST(PlanFormulas, NormalLossFunctionTable) {
  EXPECT_NEAR(normal_loss(0.0), 0.3989, 5e-5);
  EXPECT_NEAR(normal_loss(1.0), 0.0833, 5e-5);
  EXPECT_NEAR(normal_loss(1.5), 0.0293, 5e-5);
  EXPECT_NEAR(normal_loss(2.0), 0.0085, 5e-5);
  EXPECT_NEAR(normal_loss(-1.0), 1.0833, 5e-5);  // G(−k) = G(k) + k
  EXPECT_NEAR(normal_loss_inverse(normal_loss(1.0)), 1.0, 1e-9);
  EXPECT_NEAR(normal_loss_inverse(normal_loss(-0.3)), -0.3, 1e-9);
}

// Normal demand over L + R: mean 100, sd 20.
TEST(PlanFormulas, NormalCycleServiceAndFillRate) {
  // Cycle service 95 %: S = 100 + 1.644854 × 20 = 132.897.
  EXPECT_NEAR(order_up_to(100, 20, 0.95, ServiceKind::Cycle, DemandDistribution::Normal, 0.5), 132.8971, 1e-3);
  EXPECT_NEAR(order_up_to(100, 20, 0.5, ServiceKind::Cycle, DemandDistribution::Normal, 0.5), 100.0, 1e-9);
  // Fill rate: E[(D − S)+] = (1 − beta) E[D_R]; L = R: E[D_R] = 50. For k = 1 (S = 120) the
  // shortage is 20 G(1) = 1.66631, so beta = 1 − 1.66631 / 50 = 0.966674.
  const double beta = 1.0 - 20.0 * normal_loss(1.0) / 50.0;
  EXPECT_NEAR(beta, 0.96667, 1e-5);
  EXPECT_NEAR(order_up_to(100, 20, beta, ServiceKind::Fill, DemandDistribution::Normal, 0.5), 120.0, 1e-6);
  // beta = 0.99, R = L + R (share 1): G(k) = 0.01 × 100 / 20 = 0.05 → k = 1.25558 (table: G(1.25) = 0.0506, G(1.26) = 0.0495).
  EXPECT_NEAR(order_up_to(100, 20, 0.99, ServiceKind::Fill, DemandDistribution::Normal, 1.0), 100 + 20 * 1.25558, 1e-3);
  // No spread: S = the mean.
  EXPECT_EQ(order_up_to(7, 0, 0.99, ServiceKind::Cycle, DemandDistribution::Normal, 0.5), 7.0);
  EXPECT_THROW(order_up_to(7, 1, 1.0, ServiceKind::Cycle, DemandDistribution::Normal, 0.5), InputError);
}

// Poisson demand with mean 2 over L + R, by hand:
//   P(D = d) = e^-2 2^d / d!: 0.1353 0.2707 0.2707 0.1804 0.0902 0.0361
//   F(d): 0.1353 0.4060 0.6767 0.8571 0.9473 0.9834
//   E[(D − s)+] = 2 − sum_{j<s} (1 − F(j)): s = 0..5 → 2, 1.1353, 0.5413, 0.2180, 0.0751, 0.0225
TEST(PlanFormulas, PoissonCycleServiceAndFillRate) {
  EXPECT_NEAR(poisson_cdf(3, 2.0), 0.8571, 1e-4);
  EXPECT_NEAR(poisson_cdf(4, 2.0), 0.9473, 1e-4);
  EXPECT_NEAR(poisson_loss(0, 2.0), 2.0, 1e-12);
  EXPECT_NEAR(poisson_loss(3, 2.0), 0.2180, 1e-4);
  EXPECT_NEAR(poisson_loss(4, 2.0), 0.0751, 1e-4);
  EXPECT_NEAR(poisson_loss(5, 2.0), 0.0225, 1e-4);
  // Cycle: the smallest s with F(s) >= alpha.
  EXPECT_EQ(order_up_to(2, 0, 0.95, ServiceKind::Cycle, DemandDistribution::Poisson, 0.5), 5.0);
  EXPECT_EQ(order_up_to(2, 0, 0.90, ServiceKind::Cycle, DemandDistribution::Poisson, 0.5), 4.0);
  EXPECT_EQ(order_up_to(2, 0, 0.85, ServiceKind::Cycle, DemandDistribution::Poisson, 0.5), 3.0);
  // Fill, E[D_R] = 0.5 × 2 = 1: beta 0.95 → shortage <= 0.05 → s = 5; beta 0.9 → <= 0.1 → s = 4.
  EXPECT_EQ(order_up_to(2, 0, 0.95, ServiceKind::Fill, DemandDistribution::Poisson, 0.5), 5.0);
  EXPECT_EQ(order_up_to(2, 0, 0.90, ServiceKind::Fill, DemandDistribution::Poisson, 0.5), 4.0);
  EXPECT_EQ(order_up_to(0, 0, 0.99, ServiceKind::Cycle, DemandDistribution::Poisson, 0.5), 0.0);
  // A large mean: the Poisson quantile is near the normal one (mean 10,000, sd 100).
  EXPECT_NEAR(order_up_to(1e4, 0, 0.95, ServiceKind::Cycle, DemandDistribution::Poisson, 0.5), 1e4 + 164.5, 2.0);
  // Large means stay exact and quick (the sums start 40 sd below the mean): the loss at the mean
  // is sd × phi(0) ≈ 0.3989 sqrt(mu) (normal limit); a mean of 10^8 (sd 10^4) at fill rate 0.999
  // with E[D_R] = 5e7: G(k) = 0.001 × 5e7 / 1e4 = 5 → k ≈ −5 (G(−k) = G(k) + k), S ≈ 1e8 − 5e4.
  EXPECT_NEAR(poisson_loss(1000000, 1e6) / 1000.0, 0.3989, 1e-3);
  EXPECT_NEAR(poisson_cdf(1000000, 1e6), 0.5, 1e-3);
  EXPECT_NEAR(order_up_to(1e8, 0, 0.999, ServiceKind::Fill, DemandDistribution::Poisson, 0.5), 1e8 - 5e4, 10.0);
  // Fill 0.95 asks for a shortage of 2.5e6 per cycle, 250 sd: far below the support's start,
  // where E[(D − s)+] = mu − s, so S = mu − 2.5e6.
  EXPECT_EQ(order_up_to(1e8, 0, 0.95, ServiceKind::Fill, DemandDistribution::Poisson, 0.5), 1e8 - 2.5e6);
}

// Note [Poisson demand with a large mean]: above a mean of 1e9 the normal limit, continuous with
// the exact sums just below it, and sane up to the largest panel values (the sums' bounds
// overflowed int64 there: S was INT64_MIN for a mean of 8e25).
TEST(PlanFormulas, PoissonWithALargeMean) {
  // Across the switch S moves as the mean does: cycle mu + 1.6449 sqrt(mu); fill 0.95 with
  // E[D_R] = mu / 2 asks for a shortage of 0.025 mu, far below the mean: S = 0.975 mu.
  auto across = [](ServiceKind service) {
    return order_up_to(1.001e9, 0, 0.95, service, DemandDistribution::Poisson, 0.5) -
           order_up_to(0.999e9, 0, 0.95, service, DemandDistribution::Poisson, 0.5);
  };
  EXPECT_NEAR(across(ServiceKind::Cycle), 2e6 + 1.6449 * (std::sqrt(1.001e9) - std::sqrt(0.999e9)), 3.0);
  EXPECT_NEAR(across(ServiceKind::Fill), 0.975 * 2e6, 3.0);
  // Cycle 0.95: mu + 1.6449 sqrt(mu), e.g. 4e12 + 3.2897e6.
  EXPECT_NEAR(order_up_to(4e12, 0, 0.95, ServiceKind::Cycle, DemandDistribution::Poisson, 0.5) - 4e12, 3.2897e6, 50.0);
  for (const double mu : {1e14, 1e18, 8e25, 1e30}) {
    const double s = order_up_to(mu, 0, 0.95, ServiceKind::Cycle, DemandDistribution::Poisson, 0.5);
    EXPECT_GT(s, mu) << mu;
    EXPECT_NEAR((s - mu) / std::sqrt(mu), 1.6449, 1e-3 + 1e-15 * mu / std::sqrt(mu)) << mu;
    EXPECT_GE(order_up_to(mu, 0, 0.95, ServiceKind::Fill, DemandDistribution::Poisson, 0.5), 0.0) << mu;
  }
  EXPECT_NEAR(poisson_cdf(2000000000, 2e9), 0.5, 1e-4);
  EXPECT_NEAR(poisson_loss(2000000000, 2e9) / std::sqrt(2e9), 0.3989, 1e-3);
}

TEST(PlanFormulas, OrderQuantityWithPacks) {
  EXPECT_NEAR(order_quantity(132.9, 50, 30, 0, 0), 52.9, 1e-9);
  EXPECT_EQ(order_quantity(132.9, 50, 30, 12, 0), 60.0);   // 52.9 → 5 packs of 12
  EXPECT_EQ(order_quantity(132.9, 50, 30, 12, 100), 108.0);  // min 100 → 9 packs of 12
  EXPECT_EQ(order_quantity(98, 50, 0, 12, 0), 48.0);        // exactly 4 packs
  EXPECT_EQ(order_quantity(80, 50, 30, 12, 100), 0.0);      // nothing to order: no minimum applies
  EXPECT_EQ(order_quantity(80, 100, 0, 0, 0), 0.0);
}

// hand_forecast(): tests/eval/plan_forecast.h.

TEST(Plan, FromPerStepQuantilesStepsIndependent) {
  const ForecastFile fc = hand_forecast();
  std::vector<StockRow> stock(2);
  stock[0].on_hand = 20;
  stock[0].on_order = 5;
  stock[1].lead_time = 1;  // its own L: L + R = 2
  PlanOptions opt;
  opt.lead_time = 2;
  opt.review_period = 1;
  opt.service_level = 0.95;
  const std::vector<PlanRow> rows = make_plan(fc, stock, opt);
  // a: mu = 30, sd = 3 sqrt(3) = 5.19615, S = 30 + 1.644854 × 5.19615 = 38.5470.
  EXPECT_NEAR(rows[0].demand_mean, 30.0, 1e-5);
  EXPECT_NEAR(rows[0].demand_sd, 5.19615, 1e-4);
  EXPECT_NEAR(rows[0].order_up_to, 38.5470, 1e-3);
  EXPECT_NEAR(rows[0].safety_stock, 8.5470, 1e-3);
  EXPECT_NEAR(rows[0].order_qty, 38.5470 - 25.0, 1e-3);
  // slow: L + R = 2 steps, mu = 2, sd = 2 sqrt(2) = 2.82843 (upper half), S = 2 + 1.644854 × 2.82843.
  EXPECT_EQ(rows[1].lead_time, 1);
  EXPECT_NEAR(rows[1].demand_sd, 2.82843, 1e-4);
  EXPECT_NEAR(rows[1].order_up_to, 2 + 1.644854 * 2.82843, 1e-3);
  // Poisson: from the means only.
  opt.distribution = DemandDistribution::Poisson;
  const std::vector<PlanRow> p = make_plan(fc, stock, opt);
  EXPECT_EQ(p[1].order_up_to, 5.0);  // Poisson(2), alpha 0.95 (above)
}

TEST(Plan, BadRequestsNameTheProblem) {
  const ForecastFile fc = hand_forecast();
  std::vector<StockRow> stock(2);
  PlanOptions opt;
  opt.lead_time = 3;
  opt.review_period = 2;  // 5 > H = 4
  try {
    make_plan(fc, stock, opt);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("series 'a': lead time 3 (--lead-time) + review period 2 (--review-period) = "
                                         "5 steps, beyond the horizon of 4 steps of the forecast file"),
              std::string::npos)
        << e.what();
  }
  stock[1].lead_time = 4;  // slow's own, from line 3 of its stock file
  stock[1].line = 3;
  opt.lead_time = 1;
  opt.stock_path = "stock.csv";
  opt.forecast_path = "fc.h5";
  try {
    make_plan(fc, stock, opt);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("series 'slow': lead time 4 (stock.csv line 3) + review period 2 (--review-period)"
                                         " = 6 steps, beyond the horizon of 4 steps of fc.h5"),
              std::string::npos)
        << e.what();
  }
  stock[1] = StockRow{};
  opt.lead_time = 3;
  opt.review_period = 2;
  ForecastFile low = fc;  // levels all below the median: no spread above it to read
  low.levels = {0.1, 0.2};
  low.quantiles.resize(low.quantiles.size() / 3 * 2);
  opt.lead_time = 1;
  try {
    make_plan(low, stock, opt);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("fc.h5: its quantile levels (0.1,0.2) have none above the median"),
              std::string::npos)
        << e.what();
  }
  opt.distribution = DemandDistribution::Poisson;  // the means alone: fine
  EXPECT_NO_THROW(make_plan(low, stock, opt));
  opt.distribution = DemandDistribution::Normal;
  opt.lead_time = 3;
  opt.lead_time = -1;  // none anywhere
  EXPECT_THROW(make_plan(fc, stock, opt), InputError);
  opt.lead_time = 1;
  opt.service_level = 1.0;
  EXPECT_THROW(make_plan(fc, stock, opt), InputError);
  opt.service_level = 0.9;
  ForecastFile one = fc;  // a single quantile level: no spread for the normal
  one.levels = {0.5};
  one.quantiles.assign(8, 1.0f);
  EXPECT_THROW(make_plan(one, stock, opt), InputError);
  opt.distribution = DemandDistribution::Poisson;
  EXPECT_NO_THROW(make_plan(one, stock, opt));
}

class PlanFiles : public testing::ScratchTest {
 protected:
  // Runs read_stock_csv on text and returns the error message ("" when none).
  std::string stock_error(const std::string& text) {
    try {
      read_stock_csv(write("stock.csv", text), {"a", "b"});
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(PlanFiles, StockFileColumnsAndErrors) {
  int64_t listed = 0;
  const auto rows = read_stock_csv(
      write("s.csv", "on_hand,series_id,lead_time,case_pack\n5,b,3,12\n0.5,a,,\n"), {"a", "b"}, &listed);
  EXPECT_EQ(listed, 2);
  EXPECT_EQ(rows[1].on_hand, 5.0);
  EXPECT_EQ(rows[1].lead_time, 3);
  EXPECT_EQ(rows[1].case_pack, 12.0);
  EXPECT_EQ(rows[0].on_hand, 0.5);
  EXPECT_EQ(rows[0].lead_time, -1);  // empty: the run's
  EXPECT_NE(stock_error("series_id,on_hand\na,1\nzz,2\n").find("stock.csv:3: series 'zz' is not in the forecast"),
            std::string::npos);
  EXPECT_NE(stock_error("series_id,on_hand\na,-4\n").find("stock.csv:2: series 'a' has negative stock"),
            std::string::npos);
  EXPECT_NE(stock_error("series_id,stock\na,1\n").find("missing column 'on_hand'"), std::string::npos);
  EXPECT_NE(stock_error("series_id,on_hand\na,1\na,2\n").find("stock.csv:3: series 'a' is listed again (first on line 2)"),
            std::string::npos);
  EXPECT_NE(stock_error("series_id,on_hand\na,lots\n").find("stock.csv:2: column on_hand: 'lots' is not a number"),
            std::string::npos);
  // Decimal numbers only, spaces around them allowed (as ingest reads values), at most 1e30.
  EXPECT_NE(stock_error("series_id,on_hand\na,0x10\n").find("stock.csv:2: column on_hand: '0x10' is not a number"),
            std::string::npos);
  EXPECT_NE(stock_error("series_id,on_hand\na,nan\n").find("'nan' is not a number"), std::string::npos);
  EXPECT_NE(stock_error("series_id,on_hand\na,2e30\n").find("stock.csv:2: column on_hand: '2e30' is too large"),
            std::string::npos);
  EXPECT_EQ(read_stock_csv(write("sp.csv", "series_id,on_hand,lead_time\na, 5 ,+3\n"), {"a"})[0].on_hand, 5.0);
  EXPECT_EQ(read_stock_csv(write("sp.csv", "series_id,on_hand,lead_time\na, 5 ,+3\n"), {"a"})[0].lead_time, 3);
  EXPECT_NE(stock_error("series_id,on_hand,review_period\na,1,0\n").find("review_period"), std::string::npos);
  EXPECT_NE(stock_error("series_id,on_hand\na\n").find("stock.csv:2: 1 fields"), std::string::npos);
  EXPECT_NE(stock_error("").find("empty"), std::string::npos);
}

TEST_F(PlanFiles, OrdersArrivingWithinLeadTimePlusReview) {
  std::vector<StockRow> stock(2);
  stock[1].review_period = 3;
  PlanOptions opt;
  opt.lead_time = 2;
  opt.review_period = 1;  // a: L + R = 3; b: 2 + 3 = 5
  read_orders_csv(write("o.csv", "series_id,quantity,arrival_step\na,10,3\na,7,4\nb,4,5\nb,1,0\n"), {"a", "b"}, opt,
                  stock);
  EXPECT_EQ(stock[0].on_order, 10.0);  // the one of step 4 arrives after the protection period
  EXPECT_EQ(stock[1].on_order, 5.0);
  try {
    read_orders_csv(write("o2.csv", "series_id,quantity,arrival_step\na,-1,1\n"), {"a", "b"}, opt, stock);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("o2.csv:2: series 'a' has a negative order quantity"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(read_orders_csv(write("o3.csv", "series_id,quantity\na,1\n"), {"a", "b"}, opt, stock), InputError);
}

}  // namespace
}  // namespace skucast
