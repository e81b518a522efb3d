// engine/stat/arima/arimax.h — regression with ARIMA errors (ARIMAX), as R's Arima(xreg =) and
// statsmodels' SARIMAX(exog =) fit it, and the StatModel "arimax".
//
//   y_t = sum_j beta_j x[t, j] + u_t,   u an ARIMA(p,d,q)(P,D,Q)m process (arima.h)
//
// Note [ARIMAX estimation]: the regressors are differenced with the same (1-L)^d (1-L^m)^D as
// y, so the differenced series w = mu + xd beta + ARMA; the ARMA coefficients, mu and beta are
// estimated jointly by exact maximum likelihood (arima_fit with an ArimaXreg), which is
// statsmodels' SARIMAX(w, exog = [1?, xd]) and R's Arima(xreg =) up to R's diffuse prior. The
// start for beta (and mu) is the OLS regression of w on [1?, xd] (R's arima does the same
// lm on the differenced data); in the optimiser's vector beta_j = beta0_j + 10 se_j x_j with
// se_j the OLS standard error (R's parscale = 10 ses), so every coordinate is of order one.
// Columns that are zero or collinear (with the constant or earlier columns) on the differenced
// data — a promotion flag that never fired in the history, a trend differenced into the drift
// — are not estimated: their beta stays 0 and they do not count in the AICc. Forecasts are
// x_future beta + the ARIMA forecast of u = y - x beta (R's predict.Arima); the variances are
// those of u (the regressors are known).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/stat/arima/arima.h"
#include "engine/stat/model.h"

namespace skucast {

// The regression part of an ARIMAX fit after differencing: which columns are estimated and
// where the optimiser starts (Note [ARIMAX estimation]).
struct ArimaXregStart {
  int k = 0;                            // columns of the ArimaXreg
  int n_free = 0;                       // columns estimated
  bool free[kArimaMaxXreg] = {};        // false: zero/collinear after differencing, beta = 0
  double beta0[kArimaMaxXreg] = {};     // OLS start
  double beta_scale[kArimaMaxXreg] = {};  // 10 x OLS standard error
  double mu0 = 0.0;                     // OLS intercept (0 without a constant)
  double resid_sd = 1.0;                // sd of the OLS residuals
  std::vector<double> xd;               // [nw, k] the differenced regressors
};

// Differences the regressors xreg [n, k] with the order's polynomial and runs the OLS start of
// w [nw] on [1 (when o.constant), xd]. False when the regressors are not finite.
bool arimax_start(const ArimaXreg& xreg, int64_t n, const ArimaOrder& o, const double* w, int64_t nw,
                  ArimaXregStart& out);

// u [nw] = w - xd beta, xd [nw, k] row-major.
void arimax_subtract(const double* w, int64_t nw, const double* xd, int k, const double* beta, double* u);

// Note [ARIMAX columns]: the model "arimax" keeps the regressor columns that are linearly
// independent of the mean and of the columns before them over the series' history (a flag
// that never fired, a price that never changed, a duplicate: nothing to learn, and R's Arima
// would stop on a rank-deficient xreg), at most kArimaMaxXreg. The order and the fit are
// auto.arima's with those regressors (arima_auto with ArimaAutoOptions::xreg, Note [ARIMA
// automatic order] in arima.h; arima_fit leaves out columns collinear after differencing,
// Note [ARIMAX estimation]). When that fails, the plain arima of the series (out.fallback =
// true); a series without usable columns is forecast by the plain arima (not a fallback).
// A constant series: the constant forecast of "arima".
//
// Note [ARIMAX residuals]
//   With SeriesOutput::fitted (`forecast --residuals`, reconcile wls_var|mint_shrink, backtest
//   --reconcile) the model gives y_t minus the Kalman filter's innovation of the regression
//   errors u = y − x beta at step t, over the fitting window after its first d + D m values:
//   residuals(Arima(y, xreg = x)) in R's forecast package, which are the innovations of u's
//   ARIMA filter, so the residual is u_t − û_t|t−1 = y_t − (x_t beta + û_t|t−1) (the
//   regressors at t are known, as in the forecast). NaN before that; a series forecast by the
//   plain arima (no usable column, or the ARIMAX fit failed) gives the plain arima's
//   residuals, a naive or constant fallback its own.
std::unique_ptr<StatModel> make_arimax_model();

}  // namespace skucast
