// tests/eval/test_model_choice.cpp — the per-series model choice of `--model auto`
// (engine/eval/model_choice.h) on a hand-made backtest result.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/eval/model_choice.h"
#include "kernels/common.hpp"

namespace skucast {
namespace {

// Two candidates, two folds, four series; only mase and mae set (the rest NaN).
BacktestResult hand_result() {
  BacktestResult r;
  r.models = {"a", "b"};
  r.origins = {10, 20};
  r.layout = metric_layout({});
  r.n_series = 4;
  r.horizon = 1;
  r.per_series.assign(static_cast<size_t>(2 * 2 * 4 * r.layout.size()), std::nan(""));
  return r;
}

void set(BacktestResult& r, const char* metric, int model, int series, double fold0, double fold1) {
  const int c = r.layout.index(metric);
  r.per_series[((model * 2 + 0) * 4 + series) * r.layout.size() + c] = fold0;
  r.per_series[((model * 2 + 1) * 4 + series) * r.layout.size() + c] = fold1;
}

TEST(ModelChoice, LowestMeanOverFoldsTiesToTheFirstCandidate) {
  BacktestResult r = hand_result();
  set(r, "mase", 0, 0, 1.0, 2.0);  // a: mean 1.5
  set(r, "mase", 1, 0, 1.2, 1.2);  // b: mean 1.2 → b
  set(r, "mase", 0, 1, 1.0, 1.0);  // a tie → a (listed first)
  set(r, "mase", 1, 1, 1.0, 1.0);
  set(r, "mase", 0, 2, 0.5, std::nan(""));  // a: 0.5 over its one defined fold
  set(r, "mase", 1, 2, 0.6, 0.1);           // b: 0.35 → b
  set(r, "mae", 0, 3, 5.0, 5.0);   // series 3: no mase (zero scale): by mae → b
  set(r, "mae", 1, 3, 3.0, 3.0);
  EXPECT_EQ(choose_models(r, "mase"), (std::vector<int>{1, 0, 1, 1}));
  // mae: series 0-2 have none (NaN) → the first candidate; series 3 → b.
  EXPECT_EQ(choose_models(r, "mae"), (std::vector<int>{0, 0, 0, 1}));
}

TEST(ModelChoice, MetricMustBeAnError) {
  const BacktestResult r = hand_result();
  EXPECT_THROW(choose_models(r, "bias"), InputError);
  EXPECT_THROW(choose_models(r, "nope"), InputError);
  EXPECT_THROW(check_select_metric({0.1, 0.9}, "cov80"), InputError);
  EXPECT_NO_THROW(check_select_metric({0.1, 0.9}, "pinball"));
  EXPECT_THROW(check_select_metric({}, "pinball"), InputError);  // no quantiles, no pinball
}

}  // namespace
}  // namespace skucast
