// engine/deepar/sample.h — the likelihood draws of DeepAR's ancestral sampling, one
// source for the CPU forecaster (engine/deepar/forecast.cpp) and the GPU one
// (engine/deepar/cuda/sampler.cu): every function is `inline SKU_HD` (kernels/hd.hpp), so both
// devices run the same operations on the same counter-based uniforms (engine/nn/rng.h).
//
// Note [Identical draws on both devices]
//   A draw is a pure function of (seed, series, path, step) and the head's outputs of that
//   row: path_draw_key hashes the counter, PathDraws turns it into a stream of uniforms, and
//   draw_value maps uniforms to a value of the likelihood. Given the same head outputs, the
//   CPU and the GPU produce the same draw up to the last bits of double log/exp/pow/cos
//   (CUDA's are within 1-2 ulp of glibc's; engine/deepar/cuda/sampler.cu is compiled with
//   -fmad=false so no FMA contraction adds a difference). The rejection and counting loops
//   (gamma, Poisson) compare against uniforms, so such an ulp can flip one comparison only
//   when a uniform lands within ~1e-16 of the threshold: practically never.
//   std::min/std::max are host-only constexpr templates, so this file uses sku_min/sku_max,
//   which repeat their exact definitions (including what a NaN argument gives).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"
#include "engine/nn/rng.h"
#include "kernels/likelihood.hpp"

namespace skucast::deepar {

// std::max(a, b) and std::min(a, b), verbatim: (a < b) ? b : a and (b < a) ? b : a.
SKU_HD inline double sku_max(double a, double b) { return (a < b) ? b : a; }
SKU_HD inline double sku_min(double a, double b) { return (b < a) ? b : a; }

SKU_HD inline double sample_softplus(double v) { return v > 20 ? v : std::log1p(std::exp(v)); }

// The key of the uniform stream of (series s, path p, horizon step h) for a forecast seed.
SKU_HD inline uint64_t path_draw_key(uint64_t seed, int64_t s, int64_t p, int64_t h) {
  return nn::splitmix64(seed ^ nn::splitmix64(static_cast<uint64_t>(s) * 0x9E3779B97F4A7C15ull +
                                              static_cast<uint64_t>(p) * 0xD1B54A32D192ED03ull +
                                              static_cast<uint64_t>(h)));
}

// A stream of uniforms for one (path, step).
struct PathDraws {
  uint64_t key;
  uint64_t i;
  SKU_HD explicit PathDraws(uint64_t k) : key(k), i(0) {}
  SKU_HD double u() { return sku_max(nn::uniform01(key, 0x5A4Dull, i++), 1e-300); }
  SKU_HD double normal() {
    const double a = u(), b = u();
    return std::sqrt(-2.0 * std::log(a)) * std::cos(2.0 * 3.14159265358979323846 * b);
  }
  // Marsaglia and Tsang; shape < 1 via the u^(1/k) boost (one level of recursion, unrolled).
  SKU_HD double gamma(double k, double theta) {
    if (!(k > 0) || !(theta > 0)) return 0.0;
    if (k < 1.0) {
      const double g = gamma_ge1(k + 1.0, theta);  // first: the order of the uniforms is fixed
      return g * std::pow(u(), 1.0 / k);
    }
    return gamma_ge1(k, theta);
  }
  SKU_HD double gamma_ge1(double k, double theta) {
    const double dd = k - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * dd);
    for (int it = 0; it < 64; ++it) {
      double z = normal(), v = 1.0 + c * z;
      if (v <= 0) continue;
      v = v * v * v;
      if (std::log(u()) < 0.5 * z * z + dd - dd * v + dd * std::log(v)) return dd * v * theta;
    }
    return k * theta;  // practically unreachable; the mean
  }
  // Knuth below 30, a rounded normal approximation above (error well under the noise).
  SKU_HD double poisson(double lambda) {
    if (!(lambda > 0)) return 0.0;
    if (lambda < 30.0) {
      const double l = std::exp(-lambda);
      double p = 1.0;
      int64_t k = 0;
      do {
        ++k;
        p *= u();
      } while (p > l && k < 1000);
      return static_cast<double>(k - 1);
    }
    return sku_max(0.0, std::round(lambda + std::sqrt(lambda) * normal()));
  }
};

// One draw (or the point prediction) in real units from the head outputs raw [P] of a row;
// nu the series' scale, phi the Tweedie dispersion.
SKU_HD inline double draw_value(Likelihood kind, double tweedie_power, const float* raw, double nu, double phi,
                                PathDraws& r) {
  constexpr double eps = 1e-6;
  switch (kind) {
    case Likelihood::Gaussian:
      return nu * raw[0] + nu * (sample_softplus(raw[1]) + eps) * r.normal();
    case Likelihood::StudentT: {
      // mu + sigma * N / sqrt(G), G ~ Gamma(df/2, 2/df) (chi-square / df): t with df degrees.
      const double sigma = nu * (sample_softplus(raw[1]) + eps), df = 2.0 + sample_softplus(raw[2]);
      const double n = r.normal();
      const double g = sku_max(r.gamma(0.5 * df, 2.0 / df), 1e-300);
      return nu * raw[0] + sigma * n / std::sqrt(g);
    }
    case Likelihood::NegBin: {
      const double mu = nu * (sample_softplus(raw[0]) + eps), alpha = (sample_softplus(raw[1]) + eps) / std::sqrt(nu);
      return r.poisson(r.gamma(1.0 / alpha, alpha * mu));
    }
    case Likelihood::Tweedie: {
      const double p = tweedie_power, m = std::exp(sku_min(raw[0], 30.0));
      const double lambda = std::pow(m, 2 - p) / (phi * (2 - p));
      const double n = r.poisson(lambda);
      return n > 0 ? nu * r.gamma(n * (2 - p) / (p - 1), phi * (p - 1) * std::pow(m, p - 1)) : 0.0;
    }
    case Likelihood::Mse:
    case Likelihood::Mae:
      return nu * raw[0];
  }
  return 0.0;
}

// The likelihood's mean in real units from the head outputs raw [P] of a row (nu the series'
// scale): the one-step point prediction of the in-sample residuals (Note [Global model
// residuals] in engine/deepar/residuals.cpp). log1p: the row models z = log(1 + sales)
// (Note [Target transform]), and the value is the mean of exp(z) - 1: exp(mu + sigma^2 / 2) - 1
// for the Gaussian; the Student-t's exponential has no mean, so its median exp(mu) - 1; the point
// losses map their prediction as their forecast path does. Tweedie's mean is nu * exp(raw0)
// (draw_value's compound Poisson-gamma has mean m), the negative binomial's nu * softplus(raw0).
// loc: the window's location (Note [Window location] in engine/deepar/internal.h; 0 without one),
// added to the continuous likelihoods' location on the model's scale.
SKU_HD inline double mean_value(Likelihood kind, const float* raw, double nu, bool log1p, double loc = 0.0) {
  constexpr double eps = 1e-6;
  double mu = nu * raw[0] + loc;
  switch (kind) {
    case Likelihood::Gaussian: {
      if (!log1p) return mu;
      const double sigma = nu * (sample_softplus(raw[1]) + eps);
      return std::expm1(mu + 0.5 * sigma * sigma);
    }
    case Likelihood::StudentT:
    case Likelihood::Mse:
    case Likelihood::Mae:
      return log1p ? std::expm1(mu) : mu;
    case Likelihood::NegBin:
      return nu * (sample_softplus(raw[0]) + eps);
    case Likelihood::Tweedie:
      return nu * std::exp(sku_min(raw[0], 30.0));
  }
  return mu;
}

// The value a path keeps: non-finite draws read 0; series that never sold a negative amount
// are clipped at 0 (Note [Non-negative support] in engine/stat/model.cpp).
SKU_HD inline float path_value(double v, bool nonneg) {
  float vf = std::isfinite(v) ? static_cast<float>(v) : 0.0f;
  if (nonneg) vf = static_cast<float>(sku_max(vf, 0.0f));
  return vf;
}

// A path value on the model's scale back on the sales scale (Note [Target transform] in
// engine/deepar/internal.h): exp(z) - 1 for a series modelled as log(1 + sales), z otherwise.
// One definition for the CPU sampler and the CUDA kernels (expm1f on both).
SKU_HD inline float to_sales_scale(float z, bool log1p) { return log1p ? expm1f(z) : z; }

// Type-7 empirical quantile of v [n] sorted ascending, n >= 1.
SKU_HD inline double quantile_sorted(const float* v, int64_t n, double q) {
  const double pos = q * static_cast<double>(n - 1);
  const int64_t lo = static_cast<int64_t>(std::floor(pos));
  const int64_t hi = lo + 1 < n - 1 ? lo + 1 : n - 1;
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace skucast::deepar
