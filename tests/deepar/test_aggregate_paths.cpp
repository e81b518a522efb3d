// tests/deepar/test_aggregate_paths.cpp — coherent forecasts of a hierarchy from summed sample
// paths (Note [Summed sample paths] in engine/deepar/aggregate_paths.h): the sums and their
// quantiles by hand, the sampler's aggregates against its own series' forecasts, and
// `skucast forecast --model gru --levels` through the binary (ids, order and levels of
// `skucast aggregate`, coherent means, refusals).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/deepar/aggregate_paths.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/model.h"
#include "io/forecast_file.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using deepar::AggregatePaths;
using deepar::PathHierarchy;
using testing::CliResult;
using testing::run_skucast;

// Three series, two paths, two steps; aggregates: total {0,1,2}, a {0,1}, b {2}. Added in two
// blocks (series 0-1, then 2), as the forecaster streams them.
TEST(AggregatePaths, SumsPathsAndTakesQuantilesOfTheSums) {
  const std::vector<int64_t> indptr{0, 3, 5, 6};
  const std::vector<int32_t> indices{0, 1, 2, 0, 1, 2};
  AggregatePaths agg(PathHierarchy{3, indptr.data(), indices.data()}, 3, 2, 2);
  // paths [nb, N, H]: series 0: p0 (1, 2), p1 (3, 4); series 1: p0 (10, 0), p1 (0, 10); series 2: p0 (5, 5), p1 (7, 1)
  const std::vector<float> block01{1, 2, 3, 4, 10, 0, 0, 10}, block2{5, 5, 7, 1};
  agg.add_block(block01.data(), 0, 2);
  agg.add_block(block2.data(), 2, 1);
  const std::vector<float> total{16, 7, 10, 15}, a{11, 2, 3, 14}, b{5, 5, 7, 1};  // [N, H]
  EXPECT_EQ(std::vector<float>(agg.paths(0), agg.paths(0) + 4), total);
  EXPECT_EQ(std::vector<float>(agg.paths(1), agg.paths(1) + 4), a);
  EXPECT_EQ(std::vector<float>(agg.paths(2), agg.paths(2) + 4), b);
  std::vector<float> mean, q;
  agg.summarise({0.0, 0.25, 1.0}, mean, q);
  // total at step 0: paths 16, 10 → mean 13, quantiles 10, 11.5, 16; step 1: 7, 15 → 11; 7, 9, 15.
  EXPECT_EQ(mean, (std::vector<float>{13, 11, 7, 8, 6, 3}));
  EXPECT_EQ(std::vector<float>(q.begin(), q.begin() + 6), (std::vector<float>{10, 11.5f, 16, 7, 9, 15}));
  // a at step 0: paths 11, 3: the 0 % quantile is 3, while the series' own 0 % quantiles sum to
  // 1 + 0 = 1: quantiles of sums, not sums of quantiles.
  EXPECT_EQ(q[6], 3.0f);
}

TEST(AggregatePaths, RefusesABottomSeriesOutsideThePanel) {
  const std::vector<int64_t> indptr{0, 2};
  const std::vector<int32_t> indices{0, 5};
  EXPECT_THROW(AggregatePaths(PathHierarchy{1, indptr.data(), indices.data()}, 3, 2, 2), InputError);
}

// A small panel: S series with store = s % 3, weekly pattern and Poisson noise.
constexpr int kSeries = 12, kSteps = 120, kH = 7;

PanelHeader small_header(std::vector<float>& y) {
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2022-01-03", 7);
  h.n_steps = kSteps;
  h.statics.push_back(StaticAttr{"store", {}, {"A", "B", "C"}});
  std::mt19937 rng(3);
  std::poisson_distribution<int> noise(4);
  for (int s = 0; s < kSeries; ++s) {
    h.ids.push_back("sku" + std::to_string(s));
    h.statics[0].codes.push_back(s % 3);
    for (int t = 0; t < kSteps; ++t) y.push_back(static_cast<float>((t % 7) * (1 + s % 4) + noise(rng)));
  }
  return h;
}

// The sampler with a hierarchy: an aggregate of one series forecasts exactly as that series (the
// same paths), the total's mean is the sum of the series' means (float rounding), and the bottom
// series' forecasts are those of a run without the hierarchy.
class AggregatePathsSampler : public testing::ScratchTest {};

TEST_F(AggregatePathsSampler, AggregatesEqualTheirSeriesPaths) {
  std::vector<float> y;
  const PanelHeader h = small_header(y);
  write_panel(path("p.h5"), h, y, {});
  const PanelReader r(path("p.h5"));
  DeepArOptions o;
  o.cell = "gru";
  o.hidden = 8;
  o.layers = 1;
  o.context = 14;
  o.horizon = kH;
  o.seed = 4;
  const DeepArState st = deepar_init(o, r.header());  // random weights: the sums do not need a trained model
  using namespace skucast::deepar;
  const Layout l = make_layout(st.options, st.panel);
  const PanelData d = load_panel(r, l, kH, o.context + lookback(l) + 1);
  // Aggregates: {5}, total {0..11}, {1, 4}.
  std::vector<int64_t> indptr{0, 1, 1 + kSeries, 3 + kSeries};
  std::vector<int32_t> indices{5};
  for (int s = 0; s < kSeries; ++s) indices.push_back(s);
  indices.insert(indices.end(), {1, 4});
  const PathHierarchy ph{3, indptr.data(), indices.data()};
  PathRequest q;
  q.weights = st.weights.data();
  q.context = o.context;
  q.horizon = kH;
  q.levels = {0.1, 0.5, 0.9};
  q.n_paths = 30;
  q.seed = 9;
  const PathForecast plain = forecast_paths_cpu(l, d, q);
  q.hierarchy = &ph;
  const PathForecast f = forecast_paths_cpu(l, d, q);
  EXPECT_EQ(f.mean, plain.mean);
  EXPECT_EQ(f.quantiles, plain.quantiles);
  // Note [Cumulative demand quantiles]: the running sums' quantiles; at step 1 the sum is the
  // step itself, and sums of non-negative paths do not fall along h.
  ASSERT_EQ(plain.cum_quantiles.size(), plain.quantiles.size());
  const std::vector<uint8_t> nonneg = nonneg_series(d);
  for (int s = 0; s < kSeries; ++s)
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(plain.cum_quantiles[(s * kH) * 3 + k], plain.quantiles[(s * kH) * 3 + k]) << s;
      for (int64_t t = 1; nonneg[s] && t < kH; ++t)
        EXPECT_GE(plain.cum_quantiles[(s * kH + t) * 3 + k], plain.cum_quantiles[(s * kH + t - 1) * 3 + k]) << s;
    }
  ASSERT_EQ(f.agg_mean.size(), 3u * kH);
  const size_t Q = 3;
  for (int64_t t = 0; t < kH; ++t) {
    EXPECT_EQ(f.agg_mean[t], f.mean[5 * kH + t]) << t;
    for (size_t k = 0; k < Q; ++k) EXPECT_EQ(f.agg_quantiles[t * Q + k], f.quantiles[(5 * kH + t) * Q + k]);
    double sum = 0, sum_abs = 0, pair = 0;
    for (int s = 0; s < kSeries; ++s) sum += f.mean[s * kH + t], sum_abs += std::fabs(f.mean[s * kH + t]);
    pair = static_cast<double>(f.mean[1 * kH + t]) + f.mean[4 * kH + t];
    EXPECT_NEAR(f.agg_mean[kH + t], sum, 1e-5 * (1.0 + sum_abs)) << t;
    EXPECT_NEAR(f.agg_mean[2 * kH + t], pair, 1e-5 * (1.0 + std::fabs(pair))) << t;
  }
  // A shard of the panel cannot be summed.
  q.series_end = 6;
  EXPECT_THROW(forecast_paths_cpu(l, d, q), InputError);
}

class CliForecastLevels : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    std::vector<float> y;
    const PanelHeader h = small_header(y);
    m_panel = path("p.h5");
    write_panel(m_panel, h, y, {});
    const CliResult r =
        run_skucast({"train", "--ensemble", "1", "--panel", m_panel, "--model", "gru", "--horizon", std::to_string(kH),
                     "--hidden", "8", "--layers", "1", "--context", "14", "--epochs", "1", "--out", path("m.h5")});
    ASSERT_EQ(r.rc, 0) << r.output;
  }
  std::vector<std::string> args(const std::string& out) {
    return {"forecast", "--panel", m_panel, "--model", "gru", "--checkpoint", path("m.h5"), "--horizon",
            std::to_string(kH), "--quantiles", "0.1,0.5,0.9", "--paths", "50", "--levels", "total;store",
            "--out", path(out)};
  }
  std::string m_panel;
};

// The file holds the aggregates of `skucast aggregate` (same ids, same order) then the panel's
// series, with their levels; means add up at every level; the total's 10 % quantile is above
// the sum of its series' (summed paths, not summed quantiles); the CSV has the level column and
// `report` reads the file with the aggregated panel.
TEST_F(CliForecastLevels, AggregatesFromSummedPaths) {
  std::vector<std::string> a = args("fc.h5");
  a.insert(a.end(), {"--csv", path("fc.csv")});
  const CliResult r = run_skucast(a);
  ASSERT_EQ(r.rc, 0) << r.output;
  const CliResult ag = run_skucast({"aggregate", "--panel", m_panel, "--levels", "total;store", "--out", path("agg.h5")});
  ASSERT_EQ(ag.rc, 0) << ag.output;
  const PanelReader agg(path("agg.h5"));
  const ForecastFile fc = read_forecast(path("fc.h5"));
  ASSERT_EQ(fc.ids, agg.header().ids);
  ASSERT_EQ(fc.series_level.size(), fc.ids.size());
  EXPECT_EQ(fc.series_level[0], "total");
  EXPECT_EQ(fc.series_level[1], "store");
  EXPECT_EQ(fc.series_level[4], "bottom");
  const HierarchyStructure hs = read_hierarchy(path("agg.h5"));
  const int64_t A = hs.n_aggregates, Q = 3;
  ASSERT_EQ(A, 4);
  for (int64_t g = 0; g < A; ++g)
    for (int64_t t = 0; t < kH; ++t) {
      double sum = 0, q10 = 0;
      for (int64_t k = hs.indptr[g]; k < hs.indptr[g + 1]; ++k) {
        sum += fc.mean[(A + hs.indices[k]) * kH + t];
        q10 += fc.quantiles[((A + hs.indices[k]) * kH + t) * Q];
      }
      EXPECT_NEAR(fc.mean[g * kH + t], sum, 1e-5 * (1.0 + std::fabs(sum))) << g << " " << t;
      if (g == 0) {
        EXPECT_GT(fc.quantiles[t * Q], q10) << t;
      }
    }
  const std::string csv = testing::read_text(path("fc.csv"));
  EXPECT_NE(csv.find(",level"), std::string::npos);
  EXPECT_NE(csv.find("store=B,"), std::string::npos);
  const CliResult rep = run_skucast({"report", "--panel", path("agg.h5"), "--forecast", path("fc.h5"), "--out",
                                     path("r.html")});
  EXPECT_EQ(rep.rc, 0) << rep.output;
}

TEST_F(CliForecastLevels, RefusesWhatItCannotSum) {
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = args("x.h5");
    a.insert(a.end(), extra.begin(), extra.end());
    return run_skucast(a);
  };
  const CliResult shard = with({"--shard", "0/2"});
  EXPECT_NE(shard.rc, 0);
  EXPECT_NE(shard.output.find("--shard"), std::string::npos) << shard.output;
  const CliResult conf = with({"--intervals", "conformal"});
  EXPECT_NE(conf.rc, 0);
  EXPECT_NE(conf.output.find("--intervals conformal"), std::string::npos) << conf.output;
  std::vector<std::string> bad = args("x.h5");
  bad[bad.size() - 3] = "total;brand";
  const CliResult unknown = run_skucast(bad);
  EXPECT_NE(unknown.rc, 0);
  EXPECT_NE(unknown.output.find("brand"), std::string::npos) << unknown.output;
  const CliResult ets = run_skucast({"forecast", "--panel", m_panel, "--model", "ets", "--horizon", "7", "--levels",
                                     "total", "--out", path("x.h5")});
  EXPECT_NE(ets.rc, 0);
  EXPECT_NE(ets.output.find("skucast aggregate"), std::string::npos) << ets.output;
  EXPECT_FALSE(std::filesystem::exists(path("x.h5")));
}

}  // namespace
}  // namespace skucast
