// engine/stat/ets/core.h — exponential smoothing state space models (ETS), per series.
//
// The family of Hyndman, Koehler, Ord & Snyder (2008), "Forecasting with Exponential
// Smoothing", as R's forecast::ets implements it: error A/M, trend N/A/Ad, season N/A/M.
// SES, Holt, damped Holt and Holt-Winters are members (ANN, AAN, AAdN, AAA, MAM); their
// fitted values with fixed parameters equal statsmodels' Holt-Winters recursions
// (tests/stat/test_ets.cpp checks this against committed statsmodels fixtures).
//
// Everything here is a pure function of caller buffers with fixed-size scratch on the
// stack (kEtsMaxState), compiled for the CPU and for one CUDA thread per series (SKU_HD,
// Note [One source for CPU and GPU models] in kernels/hd.hpp); the definitions follow
// the declarations below.
//
// Note [ETS state layout]: the state vector x [2 + m] holds x[0] = level, x[1] = trend
// (0 without trend), x[2 + j] = seasonal term s_{t-j} (x[2] the most recent), the
// seasonal part present only for seasonal models. Parameters follow R's convention:
// beta is the ETS beta (0 < beta < alpha), so Holt's classical beta* = beta / alpha.
#pragma once

#include <cmath>
#include <cstdint>

#include "engine/stat/decompose.h"
#include "kernels/hd.hpp"

namespace skucast {

enum class EtsComp : int { None = 0, Add = 1, Mult = 2 };

inline constexpr int kEtsMaxSeason = 24;               // seasonal ETS only for m <= 24 (as R)
inline constexpr int kEtsMaxState = 2 + kEtsMaxSeason;  // see Note [ETS state layout]

struct EtsSpec {
  EtsComp error = EtsComp::Add;
  EtsComp trend = EtsComp::None;  // None or Add (multiplicative trend is not offered, as R's default)
  EtsComp season = EtsComp::None;
  bool damped = false;
  int m = 1;  // data frequency; the season length when season != None
};

struct EtsParams {
  double alpha = 0.5;
  double beta = 0.0;   // ETS beta (R), not Holt's beta*
  double gamma = 0.0;
  double phi = 1.0;    // 1 = undamped
};

struct EtsFilterResult {
  double lik = 0.0;  // n log(sum e^2) [+ 2 sum log|yhat| for multiplicative error], as R's etscalc
  double sse = 0.0;  // sum of squared errors (relative errors for multiplicative error)
  bool ok = false;   // false when the recursion left the valid region (e.g. yhat <= 0 with M error)
};

// Runs the recursion over y [n] from the initial state x0 (Note [ETS state layout]).
// [out] fitted [n] one-step predictions (nullable); x_end [2 + m] final state (nullable).
SKU_HD inline EtsFilterResult ets_filter(const double* y, int64_t n, const EtsSpec& spec, const EtsParams& par, const double* x0,
                           double* fitted, double* x_end);

// Point forecasts from state x for steps 1..h. [out] mean [h].
SKU_HD inline void ets_point_forecast(const EtsSpec& spec, const EtsParams& par, const double* x, int64_t h, double* mean);

// Forecast variances for steps 1..h given the one-step variance sigma2 (of e_t, relative for
// M error) and the point forecasts mean [h]. Additive error: the exact class-1 formula
// v_h = sigma2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta (phi + .. + phi^j) + gamma [j % m == 0].
// Multiplicative error: the class-2 recursion v_h = (1 + sigma2) theta_h - mu_h^2 (exact for
// MNN/MAN/MAdN, an approximation with a season). [out] var [h].
SKU_HD inline void ets_forecast_variance(const EtsSpec& spec, const EtsParams& par, double sigma2, int64_t h, const double* mean,
                           double* var);

// Heuristic initial state as R's forecast::ets initstate (decomposition of the first 3m
// observations or a Fourier regression for shorter series; regression on the first
// max(10, 2m) seasonally adjusted values for level and trend). [out] x0 [2 + m].
SKU_HD inline bool ets_initial_state(const double* y, int64_t n, const EtsSpec& spec, double* x0);

// Number of states in x (Note [ETS state layout]).
SKU_HD inline int ets_n_states(const EtsSpec& spec) { return 2 + (spec.season != EtsComp::None ? spec.m : 0); }

// ============================================================= definitions ====

namespace ets_detail {
constexpr double kTol = 1e-10;
}  // namespace ets_detail

// ------------------------------------------------------------------ filter ----

namespace ets_detail {

// The recursion with the model's structure as template arguments, so the per-step loop has
// no branches on the model type (Note [ETS state layout]). kTrend: trend present; kSeason:
// 0 none, 1 additive, 2 multiplicative; kMultError: multiplicative error.
template <bool kTrend, int kSeason, bool kMultError>
SKU_HD inline EtsFilterResult ets_filter_impl(const double* y, int64_t n, int m, const EtsParams& par, double phi, const double* x0,
                                double* fitted, double* x_end) {
  EtsFilterResult res;
  constexpr bool has_season = kSeason != 0;
  constexpr bool mult_season = kSeason == 2;
  if (!has_season) m = 1;
  const double alpha = par.alpha, beta = kTrend ? par.beta : 0.0, gamma = par.gamma;
  // ring[k] = seasonal term of the next y with (t % m) == k; initially s_{k-m} = x0[2 + m-1-k].
  double ring[kEtsMaxSeason];
  if (has_season)
    for (int k = 0; k < m; ++k) ring[k] = x0[2 + (m - 1 - k)];
  double l = x0[0];
  double b = kTrend ? x0[1] : 0.0;
  double sse = 0.0, sum_log = 0.0;
  double prod = 1.0;  // product of yhat since the last log (M error), logged in blocks of 8
  int k = 0;          // t % m
  for (int64_t t = 0; t < n; ++t) {
    const double phib = kTrend ? phi * b : 0.0;
    const double q = l + phib;  // level part of the one-step prediction
    const double s = has_season ? ring[k] : 0.0;
    const double yhat = !has_season ? q : (mult_season ? q * s : q + s);
    if (fitted) fitted[t] = yhat;
    double e;
    if (kMultError) {
      if (!(yhat > kTol)) return res;  // relative error undefined
      e = (y[t] - yhat) / yhat;
      prod *= yhat;
      if ((t & 7) == 7) {
        sum_log += std::log(prod);
        prod = 1.0;
      }
    } else {
      e = y[t] - yhat;
    }
    sse += e * e;
    // New level: l = q + alpha (r - q), r the seasonally adjusted observation. The same form
    // holds for additive and multiplicative error (R's etscalc update()). New growth, R's
    // b = phib + beta* (l - l_old - phib) with beta* = beta / alpha, is written as the equal
    // b = phib + beta (r - q) (l - l_old - phib = l - q = alpha (r - q)): the loop-carried
    // chain b -> phib -> q -> d -> b is then four flops long instead of seven, and the
    // division beta / alpha is gone (faster on long series; the same value up to rounding).
    double r;
    if constexpr (!has_season) {  // constexpr: no dead y / 0 for nvcc to warn about
      r = y[t];
    } else if constexpr (mult_season) {
      if (!(s > kTol)) return res;
      r = y[t] / s;
    } else {
      r = y[t] - s;
    }
    const double d = r - q;
    l = q + alpha * d;
    if (kTrend) b = phib + beta * d;
    if (has_season) {
      double u;
      if (mult_season) {
        if (!(std::fabs(q) > kTol)) return res;
        u = y[t] / q;
      } else {
        u = y[t] - q;
      }
      ring[k] = s + gamma * (u - s);
      if (++k == m) k = 0;
    }
  }
  if (kMultError) sum_log += std::log(prod);
  if (x_end) {
    x_end[0] = l;
    x_end[1] = kTrend ? b : 0.0;
    if (has_season)
      for (int j = 0; j < m; ++j) {
        // s_{n-1-j} sits at ring[(n-1-j) mod m]
        const int64_t idx = ((n - 1 - j) % m + m) % m;
        x_end[2 + j] = ring[idx];
      }
  }
  const double nn = static_cast<double>(n);
  res.sse = sse;
  res.lik = nn * std::log(sse > 1e-300 ? sse : 1e-300) + (kMultError ? 2.0 * sum_log : 0.0);
  res.ok = std::isfinite(res.lik) && std::isfinite(l) && std::isfinite(b);
  return res;
}

template <bool kTrend, int kSeason>
SKU_HD inline EtsFilterResult dispatch_error(bool mult_error, const double* y, int64_t n, int m, const EtsParams& par, double phi,
                               const double* x0, double* fitted, double* x_end) {
  return mult_error ? ets_filter_impl<kTrend, kSeason, true>(y, n, m, par, phi, x0, fitted, x_end)
                    : ets_filter_impl<kTrend, kSeason, false>(y, n, m, par, phi, x0, fitted, x_end);
}

template <bool kTrend>
SKU_HD inline EtsFilterResult dispatch_season(EtsComp season, bool mult_error, const double* y, int64_t n, int m,
                                const EtsParams& par, double phi, const double* x0, double* fitted, double* x_end) {
  switch (season) {
    case EtsComp::Add: return dispatch_error<kTrend, 1>(mult_error, y, n, m, par, phi, x0, fitted, x_end);
    case EtsComp::Mult: return dispatch_error<kTrend, 2>(mult_error, y, n, m, par, phi, x0, fitted, x_end);
    default: return dispatch_error<kTrend, 0>(mult_error, y, n, m, par, phi, x0, fitted, x_end);
  }
}

}  // namespace ets_detail

SKU_HD inline EtsFilterResult ets_filter(const double* y, int64_t n, const EtsSpec& spec, const EtsParams& par, const double* x0,
                           double* fitted, double* x_end) {
  const bool mult_error = spec.error == EtsComp::Mult;
  const double phi = spec.damped ? par.phi : 1.0;
  if (spec.season != EtsComp::None && (spec.m < 1 || spec.m > kEtsMaxSeason)) return EtsFilterResult{};
  if (spec.trend != EtsComp::None)
    return ets_detail::dispatch_season<true>(spec.season, mult_error, y, n, spec.m, par, phi, x0, fitted, x_end);
  return ets_detail::dispatch_season<false>(spec.season, mult_error, y, n, spec.m, par, phi, x0, fitted, x_end);
}

// --------------------------------------------------------------- forecasts ----

SKU_HD inline void ets_point_forecast(const EtsSpec& spec, const EtsParams& par, const double* x, int64_t h, double* mean) {
  const bool has_trend = spec.trend != EtsComp::None;
  const bool has_season = spec.season != EtsComp::None;
  const int m = has_season ? spec.m : 1;
  const double phi = spec.damped ? par.phi : 1.0;
  double phi_sum = 0.0, phi_pow = 1.0;
  for (int64_t i = 0; i < h; ++i) {
    phi_pow *= phi;
    phi_sum += phi_pow;  // phi + phi^2 + ... + phi^(i+1)
    double f = x[0] + (has_trend ? phi_sum * x[1] : 0.0);
    if (has_season) {
      const double s = x[2 + (m - 1 - static_cast<int>(i % m))];
      f = spec.season == EtsComp::Mult ? f * s : f + s;
    }
    mean[i] = f;
  }
}

SKU_HD inline void ets_forecast_variance(const EtsSpec& spec, const EtsParams& par, double sigma2, int64_t h, const double* mean,
                           double* var) {
  const bool has_trend = spec.trend != EtsComp::None;
  const bool has_season = spec.season != EtsComp::None;
  const int m = has_season ? spec.m : 1;
  const double phi = spec.damped ? par.phi : 1.0;
  // c_j for j = 1..h-1, computed on the fly: alpha + beta (phi + .. + phi^j) + gamma [j % m == 0].
  auto c_coef = [&](int64_t j, double phi_sum_j) {
    double c = par.alpha;
    if (has_trend) c += par.beta * phi_sum_j;
    if (has_season && j % m == 0) c += par.gamma;
    return c;
  };
  if (spec.error == EtsComp::Add) {
    double acc = 0.0, phi_pow = 1.0, phi_sum = 0.0;
    for (int64_t i = 0; i < h; ++i) {
      // var of step i+1 = sigma2 (1 + sum_{j=1}^{i} c_j^2)
      if (i >= 1) {
        phi_pow *= phi;
        phi_sum += phi_pow;
        const double c = c_coef(i, phi_sum);
        acc += c * c;
      }
      var[i] = sigma2 * (1.0 + acc);
    }
    return;
  }
  // Multiplicative error: theta_1 = mu_1^2, theta_h = mu_h^2 + sigma2 sum_{j=1}^{h-1} c_j^2 theta_{h-j}.
  // theta needs all earlier values; var[] doubles as its storage until the last pass.
  double c2[512];  // c_j^2 for j < 512; longer horizons reuse the last (phi^j -> constant)
  double phi_pow = 1.0, phi_sum = 0.0;
  const int64_t n_c = h < 512 ? h : 512;
  for (int64_t j = 1; j < n_c; ++j) {
    phi_pow *= phi;
    phi_sum += phi_pow;
    const double c = c_coef(j, phi_sum);
    c2[j] = c * c;
  }
  for (int64_t i = 0; i < h; ++i) {
    double th = mean[i] * mean[i];
    for (int64_t j = 1; j <= i; ++j) th += sigma2 * c2[j < n_c ? j : n_c - 1] * var[i - j];
    var[i] = th;  // theta_{i+1}
  }
  for (int64_t i = h - 1; i >= 0; --i) {
    const double v = (1.0 + sigma2) * var[i] - mean[i] * mean[i];
    var[i] = v > 0.0 ? v : 0.0;
  }
}

// ----------------------------------------------------------- initial state ----

// GCC 12, having inlined this into a caller with constant n and m (tests/stat/test_ets.cpp), reports
// a false -Waggressive-loop-optimizations in the dead short-series branch; silenced here only.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Waggressive-loop-optimizations"
#endif
SKU_HD inline bool ets_initial_state(const double* y, int64_t n, const EtsSpec& spec, double* x0) {
  const bool has_season = spec.season != EtsComp::None;
  const bool mult_season = spec.season == EtsComp::Mult;
  const int m = has_season ? spec.m : 1;
  double seas[kEtsMaxSeason];  // [m] seasonal term by position t % m
  if (has_season) {
    if (n < 4 || m > kEtsMaxSeason) return false;
    if (n >= 3 * static_cast<int64_t>(m)) {
      if (!classical_seasonal_figure(y, 3 * static_cast<int64_t>(m), m, mult_season, seas)) return false;
    } else {
      // Short series: y ~ 1 + t + cos(2 pi t/m) + sin(2 pi t/m), t = 1..n (R: tslm on fourier(y, 1)).
      const int k = m == 2 ? 3 : 4;  // sin(pi t) vanishes for m = 2
      double a[16] = {0}, rhs[4] = {0};
      for (int64_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i + 1);
        const double w = 2.0 * M_PI * t / m;
        const double row[4] = {1.0, t, std::cos(w), std::sin(w)};
        for (int r = 0; r < k; ++r) {
          rhs[r] += row[r] * y[i];
          for (int c = 0; c < k; ++c) a[r * k + c] += row[r] * row[c];
        }
      }
      if (!solve_small_system(a, rhs, k)) return false;
      for (int i = 0; i < m; ++i) {
        const double tr = rhs[0] + rhs[1] * static_cast<double>(i + 1);
        if (mult_season) {
          if (std::fabs(tr) < ets_detail::kTol) return false;
          seas[i] = y[i < n ? i : n - 1] / tr;
        } else {
          seas[i] = y[i < n ? i : n - 1] - tr;
        }
      }
    }
    if (mult_season) {
      // No negative seasonal indices (R: pmax(init.seas, 1e-2), rescaled when they sum above m).
      double sum = 0.0;
      for (int i = 1; i < m; ++i) {
        if (seas[i] < 1e-2) seas[i] = 1e-2;
        sum += seas[i];
      }
      if (sum > m) {
        double denom = 0.0;
        for (int i = 1; i < m; ++i) denom += seas[i] + 1e-2;
        for (int i = 1; i < m; ++i) seas[i] /= denom;
      }
    }
    // x[2 + j] = s_{-j}: the term of y[m-1-j] (R: rev(seasonal[2:m])); x[2 + m-1] is implied by
    // the normalisation and set here for completeness.
    double sum = 0.0;
    for (int j = 0; j < m - 1; ++j) {
      x0[2 + j] = seas[m - 1 - j];
      sum += x0[2 + j];
    }
    x0[2 + m - 1] = mult_season ? m - sum : -sum;
  }
  // Level and trend from the first max(10, 2m) seasonally adjusted observations.
  int64_t maxn = 2 * static_cast<int64_t>(m) > 10 ? 2 * static_cast<int64_t>(m) : 10;
  if (maxn > n) maxn = n;
  double ysa[2 * kEtsMaxSeason + 10] = {};  // [maxn]
  for (int64_t i = 0; i < maxn; ++i) {
    if (!has_season) {
      ysa[i] = y[i];
    } else {
      const double s = seas[i % m];
      ysa[i] = mult_season ? y[i] / (s > 1e-2 ? s : 1e-2) : y[i] - s;
    }
  }
  if (spec.trend == EtsComp::None) {
    double s = 0.0;
    for (int64_t i = 0; i < maxn; ++i) s += ysa[i];
    x0[0] = s / static_cast<double>(maxn);
    x0[1] = 0.0;
  } else {
    double a, b;
    linear_trend_fit(ysa, maxn, 1.0, &a, &b);
    if (maxn < 2) b = 0.0;
    if (std::fabs(a + b) < 1e-8) {  // keep l0 + b0 away from 0 for M error
      a *= 1.0 + 1e-3;
      b *= 1.0 + 1e-3;
    }
    x0[0] = a;
    x0[1] = b;
  }
  for (int i = 0; i < ets_n_states(spec); ++i)
    if (!std::isfinite(x0[i])) return false;
  return true;
}

#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC diagnostic pop
#endif

}  // namespace skucast
