// engine/stat/arima/auto_core.h — automatic ARIMA order: R forecast 8.20's auto.arima
// stepwise search (Note [ARIMA automatic order] in arima.h), with its conditional-sum-of-
// squares approximation (the "CSS" fits of the search) and its rules for failed fits, for the
// CPU and the GPU (SKU_HD, Note [One source for CPU and GPU models] in kernels/hd.hpp). All buffers come
// from the caller (ArimaWork, Note [ARIMA scratch] in engine/stat/arima/core.h); arima_auto (engine/stat/arima/auto.cpp)
// forwards here. Regressors (ArimaAutoOptions::xreg) and the trace are host-only: on the device
// a search with regressors fails and nothing is printed.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#ifndef __CUDA_ARCH__
#include <cstdio>
#include <vector>
#endif

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/core.h"
#include "engine/stat/arima/fit_core.h"
#include "engine/stat/arima/kalman_core.h"
#include "kernels/hd.hpp"
#include "engine/stat/optim.h"
#include "engine/stat/arima/unit_root.h"

namespace skucast {

namespace arima_detail {

constexpr int kMaxReg = kArimaMaxXreg + 1;  // mean/drift + regressors
constexpr int kNModels = 94;                // auto.arima's nmodels

// Size of the search's tmp buffer: the unit-root tests' work (nsdiffs_work_size) + 2 n.
inline SKU_HD int64_t auto_tmp_doubles(int64_t n, int m) {
  const int64_t a = nsdiffs_work_size(n, m > 2 ? m : 2) + 2 * n;
  return n > a ? n : a;
}

}  // namespace arima_detail

// The per-series buffers of arima_auto_hd and arima_forecast_hd (Note [ARIMA scratch]).
struct ArimaWork {
  ArimaMats mats;             // covariance scratch, r <= mats.r_cap
  double* w = nullptr;        // [n] the differenced series (CSS fits)
  double* resid = nullptr;    // [n] CSS residuals
  double* z = nullptr;        // [n] w minus the regression part
  double* xd = nullptr;       // [n, kr_cap] differenced regression columns (mean/drift first)
  double* tmp = nullptr;      // [auto_tmp_doubles(n, m)] unit-root tests, regressor columns
  double* xx = nullptr;       // [n] the series, or the residuals of lm(y ~ xreg)
  double* dx = nullptr;       // [n] its differences
  double* fit = nullptr;      // [3 n] arima_fit_hd's buffer
  double* forecast = nullptr;  // [forecast_cap] arima_forecast_hd's work; aliases w .. fit
  int64_t forecast_cap = 0;
};

// Doubles of the series part of an ArimaWork (all but the covariance scratch) for a series of
// n values, season length m, kx regressor columns (0 on the device), forecasts of orders with
// r <= r_cap.
inline SKU_HD int64_t arima_work_series_doubles(int64_t n, int m, int kx, int r_cap) {
  const int64_t nn = n > 1 ? n : 1;
  const int64_t search = 3 * nn + nn * (1 + kx) + arima_detail::auto_tmp_doubles(nn, m) + 2 * nn + 3 * nn;
  // The forecast's augmented state: N = r + d + D m <= r_cap + 2 + m.
  const int64_t fc = arima_forecast_work_doubles(nn, r_cap, 2 + (m > 1 ? m : 1));
  return search > fc ? search : fc;
}

// Lays the series part out over base [arima_work_series_doubles(n, m, kx, r_cap)]; the caller
// sets mats.
inline SKU_HD ArimaWork arima_work_series(double* base, int64_t n, int m, int kx, int r_cap) {
  const int64_t nn = n > 1 ? n : 1;
  ArimaWork W;
  double* p = base;
  W.forecast = p;
  W.w = p, p += nn;
  W.resid = p, p += nn;
  W.z = p, p += nn;
  W.xd = p, p += nn * (1 + kx);
  W.tmp = p, p += arima_detail::auto_tmp_doubles(nn, m);
  W.xx = p, p += nn;
  W.dx = p, p += nn;
  W.fit = p;
  W.forecast_cap = arima_work_series_doubles(n, m, kx, r_cap);
  return W;
}

// The whole ArimaWork in one buffer: covariance scratch for r <= r_cap, then the series part.
inline SKU_HD int64_t arima_work_doubles(int64_t n, int m, int kx, int r_cap) {
  return arima_mats_doubles(r_cap) + arima_work_series_doubles(n, m, kx, r_cap);
}

inline SKU_HD ArimaWork arima_work_make(double* base, int64_t n, int m, int kx, int r_cap) {
  ArimaWork W = arima_work_series(base + arima_mats_doubles(r_cap), n, m, kx, r_cap);
  W.mats = arima_mats_make(base, r_cap);
  return W;
}

namespace arima_detail {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------------------
// Polynomial root checks.

// True when all roots of 1 - sum_{k=1..deg} a_k (z / rho)^k ... i.e. of 1 - sum a_k z^k lie
// strictly outside the circle of radius rho: the Schur-Cohn step-down (inverse Durbin-Levinson)
// on a_k rho^k, stationary iff every partial autocorrelation has modulus < 1.
inline SKU_HD bool roots_outside(const double* a, int deg, double rho) {
  double c[kArimaMaxState + 8], nxt[kArimaMaxState + 8];
  // Trim trailing zeros (R trims |coef| <= 1e-8 before polyroot).
  while (deg > 0 && std::fabs(a[deg - 1]) <= 1e-8) --deg;
  double s = 1.0;
  for (int k = 0; k < deg; ++k) {
    s *= rho;
    c[k] = a[k] * s;
  }
  for (int j = deg; j >= 1; --j) {
    const double r = c[j - 1];
    if (!(std::fabs(r) < 1.0)) return false;
    const double den = 1.0 - r * r;
    for (int i = 1; i < j; ++i) nxt[i - 1] = (c[i - 1] + r * c[j - i - 1]) / den;
    for (int i = 1; i < j; ++i) c[i - 1] = nxt[i - 1];
  }
  return true;
}

// myarima's check: the expanded AR and MA polynomials have no root with modulus < 1.01.
inline SKU_HD bool roots_ok(const ArimaOrder& o, const ArimaCoefs& c) {
  const ArimaPoly e = arima_expand(o, c);
  if (o.p + o.P > 0 && !roots_outside(e.phi, e.np, 1.01)) return false;
  if (o.q + o.Q > 0) {
    double neg[kArimaMaxState];
    for (int k = 0; k < e.nq; ++k) neg[k] = -e.theta[k];  // 1 + sum theta z^k
    if (!roots_outside(neg, e.nq, 1.01)) return false;
  }
  return true;
}

// R's arCheck: the roots of 1 - sum a_k z^k lie outside the unit circle.
inline SKU_HD bool ar_check(const double* a, int k) { return roots_outside(a, k, 1.0); }

// ---------------------------------------------------------------------------------------
// Conditional sum of squares on raw coefficients (R's arima(method = "CSS")).

struct CssProblem {
  ArimaOrder o;
  const double* w = nullptr;  // [nw]
  int64_t nw = 0;
  const double* xd = nullptr;  // [nw, kr]
  int kr = 0;                  // regression columns (mean/drift + xreg)
  double beta0[kMaxReg] = {}, beta_scale[kMaxReg] = {};
  double* z = nullptr;      // [nw]
  double* resid = nullptr;  // [nw]
  SKU_HD int n_par() const { return o.p + o.q + o.P + o.Q + kr; }

  SKU_HD ArimaCoefs coefs(const double* x, double* beta) const {
    ArimaCoefs c;
    int k = 0;
    for (int i = 0; i < o.p; ++i) c.ar[i] = x[k++];
    for (int i = 0; i < o.q; ++i) c.ma[i] = x[k++];
    for (int i = 0; i < o.P; ++i) c.sar[i] = x[k++];
    for (int i = 0; i < o.Q; ++i) c.sma[i] = x[k++];
    for (int j = 0; j < kr; ++j) beta[j] = beta0[j] + beta_scale[j] * x[k++];
    return c;
  }

  // ssq / nu of the CSS residuals; NaN when not finite.
  SKU_HD double sigma2(const double* x) const {
    double beta[kMaxReg];
    const ArimaCoefs c = coefs(x, beta);
    const ArimaPoly e = arima_expand(o, c);
    const double* u = w;
    if (kr > 0) {
      for (int64_t t = 0; t < nw; ++t) {
        double v = w[t];
        for (int j = 0; j < kr; ++j) v -= beta[j] * xd[t * kr + j];
        z[t] = v;
      }
      u = z;
    }
    const double ssq = arima_css_ssq(u, nw, e, 0.0, resid);  // engine/stat/arima/core.h
    const double s2 = ssq / static_cast<double>(nw - e.np);
    return std::isfinite(s2) ? s2 : std::numeric_limits<double>::quiet_NaN();
  }
  SKU_HD double operator()(const double* x) const {
    const double s2 = sigma2(x);
    return s2 > 0.0 ? 0.5 * std::log(s2) : 1e10;
  }
};

// Builds the regression columns of an order on the differenced scale: a column of ones for the
// mean (d + D = 0) or the drift (d + D = 1, the constant per differenced step, arima.h), then
// the differenced regressors. Also the OLS start (R's lm(dx ~ dxreg - 1)) and a scale (the OLS
// standard error) for each coefficient. Returns the number of columns, -1 when OLS fails.
inline SKU_HD int css_regression(const ArimaOrder& o, int64_t n, const ArimaXreg* xreg, const ArimaWork& wk,
                                 CssProblem& pb) {
  const int64_t nw = arima_n_diff_hd(o, n);
  const int kx = xreg != nullptr ? xreg->k : 0;
  const int kr = (o.constant ? 1 : 0) + kx;
  pb.kr = kr;
  if (kr == 0) return 0;
  double* xd = wk.xd;
  double* col = wk.tmp;  // [n] one regressor column
  double* dcol = wk.z;   // [nw] its differences (z is free here)
  int j0 = 0;
  if (o.constant) {
    for (int64_t t = 0; t < nw; ++t) xd[t * kr] = 1.0;
    j0 = 1;
  }
  for (int j = 0; j < kx; ++j) {
    for (int64_t t = 0; t < n; ++t) col[t] = xreg->x[t * xreg->k + j];
    arima_difference_hd(col, n, o, dcol);
    for (int64_t t = 0; t < nw; ++t) xd[t * kr + j0 + j] = dcol[t];
  }
  double beta[kMaxReg];
  if (!ols_small(xd, pb.w, nw, kr, beta, wk.resid)) return -1;
  double rss = 0.0;
  for (int64_t t = 0; t < nw; ++t) rss += wk.resid[t] * wk.resid[t];
  const double df = static_cast<double>(nw - kr);
  const double s = std::sqrt(rss / (df > 1.0 ? df : 1.0));
  for (int j = 0; j < kr; ++j) {
    // Standard error of beta_j ~ s / sqrt(sum x_j^2) (the exact (X'X)^-1 diagonal matters
    // little: it only scales the optimiser's coordinate).
    double ss = 0.0;
    for (int64_t t = 0; t < nw; ++t) ss += xd[t * kr + j] * xd[t * kr + j];
    const double se = ss > 0.0 ? s / std::sqrt(ss) : 1.0;
    pb.beta0[j] = beta[j];
    pb.beta_scale[j] = se > 0.0 && std::isfinite(se) ? se : 1.0;
  }
  return kr;
}

struct CssResult {
  ArimaCoefs c;
  double sigma2 = 0.0;
  bool ok = false;
};

// CSS fit of one order (R's optim on armaCSS from zero ARMA coefficients and the OLS
// regression). Nelder-Mead, then one restart at the optimum.
inline SKU_HD CssResult css_fit(const double* y, int64_t n, const ArimaOrder& o, const ArimaXreg* xreg,
                                const ArimaWork& wk) {
  CssResult res;
  CssProblem pb;
  pb.o = o;
  pb.nw = arima_n_diff_hd(o, n);
  const ArimaPoly e0 = arima_expand(o, ArimaCoefs{});
  if (pb.nw - e0.np < 1) return res;
  arima_difference_hd(y, n, o, wk.w);
  pb.w = wk.w;
  pb.z = wk.z;
  pb.resid = wk.resid;
  pb.xd = wk.xd;
  if (css_regression(o, n, xreg, wk, pb) < 0) return res;
  const int np = pb.n_par();
  if (np > kNmMaxDim) return res;
  double x[kNmMaxDim] = {}, step[kNmMaxDim], lo[kNmMaxDim], hi[kNmMaxDim];
  for (int j = 0; j < np; ++j) step[j] = 0.1, lo[j] = -kInf, hi[j] = kInf;
  if (np > 0) {
    NelderMeadOptions opt;
    opt.max_evals = 4000;
    nelder_mead(pb, x, np, step, lo, hi, opt);
    for (int j = 0; j < np; ++j) step[j] = 0.02;
    nelder_mead(pb, x, np, step, lo, hi, opt);
  }
  const double s2 = pb.sigma2(x);
  if (!(s2 > 0.0)) return res;
  double beta[kMaxReg];
  res.c = pb.coefs(x, beta);
  const int j0 = o.constant ? 1 : 0;
  if (o.constant) res.c.mu = beta[0];
  if (xreg != nullptr)
    for (int j = 0; j < xreg->k; ++j) res.c.beta[j] = beta[j0 + j];
  res.sigma2 = s2;
  res.ok = true;
  return res;
}

// ---------------------------------------------------------------------------------------
// One candidate (forecast's myarima).

struct Search {
  bool trace;
  const double* y;
  int64_t n;
  int m;
  int d, D;
  bool approximation;
  bool use_aic;  // serieslength <= 3
  const ArimaXreg* xreg;
  const ArimaWork* wk;
  int n_fits;
};

inline SKU_HD double info_crit(double aic, int npar, int64_t nstar, bool use_aic) {
  if (use_aic) return aic;
  return aic + 2.0 * npar * (npar + 1.0) / static_cast<double>(nstar - npar - 1);  // R: no guard
}

// The information criterion of one order; Inf for failed or rejected fits. With exact = true
// also writes the maximum-likelihood fit.
inline SKU_HD double my_arima_impl(Search& S, const ArimaOrder& o, bool exact, ArimaFit* fit_out) {
  ++S.n_fits;
  if (!arima_order_ok_hd(o)) return kInf;  // beyond the state limits (arima.h): a failed fit
  const int64_t nstar = S.n - o.d - static_cast<int64_t>(o.D) * o.m;
  const int kx = S.xreg != nullptr ? S.xreg->k : 0;
  if (!exact) {
    const CssResult r = css_fit(S.y, S.n, o, S.xreg, *S.wk);
    if (!r.ok) return kInf;
    const int npar = o.p + o.q + o.P + o.Q + (o.constant ? 1 : 0) + kx + 1;
    // myarima: aic = offset + nstar log(sigma2) + 2 npar. The offset (from a (0,d,0)(0,D,0) fit)
    // is the same for every candidate of a search and is left out.
    const double aic = static_cast<double>(nstar) * std::log(r.sigma2) + 2.0 * npar;
    double ic = info_crit(aic, npar, nstar, S.use_aic);
    if (!std::isfinite(ic) || !roots_ok(o, r.c)) ic = kInf;
    return ic;
  }
  // method "CSS-ML": R's arima stops with "non-stationary AR part from CSS" when the CSS
  // start has a non-stationary AR or seasonal AR part: a failed fit.
  if (o.p + o.P > 0) {
    const CssResult r = css_fit(S.y, S.n, o, S.xreg, *S.wk);
    if (r.ok && (!ar_check(r.c.ar, o.p) || !ar_check(r.c.sar, o.P))) return kInf;
  }
  ArimaFit fit;
  if (!arima_fit_hd(S.y, S.n, o, fit, S.wk->mats, S.wk->fit, S.xreg, ArimaEffort::Search)) return kInf;
  const int npar = fit.n_coef + 1;
  const double aic = -2.0 * fit.loglik + 2.0 * npar;
  double ic = info_crit(aic, npar, nstar, S.use_aic);
  if (!std::isfinite(ic) || !roots_ok(o, fit.coefs)) ic = kInf;
  fit.aicc = S.use_aic ? aic + 2.0 * npar * (npar + 1.0) / static_cast<double>(nstar - npar - 1) : ic;
  if (fit_out) *fit_out = fit;
  return ic;
}

// auto.arima(trace = TRUE): one line per candidate on stderr (host only).
inline SKU_HD double my_arima(Search& S, const ArimaOrder& o, bool exact, ArimaFit* fit_out) {
  const double ic = my_arima_impl(S, o, exact, fit_out);
#ifndef __CUDA_ARCH__
  if (S.trace)
    std::fprintf(stderr, " ARIMA(%d,%d,%d)(%d,%d,%d)[%d]%s %s: %.6f\n", o.p, o.d, o.q, o.P, o.D, o.Q, o.m,
                 o.constant ? " with constant" : "", exact ? "ML " : "CSS", ic);
#endif
  return ic;
}

struct Tried {
  int p, q, P, Q;
  bool constant;
  double ic;
};

struct Candidate {
  double ic;
  ArimaFit fit;
};

struct Move {
  int dp, dq, dP, dQ;
};

#ifndef __CUDA_ARCH__
// The residuals xx [n] of lm(y ~ 1 + the regressor columns xcols) (host only: owns its design
// matrix). False when the design is rank deficient.
inline bool xreg_residuals(const double* y, int64_t n, const ArimaXreg& xreg, const int* xcols, int n_xcols,
                           double* xx) {
  const int k = n_xcols + 1;
  std::vector<double> X(static_cast<size_t>(n) * k);  // [n, k] intercept + columns
  for (int64_t t = 0; t < n; ++t) {
    X[t * k] = 1.0;
    for (int j = 0; j < n_xcols; ++j) X[t * k + 1 + j] = xreg.x[t * xreg.k + xcols[j]];
  }
  double beta[kMaxReg + 1];
  return ols_small(X.data(), y, n, k, beta, xx);
}
#endif

}  // namespace arima_detail

// ---------------------------------------------------------------------------------------

// Automatic order and fit of y [n] with season length m (arima_auto in arima.h). W: an
// ArimaWork laid out for at least n values with kr_cap >= 1 + the regressor columns.
inline SKU_HD bool arima_auto_hd(const double* y, int64_t n, int m, ArimaFit& out, const ArimaWork& W,
                                 const ArimaAutoOptions& opt, ArimaAutoInfo* info) {
  using namespace arima_detail;
  out = ArimaFit{};
  ArimaAutoInfo inf_local;
  ArimaAutoInfo& I = info ? *info : inf_local;
  I = ArimaAutoInfo{};
  if (n < 1) return false;
  for (int64_t t = 0; t < n; ++t)
    if (!std::isfinite(y[t])) return false;
  const ArimaXreg* xreg = opt.xreg != nullptr && opt.xreg->k > 0 ? opt.xreg : nullptr;
  if (xreg != nullptr && (xreg->k > kArimaMaxXreg || xreg->x == nullptr)) return false;
#ifdef __CUDA_ARCH__
  if (xreg != nullptr) return false;  // regressors are host-only
#endif
  // auto.arima: approximation = (length(x) > 150 | frequency(x) > 12), on the given frequency.
  const bool approximation = opt.approximation < 0 ? (n > 150 || m > 12) : opt.approximation == 1;
  // Seasonal only for 2 <= m <= 24 (the state limits, arima.h); otherwise as seasonal = FALSE.
  const int mm = (m >= 2 && m <= kArimaMaxDiff - 2) ? m : 1;
  if (r_is_constant(y, n)) return false;  // auto.arima fits a fixed mean: the caller's constant case

  const int64_t n3 = n / 3;
  int max_p = static_cast<int>(opt.max_p < n3 ? opt.max_p : n3), max_q = static_cast<int>(opt.max_q < n3 ? opt.max_q : n3);
  const int64_t n3m = n / 3 / mm;
  int max_P = mm > 1 ? static_cast<int>(opt.max_P < n3m ? opt.max_P : n3m) : 0;
  int max_Q = mm > 1 ? static_cast<int>(opt.max_Q < n3m ? opt.max_Q : n3m) : 0;
  const bool use_aic = n <= 3;

  // xx: the series, or the residuals of lm(y ~ xreg) (with an intercept) when there are
  // regressors (constant columns dropped, as auto.arima's xregg).
  double* xx = W.xx;  // [n]
  for (int64_t t = 0; t < n; ++t) xx[t] = y[t];
  int xcols[kArimaMaxXreg], n_xcols = 0;
  if (xreg != nullptr) {
    for (int j = 0; j < xreg->k; ++j) {
      double* c = W.tmp;
      for (int64_t t = 0; t < n; ++t) c[t] = xreg->x[t * xreg->k + j];
      if (!r_is_constant(c, n)) xcols[n_xcols++] = j;
    }
#ifndef __CUDA_ARCH__
    if (n_xcols > 0 && !xreg_residuals(y, n, *xreg, xcols, n_xcols, xx)) return false;  // R: "xreg is rank deficient"
#endif
  }
  // Some differenced regressor is constant (R drops one difference then).
  auto xreg_diff_constant = [&](int d, int D) {
    if (n_xcols == 0) return false;
    ArimaOrder od;
    od.d = d, od.D = D, od.m = mm;
    const int64_t nw = arima_n_diff_hd(od, n);
    if (nw < 1) return true;
    double* c = W.tmp;
    double* dc = W.z;
    for (int j = 0; j < n_xcols; ++j) {
      for (int64_t t = 0; t < n; ++t) c[t] = xreg->x[t * xreg->k + xcols[j]];
      arima_difference_hd(c, n, od, dc);
      if (r_is_constant(dc, nw)) return true;
    }
    return false;
  };

  // Seasonal differences: nsdiffs on xx (D = 0 when n <= 2 m).
  int D = 0;
  if (mm > 1 && n > 2 * static_cast<int64_t>(mm) && opt.max_D > 0) {
    D = nsdiffs(xx, n, mm, opt.seasonal_test, opt.max_D, W.tmp);
    if (D > 0 && xreg_diff_constant(0, D)) D = 0;
  }
  if (mm == 1) max_P = max_Q = 0;
  // dx = diff(xx, lag m, D); d = ndiffs(dx).
  double* dx = W.dx;  // [n]
  int64_t ndx = n;
  for (int64_t t = 0; t < n; ++t) dx[t] = xx[t];
  if (D > 0) {
    for (int64_t t = 0; t + mm < n; ++t) dx[t] = xx[t + mm] - xx[t];
    ndx = n - mm;
  }
  int d = ndiffs_kpss(dx, ndx, opt.max_d, W.tmp);
  if (d > 0 && xreg_diff_constant(d, D)) d -= 1;
  for (int k = 0; k < d; ++k) {
    for (int64_t t = 0; t + 1 < ndx; ++t) dx[t] = dx[t + 1] - dx[t];
    --ndx;
  }
  I.d = d, I.D = D, I.approximation = approximation;
  if (ndx < 1) return false;  // "Not enough data to proceed"

  ArimaOrder base;
  base.d = d, base.D = D, base.m = D > 0 || max_P > 0 || max_Q > 0 ? mm : 1;
  if (r_is_constant(dx, ndx)) {
    // The differenced series is constant (a polynomial trend, a repeated seasonal pattern):
    // R fits (0,d,0)(0,D,0) with the drift/mean fixed at mean(dx) (/ m for D = 1). Here the
    // constant of the differenced series is that value and sigma2 is 0.
    if (xreg != nullptr || d + D > 1) return false;  // R: no constant (or xreg): degenerate
    double mean = 0.0;
    for (int64_t t = 0; t < ndx; ++t) mean += dx[t];
    out.order = base;
    out.order.constant = true;
    out.coefs.mu = mean / static_cast<double>(ndx);
    out.sigma2 = 0.0;
    out.loglik = kInf;
    out.aicc = -kInf;
    out.ok = true;
    return true;
  }
  if (mm > 1) {
    if (max_P > 0) max_p = max_p < mm - 1 ? max_p : mm - 1;
    if (max_Q > 0) max_q = max_q < mm - 1 ? max_q : mm - 1;
  }
  const bool allow_drift = opt.allow_drift && d + D == 1;
  const bool allow_mean = opt.allow_mean && d + D == 0;
  bool constant = allow_drift || allow_mean;

  Search S{opt.trace, y, n, mm, d, D, approximation, use_aic, xreg, &W, 0};
  Tried tried[kNModels + 1];
  int k = 0;
  auto order_of = [&](int p, int q, int P, int Q, bool c) {
    ArimaOrder o = base;
    o.p = p, o.q = q, o.P = P, o.Q = Q, o.constant = c;
    if (P == 0 && Q == 0 && D == 0) o.m = 1;  // use.season = sum(seasonal) > 0
    return o;
  };
  auto is_new = [&](int p, int q, int P, int Q, bool c) {
    for (int i = 0; i < k; ++i)
      if (tried[i].p == p && tried[i].q == q && tried[i].P == P && tried[i].Q == Q && tried[i].constant == c) return false;
    return true;
  };
  auto fit = [&](int p, int q, int P, int Q, bool c) {
    Candidate cand;
    cand.ic = my_arima(S, order_of(p, q, P, Q, c), !approximation, &cand.fit);
    tried[k++] = Tried{p, q, P, Q, c, cand.ic};
    return cand;
  };

  // Start models (stepwise = TRUE).
  int start_p = opt.start_p, start_q = opt.start_q, start_P = opt.start_P, start_Q = opt.start_Q;
  if (n < 10) {
    start_p = start_p < 1 ? start_p : 1, start_q = start_q < 1 ? start_q : 1;
    start_P = start_Q = 0;
  }
  int p = start_p < max_p ? start_p : max_p, q = start_q < max_q ? start_q : max_q;
  int P = start_P < max_P ? start_P : max_P, Q = start_Q < max_Q ? start_Q : max_Q;
  Candidate best = fit(p, q, P, Q, constant);
  auto consider = [&](const Candidate& c) {
    if (c.ic < best.ic) {
      best = c;
      return true;
    }
    return false;
  };
  if (consider(fit(0, 0, 0, 0, constant))) p = q = P = Q = 0;
  if (max_p > 0 || max_P > 0) {
    const int pp = max_p > 0, PP = mm > 1 && max_P > 0;
    if (consider(fit(pp, 0, PP, 0, constant))) p = pp, P = PP, q = Q = 0;
  }
  if (max_q > 0 || max_Q > 0) {
    const int qq = max_q > 0, QQ = mm > 1 && max_Q > 0;
    if (consider(fit(0, qq, 0, QQ, constant))) p = P = 0, Q = QQ, q = qq;
  }
  if (constant) {
    if (consider(fit(0, 0, 0, 0, false))) p = q = P = Q = 0;
  }
  // The stepwise neighbourhood, in auto.arima's order: seasonal moves (P, Q, both), then
  // non-seasonal moves (p, q, both), then the constant toggle. The first improvement restarts
  // the scan; the search ends when a full scan fits no new model, or after nmodels fits.
  const Move moves[16] = {{0, 0, -1, 0},  {0, 0, 0, -1}, {0, 0, 1, 0},  {0, 0, 0, 1}, {0, 0, -1, -1}, {0, 0, -1, 1},
                          {0, 0, 1, -1},  {0, 0, 1, 1},  {-1, 0, 0, 0}, {0, -1, 0, 0}, {1, 0, 0, 0},  {0, 1, 0, 0},
                          {-1, -1, 0, 0}, {-1, 1, 0, 0}, {1, -1, 0, 0}, {1, 1, 0, 0}};
  int startk = 0;
  bool stopped = false;
  while (startk < k && k < kNModels && !stopped) {
    startk = k;
    bool improved = false;
    for (const Move& mv : moves) {
      const int np_ = p + mv.dp, nq_ = q + mv.dq, nP_ = P + mv.dP, nQ_ = Q + mv.dQ;
      if (np_ < 0 || nq_ < 0 || nP_ < 0 || nQ_ < 0 || np_ > max_p || nq_ > max_q || nP_ > max_P || nQ_ > max_Q) continue;
      if (!is_new(np_, nq_, nP_, nQ_, constant)) continue;
      if (k + 1 > kNModels) {
        stopped = true;
        break;
      }
      if (consider(fit(np_, nq_, nP_, nQ_, constant))) {
        p = np_, q = nq_, P = nP_, Q = nQ_;
        improved = true;
        break;
      }
    }
    if (improved || stopped) continue;
    if ((allow_drift || allow_mean) && is_new(p, q, P, Q, !constant)) {
      if (k + 1 > kNModels) break;
      if (consider(fit(p, q, P, Q, !constant))) constant = !constant;
    }
  }
  I.n_models = k;
  I.search_ic = best.ic;

  if (approximation) {
    if (!std::isfinite(best.ic)) return false;  // every fit failed: R's bestfit has no arma
    // Re-fit by maximum likelihood in the order of the approximate criterion (stable, as R's
    // order(): an insertion sort, which is stable); the first model with a finite criterion wins.
    int idx[kNModels + 1];
    for (int i = 0; i < k; ++i) {
      int j = i - 1;
      for (; j >= 0 && tried[i].ic < tried[idx[j]].ic; --j) idx[j + 1] = idx[j];
      idx[j + 1] = i;
    }
    for (int i = 0; i < k; ++i) {
      const Tried& t = tried[idx[i]];
      ArimaFit f;
      const double ic = my_arima(S, order_of(t.p, t.q, t.P, t.Q, t.constant), true, &f);
      ++I.n_refits;
      if (ic < kInf) {
        out = f;
        I.n_fits = S.n_fits;
        return out.ok;
      }
    }
    I.n_fits = S.n_fits;
    return false;
  }
  I.n_fits = S.n_fits;
  if (!std::isfinite(best.ic)) return false;  // "No suitable ARIMA model found"
  out = best.fit;
  return out.ok;
}

}  // namespace skucast
