// engine/stat/arima/kalman.cpp — the host entry points of the ARIMA state space (Note [ARIMA
// state space] in arima.h): differencing, the stationary initial covariance, the full Kalman
// filter, the exact log-likelihood and the forecasts (with regressors, for an ARIMAX). The
// per-series code is SKU_HD (engine/stat/arima/core.h, engine/stat/arima/kalman_core.h), shared with the GPU.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/core.h"
#include "engine/stat/arima/internal.h"
#include "engine/stat/arima/kalman_core.h"

namespace skucast {

bool arima_order_ok(const ArimaOrder& o) { return arima_order_ok_hd(o); }

int64_t arima_n_diff(const ArimaOrder& o, int64_t n) { return arima_n_diff_hd(o, n); }

void arima_difference(const double* y, int64_t n, const ArimaOrder& o, double* w) { arima_difference_hd(y, n, o, w); }

bool arima_stationary_cov(const ArimaPoly& e, ArimaScratch& s) { return arima_stationary_cov_hd(e, arima_mats(s)); }

ArimaFilterResult arima_filter_full(const double* w, int64_t nw, const ArimaOrder& o, const ArimaCoefs& c,
                                    ArimaScratch& s, double* a_end) {
  return arima_filter_full_hd(w, nw, o, c, arima_mats(s), a_end);
}

double arima_loglik(const double* w, int64_t nw, const ArimaOrder& o, const ArimaCoefs& c, double sigma2,
                    ArimaScratch& s) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!arima_order_ok(o) || nw < 1 || !(sigma2 > 0.0)) return nan;
  const ArimaFilterResult f = arima_filter_fast(w, nw, arima_expand(o, c), c.mu, s.acov);
  if (!f.ok) return nan;
  const double nn = static_cast<double>(nw);
  return -0.5 * (nn * std::log(2.0 * M_PI * sigma2) + f.sumlog + f.ssq / sigma2);
}

bool arima_forecast(const double* y, int64_t n, const ArimaOrder& o, const ArimaCoefs& c, double sigma2,
                    int64_t h, double* mean, double* sd, ArimaScratch& s, const ArimaXreg* xreg, double* innov) {
  if (!arima_order_ok(o)) return false;
  if (xreg != nullptr && xreg->k > 0) {
    // ARIMAX (Note [ARIMAX estimation], arimax.h): x_future beta + the forecast of the errors
    // u = y - x beta [n]; the regressors are known, so the variances are those of u.
    const int k = xreg->k;
    if (k > kArimaMaxXreg || xreg->x == nullptr) return false;
    std::vector<double> u(static_cast<size_t>(n));  // [n]
    for (int64_t t = 0; t < n; ++t) {
      double v = y[t];
      for (int j = 0; j < k; ++j) v -= xreg->x[t * k + j] * c.beta[j];
      u[static_cast<size_t>(t)] = v;
    }
    // innov: the innovations of u's filter, R's residuals(Arima(xreg =)).
    if (!arima_forecast(u.data(), n, o, c, sigma2, h, mean, sd, s, nullptr, innov)) return false;
    for (int64_t i = 0; i < h; ++i) {
      for (int j = 0; j < k; ++j) mean[i] += xreg->x[(n + i) * k + j] * c.beta[j];
      if (!std::isfinite(mean[i])) return false;
    }
    return true;
  }
  if (arima_n_diff(o, n) < 1) return false;
  double delta[kArimaMaxDiff];
  const int nd = arima_diff_poly(o, delta);
  const int r = arima_expand(o, c).r;
  std::vector<double> work(static_cast<size_t>(arima_forecast_work_doubles(n, r, nd)));  // w [nw], S, T S
  return arima_forecast_hd(y, n, o, c, sigma2, h, mean, sd, arima_mats(s), work.data(), innov);
}

}  // namespace skucast
