// engine/eval/cumulative.h — quantiles of the demand summed over forecast steps 1..h (the
// cumulative demand), written to forecast files as /forecast/cumulative_quantiles and read by
// `skucast plan` at step L+R (Note [Demand over lead time plus review], engine/eval/plan.h).
//
// Note [Cumulative demand quantiles]
//   Per-step quantiles say nothing about how the steps move together, and the sum of forecast
//   errors over 1..h is what a stock level must cover. Forecast errors are positively correlated
//   across steps (a level that is off is off at every step), so treating the steps as
//   independent understates the spread of the sum. The cumulative quantiles carry that
//   dependence, from what the model offers:
//     conformal (`forecast --intervals conformal`): the out-of-sample fold errors of the
//       calibration (engine/eval/conformal.h, CalibrationSet) summed along time per fold,
//       E_k(h) = sum_{j<=h} e_k(j) (NaN when any step 1..h of that fold has none), go through
//       the same conformal rule and pooling as the per-step errors (Notes [Conformal order
//       statistic] and [Conformal pooling]) around the cumulative mean sum_{j<=h} mu_j. Each
//       fold's errors come from one forecast, so their sum keeps the dependence the model's
//       errors really had, whatever the model. Cells the calibration cannot fill (the
//       conformal rule's n_model cells) take the rule below.
//     perfectly correlated steps (the fallback): the level-q quantile of the sum is the sum of
//       the steps' level-q quantiles (comonotone steps; for a given set of per-step marginals
//       this is the widest a sum's central interval can reasonably be, an upper bound on the
//       spread rather than an estimate).
//     sample paths (lstm/gru with a sample-path likelihood, `forecast` without --intervals
//       conformal): the type-7 quantiles of each path's running sum, as aggregate_paths sums
//       paths across series (engine/deepar/aggregate_paths.h) but along time; computed by the
//       CPU sampler (engine/deepar/paths.cpp; path_cumulative_quantiles here is the same rule
//       for one series). A series whose paths diverged and whose forecast was bounded (Note
//       [Finite forecasts], engine/deepar/guard.h) takes perfectly correlated steps of its
//       bounded quantiles. The GPU sampler, point losses (one deterministic path) and
//       `--levels` runs write none.
//   Models' own intervals (`--intervals model`, the default) write none: an assumed
//   dependence would be a guess the file could not tell apart from a measurement.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/eval/conformal.h"

namespace skucast {

// The calibration's fold errors summed over steps 1..h: errors [S, K, H] of the result hold
// E_k(h) (NaN when a step 1..h of fold k has none); scales, zero shares and nonneg copied.
CalibrationSet cumulative_calibration(const CalibrationSet& cal);

// [out] cum [n, H]: running sums along h of x [n, H] (host arrays).
void cumulative_sum(const float* x, int64_t n, int64_t horizon, float* cum);

// [out] cum_quantiles [S, H, Q]: sum_{j<=h} quantiles[s, j, q] (perfectly correlated steps).
void comonotone_cumulative_quantiles(const float* quantiles, int64_t n_series, int64_t horizon, int64_t n_levels,
                                     float* cum_quantiles);

// Conformal cumulative quantiles (Note [Cumulative demand quantiles]): mean [S, H] and the
// per-step quantiles [S, H, Q] of the forecast, cal its calibration; [out] cum_quantiles
// [S, H, Q]. Returns the conformal rule's counts for the cumulative cells.
ConformalStats conformal_cumulative_quantiles(const CalibrationSet& cal, const float* mean, const float* quantiles,
                                              const std::vector<double>& levels, float* cum_quantiles,
                                              const ConformalOptions& opt = {});

// Type-7 quantiles of the running sums of paths [P, H] of one series; [out] cum_quantiles [H, Q].
void path_cumulative_quantiles(const float* paths, int64_t n_paths, int64_t horizon, const std::vector<double>& levels,
                               float* cum_quantiles);

}  // namespace skucast
