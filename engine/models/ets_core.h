// engine/models/ets_core.h — exponential smoothing state space models (ETS), per series.
//
// The family of Hyndman, Koehler, Ord & Snyder (2008), "Forecasting with Exponential
// Smoothing", as R's forecast::ets implements it: error A/M, trend N/A/Ad, season N/A/M.
// SES, Holt, damped Holt and Holt-Winters are members (ANN, AAN, AAdN, AAA, MAM); their
// fitted values with fixed parameters equal statsmodels' Holt-Winters recursions
// (tests/test_ets.cpp checks this against committed statsmodels fixtures).
//
// Everything here is a pure function of caller buffers with fixed-size scratch on the
// stack (kEtsMaxState), so it can become a CUDA device function per series.
//
// Note [ETS state layout]: the state vector x [2 + m] holds x[0] = level, x[1] = trend
// (0 without trend), x[2 + j] = seasonal term s_{t-j} (x[2] the most recent), the
// seasonal part present only for seasonal models. Parameters follow R's convention:
// beta is the ETS beta (0 < beta < alpha), so Holt's classical beta* = beta / alpha.
#pragma once

#include <cstdint>

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
EtsFilterResult ets_filter(const double* y, int64_t n, const EtsSpec& spec, const EtsParams& par, const double* x0,
                           double* fitted, double* x_end);

// Point forecasts from state x for steps 1..h. [out] mean [h].
void ets_point_forecast(const EtsSpec& spec, const EtsParams& par, const double* x, int64_t h, double* mean);

// Forecast variances for steps 1..h given the one-step variance sigma2 (of e_t, relative for
// M error) and the point forecasts mean [h]. Additive error: the exact class-1 formula
// v_h = sigma2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta (phi + .. + phi^j) + gamma [j % m == 0].
// Multiplicative error: the class-2 recursion v_h = (1 + sigma2) theta_h - mu_h^2 (exact for
// MNN/MAN/MAdN, an approximation with a season). [out] var [h].
void ets_forecast_variance(const EtsSpec& spec, const EtsParams& par, double sigma2, int64_t h, const double* mean,
                           double* var);

// Heuristic initial state as R's forecast::ets initstate (decomposition of the first 3m
// observations or a Fourier regression for shorter series; regression on the first
// max(10, 2m) seasonally adjusted values for level and trend). [out] x0 [2 + m].
bool ets_initial_state(const double* y, int64_t n, const EtsSpec& spec, double* x0);

// Number of states in x (Note [ETS state layout]).
inline int ets_n_states(const EtsSpec& spec) { return 2 + (spec.season != EtsComp::None ? spec.m : 0); }

}  // namespace skucast
