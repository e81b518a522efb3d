// tests/cli/test_cli_conformal.cpp — `skucast forecast --intervals conformal` through the binary:
// the file's attributes, the CSV's shape, the time printed, and the errors (exit 2, no output).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "io/forecast_file.h"
#include "io/h5.h"
#include "io/panel.h"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

class CliConformal : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    // 40 daily series of 120 days: weekly pattern plus noise, non-negative counts.
    PanelHeader h;
    h.axis = make_axis(Freq::Day, "2022-01-03", 7);
    h.n_steps = 120;
    std::mt19937 rng(3);
    std::poisson_distribution<int> noise(4);
    std::vector<float> y;
    for (int s = 0; s < 40; ++s) {
      h.ids.push_back("sku" + std::to_string(s));
      for (int t = 0; t < 120; ++t) y.push_back(static_cast<float>((t % 7) * (s % 3) + noise(rng)));
    }
    m_panel = path("p.h5");
    write_panel(m_panel, h, y, {});
  }
  bool exists(const std::string& name) const { return std::filesystem::exists(m_dir / name); }
  std::string m_panel;
};

TEST_F(CliConformal, WritesConformalQuantilesAndAttributes) {
  const CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "ses+snaive", "--horizon", "7",
                                   "--quantiles", "0.05,0.1,0.5,0.9,0.95", "--intervals", "conformal",
                                   "--calibration-folds", "4", "--out", path("fc.h5"), "--csv", path("fc.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("conformal intervals: 4 calibration fold(s)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" s; "), std::string::npos) << r.output;  // the time it cost
  const ForecastFile fc = read_forecast(path("fc.h5"));
  EXPECT_EQ(fc.intervals, "conformal");
  EXPECT_EQ(fc.calibration_folds, 4);
  EXPECT_EQ(fc.conformal_score, "raw");  // the default score
  {  // the root attribute itself, beside intervals and calibration_folds
    h5::Handle f = h5::open_file_ro(path("fc.h5"));
    ASSERT_TRUE(h5::has_attr(f, "conformal_score"));
    EXPECT_EQ(h5::read_attr_string(f, "conformal_score", path("fc.h5")), "raw");
  }
  const int64_t Q = 5;
  for (size_t c = 0; c < fc.mean.size(); ++c) {
    const float* q = fc.quantiles.data() + c * Q;
    EXPECT_GE(q[0], 0.0f);  // non-negative data: clipped at 0
    for (int j = 1; j < Q; ++j) EXPECT_LE(q[j - 1], q[j]) << "cell " << c;
  }
  // The CSV has the same shape as with the model's intervals.
  const CliResult m = run_skucast({"forecast", "--panel", m_panel, "--model", "ses+snaive", "--horizon", "7",
                                   "--quantiles", "0.05,0.1,0.5,0.9,0.95", "--out", path("m.h5"), "--csv",
                                   path("m.csv")});
  ASSERT_EQ(m.rc, 0) << m.output;
  EXPECT_EQ(read_forecast(path("m.h5")).intervals, "model");
  EXPECT_EQ(read_forecast(path("m.h5")).conformal_score, "");  // no attribute for the model's own
  {
    h5::Handle f = h5::open_file_ro(path("m.h5"));
    EXPECT_FALSE(h5::has_attr(f, "conformal_score"));
  }
  const std::string a = testing::read_text(m_dir / "fc.csv"), b = testing::read_text(m_dir / "m.csv");
  EXPECT_EQ(a.substr(0, a.find('\n')), b.substr(0, b.find('\n')));
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), std::count(b.begin(), b.end(), '\n'));
  const CliResult info = run_skucast({"info", path("fc.h5")});
  EXPECT_NE(info.output.find("conformal (4 calibration folds), score raw"), std::string::npos) << info.output;
  // The default score pools raw errors; --conformal-score scaled scales by the model's own spread.
  EXPECT_NE(r.output.find("raw scores"), std::string::npos) << r.output;
  const CliResult ab = run_skucast({"forecast", "--panel", m_panel, "--model", "ses+snaive", "--horizon", "7",
                                    "--quantiles", "0.05,0.1,0.5,0.9,0.95", "--intervals", "conformal",
                                    "--conformal-score", "scaled", "--calibration-folds", "4", "--out",
                                    path("abs.h5")});
  ASSERT_EQ(ab.rc, 0) << ab.output;
  EXPECT_NE(ab.output.find("scaled scores over the model's own spread"), std::string::npos) << ab.output;
  EXPECT_NE(read_forecast(path("abs.h5")).quantiles, fc.quantiles);
  EXPECT_EQ(read_forecast(path("abs.h5")).conformal_score, "scaled");
  // --conformal-pool series (Note [Conformal series-balanced pools]) runs and keeps the shape.
  const CliResult sp = run_skucast({"forecast", "--panel", m_panel, "--model", "ses+snaive", "--horizon", "7",
                                    "--quantiles", "0.05,0.1,0.5,0.9,0.95", "--intervals", "conformal",
                                    "--conformal-pool", "series", "--calibration-folds", "4", "--out",
                                    path("series.h5")});
  ASSERT_EQ(sp.rc, 0) << sp.output;
  const ForecastFile sf = read_forecast(path("series.h5"));
  ASSERT_EQ(sf.quantiles.size(), fc.quantiles.size());
  for (size_t c = 0; c < sf.mean.size(); ++c)
    for (int j = 1; j < Q; ++j) EXPECT_LE(sf.quantiles[c * Q + j - 1], sf.quantiles[c * Q + j]) << "cell " << c;
}

TEST_F(CliConformal, DefaultFoldsShrinkToShortHistory) {
  // 120 steps, horizon 30: 5 folds of step 30 need 151 steps; 3 fit.
  const CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "naive", "--horizon", "30",
                                   "--intervals", "conformal", "--out", path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("holds 3 calibration fold(s)"), std::string::npos) << r.output;
  EXPECT_EQ(read_forecast(path("fc.h5")).calibration_folds, 3);
}

// Note [Conformal event classes] through the binary: a promotion flag known for the forecast's
// steps splits the pools (by default for a statistical model, or named; not with none); the run
// says so; a promoted step's interval comes out wider than a regular one of the same series (the
// promoted days of the folds missed by more); bad names are clear errors.
TEST_F(CliConformal, EventClassesWidenPromotedSteps) {
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2022-01-03", 7);
  h.n_steps = 120;
  h.n_future = 7;
  h.dynamic = {{"promo", true}};
  std::mt19937 rng(5);
  std::poisson_distribution<int> base(10), lift(30);
  std::vector<float> y, promo;
  for (int s = 0; s < 40; ++s) {
    h.ids.push_back("sku" + std::to_string(s));
    for (int t = 0; t < 127; ++t) {
      const bool on = (t + s) % 5 == 0;  // every 5th day, staggered
      promo.push_back(on ? 1.0f : 0.0f);
      if (t < 120) y.push_back(static_cast<float>(base(rng) + (on ? lift(rng) : 0)));
    }
  }
  write_panel(path("promo.h5"), h, y, {promo});
  // The default for a statistical model (auto) finds the flag: zero on 4 days in 5.
  const CliResult r = run_skucast({"forecast", "--panel", path("promo.h5"), "--model", "ses", "--horizon", "7",
                                   "--intervals", "conformal", "--out", path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("2 event classes by promo"), std::string::npos) << r.output;
  EXPECT_EQ(read_forecast(path("fc.h5")).conformal_classes, "promo");
  const CliResult info = run_skucast({"info", path("fc.h5")});
  EXPECT_NE(info.output.find(", classes by promo"), std::string::npos) << info.output;
  const CliResult named = run_skucast({"forecast", "--panel", path("promo.h5"), "--model", "ses", "--horizon", "7",
                                       "--intervals", "conformal", "--conformal-by", "promo", "--out",
                                       path("named.h5")});
  ASSERT_EQ(named.rc, 0) << named.output;
  EXPECT_EQ(read_forecast(path("named.h5")).quantiles, read_forecast(path("fc.h5")).quantiles);
  const CliResult none = run_skucast({"forecast", "--panel", path("promo.h5"), "--model", "ses", "--horizon", "7",
                                      "--intervals", "conformal", "--conformal-by", "none", "--out", path("none.h5")});
  ASSERT_EQ(none.rc, 0) << none.output;
  EXPECT_EQ(none.output.find("event classes"), std::string::npos) << none.output;
  EXPECT_EQ(read_forecast(path("none.h5")).conformal_classes, "");
  EXPECT_NE(read_forecast(path("none.h5")).quantiles, read_forecast(path("fc.h5")).quantiles);
  const ForecastFile fc = read_forecast(path("fc.h5"));
  const int64_t Q = static_cast<int64_t>(fc.levels.size());
  ASSERT_EQ(Q, 3);  // 0.1, 0.5, 0.9 by default
  for (int s = 0; s < 40; ++s) {
    double wide = 0, narrow = 1e30;
    for (int t = 0; t < 7; ++t) {
      const float* q = fc.quantiles.data() + (s * 7 + t) * Q;
      if ((120 + t + s) % 5 == 0) wide = q[2] - q[0];
      else narrow = std::min<double>(narrow, q[2] - q[0]);
    }
    EXPECT_GT(wide, narrow) << "series " << s;
  }
  // A horizon past the flag's known future: one pool, with a note saying why.
  const CliResult longer = run_skucast({"forecast", "--panel", path("promo.h5"), "--model", "ses", "--horizon", "8",
                                        "--intervals", "conformal", "--out", path("longer.h5")});
  ASSERT_EQ(longer.rc, 0) << longer.output;
  EXPECT_NE(longer.output.find("knows its inputs for 7 step(s) after the history, fewer than the horizon (8)"),
            std::string::npos) << longer.output;
  EXPECT_EQ(read_forecast(path("longer.h5")).conformal_classes, "");
  // A name the panel lacks: a clear error, no output.
  std::filesystem::remove(path("fc.h5"));
  const CliResult bad = run_skucast({"forecast", "--panel", path("promo.h5"), "--model", "ses", "--horizon", "7",
                                     "--intervals", "conformal", "--conformal-by", "deal", "--out", path("fc.h5")});
  EXPECT_EQ(bad.rc, 2) << bad.output;
  EXPECT_NE(bad.output.find("no dynamic covariate or calendar event 'deal' (it has: promo)"), std::string::npos)
      << bad.output;
  EXPECT_FALSE(exists("fc.h5"));
  const CliResult mixed = run_skucast({"forecast", "--panel", path("promo.h5"), "--model", "ses", "--horizon", "7",
                                       "--intervals", "conformal", "--conformal-by", "auto,promo", "--out",
                                       path("fc.h5")});
  EXPECT_EQ(mixed.rc, 2) << mixed.output;
  EXPECT_NE(mixed.output.find("'auto' stands alone"), std::string::npos) << mixed.output;
  EXPECT_FALSE(exists("fc.h5"));
}

TEST_F(CliConformal, BadRequestsFailWithoutOutput) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--model", "naive", "--calibration-folds", "50", "--intervals", "conformal"}, "--calibration-folds: the panel has 120 steps"},
      {{"--model", "naive", "--calibration-folds", "3"}, "go with --intervals conformal"},
      {{"--model", "naive", "--intervals", "conformal", "--shard", "0/2"}, "does not run per --shard"},
      {{"--model", "lstm", "--intervals", "conformal"}, "needs a trained checkpoint"},
      {{"--model", "naive", "--intervals", "quantile"}, "--intervals"},
      {{"--model", "naive", "--conformal-score", "raw"}, "go with --intervals conformal"},
      {{"--model", "naive", "--intervals", "conformal", "--conformal-score", "cqr"}, "--conformal-score"},
      {{"--model", "naive", "--conformal-pool", "series"}, "go with --intervals conformal"},
      {{"--model", "naive", "--intervals", "conformal", "--conformal-pool", "folds"}, "--conformal-pool"},
      {{"--model", "naive", "--conformal-by", "promo"}, "go with --intervals conformal"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args{"forecast", "--panel", m_panel, "--horizon", "7", "--out", path("fc.h5")};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const CliResult r = run_skucast(args);
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
    EXPECT_FALSE(exists("fc.h5"));
  }
}

}  // namespace
}  // namespace skucast
