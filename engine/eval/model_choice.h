// engine/eval/model_choice.h — models per series from their backtest errors over the folds before
// the forecast origin: `forecast --model auto[:a,b,...]` chooses for each series the candidate
// with the lowest error (Note [Model choice per series]); `--combine weighted` weighs an
// ensemble's members per series by their inverse error (Note [Inverse-error weights]). Also the
// batch forecasts that apply a choice or weights to a block of series.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace skucast {

struct BacktestResult;
struct BatchOptions;
class StatModel;

// Note [Model choice per series]
//   The candidates are backtested on K rolling-origin folds ending at the forecast origin
//   (run_backtest, engine/eval/backtest.h). For each series the score of a candidate is the mean
//   of `metric` (a per-series column of the backtest: mase by default, or rmsse, mae, rmse,
//   smape, pinball) over the folds where it is defined; the lowest score wins, ties going to
//   the candidate listed first. A series where no candidate has the metric defined (a zero
//   scale: a constant history) is chosen by mean MAE instead; with no defined MAE either (no
//   observed actual in any fold) it gets the first candidate. Bias and coverage are not
//   errors to minimize and are refused.

// Note [Inverse-error weights]
//   `--combine weighted` (an ensemble a+b+...) weighs member c of series s by w_sc ∝ 1 / e_sc,
//   e_sc the member's mean `metric` over the folds where it is defined (as in Note [Model choice
//   per series]; MAE where no member has the metric defined), normalized to sum 1 over the
//   members with a defined error. Members with an error of 0 share all the weight equally; a
//   series where no member has a defined error weighs them equally.

// Per series and member the weights [S, C] (rows sum to 1); InputError as choose_models.
std::vector<double> inverse_error_weights(const BacktestResult& r, const std::string& metric);

// Throws InputError unless `metric` is an error column of a backtest with these quantile levels.
void check_select_metric(const std::vector<double>& levels, const std::string& metric);

// Per series [S] the index of the chosen model in r.models. Throws InputError for a metric
// that is not a backtest column or not an error.
std::vector<int> choose_models(const BacktestResult& r, const std::string& metric);

// --model auto: forecasts each candidate models[c] on the rows of y [nb, T] that chose it
// (chosen [nb]) and writes them into mean [nb, H] and quantiles [nb, H, Q] (host buffers);
// regressors and ids of bo are per row of y. Returns the fallback count.
int64_t forecast_chosen(const std::vector<std::unique_ptr<StatModel>>& models, const int* chosen, const float* y,
                        int64_t nb, int64_t n_steps, int season_length, int64_t horizon,
                        const std::vector<double>& levels, const BatchOptions& bo, float* mean, float* quantiles);
// --combine weighted: every member forecasts every row of y [nb, T]; mean [nb, H] and quantiles
// [nb, H, Q] are the members' weighted by w [nb, C] (Note [Inverse-error weights]). A convex
// combination of ordered, non-negative quantiles stays ordered and non-negative. Returns the
// most fallbacks of any one member (a lower bound on the rows where some member fell back).
int64_t forecast_weighted(const std::vector<std::unique_ptr<StatModel>>& models, const double* w, const float* y,
                          int64_t nb, int64_t n_steps, int season_length, int64_t horizon,
                          const std::vector<double>& levels, const BatchOptions& bo, float* mean, float* quantiles);

}  // namespace skucast
