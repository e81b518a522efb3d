// tests/eval/test_hierarchy.cpp — levels, the summing structure and the aggregated panel
// (engine/eval/hierarchy.h) on a catalog small enough to check by hand: 2 stores × 3 brands,
// 5 days, a few missing values, a price covariate.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/eval/hierarchy.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Series i = store s (i / 3), brand b (i % 3); y[i][t] = 10 s + b + t, with NaN at
// (0, 0), (0, 1) [series 0 not yet listed], (4, 4) [delisted] and everything of series 5 at t = 2.
// Price: 1 + b (constant), except series 1 has NaN price everywhere.
PanelHeader small_header() {
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2024-01-01", 7);
  h.n_steps = 5;
  h.n_future = 1;
  StaticAttr store{"store", {}, {"S0", "S1"}}, brand{"brand", {}, {"B0", "B1", "B2"}};
  for (int i = 0; i < 6; ++i) {
    h.ids.push_back("sku" + std::to_string(i));
    store.codes.push_back(i / 3);
    brand.codes.push_back(i % 3);
  }
  h.statics = {brand, store};  // the reader lists them by name
  h.weights = {1, 2, 3, 4, 5, 6};
  h.dynamic = {{"price", true}};
  h.events = {{"xmas", {0, 0, 1, 0, 0, 0}}};
  return h;
}

float y_at(int i, int t) {
  if ((i == 0 && t < 2) || (i == 4 && t == 4) || (i == 5 && t == 2)) return kNaN;
  return static_cast<float>(10 * (i / 3) + i % 3 + t);
}

class Hierarchy : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    const PanelHeader h = small_header();
    std::vector<float> y, price;
    for (int i = 0; i < 6; ++i) {
      for (int t = 0; t < 5; ++t) y.push_back(y_at(i, t));
      for (int t = 0; t < 6; ++t) price.push_back(i == 1 ? kNaN : static_cast<float>(1 + i % 3));
    }
    m_panel = path("p.h5");
    write_panel(m_panel, h, y, {price});
  }
  std::string m_panel;
};

TEST_F(Hierarchy, StructureByHand) {
  const PanelReader r(m_panel);
  const auto levels = parse_hier_levels("total; store;brand;store*brand", r.header(), m_panel);
  ASSERT_EQ(levels.size(), 4u);
  EXPECT_EQ(levels[3].attrs, (std::vector<std::string>{"store", "brand"}));
  const Aggregation a = build_aggregation(r.header(), levels);
  const HierarchyStructure& h = a.structure;
  EXPECT_EQ(h.n_aggregates, 1 + 2 + 3 + 6);
  EXPECT_EQ(h.n_bottom, 6);
  EXPECT_EQ(h.level_names, (std::vector<std::string>{"total", "store", "brand", "store*brand", "bottom"}));
  const std::vector<std::string> ids{"total",       "store=S0",          "store=S1",          "brand=B0",
                                     "brand=B1",    "brand=B2",          "store=S0/brand=B0", "store=S0/brand=B1",
                                     "store=S0/brand=B2", "store=S1/brand=B0", "store=S1/brand=B1", "store=S1/brand=B2"};
  for (size_t k = 0; k < ids.size(); ++k) EXPECT_EQ(a.ids[k], ids[k]);
  EXPECT_EQ(a.ids[12], "sku0");
  EXPECT_EQ(h.indptr, (std::vector<int64_t>{0, 6, 9, 12, 14, 16, 18, 19, 20, 21, 22, 23, 24}));
  EXPECT_EQ(h.indices, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 3, 1, 4, 2, 5, 0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(h.level, (std::vector<int32_t>{0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4}));
}

TEST_F(Hierarchy, AggregatedPanelSumsAndAverages) {
  const PanelReader r(m_panel);
  const auto levels = parse_hier_levels("total;store;brand;store*brand", r.header(), m_panel);
  aggregate_panel(r, levels, "bottom", path("agg.h5"), /*block=*/4);  // blocks straddle the stores
  const PanelReader g(path("agg.h5"));
  const PanelHeader& H = g.header();
  ASSERT_EQ(H.n_series(), 18);
  const std::vector<float> y = g.read_target(0, 18);  // [18, 5]
  auto sum_of = [&](std::vector<int> kids, int t) {
    float s = 0;
    bool any = false;
    for (int i : kids)
      if (!std::isnan(y_at(i, t))) s += y_at(i, t), any = true;
    return any ? s : kNaN;
  };
  for (int t = 0; t < 5; ++t) {
    EXPECT_FLOAT_EQ(y[0 * 5 + t], sum_of({0, 1, 2, 3, 4, 5}, t)) << t;
    EXPECT_FLOAT_EQ(y[1 * 5 + t], sum_of({0, 1, 2}, t)) << t;
    EXPECT_FLOAT_EQ(y[2 * 5 + t], sum_of({3, 4, 5}, t)) << t;
    EXPECT_FLOAT_EQ(y[5 * 5 + t], sum_of({2, 5}, t)) << t;
    for (int i = 0; i < 6; ++i) {
      const float want = y_at(i, t), got = y[(12 + i) * 5 + t], cell = y[(6 + i) * 5 + t];
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got) && std::isnan(cell)) << i << "," << t;  // single-child group: NaN stays NaN
      } else {
        EXPECT_EQ(got, want);
        EXPECT_EQ(cell, want);
      }
    }
  }
  EXPECT_EQ(y[0 * 5 + 0], 1 + 2 + 10 + 11 + 12);  // series 0 not yet listed: summed over the observed
  // Price weighted by unit sales: brand B0 = series 0 (price 1, sales 2+3+4 = 9) and 3 (price 1);
  // store S0 = series 0 (price 1, sales 9), 1 (NaN price), 2 (price 3, sales 2+3+4+5+6 = 20).
  const std::vector<float> price = g.read_dynamic("price", 0, 18);  // [18, 6]
  EXPECT_FLOAT_EQ(price[1 * 6 + 0], (9.0f * 1 + 20.0f * 3) / 29.0f);
  EXPECT_FLOAT_EQ(price[3 * 6 + 5], 1.0f);
  EXPECT_TRUE(std::isnan(price[7 * 6 + 0]));  // store S0/brand B1 = series 1 only: no price
  EXPECT_FLOAT_EQ(price[(12 + 2) * 6 + 3], 3.0f);
  // Weights summed, events kept, statics kept where the children agree, the level attribute.
  EXPECT_FLOAT_EQ(H.weights[0], 21.0f);
  EXPECT_FLOAT_EQ(H.weights[1], 6.0f);
  ASSERT_EQ(H.events.size(), 1u);
  EXPECT_EQ(H.events[0].flags[2], 1);
  const StaticAttr* store = H.find_static("store");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->levels.back(), "all");
  EXPECT_EQ(store->levels[static_cast<size_t>(store->codes[0])], "all");
  EXPECT_EQ(store->levels[static_cast<size_t>(store->codes[2])], "S1");
  EXPECT_EQ(store->levels[static_cast<size_t>(store->codes[9])], "S1");  // store=S1/brand=B0
  const StaticAttr* level = H.find_static("level");
  ASSERT_NE(level, nullptr);
  EXPECT_EQ(level->levels[static_cast<size_t>(level->codes[7])], "store*brand");
  // The structure round-trips through the file.
  const HierarchyStructure s = read_hierarchy(path("agg.h5"));
  EXPECT_EQ(s.n_aggregates, 12);
  EXPECT_EQ(s.indptr.back(), 24);
}

TEST_F(Hierarchy, BadLevelsSayWhatTheyNeed) {
  const PanelReader r(m_panel);
  try {
    parse_hier_levels("total;region", r.header(), m_panel);
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'region'"), std::string::npos) << m;
    EXPECT_NE(m.find("brand, store"), std::string::npos) << m;
  }
  EXPECT_THROW(parse_hier_levels("total;;store", r.header(), m_panel), InputError);
  EXPECT_THROW(parse_hier_levels("store;store", r.header(), m_panel), InputError);
  EXPECT_THROW(parse_hier_levels("store*brand;brand*store", r.header(), m_panel), InputError);
  EXPECT_THROW(parse_hier_levels("m5", r.header(), m_panel), InputError);  // no state/cat/dept/item
}

// Note [Largest panel value]: sums of values (or weights) within the bound can pass it; the
// aggregate says which series and time and writes nothing.
TEST_F(Hierarchy, SumsBeyondThePanelBoundAreRefused) {
  PanelHeader h = small_header();
  std::vector<float> y(30, 6e29f), price(36, 1.0f);
  write_panel(path("big.h5"), h, y, {price});
  const PanelReader big(path("big.h5"));
  try {
    aggregate_panel(big, parse_hier_levels("store", big.header(), path("big.h5")), "bottom", path("agg.h5"), 4);
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("big.h5: aggregate series 'store=S0' at 2024-01-01 sums to 1.8e+30"), std::string::npos) << m;
  }
  EXPECT_FALSE(std::filesystem::exists(path("agg.h5")));
  h.weights = {6e29f, 6e29f, 1, 1, 1, 1};
  y.assign(30, 1.0f);
  write_panel(path("heavy.h5"), h, y, {price});
  const PanelReader heavy(path("heavy.h5"));
  try {
    aggregate_panel(heavy, parse_hier_levels("store", heavy.header(), path("heavy.h5")), "bottom", path("agg.h5"), 4);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("the weights of aggregate series 'store=S0' sum to 1.2e+30"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path("agg.h5")));
}

TEST_F(Hierarchy, NestingIsCheckedForTopDown) {
  const PanelReader r(m_panel);
  const Aggregation nested = build_aggregation(r.header(), parse_hier_levels("total;store", r.header(), m_panel));
  const LevelTree t = nested_levels(nested.structure);
  EXPECT_EQ(t.level_begin, (std::vector<int64_t>{0, 1, 3, 9}));
  EXPECT_EQ(t.parent[1], (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(t.parent[2], (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
  const Aggregation crossed = build_aggregation(r.header(), parse_hier_levels("total;store;brand", r.header(), m_panel));
  try {
    nested_levels(crossed.structure);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'brand' is not nested in 'store'"), std::string::npos) << e.what();
  }
}

TEST_F(Hierarchy, CommandWritesAPanelEveryCommandReads) {
  using testing::run_skucast;
  auto r = run_skucast({"aggregate", "--panel", m_panel, "--levels", "total;store;brand;store*brand", "--out",
                        path("agg.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"forecast", "--panel", path("agg.h5"), "--model", "naive", "--horizon", "2", "--out", path("fc.h5"),
                   "--csv", path("fc.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::string fcsv = testing::read_text(path("fc.csv"));
  EXPECT_EQ(fcsv.substr(0, fcsv.find('\n')), "series_id,time,step,mean,q0.1,q0.5,q0.9,level");
  EXPECT_NE(fcsv.find("store=S0/brand=B1,2024-01-06,1,"), std::string::npos) << fcsv.substr(0, 400);
  EXPECT_NE(fcsv.find(",store*brand\n"), std::string::npos);
  EXPECT_NE(fcsv.find("sku5,2024-01-06,1,"), std::string::npos);
  EXPECT_NE(fcsv.find(",bottom\n"), std::string::npos);
  r = run_skucast({"export", path("fc.h5"), "--csv", path("fc2.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(testing::read_text(path("fc2.csv")), fcsv);
  r = run_skucast({"info", path("agg.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("hierarchy:     5 levels (total, store, brand, store*brand, bottom), 12 aggregate + 6 bottom "
                          "series, 24 sums in S_agg"),
            std::string::npos)
      << r.output;
  r = run_skucast({"export", path("agg.h5"), "--csv", path("agg.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::string csv = testing::read_text(path("agg.csv"));
  EXPECT_NE(csv.substr(0, csv.find('\n')).find("level"), std::string::npos) << csv.substr(0, 200);
  EXPECT_NE(csv.find("store=S0/brand=B0"), std::string::npos);
  r = run_skucast({"aggregate", "--panel", m_panel, "--levels", "total;region", "--out", path("bad.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("static attribute 'region'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("brand, store"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("bad.h5")));
  // The aggregated panel itself is not aggregated again (it carries the 'level' attribute).
  r = run_skucast({"aggregate", "--panel", path("agg.h5"), "--levels", "total", "--out", path("bad.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("agg.h5: this is already an aggregated panel"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("bad.h5")));
}

}  // namespace
}  // namespace skucast
