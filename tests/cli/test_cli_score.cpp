// tests/cli/test_cli_score.cpp — `skucast score` (Note [Scoring a forecast] in engine/eval/score.h):
// yesterday's forecast against the days the panel gained since, checked by hand.
#include <gtest/gtest.h>

#include <string>

#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

std::string day(int d) { return std::string("2021-03-") + (d < 10 ? "0" : "") + std::to_string(d); }

class Score : public testing::ScratchTest {};

TEST_F(Score, ScoresTheNewDaysByHand) {
  // a: a ramp 1..17, then 20 and 14; b: 5 every day, then 5 and a missing day.
  std::string rows = "series_id,time,value\n", add = "series_id,time,value\n";
  for (int d = 1; d <= 17; ++d) rows += "a," + day(d) + "," + std::to_string(d) + "\nb," + day(d) + ",5\n";
  add += "a," + day(18) + ",20\na," + day(19) + ",14\nb," + day(18) + ",5\nb," + day(19) + ",\n";
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("s.csv", rows), "--freq", "D", "--out", path("p.h5")}).rc, 0);
  ASSERT_EQ(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "3", "--out", path("y.h5")}).rc, 0);

  CliResult r = run_skucast({"score", "--forecast", path("y.h5"), "--panel", path("p.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;  // no new day yet
  EXPECT_NE(r.output.find("nothing to score yet"), std::string::npos) << r.output;

  ASSERT_EQ(run_skucast({"update", "--panel", path("p.h5"), "--append", write("add.csv", add)}).rc, 0);
  r = run_skucast({"score", "--forecast", path("y.h5"), "--panel", path("p.h5"), "--csv", path("s.csv"), "--summary",
                   path("sum.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("scored (2 of 3), 3 observed"), std::string::npos) << r.output;
  // a: naive 17, actuals 20 and 14: MAE 3, RMSE 3, bias 0, MASE 3 / 7 (lag-7 differences of a
  // ramp); b: flat and right: MAE 0, its MASE and RMSSE undefined (a zero scale).
  const std::string per = testing::read_text(m_dir / "s.csv");
  EXPECT_EQ(per.substr(0, per.find('\n')), "series_id,mae,rmse,smape,mase,rmsse,bias,pinball,cov80");
  EXPECT_NE(per.find("\na,3,3,"), std::string::npos) << per;
  EXPECT_NE(per.find(",0.42857142857142855,"), std::string::npos) << per;
  EXPECT_NE(per.find("\nb,0,0,0,,,0,"), std::string::npos) << per;
  const std::string sum = testing::read_text(m_dir / "sum.csv");
  EXPECT_NE(sum.find("\nnaive,2,3,1.5,1.5,"), std::string::npos) << sum;  // the mean over both series

  // A forecast naming a series the panel lacks, and a forecast on another axis, are refused.
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("o.csv", "series_id,time,value\nzz,2021-03-01,1\nzz,2021-03-02,1\n"),
                         "--freq", "D", "--out", path("o.h5")}).rc, 0);
  r = run_skucast({"score", "--forecast", path("y.h5"), "--panel", path("o.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("series 'a' is not in the panel"), std::string::npos) << r.output;
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("w.csv", "series_id,time,value\na,2021-01-04,1\na,2021-01-11,1\n"),
                         "--freq", "W", "--out", path("w.h5")}).rc, 0);
  r = run_skucast({"score", "--forecast", path("y.h5"), "--panel", path("w.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("time axis"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace skucast
