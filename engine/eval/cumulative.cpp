// engine/eval/cumulative.cpp — quantiles of the cumulative demand over steps 1..h (engine/eval/
// cumulative.h, Note [Cumulative demand quantiles]): from conformal fold errors summed along
// time, from perfectly correlated steps, and from sample paths.
#include "engine/eval/cumulative.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/common.hpp"

namespace skucast {

CalibrationSet cumulative_calibration(const CalibrationSet& cal) {
  const int64_t S = cal.n_series, K = cal.n_folds, H = cal.horizon;
  if (static_cast<int64_t>(cal.errors.size()) != checked_mul(checked_mul(S, K), H))
    throw Error("cumulative_calibration: the calibration set is not [S, K, H]");
  CalibrationSet out = cal;
  // A sum over steps mixes event classes: the cumulative pools are class-free (Note [Conformal
  // event classes]).
  out.n_classes = 1;
  out.fold_class.clear();
  out.step_class.clear();
  out.class_inputs.clear();
  for (int64_t row = 0; row < S * K; ++row) {  // row = s * K + k: one fold of one series
    float* e = out.errors.data() + row * H;    // [H]
    double run = 0.0;
    bool ok = true;
    for (int64_t h = 0; h < H; ++h) {
      ok = ok && std::isfinite(e[h]);
      run += ok ? static_cast<double>(e[h]) : 0.0;
      e[h] = ok ? static_cast<float>(run) : std::nanf("");  // a missing step ends the fold's sums
    }
  }
  return out;
}

void cumulative_sum(const float* x, int64_t n, int64_t horizon, float* cum) {
  for (int64_t s = 0; s < n; ++s) {
    double run = 0.0;
    for (int64_t h = 0; h < horizon; ++h) {
      run += x[s * horizon + h];
      cum[s * horizon + h] = static_cast<float>(run);
    }
  }
}

void comonotone_cumulative_quantiles(const float* quantiles, int64_t n_series, int64_t horizon, int64_t n_levels,
                                     float* cum_quantiles) {
  for (int64_t s = 0; s < n_series; ++s)
    for (int64_t q = 0; q < n_levels; ++q) {
      double run = 0.0;
      for (int64_t h = 0; h < horizon; ++h) {
        const int64_t c = (s * horizon + h) * n_levels + q;  // [S, H, Q]
        run += quantiles[c];
        cum_quantiles[c] = static_cast<float>(run);
      }
    }
}

ConformalStats conformal_cumulative_quantiles(const CalibrationSet& cal, const float* mean, const float* quantiles,
                                              const std::vector<double>& levels, float* cum_quantiles,
                                              const ConformalOptions& opt) {
  const int64_t S = cal.n_series, H = cal.horizon, Q = static_cast<int64_t>(levels.size());
  // Fallback first (cells the calibration cannot fill keep it), then the conformal cells.
  comonotone_cumulative_quantiles(quantiles, S, H, Q, cum_quantiles);
  std::vector<float> cum_mean(static_cast<size_t>(checked_mul(S, H)));  // [S, H]
  cumulative_sum(mean, S, H, cum_mean.data());
  // Raw scores: the folds keep the spread of each step's own interval, not of the sums, so there
  // is no own spread of D to scale by (Note [Conformal scaled scores]).
  ConformalOptions raw = opt;
  raw.score = ConformalScore::Raw;
  raw.cumulative = true;
  return conformal_quantiles(cumulative_calibration(cal), cum_mean.data(), levels, cum_quantiles, raw);
}

void path_cumulative_quantiles(const float* paths, int64_t n_paths, int64_t horizon, const std::vector<double>& levels,
                               float* cum_quantiles) {
  if (n_paths < 1) throw Error("path_cumulative_quantiles: no paths");
  const int64_t Q = static_cast<int64_t>(levels.size());
  std::vector<double> run(static_cast<size_t>(n_paths), 0.0);  // [P] running sum of each path
  std::vector<double> sorted(static_cast<size_t>(n_paths));    // [P]
  for (int64_t h = 0; h < horizon; ++h) {
    for (int64_t p = 0; p < n_paths; ++p) run[static_cast<size_t>(p)] += paths[p * horizon + h];
    sorted = run;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t q = 0; q < Q; ++q) {  // type 7: linear between order statistics at (P − 1) q
      const double pos = static_cast<double>(n_paths - 1) * levels[static_cast<size_t>(q)];
      const int64_t lo = static_cast<int64_t>(std::floor(pos));
      const int64_t hi = std::min(lo + 1, n_paths - 1);
      const double w = pos - static_cast<double>(lo);
      cum_quantiles[h * Q + q] =
          static_cast<float>(sorted[static_cast<size_t>(lo)] + w * (sorted[static_cast<size_t>(hi)] - sorted[static_cast<size_t>(lo)]));
    }
  }
}

}  // namespace skucast
