// tests/eval/test_backtest.cpp — fold origins, a backtest on a small synthetic panel written with
// write_panel, in-memory vs streamed parity, hand-checked per-series values and the outputs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/eval/backtest.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {
namespace {

namespace fs = std::filesystem;

TEST(FoldOrigins, LastIsTMinusHAndStepsBack) {
  EXPECT_EQ(fold_origins(100, 10, 3, 10), (std::vector<int64_t>{70, 80, 90}));
  EXPECT_EQ(fold_origins(100, 10, 3, 5), (std::vector<int64_t>{80, 85, 90}));
  EXPECT_EQ(fold_origins(100, 10, 1, 10), (std::vector<int64_t>{90}));
  EXPECT_EQ(fold_origins(11, 10, 1, 10), (std::vector<int64_t>{1}));
  EXPECT_THROW(fold_origins(10, 10, 1, 10), InputError);  // no history left
  EXPECT_THROW(fold_origins(100, 10, 10, 10), InputError);
  EXPECT_THROW(fold_origins(100, 0, 1, 1), InputError);
  EXPECT_THROW(fold_origins(100, 10, 0, 1), InputError);
  // (folds - 1) * step past int64: an InputError (was signed overflow: an "internal error",
  // exit 1, or a std::vector length error).
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (const auto& [folds, step] : {std::pair<int64_t, int64_t>{3, int64_t{5} << 60}, {int64_t{1} << 62, 4}, {2, kMax}}) {
    try {
      fold_origins(200, 14, folds, step);
      FAIL() << folds << " x " << step;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("need more than 2^63"), std::string::npos) << e.what();
    }
  }
  try {
    fold_origins(200, kMax, 1, kMax);
    FAIL() << "horizon INT64_MAX";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("need more than 2^63"), std::string::npos) << e.what();
  }
}

// S series of T days: even series strongly weekly (a fixed weekday profile plus small noise),
// odd series a slow random walk; series 5 starts late (leading NaN) and has a gap.
struct Synthetic {
  int64_t S = 24, T = 140;
  std::vector<float> y;        // [S, T]
  std::vector<float> weights;  // [S]
  Synthetic() {
    std::mt19937 rng(11);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    const float profile[7] = {2, 3, 5, 9, 14, 20, 6};
    y.resize(static_cast<size_t>(S * T));
    for (int64_t s = 0; s < S; ++s) {
      float level = 10.0f;
      for (int64_t t = 0; t < T; ++t) {
        level += noise(rng);
        y[s * T + t] = s % 2 == 0 ? profile[t % 7] * (1.0f + 0.1f * s) + noise(rng) : level;
      }
      weights.push_back(1.0f + static_cast<float>(s));
    }
    for (int64_t t = 0; t < 30; ++t) y[5 * T + t] = std::nanf("");
    y[5 * T + 60] = y[5 * T + 61] = std::nanf("");
  }
};

BacktestOptions options(std::vector<std::string> models, int64_t folds) {
  BacktestOptions o;
  o.models = std::move(models);
  o.horizon = 14;
  o.folds = folds;
  return o;
}

TEST(Backtest, SeasonalNaiveBeatsNaiveOnWeeklySeries) {
  Synthetic d;
  std::vector<float> weekly;  // only the weekly (even) series
  for (int64_t s = 0; s < d.S; s += 2) weekly.insert(weekly.end(), d.y.begin() + s * d.T, d.y.begin() + (s + 1) * d.T);
  const BacktestResult r = run_backtest(weekly.data(), d.S / 2, d.T, 7, nullptr, options({"naive", "snaive"}, 3));
  ASSERT_EQ(r.origins, (std::vector<int64_t>{98, 112, 126}));
  const int mae = 0;
  EXPECT_LT(r.summary[1 * r.summary_names.size() + mae], 0.5 * r.summary[mae]);
  const auto wr = std::find(r.summary_names.begin(), r.summary_names.end(), "wrmsse") - r.summary_names.begin();
  EXPECT_LT(r.summary[r.summary_names.size() + wr], r.summary[wr]);
  const std::string table = format_backtest_table(r);
  EXPECT_NE(table.find("snaive"), std::string::npos);
  EXPECT_NE(table.find('*'), std::string::npos);
}

TEST(Backtest, PerSeriesValueMatchesHandComputation) {
  Synthetic d;
  const BacktestResult r = run_backtest(d.y.data(), d.S, d.T, 7, nullptr, options({"naive"}, 2));
  // naive on series 1 at origin o: forecast y[o-1]; MAE = mean |y[o+h] - y[o-1]|.
  for (int64_t k = 0; k < 2; ++k) {
    const int64_t o = r.origins[k];
    const float* row = d.y.data() + 1 * d.T;
    double sum = 0.0;
    for (int64_t h = 0; h < 14; ++h) sum += std::fabs(static_cast<double>(row[o + h]) - static_cast<float>(row[o - 1]));
    EXPECT_NEAR(r.value(0, k, 1, 0), sum / 14.0, 1e-9) << k;
  }
}

TEST(Backtest, StreamedEqualsInMemoryAndWeightsGiveWrmsse) {
  Synthetic d;
  const fs::path dir = fs::temp_directory_path() / ("skucast_bt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string panel = (dir / "p.h5").string();
  PanelHeader h;
  h.axis = make_axis(Freq::Day, "2020-01-01", 7);
  h.n_steps = d.T;
  for (int64_t s = 0; s < d.S; ++s) h.ids.push_back("s" + std::to_string(s));
  h.weights = d.weights;
  write_panel(panel, h, d.y, {});

  BacktestOptions o = options({"naive", "snaive", "croston", "naive+snaive"}, 2);
  const BacktestResult mem = run_backtest(d.y.data(), d.S, d.T, 7, d.weights.data(), o);
  o.block = 5;  // several blocks, the last one partial
  const PanelReader reader(panel);
  const BacktestResult str = run_backtest(reader, o);
  ASSERT_EQ(mem.per_series.size(), str.per_series.size());
  for (size_t i = 0; i < mem.per_series.size(); ++i) {
    if (std::isnan(mem.per_series[i])) EXPECT_TRUE(std::isnan(str.per_series[i])) << i;
    else EXPECT_DOUBLE_EQ(mem.per_series[i], str.per_series[i]) << i;
  }
  // WRMSSE of model 0 by hand: per fold sum w_i RMSSE_i / sum w_i, then the mean over folds.
  const int rm = mem.layout.index("rmsse");
  double folds = 0.0;
  for (int64_t k = 0; k < 2; ++k) {
    double sw = 0.0, swv = 0.0;
    for (int64_t s = 0; s < d.S; ++s) {
      const double v = mem.value(0, k, s, rm);
      if (!std::isfinite(v)) continue;
      sw += d.weights[s];
      swv += d.weights[s] * v;
    }
    folds += swv / sw;
  }
  const auto wr = std::find(mem.summary_names.begin(), mem.summary_names.end(), "wrmsse") - mem.summary_names.begin();
  EXPECT_NEAR(mem.summary[wr], folds / 2.0, 1e-12);

  // Outputs: CSVs with one row per (model, fold, series) and per model; the HDF5 file.
  const std::string csv = (dir / "ps.csv").string(), sum = (dir / "s.csv").string(), h5 = (dir / "bt.h5").string();
  write_backtest_series_csv(csv, str, h.ids);
  write_backtest_summary_csv(sum, str);
  write_backtest_h5(h5, str, h.ids);
  std::ifstream f(csv);
  std::string line;
  std::getline(f, line);
  EXPECT_EQ(line, "series_id,model,fold,mae,rmse,smape,mase,rmsse,bias,pinball,cov80");
  int64_t rows = 0;
  while (std::getline(f, line)) ++rows;
  EXPECT_EQ(rows, 4 * 2 * d.S);
  std::ifstream g(sum);
  std::getline(g, line);
  EXPECT_EQ(line, "model,mae,rmse,smape,mase,rmsse,wrmsse,bias,pinball,cov80,n_fallback,seconds");
  rows = 0;
  while (std::getline(g, line)) ++rows;
  EXPECT_EQ(rows, 4);
  EXPECT_TRUE(fs::exists(h5));
  for (const auto& e : fs::directory_iterator(dir))  // no temporary file left behind
    EXPECT_TRUE(e.path().extension() == ".h5" || e.path().extension() == ".csv") << e.path();
  fs::remove_all(dir);
}

TEST(Backtest, RejectsBadOptions) {
  Synthetic d;
  EXPECT_THROW(run_backtest(d.y.data(), d.S, d.T, 7, nullptr, options({"nope"}, 1)), InputError);
  EXPECT_THROW(run_backtest(d.y.data(), d.S, d.T, 7, nullptr, options({}, 1)), InputError);
  EXPECT_THROW(run_backtest(d.y.data(), d.S, d.T, 7, nullptr, options({"naive", "naive"}, 1)), InputError);
  EXPECT_THROW(run_backtest(d.y.data(), d.S, d.T, 7, nullptr, options({"naive"}, 10)), InputError);  // 10 folds × 14 > T - 1
}

}  // namespace
}  // namespace skucast
