// engine/stat/arima/core.h — the per-series ARIMA pieces that both the CPU and the GPU
// compile (SKU_HD, Note [One source for CPU and GPU models] in kernels/hd.hpp): the expanded
// polynomials, differencing, R's partrans, the first column of the stationary state
// covariance, the fast exact-likelihood filter and the conditional sum of squares.
//
// Note [ARIMA fast likelihood]
//   The exact likelihood needs the innovations v_t and their variances F_t of the Kalman filter
//   on the ARMA state (Note [ARIMA state space], arima.h). With the stationary start
//   P_0 = T P_0 T' + R R' the change of the predicted covariance from one step to the next has
//   rank one, P_{t+1} - P_t = m_t w_t w_t' (Morf, Sidhu and Kailath's fast recursions for
//   time-invariant systems; for ARMA models Pearlman 1980 and Melard 1984, AS 154). With
//   g_t = P_t Z' (the first column of P_t), F_t = g_t[0] and z_t = w_t[0]:
//     w_0 = T g_0, m_0 = -1 / F_0,
//     g_{t+1} = g_t + m_t z_t w_t,        F_{t+1} = F_t + m_t z_t^2,
//     w_{t+1} = T (w_t - (z_t / F_t) g_t), m_{t+1} = m_t F_t / F_{t+1}.
//   (Derivation: P_{t+2} - P_{t+1} = T [d - g' g'^T / F' + g g^T / F] T^T with d = m w w^T and
//   g' = g + m z w; the bracket is m / (F F') u u^T with u = F w - z g.) Each step is O(r),
//   where the covariance recursion is O(r^2) (arima_filter_full keeps it for the forecasts,
//   which need the whole filtered covariance), and only the first column of P_0 is needed:
//     g_0[i] = Cov(a_i, w_t) = sum_{j=0}^{r-1-i} (phi_{i+j} gamma(j+1) + R_{i+j} psi_j),
//   from the autocovariances gamma(0..r) of the ARMA (one (p'+1) x (p'+1) linear solve,
//   Brockwell and Davis 3.3) and its MA(infinity) weights psi. That replaces the doubling
//   algorithm for the full P_0, O(r^3) per doubling, which took 41 % of a fit. Once
//   |m_t| max w_t^2 falls below 1e-14 of the covariance's size the gain is constant
//   (Note [ARIMA steady state]) and the recursion stops. The results equal the full filter's
//   to rounding (tests/stat/test_arima.cpp compares them on every fixture order).
#pragma once

#include <cmath>
#include <cstdint>

#include "engine/stat/arima/arima.h"
#include "kernels/hd.hpp"

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

inline SKU_HD ArimaPoly arima_expand(const ArimaOrder& o, const ArimaCoefs& c) {
  ArimaPoly e;
  const int m = o.m;
  e.np = o.p + o.P * m;
  e.nq = o.q + o.Q * m;
  e.r = e.np > e.nq + 1 ? e.np : e.nq + 1;
  for (int i = 0; i < kArimaMaxState; ++i) e.phi[i] = e.theta[i] = 0.0;
  // phi[k] is the coefficient of L^(k+1) in 1 - sum phi L^k; likewise theta with +.
  for (int i = 0; i < o.p; ++i) e.phi[i] = c.ar[i];
  for (int j = 0; j < o.P; ++j) {
    e.phi[(j + 1) * m - 1] += c.sar[j];
    for (int i = 0; i < o.p; ++i) e.phi[(j + 1) * m + i] -= c.ar[i] * c.sar[j];
  }
  for (int i = 0; i < o.q; ++i) e.theta[i] = c.ma[i];
  for (int j = 0; j < o.Q; ++j) {
    e.theta[(j + 1) * m - 1] += c.sma[j];
    for (int i = 0; i < o.q; ++i) e.theta[(j + 1) * m + i] += c.ma[i] * c.sma[j];
  }
  return e;
}

// delta [d + D m]: (1-L)^d (1-L^m)^D = 1 - sum_j delta_j L^j. Returns d + D m.
inline SKU_HD int arima_diff_poly(const ArimaOrder& o, double* delta) {
  double c[kArimaMaxDiff + 1];
  c[0] = 1.0;
  int deg = 0;
  for (int k = 0; k < o.d + o.D; ++k) {
    const int lag = k < o.d ? 1 : o.m;
    for (int j = deg + lag; j >= 0; --j) c[j] = (j <= deg ? c[j] : 0.0) - (j >= lag ? c[j - lag] : 0.0);
    deg += lag;
  }
  for (int j = 1; j <= deg; ++j) delta[j - 1] = -c[j];
  return deg;
}

// R's partrans: raw [k] -> coefficients [k] of a stationary 1 - sum phi L^i through partial
// autocorrelations tanh(raw) and the Durbin-Levinson recursion.
inline SKU_HD void arima_partrans(const double* raw, int k, double* phi) {
  double work[kArimaMaxP];
  for (int j = 0; j < k; ++j) phi[j] = work[j] = std::tanh(raw[j]);
  for (int j = 1; j < k; ++j) {
    const double a = phi[j];
    for (int i = 0; i < j; ++i) work[i] -= a * phi[j - i - 1];
    for (int i = 0; i < j; ++i) phi[i] = work[i];
  }
}

// g [r] = the first column of the stationary state covariance (sigma2 = 1), Note [ARIMA fast
// likelihood]. work [kArimaAcovWork]. False when the autocovariance system is singular or
// its solution is not a covariance (a non-stationary or nearly non-stationary AR part).
inline SKU_HD bool arima_p0_column(const ArimaPoly& e, double* g, double* work) {
  const int r = e.r, np = e.np, nq = e.nq;
  double R[kArimaMaxState];  // (1, theta_1 .. theta_{r-1})
  R[0] = 1.0;
  for (int i = 1; i < r; ++i) R[i] = e.theta[i - 1];
  // psi_j, j < r: MA(infinity) weights, psi_j = R_j + sum_{k=1}^{min(j, np)} phi_k psi_{j-k}.
  double psi[kArimaMaxState], gamma[kArimaMaxState + 1] = {}, b[kArimaMaxState + 1];
  for (int j = 0; j < r; ++j) {
    double v = R[j];
    for (int k = 1; k <= j && k <= np; ++k) v += e.phi[k - 1] * psi[j - k];
    psi[j] = v;
  }
  // b_k = sum_{j=k}^{nq} R_j psi_{j-k} = Cov(MA part at t, w_{t-k}), k = 0..r.
  for (int k = 0; k <= r; ++k) {
    double v = 0.0;
    for (int j = k; j <= nq; ++j) v += R[j] * psi[j - k];
    b[k] = v;
  }
  if (np == 0) {
    for (int k = 0; k <= r; ++k) gamma[k] = b[k];
  } else {
    // gamma(k) - sum_{i=1}^{np} phi_i gamma(|k - i|) = b_k, k = 0..np: Gaussian elimination
    // with partial pivoting on the (np + 1)^2 system A gamma = b.
    const int n = np + 1;
    double* A = work;
    for (int i = 0; i < n * n; ++i) A[i] = 0.0;
    for (int k = 0; k < n; ++k) {
      A[k * n + k] += 1.0;
      for (int i = 1; i <= np; ++i) {
        const int col = k - i >= 0 ? k - i : i - k;
        A[k * n + col] -= e.phi[i - 1];
      }
      gamma[k] = b[k];
    }
    for (int c = 0; c < n; ++c) {
      int piv = c;
      double best = std::fabs(A[c * n + c]);
      for (int i = c + 1; i < n; ++i)
        if (std::fabs(A[i * n + c]) > best) best = std::fabs(A[i * n + c]), piv = i;
      if (!(best > 1e-12)) return false;
      if (piv != c) {
        for (int j = c; j < n; ++j) {
          const double t = A[c * n + j];
          A[c * n + j] = A[piv * n + j];
          A[piv * n + j] = t;
        }
        const double t = gamma[c];
        gamma[c] = gamma[piv];
        gamma[piv] = t;
      }
      const double inv = 1.0 / A[c * n + c];
      for (int i = c + 1; i < n; ++i) {
        const double f = A[i * n + c] * inv;
        if (f == 0.0) continue;
        for (int j = c; j < n; ++j) A[i * n + j] -= f * A[c * n + j];
        gamma[i] -= f * gamma[c];
      }
    }
    for (int c = n - 1; c >= 0; --c) {
      double v = gamma[c];
      for (int j = c + 1; j < n; ++j) v -= A[c * n + j] * gamma[j];
      gamma[c] = v / A[c * n + c];
    }
    for (int k = n; k <= r; ++k) {
      double v = b[k];
      for (int i = 1; i <= np; ++i) v += e.phi[i - 1] * gamma[k - i];
      gamma[k] = v;
    }
  }
  if (!(gamma[0] > 0.0) || !(gamma[0] < 1e300)) return false;
  for (int i = 0; i < r; ++i) {
    double v = 0.0;
    for (int j = 0; i + j < r; ++j) v += e.phi[i + j] * gamma[j + 1] + R[i + j] * psi[j];
    g[i] = v;
  }
  g[0] = gamma[0];  // the same value, without the rounding of the sum
  return true;
}

// The exact likelihood's sums over w [nw] (sigma2 = 1, mean mu) by the fast recursions of
// Note [ARIMA fast likelihood]. work [kArimaAcovWork].
inline SKU_HD ArimaFilterResult arima_filter_fast(const double* w, int64_t nw, const ArimaPoly& e, double mu,
                                                  double* work) {
  ArimaFilterResult res;
  const int r = e.r;
  double g[kArimaMaxState], wv[kArimaMaxState], a[kArimaMaxState], t1[kArimaMaxState];
  if (!arima_p0_column(e, g, work)) return res;
  for (int i = 0; i < r; ++i) a[i] = 0.0;
  double F = g[0], m = 0.0, size = 0.0;
  for (int i = 0; i < r; ++i) size = std::fabs(g[i]) > size ? std::fabs(g[i]) : size;
  bool steady = false;
  for (int64_t t = 0; t < nw; ++t) {
    if (!(F > 0.0)) return res;
    const double v = w[t] - mu - a[0];
    if (!std::isfinite(v)) return res;
    const double vf = v / F;
    res.ssq += v * vf;
    res.sumlog += std::log(F);
    // a <- T (a + g v / F)
    for (int i = 0; i < r; ++i) t1[i] = a[i] + g[i] * vf;
    for (int i = 0; i + 1 < r; ++i) a[i] = e.phi[i] * t1[0] + t1[i + 1];
    a[r - 1] = e.phi[r - 1] * t1[0];
    if (steady) continue;
    if (t == 0) {  // w_0 = T g_0, m_0 = -1 / F_0
      for (int i = 0; i + 1 < r; ++i) wv[i] = e.phi[i] * g[0] + g[i + 1];
      wv[r - 1] = e.phi[r - 1] * g[0];
      m = -1.0 / F;
    }
    const double z = wv[0], mz = m * z, zf = z / F;
    const double Fn = F + mz * z;
    double wmax = 0.0;
    for (int i = 0; i < r; ++i) {
      t1[i] = wv[i] - zf * g[i];
      g[i] += mz * wv[i];
    }
    for (int i = 0; i + 1 < r; ++i) wv[i] = e.phi[i] * t1[0] + t1[i + 1];
    wv[r - 1] = e.phi[r - 1] * t1[0];
    for (int i = 0; i < r; ++i) wmax = wv[i] * wv[i] > wmax ? wv[i] * wv[i] : wmax;
    m = m * F / Fn;
    F = Fn;
    // Note [ARIMA steady state]: the next change, |m| max w^2, below 1e-14 of the size.
    steady = std::fabs(m) * wmax <= 1e-14 * size;
  }
  res.n = nw;
  res.ok = std::isfinite(res.ssq) && std::isfinite(res.sumlog);
  return res;
}

// Conditional sum of squares (R's ARIMA_CSS): residuals of w [nw] from t = np on, earlier
// ones zero, into resid [nw]; returns sum resid^2. Only the nonzero coefficients of the
// expanded (mostly zero, for seasonal orders) polynomials are visited.
inline SKU_HD double arima_css_ssq(const double* w, int64_t nw, const ArimaPoly& e, double mu, double* resid) {
  int ip[kArimaMaxState], iq[kArimaMaxState];
  double cp[kArimaMaxState], cq[kArimaMaxState];
  int kp = 0, kq = 0;
  for (int k = 0; k < e.np; ++k)
    if (e.phi[k] != 0.0) ip[kp] = k + 1, cp[kp++] = e.phi[k];
  for (int k = 0; k < e.nq; ++k)
    if (e.theta[k] != 0.0) iq[kq] = k + 1, cq[kq++] = e.theta[k];
  double ssq = 0.0;
  for (int64_t t = 0; t < nw; ++t) {
    if (t < e.np) {
      resid[t] = 0.0;
      continue;
    }
    double v = w[t] - mu;
    for (int k = 0; k < kp; ++k) v -= cp[k] * (w[t - ip[k]] - mu);
    for (int k = 0; k < kq; ++k)
      if (iq[k] <= t) v -= cq[k] * resid[t - iq[k]];
    resid[t] = v;
    ssq += v * v;
  }
  return ssq;
}


// ------------------------------------------------------------ orders, differences ----
// The SKU_HD forms of arima_order_ok, arima_n_diff and arima_difference (arima.h; those
// host functions forward here).

inline SKU_HD bool arima_order_ok_hd(const ArimaOrder& o) {
  if (o.p < 0 || o.q < 0 || o.d < 0 || o.P < 0 || o.Q < 0 || o.D < 0 || o.m < 1) return false;
  if (o.p > kArimaMaxP || o.q > kArimaMaxP || o.P > kArimaMaxSP || o.Q > kArimaMaxSP || o.d > 2 || o.D > 1) return false;
  const int m = o.m;
  if ((o.P > 0 || o.Q > 0 || o.D > 0) && (m < 2 || m > 24)) return false;
  if (o.constant && o.d + o.D > 1) return false;
  const int np = o.p + o.P * m, nq = o.q + o.Q * m;
  const int r = np > nq + 1 ? np : nq + 1;
  return r <= kArimaMaxState && o.d + o.D * m <= kArimaMaxDiff;
}

inline SKU_HD int64_t arima_n_diff_hd(const ArimaOrder& o, int64_t n) { return n - o.d - static_cast<int64_t>(o.D) * o.m; }

inline SKU_HD void arima_difference_hd(const double* y, int64_t n, const ArimaOrder& o, double* w) {
  double delta[kArimaMaxDiff];
  const int nd = arima_diff_poly(o, delta);
  for (int64_t t = nd; t < n; ++t) {
    double v = y[t];
    for (int j = 1; j <= nd; ++j) v -= delta[j - 1] * y[t - j];
    w[t - nd] = v;
  }
}

// ------------------------------------------------------------------- scratch ----
// Note [ARIMA scratch]: every per-series ARIMA function takes its work space from the caller
// (SKU_HD code allocates nothing). The covariance matrices are stored with row stride r (the
// order's state dimension), so they need only r_cap^2 doubles where r_cap bounds r for the
// orders a call can meet: kArimaMaxState for a fixed order (ArimaScratch, the host API), and
// arima_r_cap(m) for the automatic order (p, q <= 5, P, Q <= 2: r <= 5 + 2m + 1); functions
// given a smaller r_cap than an order needs treat it as a failed fit. The series buffers of
// the order search and of the forecast share one region (ArimaWork, engine/stat/arima/auto_core.h), laid
// out for a series of n values; its size (arima_work_doubles) increases with n, so a buffer
// sized for the longest series serves every shorter one.

// The covariance scratch: acov [(r_cap + 1)^2] (arima_p0_column), P, M1..M4 [r_cap^2] each.
struct ArimaMats {
  double* acov = nullptr;
  double* P = nullptr;
  double* M1 = nullptr;
  double* M2 = nullptr;
  double* M3 = nullptr;
  double* M4 = nullptr;
  int r_cap = 0;
};

inline SKU_HD ArimaMats arima_mats(ArimaScratch& s) {
  ArimaMats v;
  v.acov = s.acov, v.P = s.P, v.M1 = s.M1, v.M2 = s.M2, v.M3 = s.M3, v.M4 = s.M4;
  v.r_cap = kArimaMaxState;
  return v;
}

// The largest state dimension the automatic order can reach with season length m (arima_auto
// fits seasonal terms only for 2 <= m <= 24; orders with r > kArimaMaxState fail anyway).
inline SKU_HD int arima_r_cap(int m) {
  if (m < 2 || m > kArimaMaxDiff - 2) return kArimaMaxP + 1;
  const int r = kArimaMaxP + kArimaMaxSP * m + 1;  // max(p + P m, q + Q m + 1)
  return r < kArimaMaxState ? r : kArimaMaxState;
}

inline SKU_HD int64_t arima_mats_doubles(int r_cap) {
  return static_cast<int64_t>(r_cap + 1) * (r_cap + 1) + 5 * static_cast<int64_t>(r_cap) * r_cap;
}

inline SKU_HD ArimaMats arima_mats_make(double* base, int r_cap) {
  ArimaMats v;
  const int64_t rr = static_cast<int64_t>(r_cap) * r_cap;
  v.acov = base;
  v.P = v.acov + static_cast<int64_t>(r_cap + 1) * (r_cap + 1);
  v.M1 = v.P + rr;
  v.M2 = v.M1 + rr;
  v.M3 = v.M2 + rr;
  v.M4 = v.M3 + rr;
  v.r_cap = r_cap;
  return v;
}

}  // namespace skucast
