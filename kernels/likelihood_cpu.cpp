// kernels/likelihood_cpu.cpp — CPU reference for the likelihood losses and their gradients
// (see likelihood.hpp, Note [Likelihood parametrization]). One template over the storage
// type, computing in double.
#include <math.h>

#include <cmath>

#include "kernels/likelihood.hpp"

namespace skucast {

namespace {

constexpr double kEps = 1e-6;  // floor added to softplus outputs (sigma, mu, alpha)
constexpr int64_t kOmpMinRows = 4096;  // below this, threads cost more than they save
constexpr double kHalfLog2Pi = 0.91893853320467274178;

// log(1 + e^v) without overflow, and its derivative, the logistic function.
inline double softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }
inline double sigmoid(double v) {
  if (v >= 0) return 1.0 / (1.0 + std::exp(-v));
  const double e = std::exp(v);
  return e / (1.0 + e);
}

// psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series (error < 1e-13).
inline double digamma(double x) {
  double r = 0.0;
  while (x < 10.0) {
    r -= 1.0 / x;
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  const double tail = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
  return r + std::log(x) - 0.5 / x - tail;
}

// log|Gamma(x)| without glibc's global signgam write (std::lgamma races under OpenMP).
inline double log_gamma(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// One element: loss and d loss / d raw[0..P-1]. y finite, nu > 0.
struct ElementResult {
  double loss = 0.0;
  double d0 = 0.0, d1 = 0.0;
};

inline ElementResult element(const LikelihoodParams& p, double raw0, double raw1, double y, double nu) {
  ElementResult out;
  switch (p.kind) {
    case Likelihood::Gaussian: {
      const double z = y / nu;
      const double s = softplus(raw1) + kEps;  // sigma in scaled units
      const double e = (z - raw0) / s;
      out.loss = std::log(nu * s) + kHalfLog2Pi + 0.5 * e * e;
      out.d0 = -e / s;
      out.d1 = (1.0 - e * e) / s * sigmoid(raw1);
      break;
    }
    case Likelihood::NegBin: {
      const double mu = nu * (softplus(raw0) + kEps);
      const double sq = std::sqrt(nu);
      const double alpha = (softplus(raw1) + kEps) / sq;
      const double r = 1.0 / alpha;
      const double am1 = 1.0 + alpha * mu;
      const double log_am1 = std::log1p(alpha * mu);
      // log NB(y) = lgamma(y+r) - lgamma(y+1) - lgamma(r) - r log(1+a mu) + y log(a mu) - y log(1+a mu)
      const double logp = log_gamma(y + r) - log_gamma(y + 1.0) - log_gamma(r) - r * log_am1 +
                          (y > 0 ? y * std::log(alpha * mu) : 0.0) - y * log_am1;
      out.loss = -logp;
      const double dmu = (mu - y) / (mu * am1);  // d loss / d mu
      const double dalpha =
          -((digamma(r) - digamma(y + r) + log_am1) / (alpha * alpha) + (y - mu) / (alpha * am1));
      out.d0 = dmu * nu * sigmoid(raw0);
      out.d1 = dalpha * sigmoid(raw1) / sq;
      break;
    }
    case Likelihood::Tweedie: {
      const double pw = p.tweedie_power;
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

template <typename T>
void fwd_bwd(const LikelihoodParams& params, const T* raw, const T* y, const T* scale, const T* weight,
             int64_t n_steps, int64_t n_batch, double grad_scale, T* loss, T* draw) {
  const int64_t P = likelihood_n_params(params.kind);
  const int64_t rows = n_steps * n_batch;
#pragma omp parallel for schedule(static) if (rows >= kOmpMinRows)
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t b = i % n_batch;  // row i = (t, b), time-major
    const double yi = y[i];
    const double w = weight ? static_cast<double>(weight[b]) : 1.0;
    T* d = draw + i * P;
    if (!std::isfinite(yi) || w == 0.0) {  // masked: contributes nothing
      loss[i] = T(0);
      for (int64_t k = 0; k < P; ++k) d[k] = T(0);
      continue;
    }
    const double raw1 = P > 1 ? static_cast<double>(raw[i * P + 1]) : 0.0;
    const ElementResult e = element(params, raw[i * P], raw1, yi, scale[b]);
    loss[i] = static_cast<T>(e.loss);
    d[0] = static_cast<T>(grad_scale * w * e.d0);
    if (P > 1) d[1] = static_cast<T>(grad_scale * w * e.d1);
  }
}

template <typename T>
double weight_sum(const T* y, const T* weight, int64_t n_steps, int64_t n_batch) {
  double s = 0.0;
  const int64_t rows = n_steps * n_batch;
#pragma omp parallel for schedule(static) reduction(+ : s) if (rows >= kOmpMinRows)
  for (int64_t i = 0; i < rows; ++i)
    if (std::isfinite(static_cast<double>(y[i]))) s += weight ? static_cast<double>(weight[i % n_batch]) : 1.0;
  return s;
}

}  // namespace

void likelihood_fwd_bwd_cpu(const LikelihoodParams& params, const float* raw, const float* y, const float* scale,
                            const float* weight, int64_t n_steps, int64_t n_batch, double grad_scale, float* loss,
                            float* draw) {
  fwd_bwd(params, raw, y, scale, weight, n_steps, n_batch, grad_scale, loss, draw);
}

void likelihood_fwd_bwd_cpu(const LikelihoodParams& params, const double* raw, const double* y, const double* scale,
                            const double* weight, int64_t n_steps, int64_t n_batch, double grad_scale, double* loss,
                            double* draw) {
  fwd_bwd(params, raw, y, scale, weight, n_steps, n_batch, grad_scale, loss, draw);
}

double likelihood_weight_sum_cpu(const float* y, const float* weight, int64_t n_steps, int64_t n_batch) {
  return weight_sum(y, weight, n_steps, n_batch);
}

double likelihood_weight_sum_cpu(const double* y, const double* weight, int64_t n_steps, int64_t n_batch) {
  return weight_sum(y, weight, n_steps, n_batch);
}

}  // namespace skucast
