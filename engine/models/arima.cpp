// engine/models/arima.cpp — ARIMA estimation (CSS start, then maximum likelihood on
// transformed parameters) and the StatModel "arima" (the automatic order is in arima_auto.cpp)
// (see arima.h; the state space and the filter are in arima_kalman.cpp).
#include "engine/models/arima.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "engine/models/arima_internal.h"
#include "engine/models/arimax.h"
#include "engine/models/forecast_util.h"
#include "engine/models/optim.h"

namespace skucast {

namespace {

constexpr double kHuge = 1e10;  // objective where the filter fails
// Note [ARIMA starts]: besides the CSS start, maximum likelihood starts with every transformed
// coordinate at 0 (white noise), +1 and -1 (partial autocorrelations +-0.76). ARMA
// likelihoods are often multimodal (near-cancelling AR and MA roots): on monthly co2,
// (1,1,1)(1,0,0)12 from CSS and from 0 stops at log-likelihood -141.4 while statsmodels'
// optimum, -135.8, is reached from +1. The better optimum is refined by a restart.
constexpr int kArimaExtraStarts = 3;
constexpr double kArimaStarts[kArimaExtraStarts] = {0.0, 1.0, -1.0};

// Layout of the optimiser's vector: [ar (p), ma (q), sar (P), sma (Q), mu?, beta (free)];
// mu is w_mean + w_scale * x and each free beta_j is beta0_j + beta_scale_j * x so that all
// coordinates are of order one (Note [ARIMAX estimation] in arimax.h).
struct ArimaLayout {
  ArimaOrder o;
  double w_mean = 0.0, w_scale = 1.0;
  int n = 0;
  int n_arma = 0;                   // p + q + P + Q
  const ArimaXregStart* xs = nullptr;  // regression part (ARIMAX) or null
};

ArimaLayout make_layout(const ArimaOrder& o, const double* w, int64_t nw, const ArimaXregStart* xs) {
  ArimaLayout L;
  L.o = o;
  L.n_arma = o.p + o.q + o.P + o.Q;
  L.n = L.n_arma + (o.constant ? 1 : 0);
  if (xs != nullptr && xs->n_free > 0) {
    // Regression: mu starts at the OLS intercept and scales with the OLS residual sd.
    L.xs = xs;
    L.n += xs->n_free;
    L.w_mean = xs->mu0;
    L.w_scale = xs->resid_sd > 0.0 && std::isfinite(xs->resid_sd) ? xs->resid_sd : 1.0;
    return L;
  }
  double s = 0.0, ss = 0.0;
  for (int64_t t = 0; t < nw; ++t) s += w[t];
  L.w_mean = s / static_cast<double>(nw);
  for (int64_t t = 0; t < nw; ++t) ss += (w[t] - L.w_mean) * (w[t] - L.w_mean);
  const double sd = std::sqrt(ss / static_cast<double>(nw));
  L.w_scale = sd > 0.0 && std::isfinite(sd) ? sd : 1.0;
  return L;
}

ArimaCoefs unpack(const ArimaLayout& L, const double* x) {
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
  if (L.xs != nullptr)
    for (int j = 0; j < L.xs->k; ++j)
      c.beta[j] = L.xs->free[j] ? L.xs->beta0[j] + L.xs->beta_scale[j] * x[k++] : 0.0;
  return c;
}

// The series the ARMA part sees: w itself, or u = w - xd beta [nw] (written to buf) for an ARIMAX.
const double* arma_series(const ArimaLayout& L, const double* w, int64_t nw, const ArimaCoefs& c, double* buf) {
  if (L.xs == nullptr) return w;
  arimax_subtract(w, nw, L.xs->xd.data(), L.xs->k, c.beta, buf);
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
  double operator()(const double* x) const {
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
  ArimaScratch* s;
  double* u;  // [nw] scratch: w - xd beta (ARIMAX)
  double operator()(const double* x) const {
    const ArimaCoefs c = unpack(L, x);
    const ArimaFilterResult f = arima_filter_fast(arma_series(L, w, nw, c, u), nw, arima_expand(L.o, c), c.mu, s->acov);
    if (!f.ok || !(f.ssq > 0.0)) return kHuge;
    const double nn = static_cast<double>(nw);
    const double v = 0.5 * (std::log(f.ssq / nn) + f.sumlog / nn);
    return std::isfinite(v) ? v : kHuge;
  }
};

}  // namespace

bool arima_fit(const double* y, int64_t n, const ArimaOrder& o, ArimaFit& out, ArimaScratch& s,
               const ArimaXreg* xreg, ArimaEffort effort) {
  out = ArimaFit{};
  out.order = o;
  if (!arima_order_ok(o)) return false;
  const bool has_xreg = xreg != nullptr && xreg->k > 0;
  if (has_xreg && (xreg->k > kArimaMaxXreg || xreg->x == nullptr)) return false;
  const int64_t nw = arima_n_diff(o, n);
  const ArimaPoly e0 = arima_expand(o, ArimaCoefs{});
  int n_coef = o.p + o.q + o.P + o.Q + (o.constant ? 1 : 0) + (has_xreg ? xreg->k : 0);
  if (nw < e0.np + n_coef + 2) return false;
  // w [nw], CSS residuals [nw], u = w - xd beta [nw]
  std::vector<double> buf(static_cast<size_t>(3 * nw));
  double* w = buf.data();
  double* u = w + 2 * nw;
  arima_difference(y, n, o, w);
  if (!all_finite(w, nw)) return false;
  // Regression with ARIMA errors: differenced regressors and the OLS start (Note [ARIMAX
  // estimation], arimax.h); columns collinear on the differenced data keep beta = 0.
  std::unique_ptr<ArimaXregStart> xs;
  if (has_xreg) {
    xs = std::make_unique<ArimaXregStart>();
    if (!arimax_start(*xreg, n, o, w, nw, *xs)) return false;
    n_coef -= xreg->k - xs->n_free;
  }
  const ArimaLayout L = make_layout(o, w, nw, xs.get());
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
    MlObjective ml{w, nw, L, &s, u};
    NelderMeadResult r2 = nelder_mead(ml, x, L.n, step, lo, hi, NelderMeadOptions{});
    n_evals += r2.n_evals;
    const int n_extra = effort == ArimaEffort::Thorough ? kArimaExtraStarts : 0;
    for (int start = 0; start < n_extra; ++start) {
      double x0[kNmMaxDim];
      for (int j = 0; j < L.n; ++j) x0[j] = j < L.n_arma ? kArimaStarts[start] : x[j];  // keep mu, beta
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
  const ArimaFilterResult f = arima_filter_fast(arma_series(L, w, nw, c, u), nw, arima_expand(o, c), c.mu, s.acov);
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

SeriesInput arima_fit_window(const SeriesInput& in) {
  const int64_t w = std::max<int64_t>(kArimaWindowMin, 4 * static_cast<int64_t>(in.season_length));
  if (in.n <= w) return in;
  SeriesInput out = in;
  const int64_t skip = in.n - w;
  out.y = in.y + skip;
  out.n = w;
  if (in.regressors != nullptr) out.regressors = in.regressors + skip * in.n_regressors;
  return out;
}

namespace {

class ArimaModel final : public StatModel {
 public:
  std::string name() const override { return "arima"; }
  void forecast_series(const SeriesInput& whole, const ForecastSpec& spec, SeriesOutput& out) const override {
    out.fallback = false;
    const int64_t h = spec.horizon;
    if (h <= 0) return;
    const SeriesInput in = arima_fit_window(whole);  // Note [ARIMA fitting window]
    if (in.n < 8 || !all_finite(in.y, in.n)) {
      naive_fallback(in, spec, out);
      return;
    }
    std::vector<double> mean(static_cast<size_t>(h)), sd(static_cast<size_t>(h));  // [H]
    if (is_constant_series(in.y, in.n)) return constant_forecast(in, spec, out);
    auto scratch = std::make_unique<ArimaScratch>();
    ArimaFit fit;
    if (!arima_auto(in.y, in.n, in.season_length, fit, *scratch) ||
        !arima_forecast(in.y, in.n, fit.order, fit.coefs, fit.sigma2, h, mean.data(), sd.data(), *scratch)) {
      naive_fallback(in, spec, out);
      return;
    }
    write_normal_quantiles(mean.data(), sd.data(), spec, out);
    if (!output_is_finite(spec, out)) naive_fallback(in, spec, out);
  }
};

}  // namespace

std::unique_ptr<StatModel> make_arima_model() { return std::make_unique<ArimaModel>(); }

}  // namespace skucast
