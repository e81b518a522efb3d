// engine/stat/arima/unit_root.h — the unit-root tests behind the automatic ARIMA order
// (engine/stat/arima/auto.cpp), as R's forecast 8.20 runs them in ndiffs / nsdiffs.
//
//   - KPSS level test (urca::ur.kpss(type = "mu")) with forecast::ndiffs' lag truncation
//     trunc(3 sqrt(n) / 13), decided at 5% (statistic > 0.463, the interpolated p-value < 0.05).
//   - Seasonal strength (forecast's seas.heuristic, nsdiffs' default test = "seas", the one
//     auto.arima 8.20 uses by default): an STL decomposition (stats::stl with s.window = 11,
//     the first of mstl's windows, and stl's defaults otherwise), strength
//     max(0, min(1, 1 - var(remainder) / var(remainder + seasonal))), difference when > 0.64.
//   - OCSB (forecast::ocsb.test(maxlag = 3, lag.method = "AIC"), nsdiffs(test = "ocsb")).
//
// All functions are pure, work on caller buffers, and allocate nothing: they are SKU_HD,
// compiled for the CPU and for one CUDA thread per series (Note [One source for CPU and GPU
// models] in kernels/hd.hpp; the GPU "arima", engine/stat/arima/series.h). `work` sizes
// are given per function; the definitions follow the declarations.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/hd.hpp"

namespace skucast {

// R's forecast::is.constant: all.equal(x, rep(x[1], n)), i.e. the mean absolute deviation
// from x[0] relative to mean |x| (absolute when mean |x| <= 1.5e-8) is below 1.5e-8.
SKU_HD inline bool r_is_constant(const double* x, int64_t n);

// KPSS level statistic of x [n] (urca::ur.kpss type "mu") with Bartlett lag `lag`.
SKU_HD inline double kpss_level_stat(const double* x, int64_t n, int lag);

// forecast::ndiffs' lag: trunc(3 sqrt(n) / 13).
SKU_HD inline int kpss_ndiffs_lag(int64_t n);

// forecast::ndiffs(x, test = "kpss", alpha = 0.05, max.d): the number of first differences
// (0..max_d) after which KPSS no longer rejects level stationarity at 5%.
// [in] x [n]. [work] [n].
SKU_HD inline int ndiffs_kpss(const double* x, int64_t n, int max_d, double* work);

// STL decomposition (Cleveland et al. 1990; R's stats::stl, robust = FALSE, inner = 2,
// outer = 0) with seasonal window s_window (degree 0), trend window
// nextodd(ceil(1.5 m / (1 - 1.5 / s_window))) and low-pass window nextodd(m) (degree 1),
// jumps ceil(window / 10). Needs n > 2 m, m >= 2.
// [in] y [n]. [out] seasonal [n], trend [n]. [work] stl_work_size(n, m) doubles.
SKU_HD inline int64_t stl_work_size(int64_t n, int m);
SKU_HD inline bool stl_decompose(const double* y, int64_t n, int m, int s_window, double* seasonal, double* trend, double* work);

// forecast's seas.heuristic: seasonal strength of x [n] in [0, 1] from mstl(ts(x, m)).
// [work] 2 n + stl_work_size(n, m). NaN when n <= 2 m.
SKU_HD inline double seasonal_strength(const double* x, int64_t n, int m, double* work);

// forecast::ocsb.test(x, maxlag = 3, lag.method = "AIC"): the t statistic of the Z5 term
// and its 5% critical value (calcOCSBCritVal(m)); the test says "difference" when
// stat > crit. Returns false when the regression has no solution (R's error: nsdiffs then
// returns 0). [work] ocsb_work_size(n, m) doubles.
SKU_HD inline int64_t ocsb_work_size(int64_t n, int m);
SKU_HD inline bool ocsb_test(const double* x, int64_t n, int m, double* stat, double* crit, double* work);

enum class SeasonalTest { Seas, Ocsb };

// forecast::nsdiffs(x, test, alpha = 0.05, max.D = 1) for max_D <= 1: 0 or 1.
// [work] nsdiffs_work_size(n, m) doubles.
SKU_HD inline int64_t nsdiffs_work_size(int64_t n, int m);
SKU_HD inline int nsdiffs(const double* x, int64_t n, int m, SeasonalTest test, int max_D, double* work);

// Ordinary least squares y [n] ~ X [n, k] (row-major, no implicit intercept), k <= 10, by
// the normal equations with partial pivoting. [out] beta [k], resid [n] (optional).
// Returns false when X'X is singular (to 1e-12 relative).
SKU_HD inline bool ols_small(const double* X, const double* y, int64_t n, int k, double* beta, double* resid);

// ------------------------------------------------------------------ definitions ----
namespace unit_root_detail {

constexpr int kOlsMaxK = 10;

SKU_HD inline void swap_hd(double& a, double& b) {  // std::swap is not a device function (C++17)
  const double t = a;
  a = b;
  b = t;
}

// Solves a [k, k] x = b in place (partial pivoting); a is destroyed, b becomes x. When inv
// is given, also writes inv [k, k] = a^-1. False when singular to 1e-12 of the largest pivot.
SKU_HD inline bool gauss_solve(double* a, double* b, int k, double* inv) {
  double id[kOlsMaxK * kOlsMaxK];
  for (int i = 0; i < k * k; ++i) id[i] = 0.0;
  for (int i = 0; i < k; ++i) id[i * k + i] = 1.0;
  double scale = 0.0;
  for (int i = 0; i < k; ++i) scale = std::fmax(scale, std::fabs(a[i * k + i]));
  for (int c = 0; c < k; ++c) {
    int piv = c;
    for (int r = c + 1; r < k; ++r)
      if (std::fabs(a[r * k + c]) > std::fabs(a[piv * k + c])) piv = r;
    if (!(std::fabs(a[piv * k + c]) > 1e-12 * scale)) return false;
    if (piv != c) {
      for (int j = 0; j < k; ++j) {
        swap_hd(a[c * k + j], a[piv * k + j]);
        swap_hd(id[c * k + j], id[piv * k + j]);
      }
      swap_hd(b[c], b[piv]);
    }
    for (int r = 0; r < k; ++r) {
      if (r == c) continue;
      const double f = a[r * k + c] / a[c * k + c];
      if (f == 0.0) continue;
      for (int j = 0; j < k; ++j) {
        a[r * k + j] -= f * a[c * k + j];
        id[r * k + j] -= f * id[c * k + j];
      }
      b[r] -= f * b[c];
    }
  }
  for (int r = 0; r < k; ++r) {
    const double d = a[r * k + r];
    b[r] /= d;
    if (inv)
      for (int j = 0; j < k; ++j) inv[r * k + j] = id[r * k + j] / d;
  }
  return true;
}

// OLS with the inverse of X'X (for t statistics). X is given column by column through a
// functor col(j, t). Returns false when singular.
template <class Col>
SKU_HD inline bool ols_cols(const Col& col, const double* y, int64_t n, int k, double* beta, double* xtx_inv, double* rss) {
  double a[kOlsMaxK * kOlsMaxK], b[kOlsMaxK];
  for (int i = 0; i < k; ++i) {
    b[i] = 0.0;
    for (int j = 0; j < k; ++j) a[i * k + j] = 0.0;
  }
  for (int64_t t = 0; t < n; ++t)
    for (int i = 0; i < k; ++i) {
      const double xi = col(i, t);
      b[i] += xi * y[t];
      for (int j = 0; j <= i; ++j) a[i * k + j] += xi * col(j, t);
    }
  for (int i = 0; i < k; ++i)
    for (int j = i + 1; j < k; ++j) a[i * k + j] = a[j * k + i];
  if (!gauss_solve(a, b, k, xtx_inv)) return false;
  double s = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    double r = y[t];
    for (int i = 0; i < k; ++i) r -= b[i] * col(i, t);
    s += r * r;
  }
  for (int i = 0; i < k; ++i) beta[i] = b[i];
  *rss = s;
  return true;
}

SKU_HD inline int next_odd(double x) {
  int v = static_cast<int>(std::nearbyint(x));  // R's round(): half to even, as nearbyint
  if (v % 2 == 0) ++v;
  return v;
}

// ---------------------------------------------------------------------------------------
// STL (a port of R's src/library/stats/src/stl.f; arrays are 1-based there, 0-based here,
// with the abscissae kept 1-based as in the Fortran so the weights match bit for bit).

// Local (degree 0/1) loess fit at abscissa xs over y[nleft-1 .. nright-1] (1-based bounds).
SKU_HD inline bool stl_est(const double* y, int64_t n, int len, int ideg, double xs, double* ys, int64_t nleft, int64_t nright,
             double* w) {
  const double range = static_cast<double>(n) - 1.0;
  double h = std::fmax(xs - static_cast<double>(nleft), static_cast<double>(nright) - xs);
  if (len > n) h += static_cast<double>((len - n) / 2);
  const double h9 = 0.999 * h, h1 = 0.001 * h;
  double a = 0.0;
  for (int64_t j = nleft; j <= nright; ++j) {
    w[j - 1] = 0.0;
    const double r = std::fabs(static_cast<double>(j) - xs);
    if (r <= h9) {
      if (r <= h1) {
        w[j - 1] = 1.0;
      } else {
        const double q = r / h;
        const double u = 1.0 - q * q * q;
        w[j - 1] = u * u * u;
      }
      a += w[j - 1];
    }
  }
  if (a <= 0.0) return false;
  for (int64_t j = nleft; j <= nright; ++j) w[j - 1] /= a;
  if (h > 0.0 && ideg > 0) {
    a = 0.0;
    for (int64_t j = nleft; j <= nright; ++j) a += w[j - 1] * static_cast<double>(j);
    double b = xs - a;
    double c = 0.0;
    for (int64_t j = nleft; j <= nright; ++j) c += w[j - 1] * (static_cast<double>(j) - a) * (static_cast<double>(j) - a);
    if (std::sqrt(c) > 0.001 * range) {
      b /= c;
      for (int64_t j = nleft; j <= nright; ++j) w[j - 1] *= b * (static_cast<double>(j) - a) + 1.0;
    }
  }
  double s = 0.0;
  for (int64_t j = nleft; j <= nright; ++j) s += w[j - 1] * y[j - 1];
  *ys = s;
  return true;
}

// Loess smooth of y [n] into ys [n], evaluated every njump points and linearly interpolated.
SKU_HD inline void stl_ess(const double* y, int64_t n, int len, int ideg, int njump, double* ys, double* res) {
  if (n < 2) {
    ys[0] = y[0];
    return;
  }
  const int64_t newnj = njump < n - 1 ? njump : n - 1;
  int64_t nleft = 0, nright = 0;
  if (len >= n) {
    nleft = 1;
    nright = n;
    for (int64_t i = 1; i <= n; i += newnj)
      if (!stl_est(y, n, len, ideg, static_cast<double>(i), &ys[i - 1], nleft, nright, res)) ys[i - 1] = y[i - 1];
  } else if (newnj == 1) {
    const int64_t nsh = (len + 1) / 2;
    nleft = 1;
    nright = len;
    for (int64_t i = 1; i <= n; ++i) {
      if (i > nsh && nright != n) {
        ++nleft;
        ++nright;
      }
      if (!stl_est(y, n, len, ideg, static_cast<double>(i), &ys[i - 1], nleft, nright, res)) ys[i - 1] = y[i - 1];
    }
  } else {
    const int64_t nsh = (len + 1) / 2;
    for (int64_t i = 1; i <= n; i += newnj) {
      if (i < nsh) {
        nleft = 1;
        nright = len;
      } else if (i >= n - nsh + 1) {
        nleft = n - len + 1;
        nright = n;
      } else {
        nleft = i - nsh + 1;
        nright = len + i - nsh;
      }
      if (!stl_est(y, n, len, ideg, static_cast<double>(i), &ys[i - 1], nleft, nright, res)) ys[i - 1] = y[i - 1];
    }
  }
  if (newnj != 1) {
    for (int64_t i = 1; i <= n - newnj; i += newnj) {
      const double delta = (ys[i + newnj - 1] - ys[i - 1]) / static_cast<double>(newnj);
      for (int64_t j = i + 1; j <= i + newnj - 1; ++j) ys[j - 1] = ys[i - 1] + delta * static_cast<double>(j - i);
    }
    const int64_t k = ((n - 1) / newnj) * newnj + 1;
    if (k != n) {
      if (!stl_est(y, n, len, ideg, static_cast<double>(n), &ys[n - 1], nleft, nright, res)) ys[n - 1] = y[n - 1];
      if (k != n - 1) {
        const double delta = (ys[n - 1] - ys[k - 1]) / static_cast<double>(n - k);
        for (int64_t j = k + 1; j <= n - 1; ++j) ys[j - 1] = ys[k - 1] + delta * static_cast<double>(j - k);
      }
    }
  }
}

// Moving average of length len: ave [n - len + 1].
SKU_HD inline void stl_ma(const double* x, int64_t n, int len, double* ave) {
  const int64_t newn = n - len + 1;
  const double flen = static_cast<double>(len);
  double v = 0.0;
  for (int i = 0; i < len; ++i) v += x[i];
  ave[0] = v / flen;
  for (int64_t j = 1; j < newn; ++j) {
    v = v - x[j - 1] + x[len + j - 1];
    ave[j] = v / flen;
  }
}

// Cycle-subseries smoothing: season [n + 2 np] (one extra period at each end).
SKU_HD inline void stl_ss(const double* y, int64_t n, int np, int ns, int isdeg, int nsjump, double* season, double* work1,
            double* work2, double* work3) {
  for (int j = 1; j <= np; ++j) {
    const int64_t k = (n - j) / np + 1;
    for (int64_t i = 1; i <= k; ++i) work1[i - 1] = y[(i - 1) * np + j - 1];
    stl_ess(work1, k, ns, isdeg, nsjump, work2 + 1, work3);
    int64_t nright = ns < k ? ns : k;
    if (!stl_est(work1, k, ns, isdeg, 0.0, &work2[0], 1, nright, work3)) work2[0] = work2[1];
    const int64_t nleft = k - ns + 1 > 1 ? k - ns + 1 : 1;
    if (!stl_est(work1, k, ns, isdeg, static_cast<double>(k + 1), &work2[k + 1], nleft, k, work3))
      work2[k + 1] = work2[k];
    for (int64_t mm = 1; mm <= k + 2; ++mm) season[(mm - 1) * np + j - 1] = work2[mm - 1];
  }
}

}  // namespace unit_root_detail


// ---------------------------------------------------------------------------------------

SKU_HD inline bool r_is_constant(const double* x, int64_t n) {
  if (n <= 1) return true;
  double diff = 0.0, size = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    diff += std::fabs(x[t] - x[0]);
    size += std::fabs(x[t]);
  }
  const double nn = static_cast<double>(n);
  diff /= nn;
  size /= nn;
  if (std::isfinite(size) && size > 1.5e-8) diff /= size;
  return diff < 1.5e-8;
}

SKU_HD inline double kpss_level_stat(const double* x, int64_t n, int lag) {
  double mean = 0.0;
  for (int64_t t = 0; t < n; ++t) mean += x[t];
  mean /= static_cast<double>(n);
  double cum = 0.0, eta = 0.0, s0 = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    const double e = x[t] - mean;
    cum += e;
    eta += cum * cum;
    s0 += e * e;
  }
  const double nn = static_cast<double>(n);
  double lrv = s0 / nn;
  for (int k = 1; k <= lag && k < n; ++k) {
    double g = 0.0;
    for (int64_t t = k; t < n; ++t) g += (x[t] - mean) * (x[t - k] - mean);
    lrv += 2.0 / nn * (1.0 - k / (lag + 1.0)) * g;
  }
  return eta / (nn * nn) / lrv;
}

SKU_HD inline int kpss_ndiffs_lag(int64_t n) { return static_cast<int>(std::trunc(3.0 * std::sqrt(static_cast<double>(n)) / 13.0)); }

SKU_HD inline int ndiffs_kpss(const double* x, int64_t n, int max_d, double* work) {
  // ndiffs: d = 0; if (is.constant(x)) return d; dodiff = p < alpha; while (dodiff && d < max.d) ...
  if (r_is_constant(x, n)) return 0;
  for (int64_t t = 0; t < n; ++t) work[t] = x[t];
  int64_t nx = n;
  auto rejects = [&]() {
    if (nx < 2) return false;  // ur.kpss errors (tryCatch: FALSE)
    const double s = kpss_level_stat(work, nx, kpss_ndiffs_lag(nx));
    return std::isfinite(s) && s > 0.463;  // urca 5% critical value of the "mu" test
  };
  int d = 0;
  bool dodiff = rejects();
  while (dodiff && d < max_d) {
    ++d;
    for (int64_t t = 0; t + 1 < nx; ++t) work[t] = work[t + 1] - work[t];
    --nx;
    if (r_is_constant(work, nx)) return d;
    dodiff = rejects();
  }
  return d;
}

SKU_HD inline int64_t stl_work_size(int64_t n, int m) { return 5 * (n + 2 * static_cast<int64_t>(m)); }

SKU_HD inline bool stl_decompose(const double* y, int64_t n, int m, int s_window, double* seasonal, double* trend, double* work) {
  if (m < 2 || n <= 2 * static_cast<int64_t>(m)) return false;
  // stats::stl argument defaults (s.degree = 0, t.degree = l.degree = 1, inner = 2, outer = 0).
  const int np = m;
  const int isdeg = 0, itdeg = 1, ildeg = 1;
  int ns = s_window;
  int nt = unit_root_detail::next_odd(std::ceil(1.5 * m / (1.0 - 1.5 / s_window)));
  int nl = unit_root_detail::next_odd(m);
  const int nsjump = static_cast<int>(std::ceil(ns / 10.0));
  const int ntjump = static_cast<int>(std::ceil(nt / 10.0));
  const int nljump = static_cast<int>(std::ceil(nl / 10.0));
  // stl.f: windows at least 3 and odd.
  auto fix = [](int v) {
    v = v > 3 ? v : 3;
    return v % 2 == 0 ? v + 1 : v;
  };
  ns = fix(ns), nt = fix(nt), nl = fix(nl);
  const int64_t L = n + 2 * np;
  double* w1 = work;
  double* w2 = work + L;
  double* w3 = work + 2 * L;
  double* w4 = work + 3 * L;
  double* w5 = work + 4 * L;
  for (int64_t i = 0; i < n; ++i) trend[i] = 0.0;
  for (int it = 0; it < 2; ++it) {  // stlstp, ni = 2 inner passes
    for (int64_t i = 0; i < n; ++i) w1[i] = y[i] - trend[i];
    unit_root_detail::stl_ss(w1, n, np, ns, isdeg, nsjump, w2, w3, w4, w5);
    // stlfts: moving averages np, np, 3 of the cycle-subseries, then the low-pass loess.
    unit_root_detail::stl_ma(w2, L, np, w3);
    unit_root_detail::stl_ma(w3, L - np + 1, np, w1);
    unit_root_detail::stl_ma(w1, L - 2 * np + 2, 3, w3);
    unit_root_detail::stl_ess(w3, n, nl, ildeg, nljump, w1, w5);
    for (int64_t i = 0; i < n; ++i) seasonal[i] = w2[np + i] - w1[i];
    for (int64_t i = 0; i < n; ++i) w1[i] = y[i] - seasonal[i];
    unit_root_detail::stl_ess(w1, n, nt, itdeg, ntjump, trend, w3);
  }
  return true;
}

SKU_HD inline double seasonal_strength(const double* x, int64_t n, int m, double* work) {
  if (m < 2 || n <= 2 * static_cast<int64_t>(m)) return std::numeric_limits<double>::quiet_NaN();
  double* seas = work;
  double* trend = work + n;
  // mstl(ts(x, m)): s.window = 7 + 4 * seq(6), of which stl gets the first, 11.
  if (!stl_decompose(x, n, m, 11, seas, trend, work + 2 * n)) return std::numeric_limits<double>::quiet_NaN();
  // var(remainder) / var(remainder + seasonal): both sample variances, the (n - 1) cancels.
  double mr = 0.0, ms = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    const double r = x[t] - seas[t] - trend[t];
    mr += r;
    ms += r + seas[t];
  }
  mr /= static_cast<double>(n);
  ms /= static_cast<double>(n);
  double vr = 0.0, vs = 0.0;
  for (int64_t t = 0; t < n; ++t) {
    const double r = x[t] - seas[t] - trend[t];
    vr += (r - mr) * (r - mr);
    vs += (r + seas[t] - ms) * (r + seas[t] - ms);
  }
  const double s = 1.0 - vr / vs;
  if (std::isnan(s)) return s;
  return s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
}

SKU_HD inline int64_t ocsb_work_size(int64_t n, int /*m*/) { return 3 * n; }

SKU_HD inline bool ocsb_test(const double* x, int64_t n, int m, double* stat, double* crit, double* work) {
  // Series on R's time axis t = 1..n (index t - 1 here):
  //   sx_t = x_t - x_{t-m} (t > m), dx_t = x_t - x_{t-1} (t > 1), y_t = sx_t - sx_{t-1} (t > m + 1).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  *stat = nan;
  const double lm_ = std::log(static_cast<double>(m));
  *crit = -0.2937411 * std::exp(-0.2850853 * (lm_ - 0.7656451) + (-0.05983644) * ((lm_ - 0.7656451) * (lm_ - 0.7656451))) -
          1.652202;
  double* sx = work;          // [n], valid for t > m
  double* dx = work + n;      // [n], valid for t > 1
  double* yy = work + 2 * n;  // [n], valid for t > m + 1
  for (int64_t t = 1; t <= n; ++t) {
    sx[t - 1] = t > m ? x[t - 1] - x[t - 1 - m] : nan;
    dx[t - 1] = t > 1 ? x[t - 1] - x[t - 2] : nan;
    yy[t - 1] = t > m + 1 ? sx[t - 1] - sx[t - 2] : nan;
  }
  // fitOCSB(x, lag, maxlag): regression rows t = m + 2 + maxlag .. n of
  //   y_t ~ 0 + y_{t-1..t-lag} + Z4_{t-1} + Z5_{t-m},
  // Z4_s = sx_s - sum_k a_k sx_{s-k}, Z5_s = dx_s - sum_k a_k dx_{s-k}, a = the AR fit of y on
  // its lags over the same rows. With lag = 0 the lag column is all zero: lm drops it (NA).
  struct Reg {
    double coef_z5_t = 0.0;
    double rss = 0.0;
    int64_t n_rows = 0;
    int rank = 0;
    bool ok = false;
  };
  auto fit = [&](int lag, int maxlag) {
    Reg out;
    const int64_t t0 = static_cast<int64_t>(m) + 2 + maxlag;  // first row (1-based time)
    if (t0 > n) return out;
    const int64_t nr = n - t0 + 1;
    const double* yrow = yy + (t0 - 1);
    double a[unit_root_detail::kOlsMaxK] = {}, inv[unit_root_detail::kOlsMaxK * unit_root_detail::kOlsMaxK], rss = 0.0;
    if (lag > 0) {
      auto col = [&](int j, int64_t r) { return yy[t0 - 1 + r - (j + 1)]; };
      if (!unit_root_detail::ols_cols(col, yrow, nr, lag, a, inv, &rss)) return out;
    }
    auto z4 = [&](int64_t s) {  // s 1-based, s >= m + 1 + lag
      double v = sx[s - 1];
      for (int k = 0; k < lag; ++k) v -= a[k] * sx[s - 2 - k];
      return v;
    };
    auto z5 = [&](int64_t s) {  // s >= 2 + lag
      double v = dx[s - 1];
      for (int k = 0; k < lag; ++k) v -= a[k] * dx[s - 2 - k];
      return v;
    };
    const int k = lag + 2;
    auto col = [&](int j, int64_t r) {
      const int64_t t = t0 + r;
      if (j < lag) return yy[t - 1 - (j + 1)];
      return j == lag ? z4(t - 1) : z5(t - m);
    };
    double b[unit_root_detail::kOlsMaxK];
    if (!unit_root_detail::ols_cols(col, yrow, nr, k, b, inv, &out.rss)) return out;
    const int64_t df = nr - k;
    if (df <= 0) return out;
    const double s2 = out.rss / static_cast<double>(df);
    const double se = std::sqrt(s2 * inv[(k - 1) * k + (k - 1)]);
    out.coef_z5_t = b[k - 1] / se;
    out.n_rows = nr;
    out.rank = k;
    out.ok = std::isfinite(out.coef_z5_t);
    return out;
  };
  // lag.method = "AIC" over lags 1..3 with maxlag = 3 (same rows for all), then R takes
  // maxlag <- which.min(AIC) - 1 (sic) and fits once more with lag = maxlag.
  const int maxlag = 3;
  int id = 0;
  double best = std::numeric_limits<double>::infinity();
  for (int lag = 1; lag <= maxlag; ++lag) {
    const Reg r = fit(lag, maxlag);
    if (!r.ok) continue;
    const double nn = static_cast<double>(r.n_rows);
    // AIC(lm) = -2 logLik + 2 (rank + 1), logLik = -N/2 (log(2 pi) + 1 - log N + log RSS).
    const double aic = nn * (std::log(2.0 * M_PI) + 1.0 - std::log(nn) + std::log(r.rss)) + 2.0 * (r.rank + 1);
    if (aic < best) best = aic, id = lag;
  }
  if (id == 0) return false;
  const Reg r = fit(id - 1, id - 1);
  if (!r.ok) return false;
  *stat = r.coef_z5_t;
  return true;
}

SKU_HD inline int64_t nsdiffs_work_size(int64_t n, int m) {
  const int64_t a = 2 * n + stl_work_size(n, m), b = ocsb_work_size(n, m);
  return a > b ? a : b;
}

SKU_HD inline int nsdiffs(const double* x, int64_t n, int m, SeasonalTest test, int max_D, double* work) {
  // nsdiffs: constant -> 0; frequency >= length -> 0; D = 1 when the test says so. With
  // max.D = 1 the loop never tests again.
  if (max_D <= 0 || r_is_constant(x, n) || m < 2 || m >= n) return 0;
  bool dodiff = false;
  if (test == SeasonalTest::Seas) {
    const double s = seasonal_strength(x, n, m, work);
    dodiff = std::isfinite(s) && s > 0.64;  // stl errors (too short) -> tryCatch -> 0
  } else {
    double stat = 0.0, crit = 0.0;
    dodiff = ocsb_test(x, n, m, &stat, &crit, work) && stat > crit;
  }
  return dodiff ? 1 : 0;
}

SKU_HD inline bool ols_small(const double* X, const double* y, int64_t n, int k, double* beta, double* resid) {
  if (k < 1 || k > unit_root_detail::kOlsMaxK) return false;
  auto col = [&](int j, int64_t t) { return X[t * k + j]; };
  double rss = 0.0;
  if (!unit_root_detail::ols_cols(col, y, n, k, beta, nullptr, &rss)) return false;
  if (resid)
    for (int64_t t = 0; t < n; ++t) {
      double r = y[t];
      for (int j = 0; j < k; ++j) r -= beta[j] * X[t * k + j];
      resid[t] = r;
    }
  return true;
}

}  // namespace skucast
