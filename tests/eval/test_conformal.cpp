// tests/eval/test_conformal.cpp — conformal quantiles (engine/eval/conformal.h): the order-statistic
// rule by hand, per-series and pooled quantiles on hand-made calibration sets, and the empirical
// coverage on simulated series with known distributions (fixed seeds, no timing).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/eval/backtest.h"
#include "engine/eval/conformal.h"
#include "engine/stat/model.h"
#include "io/panel.h"
#include "io/time_axis.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

// Note [Conformal order statistic] by hand.
TEST(ConformalOrderStatistic, FiniteSampleRule) {
  std::vector<double> e(19);
  for (int i = 0; i < 19; ++i) e[i] = i + 1;  // e_(k) = k
  bool c = true;
  EXPECT_EQ(conformal_order_statistic(e.data(), 19, 0.9, &c), 18.0);  // ceil(20 * 0.9) = 18
  EXPECT_FALSE(c);
  EXPECT_EQ(conformal_order_statistic(e.data(), 19, 0.1, &c), 2.0);   // 20 - ceil(20 * 0.9) = 2
  EXPECT_FALSE(c);
  EXPECT_EQ(conformal_order_statistic(e.data(), 19, 0.95, &c), 19.0);  // ceil(20 * 0.95) = 19 exactly
  EXPECT_FALSE(c);
  EXPECT_EQ(conformal_order_statistic(e.data(), 19, 0.05, &c), 1.0);   // 20 - 19 = 1
  EXPECT_FALSE(c);
  EXPECT_EQ(conformal_order_statistic(e.data(), 19, 0.5, &c), 10.0);   // ceil(10) = 10, the median
  EXPECT_EQ(conformal_order_statistic(e.data(), 19, 0.975, &c), 19.0);  // ceil(19.5) = 20 > 19: clamped
  EXPECT_TRUE(c);
  EXPECT_EQ(conformal_order_statistic(e.data(), 19, 0.025, &c), 1.0);  // 20 - 20 = 0 < 1: clamped
  EXPECT_TRUE(c);
  // n = 4: 0.8 → ceil(4) = 4; 0.2 → 5 - 4 = 1; 0.7 → ceil(3.5) = 4; 0.3 → 5 - ceil(3.5) = 1.
  const double f[4] = {-2, 0, 1, 5};
  EXPECT_EQ(conformal_order_statistic(f, 4, 0.8), 5.0);
  EXPECT_EQ(conformal_order_statistic(f, 4, 0.2), -2.0);
  EXPECT_EQ(conformal_order_statistic(f, 4, 0.6), 1.0);   // ceil(3) = 3
  EXPECT_EQ(conformal_order_statistic(f, 4, 0.4), 0.0);   // 5 - ceil(3) = 2
  // Monotone in the level for every n.
  for (int n = 1; n <= 40; ++n) {
    std::vector<double> g(n);
    for (int i = 0; i < n; ++i) g[i] = i;
    double prev = -1;
    for (int l = 1; l < 100; ++l) {
      const double v = conformal_order_statistic(g.data(), n, l / 100.0);
      EXPECT_GE(v, prev) << "n " << n << " level " << l;
      prev = v;
    }
  }
}

CalibrationSet empty_set(int64_t S, int64_t K, int64_t H) {
  CalibrationSet cal;
  resize_calibration(cal, S, K, H);
  cal.errors.assign(static_cast<size_t>(S * K * H), std::nanf(""));
  return cal;
}

// One series with 20 errors at its step: its own errors, mean + order statistic.
TEST(ConformalQuantiles, OwnErrorsWithTwentyFolds) {
  CalibrationSet cal = empty_set(1, 20, 1);
  for (int k = 0; k < 20; ++k) cal.errors[k] = static_cast<float>(k + 1);  // 1..20
  cal.scale[0] = 1.0;
  const std::vector<float> mean{100.0f};
  std::vector<float> q{0, 0, 0};
  const ConformalStats st = conformal_quantiles(cal, mean.data(), {0.1, 0.5, 0.9}, q.data());
  EXPECT_EQ(st.n_own, 1);
  EXPECT_EQ(st.n_pooled, 0);
  // n = 20: 0.9 → ceil(18.9) = 19; 0.5 → ceil(10.5) = 11; 0.1 → 21 - 19 = 2.
  EXPECT_FLOAT_EQ(q[0], 102.0f);
  EXPECT_FLOAT_EQ(q[1], 111.0f);
  EXPECT_FLOAT_EQ(q[2], 119.0f);
  // Non-negative data: clipped at 0, still ordered.
  for (int k = 0; k < 20; ++k) cal.errors[k] = static_cast<float>(-(k + 1));  // -1..-20
  const std::vector<float> zero{5.0f};
  conformal_quantiles(cal, zero.data(), {0.1, 0.5, 0.9}, q.data());
  EXPECT_FLOAT_EQ(q[0], 0.0f);   // 5 - 19 → 0
  EXPECT_FLOAT_EQ(q[1], 0.0f);   // 5 - 10 → 0
  EXPECT_FLOAT_EQ(q[2], 3.0f);   // 5 - 2
  cal.nonneg[0] = 0;  // data that can be negative: not clipped
  conformal_quantiles(cal, zero.data(), {0.1, 0.5, 0.9}, q.data());
  EXPECT_FLOAT_EQ(q[0], -14.0f);
}

// Note [Conformal pooling] by hand: two series with 2 folds each pool their scaled errors; a
// third series of another zero-share bucket borrows the all-bucket pool (its bucket has < 20);
// a fourth with scale 0 keeps the model's quantiles.
TEST(ConformalQuantiles, PooledOverSimilarSeries) {
  CalibrationSet cal = empty_set(4, 2, 1);
  // Series 0, 1: zero share 0 (bucket 0), fold scales 2 and 4; errors 2,4 → scaled 1,1 and 4,-8 → 1,-2.
  cal.errors = {2, 4, 4, -8, 9, 9, 1, 1};
  cal.fold_scale = {2, 4, 4, 4, 1, 1, 0, 0};
  cal.scale = {10, 1, 1, 0};
  cal.zero_share = {0.0, 0.1, 0.9, 0.0};  // series 2: bucket 4
  cal.nonneg = {0, 0, 0, 0};
  // Pools: all buckets (series 0-2; series 3's fold scales are 0): scaled errors
  // {1, 1, 1, -2, 9, 9} sorted {-2, 1, 1, 1, 9, 9}; each bucket has < 20, so everyone uses all.
  ConformalOptions opt;
  const std::vector<float> mean{0, 0, 0, 50};
  std::vector<float> q(8, -1.0f);
  q[6] = 40.0f;  // series 3: the model's quantiles, kept
  q[7] = 60.0f;
  const ConformalStats st = conformal_quantiles(cal, mean.data(), {0.2, 0.8}, q.data(), opt);
  EXPECT_EQ(st.n_pooled, 3);
  EXPECT_EQ(st.n_model, 1);
  // n = 6: 0.8 → ceil(5.6) = 6 → 9; 0.2 → 7 - 6 = 1 → -2. Times scale_T.
  EXPECT_FLOAT_EQ(q[0], -20.0f);
  EXPECT_FLOAT_EQ(q[1], 90.0f);
  EXPECT_FLOAT_EQ(q[2], -2.0f);
  EXPECT_FLOAT_EQ(q[3], 9.0f);
  EXPECT_FLOAT_EQ(q[6], 40.0f);
  EXPECT_FLOAT_EQ(q[7], 60.0f);
  // With the bucket threshold lowered to 2, bucket 0 (series 0, 1: {1, 1, 1, -2}) is its own pool:
  // n = 4: 0.8 → ceil(4) = 4 → 1; 0.2 → 5 - 4 = 1 → -2; bucket 4 (series 2: {9, 9}): 9 and 9.
  opt.min_per_series = 2;  // also lets series with 2 errors use their own: series 0's own errors are {2, 4}
  conformal_quantiles(cal, mean.data(), {0.2, 0.8}, q.data(), opt);
  EXPECT_FLOAT_EQ(q[0], 2.0f);  // own, n = 2: 0.2 → 3 - ceil(2.4) = 0 → clamped to e_(1) = 2
  EXPECT_FLOAT_EQ(q[1], 4.0f);  // 0.8 → ceil(2.4) = 3 → clamped to e_(2) = 4
}

// Note [Conformal series-balanced pools] by hand: with every weight 1 the weighted rule is the
// order statistic of Note [Conformal order statistic] (signed) and of Note [Conformal scaled
// scores] (symmetric), for every n and level; unequal weights move the bound.
TEST(ConformalOrderStatistic, WeightedRule) {
  for (int n = 1; n <= 40; ++n) {
    std::vector<double> g(n), w(n, 1.0);
    for (int i = 0; i < n; ++i) g[i] = i;
    for (int l = 1; l < 100; ++l) {
      const double q = l / 100.0;
      bool c1 = false, c2 = false;
      EXPECT_EQ(conformal_weighted_order_statistic(g.data(), w.data(), n, q, false, &c1),
                conformal_order_statistic(g.data(), n, q, &c2)) << "n " << n << " level " << q;
      EXPECT_EQ(c1, c2);
      EXPECT_EQ(conformal_weighted_order_statistic(g.data(), w.data(), n, q, true, &c1),
                conformal_abs_order_statistic(g.data(), n, q, &c2)) << "n " << n << " coverage " << q;
      EXPECT_EQ(c1, c2);
    }
  }
  // Scores {1, 2, 3} weighing {0.5, 0.5, 2}: W + 1 = 4.
  const double r[3] = {1, 2, 3}, w[3] = {0.5, 0.5, 2};
  bool c = true;
  EXPECT_EQ(conformal_weighted_order_statistic(r, w, 3, 0.5, false, &c), 3.0);  // 0.5, 1 < 2 <= 3
  EXPECT_FALSE(c);
  EXPECT_EQ(conformal_weighted_order_statistic(r, w, 3, 0.2, false, &c), 1.0);  // from the top: 2, 2.5, 3 < 0.8 × 4: clamped
  EXPECT_TRUE(c);
  EXPECT_EQ(conformal_weighted_order_statistic(r, w, 3, 0.25, true, &c), 2.0);  // 0.5 < 1 <= 1
  EXPECT_FALSE(c);
  EXPECT_EQ(conformal_weighted_order_statistic(r, w, 3, 0.0, true), 0.0);  // the median: no width
  EXPECT_THROW(conformal_weighted_order_statistic(r, w, 3, 1.0, false), Error);
  EXPECT_THROW(parse_conformal_pool("fold"), InputError);
  EXPECT_EQ(parse_conformal_pool("series"), ConformalPool::Series);
}

// Note [Conformal series-balanced pools] on a hand-made set: series 0 has 4 folds (scaled errors
// 1, 1, 1, 1), series 1 one fold (10). The default pool {1, 1, 1, 1, 10} gives the 0.6 level
// the 4th of 5 (ceil(6 × 0.6) = 4): 1; the balanced pool weighs series 0's errors 1/4 each, so
// W + 1 = 3 and the 0.6 level needs 1.8: 1/4 × 4 = 1 < 1.8 <= 2, the 10. Both series get it.
TEST(ConformalQuantiles, SeriesBalancedPool) {
  CalibrationSet cal = empty_set(2, 4, 1);
  cal.errors = {1, 1, 1, 1, 10, NAN, NAN, NAN};
  cal.fold_scale = {1, 1, 1, 1, 1, 1, 1, 1};
  cal.scale = {1, 2};
  cal.nonneg = {0, 0};
  const std::vector<float> mean{0, 100};
  std::vector<float> q(4);
  ConformalOptions opt;
  conformal_quantiles(cal, mean.data(), {0.4, 0.6}, q.data(), opt);
  EXPECT_FLOAT_EQ(q[0], 1.0f);    // 0.4: 6 - ceil(3.6) = 2nd → 1
  EXPECT_FLOAT_EQ(q[1], 1.0f);
  EXPECT_FLOAT_EQ(q[2], 102.0f);  // series 1: 100 + 2 × 1
  EXPECT_FLOAT_EQ(q[3], 102.0f);
  opt.pool = ConformalPool::Series;
  const ConformalStats st = conformal_quantiles(cal, mean.data(), {0.4, 0.6}, q.data(), opt);
  EXPECT_EQ(st.n_pooled, 2);
  EXPECT_FLOAT_EQ(q[0], 1.0f);    // 0.4 from the top: 1 < 1.8 <= 1 + 1/4 × 4 → 1
  EXPECT_FLOAT_EQ(q[1], 10.0f);
  EXPECT_FLOAT_EQ(q[2], 102.0f);
  EXPECT_FLOAT_EQ(q[3], 120.0f);  // 100 + 2 × 10
}

// Simulated series with known distributions: iid normal, forecast by `naive`. The model's own
// naive interval grows with sqrt(h), although for iid data the error y_{T+h} − y_T has the same
// spread at every h, so it over-covers from h = 2 on; the conformal interval from pooled
// out-of-sample errors should cover the nominal 80 %. Each series has its own level and
// spread (the pooling must scale them).
//
// Tolerance: the held-out coverage is a mean over S = 2000 independent series of the share of
// their H steps covered. Even if a series' H steps were fully dependent, its standard error is
// sqrt(0.8 × 0.2 / 2000) = 0.0089; ±0.035 is four of them. The pools hold S × K = 10,000
// errors per step, so the calibration's own quantile error (about 0.004 in level) is small
// beside it.
struct Coverage {
  double model = 0, conformal = 0;
};

// `naive` forecasts of the first T steps of full [S, T + H] (NaN before a series starts) with 80 %
// intervals, their conformal version from 5 folds with `copt`, and the share of the H held-out
// steps each covers.
Coverage naive_coverage(const std::vector<float>& full, int64_t S, int64_t T, int64_t H, const ConformalOptions& copt,
                        ConformalStats* stats = nullptr) {
  std::vector<float> hist(static_cast<size_t>(S * T));  // [S, T]
  for (int64_t s = 0; s < S; ++s) std::copy_n(full.data() + s * (T + H), T, hist.data() + s * T);
  const std::vector<double> levels{0.1, 0.9};
  const auto model = make_stat_model("naive");
  const BatchForecast fc = forecast_batch(*model, hist.data(), S, T, 1, H, levels);
  BacktestOptions bo;
  bo.models = {"naive"};
  bo.horizon = H;
  bo.folds = 5;
  bo.levels = levels;
  const CalibrationSet cal = calibrate(hist.data(), S, T, 1, bo);
  std::vector<float> conf = fc.quantiles;
  const ConformalStats st = conformal_quantiles(cal, fc.mean.data(), levels, conf.data(), copt);
  if (stats) *stats = st;
  Coverage c;
  for (int64_t s = 0; s < S; ++s)
    for (int64_t h = 0; h < H; ++h) {
      const float y = full[static_cast<size_t>(s * (T + H) + T + h)];
      const size_t i = static_cast<size_t>((s * H + h) * 2);
      c.model += fc.quantiles[i] <= y && y <= fc.quantiles[i + 1];
      c.conformal += conf[i] <= y && y <= conf[i + 1];
    }
  c.model /= static_cast<double>(S * H);
  c.conformal /= static_cast<double>(S * H);
  return c;
}

Coverage simulate_coverage(bool random_walk, uint64_t seed, ConformalScore score = ConformalScore::Raw) {
  const int64_t S = 2000, T = 120, H = 4;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::lognormal_distribution<double> spread(0.0, 0.7);
  std::vector<float> full(static_cast<size_t>(S * (T + H)));  // [S, T + H]
  for (int64_t s = 0; s < S; ++s) {
    const double sd = spread(rng), level = 100.0 + 20.0 * z(rng);
    double x = level;
    for (int64_t t = 0; t < T + H; ++t) {
      x = random_walk ? x + sd * z(rng) : level + sd * z(rng);
      full[static_cast<size_t>(s * (T + H) + t)] = static_cast<float>(x);
    }
  }
  ConformalOptions copt;
  copt.score = score;
  ConformalStats st;
  const Coverage c = naive_coverage(full, S, T, H, copt, &st);
  EXPECT_EQ(st.n_pooled, S * H);
  EXPECT_EQ(st.score, score);
  return c;
}

TEST(ConformalCoverage, IidNormalSeriesNaiveModel) {
  const Coverage c = simulate_coverage(false, 42);
  std::printf("iid normal, naive, nominal 80 %%: model's own %.4f, conformal %.4f\n", c.model, c.conformal);
  EXPECT_NEAR(c.conformal, 0.80, 0.035) << "model's own: " << c.model;
  EXPECT_GT(c.model, 0.88);  // the model's sqrt(h) intervals over-cover iid data
}

TEST(ConformalCoverage, RandomWalkSeriesNaiveModel) {
  const Coverage c = simulate_coverage(true, 7);
  std::printf("random walk, naive, nominal 80 %%: model's own %.4f, conformal %.4f\n", c.model, c.conformal);
  EXPECT_NEAR(c.conformal, 0.80, 0.035) << "model's own: " << c.model;
}

// Note [Conformal series-balanced pools] on simulated series with known distributions: half the
// series are iid normal with 120 observed steps (5 usable folds), half random walks launched 12
// steps before the origin (2 usable folds: the third has no history), all forecast by `naive`.
// The random walks' scaled errors are wider; the default pool holds 5 iid errors for every 2
// random-walk ones while the forecast has one of each, so its 80 % intervals miss the mixture;
// the balanced pool weighs both halves equally. Tolerance as above (S = 2000).
double mixed_history_coverage(ConformalPool pool) {
  const int64_t S = 2000, T = 120, H = 4, launch = T - 12;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<float> full(static_cast<size_t>(S * (T + H)), std::nanf(""));  // [S, T + H]
  for (int64_t s = 0; s < S; ++s) {
    const bool walk = s % 2 == 1;
    double x = 100.0;
    for (int64_t t = walk ? launch : 0; t < T + H; ++t) {
      x = walk ? x + z(rng) : 100.0 + z(rng);
      full[static_cast<size_t>(s * (T + H) + t)] = static_cast<float>(x);
    }
  }
  ConformalOptions copt;
  copt.pool = pool;
  return naive_coverage(full, S, T, H, copt).conformal;
}

TEST(ConformalCoverage, SeriesBalancedPoolOverMixedHistories) {
  const double errors = mixed_history_coverage(ConformalPool::Errors);
  const double series = mixed_history_coverage(ConformalPool::Series);
  std::printf("iid (5 folds) + launched random walks (2 folds), nominal 80 %%: errors pool %.4f, series pool %.4f\n",
              errors, series);
  EXPECT_NEAR(series, 0.80, 0.035);
  EXPECT_LT(std::fabs(series - 0.80), std::fabs(errors - 0.80));
}

// The same simulations with the scaled and signed scores (Note [Conformal scaled scores]); same
// tolerance.
TEST(ConformalCoverage, ScaledScoresIidNormalAndRandomWalk) {
  for (const ConformalScore score : {ConformalScore::Scaled, ConformalScore::Signed}) {
    const char* name = conformal_score_name(score);
    const Coverage iid = simulate_coverage(false, 42, score);
    std::printf("iid normal, naive, %s, nominal 80 %%: model's own %.4f, conformal %.4f\n", name, iid.model, iid.conformal);
    EXPECT_NEAR(iid.conformal, 0.80, 0.035) << name << ", model's own: " << iid.model;
    const Coverage rw = simulate_coverage(true, 7, score);
    std::printf("random walk, naive, %s, nominal 80 %%: model's own %.4f, conformal %.4f\n", name, rw.model, rw.conformal);
    EXPECT_NEAR(rw.conformal, 0.80, 0.035) << name << ", model's own: " << rw.model;
  }
}

// Note [Conformal scaled scores]: k = ceil((n + 1) p) of the sorted sizes; p = 0 gives 0.
TEST(ConformalOrderStatistic, SymmetricRule) {
  std::vector<double> r(19);
  for (int i = 0; i < 19; ++i) r[i] = i + 1;  // r_(k) = k
  bool c = true;
  EXPECT_EQ(conformal_abs_order_statistic(r.data(), 19, 0.8, &c), 16.0);  // ceil(20 * 0.8) = 16
  EXPECT_FALSE(c);
  EXPECT_EQ(conformal_abs_order_statistic(r.data(), 19, 0.9, &c), 18.0);  // ceil(18) = 18 exactly
  EXPECT_EQ(conformal_abs_order_statistic(r.data(), 19, 0.0, &c), 0.0);   // the median: no width
  EXPECT_FALSE(c);
  EXPECT_EQ(conformal_abs_order_statistic(r.data(), 19, 0.96, &c), 19.0);  // ceil(19.2) = 20 > 19: clamped
  EXPECT_TRUE(c);
}

// Note [Conformal scaled scores] by hand. Series 1's fold errors and fold widths are twice
// series 0's, so their scores are the same; at the origin series 1's own interval is twice as
// wide, so its conformal interval is twice as wide. Series 2 has no errors of its own and a
// zero-width interval at the origin: its spread is the floor, 0.1 × its naive MAE.
TEST(ConformalQuantiles, ScaledScoresKeepEachSeriesOwnWidth) {
  const int64_t S = 3, K = 10;
  CalibrationSet cal = empty_set(S, K, 1);
  const std::vector<double> levels{0.1, 0.5, 0.9};
  const double zd = 2.0 * 1.2815515655446004;  // z(0.9) − z(0.1)
  cal.levels = levels;
  cal.widths.assign(static_cast<size_t>(S * K), std::nanf(""));
  for (int k = 0; k < K; ++k) {
    cal.errors[k] = static_cast<float>(k - 4.5);                // −4.5 .. 4.5, spread 1: scores the same
    cal.widths[k] = static_cast<float>(zd);
    cal.errors[K + k] = static_cast<float>(2.0 * (k - 4.5));    // twice, spread 2: the same scores
    cal.widths[K + k] = static_cast<float>(2.0 * zd);
  }
  cal.fold_scale.assign(static_cast<size_t>(S * K), 1.0);
  cal.scale = {1.0, 1.0, 2.0};
  cal.nonneg = {0, 0, 0};
  const std::vector<float> mean{10, 10, 10};
  // The model's own quantiles at the origin: widths zd, 2 zd and 0.
  std::vector<float> q{static_cast<float>(10 - zd / 2), 10, static_cast<float>(10 + zd / 2),
                       static_cast<float>(10 - zd), 10, static_cast<float>(10 + zd), 10, 10, 10};
  ConformalOptions opt;
  ASSERT_EQ(opt.score, ConformalScore::Raw);  // the default (Note [Conformal scaled scores])
  opt.score = ConformalScore::Scaled;
  std::vector<float> own = q;
  const ConformalStats st = conformal_quantiles(cal, mean.data(), levels, q.data(), opt);
  EXPECT_EQ(st.score, ConformalScore::Scaled);
  EXPECT_EQ(st.n_pooled, 3);
  EXPECT_EQ(st.n_floored, 1);
  // The pool: 20 sizes |r|, each of 0.5, 1.5, ..., 4.5 four times. 0.9 and 0.1 → p = 0.8 →
  // ceil(16.8) = 17 → 4.5; 0.5 → p = 0 → the mean.
  EXPECT_NEAR(q[0], 10 - 4.5, 1e-5);
  EXPECT_NEAR(q[1], 10.0, 1e-5);
  EXPECT_NEAR(q[2], 10 + 4.5, 1e-5);
  EXPECT_NEAR(q[3], 10 - 9.0, 1e-5);
  EXPECT_NEAR(q[4], 10.0, 1e-5);
  EXPECT_NEAR(q[5], 10 + 9.0, 1e-5);
  EXPECT_NEAR(q[5] - q[3], 2.0 * (q[2] - q[0]), 1e-4);
  EXPECT_NEAR(q[6], 10 - 0.2 * 4.5, 1e-5);  // spread 0.1 × 2
  EXPECT_NEAR(q[8], 10 + 0.2 * 4.5, 1e-5);
  // A model whose own interval blew up: the spread is capped at 10 × sqrt(1) × the naive MAE (2).
  std::vector<float> big = own;
  big[6] = -1e6f;
  big[8] = 1e6f;
  const ConformalStats sb = conformal_quantiles(cal, mean.data(), levels, big.data(), opt);
  EXPECT_EQ(sb.n_capped, 1);
  EXPECT_EQ(sb.n_floored, 0);
  EXPECT_NEAR(big[6], 10 - 20 * 4.5, 1e-4);
  EXPECT_NEAR(big[8], 10 + 20 * 4.5, 1e-4);
  // Signed: the pool of r, each of −4.5..4.5 twice. 0.9 → ceil(18.9) = 19 → 4.5; 0.1 → 21 − 19 = 2
  // → −4.5; 0.5 → ceil(10.5) = 11 → 0.5: the median moves with the folds' median score.
  opt.score = ConformalScore::Signed;
  std::vector<float> sg = own;
  EXPECT_EQ(conformal_quantiles(cal, mean.data(), levels, sg.data(), opt).score, ConformalScore::Signed);
  EXPECT_NEAR(sg[0], 10 - 4.5, 1e-5);
  EXPECT_NEAR(sg[1], 10.5, 1e-5);
  EXPECT_NEAR(sg[4], 10 + 2 * 0.5, 1e-5);
  EXPECT_NEAR(sg[5], 10 + 9.0, 1e-5);
  // The raw score pools errors / naive MAE: both series' widths come from the same pool.
  opt.score = ConformalScore::Raw;
  std::vector<float> a(9, 0.0f);
  const ConformalStats sa = conformal_quantiles(cal, mean.data(), levels, a.data(), opt);
  EXPECT_EQ(sa.score, ConformalScore::Raw);
  EXPECT_NEAR(a[2] - a[0], a[5] - a[3], 1e-5);
  // Note [Conformal scaled scores]: folds with less than half the series' history are left out.
  // Series 0's and 1's first 6 folds had 4 observed values of 10. At levels 0.45, 0.55 (p = 0.1)
  // the scores are the sizes times the same factor zd(0.45, 0.55) / zd and the bound is d × r, so
  // the factor cancels: kept, 8 sizes (1.5, 2.5, 3.5, 4.5 twice) → ceil(0.9) = 1 → 1.5; every
  // fold, 20 sizes (0.5 .. 4.5 four times) → ceil(2.1) = 3 → 0.5.
  cal.n_obs = {10, 10, 10};
  cal.fold_scale.assign(static_cast<size_t>(S * K), 5.0);  // spreads 10.2 and 20.4 at these levels: within
  cal.scale = {5.0, 5.0, 5.0};                              // the floor 0.5 and the cap 50
  cal.fold_n_obs.assign(static_cast<size_t>(S * K), 10);
  for (int k = 0; k < 6; ++k) cal.fold_n_obs[k] = cal.fold_n_obs[K + k] = 4;
  opt.score = ConformalScore::Scaled;
  const std::vector<double> mid{0.45, 0.5, 0.55};
  cal.levels = mid;
  std::vector<float> kept = own, all = own;
  conformal_quantiles(cal, mean.data(), mid, kept.data(), opt);
  EXPECT_NEAR(kept[0], 10 - 1.5, 1e-4);
  EXPECT_NEAR(kept[2], 10 + 1.5, 1e-4);
  opt.min_history_share = 0.0;  // every fold
  conformal_quantiles(cal, mean.data(), mid, all.data(), opt);
  EXPECT_NEAR(all[0], 10 - 0.5, 1e-4);
  EXPECT_NEAR(all[2], 10 + 0.5, 1e-4);
  opt.min_history_share = 0.5;
  cal.levels = levels;
  cal.fold_scale.assign(static_cast<size_t>(S * K), 1.0);
  cal.scale = {1.0, 1.0, 2.0};
  cal.fold_n_obs.clear();  // unknown: every fold
  cal.n_obs.clear();

  // Folds at other levels than the forecast's: refused.
  cal.levels = {0.05, 0.5, 0.95};
  opt.score = ConformalScore::Scaled;
  EXPECT_THROW(conformal_quantiles(cal, mean.data(), levels, q.data(), opt), Error);
  // No widths (an older calibration set): the raw score.
  cal.widths.clear();
  EXPECT_EQ(conformal_quantiles(cal, mean.data(), levels, q.data(), opt).score, ConformalScore::Raw);
  EXPECT_EQ(parse_conformal_score("raw"), ConformalScore::Raw);
  EXPECT_EQ(parse_conformal_score("signed"), ConformalScore::Signed);
  EXPECT_THROW(parse_conformal_score("cqr"), InputError);
}

// Note [Bounded statistical forecasts] on the conformal quantiles: the mean plus a pooled error can
// pass the bound the forecast had before recalibration, so the rule keeps every quantile within
// +-10 x the history's largest |value| (h + 1 times that for demand summed over h + 1 steps).
TEST(ConformalQuantiles, KeptWithinTheForecastBound) {
  const int64_t T = 8, K = 2, H = 2;
  const std::vector<float> y{1, 2, 1, 2, 1, 2, 1, 3};  // peak 3: bound 30
  CalibrationSet cal = empty_set(1, K, H);
  cal.errors = {100, 100, 200, 200};  // [S, K, H]: fold 0, then fold 1
  describe_calibration_series(cal, y.data(), 0, 1, T, {4, 6});
  ASSERT_EQ(cal.peak.size(), 1u);
  EXPECT_DOUBLE_EQ(cal.peak[0], 3.0);
  EXPECT_DOUBLE_EQ(cal.fold_scale[0], 1.0);  // naive MAE of 1, 2, 1, 2
  EXPECT_DOUBLE_EQ(cal.scale[0], 8.0 / 7.0);
  // Pool at each step {100, 200} (fold scales 1); n = 2: 0.9 -> ceil(2.7) = 3 > 2 -> 200, 0.1 -> 100
  // (both clamped); quantiles 5 + 8/7 x {100, 200} = 119.3, 233.6, over the bound 30.
  const std::vector<float> mean{5, 5};
  const std::vector<double> levels{0.1, 0.9};
  std::vector<float> q(4, 0.0f);
  ConformalStats st = conformal_quantiles(cal, mean.data(), levels, q.data());
  EXPECT_EQ(st.n_bounded, 4);
  for (const float v : q) EXPECT_FLOAT_EQ(v, 30.0f);
  ConformalOptions cum;  // demand over steps 1..h: step 2's bound is 60
  cum.cumulative = true;
  st = conformal_quantiles(cal, mean.data(), levels, q.data(), cum);
  EXPECT_EQ(st.n_bounded, 4);
  EXPECT_FLOAT_EQ(q[0], 30.0f);
  EXPECT_FLOAT_EQ(q[3], 60.0f);
  cal.peak.clear();  // a set without the histories' peaks: no bound
  st = conformal_quantiles(cal, mean.data(), levels, q.data());
  EXPECT_EQ(st.n_bounded, 0);
  EXPECT_NEAR(q[0], 5.0 + 800.0 / 7.0, 1e-3);
  EXPECT_NEAR(q[1], 5.0 + 1600.0 / 7.0, 1e-3);
}

// Note [Conformal event classes] by hand: 4 series, 2 folds, 1 step; fold 0 of every series was
// a regular step (class 0), fold 1 a promoted one (class 1), with errors 1..4 and 10..40.
TEST(ConformalQuantiles, EventClassesPoolByClass) {
  CalibrationSet cal = empty_set(4, 2, 1);
  cal.errors = {1, 10, 2, 20, 3, 30, 4, 40};
  cal.fold_scale.assign(8, 1.0);
  cal.scale.assign(4, 1.0);
  cal.nonneg.assign(4, 0);
  const std::vector<float> mean(4, 0.0f);
  std::vector<float> q(8);
  ConformalOptions opt;
  opt.min_per_series = 3;  // no series has 3 errors of its own: pools
  // Without classes one pool {1, 2, 3, 4, 10, 20, 30, 40}: n = 8, 0.8 → ceil(7.2) = 8 → 40,
  // 0.2 → 9 − 8 = 1 → 1, for every series.
  ConformalStats st = conformal_quantiles(cal, mean.data(), {0.2, 0.8}, q.data(), opt);
  EXPECT_EQ(st.n_class_pooled, 0);
  for (int s = 0; s < 4; ++s) {
    EXPECT_FLOAT_EQ(q[s * 2], 1.0f);
    EXPECT_FLOAT_EQ(q[s * 2 + 1], 40.0f);
  }
  // Classes: the forecast steps of series 0 and 2 are regular, of 1 promoted, of 3 a pattern no
  // fold had (class 2 of 4), which falls back to the class-free pool.
  cal.n_classes = 4;
  cal.fold_class = {0, 1, 0, 1, 0, 1, 0, 1};
  cal.step_class = {0, 1, 0, 2};
  st = conformal_quantiles(cal, mean.data(), {0.2, 0.8}, q.data(), opt);
  EXPECT_EQ(st.n_pooled, 4);
  EXPECT_EQ(st.n_class_pooled, 3);
  // Class 0's pool {1, 2, 3, 4}: n = 4, 0.8 → ceil(4) = 4 → 4, 0.2 → 5 − 4 = 1 → 1.
  EXPECT_FLOAT_EQ(q[0], 1.0f);
  EXPECT_FLOAT_EQ(q[1], 4.0f);
  EXPECT_FLOAT_EQ(q[4], 1.0f);
  EXPECT_FLOAT_EQ(q[5], 4.0f);
  EXPECT_FLOAT_EQ(q[2], 10.0f);  // class 1's {10, 20, 30, 40}
  EXPECT_FLOAT_EQ(q[3], 40.0f);
  EXPECT_FLOAT_EQ(q[6], 1.0f);   // class 2: no fold of its own, all eight
  EXPECT_FLOAT_EQ(q[7], 40.0f);
  // A series' own errors are those of its step's class: with one error enough, series 0 takes
  // its regular fold's 1 and series 1 its promoted fold's 20 (both levels clamped to them).
  opt.min_per_series = 1;
  st = conformal_quantiles(cal, mean.data(), {0.2, 0.8}, q.data(), opt);
  EXPECT_EQ(st.n_own, 3);  // series 3's class has no fold: pooled
  EXPECT_FLOAT_EQ(q[0], 1.0f);
  EXPECT_FLOAT_EQ(q[1], 1.0f);
  EXPECT_FLOAT_EQ(q[2], 20.0f);
  EXPECT_FLOAT_EQ(q[3], 20.0f);
  // Classes that do not match the set's shape or count are an error, not a silent misread.
  cal.step_class = {0, 1, 0, 4};
  EXPECT_THROW(conformal_quantiles(cal, mean.data(), {0.2, 0.8}, q.data(), opt), Error);
  cal.step_class = {0, 1};
  EXPECT_THROW(conformal_quantiles(cal, mean.data(), {0.2, 0.8}, q.data(), opt), Error);
}

// Note [Conformal event classes] on simulated series: iid normal demand whose noise is 4 times
// wider on promoted steps (a random 30 % of each series' steps, known ahead), forecast by
// `naive`. One pool gives every step the same width: the regular steps over-cover and the
// promoted ones under-cover; pools by class cover each near its nominal 80 %.
TEST(ConformalCoverage, EventClassesCoverPromotedAndRegularSteps) {
  const int64_t S = 2000, T = 120, H = 4;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0.0, 1.0);
  std::bernoulli_distribution promoted(0.3);
  std::vector<float> full(static_cast<size_t>(S * (T + H)));    // [S, T + H]
  std::vector<uint8_t> flag(static_cast<size_t>(S * (T + H)));  // [S, T + H]
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T + H; ++t) {
      const size_t i = static_cast<size_t>(s * (T + H) + t);
      flag[i] = promoted(rng) ? 1 : 0;
      full[i] = static_cast<float>(100.0 + (flag[i] ? 4.0 : 1.0) * z(rng));
    }
  std::vector<float> hist(static_cast<size_t>(S * T));
  for (int64_t s = 0; s < S; ++s) std::copy_n(full.data() + s * (T + H), T, hist.data() + s * T);
  const std::vector<double> levels{0.1, 0.9};
  const BatchForecast fc = forecast_batch(*make_stat_model("naive"), hist.data(), S, T, 1, H, levels);
  BacktestOptions bo;
  bo.models = {"naive"};
  bo.horizon = H;
  bo.folds = 5;
  bo.levels = levels;
  CalibrationSet cal = calibrate(hist.data(), S, T, 1, bo);
  ASSERT_EQ(cal.origins.size(), 5u);
  auto coverage = [&](bool classed, double* regular, double* promo) {
    cal.n_classes = classed ? 2 : 1;
    cal.fold_class.clear();
    cal.step_class.clear();
    if (classed) {
      for (int64_t s = 0; s < S; ++s)
        for (int64_t k = 0; k < 5; ++k)
          for (int64_t h = 0; h < H; ++h)
            cal.fold_class.push_back(flag[static_cast<size_t>(s * (T + H) + cal.origins[k] + h)]);
      for (int64_t s = 0; s < S; ++s)
        for (int64_t h = 0; h < H; ++h) cal.step_class.push_back(flag[static_cast<size_t>(s * (T + H) + T + h)]);
    }
    std::vector<float> q = fc.quantiles;
    conformal_quantiles(cal, fc.mean.data(), levels, q.data());
    double in[2] = {0, 0}, n[2] = {0, 0};
    for (int64_t s = 0; s < S; ++s)
      for (int64_t h = 0; h < H; ++h) {
        const size_t i = static_cast<size_t>(s * (T + H) + T + h);
        const size_t j = static_cast<size_t>((s * H + h) * 2);
        in[flag[i]] += q[j] <= full[i] && full[i] <= q[j + 1];
        n[flag[i]] += 1;
      }
    *regular = in[0] / n[0];
    *promo = in[1] / n[1];
  };
  double reg1, promo1, reg2, promo2;
  coverage(false, &reg1, &promo1);
  coverage(true, &reg2, &promo2);
  std::printf("80 %% intervals, regular / promoted steps: one pool %.4f / %.4f, pools by class %.4f / %.4f\n", reg1,
              promo1, reg2, promo2);
  EXPECT_GT(reg1, 0.86);
  EXPECT_LT(promo1, 0.70);
  EXPECT_NEAR(reg2, 0.80, 0.035);
  EXPECT_NEAR(promo2, 0.80, 0.035);
}

// Note [Conformal event classes] from a panel: a per-series flag `deal`, a shared `feat` and a
// calendar event `xmas` give each fold's and each forecast step's class by hand; names the panel
// lacks, repeats, too many and a future part shorter than the horizon are clear errors.
// A weekly panel's header: S series s0, s1, ..., T steps of history and F of known inputs after.
PanelHeader weekly_header(int64_t S, int64_t T, int64_t F) {
  PanelHeader hd;
  hd.axis = make_axis(Freq::Week, "2020-01-06", 1);
  hd.n_steps = T;
  hd.n_future = F;
  for (int64_t s = 0; s < S; ++s) hd.ids.push_back("s" + std::to_string(s));
  return hd;
}

TEST(ConformalCalibrate, EventClassesFromThePanelsInputs) {
  const int64_t S = 2, T = 12, F = 2, H = 2;
  PanelHeader hd = weekly_header(S, T, F);
  hd.dynamic = {{"deal", true}, {"feat", false}};
  EventSeries xmas{"xmas", std::vector<uint8_t>(T + F, 0)};
  xmas.flags[9] = 1;
  hd.events = {xmas};
  std::vector<float> y(S * T);
  for (int64_t i = 0; i < S * T; ++i) y[i] = static_cast<float>(10 + i % 3);
  std::vector<float> deal(S * (T + F), 0.0f), feat(T + F, 0.0f);
  deal[8] = 1;                // series s0, step 8 (fold 0's first target)
  deal[(T + F) + 13] = 0.5f;  // series s1, step 13 (the forecast's second step)
  deal[(T + F) + 10] = std::nanf("");  // missing: not "on"
  feat[11] = 1;               // both series, step 11 (fold 1's second target)
  feat[12] = 2;               // both, step 12 (the forecast's first step)
  const std::string path = (testing::test_scratch_dir("skucast_conformal_") / "p.h5").string();
  write_panel(path, hd, y, {deal, feat});
  const PanelReader panel(path);
  BacktestOptions bo;
  bo.models = {"naive"};
  bo.horizon = H;
  bo.folds = 2;  // origins 8 and 10
  CalibrationSet cal = calibrate(panel, bo);
  ASSERT_EQ(cal.origins, (std::vector<int64_t>{8, 10}));
  classify_calibration_steps(cal, panel, {"deal", "feat", "xmas"}, 1);
  EXPECT_EQ(cal.n_classes, 8);
  // Bits: deal 1, feat 2, xmas 4. [S, K, H]: s0: fold 0 steps 8, 9; fold 1 steps 10, 11.
  EXPECT_EQ(cal.fold_class, (std::vector<uint8_t>{1, 4, 0, 2, 0, 4, 0, 2}));
  EXPECT_EQ(cal.step_class, (std::vector<uint8_t>{2, 0, 2, 1}));  // [S, H]: steps 12, 13
  classify_calibration_steps(cal, panel, {}, 1);  // no names: one class
  EXPECT_EQ(cal.n_classes, 1);
  EXPECT_TRUE(cal.fold_class.empty() && cal.step_class.empty());
  auto message = [&](const std::vector<std::string>& names, int64_t horizon) {
    CalibrationSet c = cal;
    c.horizon = horizon;
    try {
      classify_calibration_steps(c, panel, names, 1);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({"promo"}, H).find("no dynamic covariate or calendar event 'promo' (it has: deal, feat, xmas)"),
            std::string::npos) << message({"promo"}, H);
  EXPECT_NE(message({"deal", "deal"}, H).find("named twice"), std::string::npos);
  EXPECT_NE(message({"deal", "feat", "xmas", "deal", "feat"}, H).find("at most 4"), std::string::npos);
  EXPECT_NE(message({"deal"}, 3).find("knows its inputs for 2 step(s) after the history"), std::string::npos)
      << message({"deal"}, 3);
}

// Note [Conformal event classes], --conformal-by auto: of a panel's inputs it picks the
// per-series ones that are mostly zero and whose steps the folds missed by more: `promo` (the
// noise 4 times wider where it is on), not `coin` (on as often, unrelated to the demand), not
// `price` (never zero), not the shared `holiday` (a calendar row); and nothing when the inputs
// are not known for the forecast's steps.
TEST(ConformalCalibrate, AutoPicksTheInputsWhoseStepsMissByMore) {
  const int64_t S = 60, T = 80, F = 4, H = 4;
  PanelHeader hd = weekly_header(S, T, F);
  hd.dynamic = {{"price", true}, {"coin", true}, {"promo", true}, {"holiday", false}};
  std::mt19937_64 rng(11);
  std::normal_distribution<double> z(0.0, 1.0);
  std::bernoulli_distribution one_in_four(0.25);
  std::vector<float> y(S * T), price(S * (T + F)), coin(S * (T + F)), promo(S * (T + F)), holiday(T + F);
  for (int64_t t = 0; t < T + F; ++t) holiday[t] = t % 7 == 0 ? 1.0f : 0.0f;
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T + F; ++t) {
      const size_t i = static_cast<size_t>(s * (T + F) + t);
      price[i] = 2.0f;
      coin[i] = one_in_four(rng) ? 1.0f : 0.0f;
      promo[i] = one_in_four(rng) ? 1.0f : 0.0f;
      if (t < T) y[s * T + t] = static_cast<float>(100.0 + (promo[i] ? 4.0 : 1.0) * z(rng));
    }
  const std::string path = (testing::test_scratch_dir("skucast_conformal_") / "p.h5").string();
  write_panel(path, hd, y, {price, coin, promo, holiday});
  const PanelReader panel(path);
  BacktestOptions bo;
  bo.models = {"naive"};
  bo.horizon = H;
  bo.folds = 5;
  const CalibrationSet cal = calibrate(panel, bo);
  const std::vector<AutoConformalEvent> picked = auto_conformal_events(cal, panel, 16);
  ASSERT_EQ(picked.size(), 1u);
  EXPECT_EQ(picked[0].name, "promo");
  EXPECT_GT(picked[0].ratio, 1.5);  // naive's error sd sqrt(16 + 4.75) against sqrt(1 + 4.75): about 1.9
  // A horizon past the inputs' known future: no classes from auto.
  CalibrationSet longer = cal;
  longer.horizon = F + 1;
  EXPECT_TRUE(auto_conformal_events(longer, panel, 16).empty());
}

// A backtest with keep_errors stores actual − mean per fold and step; NaN where the actual is.
TEST(ConformalCalibrate, ErrorsAreActualMinusMeanOutOfSample) {
  // One series 0, 1, 2, ..., 19 with step 12 missing; naive forecasts the last value.
  std::vector<float> y(20);
  for (int t = 0; t < 20; ++t) y[t] = static_cast<float>(t);
  y[12] = std::nanf("");
  BacktestOptions bo;
  bo.models = {"naive"};
  bo.horizon = 3;
  bo.folds = 2;
  const CalibrationSet cal = calibrate(y.data(), 1, 20, 1, bo);
  // Origins 14 and 17 (step 3): naive from 13 and 16: errors 1, 2, 3 each.
  ASSERT_EQ(cal.errors.size(), 6u);
  for (int k = 0; k < 2; ++k)
    for (int h = 0; h < 3; ++h) EXPECT_FLOAT_EQ(cal.errors[k * 3 + h], h + 1.0f);
  // The fold's own interval width q_0.9 − q_0.1 (the default levels) is kept beside each error.
  ASSERT_EQ(cal.widths.size(), 6u);
  for (float w : cal.widths) EXPECT_GT(w, 0.0f);
  EXPECT_EQ(cal.levels, bo.levels);
  EXPECT_DOUBLE_EQ(cal.scale[0], 1.0);  // |diffs| = 1 over the observed pairs
  EXPECT_DOUBLE_EQ(cal.fold_scale[0], 1.0);
  EXPECT_EQ(cal.nonneg[0], 1);
  EXPECT_DOUBLE_EQ(cal.zero_share[0], 1.0 / 19.0);
  bo.folds = 1;
  bo.horizon = 8;  // origin 12: the fold's actuals include the missing step 12
  const CalibrationSet gap = calibrate(y.data(), 1, 20, 1, bo);
  EXPECT_TRUE(std::isnan(gap.errors[0]));
  EXPECT_TRUE(std::isnan(gap.widths[0]));
  EXPECT_FLOAT_EQ(gap.errors[1], 13.0f - 11.0f);
}

// A launch: folds before the series had max(H, 2) observed values are left out.
TEST(ConformalCalibrate, FoldsBeforeALaunchAreDropped) {
  std::vector<float> y(20, std::nanf(""));  // listed from step 10 on
  for (int t = 10; t < 20; ++t) y[t] = static_cast<float>(t);
  BacktestOptions bo;
  bo.models = {"naive"};
  bo.horizon = 3;
  bo.folds = 3;  // origins 11, 14, 17: 1, 4 and 7 observed values before them
  const CalibrationSet cal = calibrate(y.data(), 1, 20, 1, bo);
  for (int h = 0; h < 3; ++h) {
    EXPECT_TRUE(std::isnan(cal.errors[0 * 3 + h]));
    EXPECT_FLOAT_EQ(cal.errors[1 * 3 + h], h + 1.0f);
    EXPECT_FLOAT_EQ(cal.errors[2 * 3 + h], h + 1.0f);
  }
  EXPECT_TRUE(std::isnan(cal.fold_scale[0]));
  EXPECT_DOUBLE_EQ(cal.fold_scale[1], 1.0);
}

}  // namespace
}  // namespace skucast
