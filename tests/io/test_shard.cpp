// tests/eval/test_shard.cpp — sharding a catalog (Note [Sharding the catalog] in io/shard.h):
// the shard ranges tile the panel, `forecast --shard K/N` followed by `skucast merge` gives
// the file of one whole run (bit for bit for the statistical models; to float rounding for the
// LSTM, whose draws are keyed by the panel's series index), and bad shard specs or mismatched
// files are refused by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "io/shard.h"
#include "io/forecast_file.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

TEST(SeriesShard, RangesTileThePanel) {
  for (int64_t S : {0, 1, 7, 100, 30001})
    for (int64_t N : {1, 2, 3, 8, 64}) {
      int64_t next = 0, lo = S, hi = 0;
      for (int64_t k = 0; k < N; ++k) {
        const auto [a, b] = SeriesShard{k, N}.range(S);
        EXPECT_EQ(a, next) << S << " " << k << "/" << N;
        EXPECT_LE(a, b);
        lo = std::min(lo, b - a);
        hi = std::max(hi, b - a);
        next = b;
      }
      EXPECT_EQ(next, S) << S << " / " << N;
      EXPECT_LE(hi - lo, 1) << "uneven shards for " << S << " / " << N;
    }
  EXPECT_EQ(SeriesShard{}.range(5), (std::pair<int64_t, int64_t>{0, 5}));
}

TEST(SeriesShard, ParseAcceptsKOverNOnly) {
  const SeriesShard s = parse_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(parse_shard("0/1").count, 1);
  for (const char* bad : {"", "3", "3/3", "5/2", "-1/4", "1/0", "a/b", "1/", "/4", "1/4/2", " 1/4", "1.5/4",
                          "99999999999999/99999999999999"}) {
    try {
      parse_shard(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--shard"), std::string::npos) << e.what();
    }
  }
}

class Shard : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    ASSERT_EQ(run_skucast({"synth", "--series", "11", "--days", "120", "--horizon", "7", "--seed", "5", "--out",
                           path("p.h5")})
                  .rc,
              0);
  }
  // Forecasts shard k/N into part<k>.h5 with `args` and merges them into merged.h5.
  void forecast_in_shards(const std::vector<std::string>& args, int n) {
    std::vector<std::string> merge = {"merge", "--out", path("merged.h5")};
    for (int k = 0; k < n; ++k) {
      const std::string part = path("part" + std::to_string(k) + ".h5");
      std::vector<std::string> a = args;
      a.insert(a.end(), {"--shard", std::to_string(k) + "/" + std::to_string(n), "--out", part});
      const CliResult r = run_skucast(a);
      ASSERT_EQ(r.rc, 0) << r.output;
      merge.push_back(part);
    }
    const CliResult m = run_skucast(merge);
    ASSERT_EQ(m.rc, 0) << m.output;
  }
  // rtol 0: bit for bit (the statistical models: a series is fitted alone, whatever else the
  // run holds). The LSTM's batches differ between a shard and the whole run, so OpenBLAS may
  // block a matrix product differently: a value may move by float rounding (one ulp measured;
  // the thread count does as much), which the sampled paths carry on; rtol 1e-5 bounds it.
  static void expect_same(const ForecastFile& a, const ForecastFile& b, double rtol = 0.0) {
    EXPECT_EQ(a.model, b.model);
    EXPECT_EQ(a.origin, b.origin);
    EXPECT_EQ(a.horizon, b.horizon);
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_EQ(a.levels, b.levels);
    auto close = [rtol](const std::vector<float>& x, const std::vector<float>& y, const char* what) {
      ASSERT_EQ(x.size(), y.size()) << what;
      if (rtol == 0.0) {
        EXPECT_EQ(x, y) << what;
        return;
      }
      for (size_t i = 0; i < x.size(); ++i)
        EXPECT_NEAR(x[i], y[i], rtol * std::max(1.0, std::fabs(static_cast<double>(x[i])))) << what << " " << i;
    };
    close(a.mean, b.mean, "mean");
    close(a.quantiles, b.quantiles, "quantiles");
  }
};

TEST_F(Shard, StatisticalShardsMergeIntoTheWholeForecast) {
  const std::vector<std::string> args = {"forecast", "--panel", path("p.h5"), "--model", "ets+theta", "--horizon",
                                         "7", "--quantiles", "0.1,0.5,0.9"};
  std::vector<std::string> whole = args;
  whole.insert(whole.end(), {"--out", path("whole.h5")});
  ASSERT_EQ(run_skucast(whole).rc, 0);
  forecast_in_shards(args, 3);
  const ForecastFile p0 = read_forecast(path("part0.h5"));
  EXPECT_EQ(p0.ids.size(), 3u);  // 11 series: 3, 4, 4
  expect_same(read_forecast(path("whole.h5")), read_forecast(path("merged.h5")));
  // More shards than series: some shards are empty, and still merge.
  forecast_in_shards(args, 13);
  expect_same(read_forecast(path("whole.h5")), read_forecast(path("merged.h5")));
}

TEST_F(Shard, LstmShardsMergeIntoTheWholeForecast) {
  ASSERT_EQ(run_skucast({"train", "--model", "lstm", "--panel", path("p.h5"), "--horizon", "7", "--hidden", "8", "--layers", "1",
                         "--context", "21", "--epochs", "1", "--batch", "16", "--windows-per-epoch", "32", "--out",
                         path("m.h5")})
                .rc,
            0);
  const std::vector<std::string> args = {"forecast", "--panel", path("p.h5"), "--model", "lstm", "--checkpoint",
                                         path("m.h5"), "--horizon", "7", "--paths", "20", "--seed", "3"};
  std::vector<std::string> whole = args;
  whole.insert(whole.end(), {"--out", path("whole.h5")});
  ASSERT_EQ(run_skucast(whole).rc, 0);
  forecast_in_shards(args, 4);
  expect_same(read_forecast(path("whole.h5")), read_forecast(path("merged.h5")), 1e-5);
}

TEST_F(Shard, BadShardsAndMismatchedFilesAreRefused) {
  const std::vector<std::string> fc = {"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "7"};
  for (const char* bad : {"4/4", "x/2", "1"}) {
    std::vector<std::string> a = fc;
    a.insert(a.end(), {"--shard", bad, "--out", path("bad.h5")});
    const CliResult r = run_skucast(a);
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find("--shard"), std::string::npos) << r.output;
  }
  auto part = [&](const std::string& shard, const std::string& horizon, const std::string& out) {
    std::vector<std::string> a = {"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", horizon,
                                  "--shard", shard, "--out", path(out)};
    ASSERT_EQ(run_skucast(a).rc, 0);
  };
  part("0/2", "7", "a.h5");
  part("1/2", "5", "b.h5");
  part("1/2", "7", "c.h5");
  CliResult r = run_skucast({"merge", "--out", path("m.h5"), path("a.h5"), path("b.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("horizon"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("b.h5"), std::string::npos) << r.output;
  r = run_skucast({"merge", "--out", path("m.h5"), path("a.h5"), path("c.h5"), path("a.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("are both shard 0/2"), std::string::npos) << r.output;
  r = run_skucast({"merge", "--out", path("a.h5"), path("a.h5"), path("c.h5")});  // would destroy an input
  EXPECT_EQ(r.rc, 2) << r.output;
  r = run_skucast({"merge", "--out", path("m.h5"), path("p.h5")});  // a panel, not a forecast
  EXPECT_NE(r.rc, 0) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("m.h5")));
  r = run_skucast({"merge", "--out", path("m.h5"), path("a.h5"), path("c.h5"), "--csv", path("m.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(read_forecast(path("m.h5")).ids.size(), 11u);
  EXPECT_TRUE(std::filesystem::exists(path("m.csv")));
}

// Issue #19 item 8: forecast files record their shard K/N; merge needs the complete set and
// joins it in shard order whatever order the files are given in.
TEST_F(Shard, MergeNeedsEveryShardAndOrdersThem) {
  const std::vector<std::string> fc = {"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "7"};
  for (int k = 0; k < 3; ++k) {
    std::vector<std::string> a = fc;
    a.insert(a.end(), {"--shard", std::to_string(k) + "/3", "--out", path("s" + std::to_string(k) + ".h5")});
    ASSERT_EQ(run_skucast(a).rc, 0);
  }
  std::vector<std::string> whole = fc;
  whole.insert(whole.end(), {"--out", path("whole.h5")});
  ASSERT_EQ(run_skucast(whole).rc, 0);
  const ForecastFile s1 = read_forecast(path("s1.h5"));
  EXPECT_EQ(s1.shard_index, 1);
  EXPECT_EQ(s1.shard_count, 3);
  EXPECT_EQ(read_forecast(path("whole.h5")).shard_count, 1);

  CliResult r = run_skucast({"merge", "--out", path("m.h5"), path("s0.h5"), path("s2.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("shard 1/3 is missing"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("m.h5")));
  r = run_skucast({"merge", "--out", path("m.h5"), path("s0.h5"), path("whole.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("shard"), std::string::npos) << r.output;

  r = run_skucast({"merge", "--out", path("m.h5"), path("s2.h5"), path("s0.h5"), path("s1.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const ForecastFile m = read_forecast(path("m.h5"));
  expect_same(read_forecast(path("whole.h5")), m);
  EXPECT_EQ(m.shard_index, 0);
  EXPECT_EQ(m.shard_count, 1);
}

// Note [Shards of one run] (io/forecast_file.h): a shard of another panel, of the panel after it
// changed, or forecast with other options is refused by merge, naming both files and what
// differs, writing nothing (the robustness probe merged all of these with exit 0).
TEST_F(Shard, ShardsOfAnotherRunAreRefused) {
  const std::vector<std::string> ets = {"forecast", "--panel", path("p.h5"), "--model", "ets", "--horizon", "7"};
  auto part = [&](std::vector<std::string> args, const std::string& shard, const std::string& out) {
    args.insert(args.end(), {"--shard", shard, "--out", path(out)});
    const CliResult r = run_skucast(args);
    ASSERT_EQ(r.rc, 0) << r.output;
  };
  auto with = [](std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  // Refused with exit 2, naming `file` and `first`, each of `words` in the message, nothing written.
  auto refused = [&](const std::vector<std::string>& files, const std::vector<std::string>& words) {
    std::vector<std::string> merge = {"merge", "--out", path("m.h5")};
    for (const std::string& f : files) merge.push_back(path(f));
    const CliResult r = run_skucast(merge);
    EXPECT_EQ(r.rc, 2) << r.output;
    for (const std::string& w : words) EXPECT_NE(r.output.find(w), std::string::npos) << "'" << w << "' in " << r.output;
    EXPECT_FALSE(std::filesystem::exists(path("m.h5")));
  };
  part(ets, "0/3", "s0.h5");
  part(ets, "1/3", "s1.h5");
  part(ets, "2/3", "s2.h5");
  const ForecastFile s1 = read_forecast(path("s1.h5"));
  EXPECT_EQ(s1.panel_series, 11);
  EXPECT_EQ(s1.series_begin, 3);  // 11 series in 3 shards: [0, 3), [3, 7), [7, 11)
  EXPECT_EQ(s1.series_end, 7);
  EXPECT_NE(s1.run_options.find("--transform none\n"), std::string::npos) << s1.run_options;

  // A shard of another panel (17 series).
  ASSERT_EQ(run_skucast({"synth", "--series", "17", "--days", "120", "--horizon", "7", "--seed", "5", "--out",
                         path("q.h5")})
                .rc,
            0);
  part({"forecast", "--panel", path("q.h5"), "--model", "ets", "--horizon", "7"}, "1/3", "q1.h5");
  refused({"s0.h5", "q1.h5", "s2.h5"}, {"q1.h5 is a shard of a 17-series panel", "s0.h5 of a 11-series one"});

  // Other options: --transform, --combine, --select-rule.
  part(with(ets, {"--transform", "log"}), "2/3", "t2.h5");
  refused({"s0.h5", "s1.h5", "t2.h5"}, {"t2.h5 was forecast with other options than ", "s0.h5 (--transform log against none)"});
  const std::vector<std::string> ens = {"forecast", "--panel", path("p.h5"), "--model", "ets+theta", "--horizon", "7"};
  part(ens, "0/2", "e0.h5");
  part(with(ens, {"--combine", "median"}), "1/2", "e1.h5");
  refused({"e0.h5", "e1.h5"}, {"e1.h5 was forecast with other options than ", "e0.h5 (--combine median against mean)"});
  const std::vector<std::string> aut = {"forecast", "--panel", path("p.h5"), "--model", "auto:ets,theta,naive",
                                        "--horizon", "7"};
  part(aut, "0/2", "a0.h5");
  part(with(aut, {"--select-rule", "lowest"}), "1/2", "a1.h5");
  refused({"a1.h5", "a0.h5"}, {"a1.h5 was forecast with other options than ", "a0.h5 (--select-rule lowest against top2)"});

  // The panel written again between two shards' forecasts (same series, other values).
  ASSERT_EQ(run_skucast({"synth", "--series", "11", "--days", "120", "--horizon", "7", "--seed", "6", "--out",
                         path("p.h5")})
                .rc,
            0);
  part(ets, "2/3", "u2.h5");
  refused({"s0.h5", "s1.h5", "u2.h5"}, {"u2.h5 is a shard of the panel written by run", "s0.h5 of the one"});

  // The shards of one run still merge.
  const CliResult r = run_skucast({"merge", "--out", path("m.h5"), path("s0.h5"), path("s1.h5"), path("s2.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(r.output.find("note"), std::string::npos) << r.output;
}

// The slices must tile the panel's series; a merged file is a whole run and records no slice.
TEST_F(Shard, MergeChecksTheSlicesAndDropsThem) {
  const std::vector<std::string> fc = {"forecast", "--panel", path("p.h5"), "--model", "naive", "--horizon", "7"};
  std::vector<ForecastFile> parts;
  for (int k = 0; k < 2; ++k) {
    const std::string out = path("s" + std::to_string(k) + ".h5");
    std::vector<std::string> a = fc;
    a.insert(a.end(), {"--shard", std::to_string(k) + "/2", "--out", out});
    ASSERT_EQ(run_skucast(a).rc, 0);
    parts.push_back(read_forecast(out));
  }
  const ForecastFile m = merge_forecasts(parts, {"s0.h5", "s1.h5"});
  EXPECT_EQ(m.ids.size(), 11u);
  EXPECT_EQ(m.panel_series, 0);  // written as a whole run: none of the shard's attributes
  EXPECT_EQ(m.run_options, "");
  std::vector<ForecastFile> bad = parts;
  bad[1].series_begin += 1;  // [6, 12) after [0, 5)
  bad[1].series_end += 1;
  try {
    merge_forecasts(bad, {"s0.h5", "s1.h5"});
    ADD_FAILURE() << "merged slices that do not tile the panel";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("s1.h5 (shard 1/2) holds the panel's series [6, 12)"), std::string::npos)
        << e.what();
  }
  bad = parts;
  std::swap(bad[0].ids[0], bad[1].ids[0]);  // the same slices, series swapped between the files
  EXPECT_THROW(merge_forecasts(bad, {"s0.h5", "s1.h5"}), InputError);
}

// Shard files written before shards recorded their run still merge, on the older checks, with a note.
TEST_F(Shard, OldShardFilesStillMergeWithANote) {
  const std::vector<std::string> fc = {"forecast", "--panel", path("p.h5"), "--model", "ets", "--horizon", "7"};
  std::vector<std::string> whole = fc;
  whole.insert(whole.end(), {"--out", path("whole.h5")});
  ASSERT_EQ(run_skucast(whole).rc, 0);
  for (int k = 0; k < 3; ++k) {
    std::vector<std::string> a = fc;
    a.insert(a.end(), {"--shard", std::to_string(k) + "/3", "--out", path("s" + std::to_string(k) + ".h5")});
    ASSERT_EQ(run_skucast(a).rc, 0);
    ForecastFile old = read_forecast(path("s" + std::to_string(k) + ".h5"));
    old.panel_series = 0;  // written as before: no panel_run_id ... run_options attributes
    write_forecast(path("old" + std::to_string(k) + ".h5"), old);
    EXPECT_EQ(read_forecast(path("old" + std::to_string(k) + ".h5")).panel_series, 0);
  }
  CliResult r = run_skucast({"merge", "--out", path("m.h5"), path("old0.h5"), path("old1.h5"), path("old2.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("do not record the panel and options of its run"), std::string::npos) << r.output;
  expect_same(read_forecast(path("whole.h5")), read_forecast(path("m.h5")));
  // Old and new together: the new ones are checked against each other, the old one noted.
  r = run_skucast({"merge", "--out", path("m2.h5"), path("s0.h5"), path("old1.h5"), path("s2.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("old1.h5 does not record"), std::string::npos) << r.output;
  expect_same(read_forecast(path("whole.h5")), read_forecast(path("m2.h5")));
}

}  // namespace
}  // namespace skucast
