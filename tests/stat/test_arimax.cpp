// tests/stat/test_arimax.cpp — regression with ARIMA errors (engine/stat/arima/arimax.h), the forecast
// transforms (engine/stat/boxcox.h) and the regressor plumbing (forecast_batch, --regressors):
//   - statsmodels SARIMAX(exog =) parity of the log-likelihood, forecasts and standard errors at
//     given parameters and of the MLE (tests/data/statsmodels_arimax.csv,
//     tests/py/gen_arimax_fixtures.py);
//   - Guerrero's lambda and the bias-adjusted back-transform against R's forecast 8.20
//     (tests/data/r_boxcox.csv, tests/py/gen_boxcox_fixtures.R);
//   - collinear / constant / missing regressors, fallbacks never NaN, regressor rows aligned
//     with the trimmed series;
//   - `skucast forecast --model arimax --regressors ...` and `skucast backtest` end to end, and
//     bad input (unknown regressor, short future part, log of negative values) → exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/arimax.h"
#include "engine/stat/arima/regressors.h"
#include "engine/stat/boxcox.h"
#include "engine/stat/model.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"
#include "tests/fixture_csv.h"

namespace skucast {
namespace {

// ------------------------------------------------------------- fixtures ----

using test::split_doubles;  // tests/fixture_csv.h

// Rows of a committed CSV fixture ('#' comments, one header line) as fields.
// env (optional): a variable naming a freshly generated file to read instead (the live parity
// test tests/py/test_arimax_parity.py sets it).
std::vector<std::vector<std::string>> load_rows(const std::string& name, const std::string& header_start,
                                                const char* regen, const char* env = nullptr) {
  const char* fresh = env != nullptr ? std::getenv(env) : nullptr;
  const std::string path = fresh != nullptr ? std::string(fresh) : std::string(SKUCAST_TEST_DATA) + "/" + name;
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot open " << path << " (regenerate: " << regen << ")";
  std::vector<std::vector<std::string>> rows;
  std::string line;
  bool header = true;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      EXPECT_EQ(line.rfind(header_start, 0), 0u) << "unexpected header in " << path << "; regenerate: " << regen;
      header = false;
      continue;
    }
    std::vector<std::string> col;
    std::stringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, ',')) col.push_back(tok);
    if (!line.empty() && line.back() == ',') col.emplace_back();
    rows.push_back(col);
  }
  return rows;
}

struct XregCase {
  std::string name;
  ArimaOrder order;
  int k = 0;
  std::vector<double> params, params_alt, y, x, forecast, forecast_se;  // x [n + h, k]
  double llf = 0, llf_alt = 0;
};

std::vector<XregCase> load_xreg_cases() {
  std::vector<XregCase> out;
  for (const auto& col : load_rows("statsmodels_arimax.csv", "case,p,d,q,P,D,Q,m,constant,k,params,llf,",
                                   "/usr/bin/python3 tests/py/gen_arimax_fixtures.py",
                                   "SKUCAST_STATSMODELS_ARIMAX_FIXTURE")) {
    EXPECT_EQ(col.size(), 18u);
    if (col.size() != 18) continue;
    XregCase c;
    c.name = col[0];
    c.order.p = std::stoi(col[1]);
    c.order.d = std::stoi(col[2]);
    c.order.q = std::stoi(col[3]);
    c.order.P = std::stoi(col[4]);
    c.order.D = std::stoi(col[5]);
    c.order.Q = std::stoi(col[6]);
    c.order.m = std::stoi(col[7]);
    c.order.constant = col[8] == "1";
    c.k = std::stoi(col[9]);
    c.params = split_doubles(col[10]);
    c.llf = std::stod(col[11]);
    c.params_alt = split_doubles(col[12]);
    c.llf_alt = std::stod(col[13]);
    c.y = split_doubles(col[14]);
    c.x = split_doubles(col[15]);
    c.forecast = split_doubles(col[16]);
    c.forecast_se = split_doubles(col[17]);
    out.push_back(c);
  }
  EXPECT_GE(out.size(), 4u);
  return out;
}

// statsmodels' params [const?, beta (k), ar, ma, sar, sma, sigma2] -> coefficients and sigma2.
ArimaCoefs coefs_of(const XregCase& c, const std::vector<double>& par, double& sigma2) {
  ArimaCoefs co;
  size_t i = 0;
  if (c.order.constant) co.mu = par[i++];
  for (int j = 0; j < c.k; ++j) co.beta[j] = par[i++];
  for (int j = 0; j < c.order.p; ++j) co.ar[j] = par[i++];
  for (int j = 0; j < c.order.q; ++j) co.ma[j] = par[i++];
  for (int j = 0; j < c.order.P; ++j) co.sar[j] = par[i++];
  for (int j = 0; j < c.order.Q; ++j) co.sma[j] = par[i++];
  sigma2 = par[i++];
  EXPECT_EQ(i, par.size()) << c.name;
  return co;
}

double rel_err(double a, double b) { return std::fabs(a - b) / std::fmax(std::fabs(b), 1e-300); }

// ------------------------------------------------- statsmodels parity ----

TEST(Arimax, LoglikMatchesStatsmodelsAtGivenParameters) {
  auto s = std::make_unique<ArimaScratch>();
  for (const XregCase& c : load_xreg_cases()) {
    const int64_t n = static_cast<int64_t>(c.y.size());
    const int64_t nw = arima_n_diff(c.order, n);
    // u = w - xd beta: the differenced series less the differenced regressors.
    std::vector<double> w(nw), col(n), xcol(nw);
    arima_difference(c.y.data(), n, c.order, w.data());
    for (const auto* par : {&c.params, &c.params_alt}) {
      double sigma2 = 0;
      const ArimaCoefs co = coefs_of(c, *par, sigma2);
      std::vector<double> u = w;
      for (int j = 0; j < c.k; ++j) {
        for (int64_t t = 0; t < n; ++t) col[t] = c.x[t * c.k + j];
        arima_difference(col.data(), n, c.order, xcol.data());
        for (int64_t t = 0; t < nw; ++t) u[t] -= co.beta[j] * xcol[t];
      }
      const double ll = arima_loglik(u.data(), nw, c.order, co, sigma2, *s);
      const double want = par == &c.params ? c.llf : c.llf_alt;
      EXPECT_LT(rel_err(ll, want), 1e-8) << c.name << ": " << ll << " vs " << want;
    }
  }
}

TEST(Arimax, ForecastsMatchStatsmodelsAtGivenParameters) {
  auto s = std::make_unique<ArimaScratch>();
  for (const XregCase& c : load_xreg_cases()) {
    const int64_t n = static_cast<int64_t>(c.y.size());
    const int64_t h = static_cast<int64_t>(c.forecast.size());
    ASSERT_EQ(static_cast<int64_t>(c.x.size()), (n + h) * c.k) << c.name;
    double sigma2 = 0;
    const ArimaCoefs co = coefs_of(c, c.params, sigma2);
    const ArimaXreg xr{c.x.data(), c.k};
    std::vector<double> mean(h), sd(h);
    ASSERT_TRUE(arima_forecast(c.y.data(), n, c.order, co, sigma2, h, mean.data(), sd.data(), *s, &xr)) << c.name;
    for (int64_t i = 0; i < h; ++i) {
      EXPECT_LT(rel_err(mean[i], c.forecast[i]), 1e-8) << c.name << " h=" << i + 1;
      EXPECT_LT(rel_err(sd[i], c.forecast_se[i]), 1e-8) << c.name << " h=" << i + 1;
    }
  }
}

TEST(Arimax, MleAgreesWithStatsmodels) {
  auto s = std::make_unique<ArimaScratch>();
  for (const XregCase& c : load_xreg_cases()) {
    const int64_t n = static_cast<int64_t>(c.y.size());
    const ArimaXreg xr{c.x.data(), c.k};  // the first n rows are the history
    ArimaFit fit;
    ASSERT_TRUE(arima_fit(c.y.data(), n, c.order, fit, *s, &xr)) << c.name;
    // Same likelihood, different optimisers: ours must reach statsmodels' optimum.
    EXPECT_GT(fit.loglik, c.llf - 1e-6 * std::fabs(c.llf) - 1e-5) << c.name << ": " << fit.loglik << " vs " << c.llf;
    EXPECT_EQ(fit.n_coef, static_cast<int>(c.params.size()) - 1) << c.name;
    double sigma2 = 0;
    const ArimaCoefs ref = coefs_of(c, c.params, sigma2);
    EXPECT_LT(rel_err(fit.sigma2, sigma2), 1e-3) << c.name;
    auto near = [&](double a, double b, const char* what) {
      if (std::fabs(b) > 0.99) return;  // on the invertibility boundary: flat likelihood, skip
      EXPECT_NEAR(a, b, 2e-3 * std::fmax(1.0, std::fabs(b))) << c.name << " " << what;
    };
    for (int i = 0; i < c.order.p; ++i) near(fit.coefs.ar[i], ref.ar[i], "ar");
    for (int i = 0; i < c.order.q; ++i) near(fit.coefs.ma[i], ref.ma[i], "ma");
    for (int i = 0; i < c.order.P; ++i) near(fit.coefs.sar[i], ref.sar[i], "sar");
    for (int i = 0; i < c.order.Q; ++i) near(fit.coefs.sma[i], ref.sma[i], "sma");
    for (int j = 0; j < c.k; ++j)
      EXPECT_NEAR(fit.coefs.beta[j], ref.beta[j], 2e-3 * std::fmax(1.0, std::fabs(ref.beta[j]))) << c.name << " beta" << j;
    if (c.order.constant) {
      EXPECT_NEAR(fit.coefs.mu, ref.mu, 2e-3 * std::fmax(1.0, std::fabs(ref.mu))) << c.name;
    }
  }
}

// A duplicated column and an all-zero column change nothing: they are left out of the
// estimation (beta 0, not counted), Note [ARIMAX estimation].
TEST(Arimax, CollinearAndZeroColumnsAreLeftOut) {
  auto s = std::make_unique<ArimaScratch>();
  const XregCase c = load_xreg_cases()[0];
  const int64_t n = static_cast<int64_t>(c.y.size());
  std::vector<double> x4(n * 4);  // [n, 4]: x0, x1, x0 again, zeros
  for (int64_t t = 0; t < n; ++t) {
    x4[t * 4 + 0] = c.x[t * c.k + 0];
    x4[t * 4 + 1] = c.x[t * c.k + 1];
    x4[t * 4 + 2] = c.x[t * c.k + 0];
    x4[t * 4 + 3] = 0.0;
  }
  ArimaFit ref, fit;
  const ArimaXreg x2{c.x.data(), c.k}, xr4{x4.data(), 4};
  ASSERT_TRUE(arima_fit(c.y.data(), n, c.order, ref, *s, &x2));
  ASSERT_TRUE(arima_fit(c.y.data(), n, c.order, fit, *s, &xr4));
  EXPECT_NEAR(fit.loglik, ref.loglik, 1e-6 * std::fabs(ref.loglik));
  EXPECT_EQ(fit.n_coef, ref.n_coef);
  EXPECT_EQ(fit.coefs.beta[2], 0.0);
  EXPECT_EQ(fit.coefs.beta[3], 0.0);
  EXPECT_NEAR(fit.coefs.beta[0], ref.coefs.beta[0], 2e-3 * std::fabs(ref.coefs.beta[0]));
}

// The model on a series with a strong regressor effect beats the plain arima, and its
// forecast follows the future regressor.
TEST(Arimax, ModelUsesTheRegressor) {
  std::mt19937 rng(5);
  std::normal_distribution<double> nd;
  std::bernoulli_distribution promo(0.2);
  const int64_t n = 150, h = 10;
  std::vector<double> y(n), x((n + h) * 1);
  double u = 0.0;
  for (int64_t t = 0; t < n + h; ++t) {
    x[t] = promo(rng) ? 1.0 : 0.0;
    u = 0.5 * u + nd(rng);
    if (t < n) y[t] = 100.0 + 20.0 * x[t] + u;
  }
  const auto model = make_stat_model("arimax");
  EXPECT_TRUE(model->uses_regressors());
  EXPECT_FALSE(make_stat_model("arima")->uses_regressors());
  EXPECT_TRUE(make_stat_model("ets+arimax")->uses_regressors());
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  std::vector<double> mean(h), q(h * 3);
  SeriesOutput out{mean.data(), q.data(), false};
  SeriesInput in{y.data(), n, 1};
  in.regressors = x.data();
  in.n_regressors = 1;
  model->forecast_series(in, ForecastSpec{h, levels.data(), 3}, out);
  EXPECT_FALSE(out.fallback);
  for (int64_t i = 0; i < h; ++i) {
    const double want = 100.0 + 20.0 * x[n + i];
    EXPECT_NEAR(mean[i], want, 6.0) << "step " << i + 1 << " promo " << x[n + i];
  }
}

// ------------------------------------------------- residuals vs R ----

// Note [ARIMAX residuals]: residuals(auto.arima(y, xreg = x)) from R's forecast 8.20 on a
// regression with AR(1) errors; R (t = 1..85):
//   x <- ifelse(sin(0.9 t^1.3) > 0.5, 1, 0); e <- 2 sin(1.3 t^1.5) + cos(2.9 t^1.2)
//   u_1 = e_1, u_t = 0.6 u_(t-1) + e_t; y <- 50 + 8 x + u; the first 80 values fitted
// (R: regression with ARIMA(1,0,0) errors, ar1 0.552, intercept 50.18, xreg 8.19). R's first
// residual is the innovation divided by sqrt(F_1) = 1/sqrt(1 − ar1²) (the AR(1) start; our
// residual is the innovation itself), F_t = 1 after it, so the comparison starts at t = 2.
TEST(Arimax, ResidualsMatchR) {
  const std::vector<float> x = {1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1};
  const std::vector<float> y = {58.9561582057, 58.4823259851, 51.0413371273, 48.0487405445, 59.0760056330, 52.1257018100, 49.6470612964, 55.1485757897, 46.3130471932, 46.8589594050, 55.8174792078, 48.3012201627, 48.0774120932, 48.1039899047, 49.9187046640, 60.5745497939, 51.9860924408, 57.6578417804, 51.6213214910, 51.2419017729, 50.1034104135, 52.2262330094, 50.2413001324, 52.7807755961, 59.1260500567, 52.5172226485, 60.6947538801, 50.4687277087, 60.1453338157, 50.7300662509, 47.5792051115, 48.1578003900, 50.2785139744, 50.5157268278, 49.4128424373, 56.7738586807, 48.9929862352, 57.4826909789, 49.9882325576, 58.8914281624, 52.4851299407, 54.2408132059, 55.0058144885, 54.0756854084, 59.9942334571, 50.0309395652, 56.8869705656, 48.4020039870, 48.5981829671, 57.8075009373, 51.0164782217, 58.4034308846, 49.2355778018, 50.1677249628, 58.4640617530, 48.7565127928, 50.6654068005, 59.3392435061, 47.8650511395, 58.7449128028, 50.4810359058, 49.9138980916, 57.6053695263, 49.6046187827, 51.3083842783, 57.1590002376, 49.5673496843, 50.9661269584, 57.3894665933, 50.5006436741, 48.9970758284, 59.0328969531, 50.2185254253, 48.3800265647, 59.1806608299, 50.8770290653, 48.4528556986, 57.6587640044, 51.0690070010, 50.9128029492};
  const std::vector<double> r = {0.4912965902, -0.2098544432, 0.7988762157, -2.6061374269, 1.8847077426, 1.5555586940, -1.6063330816, -2.9249171854, -2.0893462398, -1.1861331816, -0.7171175344, -0.4703753262, -1.0650549841, -0.9149460361, 0.8850990677, 2.3511229314, 0.5888260510, -1.7066822821, 1.8339356399, 0.2669007259, -0.6621694581, 2.0890448294, -1.0675825634, 2.5674790178, -0.6771003407, 1.9194574520, 1.0370718529, -0.9948854727, 1.6183210641, -0.4302938572, -2.9038665207, -0.5861496009, 1.2152076153, 0.2818900242, -0.9519242895, -1.1703569099, -0.3064840680, -0.2297844699, 0.2975214045, 0.6296252944, 2.0168645843, 2.7890320336, 2.5849818008, 1.2326093315, -0.5236439875, -1.0460205160, -1.3984044872, -0.9598985588, -0.5999118646, 0.3129376329, 1.1464878166, -0.4259134293, -0.9633368631, 0.5095380492, 0.1031878335, -1.4758671537, 1.2716404018, 0.7036734904, -2.8503864409, 1.6550025031, 0.0936398805, -0.4317209385, -0.6154043427, -0.1538049439, 1.4465047461, -1.8314619796, 0.0553000299, 1.1248181504, -1.4120862796, 0.8613878341, -1.3593657334, 1.3181642483, -0.3278238023, -1.8206994862, 1.8065092174, 0.2491213860, -2.1113322380, 0.2444142627, 1.2811121272, 0.2426525573};
  const int64_t n = static_cast<int64_t>(y.size()), H = static_cast<int64_t>(x.size()) - n;
  ASSERT_EQ(H, 5);
  const auto model = make_stat_model("arimax");
  std::vector<float> resid(static_cast<size_t>(n));  // [1, T]
  BatchOptions bo;
  bo.xreg = x.data();
  bo.xreg_steps = n + H;
  bo.n_xreg = 1;
  bo.residuals = resid.data();
  const BatchForecast fc = forecast_batch(*model, y.data(), 1, n, 1, H, {0.5}, bo);
  EXPECT_EQ(fc.n_no_fitted, 0);
  EXPECT_EQ(fc.n_fallback, 0);
  // Our optimiser's coefficients and float storage of y: 2e-3 absolute on residuals of sd 1.4.
  for (int64_t t = 1; t < n; ++t) EXPECT_NEAR(resid[static_cast<size_t>(t)], r[static_cast<size_t>(t)], 2e-3) << "t " << t;
  // The plain arima's residuals differ (the regressor explains 8 units at its steps).
  std::vector<float> plain(static_cast<size_t>(n));
  BatchOptions pb;
  pb.residuals = plain.data();
  forecast_batch(*make_stat_model("arima"), y.data(), 1, n, 1, H, {0.5}, pb);
  double diff = 0.0;
  for (size_t t = 1; t < plain.size(); ++t)
    if (std::isfinite(plain[t])) diff = std::max(diff, static_cast<double>(std::fabs(plain[t] - resid[t])));
  EXPECT_GT(diff, 1.0);
}

// ------------------------------------------------------- Box-Cox vs R ----

TEST(BoxCox, GuerreroLambdaMatchesR) {
  int n_cases = 0;
  for (const auto& col : load_rows("r_boxcox.csv", "kind,case,frequency,lambda,values",
                                   "Rscript tests/py/gen_boxcox_fixtures.R")) {
    ASSERT_EQ(col.size(), 8u);
    if (col[0] != "lambda") continue;
    const std::vector<double> x = split_doubles(col[4]);
    const double want = std::stod(col[3]);
    const double got = boxcox_lambda_guerrero(x.data(), static_cast<int64_t>(x.size()), std::stoi(col[2]));
    EXPECT_NEAR(got, want, 1e-7) << col[1];
    ++n_cases;
  }
  EXPECT_GE(n_cases, 8);
}

TEST(BoxCox, BiasAdjustedMeanMatchesR) {
  int n_cases = 0;
  for (const auto& col : load_rows("r_boxcox.csv", "kind,case,frequency,lambda,values",
                                   "Rscript tests/py/gen_boxcox_fixtures.R")) {
    if (col[0] != "invbc") continue;
    SeriesTransform t;
    t.kind = Transform::BoxCox;
    t.lambda = std::stod(col[3]);
    const double got = inverse_transform_mean(t, std::stod(col[5]), std::stod(col[6]));
    const double want = std::stod(col[7]);
    if (std::isfinite(want)) {
      EXPECT_LT(rel_err(got, want), 1e-12) << col[1];
    } else {
      EXPECT_FALSE(std::isfinite(got)) << col[1];  // beyond -1/lambda: R gives NA/NaN
    }
    ++n_cases;
  }
  EXPECT_GE(n_cases, 6);
}

TEST(BoxCox, TransformsRoundTripAndAreIncreasing) {
  for (Transform kind : {Transform::Log, Transform::BoxCox}) {
    for (double lambda : {-0.5, 0.0, 0.4, 1.0, 1.7}) {
      SeriesTransform t;
      t.kind = kind;
      t.lambda = kind == Transform::Log ? 0.0 : lambda;
      t.shift = kind == Transform::Log ? 1.0 : 0.0;
      double prev = -INFINITY;
      for (double y : {0.5, 1.0, 3.0, 10.0, 250.0}) {
        const double z = transform_value(t, y);
        EXPECT_GT(z, prev);
        prev = z;
        EXPECT_NEAR(inverse_transform_value(t, z), y, 1e-10 * y);
      }
    }
  }
  EXPECT_EQ(parse_transform("log"), Transform::Log);
  EXPECT_THROW(parse_transform("sqrt"), InputError);
}

// ------------------------------------------------------------- runner ----

std::vector<float> seasonal_panel(int64_t n_series, int64_t n_steps, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd;
  std::vector<float> y(n_series * n_steps);
  for (int64_t s = 0; s < n_series; ++s) {
    double level = 40.0 + 3.0 * s;
    for (int64_t t = 0; t < n_steps; ++t) {
      level += 0.3 * nd(rng);
      y[s * n_steps + t] = static_cast<float>(std::fmax(0.0, level + 6.0 * std::sin(t * 2.0 * M_PI / 7.0) + nd(rng)));
    }
  }
  return y;
}

TEST(ForecastTransforms, LogAndBoxCoxGiveFiniteOrderedForecasts) {
  const int64_t S = 6, T = 84, H = 14;
  std::vector<float> y = seasonal_panel(S, T, 3);
  for (int64_t t = 0; t < T; t += 5) y[2 * T + t] = 0.0f;  // zeros: log1p / shifted Box-Cox
  for (int64_t t = 0; t < 10; ++t) y[3 * T + t] = NAN;      // late start
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  // The transform is the runner's, the same for every model: cheap models keep this fast.
  for (const char* name : {"ets", "theta", "naive", "ets+theta"}) {
    const auto model = make_stat_model(name);
    for (Transform tr : {Transform::Log, Transform::BoxCox}) {
      BatchOptions bo;
      bo.transform = tr;
      const BatchForecast b = forecast_batch(*model, y.data(), S, T, 7, H, levels, bo);
      for (int64_t i = 0; i < S * H; ++i) {
        ASSERT_TRUE(std::isfinite(b.mean[i])) << name;
        const float* q = b.quantiles.data() + i * 3;
        EXPECT_LE(q[0], q[1]);
        EXPECT_LE(q[1], q[2]);
        EXPECT_GE(q[0], 0.0f);
        // The bias-adjusted mean of a right-skewed back-transform lies at or above the median.
        if (tr == Transform::Log) {
          EXPECT_GE(b.mean[i], q[1] * (1.0f - 1e-5f)) << name;
        }
      }
    }
  }
}

TEST(ForecastTransforms, NegativeValuesAreAnInputErrorNamingTheSeries) {
  const int64_t S = 3, T = 30;
  std::vector<float> y = seasonal_panel(S, T, 4);
  y[1 * T + 7] = -2.0f;
  const std::vector<std::string> ids = {"a", "shrink", "c"};
  BatchOptions bo;
  bo.transform = Transform::Log;
  bo.ids = ids.data();
  try {
    forecast_batch(*make_stat_model("naive"), y.data(), S, T, 7, 5, {0.5}, bo);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'shrink'"), std::string::npos) << e.what();
  }
}

// Regressor rows follow the trimmed series: a series padded with leading/trailing NaN (and its
// regressors with anything on the padding) forecasts exactly as the unpadded one.
TEST(ForecastRegressors, RowsAlignWithTheTrimmedSeries) {
  std::mt19937 rng(9);
  std::normal_distribution<double> nd;
  std::bernoulli_distribution promo(0.25);
  const int64_t n = 90, H = 8, pad = 7, tail = 3;
  std::vector<float> y(n), x(n + H);
  double u = 0.0;
  for (int64_t t = 0; t < n + H; ++t) {
    x[t] = promo(rng) ? 1.0f : 0.0f;
    u = 0.6 * u + nd(rng);
    if (t < n) y[t] = static_cast<float>(30.0 + 12.0 * x[t] + u);
  }
  x[20] = NAN;  // a missing regressor value: carried forward
  const auto model = make_stat_model("arimax");
  const std::vector<double> levels = {0.1, 0.9};
  BatchOptions a;
  a.xreg = x.data();
  a.xreg_steps = n + H;
  a.n_xreg = 1;
  const BatchForecast ref = forecast_batch(*model, y.data(), 1, n, 1, H, levels, a);
  EXPECT_EQ(ref.n_fallback, 0);
  // Padded: pad leading NaN, tail trailing NaN (a delisted series), horizon rows after T.
  const int64_t T = pad + n + tail;
  std::vector<float> yp(T, NAN), xp(T + H, 99.0f);
  for (int64_t t = 0; t < n; ++t) yp[pad + t] = y[t], xp[pad + t] = x[t];
  for (int64_t i = 0; i < H; ++i) xp[T + i] = x[n + i];
  BatchOptions b = a;
  b.xreg = xp.data();
  b.xreg_steps = T + H;
  const BatchForecast got = forecast_batch(*model, yp.data(), 1, T, 1, H, levels, b);
  for (int64_t i = 0; i < H; ++i) EXPECT_EQ(got.mean[i], ref.mean[i]) << "step " << i + 1;
  // Too few regressor rows is an InputError.
  b.xreg_steps = T;
  EXPECT_THROW(forecast_batch(*model, yp.data(), 1, T, 1, H, levels, b), InputError);
}

TEST(ForecastRegressors, AwkwardInputsNeverNaN) {
  const int64_t S = 5, T = 40, H = 6, K = 3;
  std::vector<float> y = seasonal_panel(S, T, 8);
  for (int64_t t = 0; t < T; ++t) y[0 * T + t] = 5.0f;    // constant series
  for (int64_t t = 3; t < T; ++t) y[1 * T + t] = NAN;      // 3 observations
  for (int64_t t = 0; t < T; ++t) y[4 * T + t] = NAN;      // never observed
  std::vector<float> x(S * (T + H) * K);                   // [S, T+H, K]
  std::mt19937 rng(2);
  std::normal_distribution<double> nd;
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T + H; ++t) {
      float* r = x.data() + (s * (T + H) + t) * K;
      r[0] = 0.0f;                                           // a flag that never fires
      r[1] = s == 2 ? NAN : static_cast<float>(3.0 + nd(rng));  // all missing for series 2
      r[2] = s == 3 ? 1e30f : static_cast<float>(t % 4 == 0);   // huge for series 3
    }
  BatchOptions bo;
  bo.xreg = x.data();
  bo.xreg_steps = T + H;
  bo.n_xreg = K;
  for (const char* name : {"arimax", "arimax+ets"}) {
    const BatchForecast b = forecast_batch(*make_stat_model(name), y.data(), S, T, 7, H, {0.1, 0.5, 0.9}, bo);
    for (float v : b.mean) EXPECT_TRUE(std::isfinite(v)) << name;
    for (float v : b.quantiles) EXPECT_TRUE(std::isfinite(v)) << name;
    EXPECT_GE(b.n_fallback, 3) << name;  // constant, too short, never observed
  }
}

// Note [Regressor use]: why each series' arimax left out a column (no value in its history,
// constant, collinear), which columns it fitted with missing future values, and the run's
// notes; asking for it changes no forecast.
TEST(ForecastRegressors, UseOfEachColumnAndNotes) {
  const int64_t S = 3, T = 60, H = 4, X = T + H;
  const int K = 5;
  std::mt19937 rng(5);
  std::normal_distribution<double> nd;
  std::bernoulli_distribution coin(0.3);
  std::vector<float> y(S * T), x(S * X * K);  // [S, T], [S, T+H, K]
  for (int64_t s = 0; s < S; ++s) {
    double u = 0.0;
    for (int64_t t = 0; t < X; ++t) {
      float* r = x.data() + (s * X + t) * K;
      r[0] = s == 2 ? 0.0f : static_cast<float>(coin(rng));      // promo; never on for series 2
      r[1] = NAN;                                                // no value anywhere
      r[2] = static_cast<float>(2.0 + 0.2 * nd(rng));            // price
      if (s == 1 && t >= T + 1) r[2] = NAN;                      //   its future part missing
      r[3] = 1.0f + 2.0f * r[0];                                 // affine in promo
      r[4] = static_cast<float>(t % 5 == 0);                     // varies everywhere
      u = 0.5 * u + nd(rng);
      if (t < T) y[s * T + t] = static_cast<float>(20.0 + 6.0 * r[0] - 3.0 * r[2] + u);
    }
  }
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  BatchOptions bo;
  bo.xreg = x.data();
  bo.xreg_steps = X;
  bo.n_xreg = K;
  for (const char* name : {"arimax", "ets+arimax"}) {
    const auto model = make_stat_model(name);
    const BatchForecast plain = forecast_batch(*model, y.data(), S, T, 1, H, levels, bo);
    std::vector<RegressorUse> use(S * K, RegressorUse::Unread);
    BatchOptions with = bo;
    with.regressor_use = use.data();
    const BatchForecast b = forecast_batch(*model, y.data(), S, T, 1, H, levels, with);
    EXPECT_EQ(b.mean, plain.mean) << name;
    EXPECT_EQ(b.quantiles, plain.quantiles) << name;
    using U = RegressorUse;
    const std::vector<RegressorUse> want = {
        U::Used, U::NoHistory, U::Used, U::Collinear, U::Used,         // series 0
        U::Used, U::NoHistory, U::UsedCarried, U::Collinear, U::Used,  // series 1: price's future carried
        U::Constant, U::NoHistory, U::Used, U::Constant, U::Used,      // series 2: no promotion
    };
    for (int64_t i = 0; i < S * K; ++i)
      EXPECT_EQ(static_cast<int>(use[i]), static_cast<int>(want[i])) << name << ": series " << i / K << " column " << i % K;
    // A model without regressors decides nothing.
    std::fill(use.begin(), use.end(), RegressorUse::Used);
    forecast_batch(*make_stat_model("ets"), y.data(), S, T, 1, H, levels, with);
    for (RegressorUse u : use) EXPECT_EQ(static_cast<int>(u), static_cast<int>(RegressorUse::Unread)) << name;
  }
  // The notes: one line per column some series left out or carried forward.
  using C = RegressorColumn;
  RegressorPlan plan;
  plan.columns = {{C::Source::Dynamic, "promo"}, {C::Source::Dynamic, "allmiss"}, {C::Source::Dynamic, "price", true},
                  {C::Source::Dynamic, "dup"}, {C::Source::Event, "xmas"}};
  std::vector<RegressorUse> use(S * K);
  BatchOptions with = bo;
  with.regressor_use = use.data();
  forecast_batch(*make_stat_model("arimax"), y.data(), S, T, 1, H, levels, with);
  RegressorUseCount count;
  count.add(use.data(), S, K);
  const std::vector<std::string> notes = regressor_use_notes(plan, count);
  const std::vector<std::string> want = {
      "arimax: regressor 'promo' left out for 1 of 3 series (constant over their history)",
      "arimax: regressor 'allmiss' left out for 3 of 3 series (no value in their history)",
      "arimax: regressor 'price:log' has missing future values for 1 of 3 series (their last known value is carried "
      "over the horizon)",
      "arimax: regressor 'dup' left out for 3 of 3 series (1 constant over their history, 2 a linear combination of "
      "the mean and the regressors listed before it)",
  };
  EXPECT_EQ(notes, want);
  // Both in one line; nothing to say when every series used every column.
  RegressorUseCount both;
  const std::vector<RegressorUse> two = {RegressorUse::Constant, RegressorUse::UsedCarried, RegressorUse::Used};
  both.add(two.data(), 3, 1);
  EXPECT_EQ(regressor_use_notes({{plan.columns[0]}}, both),
            std::vector<std::string>{"arimax: regressor 'promo' left out for 1 of 3 series (constant over their "
                                     "history); its future values are missing for 1 series (their last known value is "
                                     "carried over the horizon)"});
  RegressorUseCount fine;
  const std::vector<RegressorUse> used = {RegressorUse::Used, RegressorUse::Unread};
  fine.add(used.data(), 2, 1);
  EXPECT_TRUE(regressor_use_notes({{plan.columns[0]}}, fine).empty());
}

// ------------------------------------------------------------------ CLI ----

using testing::CliResult;
using testing::run_skucast;

class CliArimax : public testing::ScratchTest {
 protected:
  // 8 weekly series, 104 weeks of history and F = 8 weeks of known price/promo; a shared
  // holiday event. Series 5 never has a promotion; series 6 has missing prices.
  void SetUp() override {
    ScratchTest::SetUp();
    m_panel = write_test_panel("p.h5", false);
  }
  // allmiss: a third covariate without any value, and series 7's price missing after the
  // first 2 future steps (Note [Regressor use]).
  std::string write_test_panel(const std::string& name, bool negative, bool allmiss = false) {
    const int64_t S = 8, T = 104, F = 8, W = T + F;
    PanelHeader h;
    h.axis = make_axis(Freq::Week, "2020-01-06", 52);
    h.n_steps = T;
    h.n_future = F;
    h.dynamic = {{"price", true}, {"promo", true}};
    EventSeries xmas{"xmas", std::vector<uint8_t>(W, 0)};
    for (int64_t t = 51; t < W; t += 52) xmas.flags[t] = 1;
    h.events = {xmas};
    std::mt19937 rng(21);
    std::normal_distribution<double> nd;
    std::bernoulli_distribution coin(0.2);
    std::vector<float> y(S * T), price(S * W), promo(S * W);
    for (int64_t s = 0; s < S; ++s) {
      h.ids.push_back("store" + std::to_string(s / 2) + "/sku" + std::to_string(s % 2));
      double u = 0.0;
      for (int64_t t = 0; t < W; ++t) {
        const bool on = s != 5 && coin(rng);
        promo[s * W + t] = on ? 1.0f : 0.0f;
        price[s * W + t] = static_cast<float>((on ? 2.49 : 2.99) + 0.1 * s);
        u = 0.5 * u + 2.0 * nd(rng);
        if (t < T) y[s * T + t] = static_cast<float>(std::fmax(0.0, 40.0 + 15.0 * on + 10.0 * xmas.flags[t] + u));
      }
    }
    for (int64_t t = 30; t < 40; ++t) price[6 * W + t] = NAN;
    if (negative) y[3 * T + 50] = -4.0f;
    const std::string p = path(name);
    if (allmiss) {
      h.dynamic.push_back({"allmiss", true});
      for (int64_t t = T + 2; t < W; ++t) price[7 * W + t] = NAN;
      write_panel(p, h, y, {price, promo, std::vector<float>(S * W, NAN)});
    } else {
      write_panel(p, h, y, {price, promo});
    }
    return p;
  }
  std::string m_panel;
};

TEST_F(CliArimax, ForecastWithRegressorsAndTransform) {
  CliResult r = run_skucast({"forecast", "--panel", m_panel, "--model", "arimax", "--regressors",
                             "price:log,promo,event:xmas", "--horizon", "8", "--out", path("fc.h5"), "--csv",
                             path("fc.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("regressors price:log,promo,event:xmas"), std::string::npos) << r.output;
  const ForecastFile fc = read_forecast(path("fc.h5"));
  EXPECT_EQ(fc.horizon, 8);
  for (float v : fc.mean) EXPECT_TRUE(std::isfinite(v));
  for (float v : fc.quantiles) EXPECT_TRUE(std::isfinite(v));
  // Default regressors (every dynamic covariate), Box-Cox, in an ensemble.
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "arimax+ets", "--transform", "boxcox", "--horizon", "8",
                   "--out", path("fc2.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("regressors price,promo, transform boxcox"), std::string::npos) << r.output;
  // A model without regressors ignores them (with a note); the future part is not needed.
  r = run_skucast({"forecast", "--panel", m_panel, "--model", "arima", "--regressors", "promo", "--horizon", "20",
                   "--out", path("fc3.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("does not use regressors"), std::string::npos) << r.output;
}

TEST_F(CliArimax, BacktestWithRegressors) {
  CliResult r = run_skucast({"backtest", "--panel", m_panel, "--models", "arima,arimax,arimax+ets", "--regressors",
                             "price,promo,events", "--horizon", "8", "--folds", "2", "--transform", "log",
                             "--summary", path("sum.csv")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::string sum = testing::read_text(m_dir / "sum.csv");
  EXPECT_NE(sum.find("\narimax,"), std::string::npos) << sum;
  EXPECT_NE(sum.find("\narimax+ets,"), std::string::npos) << sum;
}

// Note [ARIMAX residuals]: forecast --residuals stores arimax's residuals, so reconcile's
// mint_shrink (and backtest --reconcile mint_shrink) take an arimax base forecast.
TEST_F(CliArimax, ResidualsFeedMintShrink) {
  CliResult r = run_skucast({"aggregate", "--panel", m_panel, "--levels", "total", "--out", path("agg.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"forecast", "--panel", path("agg.h5"), "--model", "arimax", "--regressors", "price,promo",
                   "--horizon", "8", "--residuals", "--out", path("base.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  r = run_skucast({"reconcile", "--base", path("base.h5"), "--structure", path("agg.h5"), "--method", "mint_shrink",
                   "--out", path("rec.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  const ForecastFile base = read_forecast(path("base.h5")), rec = read_forecast(path("rec.h5"));
  ASSERT_EQ(rec.ids.size(), 9u);  // total, then the 8 series
  EXPECT_GT(base.residual_steps, 0);
  int64_t n_resid = 0;
  for (float v : base.residuals) n_resid += std::isfinite(v);
  EXPECT_GT(n_resid, 8 * 50);
  for (int64_t k = 0; k < 8; ++k) {
    double sum = 0.0;
    for (int64_t s = 1; s < 9; ++s) sum += rec.mean[static_cast<size_t>(s * 8 + k)];
    EXPECT_NEAR(rec.mean[static_cast<size_t>(k)], sum, 1e-4 * (1.0 + std::fabs(sum))) << "step " << k + 1;
  }
  r = run_skucast({"backtest", "--panel", path("agg.h5"), "--models", "arimax", "--regressors", "price,promo",
                   "--horizon", "8", "--folds", "2", "--reconcile", "wls_var,mint_shrink"});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("arimax:mint_shrink"), std::string::npos) << r.output;
}

// Note [Regressor use]: one note per column that series left out (or forecast with carried
// future values); Note [Regressors without history]: naming a column no series can fit is an
// error.
TEST_F(CliArimax, NotesOnRegressorsLeftOut) {
  const std::string p = write_test_panel("miss.h5", false, true);
  CliResult r = run_skucast({"forecast", "--panel", p, "--model", "arimax", "--horizon", "8", "--out", path("f.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("skucast: note: arimax: regressor 'allmiss' left out for 8 of 8 series (no value in their "
                          "history)\n"),
            std::string::npos)
      << r.output;
  // Series 5 never has a promotion, so its price never changes either.
  EXPECT_NE(r.output.find("skucast: note: arimax: regressor 'price' left out for 1 of 8 series (constant over their "
                          "history); its future values are missing for 1 series"),
            std::string::npos)
      << r.output;
  // The covariate without values changes no forecast: the same run without it.
  r = run_skucast({"forecast", "--panel", p, "--model", "arimax", "--regressors", "price,promo", "--horizon", "8",
                   "--out", path("g.h5")});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_EQ(r.output.find("'allmiss'"), std::string::npos) << r.output;
  EXPECT_EQ(read_forecast(path("f.h5")).mean, read_forecast(path("g.h5")).mean);
  for (const std::string cmd : {"forecast", "backtest"}) {
    std::vector<std::string> args = {cmd, "--panel", p, cmd == "forecast" ? "--model" : "--models", "arimax",
                                     "--regressors", "price,allmiss", "--horizon", "4"};
    if (cmd == "forecast") args.insert(args.end(), {"--out", path("bad.h5")});
    r = run_skucast(args);
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find("--regressors allmiss: " + p + " /dynamic/allmiss has no value in any series' history"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("drop it from --regressors"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(m_dir / "bad.h5"));
  }
}

TEST_F(CliArimax, BadInputExitsTwoWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string neg = write_test_panel("neg.h5", true);
  const std::vector<Case> cases = {
      {{"forecast", "--panel", m_panel, "--model", "arimax", "--regressors", "price,discount", "--horizon", "4"},
       "no dynamic covariate 'discount'"},
      {{"forecast", "--panel", m_panel, "--model", "arimax", "--regressors", "event:easter", "--horizon", "4"},
       "no event 'easter'"},
      {{"forecast", "--panel", m_panel, "--model", "arimax", "--regressors", "price", "--horizon", "12"},
       "/dynamic/price has 8 future step(s)"},
      {{"forecast", "--panel", m_panel, "--model", "arimax", "--regressors", "price,price", "--horizon", "4"},
       "listed twice"},
      {{"forecast", "--panel", m_panel, "--model", "arimax", "--regressors", "promo:log", "--horizon", "4"},
       "/dynamic/promo of series 'store0/sku0'"},
      {{"forecast", "--panel", neg, "--model", "arima", "--transform", "log", "--horizon", "4"}, "'store1/sku1'"},
      {{"backtest", "--panel", m_panel, "--models", "arimax", "--regressors", "cost", "--horizon", "4"},
       "dynamic covariates: price, promo"},
      {{"backtest", "--panel", neg, "--models", "ets", "--transform", "boxcox", "--horizon", "4"}, "'store1/sku1'"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = c.args;
    if (args[0] == "forecast") args.insert(args.end(), {"--out", path("bad.h5")});
    CliResult r = run_skucast(args);
    EXPECT_EQ(r.rc, 2) << args[5] << " " << args[6] << ": " << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << "expected '" << c.message << "' in: " << r.output;
    EXPECT_FALSE(std::filesystem::exists(m_dir / "bad.h5"));
  }
}

}  // namespace
}  // namespace skucast
