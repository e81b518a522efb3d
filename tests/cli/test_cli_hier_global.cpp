// tests/cli/test_cli_hier_global.cpp — the global model (gru) backtested on an aggregated panel
// with every reconciliation, wls_var and mint_shrink included (Note [Fold residuals of the
// global model] in engine/eval/backtest.cpp): a small `skucast synth` catalog aggregated to M5's
// twelve levels, a tiny network trained for 2 epochs, so each test runs in seconds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/eval/reconcile.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "tests/cli_helpers.h"
#include "tests/eval/coherence.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

constexpr int kH = 7;

class CliHierGlobal : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    // 30 series (10 stores × 3 items) of 160 days, M5's levels: 30 bottom series and their aggregates.
    CliResult r = run_skucast({"synth", "--series", "30", "--days", "160", "--horizon", "7", "--seed", "5", "--out",
                               path("p.h5")});
    ASSERT_EQ(r.rc, 0) << r.output;
    r = run_skucast({"aggregate", "--panel", path("p.h5"), "--levels", "m5", "--out", path("agg.h5")});
    ASSERT_EQ(r.rc, 0) << r.output;
  }
  // The tiny network's options, as backtest and train take them.
  static std::vector<std::string> net_args() {
    return {"--hidden", "8", "--layers", "1", "--context", "14", "--epochs", "2", "--seed", "3"};
  }
  BacktestOptions engine_options(const HierarchyStructure& h) const {
    BacktestOptions bo;
    bo.models = {"gru"};
    bo.horizon = kH;
    bo.folds = 2;
    bo.hierarchy = &h;
    bo.keep_errors = true;
    bo.nn_hidden = 8;
    bo.nn_layers = 1;
    bo.nn_context = 14;
    bo.nn_epochs = 2;
    bo.nn_paths = 20;
    bo.nn_seed = 3;
    for (const char* m : {"bu", "ols", "wls_var", "mint_shrink"}) bo.reconcile.push_back(parse_reconcile_method(m));
    return bo;
  }
};

// Through the binary: the per-fold gru (trained afresh at each origin) reconciled with bu, ols
// and mint_shrink, each row scored at every level in the per-level CSV.
TEST_F(CliHierGlobal, BacktestReconcilesTheGlobalModelAtEveryLevel) {
  std::vector<std::string> a = {"backtest", "--panel", path("agg.h5"), "--models", "gru", "--horizon",
                                std::to_string(kH), "--folds", "2", "--paths", "20", "--reconcile",
                                "bu,ols,mint_shrink", "--level-csv", path("levels.csv"), "--out", path("bt.h5")};
  const std::vector<std::string> net = net_args();
  a.insert(a.end(), net.begin(), net.end());
  const CliResult r = run_skucast(a);
  ASSERT_EQ(r.rc, 0) << r.output;
  for (const char* s : {"WRMSSE by level", "gru:bu", "gru:ols", "gru:mint_shrink", "all levels"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  // level,n_series,model,mae,rmse,smape,mase,rmsse,wrmsse,...: 12 levels × 4 rows, then 4 rows "all".
  std::istringstream csv(testing::read_text(path("levels.csv")));
  std::string line;
  std::getline(csv, line);
  int n_rows = 0, n_mint = 0;
  std::vector<std::string> levels_seen;
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) f.push_back(c);
    ASSERT_GE(f.size(), 9u) << line;
    ++n_rows;
    const double wrmsse = std::stod(f[8]);
    EXPECT_TRUE(std::isfinite(wrmsse) && wrmsse > 0.0) << line;
    if (f[2] == "gru:mint_shrink") {
      ++n_mint;
      if (f[0] != "all") levels_seen.push_back(f[0]);
    }
  }
  EXPECT_EQ(n_rows, 13 * 4);
  EXPECT_EQ(n_mint, 13);
  ASSERT_EQ(levels_seen.size(), 12u);
  EXPECT_EQ(levels_seen.front(), "total");
  EXPECT_EQ(levels_seen.back(), "item*store");
}

// Through the engine, refitted per fold and from a checkpoint: every reconciled row is coherent
// (the base row is not), and wls_var/mint_shrink differ from ols (the residuals reached them).
TEST_F(CliHierGlobal, ReconciledFoldsAreCoherent) {
  const HierarchyStructure h = read_hierarchy(path("agg.h5"));
  // The checkpoint: trained on [0, 160 − 14), so both origins (146, 153) are out of sample.
  std::vector<std::string> t = {"train", "--panel", path("agg.h5"), "--model", "gru", "--horizon", std::to_string(kH),
                                "--val-steps", "14", "--out", path("m.h5")};
  const std::vector<std::string> net = net_args();
  t.insert(t.end(), net.begin(), net.end());
  const CliResult tr = run_skucast(t);
  ASSERT_EQ(tr.rc, 0) << tr.output;
  for (const bool checkpoint : {false, true}) {
    BacktestOptions bo = engine_options(h);
    if (checkpoint) bo.nn_checkpoint = path("m.h5");
    const BacktestResult r = run_backtest(PanelReader(path("agg.h5")), bo);
    ASSERT_EQ(r.models.size(), 5u);
    EXPECT_EQ(r.models[4], "gru:mint_shrink");
    EXPECT_GT(coherent_gap(r, h, 0, true), 1e-3) << "the base forecasts should not be coherent (else the test proves nothing)";
    for (int64_t m = 1; m < 5; ++m) EXPECT_LT(coherent_gap(r, h, m, true), 1e-4) << r.models[static_cast<size_t>(m)];
    for (int64_t m : {3, 4}) {  // wls_var, mint_shrink against ols
      double diff = 0.0;
      for (int64_t k = 0; k < r.n_folds(); ++k)
        for (int64_t s = 0; s < r.n_series; ++s)
          for (int64_t j = 0; j < r.horizon; ++j) {
            const float a = r.error_row(m, k, s)[j], b = r.error_row(2, k, s)[j];
            if (std::isfinite(a) && std::isfinite(b)) diff = std::max(diff, static_cast<double>(std::fabs(a - b)));
          }
      EXPECT_GT(diff, 1e-3) << r.models[static_cast<size_t>(m)] << (checkpoint ? " (checkpoint)" : "");
    }
    for (size_t m = 0; m < r.models.size(); ++m)
      EXPECT_TRUE(std::isfinite(r.by_level.overall_wrmsse[m])) << r.models[m];
  }
}

// Out of sample: the residuals come from the history before the origin only. With the stored
// model (no refit, fixed sampling seed), changing the actuals the fold is scored on changes no
// reconciled forecast (forecast = actual − error).
TEST_F(CliHierGlobal, FoldResidualsNeverSeeTheScoredSteps) {
  const HierarchyStructure h = read_hierarchy(path("agg.h5"));
  std::vector<std::string> t = {"train", "--panel", path("agg.h5"), "--model", "gru", "--horizon", std::to_string(kH),
                                "--val-steps", "7", "--out", path("m.h5")};
  const std::vector<std::string> net = net_args();
  t.insert(t.end(), net.begin(), net.end());
  const CliResult tr = run_skucast(t);
  ASSERT_EQ(tr.rc, 0) << tr.output;
  // The same panel with the last kH steps (the one fold's targets) tripled.
  const PanelReader orig(path("agg.h5"));
  const PanelHeader& hdr = orig.header();
  const int64_t S = hdr.n_series(), T = hdr.n_steps;
  std::vector<float> y = orig.read_target(0, S), y2 = y;  // [S, T]
  for (int64_t s = 0; s < S; ++s)
    for (int64_t j = T - kH; j < T; ++j) y2[static_cast<size_t>(s * T + j)] *= 3.0f;
  std::vector<std::vector<float>> dyn;
  for (const auto& d : hdr.dynamic) dyn.push_back(orig.read_dynamic(d.name, 0, d.per_series ? S : 1));
  write_panel(path("changed.h5"), hdr, y2, dyn);
  BacktestOptions bo = engine_options(h);
  bo.folds = 1;
  bo.nn_checkpoint = path("m.h5");
  const BacktestResult a = run_backtest(orig, bo), b = run_backtest(PanelReader(path("changed.h5")), bo);
  ASSERT_EQ(a.models.size(), b.models.size());
  for (size_t m = 0; m < a.models.size(); ++m)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t j = 0; j < kH; ++j) {
        const size_t i = static_cast<size_t>(s * T + T - kH + j);
        const float ea = a.error_row(static_cast<int64_t>(m), 0, s)[j], eb = b.error_row(static_cast<int64_t>(m), 0, s)[j];
        if (!std::isfinite(ea)) continue;
        const float fa = y[i] - ea, fb = y2[i] - eb;
        ASSERT_NEAR(fa, fb, 1e-4f * (1.0f + std::fabs(fa))) << a.models[m] << " series " << s << " step " << j;
      }
}

}  // namespace
}  // namespace skucast
