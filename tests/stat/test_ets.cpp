// tests/stat/test_ets.cpp — ETS family: statsmodels parity of the recursion with fixed parameters
// (committed fixtures, tests/py/gen_statsmodels_fixtures.py), the inverse normal CDF, the
// analytic variances, automatic selection, and the fallbacks (never NaN/Inf).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/stat/ets/ets.h"
#include "engine/stat/ets/core.h"
#include "engine/stat/ets/fit.h"
#include "engine/stat/normal.h"
#include "engine/stat/model.h"
#include "tests/fixture_csv.h"

namespace skucast {
namespace {

// ------------------------------------------------------------------ fixture ----

struct SmCase {
  std::string name;
  EtsSpec spec;
  double alpha = 0, beta_star = 0, gamma = 0, phi = 1, l0 = 0, b0 = 0;
  std::vector<double> s0, y, fitted, forecast, forecast_hw;
};

using test::split_doubles;  // tests/fixture_csv.h

EtsComp comp_of(const std::string& s) { return s == "A" ? EtsComp::Add : (s == "M" ? EtsComp::Mult : EtsComp::None); }

std::vector<SmCase> load_statsmodels_cases() {
  // tests/py/test_statsmodels_parity.py points this at fixtures regenerated live.
  const char* env = std::getenv("SKUCAST_STATSMODELS_FIXTURE");
  const std::string path = env && *env ? std::string(env) : std::string(SKUCAST_TEST_DATA) + "/statsmodels_es.csv";
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot open " << path << " (regenerate: /usr/bin/python3 tests/py/gen_statsmodels_fixtures.py)";
  std::vector<SmCase> out;
  std::string line;
  bool header = true;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      EXPECT_EQ(line.rfind("case,error,trend,damped,season,m,", 0), 0u) << "unexpected header in " << path;
      header = false;
      continue;
    }
    std::vector<std::string> col;
    std::stringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, ',')) col.push_back(tok);
    if (!line.empty() && line.back() == ',') col.push_back("");
    EXPECT_EQ(col.size(), 17u) << "bad row in " << path << ": " << line.substr(0, 80);
    if (col.size() != 17) continue;
    SmCase c;
    c.name = col[0];
    c.spec.error = comp_of(col[1]);
    c.spec.trend = comp_of(col[2]);
    c.spec.damped = col[3] == "1";
    c.spec.season = comp_of(col[4]);
    c.spec.m = std::stoi(col[5]);
    c.alpha = std::stod(col[6]);
    c.beta_star = std::stod(col[7]);
    c.gamma = std::stod(col[8]);
    c.phi = std::stod(col[9]);
    c.l0 = std::stod(col[10]);
    c.b0 = std::stod(col[11]);
    c.s0 = split_doubles(col[12]);
    c.y = split_doubles(col[13]);
    c.fitted = split_doubles(col[14]);
    c.forecast = split_doubles(col[15]);
    c.forecast_hw = split_doubles(col[16]);
    out.push_back(c);
  }
  return out;
}

// Symmetric relative comparison (STYLE T2/T6): reports the worst element.
void expect_close(const std::vector<double>& ref, const std::vector<double>& got, double rtol, const std::string& what) {
  ASSERT_EQ(ref.size(), got.size()) << what;
  double worst = 0.0;
  size_t at = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double err = std::fabs(got[i] - ref[i]) / std::max(1e-12, std::max(std::fabs(ref[i]), std::fabs(got[i])));
    if (err > worst) worst = err, at = i;
  }
  EXPECT_LE(worst, rtol) << what << ": worst rel err " << worst << " at " << at << " ref " << ref[at] << " got "
                         << got[at] << " (" << 100.0 * worst / rtol << "% of budget)";
}

TEST(EtsStatsmodelsParity, FittedAndForecastsMatchFixedParameters) {
  const std::vector<SmCase> cases = load_statsmodels_cases();
  ASSERT_GE(cases.size(), 10u);
  for (const SmCase& c : cases) {
    SCOPED_TRACE(c.name);
    EtsParams par;
    par.alpha = c.alpha;
    par.beta = c.alpha * c.beta_star;  // ETS beta from Holt's beta* (Note [ETS state layout])
    par.gamma = c.gamma;
    par.phi = c.phi;
    double x0[kEtsMaxState] = {}, x_end[kEtsMaxState] = {};
    x0[0] = c.l0;
    x0[1] = c.b0;
    const int m = c.spec.m;
    if (c.spec.season != EtsComp::None) {
      ASSERT_EQ(static_cast<int>(c.s0.size()), m);
      for (int j = 0; j < m; ++j) x0[2 + j] = c.s0[m - 1 - j];  // statsmodels lists s_{1-m} .. s_0
    }
    const int64_t n = static_cast<int64_t>(c.y.size());
    std::vector<double> fitted(n), fc(c.forecast.size());
    const EtsFilterResult r = ets_filter(c.y.data(), n, c.spec, par, x0, fitted.data(), x_end);
    EXPECT_TRUE(r.ok);
    ets_point_forecast(c.spec, par, x_end, static_cast<int64_t>(fc.size()), fc.data());
    expect_close(c.fitted, fitted, 1e-8, c.name + " fitted (Holt-Winters)");
    // Note [statsmodels Holt-Winters forecast at h = m] (tests/py/gen_statsmodels_fixtures.py):
    // Holt-Winters forecasts are compared where they are right (h not a multiple of m), the
    // state-space ETSModel's at every h, except with a multiplicative season where ETSModel
    // uses another recursion than Holt-Winters and R.
    std::vector<double> ref_hw, got_hw;
    for (size_t i = 0; i < fc.size(); ++i)
      if (c.spec.season == EtsComp::None || (i + 1) % m != 0) ref_hw.push_back(c.forecast_hw[i]), got_hw.push_back(fc[i]);
    expect_close(ref_hw, got_hw, 1e-8, c.name + " forecast (Holt-Winters)");
    if (c.spec.season != EtsComp::Mult) expect_close(c.forecast, fc, 1e-8, c.name + " forecast (ETSModel)");
  }
}

// ------------------------------------------------------------- normal quantile ----

TEST(NormalQuantile, MatchesReferenceValues) {
  // Reference values from scipy.stats.norm.ppf.
  EXPECT_NEAR(inverse_normal_cdf(0.5), 0.0, 1e-15);
  EXPECT_NEAR(inverse_normal_cdf(0.975), 1.959963984540054, 1e-13);
  EXPECT_NEAR(inverse_normal_cdf(0.1), -1.2815515655446004, 1e-13);
  EXPECT_NEAR(inverse_normal_cdf(0.01), -2.3263478740408408, 1e-12);
  EXPECT_NEAR(inverse_normal_cdf(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(inverse_normal_cdf(0.999), 3.090232306167813, 1e-12);
  for (double p = 0.001; p < 1.0; p += 0.0137) EXPECT_NEAR(inverse_normal_cdf(p), -inverse_normal_cdf(1.0 - p), 1e-12);
  EXPECT_TRUE(std::isinf(inverse_normal_cdf(0.0)));
  EXPECT_TRUE(std::isinf(inverse_normal_cdf(1.0)));
}

// --------------------------------------------------------------- variances ----

TEST(EtsVariance, ClassOneClosedForms) {
  const double sigma2 = 2.5;
  const int64_t h = 30;
  std::vector<double> mean(h, 100.0), var(h);
  EtsSpec ann;
  EtsParams p;
  p.alpha = 0.3;
  ets_forecast_variance(ann, p, sigma2, h, mean.data(), var.data());
  for (int64_t i = 0; i < h; ++i) EXPECT_NEAR(var[i], sigma2 * (1 + p.alpha * p.alpha * i), 1e-12);

  EtsSpec aan;  // Hyndman et al. (2008) Table 6.1: 1 + (h-1)[a^2 + a b h + b^2 h (2h-1) / 6]
  aan.trend = EtsComp::Add;
  p.beta = 0.1;
  ets_forecast_variance(aan, p, sigma2, h, mean.data(), var.data());
  for (int64_t i = 0; i < h; ++i) {
    const double hh = static_cast<double>(i + 1), a = p.alpha, b = p.beta;
    const double ref = sigma2 * (1 + (hh - 1) * (a * a + a * b * hh + b * b * hh * (2 * hh - 1) / 6));
    EXPECT_NEAR(var[i], ref, 1e-9 * ref);
  }

  EtsSpec ana;  // 1 + (h-1) a^2 + k g (2a + g), k = floor((h-1)/m)
  ana.season = EtsComp::Add;
  ana.m = 4;
  p.beta = 0.0;
  p.gamma = 0.2;
  ets_forecast_variance(ana, p, sigma2, h, mean.data(), var.data());
  for (int64_t i = 0; i < h; ++i) {
    const double k = static_cast<double>(i / 4), a = p.alpha, g = p.gamma;
    EXPECT_NEAR(var[i], sigma2 * (1 + i * a * a + k * g * (2 * a + g)), 1e-12);
  }

  EtsSpec mnn;  // class 2, MNN: v_h = mu^2 [(1 + s2)(1 + a^2 s2)^(h-1) - 1]
  mnn.error = EtsComp::Mult;
  const double s2 = 0.01;
  p.gamma = 0.0;
  ets_forecast_variance(mnn, p, s2, h, mean.data(), var.data());
  for (int64_t i = 0; i < h; ++i) {
    const double ref = 1e4 * ((1 + s2) * std::pow(1 + p.alpha * p.alpha * s2, static_cast<double>(i)) - 1);
    EXPECT_NEAR(var[i], ref, 1e-9 * ref);
  }
}

// ------------------------------------------------------------ estimation ----

std::vector<double> seasonal_series(int64_t n, int m, double level, double slope, double amp, double noise,
                                    bool multiplicative, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> eps(0.0, noise);
  std::vector<double> y(n);
  for (int64_t t = 0; t < n; ++t) {
    const double base = level + slope * t;
    const double s = amp * std::sin(2 * M_PI * (t % m) / m);
    y[t] = multiplicative ? base * (1.0 + s / level) + eps(rng) : base + s + eps(rng);
  }
  return y;
}

TEST(EtsFit, AutoPicksSeasonalModelForSeasonalData) {
  const auto y = seasonal_series(120, 12, 200, 0.5, 30, 2, false, 1);
  EtsFit fit;
  ASSERT_TRUE(ets_auto(y.data(), static_cast<int64_t>(y.size()), 12, fit));
  EXPECT_NE(fit.spec.season, EtsComp::None);
  EXPECT_NE(fit.spec.trend, EtsComp::None);
  EXPECT_GT(fit.par.alpha, 0.0);
  EXPECT_LE(fit.par.beta, fit.par.alpha + 1e-12);
  EXPECT_LE(fit.par.gamma, 1.0 - fit.par.alpha + 1e-12);
  std::vector<double> fc(12);
  ets_point_forecast(fit.spec, fit.par, fit.x_end, 12, fc.data());
  for (int i = 0; i < 12; ++i) {
    const double truth = 200 + 0.5 * (120 + i) + 30 * std::sin(2 * M_PI * ((120 + i) % 12) / 12);
    EXPECT_NEAR(fc[i], truth, 10.0) << "step " << i + 1;
  }
}

TEST(EtsFit, AutoPicksNonSeasonalForWhiteNoise) {
  std::mt19937 rng(7);
  std::normal_distribution<double> eps(50.0, 3.0);
  std::vector<double> y(80);
  for (double& v : y) v = eps(rng);
  EtsFit fit;
  ASSERT_TRUE(ets_auto(y.data(), 80, 4, fit));
  EXPECT_EQ(fit.spec.season, EtsComp::None);
  EXPECT_EQ(fit.spec.trend, EtsComp::None);
}

TEST(EtsFit, LikelihoodIsNoWorseThanTheStart) {
  const auto y = seasonal_series(96, 12, 500, 1.0, 60, 5, true, 3);
  EtsSpec spec;
  spec.error = EtsComp::Mult;
  spec.trend = EtsComp::Add;
  spec.season = EtsComp::Mult;
  spec.m = 12;
  double x0[kEtsMaxState];
  ASSERT_TRUE(ets_initial_state(y.data(), 96, spec, x0));
  EtsParams start;
  start.alpha = 0.0168, start.beta = 0.00176, start.gamma = 0.0500;
  const EtsFilterResult r0 = ets_filter(y.data(), 96, spec, start, x0, nullptr, nullptr);
  EtsFit fit;
  ASSERT_TRUE(ets_fit(y.data(), 96, spec, EtsCriterion::Likelihood, fit));
  EXPECT_LE(fit.lik, r0.lik);
  EXPECT_TRUE(std::isfinite(fit.aicc));
}

// --------------------------------------------------------------- fallbacks ----

struct RunResult {
  std::vector<double> mean, q;
  bool fallback;
};

RunResult run_model(const StatModel& model, const std::vector<double>& y, int m, int64_t h) {
  const std::vector<double> levels = {0.05, 0.1, 0.5, 0.9, 0.95};
  RunResult r;
  r.mean.assign(h, -1.0);
  r.q.assign(h * levels.size(), -1.0);
  SeriesInput in{y.data(), static_cast<int64_t>(y.size()), m};
  ForecastSpec spec{h, levels.data(), static_cast<int>(levels.size())};
  SeriesOutput out{r.mean.data(), r.q.data(), false};
  model.forecast_series(in, spec, out);
  r.fallback = out.fallback;
  return r;
}

bool finite_and_ordered(const RunResult& r, int n_levels) {
  for (size_t i = 0; i < r.mean.size(); ++i) {
    if (!std::isfinite(r.mean[i])) return false;
    for (int q = 0; q < n_levels; ++q) {
      const double v = r.q[i * n_levels + q];
      if (!std::isfinite(v)) return false;
      if (q > 0 && v < r.q[i * n_levels + q - 1] - 1e-9 * (1 + std::fabs(v))) return false;
    }
  }
  return true;
}

TEST(EtsModels, NeverNaNOnAwkwardSeries) {
  const std::vector<std::vector<double>> cases = {
      {5.0},
      {3.0, 4.0},
      {1.0, 2.0, 3.0},
      {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7},
      std::vector<double>(40, 0.0),
      {0, 0, 3, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0},
      {-5, 3, -2, 8, -1, 4, -6, 2, 9, -3, 5, -4, 1, 7, -2, 3, -8, 6, 0, 2, -1, 4},
      {1e12, 1.1e12, 0.9e12, 1.2e12, 1.05e12, 0.95e12, 1.3e12, 1.1e12, 1.0e12, 1.25e12, 1.15e12, 1.2e12},
      {1e-9, 2e-9, 1.5e-9, 3e-9, 2.5e-9, 1e-9, 2e-9, 3e-9, 2e-9, 1e-9},
  };
  for (const char* name : {"ses", "holt", "damped", "hw_add", "hw_mul", "ets"}) {
    auto model = make_ets_model(name);
    ASSERT_TRUE(model) << name;
    EXPECT_EQ(model->name(), name);
    for (size_t c = 0; c < cases.size(); ++c) {
      for (int m : {1, 4, 12}) {
        const RunResult r = run_model(*model, cases[c], m, 18);
        EXPECT_TRUE(finite_and_ordered(r, 5)) << name << " case " << c << " m " << m;
      }
    }
  }
}

TEST(EtsModels, ConstantAndTinySeriesFallBack) {
  auto ets = make_ets_model("ets");
  const RunResult c = run_model(*ets, std::vector<double>(30, 4.0), 12, 6);
  EXPECT_TRUE(c.fallback);
  for (double v : c.mean) EXPECT_EQ(v, 4.0);
  for (double v : c.q) EXPECT_EQ(v, 4.0);
  const RunResult t = run_model(*ets, {2.0, 3.0}, 1, 3);
  EXPECT_TRUE(t.fallback);
  EXPECT_EQ(t.mean[0], 3.0);
  // hw_mul on data with zeros cannot be multiplicative: falls back, still finite.
  auto hw_mul = make_ets_model("hw_mul");
  std::vector<double> y = seasonal_series(48, 4, 20, 0.1, 10, 1, false, 5);
  y[10] = 0.0;
  const RunResult z = run_model(*hw_mul, y, 4, 8);
  EXPECT_TRUE(z.fallback);
  EXPECT_TRUE(finite_and_ordered(z, 5));
}

TEST(EtsModels, HoltWintersForecastsTheSeason) {
  const auto y = seasonal_series(72, 12, 100, 0.0, 20, 0.5, true, 11);
  for (const char* name : {"hw_add", "hw_mul"}) {
    auto model = make_ets_model(name);
    const RunResult r = run_model(*model, y, 12, 12);
    EXPECT_FALSE(r.fallback) << name;
    for (int i = 0; i < 12; ++i) {
      const double truth = 100 + 20 * std::sin(2 * M_PI * ((72 + i) % 12) / 12);
      EXPECT_NEAR(r.mean[i], truth, 3.0) << name << " step " << i + 1;
    }
    // Intervals widen with the horizon, relative to the level (multiplicative ones scale with it).
    EXPECT_GE((r.q[11 * 5 + 4] - r.q[11 * 5 + 0]) / r.mean[11], (r.q[4] - r.q[0]) / r.mean[0] - 1e-9) << name;
  }
}

TEST(EtsModels, RegistryKnowsTheNames) {
  for (const char* name : {"ses", "holt", "damped", "hw_add", "hw_mul", "ets"}) {
    std::unique_ptr<StatModel> m;
    try {
      m = make_stat_model(name);
    } catch (const std::exception& e) {
      GTEST_SKIP() << "registry does not list '" << name << "' yet: " << e.what();
    }
    ASSERT_TRUE(m);
    EXPECT_EQ(m->name(), name);
  }
}

// Note [ETS fitting window] (ets.h): short series are fitted whole; long ones only on their
// most recent ets_fit_window(n, m) observations, never fewer than four seasons.
TEST(EtsModels, FittingWindowSize) {
  EXPECT_EQ(ets_fit_window(126, 12), 126);  // the longest M3 training series: untouched
  EXPECT_EQ(ets_fit_window(kEtsFitWindow, 7), kEtsFitWindow);
  EXPECT_EQ(ets_fit_window(1941, 7), kEtsFitWindow);
  EXPECT_EQ(ets_fit_window(100000, 1000), 4000);  // four seasons beat the cap
}

// A long daily series whose early part is wildly different (another level, scale and sign)
// forecasts exactly as its recent part alone: the early part is never looked at.
TEST(EtsModels, FittingWindowIgnoresEarlyHistory) {
  const int64_t n = 1941, h = 28;
  const int64_t w = ets_fit_window(n, 7);
  ASSERT_LT(w, n);
  std::vector<double> y = seasonal_series(n, 7, 40, 0.01, 8, 2.0, false, 21);
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0.0, 500.0);
  for (int64_t t = 0; t < n - w; ++t) y[t] = -1e4 + noise(rng);  // nothing like the recent part
  const std::vector<double> recent(y.end() - w, y.end());
  for (const char* name : {"ets", "hw_add", "damped"}) {
    auto model = make_ets_model(name);
    const RunResult full = run_model(*model, y, 7, h);
    const RunResult tail = run_model(*model, recent, 7, h);
    EXPECT_EQ(full.fallback, tail.fallback) << name;
    for (int64_t i = 0; i < h; ++i) {
      EXPECT_EQ(full.mean[i], tail.mean[i]) << name << " step " << i + 1;
      EXPECT_GT(full.mean[i], 10.0) << name << " step " << i + 1;  // the recent level, not -1e4
    }
    EXPECT_EQ(full.q, tail.q) << name;
  }
}

// Batch runner invariance (STYLE T3/T6): forecast_batch over 1, 2 and 257 series equals the
// per-series call; no NaN anywhere.
TEST(EtsModels, BatchEqualsPerSeries) {
  const int64_t n_steps = 40, h = 9;  // quarterly-sized, to keep 257 auto-ETS fits quick
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  for (int64_t n_series : {1, 2, 257}) {
    std::vector<float> y(n_series * n_steps);  // [S, T]
    for (int64_t s = 0; s < n_series; ++s) {
      const auto v = seasonal_series(n_steps, 4, 50 + s, 0.1 * (s % 5), 5 + s % 7, 1.0, true, 100 + s);
      for (int64_t t = 0; t < n_steps; ++t) y[s * n_steps + t] = static_cast<float>(v[t]);
    }
    for (const char* name : {"ets", "theta", "ets+theta"}) {
      if (n_series > 2 && std::string(name) == "ets+theta") continue;  // members covered above
      std::unique_ptr<StatModel> model;
      try {
        model = make_stat_model(name);
      } catch (const std::exception& e) {
        GTEST_SKIP() << "registry does not list '" << name << "' yet: " << e.what();
      }
      const BatchForecast bf = forecast_batch(*model, y.data(), n_series, n_steps, 4, h, levels);
      ASSERT_EQ(bf.mean.size(), static_cast<size_t>(n_series * h));
      for (float v : bf.mean) ASSERT_TRUE(std::isfinite(v)) << name;
      for (float v : bf.quantiles) ASSERT_TRUE(std::isfinite(v)) << name;
      for (int64_t s : {int64_t{0}, n_series / 2, n_series - 1}) {
        std::vector<double> ys(y.begin() + s * n_steps, y.begin() + (s + 1) * n_steps);
        const RunResult r = run_model(*model, ys, 4, h);
        for (int64_t i = 0; i < h; ++i)
          EXPECT_NEAR(bf.mean[s * h + i], r.mean[i], 1e-5 * (1.0 + std::fabs(r.mean[i]))) << name << " series " << s;
      }
    }
  }
}

}  // namespace
}  // namespace skucast
