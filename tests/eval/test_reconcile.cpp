// tests/eval/test_reconcile.cpp — reconciliation (engine/eval/reconcile.h): every method against
// hierarchicalforecast through the committed fixture tests/data/hierarchicalforecast_reconcile.csv
// (tests/py/gen_hierarchy_fixtures.py), coherence of every output, non-negativity, refusals,
// and the commands end to end (aggregate → forecast --residuals → reconcile).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/eval/hierarchy.h"
#include "engine/eval/reconcile.h"
#include "io/forecast_file.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"
#include "tests/fixture_csv.h"

namespace skucast {
namespace {

const std::string kRegen = "regenerate with tests/py/gen_hierarchy_fixtures.py (in a venv with hierarchicalforecast)";

// Groups per level of the fixture's 2 stores × 3 brands.
int64_t level_size(const std::string& name) {
  if (name == "total") return 1;
  if (name == "store") return 2;
  if (name == "brand") return 3;
  if (name == "store*brand") return 6;
  throw std::runtime_error("fixture: unknown level " + name);
}

HierarchyStructure fixture_structure(const test::FixtureRow& row) {
  HierarchyStructure h;
  h.n_bottom = row.integer("n_bottom");
  for (double v : test::split_doubles(row.at("indptr"))) h.indptr.push_back(static_cast<int64_t>(v));
  for (double v : test::split_doubles(row.at("indices"))) h.indices.push_back(static_cast<int32_t>(v));
  h.n_aggregates = static_cast<int64_t>(h.indptr.size()) - 1;
  h.level_names = test::split_fields(row.at("levels"), '|');
  for (size_t l = 0; l + 1 < h.level_names.size(); ++l)
    h.level.insert(h.level.end(), static_cast<size_t>(level_size(h.level_names[l])), static_cast<int32_t>(l));
  h.level.resize(static_cast<size_t>(h.n_series()), static_cast<int32_t>(h.level_names.size() - 1));
  h.validate("fixture");
  return h;
}

// Aggregates equal the sums of their bottom series, per step, to `tol` relative.
void expect_coherent(const HierarchyStructure& h, const std::vector<double>& y, int64_t H, double tol,
                     const std::string& what) {
  for (int64_t a = 0; a < h.n_aggregates; ++a)
    for (int64_t k = 0; k < H; ++k) {
      double s = 0.0, mag = 0.0;
      for (int64_t p = h.indptr[static_cast<size_t>(a)]; p < h.indptr[static_cast<size_t>(a) + 1]; ++p) {
        const double v = y[static_cast<size_t>((h.n_aggregates + h.indices[static_cast<size_t>(p)]) * H + k)];
        s += v;
        mag += std::fabs(v);
      }
      EXPECT_NEAR(y[static_cast<size_t>(a * H + k)], s, tol * std::max(1.0, mag)) << what << " row " << a << " step " << k;
    }
}

TEST(Reconcile, MatchesHierarchicalForecast) {
  const test::Fixture fx = test::read_fixture(std::string(SKUCAST_TEST_DATA) + "/hierarchicalforecast_reconcile.csv", kRegen);
  ASSERT_EQ(fx.rows.size(), 20u);
  ASSERT_NE(fx.comments.at(0).find("hierarchicalforecast"), std::string::npos);
  for (const test::FixtureRow& row : fx.rows) {
    const std::string what = row.at("case") + " " + row.at("method") + (row.integer("nonnegative") ? " nonneg" : "");
    const HierarchyStructure h = fixture_structure(row);
    ReconcileOptions o = parse_reconcile_method(row.at("method"));
    o.nonnegative = row.integer("nonnegative") != 0;
    const std::vector<double> base = test::split_doubles(row.at("base"));
    const std::vector<double> resid = test::split_doubles(row.at("residuals"));
    const std::vector<double> want = test::split_doubles(row.at("expected"));
    const std::vector<double> tight = test::split_doubles(row.at("expected_tight"));
    const int64_t N = h.n_series(), H = static_cast<int64_t>(base.size()) / N, R = static_cast<int64_t>(resid.size()) / N;
    ASSERT_EQ(static_cast<int64_t>(want.size()), N * H) << what;
    const std::vector<double> got = reconcile_means(h, o, base.data(), H, resid.data(), R);
    // Linear methods (mint_shrink included: its λ is a closed form of the residuals): 1e-8
    // relative; our constraint form and hierarchicalforecast's S P form differ only in rounding.
    // --nonnegative: hierarchicalforecast's own output comes from Clarabel at its default
    // tolerances (~1e-8 on the duality gap, which leaves errors of order √1e-8 = 1e-4 in the
    // bottom forecasts) rounded to float32, so it is compared at 1e-4 of the forecasts' scale;
    // the same programme solved to 1e-14 (expected_tight) is compared at 1e-7 relative.
    double scale = 0.0;
    for (double v : want) scale = std::max(scale, std::fabs(v));
    auto check = [&](const std::vector<double>& ref, double rtol, double atol, const std::string& label) {
      double worst = 0.0;
      int64_t worst_i = 0;
      for (int64_t i = 0; i < N * H; ++i) {
        const double err = std::fabs(got[static_cast<size_t>(i)] - ref[static_cast<size_t>(i)]);
        const double budget = atol + rtol * std::fabs(ref[static_cast<size_t>(i)]);
        if (err / budget > worst) worst = err / budget, worst_i = i;
      }
      EXPECT_LE(worst, 1.0) << what << " vs " << label << ": cell " << worst_i << " (series " << worst_i / H
                            << ", step " << worst_i % H << ") expected " << ref[static_cast<size_t>(worst_i)] << " got "
                            << got[static_cast<size_t>(worst_i)] << " (" << 100 * worst << "% of the tolerance)";
    };
    if (o.nonnegative) {
      check(want, 0.0, 1e-4 * scale, "hierarchicalforecast");
      check(tight, 1e-7, 1e-9 * scale, "the tight QP solution");
    } else {
      check(want, 1e-8, 1e-12 * scale, "hierarchicalforecast");
    }
    expect_coherent(h, got, H, 1e-10, what);
    if (o.nonnegative) {
      for (double v : got) EXPECT_GE(v, 0.0) << what;
    }
  }
}

TEST(Reconcile, TopDownRefusesCrossedLevels) {
  const test::Fixture fx = test::read_fixture(std::string(SKUCAST_TEST_DATA) + "/hierarchicalforecast_reconcile.csv", kRegen);
  const HierarchyStructure h = fixture_structure(fx.rows.front());  // grouped: store and brand cross
  const std::vector<double> base(static_cast<size_t>(h.n_series()), 1.0);
  for (const std::string m : {"td", "mo:brand"}) {
    try {
      reconcile_means(h, parse_reconcile_method(m), base.data(), 1, static_cast<const double*>(nullptr), 0);
      FAIL() << m;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("not nested"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(reconcile_means(h, parse_reconcile_method("mo:region"), base.data(), 1, static_cast<const double*>(nullptr), 0), InputError);
  EXPECT_THROW(reconcile_means(h, parse_reconcile_method("wls_var"), base.data(), 1, static_cast<const double*>(nullptr), 0), InputError);
  EXPECT_THROW(parse_reconcile_method("mint"), InputError);
}

// The commands together on 2 stores × 3 brands of weekly-seasonal sales.
class ReconcileCli : public testing::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    PanelHeader h;
    h.axis = make_axis(Freq::Day, "2024-01-01", 7);
    h.n_steps = 84;
    StaticAttr store{"store", {}, {"S0", "S1"}}, brand{"brand", {}, {"B0", "B1", "B2"}};
    std::vector<float> y;
    for (int i = 0; i < 6; ++i) {
      h.ids.push_back("sku" + std::to_string(i));
      store.codes.push_back(i / 3);
      brand.codes.push_back(i % 3);
      for (int t = 0; t < 84; ++t) {
        const double v = 3.0 + i + 2.0 * std::sin(0.9 * t * (i + 1)) + (t % 7 == 5 ? 4.0 : 0.0);
        y.push_back(i == 4 && t < 10 ? std::nanf("") : static_cast<float>(std::max(0.0, v)));
      }
    }
    h.statics = {brand, store};
    m_panel = path("p.h5");
    write_panel(m_panel, h, y, {});
  }
  std::string m_panel;
};

TEST_F(ReconcileCli, EveryMethodGivesCoherentForecasts) {
  using testing::run_skucast;
  auto r = run_skucast({"aggregate", "--panel", m_panel, "--levels", "total;store;brand;store*brand", "--out",
                        path("agg.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"forecast", "--panel", path("agg.h5"), "--model", "ets", "--horizon", "7", "--residuals", "--out",
                   path("fc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const ForecastFile base = read_forecast(path("fc.h5"));
  ASSERT_EQ(base.residual_steps, 84);
  const HierarchyStructure h = read_hierarchy(path("agg.h5"));
  for (const std::string m : {"bu", "ols", "wls_struct", "wls_var", "mint_shrink"})
    for (const bool nn : {false, true}) {
      std::vector<std::string> args{"reconcile", "--base", path("fc.h5"), "--structure", path("agg.h5"), "--method", m,
                                    "--out", path("rec.h5"), "--csv", path("rec.csv")};
      if (nn) args.push_back("--nonnegative");
      r = run_skucast(args);
      ASSERT_EQ(r.rc, 0) << m << ": " << r.output;
      const ForecastFile rec = read_forecast(path("rec.h5"));
      EXPECT_EQ(rec.ids, base.ids);
      EXPECT_EQ(rec.levels, base.levels);
      std::vector<double> mean(rec.mean.begin(), rec.mean.end());
      expect_coherent(h, mean, rec.horizon, 1e-5, m);  // float32 storage
      if (nn) {
        for (float v : rec.mean) EXPECT_GE(v, 0.0f) << m;
      }
      // Quantiles moved with the mean (Note [Reconciled quantiles]).
      if (!nn) {
        const size_t Q = rec.levels.size();
        for (size_t c = 0; c < rec.mean.size(); ++c)
          EXPECT_NEAR(rec.quantiles[c * Q + 1] - rec.mean[c], base.quantiles[c * Q + 1] - base.mean[c], 1e-3) << m;
      }
    }
  // Crossed levels: top-down is refused; a base forecast of another panel too.
  r = run_skucast({"reconcile", "--base", path("fc.h5"), "--structure", path("agg.h5"), "--method", "td", "--out",
                   path("td.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("not nested"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("td.h5")));
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "naive", "--horizon", "7", "--out", path("bottom.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"reconcile", "--base", path("bottom.h5"), "--structure", path("agg.h5"), "--method", "ols", "--out",
                   path("x.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  r = run_skucast({"reconcile", "--base", path("bottom.h5"), "--structure", m_panel, "--method", "ols", "--out",
                   path("x.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("skucast aggregate"), std::string::npos) << r.output;
  // wls_var without residuals; --residuals with a model that has none.
  r = run_skucast({"forecast", "--panel", path("agg.h5"), "--model", "naive", "--horizon", "7", "--out", path("nr.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"reconcile", "--base", path("nr.h5"), "--structure", path("agg.h5"), "--method", "wls_var", "--out",
                   path("x.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--residuals"), std::string::npos) << r.output;
  r = run_skucast({"forecast", "--panel", path("agg.h5"), "--model", "naive+snaive", "--horizon", "7", "--residuals",
                   "--out", path("x.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  // Nested levels: td and mo work and are coherent.
  r = run_skucast({"aggregate", "--panel", m_panel, "--levels", "total;store", "--out", path("nest.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"forecast", "--panel", path("nest.h5"), "--model", "snaive", "--horizon", "7", "--out",
                   path("nfc.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const HierarchyStructure hn = read_hierarchy(path("nest.h5"));
  for (const std::string m : {"td", "mo:store"}) {
    r = run_skucast({"reconcile", "--base", path("nfc.h5"), "--structure", path("nest.h5"), "--method", m, "--out",
                     path("nrec.h5")});
    ASSERT_EQ(r.rc, 0) << m << ": " << r.output;
    const ForecastFile rec = read_forecast(path("nrec.h5"));
    expect_coherent(hn, std::vector<double>(rec.mean.begin(), rec.mean.end()), rec.horizon, 1e-5, m);
  }
}

}  // namespace
}  // namespace skucast
