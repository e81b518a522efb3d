// engine/models/arima_internal.h — pieces shared by arima.cpp and arima_kalman.cpp: the
// expanded ARMA polynomials and the Kalman filter over the differenced series.
#pragma once

#include <cstdint>

#include "engine/models/arima.h"

namespace skucast {

// Expanded polynomials (Note [ARIMA state space]): phi [np], theta [nq] padded with zeros to r.
struct ArimaPoly {
  double phi[kArimaMaxState];
  double theta[kArimaMaxState];
  int np = 0, nq = 0, r = 1;
};

struct ArimaFilterResult {
  double ssq = 0.0;     // sum v_t^2 / F_t (sigma2 = 1)
  double sumlog = 0.0;  // sum log F_t
  int64_t n = 0;
  bool ok = false;
};

ArimaPoly arima_expand(const ArimaOrder& o, const ArimaCoefs& c);

// delta [d + D m]: (1-L)^d (1-L^m)^D = 1 - sum_j delta_j L^j. Returns d + D m.
int arima_diff_poly(const ArimaOrder& o, double* delta);

// s.P = the stationary covariance of the state (sigma2 = 1). False when it does not exist.
bool arima_stationary_cov(const ArimaPoly& e, ArimaScratch& s);

// Kalman filter over w [nw] with sigma2 = 1. a_end [r] (optional): the filtered state.
ArimaFilterResult arima_filter(const double* w, int64_t nw, const ArimaOrder& o, const ArimaCoefs& c,
                               ArimaScratch& s, double* a_end);

}  // namespace skucast
