// kernels/likelihood_math.hpp — the per-element math of the likelihood losses (likelihood.hpp,
// Note [Likelihood parametrization]), written once for both twins (STYLE B10): the OpenMP loop
// of kernels/likelihood_cpu.cpp and the CUDA kernel of kernels/cuda/likelihood.cu call these
// `inline SKU_HD` functions (kernels/hd.hpp, Note [One source for CPU and GPU models]).
// defines: likelihood_softplus, likelihood_sigmoid, likelihood_digamma, likelihood_log_gamma,
//          LikelihoodElement + likelihood_element (one observation: loss and d loss / d raw),
//          likelihood_row (one (t, b) row: masking, weight and gradient scale, the stores),
//          likelihood_weight_term (one row's share of likelihood_weight_sum).
// The formulas are the CPU reference's, operation for operation, in double. The device runs
// the same source; it differs from the host only in its log/exp/pow/lgamma (a few double ulp
// from glibc's) and in FMA contraction (kernels/cuda/ is not compiled with -fmad=false).
#pragma once

#include <math.h>  // lgamma_r (glibc; called on the host only)

#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/likelihood.hpp"

namespace skucast {

inline constexpr double kLikelihoodEps = 1e-6;  // floor added to softplus outputs (sigma, mu, alpha)
inline constexpr double kHalfLog2Pi = 0.91893853320467274178;  // log(2 pi) / 2

// log(1 + e^v) without overflow.
SKU_HD inline double likelihood_softplus(double v) {
  return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
}

// The logistic function 1 / (1 + e^-v), softplus's derivative, without overflow.
SKU_HD inline double likelihood_sigmoid(double v) {
  if (v >= 0) return 1.0 / (1.0 + std::exp(-v));
  const double e = std::exp(v);
  return e / (1.0 + e);
}

// psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series (error < 1e-13).
SKU_HD inline double likelihood_digamma(double x) {
  double r = 0.0;
  while (x < 10.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  const double tail = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
  return r + std::log(x) - 0.5 / x - tail;
}

// log|Gamma(x)|. The host calls lgamma_r: std::lgamma writes glibc's global signgam, a data
// race under OpenMP. The device has no signgam and calls CUDA's lgamma.
SKU_HD inline double likelihood_log_gamma(double x) {
#if defined(__CUDA_ARCH__)
  return ::lgamma(x);
#else
  int sign = 0;
  return ::lgamma_r(x, &sign);
#endif
}

// One observation's loss and d loss / d raw[0..P-1] (d1 = 0 when P = 1).
struct LikelihoodElement {
  double loss = 0.0;
  double d0 = 0.0, d1 = 0.0, d2 = 0.0;  // d2: Student-t's degrees of freedom only
};

inline constexpr double kStudentTMinDf = 2.0;  // df = 2 + softplus(raw2)
inline constexpr double kHalfLogPi = 0.57236494292470008707;  // log(pi) / 2

// One observation: head outputs raw0 (raw1 when P >= 2, raw2 when P = 3), y finite, nu = scale > 0; pw is
// the Tweedie power (read only for Tweedie). On the device kind and pw are kernel arguments,
// uniform across the grid, so the switch does not diverge.
SKU_HD inline LikelihoodElement likelihood_element(Likelihood kind, double pw, double raw0, double raw1, double y,
                                                   double nu, double raw2 = 0.0) {
  LikelihoodElement out;
  switch (kind) {
    case Likelihood::Gaussian: {
      const double z = y / nu;
      const double s = likelihood_softplus(raw1) + kLikelihoodEps;  // sigma in scaled units
      const double e = (z - raw0) / s;
      out.loss = std::log(nu * s) + kHalfLog2Pi + 0.5 * e * e;
      out.d0 = -e / s;
      out.d1 = (1.0 - e * e) / s * likelihood_sigmoid(raw1);
      break;
    }
    case Likelihood::StudentT: {
      const double z = y / nu;
      const double s = likelihood_softplus(raw1) + kLikelihoodEps;  // sigma in scaled units
      const double df = kStudentTMinDf + likelihood_softplus(raw2);
      const double e = (z - raw0) / s;
      const double q = 1.0 + e * e / df;
      const double half = 0.5 * (df + 1.0);
      out.loss = std::log(nu * s) + likelihood_log_gamma(0.5 * df) - likelihood_log_gamma(half) + kHalfLogPi +
                 0.5 * std::log(df) + half * std::log(q);
      const double w = (df + 1.0) * e / (df * q);  // d [half log q] / d e
      out.d0 = -w / s;
      out.d1 = (1.0 - w * e) / s * likelihood_sigmoid(raw1);
      const double ddf = 0.5 * likelihood_digamma(0.5 * df) - 0.5 * likelihood_digamma(half) + 0.5 / df +
                         0.5 * std::log(q) - half * e * e / (df * df * q);
      out.d2 = ddf * likelihood_sigmoid(raw2);
      break;
    }
    case Likelihood::NegBin: {
      const double mu = nu * (likelihood_softplus(raw0) + kLikelihoodEps);
      const double sq = std::sqrt(nu);
      const double alpha = (likelihood_softplus(raw1) + kLikelihoodEps) / sq;
      const double r = 1.0 / alpha;
      const double am1 = 1.0 + alpha * mu;
      const double log_am1 = std::log1p(alpha * mu);
      // log NB(y) = lgamma(y+r) - lgamma(y+1) - lgamma(r) - r log(1+a mu) + y log(a mu) - y log(1+a mu)
      const double logp = likelihood_log_gamma(y + r) - likelihood_log_gamma(y + 1.0) - likelihood_log_gamma(r) -
                          r * log_am1 + (y > 0 ? y * std::log(alpha * mu) : 0.0) - y * log_am1;
      out.loss = -logp;
      const double dmu = (mu - y) / (mu * am1);  // d loss / d mu
      const double dalpha = -((likelihood_digamma(r) - likelihood_digamma(y + r) + log_am1) / (alpha * alpha) +
                              (y - mu) / (alpha * am1));
      out.d0 = dmu * nu * likelihood_sigmoid(raw0);
      out.d1 = dalpha * likelihood_sigmoid(raw1) / sq;
      break;
    }
    case Likelihood::Tweedie: {
      const double z = y / nu;
      const double m1 = std::exp((1.0 - pw) * raw0);  // m^(1-p)
      const double m2 = std::exp((2.0 - pw) * raw0);  // m^(2-p)
      const double z2 = z > 0 ? std::pow(z, 2.0 - pw) : 0.0;
      out.loss = 2.0 * (z2 / ((1.0 - pw) * (2.0 - pw)) - z * m1 / (1.0 - pw) + m2 / (2.0 - pw));
      out.d0 = 2.0 * (m2 - z * m1);
      break;
    }
    case Likelihood::Mse: {
      const double d = raw0 - y / nu;
      out.loss = d * d;
      out.d0 = 2.0 * d;
      break;
    }
    case Likelihood::Mae: {
      const double d = raw0 - y / nu;
      out.loss = std::fabs(d);
      out.d0 = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
      break;
    }
  }
  return out;
}

// Row i = (t, b) of likelihood_fwd_bwd (time-major, b = i % n_batch), P = likelihood_n_params:
// loss[i] and draw[i*P .. i*P+P-1] = grad_scale * weight[b] * d loss / d raw, all 0 when y[i] is
// not finite or weight[b] = 0. T is the storage type (float; double for the gradient checks).
template <typename T>
SKU_HD inline void likelihood_row(Likelihood kind, double pw, int64_t P, const T* raw, const T* y, const T* scale,
                                  const T* weight, int64_t i, int64_t n_batch, double grad_scale, T* loss, T* draw) {
  const int64_t b = i % n_batch;
  const double yi = y[i];
  const double w = weight ? static_cast<double>(weight[b]) : 1.0;
  T* d = draw + i * P;
  if (!std::isfinite(yi) || w == 0.0) {  // masked: contributes nothing
    loss[i] = T(0);
    for (int64_t k = 0; k < P; ++k) d[k] = T(0);
    return;
  }
  const double raw1 = P > 1 ? static_cast<double>(raw[i * P + 1]) : 0.0;
  const double raw2 = P > 2 ? static_cast<double>(raw[i * P + 2]) : 0.0;
  const LikelihoodElement e = likelihood_element(kind, pw, raw[i * P], raw1, yi, scale[b], raw2);
  loss[i] = static_cast<T>(e.loss);
  d[0] = static_cast<T>(grad_scale * w * e.d0);
  if (P > 1) d[1] = static_cast<T>(grad_scale * w * e.d1);
  if (P > 2) d[2] = static_cast<T>(grad_scale * w * e.d2);
}

// Row i's term of likelihood_weight_sum: weight[i % n_batch] (1 when weight is null) when y[i]
// is finite, else 0.
template <typename T>
SKU_HD inline double likelihood_weight_term(const T* y, const T* weight, int64_t i, int64_t n_batch) {
  if (!std::isfinite(static_cast<double>(y[i]))) return 0.0;
  return weight ? static_cast<double>(weight[i % n_batch]) : 1.0;
}

}  // namespace skucast
