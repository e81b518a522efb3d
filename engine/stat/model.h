// engine/stat/model.h — the interface of the batched statistical models.
//
// A statistical model forecasts one series at a time through a pure per-series function
// (no I/O, no allocation outside the scratch it is given), so the batch runner can map it
// over the catalog with OpenMP today and one CUDA thread/warp per series later (STYLE B7).
//
// The runner (forecast_batch) prepares each series before the model sees it:
//   - leading NaN (not yet listed) and trailing NaN (delisted) are trimmed;
//   - interior NaN are filled by linear interpolation between the neighbouring
//     observations (documented in README "Missing values");
//   - all-NaN series forecast 0 with zero-width intervals and count as a fallback.
// Models receive only finite values. After the model, quantiles are sorted per step, and a
// series with no negative observation gets its mean and quantiles clipped at 0 (sales are
// never negative; Note [Non-negative support] in engine/stat/model.cpp).
//
// Optionally (BatchOptions) the runner also
//   - hands each series its regressors (known covariates, Note [Regressor rows] in
//     engine/stat/model.cpp), cut to the same span as y plus the H rows of the horizon; models that
//     do not use regressors (uses_regressors() false) ignore them;
//   - fits the model on a transformed scale (log or Box-Cox) and transforms the forecast back
//     (Note [Forecast transforms] in engine/stat/boxcox.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace skucast {

// One prepared series. Values are finite; n >= 1.
struct SeriesInput {
  const double* y = nullptr;  // [n]
  int64_t n = 0;
  int season_length = 1;      // m
  // Regressors (optional): [n + H, K] row-major; rows 0..n-1 align with y, rows n..n+H-1 are
  // the horizon's known values. Finite. Null (and K = 0) when the caller passed none.
  const double* regressors = nullptr;
  int n_regressors = 0;       // K
};

// What to produce for one series.
struct ForecastSpec {
  int64_t horizon = 0;           // H
  const double* levels = nullptr;  // [Q] quantile levels in (0, 1), ascending
  int n_levels = 0;              // Q
};

// Note [Regressor use]
//   Why a series' model did or did not fit each regressor column, so that `forecast` can say
//   which covariates a run could use (tools/forecast_stat.cpp prints one note per column). A
//   model that reads regressors (arimax, Note [ARIMAX columns]) writes Used, Constant or
//   Collinear per column once it has decided; forecast_batch adds what it saw preparing the
//   columns (Note [Regressor rows] in engine/stat/model.cpp): a left-out column with no value in
//   the series' history becomes NoHistory, a used column with some of its H future values
//   missing UsedCarried. Series whose model never reached the decision (too short, constant,
//   never observed, a model without regressors) stay Unread. The forecasts do not depend on it.
enum class RegressorUse : uint8_t {
  Unread = 0,   // no decision (see above)
  Used,         // fitted, its future values given
  UsedCarried,  // fitted; future values missing, the last known value carried forward
  NoHistory,    // left out: no value in the series' history
  Constant,     // left out: constant over the series' history (the model's fitting window)
  Collinear,    // left out: a linear combination of the mean and the columns before it
};
inline constexpr int kRegressorUseKinds = 6;

// Per-series output buffers, owned by the caller.
struct SeriesOutput {
  double* mean = nullptr;       // [H]
  double* quantiles = nullptr;  // [H, Q] row-major (step-major)
  bool fallback = false;        // set when the model fell back to a simpler one
  // Optional (`forecast --residuals`): [n] one-step in-sample predictions of y, NaN where the
  // model has none (the first steps). Models that can fill it do so when it is non-null and
  // set has_fitted; the others leave has_fitted false (kResidualModels lists the first kind).
  double* fitted = nullptr;
  bool has_fitted = false;
  // Optional [K] (Note [Regressor use]): models that read regressors write each column's use.
  RegressorUse* regressor_use = nullptr;
};

// The models that give in-sample one-step predictions (SeriesOutput::fitted), for messages.
inline constexpr const char* kResidualModels =
    "naive, snaive, ma, ses, holt, damped, hw_add, hw_mul, ets, theta, arima, arimax, croston, sba, tsb and croston_opt";

class StatModel {
 public:
  virtual ~StatModel() = default;
  virtual std::string name() const = 0;
  // True when the model reads SeriesInput::regressors (callers then need them, e.g. the
  // future part of the panel's covariates); an ensemble when any member does.
  virtual bool uses_regressors() const { return false; }
  // Forecasts one prepared series. Must never write NaN/Inf: use a fallback instead and
  // set out.fallback. Thread-safe (const, no shared mutable state).
  virtual void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const = 0;
};

// Builds a model by name: "naive", "snaive", "ma", "ses", "holt", "damped", "hw_add",
// "hw_mul", "ets", "theta", "arima", "arimax", "croston", "sba", "tsb", "croston_opt", or members joined by '+'
// ("ets+theta") combined by `combine` ("mean" or "median"). Throws InputError naming
// the unknown model and listing the known ones.
std::unique_ptr<StatModel> make_stat_model(const std::string& name, const std::string& combine = "mean");
// Every registered name, in registry order. The same registry says which models also run on
// the GPU (stat_gpu_model_names, engine/stat/gpu_models.h).
std::vector<std::string> stat_model_names();

// Output of a batch forecast, float for storage.
struct BatchForecast {
  int64_t n_series = 0, horizon = 0;
  std::vector<double> levels;     // [Q]
  std::vector<float> mean;        // [S, H]
  std::vector<float> quantiles;   // [S, H, Q]
  int64_t n_fallback = 0;         // series where a fallback was used
  int64_t n_no_fitted = 0;        // BatchOptions::residuals: series without fitted values
};

// The scale a statistical model is fitted on (Note [Forecast transforms], engine/stat/boxcox.h):
// none; log = log(1 + y); boxcox = Box-Cox with Guerrero's lambda per series.
enum class Transform { None, Log, BoxCox };

struct BatchOptions {
  // Regressors (optional): xreg [S, X, K] row-major on y's time axis, X = xreg_steps rows per
  // series: rows [0, T) are the history, rows [T, T + H) the horizon (X >= T + H). NaN allowed
  // (Note [Regressor rows] in engine/stat/model.cpp).
  const float* xreg = nullptr;
  int64_t xreg_steps = 0;  // X
  int n_xreg = 0;          // K
  Transform transform = Transform::None;
  // Series ids [S] (optional), only for error messages.
  const std::string* ids = nullptr;
  // Optional [S, T] output: in-sample one-step residuals y_t − ŷ_t|t−1 at the observed steps,
  // NaN elsewhere (not listed, interior gaps, steps the model has no prediction for). Series
  // whose model gave no fitted values are counted in BatchForecast::n_no_fitted (all NaN).
  float* residuals = nullptr;
  // Optional [S, K] output with the regressors (Note [Regressor use]): how each series' model
  // used each column.
  RegressorUse* regressor_use = nullptr;
};

// The argument checks every batch runner shares (forecast_batch here, the GPU runner's
// stat_gpu_params): horizon >= 1, season length >= 1, quantile levels strictly ascending in
// (0, 1). Throws InputError with the offending value.
void check_forecast_args(int season_length, int64_t horizon, const std::vector<double>& levels);

// Runs `model` over rows of y [S, T] (NaN = missing), OpenMP over series. Throws InputError
// when a transform cannot take a series (negative values), naming the series.
BatchForecast forecast_batch(const StatModel& model, const float* y, int64_t n_series, int64_t n_steps,
                             int season_length, int64_t horizon, const std::vector<double>& levels);
BatchForecast forecast_batch(const StatModel& model, const float* y, int64_t n_series, int64_t n_steps,
                             int season_length, int64_t horizon, const std::vector<double>& levels,
                             const BatchOptions& opt);

// Note [Bounded statistical forecasts]
//   A model can be right by its own assumptions and useless to a planner: on Dominick's orange
//   juice ets picks, for 41 of the 913 series, a multiplicative-error model whose relative error
//   sd is near 1, so its analytic variance grows about 2.4x a step and the 0.9 quantile of week
//   12 reads 6e7 cartons for a store that sold at most 52,096 (up to 1.5e13 times the history's
//   largest value over the catalog); the scaled pinball loss of the whole ets forecast was 3.6e9.
//   As the global model does (Note [Finite forecasts] in engine/deepar/guard.h), `forecast` and
//   `backtest` bound every statistical model's mean and quantiles to +-kStatBound times the
//   largest |value| of the series' history (at least kStatBound), after the model (CPU or GPU),
//   ensembles, auto and weighted combinations, before conformal recalibration, and again on the
//   conformal quantiles (conformal_quantiles, engine/eval/conformal.h: the mean plus a pooled
//   error can pass it; the sums of Note [Cumulative demand quantiles] get h times the bound of
//   one step); `forecast` prints how many values and series were bounded, `backtest` how many
//   values per model.
//   Clamping keeps quantiles ascending. The batch runners themselves (forecast_batch,
//   forecast_batch_cuda) return the models' own values, which the parity tests compare. The
//   bound and the clamp below are the global model's too (engine/deepar/guard.cpp).
inline constexpr double kStatBound = 10.0;
struct StatBoundCount {
  int64_t n_values = 0, n_series = 0;
};
// The bound of a series whose history's largest |value| is `peak`: kStatBound x max(peak, 1).
inline double forecast_cap(double peak) { return kStatBound * (peak > 1.0 ? peak : 1.0); }
// v clamped to [-cap, cap], NaN to cap; true when v changed.
inline bool clamp_to_cap(float& v, float cap) {
  if (v >= -cap && v <= cap) return false;
  v = std::isnan(v) || v > cap ? cap : -cap;
  return true;
}
// One series' mean [H] and quantiles [H, Q] clamped to +-cap, each step's quantiles kept
// ascending (after a NaN went to the cap); returns the values changed.
int64_t bound_forecast_row(float cap, int64_t horizon, int64_t n_levels, float* mean, float* quantiles);
// y [S, T] the histories (NaN = missing); mean [S, H] and quantiles [S, H, Q] bounded in place.
StatBoundCount bound_stat_forecast(const float* y, int64_t n_series, int64_t n_steps, int64_t horizon,
                                   int64_t n_levels, float* mean, float* quantiles);

}  // namespace skucast
