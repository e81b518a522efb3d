// engine/stat/arima/fit_core.h — maximum-likelihood fit of one ARIMA order (Note [ARIMA
// estimation] in arima.h): a conditional-sum-of-squares Nelder-Mead start, then Nelder-Mead on
// the exact likelihood of the fast filter (engine/stat/arima/core.h), for the CPU and the GPU (SKU_HD,
// Note [One source for CPU and GPU models] in kernels/hd.hpp). arima_fit (arima.cpp) forwards here.
//
// Regressors (ARIMAX) are host-only: their OLS start (arimax_start, arimax.h) owns a
// std::vector, so that part sits behind #ifndef __CUDA_ARCH__, and on the device a fit with
// regressors fails (the GPU serves "arima" without regressors, engine/stat/gpu_models.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include <memory>

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/core.h"
#include "engine/stat/arima/arimax.h"
#include "engine/stat/forecast_util.h"
#include "kernels/hd.hpp"
#include "engine/stat/optim.h"

namespace skucast {

namespace arima_detail {

constexpr double kHuge = 1e10;  // objective where the filter fails
// Note [ARIMA starts]: besides the CSS start, maximum likelihood starts with every transformed
// coordinate at 0 (white noise), +1 and -1 (partial autocorrelations +-0.76). ARMA
// likelihoods are often multimodal (near-cancelling AR and MA roots): on monthly co2,
// (1,1,1)(1,0,0)12 from CSS and from 0 stops at log-likelihood -141.4 while statsmodels'
// optimum, -135.8, is reached from +1. The better optimum is refined by a restart.
constexpr int kArimaExtraStarts = 3;
inline SKU_HD double arima_extra_start(int i) { return i == 0 ? 0.0 : (i == 1 ? 1.0 : -1.0); }  // 0, +1, -1

// Layout of the optimiser's vector: [ar (p), ma (q), sar (P), sma (Q), mu?, beta (free)];
// mu is w_mean + w_scale * x and each free beta_j is beta0_j + beta_scale_j * x so that all
// coordinates are of order one (Note [ARIMAX estimation] in arimax.h).
struct ArimaLayout {
  ArimaOrder o;
  double w_mean = 0.0, w_scale = 1.0;
  int n = 0;
  int n_arma = 0;                      // p + q + P + Q
  const ArimaXregStart* xs = nullptr;  // regression part (ARIMAX, host only) or null
};

#ifndef __CUDA_ARCH__
// Host-only regression pieces of the layout (ArimaXregStart is a host type).
inline void layout_xreg(ArimaLayout& L, const ArimaXregStart* xs) {
  L.xs = xs;
  L.n += xs->n_free;
  L.w_mean = xs->mu0;
  L.w_scale = xs->resid_sd > 0.0 && std::isfinite(xs->resid_sd) ? xs->resid_sd : 1.0;
}
inline void unpack_xreg(const ArimaLayout& L, const double* x, int k, ArimaCoefs& c) {
  for (int j = 0; j < L.xs->k; ++j) c.beta[j] = L.xs->free[j] ? L.xs->beta0[j] + L.xs->beta_scale[j] * x[k++] : 0.0;
}
#endif

inline SKU_HD ArimaLayout make_layout(const ArimaOrder& o, const double* w, int64_t nw, const ArimaXregStart* xs) {
  ArimaLayout L;
  L.o = o;
  L.n_arma = o.p + o.q + o.P + o.Q;
  L.n = L.n_arma + (o.constant ? 1 : 0);
#ifndef __CUDA_ARCH__
  if (xs != nullptr) {
    // Regression: mu starts at the OLS intercept and scales with the OLS residual sd.
    layout_xreg(L, xs);
    return L;
  }
#endif
  double s = 0.0, ss = 0.0;
  for (int64_t t = 0; t < nw; ++t) s += w[t];
  L.w_mean = s / static_cast<double>(nw);
  for (int64_t t = 0; t < nw; ++t) ss += (w[t] - L.w_mean) * (w[t] - L.w_mean);
  const double sd = std::sqrt(ss / static_cast<double>(nw));
  L.w_scale = sd > 0.0 && std::isfinite(sd) ? sd : 1.0;
  return L;
}

inline SKU_HD ArimaCoefs unpack(const ArimaLayout& L, const double* x) {
  ArimaCoefs c;
  const ArimaOrder& o = L.o;
  int k = 0;
  double tmp[kArimaMaxP];
  arima_partrans(x + k, o.p, c.ar);
  k += o.p;
  arima_partrans(x + k, o.q, tmp);  // invertible MA: theta = -phi of a stationary AR
  for (int i = 0; i < o.q; ++i) c.ma[i] = -tmp[i];
  k += o.q;
  arima_partrans(x + k, o.P, c.sar);
  k += o.P;
  arima_partrans(x + k, o.Q, tmp);
  for (int i = 0; i < o.Q; ++i) c.sma[i] = -tmp[i];
  k += o.Q;
  c.mu = o.constant ? L.w_mean + L.w_scale * x[k] : 0.0;
  if (o.constant) ++k;
#ifndef __CUDA_ARCH__
  if (L.xs != nullptr) unpack_xreg(L, x, k, c);
#endif
  return c;
}

// The series the ARMA part sees: w itself, or u = w - xd beta [nw] (written to buf) for an ARIMAX.
inline SKU_HD const double* arma_series(const ArimaLayout& L, const double* w, int64_t nw, const ArimaCoefs& c,
                                        double* buf) {
  if (L.xs == nullptr) return w;
#ifndef __CUDA_ARCH__
  arimax_subtract(w, nw, L.xs->xd.data(), L.xs->k, c.beta, buf);
#endif
  return buf;
}

// Conditional sum of squares (R's ARIMA_CSS on the differenced series): residuals from
// t = np on, earlier ones zero; objective 0.5 log(ssq / n_used).
struct CssObjective {
  const double* w0;
  int64_t nw;
  ArimaLayout L;
  double* resid;  // [nw] scratch
  double* u;      // [nw] scratch: w - xd beta (ARIMAX)
  SKU_HD double operator()(const double* x) const {
    const ArimaCoefs c = unpack(L, x);
    const double* w = arma_series(L, w0, nw, c, u);
    const ArimaPoly e = arima_expand(L.o, c);
    const double ssq = arima_css_ssq(w, nw, e, c.mu, resid);
    const double nu = static_cast<double>(nw - e.np);
    const double f = 0.5 * std::log(ssq / nu);
    return std::isfinite(f) ? f : kHuge;
  }
};

// Concentrated exact likelihood: 0.5 (log(ssq / n) + sumlog / n).
struct MlObjective {
  const double* w;
  int64_t nw;
  ArimaLayout L;
  double* acov;  // [kArimaAcovWork-like: (r + 1)^2] arima_p0_column's system
  double* u;     // [nw] scratch: w - xd beta (ARIMAX)
  SKU_HD double operator()(const double* x) const {
    const ArimaCoefs c = unpack(L, x);
    const ArimaFilterResult f = arima_filter_fast(arma_series(L, w, nw, c, u), nw, arima_expand(L.o, c), c.mu, acov);
    if (!f.ok || !(f.ssq > 0.0)) return kHuge;
    const double nn = static_cast<double>(nw);
    const double v = 0.5 * (std::log(f.ssq / nn) + f.sumlog / nn);
    return std::isfinite(v) ? v : kHuge;
  }
};

}  // namespace arima_detail

// Maximum-likelihood fit of order o to y [n] (arima_fit in arima.h). mats: the covariance
// scratch (only acov is used; the order's r must be <= mats.r_cap); buf [3 n] scratch.
// xreg (host only; null on the device): regression with ARIMA errors.
inline SKU_HD bool arima_fit_hd(const double* y, int64_t n, const ArimaOrder& o, ArimaFit& out, const ArimaMats& mats,
                                double* buf, const ArimaXreg* xreg, ArimaEffort effort) {
  using namespace arima_detail;
  out = ArimaFit{};
  out.order = o;
  if (!arima_order_ok_hd(o)) return false;
  const bool has_xreg = xreg != nullptr && xreg->k > 0;
  if (has_xreg && (xreg->k > kArimaMaxXreg || xreg->x == nullptr)) return false;
  const int64_t nw = arima_n_diff_hd(o, n);
  const ArimaPoly e0 = arima_expand(o, ArimaCoefs{});
  if (e0.r > mats.r_cap) return false;  // Note [ARIMA scratch]
  int n_coef = o.p + o.q + o.P + o.Q + (o.constant ? 1 : 0) + (has_xreg ? xreg->k : 0);
  if (nw < e0.np + n_coef + 2) return false;
  // w [nw], CSS residuals [nw], u = w - xd beta [nw]
  double* w = buf;
  double* u = w + 2 * nw;
  arima_difference_hd(y, n, o, w);
  if (!all_finite(w, nw)) return false;
  // Regression with ARIMA errors: differenced regressors and the OLS start (Note [ARIMAX
  // estimation], arimax.h); columns collinear on the differenced data keep beta = 0.
  const ArimaXregStart* xsp = nullptr;
#ifndef __CUDA_ARCH__
  std::unique_ptr<ArimaXregStart> xs;
  if (has_xreg) {
    xs = std::make_unique<ArimaXregStart>();
    if (!arimax_start(*xreg, n, o, w, nw, *xs)) return false;
    n_coef -= xreg->k - xs->n_free;
    xsp = xs->n_free > 0 ? xs.get() : nullptr;
  }
#else
  if (has_xreg) return false;  // host-only
#endif
  const ArimaLayout L = make_layout(o, w, nw, xsp);
  const double inf = std::numeric_limits<double>::infinity();
  double x[kNmMaxDim] = {}, step[kNmMaxDim], lo[kNmMaxDim], hi[kNmMaxDim];
  for (int j = 0; j < L.n; ++j) step[j] = 0.1, lo[j] = -inf, hi[j] = inf;
  int n_evals = 0;
  if (L.n > 0) {
    CssObjective css{w, nw, L, w + nw, u};
    const NelderMeadResult r = nelder_mead(css, x, L.n, step, lo, hi, NelderMeadOptions{});
    n_evals += r.n_evals;
    // A CSS optimum on the boundary of the region (|pacf| -> 1) is a poor start: pull it in.
    for (int j = 0; j < L.n; ++j) {
      if (!std::isfinite(x[j])) x[j] = 0.0;
      x[j] = x[j] > 3.0 ? 3.0 : (x[j] < -3.0 ? -3.0 : x[j]);
    }
    // Maximum likelihood from the CSS start and the fixed starts (Note [ARIMA starts]); the
    // best optimum is then refined by a restart with a small simplex.
    MlObjective ml{w, nw, L, mats.acov, u};
    NelderMeadResult r2 = nelder_mead(ml, x, L.n, step, lo, hi, NelderMeadOptions{});
    n_evals += r2.n_evals;
    const int n_extra = effort == ArimaEffort::Thorough ? kArimaExtraStarts : 0;
    for (int start = 0; start < n_extra; ++start) {
      double x0[kNmMaxDim];
      for (int j = 0; j < L.n; ++j) x0[j] = j < L.n_arma ? arima_extra_start(start) : x[j];  // keep mu, beta
      const NelderMeadResult r0 = nelder_mead(ml, x0, L.n, step, lo, hi, NelderMeadOptions{});
      n_evals += r0.n_evals;
      if (r0.f_min < r2.f_min) {
        r2 = r0;
        for (int j = 0; j < L.n; ++j) x[j] = x0[j];
      }
    }
    for (int j = 0; j < L.n; ++j) step[j] = 0.02;
    r2 = nelder_mead(ml, x, L.n, step, lo, hi, NelderMeadOptions{});  // restart at the optimum
    n_evals += r2.n_evals;
    if (!(r2.f_min < kHuge)) return false;
  }
  const ArimaCoefs c = unpack(L, x);
  const ArimaFilterResult f = arima_filter_fast(arma_series(L, w, nw, c, u), nw, arima_expand(o, c), c.mu, mats.acov);
  if (!f.ok || !(f.ssq > 0.0)) return false;
  const double nn = static_cast<double>(nw);
  out.coefs = c;
  out.sigma2 = f.ssq / nn;
  out.loglik = -0.5 * (nn * std::log(2.0 * M_PI * out.sigma2) + f.sumlog + nn);
  out.n_coef = n_coef;
  out.n_evals = n_evals;
  const double k = n_coef + 1.0;  // + sigma2
  out.aicc = nn - k - 1.0 > 0.0 ? -2.0 * out.loglik + 2.0 * k + 2.0 * k * (k + 1.0) / (nn - k - 1.0) : inf;
  out.ok = std::isfinite(out.loglik) && std::isfinite(out.sigma2);
  return out.ok;
}

}  // namespace skucast
