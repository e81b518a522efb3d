// tests/stat/test_simple_models.cpp — naive, snaive, ma, croston, sba, tsb against hand-computed
// values, the registry and ensembles, and the batch runner's preparation and fallbacks.
// The naive/snaive intervals and the Croston/SBA/TSB forecasts below were also checked against
// statsforecast 2.1.1 (Naive, SeasonalNaive level=[80]; CrostonClassic, CrostonSBA,
// TSB(alpha_d=0.1, alpha_p=0.1)): equal to 1e-8.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/stat/croston.h"
#include "engine/stat/simple.h"
#include "engine/stat/model.h"
#include "kernels/common.hpp"

namespace skucast {
namespace {

constexpr double kTol = 1e-12;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double z90 = 1.2815515655446004;  // normal_quantile(0.9)

struct Result {
  std::vector<double> mean, q;  // [H], [H, Q]
  bool fallback = false;
};

// Runs one model on one prepared series.
Result run(const StatModel& m, const std::vector<double>& y, int64_t horizon, std::vector<double> levels,
           int season = 1) {
  Result r;
  r.mean.assign(static_cast<size_t>(horizon), kNaN);
  r.q.assign(static_cast<size_t>(horizon) * levels.size(), kNaN);
  SeriesInput in{y.data(), static_cast<int64_t>(y.size()), season};
  ForecastSpec spec{horizon, levels.data(), static_cast<int>(levels.size())};
  SeriesOutput out{r.mean.data(), r.q.data(), false};
  m.forecast_series(in, spec, out);
  r.fallback = out.fallback;
  return r;
}

TEST(NormalQuantile, KnownValues) {
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-15);
  EXPECT_NEAR(normal_quantile(0.9), z90, 1e-13);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(normal_quantile(0.001), -3.090232306167813, 1e-12);
  EXPECT_NEAR(normal_quantile(0.1), -z90, 1e-13);
}

// y = 1 3 2 5: last value 5; one-step differences 2, -1, 3 → sigma = sqrt(14/3).
TEST(Naive, HandComputed) {
  auto m = make_stat_model("naive");
  Result r = run(*m, {1, 3, 2, 5}, 4, {0.1, 0.5, 0.9});
  const double sigma = std::sqrt(14.0 / 3.0);
  for (int h = 0; h < 4; ++h) {
    EXPECT_EQ(r.mean[h], 5.0);
    EXPECT_NEAR(r.q[h * 3 + 0], 5.0 - z90 * sigma * std::sqrt(h + 1.0), 1e-9);
    EXPECT_NEAR(r.q[h * 3 + 1], 5.0, kTol);
    EXPECT_NEAR(r.q[h * 3 + 2], 5.0 + z90 * sigma * std::sqrt(h + 1.0), 1e-9);
  }
  EXPECT_FALSE(r.fallback);
}

// m = 3, y = 1 2 3 | 2 4 6 | 3 5 7: forecasts repeat the last season 3 5 7 3 ...
// seasonal differences 1 2 3 1 1 1 → sigma = sqrt(17/6); h = 4 is in the 2nd season: sqrt(2).
TEST(SeasonalNaive, HandComputed) {
  auto m = make_stat_model("snaive");
  Result r = run(*m, {1, 2, 3, 2, 4, 6, 3, 5, 7}, 4, {0.9}, 3);
  const double sigma = std::sqrt(17.0 / 6.0);
  const double expect[4] = {3, 5, 7, 3};
  const double k[4] = {1, 1, 1, 2};  // floor((h-1)/m) + 1
  for (int h = 0; h < 4; ++h) {
    EXPECT_EQ(r.mean[h], expect[h]);
    EXPECT_NEAR(r.q[h], expect[h] + z90 * sigma * std::sqrt(k[h]), 1e-9);
  }
  EXPECT_FALSE(r.fallback);
}

TEST(SeasonalNaive, ShorterThanSeasonFallsBackToNaive) {
  auto m = make_stat_model("snaive");
  Result r = run(*m, {4, 6}, 3, {0.5}, 7);
  EXPECT_TRUE(r.fallback);
  for (double v : r.mean) EXPECT_EQ(v, 6.0);
}

// k = 3, y = 1 2 3 4 8: forecast (3+4+8)/3 = 5; one-step errors 4-2 = 2 and 8-3 = 5;
// their quantiles (numpy linear): q0.1 = 2.3, q0.5 = 3.5, q0.9 = 4.7, scaled by sqrt(h).
TEST(MovingAverage, HandComputed) {
  auto m = make_ma(3);
  Result r = run(*m, {1, 2, 3, 4, 8}, 4, {0.1, 0.5, 0.9});
  const double qe[3] = {2.3, 3.5, 4.7};
  for (int h = 0; h < 4; ++h) {
    EXPECT_NEAR(r.mean[h], 5.0, kTol);
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(r.q[h * 3 + j], 5.0 + qe[j] * std::sqrt(h + 1.0), 1e-12);
  }
}

TEST(MovingAverage, DefaultWindowIsSeasonThenSevenCappedAtN) {
  auto m = make_stat_model("ma");
  EXPECT_NEAR(run(*m, {9, 1, 2, 3}, 1, {}, 3).mean[0], 2.0, kTol);            // k = m = 3
  EXPECT_NEAR(run(*m, {100, 1, 1, 1, 1, 1, 1, 8}, 1, {}, 1).mean[0], 2.0, kTol);  // k = 7
  EXPECT_NEAR(run(*m, {2, 4}, 1, {}, 1).mean[0], 3.0, kTol);                   // k = n = 2
}

// y = 0 0 3 0 0 0 6 0 2 (alpha 0.1):
//   demands 3 (t=2), 6 (t=6), 2 (t=8); intervals 3 (first = position + 1), 4, 2
//   z: 3 → 3.3 → 3.17;   p: 3 → 3.1 → 2.99
//   croston = 3.17 / 2.99;  sba = 0.95 * croston
//   tsb probability: 0, 0, .1, .09, .081, .0729, .16561, .149049, .2341441; tsb = .2341441 * 3.17
const std::vector<double> kIntermittent = {0, 0, 3, 0, 0, 0, 6, 0, 2};

TEST(Croston, HandComputed) {
  const double croston = 3.17 / 2.99;
  EXPECT_NEAR(run(*make_stat_model("croston"), kIntermittent, 3, {}).mean[2], croston, kTol);
  EXPECT_NEAR(run(*make_stat_model("sba"), kIntermittent, 3, {}).mean[0], 0.95 * croston, kTol);
  EXPECT_NEAR(run(*make_stat_model("tsb"), kIntermittent, 3, {}).mean[1], 0.2341441 * 3.17, kTol);
}

// Croston one-step errors after the first demand (state z/p = 3/3 = 1 until t=6, then
// 3.3/3.1): -1, -1, -1, 5, -1.0645161, 0.9354839. Sorted: -1.0645, -1, -1, -1, 0.9355, 5.
//   q0.1: position 0.5 → -1.0322581 (from h = 2 on f - 1.03 sqrt(h) < 0 → clipped to 0: the
//         series is non-negative)
//   q0.5: position 2.5 → -1;   q0.9: position 4.5 → (0.9354839 + 5) / 2 = 2.9677419
TEST(Croston, ResidualQuantilesClippedAtZero) {
  Result r = run(*make_stat_model("croston"), kIntermittent, 4, {0.1, 0.5, 0.9});
  const double f = 3.17 / 2.99;
  const double e_lo = (-3.3 / 3.1 - 1.0) / 2.0, e_hi = (2.0 - 3.3 / 3.1 + 5.0) / 2.0;
  EXPECT_NEAR(r.q[0], f + e_lo, 1e-12);  // h = 1: 0.0279, above zero
  for (int h = 0; h < 4; ++h) {
    const double s = std::sqrt(h + 1.0);
    if (h > 0) {
      EXPECT_EQ(r.q[h * 3 + 0], 0.0);
    }
    EXPECT_NEAR(r.q[h * 3 + 1], std::max(0.0, f - 1.0 * s), 1e-12);
    EXPECT_NEAR(r.q[h * 3 + 2], f + e_hi * s, 1e-12);
  }
}

// CrostonOptimized (statsforecast 2.1.1) on these series: 1.0602006688964936 (both alphas at
// the 0.1 bound: the same as classic) and 1.9310625627670555. scipy's bounded Brent stops at
// xatol 1e-5 on alpha, our golden section at 1e-5 too: agreement to ~1e-5.
TEST(Croston, OptimizedMatchesStatsforecast) {
  auto m = make_stat_model("croston_opt");
  EXPECT_NEAR(run(*m, kIntermittent, 1, {}).mean[0], 1.0602006688964936, 1e-6);
  const std::vector<double> y = {0, 5, 0, 0, 1, 0, 7, 0, 0, 0, 2, 3, 0, 0, 9, 0, 1, 0, 0, 4};
  EXPECT_NEAR(run(*m, y, 1, {}).mean[0], 1.9310625627670555, 1e-4);
}

TEST(Croston, NoDemandForecastsZero) {
  for (const char* name : {"croston", "sba", "tsb", "croston_opt"}) {
    Result r = run(*make_stat_model(name), {0, 0, 0, 0}, 3, {0.1, 0.9});
    for (double v : r.mean) EXPECT_EQ(v, 0.0) << name;
    for (double v : r.q) EXPECT_EQ(v, 0.0) << name;
  }
}

// In-sample one-step residuals (`forecast --residuals`): y − the forecast from the state before
// each step, NaN up to and including the first demand (t = 2). On kIntermittent:
//   croston predictions 1, 1, 1, 1 (t = 3..6), then 3.3/3.1 twice: residuals -1, -1, -1, 5,
//     -1.0645161, 0.9354839; sba: 0.95 × the predictions; croston_opt: both alphas at the 0.1
//     bound here (OptimizedMatchesStatsforecast), so croston's.
//   tsb predictions b × z with b after each step (.1, .09, .081, .0729, then .16561, .149049)
//     and z = 3, then 3.3: .3, .27, .243, .2187, .546513, .4918617.
TEST(Croston, ResidualsByHand) {
  const std::vector<float> y(kIntermittent.begin(), kIntermittent.end());
  const double k = 3.3 / 3.1;
  const std::vector<double> croston_pred = {1, 1, 1, 1, k, k};
  const std::vector<double> tsb_pred = {.3, .27, .243, .2187, .546513, .4918617};
  for (const char* name : {"croston", "sba", "croston_opt", "tsb"}) {
    std::vector<float> resid(y.size());  // [1, T]
    BatchOptions bo;
    bo.residuals = resid.data();
    const BatchForecast fc = forecast_batch(*make_stat_model(name), y.data(), 1, 9, 1, 1, {0.5}, bo);
    EXPECT_EQ(fc.n_no_fitted, 0) << name;
    for (int t = 0; t < 3; ++t) EXPECT_TRUE(std::isnan(resid[static_cast<size_t>(t)])) << name << " t " << t;
    for (int t = 3; t < 9; ++t) {
      const double scale = std::string(name) == "sba" ? 0.95 : 1.0;
      const double pred = std::string(name) == "tsb" ? tsb_pred[static_cast<size_t>(t - 3)]
                                                     : scale * croston_pred[static_cast<size_t>(t - 3)];
      EXPECT_NEAR(resid[static_cast<size_t>(t)], kIntermittent[static_cast<size_t>(t)] - pred, 1e-6) << name << " t " << t;
    }
  }
}

// ma's in-sample residuals: y − the mean of the k values before (k = the season length 2 here),
// NaN for the first k steps. On 1 2 4 7 11: predictions 1.5, 3, 5.5 → residuals 2.5, 4, 5.5.
TEST(MovingAverage, ResidualsByHand) {
  const std::vector<float> y{1, 2, 4, 7, 11};
  std::vector<float> resid(y.size());  // [1, T]
  BatchOptions bo;
  bo.residuals = resid.data();
  const BatchForecast fc = forecast_batch(*make_stat_model("ma"), y.data(), 1, 5, 2, 1, {0.5}, bo);
  EXPECT_EQ(fc.n_no_fitted, 0);
  EXPECT_TRUE(std::isnan(resid[0]));
  EXPECT_TRUE(std::isnan(resid[1]));
  EXPECT_FLOAT_EQ(resid[2], 2.5f);
  EXPECT_FLOAT_EQ(resid[3], 4.0f);
  EXPECT_FLOAT_EQ(resid[4], 5.5f);
  EXPECT_FLOAT_EQ(fc.mean[0], 9.0f);  // the last window's mean, unchanged by the residuals
}

TEST(Croston, SingleDemand) {
  // One demand of 4 at t = 1 → z = 4, p = 2: croston 2; tsb: b = 0 then 0.1 → 0.4.
  EXPECT_NEAR(run(*make_stat_model("croston"), {0, 4}, 1, {}).mean[0], 2.0, kTol);
  EXPECT_NEAR(run(*make_stat_model("tsb"), {0, 4}, 1, {}).mean[0], 0.4, kTol);
}

// ------------------------------------------------------------- registry ----

TEST(Registry, UnknownNameListsKnownModels) {
  try {
    make_stat_model("prophet");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("prophet"), std::string::npos) << msg;
    for (const char* n : {"naive", "snaive", "ma", "croston", "sba", "tsb"}) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
  EXPECT_THROW(make_stat_model("naive+"), InputError);
  EXPECT_THROW(make_stat_model("naive+nope"), InputError);
  EXPECT_THROW(make_stat_model("naive+snaive", "mode"), InputError);
  const auto names = stat_model_names();
  for (const char* n : {"naive", "snaive", "ma", "croston", "sba", "tsb"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

// naive → 5 everywhere; snaive (m=2) on 1 2 4 5 → 4 5 4 5; ma (k=m=2) → 4.5.
TEST(Ensemble, MeanAndMedianPerStep) {
  const std::vector<double> y = {1, 2, 4, 5};
  auto mean2 = make_stat_model("naive+snaive");
  EXPECT_EQ(mean2->name(), "naive+snaive");
  Result r = run(*mean2, y, 2, {}, 2);
  EXPECT_NEAR(r.mean[0], 4.5, kTol);
  EXPECT_NEAR(r.mean[1], 5.0, kTol);
  auto med3 = make_stat_model("naive+snaive+ma", "median");
  Result m = run(*med3, y, 2, {0.5}, 2);
  EXPECT_NEAR(m.mean[0], 4.5, kTol);  // median of 5, 4, 4.5
  EXPECT_NEAR(m.mean[1], 5.0, kTol);  // median of 5, 5, 4.5
  // Quantile 0.5 of naive and snaive is their mean; of ma 4.5 + median residual * sqrt(h).
  EXPECT_TRUE(std::isfinite(m.q[0]) && std::isfinite(m.q[1]));
}

// -------------------------------------------------------------- runner ----

// Writes its prepared input into the mean (step h → y[h], -1 past the end) to expose the
// runner's preparation.
class EchoModel final : public StatModel {
 public:
  std::string name() const override { return "echo"; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    for (int64_t h = 0; h < spec.horizon; ++h) out.mean[h] = h < in.n ? in.y[h] : -1.0;
    flat_quantiles(spec, out.mean, out.quantiles);
  }
};

// Misbehaving models: one writes NaN, one throws, one overflows float.
class BadModel final : public StatModel {
 public:
  explicit BadModel(int kind) : m_kind(kind) {}
  std::string name() const override { return "bad"; }
  void forecast_series(const SeriesInput&, const ForecastSpec& spec, SeriesOutput& out) const override {
    if (m_kind == 1) throw std::runtime_error("boom");
    for (int64_t h = 0; h < spec.horizon; ++h) out.mean[h] = m_kind == 0 ? std::nan("") : 1e300;
    flat_quantiles(spec, out.mean, out.quantiles);
  }

 private:
  int m_kind;
};

TEST(ForecastBatch, TrimsAndInterpolates) {
  const float n = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> y = {n, 1, n, n, 4, n};  // [1, 6] → prepared 1 2 3 4
  EchoModel echo;
  BatchForecast b = forecast_batch(echo, y.data(), 1, 6, 1, 5, {0.5});
  const float expect[5] = {1, 2, 3, 4, 0};  // echo writes -1 past the series: clipped, sales never < 0
  for (int h = 0; h < 5; ++h) EXPECT_FLOAT_EQ(b.mean[h], expect[h]) << h;
  EXPECT_EQ(b.n_fallback, 0);
}

TEST(ForecastBatch, ClipsAtZeroOnlyForNonNegativeSeries) {
  const float n = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> y = {n, 1, 2, 3, 4, n,    // never negative: the echo's -1 is clipped
                                -2, 1, 2, 3, 4, 5};  // had a negative value: left alone
  EchoModel echo;
  BatchForecast b = forecast_batch(echo, y.data(), 2, 6, 1, 7, {0.5});
  EXPECT_EQ(b.mean[4], 0.0f);
  EXPECT_EQ(b.mean[7 + 6], -1.0f);
  for (float v : std::vector<float>(b.quantiles.begin(), b.quantiles.begin() + 7)) EXPECT_GE(v, 0.0f);
}

TEST(ForecastBatch, AllNaNConstantAndLengthOne) {
  const float n = std::numeric_limits<float>::quiet_NaN();
  // rows: all NaN; constant 3; one observation 4 in the middle
  const std::vector<float> y = {n, n, n, n, 3, 3, 3, 3, n, 4, n, n};
  for (const std::string& name : stat_model_names()) {
    auto m = make_stat_model(name);
    BatchForecast b = forecast_batch(*m, y.data(), 3, 4, 2, 3, {0.1, 0.5, 0.9});
    EXPECT_GE(b.n_fallback, 1) << name;  // the all-NaN row
    for (int h = 0; h < 3; ++h) {
      EXPECT_EQ(b.mean[h], 0.0f) << name;
      for (int j = 0; j < 3; ++j) EXPECT_EQ(b.quantiles[h * 3 + j], 0.0f) << name;
    }
    for (float v : b.mean) EXPECT_TRUE(std::isfinite(v)) << name;
    for (float v : b.quantiles) EXPECT_TRUE(std::isfinite(v)) << name;
    if (name == "naive" || name == "snaive" || name == "ma") {
      for (int h = 0; h < 3; ++h) {
        EXPECT_FLOAT_EQ(b.mean[3 + h], 3.0f) << name;  // constant: exact, zero width
        EXPECT_FLOAT_EQ(b.quantiles[9 + h * 3 + 2], 3.0f) << name;
        EXPECT_FLOAT_EQ(b.mean[6 + h], 4.0f) << name;  // length 1
      }
    }
  }
}

TEST(ForecastBatch, GuardFallsBackToNaive) {
  const std::vector<float> y = {1, 2, 3, 5};
  for (int kind : {0, 1, 2}) {
    BadModel bad(kind);
    BatchForecast b = forecast_batch(bad, y.data(), 1, 4, 1, 2, {0.1, 0.9});
    EXPECT_EQ(b.n_fallback, 1) << kind;
    EXPECT_FLOAT_EQ(b.mean[0], 5.0f) << kind;
    EXPECT_LT(b.quantiles[0], 5.0f) << kind;
    EXPECT_GT(b.quantiles[1], 5.0f) << kind;
  }
}

TEST(ForecastBatch, RejectsBadArguments) {
  const std::vector<float> y = {1, 2};
  auto m = make_stat_model("naive");
  EXPECT_THROW(forecast_batch(*m, y.data(), 1, 2, 1, 0, {}), InputError);
  EXPECT_THROW(forecast_batch(*m, y.data(), 1, 2, 1, 3, {0.9, 0.1}), InputError);
  EXPECT_THROW(forecast_batch(*m, y.data(), 1, 2, 1, 3, {0.0, 0.5}), InputError);
  EXPECT_THROW(forecast_batch(*m, y.data(), 1, 2, 0, 3, {0.5}), InputError);
}

// Random panels with gaps, zeros, spikes and huge values: every model and ensemble gives
// finite, non-crossing output, and a batch equals its rows run one at a time (sizes 1, 2, 257).
TEST(ForecastBatch, NeverNaNAndBatchInvariant) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const int64_t S = 257, T = 40, H = 9;
  std::vector<float> y(static_cast<size_t>(S * T));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T; ++t) {
      const float r = u(rng);
      float v = r < 0.3f ? 0.0f : 10.0f * u(rng);
      if (r > 0.9f) v = std::numeric_limits<float>::quiet_NaN();
      if (s % 17 == 0 && t == T / 2) v = 3e38f;  // near FLT_MAX
      if (s % 13 == 0) v = -v;
      y[static_cast<size_t>(s * T + t)] = v;
    }
  std::vector<std::string> names = stat_model_names();
  names.push_back("naive+snaive+croston");
  for (const auto& name : names) {
    auto m = make_stat_model(name, "median");
    const std::vector<double> levels = {0.05, 0.5, 0.95};
    BatchForecast all = forecast_batch(*m, y.data(), S, T, 7, H, levels);
    for (float v : all.mean) ASSERT_TRUE(std::isfinite(v)) << name;
    for (int64_t i = 0; i < S * H; ++i) {
      ASSERT_TRUE(std::isfinite(all.quantiles[i * 3]) && std::isfinite(all.quantiles[i * 3 + 2])) << name;
      ASSERT_LE(all.quantiles[i * 3], all.quantiles[i * 3 + 1]) << name;
      ASSERT_LE(all.quantiles[i * 3 + 1], all.quantiles[i * 3 + 2]) << name;
    }
    for (int64_t s0 : {int64_t{0}, int64_t{5}, int64_t{255}}) {
      const int64_t n = s0 == 5 ? 2 : 1;
      BatchForecast part = forecast_batch(*m, y.data() + s0 * T, n, T, 7, H, levels);
      for (int64_t i = 0; i < n * H; ++i) ASSERT_EQ(part.mean[i], all.mean[s0 * H + i]) << name;
    }
  }
}

// Note [Bounded statistical forecasts]: +-10 x the largest |history value| (at least 10), by hand;
// order kept, NaN to the upper bound, untouched values and series not counted.
TEST(BoundStatForecast, ClampsToTenTimesTheHistorysLargestValue) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Series 0: largest |value| 52 (the NaN ignored) -> cap 520; series 1: all zero -> cap 10.
  const std::vector<float> y = {3, nan, -52, 40, 0, 0, 0, 0};
  std::vector<float> mean = {100, 600, 5, 12};                 // [S = 2, H = 2]
  std::vector<float> q = {-900, 50, 7e7f, 1, 2, 3,             // [S, H, Q = 3]
                          -1, 0, 4, nan, 9, 1e13f};
  const StatBoundCount c = bound_stat_forecast(y.data(), 2, 4, 2, 3, mean.data(), q.data());
  EXPECT_EQ(mean, (std::vector<float>{100, 520, 5, 10}));
  EXPECT_FLOAT_EQ(q[0], -520.0f);
  EXPECT_FLOAT_EQ(q[1], 50.0f);
  EXPECT_FLOAT_EQ(q[2], 520.0f);
  EXPECT_FLOAT_EQ(q[3], 1.0f);
  EXPECT_FLOAT_EQ(q[8], 4.0f);
  EXPECT_FLOAT_EQ(q[9], 10.0f);   // NaN reads as beyond the bound: the upper one
  EXPECT_FLOAT_EQ(q[11], 10.0f);
  EXPECT_EQ(c.n_values, 6);  // series 0: 600, -900, 7e7; series 1: 12, NaN, 1e13
  EXPECT_EQ(c.n_series, 2);
  std::vector<float> m2 = {1, 2}, q2 = {0, 1, 2, 0, 1, 2};
  const StatBoundCount none = bound_stat_forecast(y.data(), 1, 4, 2, 3, m2.data(), q2.data());
  EXPECT_EQ(none.n_values, 0);
  EXPECT_EQ(none.n_series, 0);
  EXPECT_EQ(q2, (std::vector<float>{0, 1, 2, 0, 1, 2}));
}

}  // namespace
}  // namespace skucast
