// tests/stat/test_arima.cpp — seasonal ARIMA (engine/stat/arima/arima.h): statsmodels SARIMAX parity of
// the exact log-likelihood, forecasts and forecast standard errors at given parameters
// (committed fixtures, tests/py/gen_arima_fixtures.py), the MLE against statsmodels', the
// automatic order, fallbacks on awkward series (never NaN/Inf) and batch = single calls.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/internal.h"
#include "engine/stat/model.h"
#include "tests/fixture_csv.h"

namespace skucast {
namespace {

struct ArimaCase {
  std::string name;
  ArimaOrder order;
  std::vector<double> params, params_alt, y, forecast, forecast_se;
  double llf = 0, llf_alt = 0;
};

using test::split_doubles;  // tests/fixture_csv.h

std::vector<ArimaCase> load_cases() {
  const std::string path = std::string(SKUCAST_TEST_DATA) + "/statsmodels_arima.csv";
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot open " << path << " (regenerate: /usr/bin/python3 tests/py/gen_arima_fixtures.py)";
  std::vector<ArimaCase> out;
  std::string line;
  bool header = true;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      EXPECT_EQ(line.rfind("case,p,d,q,P,D,Q,m,constant,params,llf,", 0), 0u) << "unexpected header in " << path;
      header = false;
      continue;
    }
    std::vector<std::string> col;
    std::stringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, ',')) col.push_back(tok);
    EXPECT_EQ(col.size(), 16u) << "bad row: " << line.substr(0, 80);
    if (col.size() != 16) continue;
    ArimaCase c;
    c.name = col[0];
    c.order.p = std::stoi(col[1]);
    c.order.d = std::stoi(col[2]);
    c.order.q = std::stoi(col[3]);
    c.order.P = std::stoi(col[4]);
    c.order.D = std::stoi(col[5]);
    c.order.Q = std::stoi(col[6]);
    c.order.m = std::stoi(col[7]);
    c.order.constant = col[8] == "1";
    c.params = split_doubles(col[9]);
    c.llf = std::stod(col[10]);
    c.params_alt = split_doubles(col[11]);
    c.llf_alt = std::stod(col[12]);
    c.y = split_doubles(col[13]);
    c.forecast = split_doubles(col[14]);
    c.forecast_se = split_doubles(col[15]);
    out.push_back(c);
  }
  EXPECT_GE(out.size(), 3u);
  return out;
}

// statsmodels' params [const?, ar, ma, sar, sma, sigma2] -> coefficients and sigma2.
ArimaCoefs coefs_of(const ArimaOrder& o, const std::vector<double>& par, double& sigma2) {
  ArimaCoefs c;
  size_t k = 0;
  if (o.constant) c.mu = par[k++];
  for (int i = 0; i < o.p; ++i) c.ar[i] = par[k++];
  for (int i = 0; i < o.q; ++i) c.ma[i] = par[k++];
  for (int i = 0; i < o.P; ++i) c.sar[i] = par[k++];
  for (int i = 0; i < o.Q; ++i) c.sma[i] = par[k++];
  sigma2 = par[k++];
  EXPECT_EQ(k, par.size());
  return c;
}

double rel_err(double a, double b) { return std::fabs(a - b) / std::fmax(std::fabs(b), 1e-300); }

TEST(Arima, LoglikMatchesStatsmodelsAtGivenParameters) {
  auto s = std::make_unique<ArimaScratch>();
  for (const ArimaCase& c : load_cases()) {
    const int64_t n = static_cast<int64_t>(c.y.size());
    std::vector<double> w(static_cast<size_t>(arima_n_diff(c.order, n)));
    arima_difference(c.y.data(), n, c.order, w.data());
    double sigma2 = 0;
    ArimaCoefs co = coefs_of(c.order, c.params, sigma2);
    const double ll = arima_loglik(w.data(), static_cast<int64_t>(w.size()), c.order, co, sigma2, *s);
    EXPECT_LT(rel_err(ll, c.llf), 1e-8) << c.name << ": " << ll << " vs " << c.llf;
    co = coefs_of(c.order, c.params_alt, sigma2);
    const double ll2 = arima_loglik(w.data(), static_cast<int64_t>(w.size()), c.order, co, sigma2, *s);
    EXPECT_LT(rel_err(ll2, c.llf_alt), 1e-8) << c.name << " (perturbed): " << ll2 << " vs " << c.llf_alt;
  }
}

// Note [ARIMA fast likelihood]: the O(r)-per-step recursions give the full filter's sums.
// 400 random orders (seasonal ones with m = 4, 7, 12) and coefficients through partrans, with
// partial autocorrelations up to tanh(3) = 0.995 (slow to reach the steady state).
TEST(Arima, FastFilterEqualsFullFilter) {
  auto s = std::make_unique<ArimaScratch>();
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> small(0, 3), seas(0, 1), mpick(0, 2);
  std::uniform_real_distribution<double> raw(-3.0, 3.0);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int ms[3] = {4, 7, 12};
  int n_checked = 0;
  for (int it = 0; it < 400; ++it) {
    ArimaOrder o;
    o.p = small(rng), o.q = small(rng);
    o.m = ms[mpick(rng)];
    if (it % 2 == 1) o.P = seas(rng), o.Q = seas(rng);
    o.constant = it % 3 == 0;
    ArimaCoefs c;
    double raw_ar[kArimaMaxP], raw_ma[kArimaMaxP], tmp[kArimaMaxP];
    for (int i = 0; i < kArimaMaxP; ++i) raw_ar[i] = raw(rng) * (it % 4 == 0 ? 1.0 : 0.3), raw_ma[i] = raw(rng) * 0.5;
    arima_partrans(raw_ar, o.p, c.ar);
    arima_partrans(raw_ma, o.q, tmp);
    for (int i = 0; i < o.q; ++i) c.ma[i] = -tmp[i];
    arima_partrans(raw_ar + 2, o.P, c.sar);
    arima_partrans(raw_ma + 2, o.Q, tmp);
    for (int i = 0; i < o.Q; ++i) c.sma[i] = -tmp[i];
    c.mu = o.constant ? 0.7 : 0.0;
    std::vector<double> w(150 + 50 * (it % 3));
    for (double& v : w) v = noise(rng) + c.mu;
    const int64_t nw = static_cast<int64_t>(w.size());
    const ArimaFilterResult full = arima_filter_full(w.data(), nw, o, c, *s, nullptr);
    const ArimaFilterResult fast = arima_filter_fast(w.data(), nw, arima_expand(o, c), c.mu, s->acov);
    ASSERT_EQ(full.ok, fast.ok) << "case " << it;
    if (!full.ok) continue;
    ++n_checked;
    // Roots near the unit circle (var(w) >> 1 = sigma2) make both filters lose digits to the
    // cancellation F_1 = F_0 - (...) at the first steps: a looser bound there.
    double g0[kArimaMaxState];
    ASSERT_TRUE(arima_p0_column(arima_expand(o, c), g0, s->acov)) << "case " << it;
    const double tol = g0[0] < 100.0 ? 1e-10 : 1e-6;
    EXPECT_LT(rel_err(fast.ssq, full.ssq), tol) << "case " << it << ": " << fast.ssq << " vs " << full.ssq;
    EXPECT_LT(std::fabs(fast.sumlog - full.sumlog), tol * (1.0 + std::fabs(full.sumlog))) << "case " << it;
  }
  EXPECT_GE(n_checked, 380);
}

TEST(Arima, ForecastsMatchStatsmodelsAtGivenParameters) {
  auto s = std::make_unique<ArimaScratch>();
  for (const ArimaCase& c : load_cases()) {
    const int64_t n = static_cast<int64_t>(c.y.size());
    const int64_t h = static_cast<int64_t>(c.forecast.size());
    double sigma2 = 0;
    const ArimaCoefs co = coefs_of(c.order, c.params, sigma2);
    std::vector<double> mean(h), sd(h);
    ASSERT_TRUE(arima_forecast(c.y.data(), n, c.order, co, sigma2, h, mean.data(), sd.data(), *s)) << c.name;
    for (int64_t i = 0; i < h; ++i) {
      EXPECT_LT(rel_err(mean[i], c.forecast[i]), 1e-8) << c.name << " h=" << i + 1;
      EXPECT_LT(rel_err(sd[i], c.forecast_se[i]), 1e-8) << c.name << " h=" << i + 1;
    }
  }
}

TEST(Arima, MleAgreesWithStatsmodels) {
  auto s = std::make_unique<ArimaScratch>();
  for (const ArimaCase& c : load_cases()) {
    const int64_t n = static_cast<int64_t>(c.y.size());
    ArimaFit fit;
    ASSERT_TRUE(arima_fit(c.y.data(), n, c.order, fit, *s)) << c.name;
    // Same likelihood, different optimisers: ours must reach statsmodels' optimum.
    EXPECT_GT(fit.loglik, c.llf - 1e-6 * std::fabs(c.llf) - 1e-5) << c.name;
    double sigma2 = 0;
    const ArimaCoefs ref = coefs_of(c.order, c.params, sigma2);
    EXPECT_LT(rel_err(fit.sigma2, sigma2), 1e-3) << c.name;
    auto near = [&](double a, double b, const char* what) {
      if (std::fabs(b) > 0.99) return;  // on the invertibility boundary: flat likelihood, skip
      EXPECT_NEAR(a, b, 1e-3 * std::fmax(1.0, std::fabs(b))) << c.name << " " << what;
    };
    for (int i = 0; i < c.order.p; ++i) near(fit.coefs.ar[i], ref.ar[i], "ar");
    for (int i = 0; i < c.order.q; ++i) near(fit.coefs.ma[i], ref.ma[i], "ma");
    for (int i = 0; i < c.order.P; ++i) near(fit.coefs.sar[i], ref.sar[i], "sar");
    for (int i = 0; i < c.order.Q; ++i) near(fit.coefs.sma[i], ref.sma[i], "sma");
    if (c.order.constant) {
      EXPECT_NEAR(fit.coefs.mu, ref.mu, 1e-3 * std::fmax(1.0, std::fabs(ref.mu))) << c.name;
    }
  }
}

TEST(Arima, AutoOrderFitsRealSeries) {
  auto s = std::make_unique<ArimaScratch>();
  for (const ArimaCase& c : load_cases()) {
    ArimaFit fit;
    ASSERT_TRUE(arima_auto(c.y.data(), static_cast<int64_t>(c.y.size()), c.order.m, fit, *s)) << c.name;
    EXPECT_TRUE(std::isfinite(fit.aicc)) << c.name;
    if (c.name == "airline_co2") {
      EXPECT_EQ(fit.order.D, 1);  // strongly seasonal
    }
    EXPECT_LE(fit.order.d, 2) << c.name;
  }
}

void expect_finite(const std::vector<double>& y, int m, bool expect_fallback) {
  const auto model = make_arima_model();
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  const int64_t h = 12;
  std::vector<double> mean(h), q(h * 3);
  SeriesOutput out{mean.data(), q.data(), false};
  model->forecast_series(SeriesInput{y.data(), static_cast<int64_t>(y.size()), m}, ForecastSpec{h, levels.data(), 3},
                         out);
  for (double v : mean) EXPECT_TRUE(std::isfinite(v));
  for (double v : q) EXPECT_TRUE(std::isfinite(v));
  if (expect_fallback) {
    EXPECT_TRUE(out.fallback);
  }
}

TEST(Arima, AwkwardSeriesNeverNaN) {
  expect_finite(std::vector<double>(50, 7.0), 12, true);   // constant
  expect_finite({1.0, 2.0, 3.0}, 1, true);                 // length 3
  expect_finite(std::vector<double>(40, 0.0), 7, true);    // all zeros
  std::mt19937 rng(3);
  std::normal_distribution<double> nd;
  std::vector<double> huge(60), spiky(60, 0.0);
  double level = 1e15;
  for (auto& v : huge) v = (level += 1e13 * nd(rng));
  expect_finite(huge, 1, false);
  for (int i = 0; i < 60; i += 13) spiky[i] = 1e6;  // intermittent spikes
  expect_finite(spiky, 7, false);
  std::vector<double> big(30, 1e300);
  big[5] = -1e300;
  expect_finite(big, 1, false);
}

// Note [ARIMA fitting window]: a series longer than the window is forecast exactly as its
// last max(728, 4m) observations are.
TEST(Arima, LongSeriesFitTheWindow) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> e(0.0, 1.0);
  std::vector<double> y(1000);
  double level = 50.0;
  for (size_t t = 0; t < y.size(); ++t) {
    level += 0.3 * e(rng);
    y[t] = level + e(rng);
  }
  ASSERT_EQ(kArimaWindowMin, 728);
  const auto model = make_arima_model();
  const double levels[] = {0.1, 0.9};
  ForecastSpec spec{14, levels, 2};
  std::vector<double> m1(14), q1(28), m2(14), q2(28);
  SeriesOutput o1{m1.data(), q1.data()}, o2{m2.data(), q2.data()};
  model->forecast_series(SeriesInput{y.data(), 1000, 1}, spec, o1);  // m = 1: a quick search
  model->forecast_series(SeriesInput{y.data() + 272, 728, 1}, spec, o2);
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(q1, q2);
  EXPECT_FALSE(o1.fallback);
  SeriesInput w = arima_fit_window(SeriesInput{y.data(), 1000, 7});
  EXPECT_EQ(w.n, 728);
  EXPECT_EQ(w.y, y.data() + 272);
  w = arima_fit_window(SeriesInput{y.data(), 1000, 24});  // 4m < 728 still: 728
  EXPECT_EQ(w.n, 728);
  w = arima_fit_window(SeriesInput{y.data(), 700, 7});  // shorter than the window: whole
  EXPECT_EQ(w.n, 700);
}

TEST(Arima, BatchesEqualSingleCalls) {
  const auto model = make_arima_model();
  const int64_t n_steps = 48, h = 6;
  const std::vector<double> levels = {0.05, 0.5, 0.95};
  std::mt19937 rng(11);
  std::normal_distribution<double> nd;
  std::vector<float> panel(257 * n_steps);
  for (int64_t s = 0; s < 257; ++s) {
    double level = 50.0 + s, prev = 0.0;
    for (int64_t t = 0; t < n_steps; ++t) {
      const double e = nd(rng);
      level += 0.5 * e + 0.3 * prev;
      prev = e;
      panel[s * n_steps + t] = static_cast<float>(level + 5.0 * std::sin(t * 2.0 * M_PI / 12.0));
    }
    for (int64_t t = 0; t < s % 9; ++t) panel[s * n_steps + t] = NAN;  // ragged starts
  }
  for (int64_t batch : {1, 2, 257}) {
    const BatchForecast b = forecast_batch(*model, panel.data(), batch, n_steps, 12, h, levels);
    for (float v : b.mean) ASSERT_TRUE(std::isfinite(v));
    // Every series of the small batches, every 16th of the large one (each call refits).
    for (int64_t s = 0; s < batch; s += batch == 257 ? 16 : 1) {
      const BatchForecast one = forecast_batch(*model, panel.data() + s * n_steps, 1, n_steps, 12, h, levels);
      for (int64_t i = 0; i < h; ++i) ASSERT_EQ(b.mean[s * h + i], one.mean[i]) << "batch " << batch << " series " << s;
      for (int64_t i = 0; i < h * 3; ++i) ASSERT_EQ(b.quantiles[s * h * 3 + i], one.quantiles[i]);
    }
  }
}

}  // namespace
}  // namespace skucast
