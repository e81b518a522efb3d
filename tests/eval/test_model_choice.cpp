// tests/eval/test_model_choice.cpp — the per-series model choice of `--model auto`
// (engine/eval/model_choice.h) on a hand-made backtest result.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
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

// Note [Choice against the catalog's best]: a is the catalog's best on the pairs where both are
// defined; a series leaves it only when its winner is more than the margin lower.
TEST(ModelChoice, MarginKeepsTheCatalogsBest) {
  BacktestResult r = hand_result();
  set(r, "mase", 0, 0, 1.0, 1.0);  // a 1.0, b 0.95: 5 % lower
  set(r, "mase", 1, 0, 0.9, 1.0);
  set(r, "mase", 0, 1, 1.0, 1.0);  // a 1.0, b 0.5: 50 % lower
  set(r, "mase", 1, 1, 0.5, 0.5);
  set(r, "mase", 0, 2, 0.2, 0.2);  // a 0.2, b 3.0
  set(r, "mase", 1, 2, 3.0, 3.0);
  set(r, "mase", 1, 3, 2.0, 2.0);  // a undefined: b, whatever the margin
  // Catalog means over pairs with both defined: a (1 + 1 + 1 + 1 + 0.2 + 0.2) / 6 = 0.733,
  // b (0.9 + 1 + 0.5 + 0.5 + 3 + 3) / 6 = 1.483.
  EXPECT_EQ(catalog_best(r, "mase"), 0);
  EXPECT_EQ(choose_models(r, "mase", 0.0), (std::vector<int>{1, 1, 0, 1}));
  EXPECT_EQ(choose_models(r, "mase", 0.1), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(choose_models(r, "mase", 0.6), (std::vector<int>{0, 0, 0, 1}));
  EXPECT_EQ(choose_models(r, "mase", 1.0), (std::vector<int>{0, 0, 0, 1}));
  EXPECT_THROW(choose_models(r, "mase", 1.5), InputError);
  EXPECT_THROW(choose_models(r, "mase", -0.1), InputError);
}

TEST(ModelChoice, MetricMustBeAnError) {
  const BacktestResult r = hand_result();
  EXPECT_THROW(choose_models(r, "bias"), InputError);
  EXPECT_THROW(choose_models(r, "nope"), InputError);
  EXPECT_THROW(check_select_metric({0.1, 0.9}, "cov80"), InputError);
  EXPECT_NO_THROW(check_select_metric({0.1, 0.9}, "pinball"));
  EXPECT_THROW(check_select_metric({}, "pinball"), InputError);  // no quantiles, no pinball
}

// Note [Inverse-error weights] by hand.
TEST(ModelChoice, InverseErrorWeights) {
  BacktestResult r = hand_result();
  set(r, "mase", 0, 0, 1.0, 1.0);  // a: 1, b: 0.5 → weights 1 : 2 → 1/3, 2/3
  set(r, "mase", 1, 0, 0.5, 0.5);
  set(r, "mase", 0, 1, 0.0, 0.0);  // a perfect: all the weight
  set(r, "mase", 1, 1, 2.0, 2.0);
  set(r, "mase", 0, 2, 2.0, 2.0);  // b undefined: a gets it all
  set(r, "mae", 0, 3, 1.0, 3.0);   // no mase: by mae, a 2, b 6 → 3/4, 1/4
  set(r, "mae", 1, 3, 6.0, 6.0);
  const std::vector<double> w = inverse_error_weights(r, "mase");
  const std::vector<double> expect{1.0 / 3, 2.0 / 3, 1, 0, 1, 0, 0.75, 0.25};
  ASSERT_EQ(w.size(), expect.size());
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(w[i], expect[i], 1e-12) << i;
  BacktestResult none = hand_result();  // nothing defined: equal weights
  for (double v : inverse_error_weights(none, "mase")) EXPECT_EQ(v, 0.5);
}

// Three candidates a, b, c, one fold, four series with these MASEs (c undefined on series 3).
BacktestResult three_candidates_one_fold() {
  BacktestResult r;
  r.models = {"a", "b", "c"};
  r.origins = {10};
  r.layout = metric_layout({});
  r.n_series = 4;
  r.horizon = 1;
  r.per_series.assign(static_cast<size_t>(3 * 4 * r.layout.size()), std::nan(""));
  const int c_mase = r.layout.index("mase");
  auto put = [&](int model, int series, double v) { r.per_series[(model * 4 + series) * r.layout.size() + c_mase] = v; };
  put(0, 0, 1.0), put(1, 0, 2.0), put(2, 0, 4.0);
  put(0, 1, 3.0), put(1, 1, 1.0), put(2, 1, 1.0);
  put(0, 2, 2.0), put(1, 2, 2.0), put(2, 2, 2.0);
  put(0, 3, 0.0), put(1, 3, 5.0);
  return r;
}

// Note [Top-k inverse-error weights]: three candidates, one fold; each series keeps its two
// lowest errors (ties: the one listed first), weighed by inverse error.
TEST(ModelChoice, TopTwoInverseErrorWeights) {
  // series 0: a, b kept: 2/3, 1/3; series 1: b, c (tie with each other): 1/2, 1/2; series 2: all
  // tie: a, b; series 3: c undefined, a perfect: all the weight.
  const BacktestResult r = three_candidates_one_fold();
  const std::vector<double> w = inverse_error_weights(r, "mase", 2);
  const std::vector<double> expect{2.0 / 3, 1.0 / 3, 0, 0, 0.5, 0.5, 0.5, 0.5, 0, 1, 0, 0};
  ASSERT_EQ(w.size(), expect.size());
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(w[i], expect[i], 1e-12) << i;
  // k = 0 keeps every defined error.
  const std::vector<double> all = inverse_error_weights(r, "mase", 0);
  EXPECT_NEAR(all[0], (1.0) / (1.0 + 0.5 + 0.25), 1e-12);
  EXPECT_THROW(inverse_error_weights(r, "mase", -1), InputError);
}


// Note [Errors shrunk towards the catalog]: the series of the test above with shrink 1 (one
// fold, so each error is averaged with its candidate's catalog mean). The catalog means come
// from series 0-2 (series 3 lacks c): a (1 + 3 + 2) / 3 = 2, b 5/3, c 7/3. Shrunk errors and
// the top-2 weights, by hand:
//   series 0: a 1.5, b 11/6, c 19/6          -> a, b: (2/3) / (2/3 + 6/11) = 0.55, 0.45
//   series 1: a 2.5, b 4/3, c 5/3            -> b, c: 3/4 and 3/5 of the sum: 5/9, 4/9
//   series 2: a 2, b 11/6, c 13/6 (was a tie) -> b, a: 12/23, 11/23
//   series 3: a (0 + 2) / 2 = 1, b (5 + 5/3) / 2 = 10/3 -> 10/13, 3/13 (a no longer perfect)
TEST(ModelChoice, ErrorsShrunkTowardsTheCatalog) {
  const BacktestResult r = three_candidates_one_fold();
  const std::vector<double> w = inverse_error_weights(r, "mase", 2, 1.0);
  const std::vector<double> expect{0.55, 0.45, 0, 0, 5.0 / 9, 4.0 / 9, 11.0 / 23, 12.0 / 23, 0, 10.0 / 13, 3.0 / 13, 0};
  ASSERT_EQ(w.size(), expect.size());
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(w[i], expect[i], 1e-12) << i;
  // shrink 0 is the plain rule; a negative or infinite prior weight is refused.
  const std::vector<double> plain = inverse_error_weights(r, "mase", 2, 0.0);
  EXPECT_EQ(plain, inverse_error_weights(r, "mase", 2));
  EXPECT_THROW(inverse_error_weights(r, "mase", 2, -1.0), InputError);
  EXPECT_THROW(inverse_error_weights(r, "mase", 2, std::numeric_limits<double>::infinity()), InputError);
  // A huge prior weight gives every series with all three defined the catalog's two best, b and a.
  const std::vector<double> flat = inverse_error_weights(r, "mase", 2, 1e12);
  for (int s = 0; s < 3; ++s) {
    EXPECT_NEAR(flat[s * 3 + 0], 0.5 / (0.5 + 0.6), 1e-9) << s;
    EXPECT_NEAR(flat[s * 3 + 1], 0.6 / (0.5 + 0.6), 1e-9) << s;
    EXPECT_EQ(flat[s * 3 + 2], 0.0) << s;
  }
}
}  // namespace
}  // namespace skucast
