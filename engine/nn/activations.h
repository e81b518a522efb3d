// engine/nn/activations.h — the gate nonlinearities of the CPU recurrent layers.
//
// Note [Fast float tanh]
//   glibc's tanhf goes through expm1f and took a quarter of an LSTM training step. For
//   float we use Cephes' tanhf instead: an odd polynomial for |x| < 0.625 (where the
//   exp-based form would cancel) and 1 - 2 / (e^{2|x|} + 1) above, through the fast expf.
//   Both branches are within a few ulp of the true value (the torch parity tests hold at
//   1e-5). double keeps std::tanh: it is the reference path of the gradient checks.
#pragma once

#include <cmath>

namespace skucast::nn {

inline float tanh_act(float x) {
  const float a = std::fabs(x);
  if (a >= 0.625f) {
    if (a > 44.0f) return x > 0 ? 1.0f : -1.0f;  // e^{2|x|} would overflow; tanh is 1 in float
    const float r = 1.0f - 2.0f / (std::exp(a + a) + 1.0f);
    return x > 0 ? r : -r;
  }
  const float s = x * x;
  return ((((-5.70498872745E-3f * s + 2.06390887954E-2f) * s - 5.37397155531E-2f) * s + 1.33314422036E-1f) * s -
          3.33332819422E-1f) * s * x + x;
}

inline double tanh_act(double x) { return std::tanh(x); }

template <typename T>
inline T sigmoid_act(T v) {
  return T(1) / (T(1) + std::exp(-v));
}

}  // namespace skucast::nn
