// tests/stat/test_theta.cpp — Theta method: parity with R's forecast::thetaf on M3 series
// (committed fixture tests/data/r_thetaf.csv, tests/py/gen_r_fixtures.R), the seasonality
// test, and fallbacks (never NaN/Inf).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/stat/ets/theta.h"
#include "engine/stat/model.h"
#include "tests/fixture_csv.h"

namespace skucast {
namespace {

using test::split_doubles;  // tests/fixture_csv.h

struct RCase {
  std::string id;
  int m = 1;
  int64_t h = 0;
  std::vector<double> y, mean, lo80, hi80, lo95, hi95;
};

std::vector<RCase> load_r_cases() {
  const std::string path = std::string(SKUCAST_TEST_DATA) + "/r_thetaf.csv";
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot open " << path;
  std::vector<RCase> out;
  std::string line;
  bool header = true;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      EXPECT_EQ(line, "id,m,h,y,mean,lo80,hi80,lo95,hi95") << "unexpected header in " << path;
      header = false;
      continue;
    }
    std::vector<std::string> col;
    std::stringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, ',')) col.push_back(tok);
    EXPECT_EQ(col.size(), 9u);
    if (col.size() != 9) continue;
    RCase c;
    c.id = col[0];
    c.m = std::stoi(col[1]);
    c.h = std::stoll(col[2]);
    c.y = split_doubles(col[3]);
    c.mean = split_doubles(col[4]);
    c.lo80 = split_doubles(col[5]);
    c.hi80 = split_doubles(col[6]);
    c.lo95 = split_doubles(col[7]);
    c.hi95 = split_doubles(col[8]);
    out.push_back(c);
  }
  return out;
}

// Tolerance: R fits SES with its own Nelder-Mead (optim/nmmin) from another starting simplex,
// so alpha and l0 agree to the optimiser's tolerance, not to machine precision.
constexpr double kRtolMean = 1e-3;
constexpr double kRtolInterval = 1e-2;

TEST(ThetaRParity, MeansAndIntervalsMatchThetaf) {
  const auto cases = load_r_cases();
  ASSERT_GE(cases.size(), 10u);
  ThetaModel model;
  const std::vector<double> levels = {0.025, 0.1, 0.9, 0.975};
  for (const RCase& c : cases) {
    SCOPED_TRACE(c.id);
    std::vector<double> mean(c.h), q(c.h * 4);
    SeriesInput in{c.y.data(), static_cast<int64_t>(c.y.size()), c.m};
    ForecastSpec spec{c.h, levels.data(), 4};
    SeriesOutput out{mean.data(), q.data(), false};
    model.forecast_series(in, spec, out);
    EXPECT_FALSE(out.fallback);
    for (int64_t i = 0; i < c.h; ++i) {
      const double scale = std::fabs(c.mean[i]) + 1e-9;
      EXPECT_NEAR(mean[i], c.mean[i], kRtolMean * scale) << "mean step " << i + 1;
      // N0010 (n = 14, alpha at its bound 0.9999): R's optimiser stops at a worse l0 (SES SSE
      // 1.107e7 against skucast's ~5.2e6); the level after 14 steps and so the means agree,
      // but sigma2 = SSE / (n - 2) and the intervals do not. Means are still checked.
      if (c.id == "N0010") continue;
      const double half95 = c.hi95[i] - c.mean[i], half80 = c.hi80[i] - c.mean[i];
      EXPECT_NEAR(q[i * 4 + 3] - mean[i], half95, kRtolInterval * half95 + kRtolMean * scale) << "95% step " << i + 1;
      EXPECT_NEAR(mean[i] - q[i * 4 + 0], half95, kRtolInterval * half95 + kRtolMean * scale) << "95% step " << i + 1;
      EXPECT_NEAR(q[i * 4 + 2] - mean[i], half80, kRtolInterval * half80 + kRtolMean * scale) << "80% step " << i + 1;
    }
  }
}

TEST(Theta, SeasonalityTest) {
  std::vector<double> seasonal(60), flat(60);
  for (int t = 0; t < 60; ++t) {
    seasonal[t] = 100 + 20 * std::sin(2 * M_PI * t / 12.0) + 0.1 * t;
    flat[t] = 100 + 0.5 * t + ((t * 7919) % 13) * 0.3;
  }
  EXPECT_TRUE(theta_seasonality_test(seasonal.data(), 60, 12));
  EXPECT_FALSE(theta_seasonality_test(flat.data(), 60, 12));
  EXPECT_FALSE(theta_seasonality_test(seasonal.data(), 20, 12));  // n <= 2m: no test
  EXPECT_FALSE(theta_seasonality_test(seasonal.data(), 60, 1));
}

TEST(Theta, LinearTrendIsExtrapolatedAtHalfSlope) {
  // On a pure line SES (alpha -> 1) tracks the last value and the drift adds half the slope
  // per step: f_h ~ y_n + (slope / 2) (h - 1 + 1/alpha).
  std::vector<double> y(40);
  for (int t = 0; t < 40; ++t) y[t] = 10 + 2.0 * t;
  std::vector<double> mean(5), sd(5);
  ASSERT_TRUE(theta_forecast(y.data(), 40, 1, 5, mean.data(), sd.data()));
  for (int i = 0; i < 5; ++i) {
    EXPECT_GT(mean[i], y[39]);
    EXPECT_LT(mean[i], y[39] + 2.0 * (i + 1) + 1.0);
  }
}

TEST(Theta, NeverNaNAndFallbacks) {
  ThetaModel model;
  const std::vector<std::vector<double>> cases = {
      {5.0}, {1.0, 2.0}, {1.0, 2.0, 3.0}, std::vector<double>(30, 3.0), std::vector<double>(30, 0.0),
      {0, 0, 4, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0, 5, 0, 0, 0, 1, 0, 0},
      {-5, 3, -2, 8, -1, 4, -6, 2, 9, -3, 5, -4, 1, 7, -2, 3, -8, 6, 0, 2, -1, 4, -3, 2, 5, -6, 1},
      {1e15, 2e15, 1.5e15, 3e15, 2e15, 1e15, 2.2e15, 3.1e15, 2.5e15, 1.1e15, 2e15, 3e15, 2.4e15},
  };
  const std::vector<double> levels = {0.05, 0.5, 0.95};
  for (size_t c = 0; c < cases.size(); ++c) {
    for (int m : {1, 4, 12}) {
      std::vector<double> mean(24, -7.0), q(24 * 3, -7.0);
      SeriesInput in{cases[c].data(), static_cast<int64_t>(cases[c].size()), m};
      ForecastSpec spec{24, levels.data(), 3};
      SeriesOutput out{mean.data(), q.data(), false};
      model.forecast_series(in, spec, out);
      for (double v : mean) EXPECT_TRUE(std::isfinite(v)) << "case " << c << " m " << m;
      for (double v : q) EXPECT_TRUE(std::isfinite(v)) << "case " << c << " m " << m;
      if (cases[c].size() < 4) {
        EXPECT_TRUE(out.fallback) << "case " << c;
      }
    }
  }
}

// In-sample one-step residuals (`forecast --residuals`) against R's forecast::thetaf fitted
// values (forecast 8.x, printed with 15 digits; y − fitted are its residuals): a non-seasonal
// series and a quarterly one that passes the seasonality test. thetaf's fitted values are the
// SES fit's, reseasonalised, without the drift; alpha and l0 are our own Nelder-Mead's, so
// the tolerance is the mean's against R's (kRtolMean of the series' mean level: the MSE is
// flat in l0, whose difference, 0.002 on a level of 14 here, fades over the first steps).
TEST(Theta, ResidualsMatchRThetafFitted) {
  struct Case {
    int m;
    std::vector<double> y, fitted;
  };
  const std::vector<Case> cases = {
      {1,
       {12, 15, 11, 18, 14, 16, 13, 19, 17, 15, 20, 16, 18, 22, 17, 21},
       {13.9354284802131, 13.3430945769087, 13.8501870717747, 12.9778931840738, 14.5148986397142, 14.3573149706785,
        14.8600553432965, 14.2907892334293, 15.7320334970969, 16.1200920358661, 15.7772901734115, 17.0696418256046,
        16.7422801461752, 17.1272027190814, 18.6185122988081, 18.1231699406169}},
      {4,
       {30, 52, 41, 20, 33, 57, 45, 22, 35, 60, 47, 24, 37, 63, 50, 25, 40, 66, 52, 27, 42, 70, 55, 28},
       {30.002037555509, 50.1072251917647, 40.6201407384691, 20.182433949349, 31.1402108993499, 55.1176366726571,
        44.5259385336585, 22.1514490824353, 34.2542243235527, 58.4583044170462, 46.8694433372579, 23.1359758788717,
        37.3680844450869, 61.7989721358273, 49.2129481408553, 24.6127083870622, 38.9251678055287, 66.8094535925117,
        51.5565833979338, 25.5972351899209, 42.0390279270639, 70.1501213112927, 54.68116947332, 27.0740061514713}},
  };
  const auto model = make_stat_model("theta");
  for (const Case& c : cases) {
    const int64_t n = static_cast<int64_t>(c.y.size());
    const std::vector<float> y(c.y.begin(), c.y.end());
    std::vector<float> resid(static_cast<size_t>(n));  // [1, T]
    BatchOptions bo;
    bo.residuals = resid.data();
    const BatchForecast fc = forecast_batch(*model, y.data(), 1, n, c.m, 2, {0.5}, bo);
    EXPECT_EQ(fc.n_no_fitted, 0);
    double scale = 0.0;
    for (double v : c.y) scale += std::fabs(v) / static_cast<double>(n);
    for (int64_t t = 0; t < n; ++t) {
      const double want = c.y[static_cast<size_t>(t)] - c.fitted[static_cast<size_t>(t)];
      EXPECT_NEAR(resid[static_cast<size_t>(t)], want, kRtolMean * scale) << "m " << c.m << " t " << t;
    }
  }
}

}  // namespace
}  // namespace skucast
