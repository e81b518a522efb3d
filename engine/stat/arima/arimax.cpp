// engine/stat/arima/arimax.cpp — the regression part of ARIMAX estimation (differenced regressors,
// OLS start, collinear columns; Note [ARIMAX estimation] in arimax.h) and the StatModel
// "arimax" (Note [ARIMAX columns]).
#include "engine/stat/arima/arimax.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/stat/arima/internal.h"
#include "engine/stat/arima/series.h"
#include "engine/stat/forecast_util.h"

namespace skucast {

// ------------------------------------------------------------- estimation ----

bool arimax_start(const ArimaXreg& xreg, int64_t n, const ArimaOrder& o, const double* w, int64_t nw,
                  ArimaXregStart& out) {
  const int k = xreg.k;
  out = ArimaXregStart{};
  out.k = k;
  if (k < 0 || k > kArimaMaxXreg || nw < 1) return false;
  double delta[kArimaMaxDiff];
  const int nd = arima_diff_poly(o, delta);
  out.xd.assign(static_cast<size_t>(nw * k), 0.0);
  for (int64_t t = nd; t < n; ++t)
    for (int j = 0; j < k; ++j) {
      double v = xreg.x[t * k + j];
      for (int i = 1; i <= nd; ++i) v -= delta[i - 1] * xreg.x[(t - i) * k + j];
      if (!std::isfinite(v)) return false;
      out.xd[static_cast<size_t>((t - nd) * k + j)] = v;
    }
  // OLS of w on the columns [1 (constant), xd_0 .. xd_{k-1}] by modified Gram-Schmidt in that
  // order; a column whose remainder is below 1e-8 of its norm is collinear with the ones
  // before it (or zero) and is left out.
  constexpr int kMaxCols = kArimaMaxXreg + 1;
  const int n_cand = k + (o.constant ? 1 : 0);
  std::vector<double> q(static_cast<size_t>(kMaxCols * nw));  // [accepted, nw] orthonormal columns
  double R[kMaxCols][kMaxCols] = {};                          // upper triangular, accepted order
  int col_of[kMaxCols];                                       // accepted -> candidate index
  int n_acc = 0;
  std::vector<double> v(static_cast<size_t>(nw));  // [nw]
  for (int c = 0; c < n_cand; ++c) {
    const int j = o.constant ? c - 1 : c;  // regressor column, -1 for the constant
    double norm0 = 0.0;
    for (int64_t t = 0; t < nw; ++t) {
      v[t] = j < 0 ? 1.0 : out.xd[static_cast<size_t>(t * k + j)];
      norm0 += v[t] * v[t];
    }
    norm0 = std::sqrt(norm0);
    if (!(norm0 > 0.0)) continue;
    for (int a = 0; a < n_acc; ++a) {
      const double* qa = q.data() + a * nw;
      double r = 0.0;
      for (int64_t t = 0; t < nw; ++t) r += qa[t] * v[t];
      for (int64_t t = 0; t < nw; ++t) v[t] -= r * qa[t];
      R[a][n_acc] = r;
    }
    double norm = 0.0;
    for (int64_t t = 0; t < nw; ++t) norm += v[t] * v[t];
    norm = std::sqrt(norm);
    if (!(norm > 1e-8 * norm0)) continue;
    R[n_acc][n_acc] = norm;
    double* qn = q.data() + n_acc * nw;
    for (int64_t t = 0; t < nw; ++t) qn[t] = v[t] / norm;
    col_of[n_acc++] = j;
  }
  // z = Q' w, residual r = w - Q z; then R b = z.
  double z[kMaxCols] = {};
  for (int64_t t = 0; t < nw; ++t) v[t] = w[t];
  for (int a = 0; a < n_acc; ++a) {
    const double* qa = q.data() + a * nw;
    double r = 0.0;
    for (int64_t t = 0; t < nw; ++t) r += qa[t] * v[t];
    for (int64_t t = 0; t < nw; ++t) v[t] -= r * qa[t];
    z[a] = r;
  }
  double rss = 0.0;
  for (int64_t t = 0; t < nw; ++t) rss += v[t] * v[t];
  double b[kMaxCols] = {};
  for (int a = n_acc - 1; a >= 0; --a) {
    double s = z[a];
    for (int c = a + 1; c < n_acc; ++c) s -= R[a][c] * b[c];
    b[a] = s / R[a][a];
  }
  // Standard errors: (X'X)^-1 = R^-1 R^-T, so se_a = sigma |row a of R^-1|.
  double Rinv[kMaxCols][kMaxCols] = {};
  for (int c = 0; c < n_acc; ++c) {  // column c of R^-1: solve R x = e_c
    for (int a = n_acc - 1; a >= 0; --a) {
      double s = a == c ? 1.0 : 0.0;
      for (int i = a + 1; i < n_acc; ++i) s -= R[a][i] * Rinv[i][c];
      Rinv[a][c] = s / R[a][a];
    }
  }
  const int64_t dof = nw - n_acc;
  const double sigma = std::sqrt(rss / static_cast<double>(dof > 0 ? dof : 1));
  out.resid_sd = std::sqrt(rss / static_cast<double>(nw));
  for (int a = 0; a < n_acc; ++a) {
    double rn = 0.0;
    for (int c = 0; c < n_acc; ++c) rn += Rinv[a][c] * Rinv[a][c];
    const double se = sigma * std::sqrt(rn);
    const int j = col_of[a];
    if (j < 0) {
      out.mu0 = b[a];
      continue;
    }
    out.free[j] = true;
    ++out.n_free;
    out.beta0[j] = b[a];
    // se = 0 (an exact fit): fall back to the column's natural scale sd(w) / |xd_j|_rms.
    double scale = 10.0 * se;
    if (!(scale > 0.0) || !std::isfinite(scale)) {
      double xs = 0.0, ws = 0.0;
      for (int64_t t = 0; t < nw; ++t) {
        xs += out.xd[static_cast<size_t>(t * k + j)] * out.xd[static_cast<size_t>(t * k + j)];
        ws += w[t] * w[t];
      }
      scale = xs > 0.0 && ws > 0.0 ? std::sqrt(ws / xs) : 1.0;
    }
    out.beta_scale[j] = scale;
  }
  return std::isfinite(out.mu0) && std::isfinite(out.resid_sd);
}

void arimax_subtract(const double* w, int64_t nw, const double* xd, int k, const double* beta, double* u) {
  for (int64_t t = 0; t < nw; ++t) {
    double v = w[t];
    for (int j = 0; j < k; ++j) v -= xd[t * k + j] * beta[j];
    u[t] = v;
  }
}

// ------------------------------------------------------------------ model ----

namespace {

// Note [ARIMAX columns]: the columns of x [n, k] (history rows) that are linearly independent
// of [1, earlier kept columns] (Gram-Schmidt, remainder above 1e-8 of the column's norm);
// writes their indices to keep and returns how many. use [k] (Note [Regressor use]): Used for
// the kept columns, Constant for those whose remainder after the mean alone is below the
// bound, Collinear for the other left-out ones.
int independent_columns(const double* x, int64_t n, int k, int* keep, RegressorUse* use) {
  std::vector<double> q(static_cast<size_t>((k + 1) * n)), v(static_cast<size_t>(n));  // [k + 1, n], [n]
  int n_acc = 0, n_keep = 0;
  auto norm_of = [&v, n] {
    double s = 0.0;
    for (int64_t t = 0; t < n; ++t) s += v[t] * v[t];
    return std::sqrt(s);
  };
  for (int c = -1; c < k; ++c) {
    double norm0 = 0.0;
    for (int64_t t = 0; t < n; ++t) {
      v[t] = c < 0 ? 1.0 : x[t * k + c];
      norm0 += v[t] * v[t];
    }
    bool constant = false;  // the remainder after the mean (q_0) alone is below the bound
    for (int a = 0; a < n_acc; ++a) {
      const double* qa = q.data() + a * n;
      double r = 0.0;
      for (int64_t t = 0; t < n; ++t) r += qa[t] * v[t];
      for (int64_t t = 0; t < n; ++t) v[t] -= r * qa[t];
      if (a == 0 && use != nullptr) constant = !(norm_of() > 1e-8 * std::sqrt(norm0));
    }
    const double norm = norm_of();
    if (!(norm > 1e-8 * std::sqrt(norm0))) {
      if (c >= 0 && use != nullptr) use[c] = constant ? RegressorUse::Constant : RegressorUse::Collinear;
      continue;
    }
    double* qn = q.data() + n_acc * n;
    for (int64_t t = 0; t < n; ++t) qn[t] = v[t] / norm;
    ++n_acc;
    if (c >= 0) keep[n_keep++] = c;
    if (c >= 0 && use != nullptr) use[c] = RegressorUse::Used;
  }
  return n_keep;
}

class ArimaxModel final : public StatModel {
 public:
  std::string name() const override { return "arimax"; }
  bool uses_regressors() const override { return true; }
  // out.fitted [whole.n] (optional, Note [ARIMAX residuals]).
  void forecast_series(const SeriesInput& whole, const ForecastSpec& spec, SeriesOutput& out) const override {
    out.fallback = false;
    const SeriesInput in = arima_fit_window(whole);  // Note [ARIMA fitting window], arima.h
    const int64_t h = spec.horizon, n = in.n, off = whole.n - in.n;
    if (h <= 0) return;
    if (n < 8 || !all_finite(in.y, n)) {
      naive_fallback(in, spec, out);
      return arima_window_fitted(out, off, n);
    }
    // Note [ARIMAX columns]: keep the columns independent of the mean and of each other over
    // the history, at most kArimaMaxXreg.
    if (is_constant_series(in.y, n)) {
      constant_forecast(in, spec, out);
      return arima_window_fitted(out, off, n);
    }
    const int k_in = in.regressors != nullptr ? in.n_regressors : 0;
    std::vector<int> keep(static_cast<size_t>(k_in) + 1);
    int k = k_in > 0 && all_finite(in.regressors, (n + h) * k_in)
                ? independent_columns(in.regressors, n, k_in, keep.data(), out.regressor_use)
                : 0;
    k = k < kArimaMaxXreg ? k : kArimaMaxXreg;
    std::vector<double> mean(static_cast<size_t>(h)), sd(static_cast<size_t>(h));  // [H]
    std::vector<double> x(static_cast<size_t>((n + h) * k));                       // [n + H, k]
    for (int64_t t = 0; t < n + h; ++t)
      for (int j = 0; j < k; ++j) x[static_cast<size_t>(t * k + j)] = in.regressors[t * k_in + keep[j]];
    auto scratch = std::make_unique<ArimaScratch>();
    ArimaFit fit;
    const ArimaXreg xr{x.data(), k};
    // Note [ARIMAX residuals]: the filter's innovations [n − d − D m], when asked for.
    std::vector<double> innov(out.fitted ? static_cast<size_t>(n) : 0);
    double* iv = out.fitted ? innov.data() : nullptr;
    bool ok = false;
    if (k > 0) {
      ArimaAutoOptions ao;
      ao.xreg = &xr;
      ok = arima_auto(in.y, n, in.season_length, fit, *scratch, ao) &&
           arima_forecast(in.y, n, fit.order, fit.coefs, fit.sigma2, h, mean.data(), sd.data(), *scratch, &xr, iv);
    }
    if (!ok) {
      // No usable regressor: the plain arima (a fallback only when there were regressors).
      if (k > 0) out.fallback = true;
      ok = arima_auto(in.y, n, in.season_length, fit, *scratch) &&
           arima_forecast(in.y, n, fit.order, fit.coefs, fit.sigma2, h, mean.data(), sd.data(), *scratch, nullptr, iv);
    }
    if (!ok) {
      naive_fallback(in, spec, out);
      return arima_window_fitted(out, off, n);
    }
    write_normal_quantiles(mean.data(), sd.data(), spec, out);
    if (!output_is_finite(spec, out)) {
      naive_fallback(in, spec, out);
      return arima_window_fitted(out, off, n);
    }
    if (out.fitted) {  // innovations → one-step predictions, NaN before the window and its first d + D m
      double delta[kArimaMaxDiff];
      const int64_t nd = arima_diff_poly(fit.order, delta);
      for (int64_t t = 0; t < off + nd; ++t) out.fitted[t] = NAN;
      for (int64_t t = off + nd; t < whole.n; ++t) out.fitted[t] = whole.y[t] - innov[static_cast<size_t>(t - off - nd)];
      out.has_fitted = true;
    }
  }
};

}  // namespace

std::unique_ptr<StatModel> make_arimax_model() { return std::make_unique<ArimaxModel>(); }

}  // namespace skucast
