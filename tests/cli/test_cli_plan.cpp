// tests/cli/test_cli_plan.cpp — `skucast plan` through the binary: a forecast, then the plan CSV
// with stock and open orders; bad inputs exit 2 with a message naming the problem and write nothing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/forecast_file.h"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

class CliPlan : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    // The hand-made forecast of tests/eval/test_plan.cpp: "a" mean 10, sd 3 per step.
    ForecastFile fc;
    fc.model = "hand";
    fc.axis = make_axis(Freq::Day, "2024-01-01", 7);
    fc.origin = 100;
    fc.horizon = 4;
    fc.ids = {"a", "b,2"};
    fc.levels = {0.1, 0.5, 0.9};
    const double z = 1.2815515655446004;
    for (int s = 0; s < 2; ++s)
      for (int h = 0; h < 4; ++h) {
        fc.mean.push_back(10.0f);
        for (float v : {static_cast<float>(10 - z * 3), 10.0f, static_cast<float>(10 + z * 3)}) fc.quantiles.push_back(v);
      }
    m_fc = path("fc.h5");
    write_forecast(m_fc, fc);
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(m_dir / name); }
  std::string m_fc;
};

TEST_F(CliPlan, WritesOrderUpToLevelsAndOrders) {
  const std::string stock = write("stock.csv", "series_id,on_hand,case_pack\na,20,4\n\"b,2\",50,\n");
  const std::string orders = write("orders.csv", "series_id,quantity,arrival_step\na,5,2\na,100,9\n");
  const CliResult r = run_skucast({"plan", "--forecast", m_fc, "--lead-time", "2", "--review-period", "1",
                                   "--service-level", "0.95", "--on-hand", stock, "--on-order", orders, "--out",
                                   path("plan.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::string csv = testing::read_text(m_dir / "plan.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "series_id,lead_time,review_period,demand_mean,demand_sd,order_up_to,safety_stock,on_hand,on_order,order_qty");
  // a: S = 38.547 (tests/eval/test_plan.cpp), on hand 20 + 5 arriving at step 2 → 13.547 → 4 packs of 4 = 16.
  EXPECT_NE(csv.find("\na,2,1,30,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",20,5,16\n"), std::string::npos) << csv;
  // b: 50 on hand covers S: no order.
  EXPECT_NE(csv.find("\"b,2\",2,1,30,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",50,0,0\n"), std::string::npos) << csv;
  EXPECT_NE(r.output.find("1 order(s), 16 units"), std::string::npos) << r.output;
}

TEST_F(CliPlan, FillRateAndPoissonRun) {
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--service", "fill"}, std::vector<std::string>{"--distribution", "poisson"}}) {
    std::vector<std::string> args{"plan", "--forecast", m_fc, "--lead-time", "1", "--review-period", "1",
                                  "--out", path("plan.csv")};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = run_skucast(args);
    EXPECT_EQ(r.rc, 0) << r.output;
  }
}

TEST_F(CliPlan, BadInputsFailWithoutOutput) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string unknown = write("unknown.csv", "series_id,on_hand\na,1\nzz,3\n");
  const std::string negative = write("negative.csv", "series_id,on_hand\na,-2\n");
  const std::string no_col = write("nocol.csv", "series_id,qty\na,2\n");
  const std::vector<Case> cases = {
      {{"--lead-time", "1", "--review-period", "1", "--service-level", "1.5"}, "strictly between 0 and 1"},
      {{"--lead-time", "1", "--review-period", "1", "--service-level", "0"}, "strictly between 0 and 1"},
      {{"--lead-time", "4", "--review-period", "1"}, "beyond the horizon of 4 steps of " + m_fc},
      {{"--review-period", "1"}, "has no lead time"},
      {{"--lead-time", "1", "--review-period", "1", "--on-hand", unknown}, "unknown.csv:3: series 'zz' is not in the forecast"},
      {{"--lead-time", "1", "--review-period", "1", "--on-hand", negative}, "negative.csv:2: series 'a' has negative stock"},
      {{"--lead-time", "1", "--review-period", "1", "--on-hand", no_col}, "missing column 'on_hand'"},
      {{"--lead-time", "-1", "--review-period", "1"}, "--lead-time"},
      {{"--lead-time", "1", "--review-period", "1", "--service", "both"}, "--service"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args{"plan", "--forecast", m_fc, "--out", path("plan.csv")};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const CliResult r = run_skucast(args);
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.message << " in: " << r.output;
    EXPECT_FALSE(exists("plan.csv"));
  }
}

}  // namespace
}  // namespace skucast
