// engine/models/arima.h — seasonal ARIMA(p,d,q)(P,D,Q)m per series, as R's forecast::Arima
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
// (engine/models/optim.h) on transformed parameters: each of the four polynomials is
// parameterised by partial autocorrelations tanh(x) (R's partrans, Durbin-Levinson), which
// keeps the AR parts stationary and the MA parts invertible. A conditional-sum-of-squares fit
// gives one start (R's method "CSS-ML"), three fixed points others (Note [ARIMA starts] in
// arima.cpp); the best maximum-likelihood optimum is refined by one restart with a small simplex.
//
// Per-series code uses plain loops and fixed-size scratch (ArimaScratch, owned by the caller)
// so it can later become a CUDA device function. Two per-call buffers remain, to move into
// caller-provided workspace with the CUDA port: w [n] (arima_fit, arima_forecast) and the
// augmented forecast covariance [(r + d + D m)^2] (arima_forecast). All n observations are
// fitted (no window yet, unlike ETS); a likelihood evaluation costs O(r^2) per step until the
// filter reaches its steady state (Note [ARIMA steady state], arima_kalman.cpp), O(r) after.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/stat_model.h"

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

// Scratch for the filter: a few r x r matrices. Large (~40 KB), so callers keep it on the heap.
struct ArimaScratch {
  double P[kArimaMaxState * kArimaMaxState];
  double M1[kArimaMaxState * kArimaMaxState];
  double M2[kArimaMaxState * kArimaMaxState];
  double M3[kArimaMaxState * kArimaMaxState];
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
bool arima_forecast(const double* y, int64_t n, const ArimaOrder& o, const ArimaCoefs& c, double sigma2,
                    int64_t h, double* mean, double* sd, ArimaScratch& s, const ArimaXreg* xreg = nullptr);

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
bool arima_fit(const double* y, int64_t n, const ArimaOrder& o, ArimaFit& out, ArimaScratch& s,
               const ArimaXreg* xreg = nullptr);

// Note [ARIMA default order]: a provisional automatic choice until the stepwise auto.arima
// (KPSS / OCSB unit-root tests) lands. d is 1 when the KPSS level statistic of y (lag
// trunc(4 (n/100)^0.25), as forecast::ndiffs) exceeds its 5% value 0.463, else 0 (and 2 when
// the once-differenced series fails it again). D = 1 when 2 <= m <= 24, n >= 3m + d + 4 and the
// lag-m autocorrelation of the d-differenced series exceeds 0.64 (a stand-in for OCSB). The
// orders (0,d,1), (1,d,0), (1,d,1), (2,d,2) — and (0,d,1)(0,1,1)m, (1,d,0)(1,1,0)m,
// (1,d,1)(0,1,1)m when D = 1 instead, each with and without a constant when d + D <= 1 — are
// fitted, and the smallest AICc wins (all candidates share the same differencing, so AICc is
// comparable). The full stepwise auto.arima replaces this in a later step.
bool arima_auto(const double* y, int64_t n, int m, ArimaFit& out, ArimaScratch& s);

// The StatModel "arima": arima_auto per series; naive fallback (out.fallback = true) for
// series too short (n < 8), constant series (flat forecast, zero-width intervals) and failed
// fits. Never writes NaN/Inf.
std::unique_ptr<StatModel> make_arima_model();

}  // namespace skucast
