// tests/stat_panel.h — a seeded synthetic panel for the statistical-model batch tests (CPU twin
// and GPU parity): every case the batch runner must handle, mixed by series index.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace skucast::test {

// y [S, T] (NaN = missing). Series s has kind s % 8: 0 level + noise, 1 linear trend,
// 2 multiplicative season of length m, 3 intermittent (70 % zeros), 4 constant, 5 noise
// around 0 (negative values), 6 additive season + trend, 7 short (only the last 3 + s % 9
// steps observed). On top: 4 % interior NaN, late starts (s % 5 == 1), early ends
// (s % 7 == 2), and series 9 (when S > 9) all-NaN.
inline std::vector<float> stat_test_panel(int64_t S, int64_t T, int m, uint32_t seed) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::mt19937 rng(seed);
  std::normal_distribution<float> N(0.0f, 1.0f);
  std::uniform_real_distribution<float> U(0.0f, 1.0f);
  std::vector<float> y(static_cast<size_t>(S * T));
  const float two_pi = 6.2831853f;
  for (int64_t s = 0; s < S; ++s) {
    const int kind = static_cast<int>(s % 8);
    const float level = 10.0f + 90.0f * U(rng), slope = 0.5f * N(rng), sd = 0.05f + 0.2f * U(rng);
    const int64_t start = s % 5 == 1 ? static_cast<int64_t>(U(rng) * T / 2) : 0;
    const int64_t end = s % 7 == 2 ? T - 1 - static_cast<int64_t>(U(rng) * T / 4) : T - 1;
    for (int64_t t = 0; t < T; ++t) {
      const float tf = static_cast<float>(t);
      const float season = std::sin(two_pi * tf / static_cast<float>(m > 1 ? m : 7));
      float v;
      switch (kind) {
        case 0: v = level * (1.0f + sd * N(rng)); break;
        case 1: v = level + slope * tf + level * sd * N(rng); break;
        case 2: v = level * (1.0f + 0.4f * season) * (1.0f + 0.5f * sd * N(rng)); break;
        case 3: v = U(rng) < 0.7f ? 0.0f : std::floor(1.0f + 6.0f * U(rng)); break;
        case 4: v = 5.0f; break;
        case 5: v = 3.0f * N(rng); break;
        case 6: v = level + 0.3f * slope * tf + 0.3f * level * season + level * 0.5f * sd * N(rng); break;
        default: v = t >= T - 3 - s % 9 ? level + N(rng) : nan; break;
      }
      if (U(rng) < 0.04f || t < start || t > end || (S > 9 && s == 9)) v = nan;
      y[static_cast<size_t>(s * T + t)] = v;
    }
  }
  return y;
}

}  // namespace skucast::test
