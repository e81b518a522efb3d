// engine/models/ets_fit.h — fitting one ETS model and automatic selection by AICc.
//
// Parameters (alpha, beta, gamma, phi) and the initial states (level, trend, m-1 seasonal
// terms; the m-th follows from the normalisation) are estimated together by bounded
// Nelder-Mead (engine/models/optim.h, started as R's nmmin: Note [R-like simplex]), maximising the likelihood as R's forecast::ets does
// (opt.crit "lik"), or minimising the MSE (opt.crit "mse", used by Theta's SES). Bounds as
// R's "usual" region: 1e-4 <= alpha <= 0.9999, 1e-4 <= beta <= alpha, 1e-4 <= gamma <= 1 - alpha,
// 0.8 <= phi <= 0.98.
#pragma once

#include <cstdint>

#include "engine/models/ets_core.h"

namespace skucast {

enum class EtsCriterion { Likelihood, Mse };

struct EtsFit {
  EtsSpec spec;
  EtsParams par;
  double x0[kEtsMaxState] = {};     // initial state (Note [ETS state layout])
  double x_end[kEtsMaxState] = {};  // state after the last observation
  double lik = 0.0;                 // n log(SSE) [+ 2 sum log|yhat|], = -2 loglik + const
  double aicc = 0.0;
  double sigma2 = 0.0;  // residual variance, SSE / (n - n_free)
  int n_free = 0;       // estimated parameters + initial states
  bool ok = false;
};

// Number of estimated values (parameters + free initial states) of a model.
int ets_n_free(const EtsSpec& spec);

// Fits one model to y [n] (finite). Returns false (out.ok = false) when it cannot be fitted.
bool ets_fit(const double* y, int64_t n, const EtsSpec& spec, EtsCriterion crit, EtsFit& out);

// Automatic selection over error {A, M}, trend {N, A, Ad}, season {N, A, M} as R's ets
// (model "ZZZ", allow.multiplicative.trend = FALSE, restrict = TRUE): multiplicative error
// and season only for strictly positive data, season only when 2 <= m <= 24 and n >= 2m,
// additive error with multiplicative season excluded; the smallest AICc wins.
bool ets_auto(const double* y, int64_t n, int m, EtsFit& out);

}  // namespace skucast
