// tests/eval/test_backtest_levels.cpp — backtests scored by level (Note [Scoring by level] in
// engine/eval/backtest.h) and reconciled folds (Note [Reconciled folds]) on a hierarchy small
// enough to check by hand: store A with items a1, a2, store B with item b1, levels total;store.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/eval/hierarchy.h"
#include "io/forecast_file.h"
#include "io/h5.h"
#include "tests/eval/coherence.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

// Eight days, season length 1 (MASE scales by the lag-1 difference), one fold of H = 2 from
// origin 6. Prices: a1 2, a2 1, b1 3 (constant, with the future step).
//   a1: 1 2 3 4 5 6 | 7 8     a2: 2 4 2 4 2 4 | 2 4     b1: 0 1 0 1 0 1 | 0 2
const std::vector<std::vector<float>> kY = {{1, 2, 3, 4, 5, 6, 7, 8}, {2, 4, 2, 4, 2, 4, 2, 4}, {0, 1, 0, 1, 0, 1, 0, 2}};
const std::vector<float> kPrice = {2, 1, 3};

class BacktestLevels : public testing::ScratchTest {
 protected:
  // Writes the bottom panel (with or without the price covariate) and its aggregation
  // total;store; returns the aggregated panel's path.
  std::string make(bool with_price, const std::string& name = "agg.h5") {
    PanelHeader h;
    h.axis = make_axis(Freq::Day, "2024-01-01", 1);
    h.n_steps = 8;
    h.n_future = 1;
    StaticAttr store{"store", {0, 0, 1}, {"A", "B"}};
    h.ids = {"a1", "a2", "b1"};
    h.statics = {store};
    std::vector<float> y, price;
    for (int i = 0; i < 3; ++i) {
      y.insert(y.end(), kY[static_cast<size_t>(i)].begin(), kY[static_cast<size_t>(i)].end());
      for (int t = 0; t < 9; ++t) price.push_back(kPrice[static_cast<size_t>(i)]);
    }
    std::vector<std::vector<float>> dyn;
    if (with_price) {
      h.dynamic = {{"price", true}};
      dyn = {price};
    }
    const std::string bottom = path("bottom_" + name);
    write_panel(bottom, h, y, dyn);
    const PanelReader reader(bottom);
    aggregate_panel(reader, parse_hier_levels("total;store", reader.header(), bottom), "bottom", path(name));
    return path(name);
  }

  static BacktestOptions naive_options(const HierarchyStructure& h) {
    BacktestOptions bo;
    bo.models = {"naive"};
    bo.horizon = 2;
    bo.hierarchy = &h;
    return bo;
  }
};

// The level table entry of row m, level l, summary column `name`.
double level_value(const BacktestResult& r, int64_t m, int64_t l, const std::string& name) {
  const auto c = std::find(r.summary_names.begin(), r.summary_names.end(), name) - r.summary_names.begin();
  const int64_t L = r.by_level.n_levels(), C = static_cast<int64_t>(r.summary_names.size());
  return r.by_level.table[static_cast<size_t>((m * L + l) * C + c)];
}

// Naive forecasts from origin 6 (the last value) and M5's scales, worked by hand:
//   series   forecast  actual  MSE    RMSSE scale (mean sq. diff)  RMSSE          MAE  MASE scale  MASE
//   total    11        9 14    6.5    (16+4+16+4+16)/5 = 11.2      √(6.5/11.2)    2.5  16/5        0.78125
//   store=A  10        9 12    2.5    (9+1+9+1+9)/5 = 5.8          √(2.5/5.8)     1.5  11/5        0.681818…
//   store=B   1        0  2    1      1 (from the first non-zero)  1              1    1           1
//   a1        6        7  8    2.5    1                            √2.5           1.5  1           1.5
//   a2        4        2  4    2      4                            √0.5           1    2           0.5
//   b1        1        0  2    1      1                            1              1    1           1
// Dollar sales over [0, 6) (all of the history: fewer than 28 steps): a1 21 × 2 = 42,
// a2 18 × 1 = 18, b1 3 × 3 = 9; store A 60, B 9; each level sums to 69.
TEST_F(BacktestLevels, MetricsAndDollarWeightsByHand) {
  const std::string agg = make(true);
  const HierarchyStructure h = read_hierarchy(agg);
  const PanelReader reader(agg);
  const BacktestResult r = run_backtest(reader, naive_options(h));
  const LevelScores& lv = r.by_level;
  ASSERT_EQ(lv.names, (std::vector<std::string>{"total", "store", "bottom"}));
  EXPECT_EQ(lv.n_series, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(lv.weight_basis, "dollar sales");
  // Rows: total, store=A, store=B, a1, a2, b1.
  const std::vector<double> w = {1.0, 60.0 / 69, 9.0 / 69, 42.0 / 69, 18.0 / 69, 9.0 / 69};
  ASSERT_EQ(lv.weights.size(), w.size());
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(lv.weights[i], w[i], 1e-12) << i;
  const double rt = std::sqrt(6.5 / 11.2), ra = std::sqrt(2.5 / 5.8), r1 = std::sqrt(2.5), r2 = std::sqrt(0.5);
  EXPECT_NEAR(level_value(r, 0, 0, "rmsse"), rt, 1e-6);
  EXPECT_NEAR(level_value(r, 0, 1, "rmsse"), (ra + 1.0) / 2.0, 1e-6);
  EXPECT_NEAR(level_value(r, 0, 2, "rmsse"), (r1 + r2 + 1.0) / 3.0, 1e-6);
  EXPECT_NEAR(level_value(r, 0, 0, "mase"), 2.5 / 3.2, 1e-6);
  EXPECT_NEAR(level_value(r, 0, 1, "mase"), (1.5 / 2.2 + 1.0) / 2.0, 1e-6);
  EXPECT_NEAR(level_value(r, 0, 2, "mase"), (1.5 + 0.5 + 1.0) / 3.0, 1e-6);
  EXPECT_NEAR(level_value(r, 0, 0, "smape"), (200.0 * 2 / 20 + 200.0 * 3 / 25) / 2.0, 1e-6);
  const double w_total = rt, w_store = (60 * ra + 9 * 1.0) / 69, w_bottom = (42 * r1 + 18 * r2 + 9 * 1.0) / 69;
  EXPECT_NEAR(level_value(r, 0, 0, "wrmsse"), w_total, 1e-6);
  EXPECT_NEAR(level_value(r, 0, 1, "wrmsse"), w_store, 1e-6);     // 0.70133…
  EXPECT_NEAR(level_value(r, 0, 2, "wrmsse"), w_bottom, 1e-6);    // 1.27733…
  EXPECT_NEAR(lv.overall_wrmsse[0], (w_total + w_store + w_bottom) / 3.0, 1e-6);  // 0.91349…
  // The total series kept for the report's plot.
  ASSERT_EQ(lv.top_row, 0);
  EXPECT_EQ(lv.top_actual, (std::vector<float>{9, 14}));
  EXPECT_EQ(std::vector<float>(lv.top_mean.begin(), lv.top_mean.begin() + 2), (std::vector<float>{11, 11}));
  // The printed table names every level and the overall figure.
  const std::string table = format_level_table(r);
  for (const char* s : {"total", "store", "bottom", "all levels", "dollar sales", "0.9135"})
    EXPECT_NE(table.find(s), std::string::npos) << s << "\n" << table;
}

// Without a price: unit sales over the same steps, a1 21, a2 18, b1 3 (store A 39, B 3).
TEST_F(BacktestLevels, UnitWeightsWithoutAPrice) {
  const std::string agg = make(false);
  const HierarchyStructure h = read_hierarchy(agg);
  const BacktestResult r = run_backtest(PanelReader(agg), naive_options(h));
  EXPECT_EQ(r.by_level.weight_basis, "unit sales");
  const std::vector<double> w = {1.0, 39.0 / 42, 3.0 / 42, 21.0 / 42, 18.0 / 42, 3.0 / 42};
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(r.by_level.weights[i], w[i], 1e-12) << i;
  const double ra = std::sqrt(2.5 / 5.8), r1 = std::sqrt(2.5), r2 = std::sqrt(0.5);
  EXPECT_NEAR(level_value(r, 0, 1, "wrmsse"), (39 * ra + 3 * 1.0) / 42, 1e-6);         // 0.68107…
  EXPECT_NEAR(level_value(r, 0, 2, "wrmsse"), (21 * r1 + 18 * r2 + 3 * 1.0) / 42, 1e-6);  // 1.16504…
}

// Only the 28 steps before each origin weigh: x sells 100 on its first two days and 1 after,
// z sells 2 every day; 31 days, H = 1, origin 30, so the window is [2, 30): x 28, z 56.
TEST_F(BacktestLevels, WeightsUseThe28StepsBeforeTheOrigin) {
  PanelHeader hd;
  hd.axis = make_axis(Freq::Day, "2024-01-01", 7);
  hd.n_steps = 31;
  hd.ids = {"x", "z"};
  hd.statics = {StaticAttr{"store", {0, 0}, {"A"}}};
  std::vector<float> y;
  for (int t = 0; t < 31; ++t) y.push_back(t < 2 ? 100.0f : 1.0f);
  for (int t = 0; t < 31; ++t) y.push_back(2.0f);
  write_panel(path("p.h5"), hd, y, {});
  const PanelReader bottom(path("p.h5"));
  aggregate_panel(bottom, parse_hier_levels("total", bottom.header(), path("p.h5")), "bottom", path("agg.h5"));
  const HierarchyStructure h = read_hierarchy(path("agg.h5"));
  BacktestOptions bo = naive_options(h);
  bo.horizon = 1;
  bo.folds = 2;  // origins 29 and 30: windows [1, 29) (x 100 + 27 = 127, z 56) and [2, 30)
  const BacktestResult r = run_backtest(PanelReader(path("agg.h5")), bo);
  ASSERT_EQ(r.origins, (std::vector<int64_t>{29, 30}));
  const std::vector<double>& w = r.by_level.weights;  // [K, S]: total, x, z
  EXPECT_NEAR(w[0], 1.0, 1e-12);
  EXPECT_NEAR(w[1], 127.0 / 183, 1e-12);
  EXPECT_NEAR(w[2], 56.0 / 183, 1e-12);
  EXPECT_NEAR(w[4], 28.0 / 84, 1e-12);
  EXPECT_NEAR(w[5], 56.0 / 84, 1e-12);
}

// Reconciled folds are coherent: with every aggregate's actual the sum of its children's, an
// aggregate's error (actual − mean) is the sum of its children's exactly when the forecasts
// are coherent. Base naive forecasts are coherent here too (every child is observed at the
// origin's last step), so a longer panel with a seasonal model whose aggregates are not:
// snaive on a weekly pattern per item, with a NaN in a2's last week.
TEST_F(BacktestLevels, ReconciledFoldsAreCoherent) {
  PanelHeader hd;
  hd.axis = make_axis(Freq::Day, "2024-01-01", 7);
  hd.n_steps = 70;
  hd.ids = {"a1", "a2", "b1"};
  hd.statics = {StaticAttr{"store", {0, 0, 1}, {"A", "B"}}};
  std::vector<float> y;
  for (int i = 0; i < 3; ++i)
    for (int t = 0; t < 70; ++t)
      y.push_back(i == 1 && t == 60 ? std::nanf("")
                                    : static_cast<float>(3 + i + 2 * std::sin(0.9 * t * (i + 1)) + (t % 7 == 5 ? 4 : 0)));
  write_panel(path("p.h5"), hd, y, {});
  const PanelReader bottom(path("p.h5"));
  aggregate_panel(bottom, parse_hier_levels("total;store", bottom.header(), path("p.h5")), "bottom", path("agg.h5"));
  const HierarchyStructure h = read_hierarchy(path("agg.h5"));
  BacktestOptions bo;
  bo.models = {"ets", "snaive"};
  bo.horizon = 7;
  bo.folds = 2;
  bo.hierarchy = &h;
  bo.keep_errors = true;
  for (const char* m : {"bu", "ols", "wls_struct", "wls_var", "mint_shrink", "td", "mo:store"})
    bo.reconcile.push_back(parse_reconcile_method(m));
  const BacktestResult r = run_backtest(PanelReader(path("agg.h5")), bo);
  ASSERT_EQ(r.n_base, 2);
  ASSERT_EQ(r.models.size(), 16u);
  EXPECT_EQ(r.models[2], "ets:bu");
  EXPECT_EQ(r.models[11], "snaive:mint_shrink");
  EXPECT_EQ(r.models[15], "snaive:mo:store");
  // Each aggregate row of S_agg against its children, for every fold and step where all are observed.
  auto coherent_gap = [&](int64_t m) { return skucast::coherent_gap(r, h, m, false); };
  EXPECT_GT(coherent_gap(0), 0.01) << "ets base forecasts should not be coherent (else the test proves nothing)";
  for (int64_t m = 2; m < 16; ++m) EXPECT_LT(coherent_gap(m), 1e-3) << r.models[static_cast<size_t>(m)];
  // bu keeps the bottom forecasts: the same bottom errors as the base model.
  for (int64_t k = 0; k < r.n_folds(); ++k)
    for (int64_t s = h.n_aggregates; s < r.n_series; ++s)
      for (int64_t t = 0; t < r.horizon; ++t) {
        const float base = r.error_row(0, k, s)[t], bu = r.error_row(2, k, s)[t];
        if (std::isfinite(base)) {
          EXPECT_EQ(base, bu);
        }
      }
  // Every row is scored per level.
  for (int64_t m = 0; m < 16; ++m) EXPECT_TRUE(std::isfinite(r.by_level.overall_wrmsse[static_cast<size_t>(m)])) << m;
}

// A fold reconciled inside the backtest is the forecast a user gets by cutting the panel at the
// origin, `forecast --residuals` and `reconcile` (the same engine functions, the same residual
// window): every series' reconciled mean (actual − kept error) equals the reconciled file's.
TEST_F(BacktestLevels, FoldEqualsForecastThenReconcile) {
  using testing::run_skucast;
  const int64_t T = 70, H = 7, o = T - H;
  PanelHeader hd;
  hd.axis = make_axis(Freq::Day, "2024-01-01", 7);
  hd.ids = {"a1", "a2", "b1", "b2"};
  hd.statics = {StaticAttr{"store", {0, 0, 1, 1}, {"A", "B"}}};
  std::vector<float> y, cut;
  for (int i = 0; i < 4; ++i)
    for (int t = 0; t < T; ++t) {
      const float v = static_cast<float>(5 + i + 2 * std::sin(0.7 * t * (i + 1)) + (t % 7 == 3 ? 3 : 0));
      y.push_back(v);
      if (t < o) cut.push_back(v);
    }
  hd.n_steps = T;
  write_panel(path("p.h5"), hd, y, {});
  hd.n_steps = o;
  write_panel(path("cut.h5"), hd, cut, {});
  for (const char* name : {"p", "cut"}) {
    const auto r = run_skucast({"aggregate", "--panel", path(std::string(name) + ".h5"), "--levels", "total;store",
                                "--out", path(std::string(name) + "_agg.h5")});
    ASSERT_EQ(r.rc, 0) << r.output;
  }
  auto r = run_skucast({"forecast", "--panel", path("cut_agg.h5"), "--model", "ets", "--horizon", "7", "--residuals",
                        "--out", path("base.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"reconcile", "--base", path("base.h5"), "--structure", path("cut_agg.h5"), "--method", "mint_shrink",
                   "--out", path("rec.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const HierarchyStructure h = read_hierarchy(path("p_agg.h5"));
  BacktestOptions bo;
  bo.models = {"ets"};
  bo.horizon = H;
  bo.hierarchy = &h;
  bo.keep_errors = true;
  bo.reconcile = {parse_reconcile_method("mint_shrink")};
  const PanelReader panel(path("p_agg.h5"));
  const BacktestResult bt = run_backtest(panel, bo);
  ASSERT_EQ(bt.origins, (std::vector<int64_t>{o}));
  const std::vector<float> actual = panel.read_target(0, bt.n_series);  // [S, T]
  for (const auto& [file, row] : {std::pair<std::string, int64_t>{"base.h5", 0}, {"rec.h5", 1}}) {
    const ForecastFile f = read_forecast(path(file));
    ASSERT_EQ(static_cast<int64_t>(f.ids.size()), bt.n_series);
    for (int64_t s = 0; s < bt.n_series; ++s)
      for (int64_t k = 0; k < H; ++k) {
        const float mean = actual[static_cast<size_t>(s * T + o + k)] - bt.error_row(row, 0, s)[k];
        EXPECT_NEAR(mean, f.mean[static_cast<size_t>(s * H + k)], 1e-4 * std::fabs(mean) + 1e-5)
            << file << " " << f.ids[static_cast<size_t>(s)] << " step " << k;
      }
  }
}

TEST_F(BacktestLevels, RefusesWhatItCannotScore) {
  const std::string agg = make(true);
  const HierarchyStructure h = read_hierarchy(agg);
  BacktestOptions bo = naive_options(h);
  bo.models = {"naive+snaive"};  // an ensemble has no in-sample one-step predictions
  bo.reconcile = {parse_reconcile_method("mint_shrink")};
  try {
    run_backtest(PanelReader(agg), bo);
    FAIL() << "an ensemble has no residuals";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'naive+snaive'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mint_shrink"), std::string::npos) << e.what();
  }
  // lstm/gru have fold residuals now (tests/cli/test_cli_hier_global.cpp); a transformed fit
  // has none on the data's scale.
  bo.models = {"naive"};
  bo.transform = Transform::Log;
  EXPECT_THROW(run_backtest(PanelReader(agg), bo), InputError);
  bo.transform = Transform::None;
  bo.reconcile = {parse_reconcile_method("mo:aisle")};  // no such level: refused before any model runs
  try {
    run_backtest(PanelReader(agg), bo);
    FAIL() << "mo:aisle";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("aisle"), std::string::npos) << e.what();
  }
  bo.models = {"naive"};
  bo.reconcile = {parse_reconcile_method("bu"), parse_reconcile_method("bu")};
  EXPECT_THROW(run_backtest(PanelReader(agg), bo), InputError);
  bo.reconcile.clear();
  bo.hierarchy = nullptr;
  bo.reconcile = {parse_reconcile_method("bu")};
  EXPECT_THROW(run_backtest(PanelReader(agg), bo), InputError);
}

// Through the binary: aggregate, backtest --levels --reconcile with every output, report.
TEST_F(BacktestLevels, CommandLine) {
  using testing::run_skucast;
  const std::string agg = make(true);
  const std::string bottom = path("bottom_agg.h5");
  auto r = run_skucast({"backtest", "--panel", agg, "--models", "naive", "--horizon", "2", "--reconcile", "bu,ols,mint_shrink",
                        "--level-csv", path("levels.csv"), "--csv", path("series.csv"), "--out", path("bt.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  for (const char* s : {"WRMSSE by level", "naive:mint_shrink", "all levels", "0.9135"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  const std::string csv = testing::read_text(path("levels.csv"));
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "level,n_series,model,mae,rmse,smape,mase,rmsse,wrmsse,bias,pinball,cov80");
  // The hand-computed store-level WRMSSE of the naive forecasts (MetricsAndDollarWeightsByHand).
  EXPECT_NE(csv.find("store,2,naive,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",0.701332,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("all,6,naive:ols,"), std::string::npos) << csv;
  const std::string series = testing::read_text(path("series.csv"));
  EXPECT_NE(series.find(",level\n"), std::string::npos);
  EXPECT_NE(series.find("store=A,naive:bu,0,"), std::string::npos);
  {
    h5::Handle f = h5::open_file_ro(path("bt.h5"));
    EXPECT_EQ(h5::read_strings(f, "levels/names", path("bt.h5")), (std::vector<std::string>{"total", "store", "bottom"}));
    EXPECT_EQ(h5::read_vector<double>(f, "levels/overall_wrmsse", path("bt.h5")).size(), 4u);
  }
  r = run_skucast({"forecast", "--panel", agg, "--model", "naive", "--horizon", "2", "--out", path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"report", "--panel", agg, "--forecast", path("fc.h5"), "--backtest", path("bt.h5"), "--out",
                   path("report.html")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::string html = testing::read_text(path("report.html"));
  for (const char* s : {"Backtest by level", "level-wrmsse", "naive:mint_shrink", "total: the last fold", "<svg"})
    EXPECT_NE(html.find(s), std::string::npos) << s;

  // Refusals: exit 2, the file named, nothing written.
  r = run_skucast({"backtest", "--panel", bottom, "--models", "naive", "--horizon", "2", "--levels", "--out", path("x.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find(bottom), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("skucast aggregate"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("x.h5")));
  r = run_skucast({"backtest", "--panel", agg, "--models", "naive+snaive", "--horizon", "2", "--reconcile",
                   "wls_var"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("'naive+snaive'"), std::string::npos) << r.output;
  r = run_skucast({"backtest", "--panel", agg, "--models", "naive", "--horizon", "2", "--reconcile", "bogus"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("bogus"), std::string::npos) << r.output;
  r = run_skucast({"backtest", "--panel", agg, "--models", "naive", "--horizon", "2", "--nonnegative"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--reconcile"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace skucast
