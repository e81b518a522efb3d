// tests/stat/test_auto_arima.cpp — the automatic ARIMA order (engine/stat/arima/auto.cpp) and its
// unit-root tests (engine/stat/arima/unit_root.h) against R forecast 8.20 on real series: the
// KPSS, seasonal-strength and OCSB statistics, ndiffs / nsdiffs, and auto.arima's chosen
// order, constant and AICc. Fixture: tests/data/r_auto_arima.csv (tests/data/gen_r_auto_arima.R).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/stat/arima/arima.h"
#include "engine/stat/model.h"
#include "engine/stat/arima/unit_root.h"
#include "tests/fixture_csv.h"

namespace skucast {
namespace {

using test::FixtureRow;

struct RCase {
  std::string name;
  int m = 1;
  bool approximation = false;
  std::vector<double> y;
  double kpss = 0, seas = 0, ocsb = 0, ocsb_crit = 0;
  int ndiffs = 0, nsdiffs_seas = 0, nsdiffs_ocsb = 0;
  ArimaOrder order;
  double aicc = 0;
};

const std::vector<RCase>& cases() {
  static const std::vector<RCase> all = [] {
    const std::string path = std::string(SKUCAST_TEST_DATA) + "/r_auto_arima.csv";
    const test::Fixture fx = test::read_fixture(path, "Rscript tests/data/gen_r_auto_arima.R");
    std::vector<RCase> out;
    for (const FixtureRow& r : fx.rows) {
      RCase c;
      c.name = r.at("name");
      const double m = r.num("m");
      c.m = m < 1.0 ? 1 : static_cast<int>(std::lround(m));  // auto.arima: m < 1 -> 1
      c.approximation = r.integer("approximation") == 1;
      c.y = test::split_doubles(r.at("y"));
      c.kpss = r.num("kpss_stat");
      c.seas = r.num("seas_strength");
      c.ocsb = r.num("ocsb_stat");
      c.ocsb_crit = r.num("ocsb_crit");
      c.ndiffs = r.integer("ndiffs");
      c.nsdiffs_seas = r.integer("nsdiffs_seas");
      c.nsdiffs_ocsb = r.integer("nsdiffs_ocsb");
      c.order.p = r.integer("p"), c.order.d = r.integer("d"), c.order.q = r.integer("q");
      c.order.P = r.integer("P"), c.order.D = r.integer("D"), c.order.Q = r.integer("Q");
      c.order.m = c.m;
      c.order.constant = r.integer("constant") == 1;
      c.aicc = r.num("aicc");
      EXPECT_EQ(static_cast<int64_t>(c.y.size()), static_cast<int64_t>(r.integer("n"))) << c.name;
      out.push_back(c);
    }
    return out;
  }();
  return all;
}

TEST(UnitRoot, FixtureHasEnoughCases) {
  EXPECT_GE(cases().size(), 60u);
}

TEST(UnitRoot, KpssMatchesUrca) {
  std::vector<double> work;
  for (const RCase& c : cases()) {
    const int64_t n = static_cast<int64_t>(c.y.size());
    const double s = kpss_level_stat(c.y.data(), n, kpss_ndiffs_lag(n));
    EXPECT_NEAR(s, c.kpss, 1e-9 * std::fabs(c.kpss)) << c.name;
    work.resize(static_cast<size_t>(n));
    EXPECT_EQ(ndiffs_kpss(c.y.data(), n, 2, work.data()), c.ndiffs) << c.name;
  }
}

TEST(UnitRoot, SeasonalStrengthMatchesStl) {
  int n_checked = 0;
  for (const RCase& c : cases()) {
    if (c.m < 2 || std::isnan(c.seas)) continue;
    const int64_t n = static_cast<int64_t>(c.y.size());
    std::vector<double> work(static_cast<size_t>(nsdiffs_work_size(n, c.m)));
    const double s = seasonal_strength(c.y.data(), n, c.m, work.data());
    // The STL port does R's floating-point operations in R's order: agreement to rounding.
    EXPECT_NEAR(s, c.seas, 1e-10) << c.name;
    EXPECT_EQ(nsdiffs(c.y.data(), n, c.m, SeasonalTest::Seas, 1, work.data()), c.nsdiffs_seas) << c.name;
    ++n_checked;
  }
  EXPECT_GE(n_checked, 30);
}

TEST(UnitRoot, OcsbMatchesForecast) {
  int n_checked = 0;
  for (const RCase& c : cases()) {
    if (c.m < 2 || std::isnan(c.ocsb)) continue;
    const int64_t n = static_cast<int64_t>(c.y.size());
    std::vector<double> work(static_cast<size_t>(nsdiffs_work_size(n, c.m)));
    double stat = 0, crit = 0;
    ASSERT_TRUE(ocsb_test(c.y.data(), n, c.m, &stat, &crit, work.data())) << c.name;
    EXPECT_NEAR(stat, c.ocsb, 1e-7 * std::fmax(1.0, std::fabs(c.ocsb))) << c.name;
    EXPECT_NEAR(crit, c.ocsb_crit, 1e-9) << c.name;
    EXPECT_EQ(nsdiffs(c.y.data(), n, c.m, SeasonalTest::Ocsb, 1, work.data()), c.nsdiffs_ocsb) << c.name;
    ++n_checked;
  }
  EXPECT_GE(n_checked, 30);
}

std::string order_str(const ArimaOrder& o) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "(%d,%d,%d)(%d,%d,%d)%d%s", o.p, o.d, o.q, o.P, o.D, o.Q, o.m,
                o.constant ? (o.d + o.D == 0 ? " mean" : " drift") : "");
  return buf;
}

bool same_order(const ArimaOrder& a, const ArimaOrder& b) {
  const bool seas_a = a.P + a.D + a.Q > 0, seas_b = b.P + b.D + b.Q > 0;
  return a.p == b.p && a.d == b.d && a.q == b.q && a.P == b.P && a.D == b.D && a.Q == b.Q && a.constant == b.constant &&
         (!seas_a || !seas_b || a.m == b.m) && seas_a == seas_b;
}

// Note [auto.arima parity]: the chosen order follows from the unit-root tests (exact, above)
// and from AICc comparisons of maximum-likelihood fits. Our fits and R's differ slightly (R's
// diffuse prior for the differencing, BFGS from one CSS start vs Nelder-Mead from several,
// Note [ARIMA automatic order] in arima.h): where R's optimiser stops at a poorer optimum our
// AICc is lower (wineind: 3001.26 vs R's 3004.48 for the same order), and a better optimum
// can sit on the MA unit circle, which myarima's root check rejects, so the search walks to a
// different order (WWWusage: (2,1,2) with drift is rejected here, R keeps its poorer optimum
// and ends at (1,1,1); we end at (3,1,0), AICc 512.42 vs R's 514.55). Tolerated: an order
// mismatch on at most kMaxMismatch of the cases; for matching orders our AICc must be at most
// R's + 0.05 (equal up to the likelihood differences, or better).
// Measured when written: the default run (58 cases): 57 of 58 orders match (the miss:
// WWWusage), 56 of the 57 with AICc within 0.05 of R's (wineind 3.22 lower); with
// SKUCAST_SLOW_TESTS=1 the first 69 cases in fixture order (to N1877, incl. co2, nottem,
// Seatbelts_front, gas_tail) gave 68 of 69 orders matching (the miss: WWWusage) and every
// matching AICc within 0.05 of R's except wineind (3.22 lower); the 9 later M3 monthly cases
// were not run to the end (machine time).
// The seasonal monthly searches below take 10-190 s each (many maximum-likelihood fits with
// state dimension up to 26: the cost of arima_fit), so they run only with SKUCAST_SLOW_TESTS=1.
constexpr int kMaxMismatch = 2;
const char* const kSlowCases[] = {"co2", "ldeaths", "nottem", "Seatbelts_front", "gas_tail", "mdeaths",
                                  "precip_nottem", "woolyrnq", "N1687", "N1782", "N1877", "N1972",
                                  "N2067", "N2162", "N2257", "N2352", "N2447", "N2542", "N2637", "N2732"};

bool is_slow(const std::string& name) {
  for (const char* s : kSlowCases)
    if (name == s) return true;
  return false;
}

TEST(AutoArima, OrdersMatchR) {
  auto s = std::make_unique<ArimaScratch>();
  int n_match = 0, n_total = 0, n_aicc_equal = 0;
  double max_aicc_diff = 0.0;
  std::string mismatches;
  const bool slow = std::getenv("SKUCAST_SLOW_TESTS") != nullptr;
  for (const RCase& c : cases()) {
    if (!slow && is_slow(c.name)) continue;
    ArimaFit fit;
    ArimaAutoInfo info;
    const auto t0 = std::chrono::steady_clock::now();
    const bool ok = arima_auto(c.y.data(), static_cast<int64_t>(c.y.size()), c.m, fit, *s, ArimaAutoOptions{}, &info);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (std::getenv("SKUCAST_TEST_VERBOSE"))
      std::fprintf(stderr, "%-22s %-28s R %-28s %7.3fs fits %d\n", c.name.c_str(), order_str(fit.order).c_str(),
                   order_str(c.order).c_str(), secs, info.n_fits);
    ++n_total;
    EXPECT_TRUE(ok) << c.name;
    if (!ok) continue;
    EXPECT_EQ(info.approximation, c.approximation) << c.name;
    EXPECT_EQ(fit.order.D, c.order.D) << c.name << ": nsdiffs disagrees";
    EXPECT_EQ(fit.order.d, c.order.d) << c.name << ": ndiffs disagrees";
    if (same_order(fit.order, c.order)) {
      ++n_match;
      EXPECT_LE(fit.aicc, c.aicc + 0.05) << c.name << " " << order_str(fit.order) << ": poorer optimum than R's";
      if (std::fabs(fit.aicc - c.aicc) <= 0.05) ++n_aicc_equal;
      max_aicc_diff = std::fmax(max_aicc_diff, std::fabs(fit.aicc - c.aicc));
    } else {
      char buf[256];
      std::snprintf(buf, sizeof buf, "  %-22s R %-26s AICc %.4f | skucast %-26s AICc %.4f\n", c.name.c_str(),
                    order_str(c.order).c_str(), c.aicc, order_str(fit.order).c_str(), fit.aicc);
      mismatches += buf;
    }
  }
  std::printf("auto.arima parity: %d of %d orders match R, %d of them with AICc within 0.05; max |AICc diff| %.3g\n%s",
              n_match, n_total, n_aicc_equal, max_aicc_diff, mismatches.c_str());
  EXPECT_GE(n_total, slow ? 78 : 58);
  EXPECT_LE(n_total - n_match, kMaxMismatch) << mismatches;
}

}  // namespace
}  // namespace skucast

namespace skucast {
namespace {

// Regressors: the unit-root tests run on the residuals of lm(y ~ x) and every candidate is an
// ARIMAX fit, so a strong regressor is recovered and the errors' order is found.
TEST(AutoArima, RegressorsArePassedToEveryFit) {
  std::mt19937 rng(11);
  std::normal_distribution<double> e(0.0, 1.0);
  const int64_t n = 120;
  std::vector<double> x(n), y(n);  // x [n, 1]: a promotion-like step regressor
  double u = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    x[t] = (t / 7) % 3 == 0 ? 1.0 : 0.0;
    u = 0.6 * u + e(rng);  // AR(1) errors
    y[t] = 50.0 + 8.0 * x[t] + u;
  }
  ArimaXreg xr{x.data(), 1};
  ArimaAutoOptions opt;
  opt.xreg = &xr;
  auto s = std::make_unique<ArimaScratch>();
  ArimaFit fit;
  ArimaAutoInfo info;
  ASSERT_TRUE(arima_auto(y.data(), n, 1, fit, *s, opt, &info));
  EXPECT_EQ(info.d, 0);
  EXPECT_NEAR(fit.coefs.beta[0], 8.0, 1.0);
  EXPECT_TRUE(std::isfinite(fit.aicc));
}

TEST(AutoArima, ApproximationSearchOnLongSeries) {
  // n > 150: the search fits by CSS, the winner is re-fitted by maximum likelihood.
  std::mt19937 rng(5);
  std::normal_distribution<double> e(0.0, 1.0);
  const int64_t n = 400;
  std::vector<double> y(n);
  double level = 0.0, prev = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    const double a = e(rng);
    level += a + 0.5 * prev;  // ARIMA(0,1,1)
    prev = a;
    y[t] = 100.0 + level;
  }
  auto s = std::make_unique<ArimaScratch>();
  ArimaFit fit;
  ArimaAutoInfo info;
  ASSERT_TRUE(arima_auto(y.data(), n, 1, fit, *s, ArimaAutoOptions{}, &info));
  EXPECT_TRUE(info.approximation);
  EXPECT_GE(info.n_refits, 1);
  EXPECT_EQ(fit.order.d, 1);
  EXPECT_TRUE(std::isfinite(fit.aicc));
}


// In-sample one-step residuals of "arima" (`forecast --residuals`): the Kalman filter's
// innovations, against R's residuals(auto.arima(y)) (forecast 8.x; the series were made in R:
// y2 <- cumsum(c(5, 2 sin(1.3 t) + cos(2.9 t))) for t = 1..59, which auto.arima fits as
// ARIMA(0,0,1) with non-zero mean; y3 <- 20 + cumsum(2 sin(1.3 t^1.5) + cos(2.9 t^1.2)),
// fitted as ARIMA(0,1,0)). R's residuals are the innovations divided by the square root of
// their relative variance F_t, which is 1 after the start (MA(1), theta 0.40: F_t − 1 ~ theta^2t,
// below 1e-8 from t = 10; a random walk's: 1 from its second value), so the comparison starts
// there; the first value of y3 has no prediction (NaN; R puts y_1 × 1e-3 there).
TEST(AutoArima, ResidualsMatchR) {
  const std::vector<double> y2 = {5.0000000000, 5.9561582057, 7.8726804663, 5.7485015023, 4.5498818206, 4.6251975300, 6.7432278207, 7.5014864604, 5.4917397289, 4.5353311658, 4.6276077098, 7.4862581665, 6.7310201798, 5.8727717599, 3.6919358420, 5.7889473887, 6.8973026859, 7.2490497015, 4.9194641250, 4.2025674823, 5.8468645187, 7.1482572792, 7.0752044876, 4.3307466026, 4.7869343630, 5.5841435585, 7.9583842732, 5.9544782181, 4.9141811679, 4.1661343762, 6.6634754830, 7.3363713439, 6.0822567674, 4.4344786472, 4.5140211703, 7.0772981275, 6.9669336216, 6.1945633086, 3.7014298296, 5.5433719322, 6.5450349256, 7.6455304651, 5.0362158999, 4.3984453166, 5.2535241908, 7.2340437158, 7.1324211050, 4.8067036581, 4.5349575751, 5.3149363628, 7.8524570955, 6.2407924016, 5.2438942344, 3.8453223875, 6.5010578597, 7.1230118431, 6.6601757619, 4.3757694005, 4.5037914048, 6.5483892940};
  const std::vector<double> r2 = {-0.7531303227, 0.4213792630, 1.8881718318, -0.8263384187, -0.9282507277, -0.8116537279, 1.2592037026, 1.1795031081, -0.7979933911, -0.9542162496, -0.7987247628, 1.9970067028, 0.1104874544, 0.0156113051, -2.1268333684, 0.8371096217, 0.7461175535, 1.1346841360, -1.3521333132, -1.0627494823, 0.4644495747, 1.1478675052, 0.7982724531, -1.8047232290, -0.2952439498, -0.1088393490, 2.1899735092, -0.7441377336, -0.5971587124, -1.4046799618, 1.4194213041, 0.9495561793, -0.1144294030, -1.3316701244, -0.7595761396, 1.5722053348, 0.5182950261, 0.1723851937, -2.1807772914, 0.6133623522, 0.4843882074, 1.6370726052, -1.4386709703, -0.8318545402, -0.2223214437, 1.5115530155, 0.7083252215, -1.2923693954, -0.7545426135, -0.1921932256, 2.1177751355, -0.4286087745, -0.3951231442, -1.8072448139, 1.4198998959, 0.7360030182, 0.5499030016, -1.6591987519, -0.6372727903, 0.9938069530};
  const std::vector<double> y3 = {20.9561582057, 20.8647892674, 21.6167308036, 19.0406690718, 21.2874303781, 22.7675288083, 21.1391690187, 18.4995080305, 16.5234097499, 15.5945408389, 15.2966444037, 14.9073770418, 14.0040570373, 13.2615996862, 14.3179104074, 16.9412374029, 17.3825999673, 15.8487862832, 17.6754027060, 17.9445115842, 17.3027809340, 19.4669676953, 18.3725280221, 21.0085235387, 20.4661082378, 22.3077008523, 23.4921211433, 22.3439965240, 24.2080937144, 23.6509596759, 20.7921250369, 20.4024023599, 21.7862361004, 22.1348545435, 21.2382608841, 20.3644141025, 20.0930851293, 20.1799843671, 20.4786023373, 21.3770909652, 23.3273640084, 26.0770992499, 28.5384258148, 29.6106225301, 29.1594447422, 27.9938442332, 26.8622510597, 25.9320727073, 25.4890532822, 26.1376444392, 27.2696220985, 27.0631660501, 26.0566853212, 26.6830636029, 27.0464903782, 25.5245661192, 26.9360652440, 27.8760646698, 24.9375697057, 26.9634518248};
  const auto model = make_stat_model("arima");
  auto residuals = [&](const std::vector<double>& y) {
    const std::vector<float> yf(y.begin(), y.end());
    std::vector<float> resid(y.size());  // [1, T]
    BatchOptions bo;
    bo.residuals = resid.data();
    const BatchForecast fc = forecast_batch(*model, yf.data(), 1, static_cast<int64_t>(y.size()), 1, 3, {0.5}, bo);
    EXPECT_EQ(fc.n_no_fitted, 0);
    EXPECT_EQ(fc.n_fallback, 0);
    return resid;
  };
  const std::vector<float> e2 = residuals(y2);
  // The coefficients are our optimiser's (ma1 and the mean agree with R's to about 1e-4), and y
  // is stored as float: 2e-3 absolute on residuals of sd 1.16.
  for (size_t t = 10; t < y2.size(); ++t) EXPECT_NEAR(e2[t], r2[t], 2e-3) << "y2 t " << t;
  const std::vector<float> e3 = residuals(y3);
  EXPECT_TRUE(std::isnan(e3[0]));
  for (size_t t = 1; t < y3.size(); ++t) EXPECT_NEAR(e3[t], y3[t] - y3[t - 1], 1e-5) << "y3 t " << t;  // R: the same
}
}  // namespace
}  // namespace skucast
