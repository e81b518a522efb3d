// tests/cli/test_cli_score.cpp — `skucast score` (Note [Scoring a forecast] in engine/eval/score.h):
// yesterday's forecast against the days the panel gained since, checked by hand.
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

TEST_F(Score, ForecastCsvScoresAsTheFileDoes) {
  // The case above; the forecast as skucast's CSV, and as another tool's CSV by hand (no time
  // column, columns in another order, --origin): the same figures (Note [Forecast CSVs read back]).
  std::string rows = "series_id,time,value\n", add = "series_id,time,value\n";
  for (int d = 1; d <= 17; ++d) rows += "a," + day(d) + "," + std::to_string(d) + "\nb," + day(d) + ",5\n";
  add += "a," + day(18) + ",20\na," + day(19) + ",14\nb," + day(18) + ",5\nb," + day(19) + ",\n";
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("s.csv", rows), "--freq", "D", "--out", path("p.h5")}).rc, 0);
  ASSERT_EQ(run_skucast({"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "3", "--quantiles",
                         "0.1,0.9", "--out", path("y.h5"), "--csv", path("y.csv")})
                .rc,
            0);
  ASSERT_EQ(run_skucast({"update", "--panel", path("p.h5"), "--append", write("add.csv", add)}).rc, 0);
  CliResult h5 = run_skucast({"score", "--forecast", path("y.h5"), "--panel", path("p.h5"), "--csv", path("s1.csv")});
  ASSERT_EQ(h5.rc, 0) << h5.output;
  CliResult csv = run_skucast({"score", "--forecast", path("y.csv"), "--panel", path("p.h5"), "--csv", path("s2.csv")});
  ASSERT_EQ(csv.rc, 0) << csv.output;
  EXPECT_EQ(testing::read_text(m_dir / "s1.csv"), testing::read_text(m_dir / "s2.csv"));
  EXPECT_NE(csv.output.find("steps 2021-03-18 .. 2021-03-19 scored (2 of 3)"), std::string::npos) << csv.output;

  // By hand: a's mean 17 at every step (MAE 3 over the two observed days), b's 5; the quantile
  // columns in reverse order of level.
  const std::string peer = write("peer.csv",
                                 "step,q0.9,series_id,mean,q0.1\n1,18,a,17,16\n2,18,a,17,16\n3,18,a,17,16\n"
                                 "1,6,b,5,4\n2,6,b,5,4\n3,6,b,5,4\n");
  CliResult r = run_skucast({"score", "--forecast", peer, "--panel", path("p.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("no time column; give the forecast's first step with --origin"), std::string::npos)
      << r.output;
  r = run_skucast({"score", "--forecast", peer, "--origin", day(18), "--panel", path("p.h5"), "--csv", path("s3.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::string per = testing::read_text(m_dir / "s3.csv");
  EXPECT_NE(per.find("\na,3,3,"), std::string::npos) << per;
  EXPECT_NE(per.find(",0.42857142857142855,"), std::string::npos) << per;
  EXPECT_NE(per.find("\nb,0,0,0,,,0,"), std::string::npos) << per;
  // q0.1 / q0.9 of 16 / 18 and 4 / 6: a's actuals 20 and 14 both outside (cov80 0), b's 5 inside.
  EXPECT_NE(per.find(",0\n"), std::string::npos) << per;
  EXPECT_NE(per.find(",1\n"), std::string::npos) << per;
}

TEST_F(Score, ForecastCsvBadInputsNameTheLine) {
  std::string rows = "series_id,time,value\n";
  for (int d = 1; d <= 19; ++d) rows += "a," + day(d) + "," + std::to_string(d) + "\n";
  ASSERT_EQ(run_skucast({"ingest", "--csv", write("s.csv", rows), "--freq", "D", "--out", path("p.h5")}).rc, 0);
  const std::string p = path("p.h5");
  auto fails = [&](const std::string& name, const std::string& text, const std::string& want,
                   std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"score", "--forecast", write(name, text), "--panel", p};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = run_skucast(args);
    EXPECT_EQ(r.rc, 2) << name << ": " << r.output;
    EXPECT_NE(r.output.find(want), std::string::npos) << name << ": " << r.output;
  };
  fails("u.csv", "series_id,step,mean,p90\na,1,1\n", "unknown column 'p90'");
  fails("m.csv", "series_id,step\na,1\n", "missing column 'mean'");
  fails("v.csv", "series_id,time,step,mean\na,2021-03-18,1,abc\n",
        "v.csv:2: series 'a' step 1: mean 'abc' is not a finite number");
  fails("st.csv", "series_id,time,step,mean\na,2021-03-18,0,1\n", ":2: step '0' is not a whole number >= 1");
  fails("t.csv", "series_id,time,step,mean\na,2021-03-18,1,1\na,2021-03-20,2,1\n",
        ":3: time 2021-03-20 at step 2 does not follow the forecast origin 2021-03-18");
  fails("d.csv", "series_id,time,step,mean\na,2021-03-18,1,1\na,2021-03-18,1,2\n",
        "d.csv:3: series 'a' step 1 is listed again (first on line 2)");
  fails("g.csv", "series_id,time,step,mean\na,2021-03-18,1,1\na,2021-03-20,3,1\n", "series 'a' has no row for step 2");
  fails("x.csv", "series_id,time,step,mean\na,2021-13-18,1,1\n", "'2021-13-18' is not a time on the panel's axis");
  fails("o.csv", "series_id,step,mean\na,1,1\n", "--origin: 'soon' is not a time", {"--origin", "soon"});
  fails("z.csv", "series_id,step,mean\n", "no forecast rows after the header", {"--origin", day(18)});
  // A stray large step is a gap, found before any series x step array is sized by it.
  fails("big.csv", "series_id,step,mean\na,1,1\na,100000,2\n", "series 'a' has no row for step 2",
        {"--origin", day(18)});
  fails("in.csv", "series_id,time,value\na,2021-03-18,1\n", "unknown column 'value'");  // an ingest CSV
  const CliResult r = run_skucast({"score", "--forecast", path("p.h5"), "--panel", p, "--origin", day(18)});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--origin goes with a forecast CSV"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace skucast
