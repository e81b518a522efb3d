// engine/stat/normal.h — the standard normal quantile function (inverse CDF) in double.
//
// Prediction intervals of the statistical models are mean + z_q * sd with z_q from here.
// Acklam's rational approximation (relative error < 1.2e-9) followed by one Halley step
// on erfc, which brings it to full double precision. Plain arithmetic, no tables or
// allocation: a device function unchanged (SKU_HD, Note [One source for CPU and GPU models] in kernels/hd.hpp).
#pragma once

#include <cmath>
#include <limits>

#include "kernels/hd.hpp"

namespace skucast {

// z such that P(Z <= z) = p for Z ~ N(0, 1). p <= 0 gives -inf, p >= 1 gives +inf.
SKU_HD inline double inverse_normal_cdf(double p) {
  if (!(p > 0.0)) return -std::numeric_limits<double>::infinity();
  if (!(p < 1.0)) return std::numeric_limits<double>::infinity();
  // Coefficients of Acklam's approximation: central region |p - 0.5| <= 0.5 - p_low,
  // and the two tails by symmetry.
  const double a1 = -3.969683028665376e+01, a2 = 2.209460984245205e+02, a3 = -2.759285104469687e+02,
               a4 = 1.383577518672690e+02, a5 = -3.066479806614716e+01, a6 = 2.506628277459239e+00;
  const double b1 = -5.447609879822406e+01, b2 = 1.615858368580409e+02, b3 = -1.556989798598866e+02,
               b4 = 6.680131188771972e+01, b5 = -1.328068155288572e+01;
  const double c1 = -7.784894002430293e-03, c2 = -3.223964580411365e-01, c3 = -2.400758277161838e+00,
               c4 = -2.549732539343734e+00, c5 = 4.374664141464968e+00, c6 = 2.938163982698783e+00;
  const double d1 = 7.784695709041462e-03, d2 = 3.224671290700398e-01, d3 = 2.445134137142996e+00,
               d4 = 3.754408661907416e+00;
  const double p_low = 0.02425, p_high = 1.0 - p_low;
  double x;
  if (p < p_low) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1.0);
  } else if (p <= p_high) {
    const double q = p - 0.5, r = q * q;
    x = (((((a1 * r + a2) * r + a3) * r + a4) * r + a5) * r + a6) * q /
        (((((b1 * r + b2) * r + b3) * r + b4) * r + b5) * r + 1.0);
  } else {
    const double q = std::sqrt(-2.0 * std::log(1.0 - p));
    x = -(((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) / ((((d1 * q + d2) * q + d3) * q + d4) * q + 1.0);
  }
  // One Halley refinement: e = Phi(x) - p, with Phi(x) = erfc(-x/sqrt2)/2.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2.0 * M_PI) * std::exp(0.5 * x * x);
  x = x - u / (1.0 + 0.5 * x * u);
  return x;
}

}  // namespace skucast
