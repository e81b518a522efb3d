// engine/models/unit_root.h — the unit-root tests behind the automatic ARIMA order
// (engine/models/arima_auto.cpp), as R's forecast 8.20 runs them in ndiffs / nsdiffs.
//
//   - KPSS level test (urca::ur.kpss(type = "mu")) with forecast::ndiffs' lag truncation
//     trunc(3 sqrt(n) / 13), decided at 5% (statistic > 0.463, the interpolated p-value < 0.05).
//   - Seasonal strength (forecast's seas.heuristic, nsdiffs' default test = "seas", the one
//     auto.arima 8.20 uses by default): an STL decomposition (stats::stl with s.window = 11,
//     the first of mstl's windows, and stl's defaults otherwise), strength
//     max(0, min(1, 1 - var(remainder) / var(remainder + seasonal))), difference when > 0.64.
//   - OCSB (forecast::ocsb.test(maxlag = 3, lag.method = "AIC"), nsdiffs(test = "ocsb")).
//
// All functions are pure, work on caller buffers, and allocate nothing (the CUDA port maps
// them to one thread per series). `work` sizes are given per function.
#pragma once

#include <cstdint>

namespace skucast {

// R's forecast::is.constant: all.equal(x, rep(x[1], n)), i.e. the mean absolute deviation
// from x[0] relative to mean |x| (absolute when mean |x| <= 1.5e-8) is below 1.5e-8.
bool r_is_constant(const double* x, int64_t n);

// KPSS level statistic of x [n] (urca::ur.kpss type "mu") with Bartlett lag `lag`.
double kpss_level_stat(const double* x, int64_t n, int lag);

// forecast::ndiffs' lag: trunc(3 sqrt(n) / 13).
int kpss_ndiffs_lag(int64_t n);

// forecast::ndiffs(x, test = "kpss", alpha = 0.05, max.d): the number of first differences
// (0..max_d) after which KPSS no longer rejects level stationarity at 5%.
// [in] x [n]. [work] [n].
int ndiffs_kpss(const double* x, int64_t n, int max_d, double* work);

// STL decomposition (Cleveland et al. 1990; R's stats::stl, robust = FALSE, inner = 2,
// outer = 0) with seasonal window s_window (degree 0), trend window
// nextodd(ceil(1.5 m / (1 - 1.5 / s_window))) and low-pass window nextodd(m) (degree 1),
// jumps ceil(window / 10). Needs n > 2 m, m >= 2.
// [in] y [n]. [out] seasonal [n], trend [n]. [work] stl_work_size(n, m) doubles.
int64_t stl_work_size(int64_t n, int m);
bool stl_decompose(const double* y, int64_t n, int m, int s_window, double* seasonal, double* trend, double* work);

// forecast's seas.heuristic: seasonal strength of x [n] in [0, 1] from mstl(ts(x, m)).
// [work] 2 n + stl_work_size(n, m). NaN when n <= 2 m.
double seasonal_strength(const double* x, int64_t n, int m, double* work);

// forecast::ocsb.test(x, maxlag = 3, lag.method = "AIC"): the t statistic of the Z5 term
// and its 5% critical value (calcOCSBCritVal(m)); the test says "difference" when
// stat > crit. Returns false when the regression has no solution (R's error: nsdiffs then
// returns 0). [work] ocsb_work_size(n, m) doubles.
int64_t ocsb_work_size(int64_t n, int m);
bool ocsb_test(const double* x, int64_t n, int m, double* stat, double* crit, double* work);

enum class SeasonalTest { Seas, Ocsb };

// forecast::nsdiffs(x, test, alpha = 0.05, max.D = 1) for max_D <= 1: 0 or 1.
// [work] nsdiffs_work_size(n, m) doubles.
int64_t nsdiffs_work_size(int64_t n, int m);
int nsdiffs(const double* x, int64_t n, int m, SeasonalTest test, int max_D, double* work);

// Ordinary least squares y [n] ~ X [n, k] (row-major, no implicit intercept), k <= 10, by
// the normal equations with partial pivoting. [out] beta [k], resid [n] (optional).
// Returns false when X'X is singular (to 1e-12 relative).
bool ols_small(const double* X, const double* y, int64_t n, int k, double* beta, double* resid);

}  // namespace skucast
