// engine/models/croston.h — intermittent-demand models: Croston, SBA and TSB.
//
// Note [Croston conventions] (match statsforecast's CrostonClassic, CrostonSBA and TSB)
//   Demands d_k are the non-zero values, intervals q_k the gaps between them; the first
//   interval is the (1-based) position of the first demand (statsforecast `_intervals`).
//   Each is smoothed by simple exponential smoothing started at its first value:
//     z <- d_1, p <- q_1;   then per later demand:  z <- z + a_d (d_k - z),  p <- p + a_p (q_k - p)
//   croston: f = z / p                              (a_d = a_p = 0.1)
//   sba:     f = (1 - a_p / 2) z / p = 0.95 z / p     (Syntetos & Boylan 2005 bias correction)
//   tsb:     demand probability b <- 1[y_0 != 0], then every period b <- b + a_b (1[y_t != 0] - b);
//            z as above (updated only on demand periods); f = b * z   (a_d = a_b = 0.1)
//   croston_opt: croston with a_d and a_p each chosen in [0.1, 0.3] to minimize the in-sample
//            one-step MSE of SES on the demands / on the intervals (statsforecast's
//            CrostonOptimized; golden-section search to 1e-5 instead of scipy's bounded Brent)
//   A series without any non-zero value forecasts 0.
//   Intervals: empirical quantiles of the in-sample one-step errors after the first demand,
//   scaled by sqrt(h) (Note [Simple-model intervals]); clipped at 0 when the series has no
//   negative value.
#pragma once

#include <memory>

#include "engine/stat_model.h"

namespace skucast {

enum class CrostonVariant { Classic, Sba, Tsb, Optimized };

struct CrostonParams {
  double alpha_demand = 0.1;    // a_d: smoothing of the demand sizes
  double alpha_interval = 0.1;  // a_p: smoothing of the intervals (classic, sba) or of the
                                // demand probability a_b (tsb)
};

std::unique_ptr<StatModel> make_croston(CrostonParams p = {});
std::unique_ptr<StatModel> make_sba(CrostonParams p = {});
std::unique_ptr<StatModel> make_tsb(CrostonParams p = {});
std::unique_ptr<StatModel> make_croston_optimized();

// The alpha in [lo, hi] minimizing the SES one-step in-sample MSE of x [n] (level started at
// x[0]); lo when n < 3.
double optimize_ses_alpha(const double* x, int64_t n, double lo, double hi);

// The per-series function behind all of them (Optimized: pass the optimized alphas): returns the flat forecast f and, when resid is
// not null, writes the one-step in-sample errors after the first demand into resid [n] and
// their count into *n_resid. y [n] finite, n >= 1.
double croston_fit(CrostonVariant v, const CrostonParams& p, const double* y, int64_t n, double* resid,
                   int64_t* n_resid);

}  // namespace skucast
