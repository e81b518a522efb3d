// kernels/features_cpu.cpp — CPU reference for the window feature kernels (features.hpp).
#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "kernels/features.hpp"

namespace skucast {

namespace {

constexpr double kTwoPi = 6.283185307179586476925;

// y[s, tau] when tau is on the axis and the value observed; NaN otherwise.
inline float at(const float* y, int64_t n_time, int64_t s, int64_t tau) {
  return tau >= 0 && tau < n_time ? y[s * n_time + tau] : NAN;
}

// Mean and population std of the observed values among y[s, tau-w .. tau-1] (0, 0 if none).
inline void rolling(const float* y, int64_t n_time, int64_t s, int64_t tau, int64_t w, double& mean, double& sd) {
  double sum = 0, sum2 = 0;
  int64_t n = 0;
  for (int64_t k = tau - w; k < tau; ++k) {
    const float v = at(y, n_time, s, k);
    if (std::isnan(v)) continue;
    sum += v;
    sum2 += static_cast<double>(v) * v;
    ++n;
  }
  mean = n ? sum / n : 0.0;
  sd = n ? std::sqrt(std::max(0.0, sum2 / n - mean * mean)) : 0.0;
}

}  // namespace

void features_fwd_cpu(const FeatureSpec& spec, const float* y, int64_t /*n_series*/, int64_t n_time,
                      const float* scale, const WindowBatch& batch, const float* calendar, int64_t n_cal,
                      float* x) {
  const int64_t F = feature_count(spec), B = batch.n_batch;
#pragma omp parallel for schedule(static) if (B * batch.n_steps >= 4096)
  for (int64_t b = 0; b < B; ++b) {
    const int64_t s = batch.series[b];
    const double inv = 1.0 / scale[b];
    for (int64_t t = 0; t < batch.n_steps; ++t) {
      const int64_t tau = batch.t0[b] + t;  // absolute step this row describes
      float* row = x + (t * B + b) * F;     // x[t, b, :]
      int64_t f = 0;
      const float lag1 = at(y, n_time, s, tau - 1);
      row[f++] = std::isnan(lag1) ? 0.0f : static_cast<float>(lag1 * inv);
      row[f++] = std::isnan(lag1) ? 0.0f : 1.0f;
      if (spec.season_length > 1) {
        const float lag_m = at(y, n_time, s, tau - spec.season_length);
        row[f++] = std::isnan(lag_m) ? 0.0f : static_cast<float>(lag_m * inv);
      }
      for (int32_t w : {spec.roll_short, spec.roll_long}) {
        if (w <= 0) continue;
        double mean, sd;
        rolling(y, n_time, s, tau, w, mean, sd);
        row[f++] = static_cast<float>(mean * inv);
        row[f++] = static_cast<float>(sd * inv);
      }
      for (int32_t c = 0; c < spec.n_calendar; ++c)
        row[f++] = tau >= 0 && tau < n_cal ? calendar[tau * spec.n_calendar + c] : 0.0f;
    }
  }
}

void window_scale_cpu(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch,
                      int64_t n_context, float* scale) {
#pragma omp parallel for schedule(static) if (batch.n_batch * n_context >= 16384)
  for (int64_t b = 0; b < batch.n_batch; ++b) {
    double sum = 0;
    int64_t n = 0;
    for (int64_t t = 0; t < n_context; ++t) {
      const float v = at(y, n_time, batch.series[b], batch.t0[b] + t);
      if (std::isnan(v)) continue;
      sum += std::fabs(v);
      ++n;
    }
    scale[b] = static_cast<float>(1.0 + (n ? sum / n : 0.0));
  }
}

void window_target_cpu(const float* y, int64_t /*n_series*/, int64_t n_time, const WindowBatch& batch,
                       float* target) {
  for (int64_t t = 0; t < batch.n_steps; ++t)
    for (int64_t b = 0; b < batch.n_batch; ++b)
      target[t * batch.n_batch + b] = at(y, n_time, batch.series[b], batch.t0[b] + t);
}

void calendar_daily_cpu(int64_t first_day, int64_t n_time, float* out) {
  for (int64_t t = 0; t < n_time; ++t) {
    const int64_t day = first_day + t;
    // 1970-01-01 was a Thursday: (day + 3) mod 7 = 0 on Mondays.
    const int64_t dow = ((day + 3) % 7 + 7) % 7;
    // Day of year from the civil date (H. Hinnant's days_from_civil inverse).
    const int64_t z = day + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy_mar = doe - (365 * yoe + yoe / 4 - yoe / 100);  // day of the March-based year
    const int64_t mp = (5 * doy_mar + 2) / 153;
    const int64_t month = mp < 10 ? mp + 3 : mp - 9;  // 1..12
    const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    // doy_mar counts from March 1st; Jan 1st is day 306 of the previous March-based year.
    const int64_t doy = month >= 3 ? doy_mar + 59 + (leap ? 1 : 0) : doy_mar - 306;  // 0-based
    out[t * 4 + 0] = static_cast<float>(std::sin(kTwoPi * dow / 7.0));
    out[t * 4 + 1] = static_cast<float>(std::cos(kTwoPi * dow / 7.0));
    out[t * 4 + 2] = static_cast<float>(std::sin(kTwoPi * doy / 365.25));
    out[t * 4 + 3] = static_cast<float>(std::cos(kTwoPi * doy / 365.25));
  }
}

}  // namespace skucast
