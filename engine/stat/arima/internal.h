// engine/stat/arima/internal.h — host entry points shared by the ARIMA sources and tests: the
// stationary covariance and the full Kalman filter over the differenced series, on an
// ArimaScratch (their SKU_HD cores are in engine/stat/arima/kalman_core.h; the likelihood's in engine/stat/arima/core.h).
#pragma once

#include <cstdint>

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/core.h"

namespace skucast {

// s.P = the stationary covariance of the state (sigma2 = 1). False when it does not exist.
bool arima_stationary_cov(const ArimaPoly& e, ArimaScratch& s);

// The Kalman filter with the whole covariance recursion over w [nw], sigma2 = 1: the reference
// for arima_filter_fast (engine/stat/arima/core.h), and what the forecasts need. a_end [r] (optional): the
// filtered state; s.P holds the filtered covariance P_{n|n} afterwards.
ArimaFilterResult arima_filter_full(const double* w, int64_t nw, const ArimaOrder& o, const ArimaCoefs& c,
                                    ArimaScratch& s, double* a_end);

}  // namespace skucast
