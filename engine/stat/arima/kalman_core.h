// engine/stat/arima/kalman_core.h — the ARIMA state space's full covariance recursion, for
// the CPU and the GPU (SKU_HD, Note [One source for CPU and GPU models] in kernels/hd.hpp): the
// stationary initial covariance (doubling), the Kalman filter with the whole covariance (the
// reference for arima_filter_fast, and what the forecasts need) and the forecasts of y with
// their variances through the augmented differencing states (Note [ARIMA state space] in
// arima.h). The host API (arima_stationary_cov, arima_filter_full, arima_forecast with
// ArimaScratch and regressors) forwards here from engine/stat/arima/kalman.cpp.
#pragma once

#include <cmath>
#include <cstdint>

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/core.h"
#include "kernels/hd.hpp"

namespace skucast {

namespace arima_detail {

// out [r, r] = T X for T = [phi | shift] (row i: phi_i x_0j + x_{i+1, j}).
inline SKU_HD void apply_T(const ArimaPoly& e, const double* X, double* out) {
  const int r = e.r;
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) out[i * r + j] = e.phi[i] * X[j] + (i + 1 < r ? X[(i + 1) * r + j] : 0.0);
}

// out [r, r] = A B, row by row as axpys (contiguous inner loop, vectorised) skipping the zeros
// of A (T and its first powers are mostly zeros).
inline SKU_HD void matmul(const double* A, const double* B, int r, double* out) {
  for (int i = 0; i < r; ++i) {
    double* o = out + i * r;
    for (int j = 0; j < r; ++j) o[j] = 0.0;
    for (int k = 0; k < r; ++k) {
      const double a = A[i * r + k];
      if (a == 0.0) continue;
      const double* b = B + k * r;
      for (int j = 0; j < r; ++j) o[j] += a * b[j];
    }
  }
}

inline SKU_HD void transpose(const double* A, int r, double* out) {
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) out[j * r + i] = A[i * r + j];
}

}  // namespace arima_detail

// mats.P [r, r] = the stationary covariance of the state (sigma2 = 1). False when it does not
// exist or r > mats.r_cap.
inline SKU_HD bool arima_stationary_cov_hd(const ArimaPoly& e, const ArimaMats& mats) {
  const int r = e.r;
  if (r > mats.r_cap) return false;
  double R[kArimaMaxState];  // (1, theta_1 .. theta_{r-1})
  R[0] = 1.0;
  for (int i = 1; i < r; ++i) R[i] = e.theta[i - 1];
  double* P = mats.P;
  if (e.np == 0) {  // pure MA: P0 = sum_k T^k R R' T'^k with T a shift, P0[i][j] = sum_k R[i+k] R[j+k]
    for (int i = 0; i < r; ++i)
      for (int j = 0; j < r; ++j) {
        double v = 0.0;
        for (int k = 0; i + k < r && j + k < r; ++k) v += R[i + k] * R[j + k];
        P[i * r + j] = v;
      }
    return true;
  }
  // Doubling: P_{k+1} = P_k + A_k P_k A_k', A_{k+1} = A_k^2, from P_0 = R R', A_0 = T.
  double* A = mats.M1;
  double* W1 = mats.M2;
  double* W2 = mats.M3;
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < r; ++j) {
      P[i * r + j] = R[i] * R[j];
      A[i * r + j] = (j == 0 ? e.phi[i] : 0.0) + (j == i + 1 ? 1.0 : 0.0);
    }
  double* At = mats.M4;
  for (int it = 0; it < 80; ++it) {
    arima_detail::matmul(A, P, r, W1);  // A P
    arima_detail::transpose(A, r, At);
    arima_detail::matmul(W1, At, r, W2);  // A P A'
    double change = 0.0, size = 0.0;
    for (int i = 0; i < r * r; ++i) {
      P[i] += W2[i];
      const double c = std::fabs(W2[i]), z = std::fabs(P[i]);
      change = c > change ? c : change;
      size = z > size ? z : size;
    }
    if (!(size < 1e300)) return false;
    if (change <= 1e-17 * size) return true;
    arima_detail::matmul(A, A, r, W1);
    for (int i = 0; i < r * r; ++i) A[i] = W1[i];
  }
  return false;  // not converged: (near) non-stationary
}

// The Kalman filter with the whole covariance recursion over w [nw], sigma2 = 1. a_end [r]
// (optional): the filtered state; mats.P holds the filtered covariance P_{n|n} afterwards.
// innov [nw] (optional): the innovations w_t − (mu + a_t|t−1), the one-step errors of w (and of
// y: y_t − ŷ_t|t−1 = w_t − ŵ_t|t−1 once d + D m values are known).
inline SKU_HD ArimaFilterResult arima_filter_full_hd(const double* w, int64_t nw, const ArimaOrder& o,
                                                     const ArimaCoefs& c, const ArimaMats& mats, double* a_end,
                                                     double* innov = nullptr) {
  ArimaFilterResult res;
  const ArimaPoly e = arima_expand(o, c);
  if (!arima_stationary_cov_hd(e, mats)) return res;
  const int r = e.r;
  double R[kArimaMaxState];
  R[0] = 1.0;
  for (int i = 1; i < r; ++i) R[i] = e.theta[i - 1];
  double a[kArimaMaxState] = {}, an[kArimaMaxState], Pc[kArimaMaxState];
  double* P = mats.P;       // predicted covariance P_{t|t-1} (P0 at t = 0), then filtered P_{t|t}
  double* W = mats.M1;      // T P
  double* Pprev = mats.M2;  // the previous step's predicted covariance
  double F = 1.0;
  bool steady = false;
  for (int64_t t = 0; t < nw; ++t) {
    if (t > 0) {
      // Predict: a = T a, P = T P T' + R R' (P holds P_{t-1|t-1}).
      for (int i = 0; i < r; ++i) an[i] = e.phi[i] * a[0] + (i + 1 < r ? a[i + 1] : 0.0);
      for (int i = 0; i < r; ++i) a[i] = an[i];
    }
    if (!steady) {
      if (t > 0) {
        arima_detail::apply_T(e, P, W);
        for (int i = 0; i < r; ++i)
          for (int j = 0; j < r; ++j)  // (T P T')_ij = (T (T P)')_ji = phi_j W_i0 + W_{i, j+1}
            P[i * r + j] = e.phi[j] * W[i * r] + (j + 1 < r ? W[i * r + j + 1] : 0.0) + R[i] * R[j];
      }
      // Note [ARIMA steady state]: once the predicted covariance stops changing (to 1e-14 of
      // its size; statsmodels' filter does the same at 1e-19 absolute), the gain and F are
      // constant and the covariance recursion is skipped: O(r) instead of O(r^2) per step.
      double change = t > 0 ? 0.0 : 1.0, size = 0.0;
      for (int i = 0; i < r * r; ++i) {
        const double ch = t > 0 ? std::fabs(P[i] - Pprev[i]) : 0.0, z = std::fabs(P[i]);
        change = ch > change ? ch : change;  // not std::fmax: a libm call here, 10 % of a fit
        size = z > size ? z : size;
        Pprev[i] = P[i];
      }
      F = P[0];
      for (int i = 0; i < r; ++i) Pc[i] = P[i * r];
      if (!(F > 0.0)) return res;
      for (int i = 0; i < r; ++i)
        for (int j = 0; j < r; ++j) P[i * r + j] -= Pc[i] * Pc[j] / F;
      steady = change <= 1e-14 * size;
    }
    const double v = w[t] - c.mu - a[0];
    if (!std::isfinite(v)) return res;
    if (innov) innov[t] = v;
    for (int i = 0; i < r; ++i) a[i] += Pc[i] * v / F;
    res.ssq += v * v / F;
    res.sumlog += std::log(F);
  }
  res.n = nw;
  res.ok = std::isfinite(res.ssq) && std::isfinite(res.sumlog);
  if (a_end)
    for (int i = 0; i < r; ++i) a_end[i] = a[i];
  return res;
}

// Doubles of work arima_forecast_hd needs for y [n] and the order o: w [nw] and the augmented
// covariance S and T S [2 N^2], N = r + d + D m.
inline SKU_HD int64_t arima_forecast_work_doubles(int64_t n, int r, int nd) {
  const int64_t N = r + nd;
  return (n > 1 ? n : 1) + 2 * N * N;
}

// Forecasts y [n] h steps ahead (no regressors): mean [h], sd [h]; work
// [arima_forecast_work_doubles(n, r, d + D m)]; innov [n − d − D m] (optional): the filter's
// innovations (arima_filter_full_hd). False when the state is not stationary, the order
// exceeds mats.r_cap or the output is not finite.
inline SKU_HD bool arima_forecast_hd(const double* y, int64_t n, const ArimaOrder& o, const ArimaCoefs& c,
                                     double sigma2, int64_t h, double* mean, double* sd, const ArimaMats& mats,
                                     double* work, double* innov = nullptr) {
  if (!arima_order_ok_hd(o)) return false;
  const int64_t nw = arima_n_diff_hd(o, n);
  if (nw < 1) return false;
  double delta[kArimaMaxDiff];
  const int nd = arima_diff_poly(o, delta);
  double* w = work;  // [nw] the differenced series
  arima_difference_hd(y, n, o, w);
  double a[kArimaMaxState];
  const ArimaFilterResult f = arima_filter_full_hd(w, nw, o, c, mats, a, innov);
  if (!f.ok) return false;
  const ArimaPoly e = arima_expand(o, c);
  const int r = e.r;
  double R[kArimaMaxState];
  R[0] = 1.0;
  for (int i = 1; i < r; ++i) R[i] = e.theta[i - 1];
  const double* P = mats.P;  // filtered covariance P_{n|n}
  // Augmented state x = [a (r); y_n, y_{n-1}, .., y_{n-nd+1}], covariance S = [[P, 0], [0, 0]].
  const int N = r + nd;
  double x[kArimaMaxAug], xn[kArimaMaxAug], Ra[kArimaMaxAug];
  double* S = work + (n > 1 ? n : 1);  // [N, N]
  double* TS = S + N * N;              // [N, N]
  for (int i = 0; i < N * N; ++i) S[i] = 0.0;
  for (int i = 0; i < r; ++i) {
    x[i] = a[i];
    Ra[i] = R[i];
    for (int j = 0; j < r; ++j) S[i * N + j] = P[i * r + j];
  }
  for (int k = 0; k < nd; ++k) x[r + k] = y[n - 1 - k], Ra[r + k] = k == 0 ? 1.0 : 0.0;
  // Row i of T_aug times a column vector v: i < r: phi_i v_0 + v_{i+1};
  // i = r: phi_0 v_0 + v_1 + sum_k delta_k v_{r+k-1}; i > r: v_{i-1}.
  auto t_row = [&](int i, const double* v, int stride) {
    if (i < r) return e.phi[i] * v[0] + (i + 1 < r ? v[(i + 1) * stride] : 0.0);
    if (i == r) {
      double s2 = e.phi[0] * v[0] + (r > 1 ? v[stride] : 0.0);
      for (int k = 1; k <= nd; ++k) s2 += delta[k - 1] * v[(r + k - 1) * stride];
      return s2;
    }
    return v[(i - 1) * stride];
  };
  for (int64_t k = 0; k < h; ++k) {
    for (int i = 0; i < N; ++i) xn[i] = t_row(i, x, 1);
    // The constant enters w (and with it y_t) through mu.
    for (int i = 0; i < N; ++i) x[i] = xn[i];
    if (nd > 0) x[r] += c.mu;
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < N; ++j) TS[i * N + j] = t_row(i, S + j, N);  // (T S)_ij
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < N; ++j) S[i * N + j] = t_row(j, TS + i * N, 1) + Ra[i] * Ra[j];  // (T S T')_ij
    const double fc = nd > 0 ? x[r] : x[0] + c.mu;
    const double var = (nd > 0 ? S[r * N + r] : S[0]) * sigma2;
    mean[k] = fc;
    sd[k] = std::sqrt(var > 0.0 ? var : 0.0);
  }
  for (int64_t k = 0; k < h; ++k)
    if (!std::isfinite(mean[k]) || !std::isfinite(sd[k])) return false;
  return true;
}

}  // namespace skucast
