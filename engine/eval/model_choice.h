// engine/eval/model_choice.h — models per series from their backtest errors over the folds before
// the forecast origin: `forecast --model auto[:a,b,...]` combines each series' two candidates of
// lowest error (Note [Top-k inverse-error weights], the default) or chooses one (Note [Model
// choice per series], Note [Choice against the catalog's best]); `--combine weighted` weighs an
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

// Note [Choice against the catalog's best]
//   The per-series lowest error over K = 3 folds is a noisy estimate: on held-out data (bench/
//   run.sh auto, bench/README.md) choosing it made `auto` 1.3–5 % worse in MASE than the single
//   candidate that was best over the catalog. So the choice is shrunk towards that candidate:
//   the catalog's best c* is the candidate with the lowest mean `metric` over the (series, fold)
//   pairs where every candidate has it defined (the same folds for all; ties to the one listed
//   first), and a series leaves c* for its own winner w only when w's mean error is below
//   (1 − margin) × c*'s on that series (`--select-margin`, default kDefaultSelectMargin). A
//   series where c* has no defined error takes w. margin 0 is the plain per-series lowest error;
//   margin 1 gives c* to every series that has it defined. The same rule applies to the MAE
//   fallback (with c* chosen by MAE).
inline constexpr double kDefaultSelectMargin = 0.1;

// The candidate with the lowest mean `metric` over the (series, fold) pairs where every candidate
// has it defined (Note [Choice against the catalog's best]); 0 when there is no such pair.
int catalog_best(const BacktestResult& r, const std::string& metric);

// Note [Inverse-error weights]
//   `--combine weighted` (an ensemble a+b+...) weighs member c of series s by w_sc ∝ 1 / e_sc,
//   e_sc the member's mean `metric` over the folds where it is defined (as in Note [Model choice
//   per series]; MAE where no member has the metric defined), normalized to sum 1 over the
//   members with a defined error. Members with an error of 0 share all the weight equally; a
//   series where no member has a defined error weighs them equally.

// Note [Top-k inverse-error weights]
//   `--model auto` combines instead of choosing (the default rule, `--select-rule top2`): per
//   series the k = 2 candidates with the lowest mean error over the folds, weighed by their
//   inverse errors as in Note [Inverse-error weights]; the others get weight 0. Combining two
//   good forecasts averages out part of each one's error, and an error over 3 folds can rank two
//   close candidates but not tell them apart reliably, so choosing one throws that away (on
//   held-out data, bench/README.md: choosing was 1.3–5 % worse than the best single candidate).
//   A series with at most k defined errors keeps them all.

// Note [Errors shrunk towards the catalog]
//   A series' mean error over K = 3 folds ranks its candidates poorly: on held-out data (bench/
//   run.sh auto, bench/README.md) top2 on the raw fold errors was worse than the single
//   candidate best over the catalog's folds on the synthetic catalog, and 1.4 % worse than the
//   best single model on M3 yearly. So before the top-k ranking and weights each series' error
//   of candidate c is shrunk towards c's mean over the catalog, as a prior worth `shrink` folds:
//       ẽ_sc = (n_sc e_sc + k ē_c) / (n_sc + k),
//   n_sc the folds where e is defined for (s, c), ē_c the mean of e_sc over the series where
//   every candidate has one (the same series for all; the MAE fallback has its own ē). A series
//   with few or noisy folds then leans on what the catalog says; one with many folds
//   (--selection-folds) on its own errors. Measured offline on the folds and held-out periods of
//   bench/run.sh auto (top2, held-out MASE, k = 0 → 8 → ∞): synth 0.866 → 0.860 → 0.858, M3
//   yearly 2.809 → 2.674 → 2.660, quarterly 1.084 → 1.060 → 1.059, monthly 0.861 → 0.842 →
//   0.842: nearly all the gain comes by k ≈ 8, which leaves a series with a clear own winner
//   room to keep it (k = ∞ would give every series the same two candidates). Not applied to
//   `--combine weighted` (all members kept): there the shrunk errors of poor members raise their
//   weights (M3 monthly 0.883 → 0.901), so weighted stays on the raw errors.
inline constexpr double kDefaultSelectShrink = 8.0;

// Per series and member the weights [S, C] (rows sum to 1); InputError as choose_models. top_k
// > 0 keeps only the top_k lowest errors of each series (Note [Top-k inverse-error weights]);
// shrink > 0 shrinks the errors first (Note [Errors shrunk towards the catalog]).
std::vector<double> inverse_error_weights(const BacktestResult& r, const std::string& metric, int top_k = 0,
                                          double shrink = 0.0);

// Throws InputError unless `metric` is an error column of a backtest with these quantile levels.
void check_select_metric(const std::vector<double>& levels, const std::string& metric);

// Per series [S] the index of the chosen model in r.models (Note [Model choice per series],
// Note [Choice against the catalog's best]; margin in [0, 1]). Throws InputError for a metric
// that is not a backtest column or not an error, or a margin outside [0, 1].
std::vector<int> choose_models(const BacktestResult& r, const std::string& metric, double margin = 0.0);

// A candidate's or member's forecast made elsewhere for the rows of a block (the global model's,
// one call for the whole catalog): mean [nb, H] and quantiles [nb, H, Q], host buffers. It stands
// in for models[c] where models[c] is nullptr.
struct GivenForecast {
  const float* mean = nullptr;       // [nb, H]
  const float* quantiles = nullptr;  // [nb, H, Q]
};

// --model auto: forecasts each candidate models[c] on the rows of y [nb, T] that chose it
// (chosen [nb]) and writes them into mean [nb, H] and quantiles [nb, H, Q] (host buffers);
// regressors and ids of bo are per row of y. A null models[c] takes given[c] (InputError when
// absent). Returns the fallback count.
int64_t forecast_chosen(const std::vector<std::unique_ptr<StatModel>>& models, const int* chosen, const float* y,
                        int64_t nb, int64_t n_steps, int season_length, int64_t horizon,
                        const std::vector<double>& levels, const BatchOptions& bo, float* mean, float* quantiles,
                        const std::vector<GivenForecast>& given = {});
// --combine weighted: every member forecasts every row of y [nb, T]; mean [nb, H] and quantiles
// [nb, H, Q] are the members' weighted by w [nb, C] (Note [Inverse-error weights]). A convex
// combination of ordered, non-negative quantiles stays ordered and non-negative. Returns the
// most fallbacks of any one member (a lower bound on the rows where some member fell back).
// A null models[c] takes given[c], as forecast_chosen.
int64_t forecast_weighted(const std::vector<std::unique_ptr<StatModel>>& models, const double* w, const float* y,
                          int64_t nb, int64_t n_steps, int season_length, int64_t horizon,
                          const std::vector<double>& levels, const BatchOptions& bo, float* mean, float* quantiles,
                          const std::vector<GivenForecast>& given = {});

}  // namespace skucast
