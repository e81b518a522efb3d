// engine/deepar/guard.h — what keeps non-finite values out of DeepAR's model and forecast files
// (issue #19): inputs the model cannot represent are refused, and forecasts whose paths
// diverged are bounded.
//
// Note [Finite forecasts]
//   - Inputs: a target value that is Inf, or larger in magnitude than kMaxModelInput (1e30,
//     kMaxPanelValue: Note [Largest panel value] in io/panel.h; ingest refuses those), cannot go through the mean scaling, the lags and the likelihood in float32 without
//     overflowing; check_model_inputs refuses the panel, naming the series, step and value.
//   - Paths: a path can still run away (a large learned scale fed back as its own lag). After
//     sampling, each series' mean and quantiles are bounded to +-kPathBound times the largest
//     |value| of its history (at least kPathBound; NaN counts as beyond the bound, and goes to
//     the upper bound); quantiles stay ascending. The bound applies after either sampler (CPU
//     or GPU), and the caller prints how many values and series were bounded. With summed
//     paths (`forecast --levels`, Note [Summed sample paths] in engine/deepar/aggregate_paths.h)
//     the bound applies to every path value before the sums instead, so the bounded forecast
//     stays coherent at every level (bounding each level's mean afterwards would not).
//   - Training: a loss or weights that become NaN/Inf stop training (deepar_train, exit 2,
//     naming the epoch and suggesting a lower --lr); save_checkpoint refuses non-finite state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/deepar/internal.h"
#include "engine/stat/model.h"  // kStatBound, forecast_cap, clamp_to_cap, bound_forecast_row
#include "io/panel.h"           // kMaxPanelValue

namespace skucast::deepar {

inline constexpr double kMaxModelInput = kMaxPanelValue;  // one bound for ingest and the model
inline constexpr double kPathBound = kStatBound;  // every model's bound (Note [Bounded statistical forecasts])

// Throws InputError (file, series id, step, value) at the first target value of `d` the model
// cannot represent (Note [Finite forecasts]).
void check_model_inputs(const PanelData& d, const std::vector<std::string>& ids, const std::string& file);

struct BoundCount {
  int64_t n_values = 0, n_series = 0;
};
// Bounds mean [S1-S0, H] and quantiles [S1-S0, H, Q] of panel series S0.. (Note [Finite forecasts]).
BoundCount bound_forecast(const PanelData& d, int64_t s0, int64_t horizon, int64_t n_levels, std::vector<float>& mean,
                          std::vector<float>& quantiles);
// The bound of panel series s: kPathBound times the largest |value| of its history (at least kPathBound).
double series_cap(const PanelData& d, int64_t s);
// Bounds every value of the paths [nb, N, H] of panel series i0 .. i0+nb-1 (NaN to the upper bound).
void bound_paths(const PanelData& d, int64_t i0, int64_t nb, int64_t n_paths, int64_t horizon, float* paths);

}  // namespace skucast::deepar
