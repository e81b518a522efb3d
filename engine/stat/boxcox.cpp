// engine/stat/boxcox.cpp — the forecast transforms of Note [Forecast transforms]
// (engine/stat/boxcox.h): parsing, Guerrero's lambda, forward and back transforms.
#include "engine/stat/boxcox.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/common.hpp"

namespace skucast {

Transform parse_transform(const std::string& text) {
  if (text == "none") return Transform::None;
  if (text == "log") return Transform::Log;
  if (text == "boxcox") return Transform::BoxCox;
  throw InputError("unknown transform '" + text + "'; expected none, log (log(1 + y)) or boxcox (Guerrero's lambda)");
}

const char* transform_name(Transform t) {
  switch (t) {
    case Transform::Log: return "log";
    case Transform::BoxCox: return "boxcox";
    case Transform::None: break;
  }
  return "none";
}

namespace {

// forecast:::guer.cv: the coefficient of variation of sd_j / mean_j^(1 - lambda) over the
// nyr = floor(n / period) blocks of `period` observations that end at x[n - 1].
struct GuerreroObjective {
  const double* x;
  int64_t n;
  int64_t period;
  // sd_j / mean_j^(1 - lambda) of block j (NaN for an all-zero block: 0 / 0).
  double ratio(int64_t j, double lam) const {
    const double* b = x + (n - (n / period) * period) + j * period;
    double mean = 0.0;
    for (int64_t i = 0; i < period; ++i) mean += b[i];
    mean /= static_cast<double>(period);
    double ss = 0.0;
    for (int64_t i = 0; i < period; ++i) ss += (b[i] - mean) * (b[i] - mean);
    return std::sqrt(ss / static_cast<double>(period - 1)) / std::pow(mean, 1.0 - lam);
  }
  double operator()(double lam) const {
    // sd(ratios) / mean(ratios), both with na.rm = TRUE as R; two passes as R's sd.
    const int64_t nyr = n / period;
    double sum = 0.0;
    int64_t used = 0;
    for (int64_t j = 0; j < nyr; ++j) {
      const double r = ratio(j, lam);
      if (std::isnan(r)) continue;
      sum += r;
      ++used;
    }
    if (used < 2) return std::numeric_limits<double>::quiet_NaN();
    const double mean_rat = sum / static_cast<double>(used);
    double ss = 0.0;
    for (int64_t j = 0; j < nyr; ++j) {
      const double r = ratio(j, lam);
      if (!std::isnan(r)) ss += (r - mean_rat) * (r - mean_rat);
    }
    return std::sqrt(ss / static_cast<double>(used - 1)) / mean_rat;
  }
};

}  // namespace

double boxcox_lambda_guerrero(const double* x, int64_t n, int frequency, double lower, double upper) {
  for (int64_t t = 0; t < n; ++t)
    if (x[t] <= 0.0) {
      lower = std::fmax(lower, 0.0);
      break;
    }
  if (n <= 2 * static_cast<int64_t>(frequency)) return 1.0;  // R: not enough data
  // round(max(nonseasonal.length = 2, frequency))
  const int64_t period = frequency > 2 ? frequency : 2;
  if (n / period < 2) return 1.0;  // one block: sd of the ratios undefined (R fails)
  const GuerreroObjective f{x, n, period};
  if (!std::isfinite(f(0.5 * (lower + upper)))) return 1.0;  // e.g. constant blocks
  // optimize()'s default tol = .Machine$double.eps^0.25
  return brent_fmin(lower, upper, f, std::pow(2.220446049250313e-16, 0.25));
}

SeriesTransform choose_transform(Transform kind, const double* y, int64_t n, int season_length) {
  SeriesTransform t;
  t.kind = kind;
  if (kind == Transform::None) return t;
  if (kind == Transform::Log) {
    t.lambda = 0.0;
    t.shift = 1.0;
    return t;
  }
  bool positive = true;
  for (int64_t i = 0; i < n; ++i) positive = positive && y[i] > 0.0;
  t.shift = positive ? 0.0 : 1.0;
  if (positive) {
    t.lambda = boxcox_lambda_guerrero(y, n, season_length);
  } else {
    std::vector<double> shifted(y, y + n);  // [n] y + 1
    for (auto& v : shifted) v += 1.0;
    t.lambda = boxcox_lambda_guerrero(shifted.data(), n, season_length);
  }
  if (!std::isfinite(t.lambda)) t.lambda = 1.0;
  return t;
}

double transform_value(const SeriesTransform& t, double y) {
  if (t.kind == Transform::None) return y;
  const double v = y + t.shift;
  if (t.lambda == 0.0) return v > 0.0 ? std::log(v) : std::numeric_limits<double>::quiet_NaN();
  if (v < 0.0 || (v == 0.0 && t.lambda < 0.0)) return std::numeric_limits<double>::quiet_NaN();
  return (std::pow(v, t.lambda) - 1.0) / t.lambda;
}

double inverse_transform_value(const SeriesTransform& t, double z) {
  if (t.kind == Transform::None) return z;
  if (t.lambda == 0.0) return std::exp(z) - t.shift;
  const double xx = z * t.lambda + 1.0;
  // R's InvBoxCox: NA beyond -1/lambda for lambda < 0; sign(xx)|xx|^(1/lambda) otherwise.
  if (t.lambda < 0.0 && !(xx > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  const double out = (xx < 0.0 ? -1.0 : 1.0) * std::pow(std::fabs(xx), 1.0 / t.lambda);
  return out - t.shift;
}

double inverse_transform_mean(const SeriesTransform& t, double z_mean, double z_var) {
  if (t.kind == Transform::None) return z_mean;
  const double out = inverse_transform_value(t, z_mean) + t.shift;  // InvBoxCox(mean_z)
  const double adj = 1.0 + 0.5 * z_var * (1.0 - t.lambda) / std::pow(out, 2.0 * t.lambda);
  return out * adj - t.shift;
}

}  // namespace skucast
