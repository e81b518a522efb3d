// engine/synth/random.h — the random numbers of `skucast synth` (internal to engine/synth*).
//
// Defines: stream_key() (splitmix64 hash of seed, domain and index), Rng (xoshiro256**
// seeded through splitmix64), and our own samplers: uniform, normal (Marsaglia polar),
// gamma (Marsaglia–Tsang), Poisson (inversion / Hörmann's PTRS), negative binomial
// (gamma–Poisson mixture), geometric and exponential.
//
// Note [Portable random streams]: std::mt19937 is portable but the std:: distributions are
// not (libstdc++ and libc++ draw differently, and may change between versions), so every
// sampler here is written out. Each stream is keyed by (seed, domain, index) — e.g. the
// noise of series 17 — so a draw never depends on which thread made it or in which order
// blocks were generated; that is what makes the file byte-identical across thread counts.
#pragma once

#include <cmath>
#include <cstdint>

namespace skucast::synth {

// ------------------------------------------------------------------ hashing ----
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Streams of one run. The domain keeps item, store and series streams apart.
enum class Domain : uint64_t { Item = 1, Store = 2, SeriesPlan = 3, SeriesNoise = 4, Calendar = 5 };

inline uint64_t stream_key(uint64_t seed, Domain domain, uint64_t index) {
  uint64_t s = seed;
  uint64_t a = splitmix64(s);
  s = a ^ (static_cast<uint64_t>(domain) * 0xD1B54A32D192ED03ULL);
  uint64_t b = splitmix64(s);
  s = b ^ (index * 0x8CB92BA72F3D8DD7ULL + 0x632BE59BD9B4E019ULL);
  return splitmix64(s);
}

// ---------------------------------------------------------------------- rng ----
// xoshiro256** 1.0 (Blackman & Vigna), state filled by splitmix64 from the stream key.
class Rng {
 public:
  Rng(uint64_t seed, Domain domain, uint64_t index) {
    uint64_t s = stream_key(seed, domain, index);
    for (uint64_t& w : m_s) w = splitmix64(s);
  }

  uint64_t next() {
    const uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
  }

  // [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // (0, 1): safe to take the log of.
  double uniform_pos() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [lo, hi] (inclusive); hi >= lo.
  int64_t uniform_int(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(next() % span);  // bias < span / 2^64: negligible here
  }
  bool bernoulli(double p) { return uniform() < p; }

  // Standard normal, Marsaglia's polar method (one of the pair is kept for the next call).
  double normal() {
    if (m_has_spare) {
      m_has_spare = false;
      return m_spare;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    m_spare = v * f;
    m_has_spare = true;
    return u * f;
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }

  double exponential(double mean) { return -mean * std::log(uniform_pos()); }

  // Number of failures before the first success, success probability p in (0, 1].
  int64_t geometric(double p) {
    if (p >= 1.0) return 0;
    return static_cast<int64_t>(std::floor(std::log(uniform_pos()) / std::log1p(-p)));
  }

  // Gamma(shape, 1), Marsaglia & Tsang (2000); shape < 1 through Gamma(shape+1)·U^(1/shape).
  double gamma(double shape) {
    if (shape < 1.0) {
      const double g = gamma(shape + 1.0);
      return g * std::exp(std::log(uniform_pos()) / shape);
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = uniform_pos();
      const double x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
      if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
    }
  }

  // Poisson(lambda): inversion for small lambda, PTRS (Hörmann 1993) above 10.
  int64_t poisson(double lambda) {
    if (!(lambda > 0.0)) return 0;
    if (lambda < 10.0) {
      double p = std::exp(-lambda);
      double cdf = p;
      const double u = uniform();
      int64_t k = 0;
      while (u > cdf && k < 200) {  // 200 ≫ 10 + 10·sqrt(10): only rounding can reach it
        ++k;
        p *= lambda / static_cast<double>(k);
        cdf += p;
      }
      return k;
    }
    const double slam = std::sqrt(lambda);
    const double loglam = std::log(lambda);
    const double b = 0.931 + 2.53 * slam;
    const double a = -0.059 + 0.02483 * b;
    const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const double vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
      const double u = uniform() - 0.5;
      const double v = uniform_pos();
      const double us = 0.5 - std::fabs(u);
      const double k = std::floor((2.0 * a / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return static_cast<int64_t>(k);
      if (k < 0.0 || (us < 0.013 && v > us)) continue;
      if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <=
          -lambda + k * loglam - std::lgamma(k + 1.0))
        return static_cast<int64_t>(k);
    }
  }

  // Negative binomial with mean `mean` and size (dispersion) `size`: variance
  // mean + mean²/size. Drawn as Poisson(Gamma(size) · mean / size).
  int64_t negbin(double mean, double size) {
    if (!(mean > 0.0)) return 0;
    return poisson(gamma(size) * (mean / size));
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t m_s[4];
  double m_spare = 0.0;
  bool m_has_spare = false;
};

}  // namespace skucast::synth
