// engine/stat/decompose.h — classical seasonal decomposition and small least squares.
//
// Shared by ETS (initial seasonal states, as R's forecast::ets initstate) and Theta
// (seasonal adjustment, as forecast::thetaf). Pure functions on caller buffers, compiled for
// the CPU and the GPU (SKU_HD, Note [One source for CPU and GPU models] in kernels/hd.hpp).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"

namespace skucast {

// Seasonal figure of R's stats::decompose: centred moving average of order m (2 x m for
// even m) as the trend, the detrended values (y - trend or y / trend) averaged by position
// in the cycle counted from y[0], then normalised (mean 0 or mean 1).
// [in] y [n] with n >= 2m, m >= 2. [out] figure [m]: figure[i] is the seasonal term of
// y[i], y[i+m], ... Returns false when it cannot be formed (too short, zero trend).
SKU_HD inline bool classical_seasonal_figure(const double* y, int64_t n, int m, bool multiplicative, double* figure) {
  if (m < 2 || n < 2 * static_cast<int64_t>(m)) return false;
  const int half = m / 2;
  if (m > 64) return false;
  double sum[64];  // [m] per-position sums of the detrended values
  int count[64];   // [m]
  for (int i = 0; i < m; ++i) sum[i] = 0.0, count[i] = 0;
  // Centred moving average, defined for t in [half, n - 1 - half].
  for (int64_t t = half; t + half <= n - 1; ++t) {
    double trend;
    if (m % 2 == 1) {
      double s = 0.0;
      for (int k = -half; k <= half; ++k) s += y[t + k];
      trend = s / m;
    } else {
      // weights 0.5, 1, ..., 1, 0.5 over t-half .. t+half
      double s = 0.5 * (y[t - half] + y[t + half]);
      for (int k = -half + 1; k <= half - 1; ++k) s += y[t + k];
      trend = s / m;
    }
    double d;
    if (multiplicative) {
      if (std::fabs(trend) < 1e-300) return false;
      d = y[t] / trend;
    } else {
      d = y[t] - trend;
    }
    const int pos = static_cast<int>(t % m);
    sum[pos] += d;
    count[pos] += 1;
  }
  double mean = 0.0;
  for (int i = 0; i < m; ++i) {
    if (count[i] == 0) return false;
    figure[i] = sum[i] / count[i];
    mean += figure[i];
  }
  mean /= m;
  for (int i = 0; i < m; ++i) {
    if (multiplicative) {
      if (std::fabs(mean) < 1e-300) return false;
      figure[i] /= mean;
    } else {
      figure[i] -= mean;
    }
  }
  return true;
}

// Ordinary least squares y ~ 1 + t for t = t0, t0+1, ..., t0+n-1. [out] intercept, slope.
SKU_HD inline void linear_trend_fit(const double* y, int64_t n, double t0, double* intercept, double* slope) {
  if (n <= 1) {
    *intercept = n == 1 ? y[0] : 0.0;
    *slope = 0.0;
    return;
  }
  const double t_mean = t0 + 0.5 * static_cast<double>(n - 1);
  double y_mean = 0.0;
  for (int64_t i = 0; i < n; ++i) y_mean += y[i];
  y_mean /= static_cast<double>(n);
  double sxy = 0.0, sxx = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double dt = t0 + static_cast<double>(i) - t_mean;
    sxy += dt * (y[i] - y_mean);
    sxx += dt * dt;
  }
  *slope = sxy / sxx;
  *intercept = y_mean - *slope * t_mean;
}

// Solves the k x k system A x = b in place (Gaussian elimination, partial pivoting), k <= 8.
// [in/out] a [k, k] row-major (destroyed), b [k] (becomes x). Returns false when singular.
SKU_HD inline bool solve_small_system(double* a, double* b, int k) {
  for (int c = 0; c < k; ++c) {
    int piv = c;
    for (int r = c + 1; r < k; ++r)
      if (std::fabs(a[r * k + c]) > std::fabs(a[piv * k + c])) piv = r;
    if (std::fabs(a[piv * k + c]) < 1e-300) return false;
    if (piv != c) {
      for (int j = 0; j < k; ++j) {
        const double t = a[c * k + j];
        a[c * k + j] = a[piv * k + j];
        a[piv * k + j] = t;
      }
      const double t = b[c];
      b[c] = b[piv];
      b[piv] = t;
    }
    for (int r = c + 1; r < k; ++r) {
      const double f = a[r * k + c] / a[c * k + c];
      for (int j = c; j < k; ++j) a[r * k + j] -= f * a[c * k + j];
      b[r] -= f * b[c];
    }
  }
  for (int c = k - 1; c >= 0; --c) {
    double s = b[c];
    for (int j = c + 1; j < k; ++j) s -= a[c * k + j] * b[j];
    b[c] = s / a[c * k + c];
  }
  for (int c = 0; c < k; ++c)
    if (!std::isfinite(b[c])) return false;
  return true;
}

}  // namespace skucast
