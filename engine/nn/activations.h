// engine/nn/activations.h — the gate nonlinearities of the CPU recurrent layers.
//
// Note [Fast float tanh]
//   glibc's tanhf goes through expm1f and took a quarter of an LSTM training step. For
//   float we use Cephes' tanhf instead: an odd polynomial for |x| < 0.625 (where the
//   exp-based form would cancel) and 1 - 2 / (e^{2|x|} + 1) above. Both branches are within
//   a few ulp of the true value (the torch parity tests hold at 1e-5). double keeps
//   std::tanh: it is the reference path of the gradient checks.
//
// Note [Vectorizable float exp]
//   std::exp is a library call, so a pointwise gate loop that uses it runs one element at a
//   time (exp alone was 14% of an LSTM training step's instructions). exp_act(float) is
//   Cephes' expf written with arithmetic and bit casts only, so that GCC vectorizes the
//   `#pragma omp simd` gate loops in lstm.cpp / gru.cpp: n = round(x / ln 2) by the
//   1.5 * 2^23 trick (no floor, which plain SSE2 cannot vectorize), r = x - n ln 2 in two
//   parts, e^r by a degree-7 polynomial (relative error below 2 ulp on [-ln2/2, ln2/2]),
//   then 2^n built in the exponent bits. x is clamped to [-87.3, 88.3], so the result is
//   finite and normal: e^-87.3 = 1.2e-38 stands in for smaller values, which changes a
//   sigmoid or tanh by less than 1e-37. Branches are written as selects between values
//   computed unconditionally. GCC still keeps them as branches (and so does not vectorize)
//   under its default -ftrapping-math, which only concerns floating-point exception flags,
//   never values; SKUCAST_SIMD_KERNEL turns it off for the gate kernels and also builds
//   x86-64-v4 (AVX-512) and x86-64-v3 (AVX2 + FMA) clones of them, picked at load time (GCC
//   ifunc), next to the baseline SSE2 one. The v4 clone: `skucast train` at the train_cpu
//   shape on a 2-core AVX-512 Xeon, 3 alternating rounds, 2,680-2,709 -> 2,815-2,871
//   windows/s at 2 threads, 1,473-1,498 -> 1,577-1,625 at 1. FMA contraction makes the
//   clones differ in the last bits, so results are reproducible per machine type, as with BLAS.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SKUCAST_SIMD_KERNEL \
  __attribute__((optimize("no-trapping-math"), target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define SKUCAST_SIMD_BODY __attribute__((always_inline, optimize("no-trapping-math")))
#else
#define SKUCAST_SIMD_KERNEL
#define SKUCAST_SIMD_BODY
#endif

#include <cmath>
#include <cstdint>

namespace skucast::nn {

[[gnu::always_inline]] inline float exp_act(float x) {
  x = x < 88.3f ? x : 88.3f;
  x = x > -87.3f ? x : -87.3f;
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float t = x * 1.44269504088896341f + kShift;
  const float n = t - kShift;  // round(x / ln 2), exact
  const int32_t ni = __builtin_bit_cast(int32_t, t) - __builtin_bit_cast(int32_t, kShift);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // x - n ln 2 (Cephes C1, C2)
  const float p = ((((((1.9875691500E-4f * r + 1.3981999507E-3f) * r + 8.3334519073E-3f) * r + 4.1665795894E-2f) * r +
                     1.6666665459E-1f) * r + 5.0000001201E-1f) * r) * r + r + 1.0f;
  return p * __builtin_bit_cast(float, (ni + 127) << 23);
}

[[gnu::always_inline]] inline float tanh_act(float x) {
  const float a = __builtin_fabsf(x);
  const float s = x * x;
  const float poly = ((((-5.70498872745E-3f * s + 2.06390887954E-2f) * s - 5.37397155531E-2f) * s + 1.33314422036E-1f) * s -
                      3.33332819422E-1f) * s * x + x;
  const float e = 1.0f - 2.0f / (exp_act(a + a) + 1.0f);  // tanh |x|, for |x| >= 0.625
  const float big = x > 0.0f ? e : -e;
  return a < 0.625f ? poly : big;
}

inline double tanh_act(double x) { return std::tanh(x); }

[[gnu::always_inline]] inline float sigmoid_act(float v) { return 1.0f / (1.0f + exp_act(-v)); }
inline double sigmoid_act(double v) { return 1.0 / (1.0 + std::exp(-v)); }

}  // namespace skucast::nn
