// engine/models/decompose.h — classical seasonal decomposition and small least squares.
//
// Shared by ETS (initial seasonal states, as R's forecast::ets initstate) and Theta
// (seasonal adjustment, as forecast::thetaf). Pure functions on caller buffers.
#pragma once

#include <cstdint>

namespace skucast {

// Seasonal figure of R's stats::decompose: centred moving average of order m (2 x m for
// even m) as the trend, the detrended values (y - trend or y / trend) averaged by position
// in the cycle counted from y[0], then normalised (mean 0 or mean 1).
// [in] y [n] with n >= 2m, m >= 2. [out] figure [m]: figure[i] is the seasonal term of
// y[i], y[i+m], ... Returns false when it cannot be formed (too short, zero trend).
bool classical_seasonal_figure(const double* y, int64_t n, int m, bool multiplicative, double* figure);

// Ordinary least squares y ~ 1 + t for t = t0, t0+1, ..., t0+n-1. [out] intercept, slope.
void linear_trend_fit(const double* y, int64_t n, double t0, double* intercept, double* slope);

// Solves the k x k system A x = b in place (Gaussian elimination, partial pivoting), k <= 8.
// [in/out] a [k, k] row-major (destroyed), b [k] (becomes x). Returns false when singular.
bool solve_small_system(double* a, double* b, int k);

}  // namespace skucast
