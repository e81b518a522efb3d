// kernels/likelihood.hpp — per-element losses of the global models and their gradients
// with respect to the raw outputs of the dense head (DESIGN.md "Models").
//
// Layout: rows are (t, b) pairs, time-major like the recurrent output (STYLE B9):
//   raw    [T, B, P]  head outputs, P = likelihood_n_params(kind)
//   y      [T, B]     target in real units; NaN = masked (not observed, pre-launch)
//   scale  [B]        per-window mean scale nu > 0 (DeepAR); the model sees y / nu
//   weight [B]        per-window weight, or nullptr for all ones
// Outputs, written for every row (0 where y is NaN, or where weight[b] = 0):
//   loss   [T, B]     per-element loss, unweighted
//   draw   [T, B, P]  grad_scale * weight[b] * d loss / d raw
// The caller normalizes: total = sum weight[b] * loss / sum_{observed} weight[b], which is
// grad_scale = 1 / sum_{observed} weight[b] (likelihood_weight_sum_cpu).
//
// Note [Likelihood parametrization]   (z = y / nu, softplus(v) = log(1 + e^v), eps = 1e-6)
//   Gaussian (P=2): mu = nu * raw0, sigma = nu * (softplus(raw1) + eps);
//       loss = -log N(y; mu, sigma)  (real units; the nu part only shifts it by log nu).
//   NegBin (P=2, DeepAR): mu = nu * (softplus(raw0) + eps), alpha = (softplus(raw1) + eps) / sqrt(nu);
//       loss = -log NB(y; mu, alpha), Var = mu + alpha mu^2, y >= 0 counts in real units.
//   Tweedie (P=1, log link, power p in (1, 2)): m = exp(raw0) in scaled units;
//       loss = unit deviance 2 [z^(2-p)/((1-p)(2-p)) - z m^(1-p)/(1-p) + m^(2-p)/(2-p)], z >= 0.
//   Student-t (P=3): mu = nu * raw0, sigma = nu * (softplus(raw1) + eps), df = 2 + softplus(raw2)
//       (df > 2: the variance exists; GluonTS's StudentTOutput has the same floor);
//       loss = -log t_df(y; mu, sigma) in real units. Heavy tails: a promotion week's spike
//       pulls the location less than under the Gaussian, whose loss grows with its square.
//   MSE (P=1): (raw0 - z)^2.      MAE (P=1): |raw0 - z| (gradient sign(raw0 - z), 0 at a tie).
// Accumulation is in double whatever the storage type (STYLE K6).
#pragma once

#include <cstdint>

#include "kernels/stream.hpp"

namespace skucast {

enum class Likelihood : int32_t { Gaussian = 0, NegBin = 1, Tweedie = 2, Mse = 3, Mae = 4, StudentT = 5 };

// A likelihood of a continuous value (Gaussian, Student-t, the point losses), as opposed to the
// count likelihoods (negative binomial, Tweedie): the ones a log transform or a location applies to.
inline bool likelihood_is_continuous(Likelihood kind) {
  return kind != Likelihood::NegBin && kind != Likelihood::Tweedie;
}

inline int64_t likelihood_n_params(Likelihood kind) {
  if (kind == Likelihood::StudentT) return 3;
  return kind == Likelihood::Gaussian || kind == Likelihood::NegBin ? 2 : 1;
}

struct LikelihoodParams {
  Likelihood kind = Likelihood::Gaussian;
  double tweedie_power = 1.5;  // p in (1, 2), Tweedie only
};

// The per-element math of these kernels is kernels/likelihood_math.hpp's (STYLE B10).
// CPU reference, OpenMP over rows. All host pointers. float is production, double is for
// the finite-difference gradient checks; both have the same semantics.
void likelihood_fwd_bwd_cpu(const LikelihoodParams& params, const float* raw /*[T, B, P]*/,
                            const float* y /*[T, B]*/, const float* scale /*[B]*/, const float* weight /*[B]*/,
                            int64_t n_steps, int64_t n_batch, double grad_scale, float* loss /*[T, B]*/,
                            float* draw /*[T, B, P]*/);
void likelihood_fwd_bwd_cpu(const LikelihoodParams& params, const double* raw, const double* y,
                            const double* scale, const double* weight, int64_t n_steps, int64_t n_batch,
                            double grad_scale, double* loss, double* draw);

// sum over rows with finite y of weight[b] (the number of observed rows when weight is null).
double likelihood_weight_sum_cpu(const float* y /*[T, B]*/, const float* weight /*[B]*/, int64_t n_steps,
                                 int64_t n_batch);
double likelihood_weight_sum_cpu(const double* y, const double* weight, int64_t n_steps, int64_t n_batch);

// ------------------------------------------------------------------- CUDA ----
// CUDA twin of likelihood_fwd_bwd_cpu (float): same arguments and layout, device pointers,
// async on stream. The gradient factor is grad_scale, times 1 / *weight_sum when weight_sum
// (device [1], e.g. from likelihood_weight_sum) is not null — so the normalization of
// likelihood.hpp's header needs no host round trip; a zero sum gives zero gradients.
void likelihood_fwd_bwd(const LikelihoodParams& params, const float* raw /*[T, B, P]*/, const float* y /*[T, B]*/,
                        const float* scale /*[B]*/, const float* weight /*[B]*/, int64_t n_steps, int64_t n_batch,
                        double grad_scale, const double* weight_sum /*device [1] or nullptr*/,
                        float* loss /*[T, B]*/, float* draw /*[T, B, P]*/, cudaStream_t stream);

// CUDA twin of likelihood_weight_sum_cpu (float): *out (device [1]) = the sum, in double,
// by the deterministic reduction of kernels/cuda/reduce.cuh. Async on stream.
void likelihood_weight_sum(const float* y /*[T, B]*/, const float* weight /*[B]*/, int64_t n_steps, int64_t n_batch,
                           double* out /*device [1]*/, cudaStream_t stream);

}  // namespace skucast
