// engine/stat/boxcox.h — forecasting on a transformed scale (--transform log|boxcox):
// the transforms, Guerrero's Box-Cox lambda (R's forecast::BoxCox.lambda) and the back-
// transform of forecasts (R's InvBoxCox with biasadj = TRUE).
//
// Note [Forecast transforms]: the runner (forecast_batch) fits the model to z = g(y) and
// maps the forecast back:
//   - log:    g(y) = log(1 + y). Sales have zeros, and log(0) is -Inf, so the log is taken of
//             y + 1 (log1p), which is defined for every y >= 0 and is ~log y for large sales.
//   - boxcox: g(y) = ((y + c)^lambda - 1) / lambda (log(y + c) when lambda = 0), lambda chosen
//             per series on its history by Guerrero's method over [-1, 2] exactly as R's
//             forecast::BoxCox.lambda(y + c) (coefficient of variation of sd / mean^(1 - lambda)
//             over blocks of max(2, m) observations, minimised by R's optimize / Brent's fmin;
//             lambda = 1 when n <= 2 m). c = 0 when every y > 0 (R's BoxCox), c = 1 when the
//             series has zeros (as for log, so lambda near 0 stays finite).
//   Negative values have no log: the runner rejects them with an InputError naming the series.
//   Quantiles are mapped back exactly (g is increasing, so a quantile of z maps to the same
//   quantile of y). The mean is R's bias-adjusted back-transform (InvBoxCox, biasadj = TRUE):
//     mean_y = g^-1(mean_z) (1 + 0.5 var_z (1 - lambda) / g^-1(mean_z)^(2 lambda)) - c
//   (lambda = 0 for log), with var_z read off the model's 95% interval on the z scale as R does
//   ((q_0.975 - q_0.025) / (2 z_0.975))^2; the runner always asks the model for those two
//   levels. A back-transform that is not finite (z beyond -1/lambda for lambda < 0, overflow)
//   makes the runner forecast the untransformed series instead (counted as a fallback).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "engine/stat/model.h"

namespace skucast {

// "none", "log" or "boxcox"; anything else throws InputError listing them.
Transform parse_transform(const std::string& text);
const char* transform_name(Transform t);

// R's forecast::BoxCox.lambda(x, method = "guerrero", lower, upper) for x [n] with
// frequency(x) = `frequency` (the season length m). x must be finite; when any x <= 0 the lower
// bound is raised to 0, as R does.
double boxcox_lambda_guerrero(const double* x, int64_t n, int frequency, double lower = -1.0, double upper = 2.0);

// R's Brent_fmin (stats::optimize): the minimiser of f on [a, b] to tolerance tol.
template <class F>
double brent_fmin(double a, double b, F& f, double tol);

// The transform of one series (Note [Forecast transforms]).
struct SeriesTransform {
  Transform kind = Transform::None;
  double lambda = 1.0;  // Box-Cox lambda (0 for log)
  double shift = 0.0;   // c: the transform is applied to y + c
};

// Picks lambda and the shift for y [n] (finite, >= 0).
SeriesTransform choose_transform(Transform kind, const double* y, int64_t n, int season_length);
// z = g(y); NaN when y + c < 0 (or = 0 with lambda <= 0).
double transform_value(const SeriesTransform& t, double y);
// y = g^-1(z) (a quantile maps to the same quantile); NaN/Inf outside g's range.
double inverse_transform_value(const SeriesTransform& t, double z);
// The bias-adjusted mean of y from the mean and variance of z (R's InvBoxCox, biasadj = TRUE).
double inverse_transform_mean(const SeriesTransform& t, double z_mean, double z_var);

// ---------------------------------------------------------------- inline ----

template <class F>
double brent_fmin(double ax, double bx, F& f, double tol) {
  // A transcription of R's src/library/stats/src/optimize.c Brent_fmin (Brent 1973, localmin),
  // so lambda agrees with R's optimize() to the last iterate.
  const double c = (3. - std::sqrt(5.)) * .5;  // squared inverse of the golden ratio
  double a = ax, b = bx, d = 0., e = 0., p, q, r, u;
  const double eps = std::sqrt(2.220446049250313e-16);
  double v = a + c * (b - a), w = v, x = v;
  double fx = f(x), fv = fx, fw = fx;
  const double tol3 = tol / 3.;
  for (;;) {
    const double xm = (a + b) * .5;
    const double tol1 = eps * std::fabs(x) + tol3;
    const double t2 = tol1 * 2.;
    if (std::fabs(x - xm) <= t2 - (b - a) * .5) break;  // stopping criterion
    p = 0.;
    q = 0.;
    r = 0.;
    if (std::fabs(e) > tol1) {  // fit a parabola
      r = (x - w) * (fx - fv);
      q = (x - v) * (fx - fw);
      p = (x - v) * q - (x - w) * r;
      q = (q - r) * 2.;
      if (q > 0.) p = -p;
      else q = -q;
      r = e;
      e = d;
    }
    if (std::fabs(p) >= std::fabs(q * .5 * r) || p <= q * (a - x) || p >= q * (b - x)) {  // golden section
      e = x < xm ? b - x : a - x;
      d = c * e;
    } else {  // parabolic interpolation
      d = p / q;
      u = x + d;
      if (u - a < t2 || b - u < t2) {  // not too close to the ends
        d = tol1;
        if (x >= xm) d = -d;
      }
    }
    if (std::fabs(d) >= tol1) u = x + d;  // not too close to x
    else if (d > 0.) u = x + tol1;
    else u = x - tol1;
    const double fu = f(u);
    if (fu <= fx) {
      if (u < x) b = x;
      else a = x;
      v = w;
      w = x;
      x = u;
      fv = fw;
      fw = fx;
      fx = fu;
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w == x) {
        v = w;
        fv = fw;
        w = u;
        fw = fu;
      } else if (fu <= fv || v == x || v == w) {
        v = u;
        fv = fu;
      }
    }
  }
  return x;
}

}  // namespace skucast
