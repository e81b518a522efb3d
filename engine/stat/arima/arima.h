// engine/stat/arima/arima.h — seasonal ARIMA(p,d,q)(P,D,Q)m per series, as R's forecast::Arima
// and statsmodels' SARIMAX (simple differencing) fit it.
//
// The series y [n] is differenced, w = (1-L)^d (1-L^m)^D y, and w - mu follows the ARMA
//   (1 - sum ar_i L^i)(1 - sum sar_j L^jm) (w_t - mu) = (1 + sum ma_i L^i)(1 + sum sma_j L^jm) e_t,
// e_t ~ N(0, sigma2). mu (the "constant") is estimated only when d + D <= 1: the mean for
// d + D = 0 (R's include.mean), the drift per step times 1 (d = 1) or m (D = 1) otherwise.
//
// Note [ARIMA state space]: the ARMA part is in Harvey's form, R's makeARIMA: state
// dimension r = max(p', q' + 1) with p' = p + P m and q' = q + Q m the orders of the expanded
// polynomials phi, theta; T = [phi | shift], Z = e_1, R = (1, theta_1 .. theta_{r-1}). The
// initial covariance is the stationary one, P0 = T P0 T' + R R' (closed form for pure MA,
// else the doubling algorithm). The exact Gaussian log-likelihood comes from the Kalman filter
// with sigma2 concentrated out (sigma2 = sum v_t^2 / F_t / n_w). Forecasts of y run the
// filter on, with the differencing states appended (known exactly at the origin), giving the
// exact forecast variances; quantiles are mean + z sd.
//
// Note [ARIMA estimation]: the coefficients are estimated by bounded Nelder-Mead
// (engine/stat/optim.h) on transformed parameters: each of the four polynomials is
// parameterised by partial autocorrelations tanh(x) (R's partrans, Durbin-Levinson), which
// keeps the AR parts stationary and the MA parts invertible. A conditional-sum-of-squares fit
// gives one start (R's method "CSS-ML"), three fixed points others (Note [ARIMA starts] in
// arima.cpp); the best maximum-likelihood optimum is refined by one restart with a small simplex.
//
// Per-series code uses plain loops and caller-provided scratch, and is SKU_HD, compiled for
// the CPU and the GPU (Note [One source for CPU and GPU models] in kernels/hd.hpp): the likelihood's core
// (engine/stat/arima/core.h; a likelihood evaluation costs O(r) per step by the fast recursions of Note
// [ARIMA fast likelihood]), the full O(r^2) covariance recursion and the forecasts
// (engine/stat/arima/kalman_core.h), the fit (engine/stat/arima/fit_core.h), the order search with its unit-root tests
// (engine/stat/arima/auto_core.h, unit_root.h) and the model's per-series function (engine/stat/arima/series.h), which
// engine/stat/gpu_models.h runs as one CUDA thread per series. The functions below are their
// host entry points on an ArimaScratch (Note [ARIMA scratch] in engine/stat/arima/core.h); regressors
// (ARIMAX) and the trace are host-only.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/stat/arima/unit_root.h"
#include "engine/stat/model.h"

namespace skucast {

inline constexpr int kArimaMaxP = 5;       // p, q <= 5
inline constexpr int kArimaMaxSP = 2;      // P, Q <= 2
inline constexpr int kArimaMaxState = 40;  // r = max(p + P m, q + Q m + 1)
inline constexpr int kArimaMaxDiff = 2 + 24;  // d + D m (d <= 2, D <= 1, m <= 24)
inline constexpr int kArimaMaxAug = kArimaMaxState + kArimaMaxDiff;
inline constexpr int kArimaMaxXreg = 8;      // regressors of an ARIMAX (regression with ARIMA errors)

struct ArimaOrder {
  int p = 0, d = 0, q = 0;
  int P = 0, D = 0, Q = 0, m = 1;
  bool constant = false;  // mu estimated (only when d + D <= 1)
};

// Coefficients in statsmodels' / R's sign convention (see the top of the file).
struct ArimaCoefs {
  double ar[kArimaMaxP] = {}, ma[kArimaMaxP] = {};
  double sar[kArimaMaxSP] = {}, sma[kArimaMaxSP] = {};
  double mu = 0.0;
  double beta[kArimaMaxXreg] = {};  // regression coefficients (ARIMAX), in ArimaXreg's column order
};

// Regressors of an ARIMAX: y_t = sum_j beta_j x[t, j] + u_t with u an ARIMA process (R's
// Arima(xreg =), statsmodels' SARIMAX(exog =)). x is row-major [rows, k]: rows = n when
// fitting, n + h when forecasting (the future rows are the known covariates of the horizon).
struct ArimaXreg {
  const double* x = nullptr;
  int k = 0;  // 0 <= k <= kArimaMaxXreg
};

// Workspace of the fast likelihood (engine/stat/arima/core.h): the (p'+1)^2 autocovariance system.
inline constexpr int kArimaAcovWork = (kArimaMaxState + 1) * (kArimaMaxState + 1);

// Scratch for the filter: a few r x r matrices. Large (~50 KB), so callers keep it on the heap.
struct ArimaScratch {
  double acov[kArimaAcovWork];
  double P[kArimaMaxState * kArimaMaxState];
  double M1[kArimaMaxState * kArimaMaxState];
  double M2[kArimaMaxState * kArimaMaxState];
  double M3[kArimaMaxState * kArimaMaxState];
  double M4[kArimaMaxState * kArimaMaxState];
};

// True when the order is within the fixed limits above.
bool arima_order_ok(const ArimaOrder& o);

// Number of differenced values: n - d - D m (may be <= 0).
int64_t arima_n_diff(const ArimaOrder& o, int64_t n);

// Writes w [n - d - D m] = the differenced y [n].
void arima_difference(const double* y, int64_t n, const ArimaOrder& o, double* w);

// Exact Gaussian log-likelihood of w [nw] (already differenced) at the given coefficients and
// sigma2 (statsmodels' loglike). Returns NaN when the polynomials are not stationary or
// sigma2 <= 0.
double arima_loglik(const double* w, int64_t nw, const ArimaOrder& o, const ArimaCoefs& c, double sigma2,
                    ArimaScratch& s);

// Forecasts y [n] h steps ahead at the given coefficients: mean [h] and standard deviation
// sd [h]. Returns false when the state is not stationary or the output not finite.
// xreg (optional, rows n + h): an ARIMAX, x_future beta + the forecast of y - x beta
// (Note [ARIMAX estimation], arimax.h).
// innov (optional) [n − d − D m]: the Kalman filter's innovations of the differenced series
// (of y − x beta with xreg), R's residuals(Arima) after the first d + D m values.
bool arima_forecast(const double* y, int64_t n, const ArimaOrder& o, const ArimaCoefs& c, double sigma2,
                    int64_t h, double* mean, double* sd, ArimaScratch& s, const ArimaXreg* xreg = nullptr,
                    double* innov = nullptr);

struct ArimaFit {
  ArimaOrder order;
  ArimaCoefs coefs;
  double sigma2 = 0.0;  // MLE (sum v^2 / F / n_w)
  double loglik = 0.0;
  double aicc = 0.0;
  int n_coef = 0;       // estimated coefficients (+ mu), sigma2 excluded
  int n_evals = 0;
  bool ok = false;
};

// Maximum-likelihood fit of one order to y [n] (Note [ARIMA estimation]).
// xreg (optional, rows = n): regression with ARIMA errors.
// How hard arima_fit looks for the maximum (Note [ARIMA starts] in arima.cpp). Thorough (the
// default, for a fixed order): maximum likelihood from the CSS start and three fixed starts,
// then a restart at the best. Search (the candidates of arima_auto): from the CSS start only,
// then the restart — R's "CSS-ML", about 3x cheaper.
enum class ArimaEffort { Thorough, Search };

bool arima_fit(const double* y, int64_t n, const ArimaOrder& o, ArimaFit& out, ArimaScratch& s,
               const ArimaXreg* xreg = nullptr, ArimaEffort effort = ArimaEffort::Thorough);

// Note [ARIMA automatic order]: arima_auto (engine/stat/arima/auto.cpp) is R forecast 8.20's
// auto.arima(y, stepwise = TRUE) with its defaults:
//   - D = nsdiffs(y) when 2 <= m <= 24 and n > 2m: the seasonal-strength test ("seas", STL,
//     difference when the strength > 0.64; nsdiffs' and auto.arima's default) or OCSB on
//     request (unit_root.h); then d = ndiffs(diff(y, m, D)) by KPSS at 5% (d <= 2). With
//     regressors both tests run on the residuals of lm(y ~ xreg), and a difference that makes
//     a regressor constant is dropped, as in R.
//   - Limits max.p = max.q = 5 (<= n/3, <= m - 1 when seasonal terms are allowed),
//     max.P = max.Q = 2 (<= n/3m); the constant is a mean when d + D = 0, a drift when
//     d + D = 1, absent otherwise (allowmean / allowdrift).
//   - Stepwise search on AICc: (2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0),
//     (0,d,1)(0,D,1) with the constant, (0,d,0)(0,D,0) without; then from the best model the
//     moves P-1, Q-1, P+1, Q+1, (P-1,Q-1), (P-1,Q+1), (P+1,Q-1), (P+1,Q+1), then the same for
//     (p, q), then the constant toggle; the first improvement restarts the scan, which ends
//     when a scan fits nothing new or after 94 fits.
//   - approximation = (n > 150 || m > 12): the search fits by conditional sum of squares (raw
//     coefficients, R's method "CSS", AICc from n* log sigma2_CSS), then the tried models are
//     re-fitted by maximum likelihood (arima_fit) in the order of that criterion until one is
//     accepted. Without approximation every candidate is an arima_fit ("CSS-ML").
//   - Failed fits count as AICc = Inf, as in R's myarima: a fit that fails; an expanded AR or
//     MA polynomial with a root of modulus < 1.01; for maximum likelihood, a CSS start whose
//     AR or seasonal AR part is not stationary (R's "non-stationary AR part from CSS").
// Deviations from R: (1) R also rejects fits whose numerical Hessian gives a NaN standard
// error (checkarima); no Hessian is formed here. (2) Orders beyond the state limits (r > 40,
// e.g. P = 2 with m >= 18) count as failed fits. (3) R's maximum likelihood uses a diffuse
// prior for the differencing (kappa = 1e6) and BFGS from the CSS start; arima_fit works on the
// differenced series with Nelder-Mead from several starts (Note [ARIMA starts], arima.cpp), so
// log-likelihoods agree to ~1e-4 and, where R's BFGS stops at a poorer optimum, ours can be
// better — near ties in AICc can then pick a different order. (4) The CSS fits use
// Nelder-Mead rather than BFGS; the CSS "offset" of R's criterion is left out (the same for
// every candidate of one search). (5) A series whose differenced values are constant gets
// (0,d,0)(0,D,0) with the constant fixed at their mean and sigma2 = 0, as R's fixed fit.
// tests/stat/test_auto_arima.cpp checks the chosen orders against R on real series.
struct ArimaAutoOptions {
  int max_p = 5, max_q = 5, max_P = 2, max_Q = 2;
  int max_d = 2, max_D = 1;
  int start_p = 2, start_q = 2, start_P = 1, start_Q = 1;
  int approximation = -1;  // -1: R's rule (n > 150 || m > 12); 0: exact search; 1: CSS search
  bool allow_drift = true, allow_mean = true;
  SeasonalTest seasonal_test = SeasonalTest::Seas;
  const ArimaXreg* xreg = nullptr;  // regressors (rows = n), passed to every arima_fit
  bool trace = false;               // R's trace = TRUE: each candidate and its AICc on stderr
};

// What the search did (for tests and benchmarks).
struct ArimaAutoInfo {
  int d = 0, D = 0;
  bool approximation = false;
  int n_models = 0;   // candidates of the stepwise search
  int n_refits = 0;   // maximum-likelihood refits (approximation)
  int n_fits = 0;     // all fits, incl. refits
  double search_ic = 0.0;  // the best criterion of the search (CSS-based with approximation)
};

// Automatic order and fit of y [n] with season length m (Note [ARIMA automatic order]).
// False when no model is accepted or y is constant (callers handle that case).
bool arima_auto(const double* y, int64_t n, int m, ArimaFit& out, ArimaScratch& s,
                const ArimaAutoOptions& opt = ArimaAutoOptions{}, ArimaAutoInfo* info = nullptr);

// Note [ARIMA fitting window]: as ETS (Note [ETS fitting window]), the models "arima" and
// "arimax" fit the last max(kArimaWindowMin, 4m) observations of a longer series (and the
// matching regressor rows). On a 1,941-day series with m = 7 the order search and the exact
// likelihood then see two years, 2.7x fewer steps; series of the M3 and the weekly
// promotion benchmarks are shorter than the window and are fitted whole.
inline constexpr int64_t kArimaWindowMin = 728;
SeriesInput arima_fit_window(const SeriesInput& in);

// The StatModel "arima": arima_auto per series; naive fallback (out.fallback = true) for
// series too short (n < 8), constant series (flat forecast, zero-width intervals) and failed
// fits. Never writes NaN/Inf.
std::unique_ptr<StatModel> make_arima_model();

}  // namespace skucast
