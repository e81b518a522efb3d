// tests/cli/test_cli_auto.cpp — `skucast forecast --model auto[:a,b]` through the binary: each
// series gets the candidate with the lowest backtest MASE, recorded in the forecast file and CSV.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/forecast_file.h"
#include "io/panel.h"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

class CliAuto : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    // "weekly": a fixed weekday profile (snaive is exact); "trend": y = t (naive is off by h,
    // snaive by 7, so naive's MASE 4/7 beats snaive's 1 at horizon 7).
    PanelHeader h;
    h.axis = make_axis(Freq::Day, "2023-01-02", 7);
    h.n_steps = 70;
    h.ids = {"weekly", "trend"};
    std::vector<float> y;
    for (int t = 0; t < 70; ++t) y.push_back(static_cast<float>(10 + 3 * (t % 7)));
    for (int t = 0; t < 70; ++t) y.push_back(static_cast<float>(t));
    m_panel = path("p.h5");
    write_panel(m_panel, h, y, {});
  }
  std::string m_panel;
};

TEST_F(CliAuto, ChoosesPerSeriesAndRecordsIt) {
  const CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "auto:naive,snaive", "--select-rule",
                                   "lowest", "--horizon", "7", "--out", path("fc.h5"), "--csv", path("fc.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  // weekly has no MASE (its seasonal scale is 0), so the catalog's best by MASE is trend's naive
  // (4/7 against snaive's 1); weekly is chosen by MAE, where snaive (0) is best.
  EXPECT_NE(r.output.find("auto: lowest mean mase over 3 fold(s) per series, leaving the catalog's best (naive) only "
                          "when 10 % lower: naive 1, snaive 1"),
            std::string::npos)
      << r.output;
  const ForecastFile fc = read_forecast(path("fc.h5"));
  EXPECT_EQ(fc.model, "auto:naive,snaive");
  EXPECT_EQ(fc.model_per_series, (std::vector<std::string>{"snaive", "naive"}));
  EXPECT_FLOAT_EQ(fc.mean[0], 10.0f);       // weekly, step 1 = day 70 → weekday 0
  EXPECT_FLOAT_EQ(fc.mean[7 + 3], 69.0f);   // trend: the last value
  const std::string csv = testing::read_text(m_dir / "fc.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "series_id,time,step,mean,q0.1,q0.5,q0.9,model");
  EXPECT_NE(csv.find(",snaive\n"), std::string::npos);
  EXPECT_NE(csv.find("trend,2023-03-13,1,69,"), std::string::npos) << csv.substr(0, 400);
  const CliResult info = run_skucast({"info", path("fc.h5")});
  EXPECT_NE(info.output.find("model per series: snaive 1, naive 1"), std::string::npos) << info.output;
  // Sharded runs merge into the same file.
  for (const char* k : {"0", "1"})
    ASSERT_EQ(run_skucast({"forecast", "--panel", m_panel, "--model", "auto:naive,snaive", "--select-rule", "lowest",
                           "--horizon", "7", "--shard", std::string(k) + "/2", "--out",
                           path(std::string("part") + k + ".h5")})
                  .rc,
              0);
  ASSERT_EQ(run_skucast({"merge", path("part0.h5"), path("part1.h5"), "--out", path("merged.h5")}).rc, 0);
  EXPECT_EQ(read_forecast(path("merged.h5")).model_per_series, fc.model_per_series);
}

// The default rule (Note [Top-k inverse-error weights]) with three candidates, on the series' own
// errors (--select-shrink 0): weekly's snaive is exact (MAE 0 takes all the weight); trend keeps
// its two lowest MASEs, naive 4/7 and snaive 1 (ma's 1 ties snaive's and the one listed first
// stays), weighed 7/4 : 1. The default shrinkage is checked by hand in
// tests/eval/test_model_choice.cpp; here only that it is on by default and said.
TEST_F(CliAuto, Top2CombinesTheTwoLowest) {
  const CliResult d = run_skucast({"forecast", "--panel", m_panel, "--model", "auto:naive,snaive,ma", "--horizon", "7",
                                   "--out", path("fc_default.h5")});
  ASSERT_EQ(d.rc, 0) << d.output;
  EXPECT_NE(d.output.find("over 3 fold(s) shrunk towards the catalog's mean (worth 8 folds), weighed by 1 / error"),
            std::string::npos)
      << d.output;
  const CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "auto:naive,snaive,ma", "--horizon", "7",
                                   "--select-shrink", "0", "--out", path("fc.h5"), "--csv", path("fc.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("auto: per series the 2 candidates with the lowest mean mase over 3 fold(s), weighed by 1 / "
                          "error; mean weights naive 0.318, snaive 0.682, ma 0.000"),
            std::string::npos)
      << r.output;
  const ForecastFile fc = read_forecast(path("fc.h5"));
  EXPECT_EQ(fc.model_per_series, (std::vector<std::string>{"snaive", "naive+snaive"}));
  for (int h = 0; h < 7; ++h) EXPECT_NEAR(fc.mean[h], 10.0f + 3.0f * h, 1e-4) << h;
  for (int h = 0; h < 7; ++h) EXPECT_NEAR(fc.mean[7 + h], (7.0 / 4 * 69 + (63.0 + h)) / (11.0 / 4), 1e-3) << h;
  EXPECT_NE(testing::read_text(m_dir / "fc.csv").find(",naive+snaive\n"), std::string::npos);
}

// --combine weighted on the same panel: the weekly series' snaive is exact (MASE undefined: a
// zero seasonal scale, so MAE decides and snaive's MAE is 0: all the weight); the trend series
// weighs naive (MASE 4/7) and snaive (1) by 7/4 : 1.
TEST_F(CliAuto, WeightedEnsemble) {
  const CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "naive+snaive", "--combine", "weighted",
                                   "--horizon", "7", "--out", path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("weighted: members weighed per series by 1 / mean mase over 3 fold(s)"), std::string::npos)
      << r.output;
  const ForecastFile fc = read_forecast(path("fc.h5"));
  EXPECT_EQ(fc.model, "naive+snaive");
  EXPECT_TRUE(fc.model_per_series.empty());
  for (int h = 0; h < 7; ++h) EXPECT_NEAR(fc.mean[h], 10.0f + 3.0f * h, 1e-4) << h;  // snaive alone
  // trend, step h: naive 69, snaive 69 - 7 + h (days 63..69 repeated) → (7/4 · 69 + 1 · (62 + h + 1)) / (11/4).
  for (int h = 0; h < 7; ++h)
    EXPECT_NEAR(fc.mean[7 + h], (7.0 / 4 * 69 + (63.0 + h)) / (11.0 / 4), 1e-3) << h;
  const CliResult bad = run_skucast({"forecast", "--panel", m_panel, "--model", "naive", "--combine", "weighted",
                                     "--horizon", "7", "--out", path("fc2.h5")});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.output.find("at least two members"), std::string::npos) << bad.output;
}

TEST_F(CliAuto, BadRequests) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--model", "auto:naive,lstm"}, "needs its trained model file"},
      {{"--model", "auto:naive,,snaive"}, "an empty candidate"},
      {{"--model", "auto:naive,naive"}, "listed twice"},
      {{"--model", "auto:naive,nope"}, "unknown model 'nope'"},
      {{"--model", "auto:naive,snaive", "--select-metric", "bias"}, "not an error metric"},
      {{"--model", "naive", "--select-metric", "mae"}, "go with --model auto"},
      {{"--model", "auto", "--intervals", "conformal"}, "not built yet"},
      {{"--model", "naive", "--select-margin", "0.2"}, "--select-margin goes with --model auto"},
      {{"--model", "auto:naive,snaive", "--select-rule", "lowest", "--select-margin", "1.5"}, "--select-margin"},
      {{"--model", "auto:naive,snaive", "--select-margin", "0.2"}, "--select-margin goes with --select-rule lowest"},
      {{"--model", "naive", "--select-rule", "lowest"}, "--select-rule goes with --model auto"},
      {{"--model", "auto:naive,snaive", "--select-rule", "lowest", "--select-shrink", "4"},
       "--select-shrink goes with --model auto and its default rule, top2"},
      {{"--model", "auto:naive,snaive", "--select-shrink", "-1"}, "--select-shrink"},
      {{"--model", "auto:naive,snaive", "--selection-folds", "40"}, "--selection-folds: the panel has 70 steps"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> a{"forecast", "--panel", m_panel, "--horizon", "7", "--out", path("fc.h5")};
    a.insert(a.end(), args.begin(), args.end());
    const CliResult r = run_skucast(a);
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << message << " in: " << r.output;
    EXPECT_FALSE(std::filesystem::exists(m_dir / "fc.h5"));
  }
}

}  // namespace
}  // namespace skucast
