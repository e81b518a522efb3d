// tests/deepar/test_static_levels.cpp — Note [Static levels by name] (engine/deepar/data.cpp):
// a global model reads a panel whose static levels are its own in another order or fewer of
// them (a re-ingested catalog: ingest sorts levels and drops unused ones) by name, takes a level
// it never saw as a cold start at forecast time (Note [New static levels]), and training on
// from such a panel says which level is new.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/forecast_file.h"
#include "io/panel.h"
#include "io/time_axis.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

using testing::CliResult;
using testing::run_skucast;

constexpr int kSeries = 6, kSteps = 60;

// Six series in stores given by name (one per series); the levels list is written as given,
// so a level no series uses stays in the panel.
void write_store_panel(const std::string& path, const std::vector<std::string>& levels,
                       const std::vector<std::string>& store_of) {
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2024-01-01", 7);
  h.n_steps = kSteps;
  StaticAttr store{"store", {}, levels};
  for (int i = 0; i < kSeries; ++i) {
    h.ids.push_back("sku" + std::to_string(i));
    int32_t code = -1;
    for (size_t k = 0; k < levels.size(); ++k)
      if (levels[k] == store_of[static_cast<size_t>(i)]) code = static_cast<int32_t>(k);
    store.codes.push_back(code);
  }
  h.statics = {store};
  std::vector<float> y;
  for (int i = 0; i < kSeries; ++i)
    for (int t = 0; t < kSteps; ++t)
      y.push_back(static_cast<float>(5 + i + 3 * ((t + i) % 7 == 0) + (t % 3)));
  write_panel(path, h, y, {});
}

class StaticLevels : public testing::ScratchTest {
 protected:
  const std::vector<std::string> stores_ = {"s1", "s2", "s3", "s1", "s2", "s3"};

  std::string forecast(const std::string& panel, const std::string& out) {
    const CliResult r = run_skucast({"forecast", "--panel", panel, "--model", "gru", "--checkpoint", path("m.h5"),
                                     "--horizon", "5", "--paths", "20", "--seed", "3", "--out", out});
    EXPECT_EQ(r.rc, 0) << r.output;
    return r.output;
  }
};

TEST_F(StaticLevels, PanelLevelsAreReadByName) {
  // Trained with four stores, one of them (s0) used by no series.
  write_store_panel(path("a.h5"), {"s0", "s1", "s2", "s3"}, stores_);
  CliResult r = run_skucast({"train", "--panel", path("a.h5"), "--model", "gru", "--horizon", "5", "--hidden", "4",
                             "--layers", "1", "--context", "14", "--epochs", "1", "--batch", "8",
                             "--windows-per-epoch", "32", "--ensemble", "1", "--out", path("m.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  forecast(path("a.h5"), path("fa.h5"));
  // The same catalog with s0 gone and the stores in another order: the same forecast.
  write_store_panel(path("b.h5"), {"s3", "s1", "s2"}, stores_);
  forecast(path("b.h5"), path("fb.h5"));
  const ForecastFile fa = read_forecast(path("fa.h5")), fb = read_forecast(path("fb.h5"));
  EXPECT_EQ(fa.mean, fb.mean);
  EXPECT_EQ(fa.quantiles, fb.quantiles);
  // A store the model never saw, sorted among the others: a cold start (the mean embedding row).
  std::vector<std::string> moved = stores_;
  moved[5] = "s25";
  write_store_panel(path("c.h5"), {"s1", "s2", "s25", "s3"}, moved);
  forecast(path("c.h5"), path("fc.h5"));
  const ForecastFile fc = read_forecast(path("fc.h5"));
  for (size_t k = 0; k < fc.mean.size(); ++k) EXPECT_TRUE(std::isfinite(fc.mean[k])) << k;
  // Training on from it names the new store and the way to add it.
  r = run_skucast({"train", "--panel", path("c.h5"), "--model", "gru", "--resume", path("m.h5"), "--horizon", "5", "--epochs", "1",
                   "--out", path("m2.h5")});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("static 'store' has level(s) the model never saw: [s25]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("skucast update --checkpoint"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace skucast
