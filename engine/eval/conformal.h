// engine/eval/conformal.h — conformal (calibrated) quantiles from the out-of-sample errors of
// rolling-origin folds (`forecast --intervals conformal`).
//
// The errors come from the backtest machinery (engine/eval/backtest.h, keep_errors): K folds
// whose last origin is T − H, each model fitted on the history before its origin, so every error
// is out of sample and every fold ends at or before the forecast origin T. A quantile at level q
// is then the point forecast (the mean) plus an order statistic of the signed errors
// (actual − mean) of the same horizon step, chosen by the split-conformal rule
// (Note [Conformal order statistic]), per series where it has enough errors and pooled over
// similar series otherwise (Note [Conformal pooling]): the default, raw score. `--conformal-score
// scaled` divides each error's size by the model's own predicted spread instead, so every series
// keeps its own interval's width (Note [Conformal scaled scores]).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace skucast {

class PanelReader;
struct BacktestOptions;

// Note [Conformal order statistic]
//   From n errors sorted ascending e_(1) <= ... <= e_(n), the level-q quantile is
//     q >= 0.5:  e_(k) with k = ceil((n + 1) q)                      (upper)
//     q <  0.5:  e_(k) with k = n + 1 − ceil((n + 1)(1 − q))         (lower, the mirror image)
//   For exchangeable errors P(e_new <= e_(k)) >= q for the upper rule and P(e_new >= e_(k)) >=
//   1 − q for the lower one (split conformal, Vovk et al. 2005; Lei et al. 2018), so the
//   interval [lower, upper] with bounds included covers at least its nominal share. When k falls
//   outside 1..n (too few errors for that level: n < 1/(1 − q) − 1, e.g. n < 19 for 0.95) the
//   exact answer would be an infinite bound; we clamp to e_(n) (or e_(1)) and count the cell
//   (ConformalStats::n_clamped). Monotone in q for a fixed n.
double conformal_order_statistic(const double* sorted, int64_t n, double q, bool* clamped = nullptr);

// Note [Conformal pooling]
//   A series uses its own errors at step h when it has at least min_per_series (20) observed
//   errors there; otherwise the pooled errors of similar series, as follows. Each error is
//   divided by its series' scale at that fold (the in-sample one-step naive MAE, mean |y_t −
//   y_{t−1}| over the observed history before the fold's origin), so series of any size pool.
//   "Similar" = the same model (one model per run) and the same zero-share bucket of the history
//   before the forecast origin: [0, 0.2), [0.2, 0.4), [0.4, 0.6), [0.6, 0.8), [0.8, 1]. A bucket
//   with fewer than min_per_series scaled errors at step h borrows the pool of all buckets at h.
//   The series' quantile is mean + scale_T × (pooled order statistic), scale_T its naive MAE
//   over the whole history. A series whose scale_T is 0 or undefined (constant or one-point
//   history) and has too few errors of its own keeps the model's quantiles (n_model cells), as
//   does every series at a step where no scaled error exists at all. A fold counts for a series
//   only when the series had at least max(H, 2) observed values before the fold's origin: with
//   less the model falls back (a launch), and that error says little about a forecast from the
//   whole history.

// Note [Conformal scaled scores]
//   ConformalScore::Scaled (`--conformal-score scaled`) keeps the shape of each series' own
//   intervals and lets the folds set only how wide they are. The global models' default (Note
//   [Global model calibration] in tools/forecast_calibration.cpp); not the statistical models': in the
//   measurements of bench/README.md (`calibration` rows, 2026-12-06) it gave lower pinball loss
//   than the raw score on M3 (8 of 9 runs) but higher on Dominick's orange juice and the
//   synthetic retail catalog (5 of 5), and its 80 % intervals were within 3 points of nominal on
//   fewer runs (8 of 14 against 9: it over-covers M3 yearly, 0.86-0.87); a retail engine's
//   default follows the retail catalogs, so Raw stays the default. At fold k the model predicted, for
//   series s and step h, the interval [q_lo, q_hi] (its outermost levels lo < hi), so its own
//   spread is
//     d_skh = max((q_hi − q_lo) / (z(hi) − z(lo)), kSpreadFloor × fold_scale_sk),
//   z the standard normal quantile (d is the model's sigma when its quantiles are normal). The
//   floor (0.1 × the naive MAE of the history before the fold's origin) keeps a series whose
//   model predicted a zero-width interval (a constant history, an intermittent series with only
//   zeros lately) from giving an unbounded score; a cap of 10 × sqrt(h) × the naive MAE at step h
//   (1-based; a random walk's sigma is about 1.25 sqrt(h) naive MAEs) keeps a model whose own
//   intervals blew up (ets on 40 of Dominick's 913 orange-juice series: 0.975 quantiles in the
//   millions for sales in the hundreds) from passing that on; the same bounds apply at the
//   origin (n_floored, n_capped count the cells). The score is r_skh = |y − mean| / d_skh
//   (normalised absolute residual: Papadopoulos et al. 2002; Lei et al. 2018 §5.2). Scores are
//   the series' own at h when it has min_per_series of them, else the pool of its zero-share
//   bucket at h, else all buckets at h, as in Note [Conformal pooling] but with no further
//   scaling (a score has no unit). From n scores sorted r_(1) <= ... <= r_(n), the level-q
//   quantile is
//     mean_sh ± d_sh × r_(k),  k = ceil((n + 1) |2q − 1|),  + for q > 0.5, − for q < 0.5,
//     d_sh = max((q_hi − q_lo) / (z(hi) − z(lo)), kSpreadFloor × scale_s)
//   from the model's own quantiles at the forecast origin (q = 0.5 gives the mean). So the
//   central interval [q, 1 − q] covers at least 1 − 2q for exchangeable scores (finite-sample:
//   P(r_new <= r_(k)) >= k / (n + 1) >= |2q − 1|; k > n is clamped to r_(n) and counted, as in
//   Note [Conformal order statistic]); a series whose own interval is twice as wide gets twice
//   the conformal width; and the pool sets one multiplier per bucket, step and level (how far
//   the models' intervals are off, e.g. 1.3 for a model that under-covers). The score is
//   symmetric on purpose: the signed variant (ConformalScore::Signed, r = (y − mean) / d with
//   the order statistics of Note [Conformal order statistic]) also moves the median by the
//   folds' median error, and on M3 the folds' bias did not carry over to the held-out years
//   (quarterly ets: 64 % of the actuals fell below the signed median; bench/README.md).
//   A fold counts for the scores only when the series had at least min_history_share (0.5) of
//   its observed history before the fold's origin: a model fitted on far less data than the
//   final one misses by more relative to its own spread, and those scores widened every
//   interval (M3 quarterly ets, 80 % coverage 0.868 with every fold, 0.825 with the rule).
//   Out of sample: the fold's mean and quantiles come from the model fitted on the history
//   before its origin (run_backtest, BacktestResult::widths), so score and spread both are. A
//   series whose d_sh is 0 or undefined (a constant history with no quantiles of its own) keeps
//   the model's quantiles (n_model). With no widths in the calibration set, or one quantile level
//   (no spread to read), the Raw score is used.
//   ConformalScore::Raw is the older rule: signed errors in the series' units, pooled divided by
//   the naive MAE (Note [Conformal pooling]); one pooled width per bucket, so every series' width
//   follows its naive MAE rather than its model's intervals.
// Note [Conformal series-balanced pools]
//   ConformalPool::Series (`--conformal-pool series`; not the default) weighs each pooled score
//   1 / n_sh, n_sh the number of scores series s has at step h, so every series counts once in a
//   pool, as it does in the forecast being calibrated (one error per series and step); the
//   default ConformalPool::Errors counts every score once, so a series with 5 usable folds weighs
//   5 times one with 1. The level-q bound is then the weighted conformal quantile with the new
//   point's weight 1 (one series): from scores r_(1) <= ... <= r_(n) with weights w_(i) and
//   W = sum w, the upper bound (q >= 0.5) is r_(k) for the least k with w_(1) + ... + w_(k) >=
//   q (W + 1), the lower one its mirror image from the top, and the Scaled score's |2q − 1| the
//   upper rule (k past n: clamped to r_(n) and counted, as in Note [Conformal order statistic]).
//   With every weight 1 these are the order statistics of Note [Conformal order statistic].
//   For a new series drawn like the calibration series (a two-level hierarchy: series, then
//   errors within a series), equal weight per series is the rule of Dunn, Wasserman & Ramdas
//   (2022, "Distribution-free prediction sets for two-layer hierarchical models").
//   Why an option and not the default (bench/README.md, `calibration` row of 2026-12-07): it
//   brought M3 yearly theta (80 % coverage 0.833 → 0.824) and monthly arima (0.838 → 0.823)
//   within 3 points of nominal, but it took the synthetic catalog's tsb from 0.820 to 0.831:
//   there the 98 series with 1-4 usable folds (launches, whose folds were fitted on short
//   histories) missed by more in their folds than in the held-out days (95th percentile of
//   |error| / naive MAE 3.2-5.6 against 2.7-4.7; 2.5 for the 855 series with 5 folds), so more
//   weight on them widens every interval. And it cannot help where the over-coverage came from: on Dominick's orange
//   juice every series has 4-5 folds (nothing to rebalance), and the over-coverage there (0.878
//   at 80 % for ets) is the held-out 12 weeks being calmer than the calibration windows: left
//   out in turn, each of the 9 non-overlapping 12-week windows since week 52 is covered 0.70-0.90
//   by the pool of the other 8 (mean 0.79, so the rule is calibrated on average), and the
//   held-out window is the best-covered of the 9 (0.90). Promotions and seasons hit all 913
//   series in the same weeks, so the pool holds 5 draws of a window's difficulty, not 4,565.
// Note [Conformal event classes]
//   `--conformal-by deal,feat` (names of the panel's dynamic covariates or calendar events, at
//   most kMaxConformalEvents) splits every pool by what is known about the target step: its
//   class is the pattern of which named inputs are non-zero there (deal alone, deal and feature,
//   none: 2^m classes), for a fold's target at origin_k + h as for the forecast's at T + h, read
//   from the covariates' known future part. A cell then takes the order statistic of the
//   scores of its own class, in this order while a pool holds fewer than min_per_series scores:
//   (class, zero-share bucket, step), (class, all buckets, step), then the class-free pools of
//   Note [Conformal pooling] ((bucket, step), (all, step)). A series' own scores (>=
//   min_per_series at h) are those of the cell's class; with ConformalPool::Series a score keeps
//   its weight 1 / n_sh, n_sh counted over every class. Why: a model without the covariates
//   (ets, theta, arima, tsb) misses a promotion week by far more than a regular one, and one
//   pool gives every step the same width, too wide for regular weeks and too narrow for
//   promoted ones: exchangeable within a class is a weaker assumption than across classes
//   (Mondrian conformal prediction, Vovk et al. 2005, ch. 4; the guarantee holds per class).
//   A continuous covariate (price) is non-zero at every step, so it adds no split: name flags.
//   Measured (bench/README.md, `calibration`, 2026-12-07; one pool -> classes, 80 % / 95 %
//   coverage and scaled pinball of the held-out steps): Dominick's orange juice (classes by feat
//   and deal) ets 0.878 / 0.992 / 0.1621 -> 0.882 / 0.985 / 0.1498, theta 0.857 / 0.985 / 0.1537
//   -> 0.846 / 0.972 / 0.1405, arima 0.843 / 0.983 / 0.1488 -> 0.817 / 0.963 / 0.1356 (within 3
//   points at both levels), arimax 0.863 / 0.983 / 0.1151 -> 0.873 / 0.983 / 0.1130; the
//   synthetic catalog (promo) ets 0.811 / 0.959 / 0.1868 -> 0.810 / 0.960 / 0.1825, tsb 0.820 /
//   0.961 / 0.1902 -> 0.822 / 0.963 / 0.1860: pinball 2-9 % lower everywhere, coverage as close
//   or closer, but orange juice's 80 % over-coverage (its calm held-out weeks: Note [Conformal
//   series-balanced pools]) is there in every class. The global model (scaled score, 3 folds)
//   0.816 / 0.958 / 0.1234 -> 0.804 / 0.950 / 0.1304: closer coverage, worse pinball, so none is
//   its default. The cumulative quantiles (Note [Cumulative demand quantiles]) sum steps of
//   mixed classes and pool over all classes: a sum's class as the union of its steps' (a
//   promotion anywhere in 1..h) made their pinball loss 2-5 % worse on orange juice (ets 0.1244
//   -> 0.1289, theta 0.1140 -> 0.1161, arima 0.1082 -> 0.1131, per step of the sum; arima's 80 %
//   coverage 0.817 -> 0.774): with a promotion in 43 % of the weeks, most sums are "on".
//   `--conformal-by auto`, the statistical models' default, picks from the panel's per-series
//   dynamic covariates that are zero on at least half of the history's steps and non-zero on at
//   least 1 % of them (promotion flags, display shares; not prices, which are never zero) those
//   whose steps the calibration folds missed differently: the 80 % quantile of |error| / the
//   fold's naive MAE (the width an 80 % interval needs) where the input is on, over that where it
//   is off, at least kAutoEventSpread (or at most its inverse), each side with
//   kAutoEventMinErrors errors; the kAutoConformalEvents most different first. So a flag that
//   does not change how far the models miss adds no split that would only thin the pools: on the
//   synthetic catalog the SNAP days' ratios are 1.00-1.01 and the promotions' 1.60-1.75; on
//   orange juice deal's 1.66-1.98 and feat's 2.66-3.26 (bench/README.md). A panel without the
//   inputs' future part gets one class. The global models' default is none: they see the
//   covariates, and the classes made their pinball loss worse on orange juice (fewer scores per
//   pool: 3 folds) and left it as it was on the synthetic catalog.
inline constexpr int kMaxConformalEvents = 4;
inline constexpr int kAutoConformalEvents = 2;
inline constexpr double kAutoEventSpread = 1.25;
inline constexpr int64_t kAutoEventMinErrors = 100;

enum class ConformalScore { Scaled, Signed, Raw };
enum class ConformalPool { Errors, Series };
inline constexpr double kSpreadFloor = 0.1;  // × the naive MAE; Note [Conformal scaled scores]
inline constexpr double kSpreadCap = 10.0;   // × sqrt(step) × the naive MAE; the same Note

// Note [Conformal scaled scores]: r_(k) with k = ceil((n + 1) p) of n scores sorted ascending, 0
// when k < 1 (p = 0), clamped to r_(n) (and *clamped set) when k > n. p in [0, 1).
double conformal_abs_order_statistic(const double* sorted, int64_t n, double p, bool* clamped = nullptr);

// Note [Conformal series-balanced pools]: the weighted rule over scores sorted ascending with their
// weights (w > 0; all 1: the unweighted rules above). symmetric: the Scaled score's rule for
// coverage p = q in [0, 1) (0 when p = 0); otherwise the signed rule for level q in (0, 1).
double conformal_weighted_order_statistic(const double* sorted, const double* weights, int64_t n, double q,
                                          bool symmetric, bool* clamped = nullptr);

struct ConformalOptions {
  int64_t min_per_series = 20;  // errors per step for per-series quantiles
  ConformalPool pool = ConformalPool::Errors;  // Note [Conformal series-balanced pools]
  int n_zero_buckets = 5;       // equal-width zero-share buckets over [0, 1]
  ConformalScore score = ConformalScore::Raw;  // the default: Note [Conformal scaled scores]
  // Scaled, Signed: a fold counts only when the series had at least this share of its observed
  // history before the fold's origin (Note [Conformal scaled scores]); 0: every fold.
  double min_history_share = 0.5;
  // The quantiles are of demand summed over steps 1..h (Note [Cumulative demand quantiles]): the
  // bound of step h (0-based) is h + 1 times one step's.
  bool cumulative = false;
};

// "scaled" | "signed" | "raw" → the score; InputError naming the choices otherwise.
ConformalScore parse_conformal_score(const std::string& name);
// "errors" | "series" → the pool weighting (Note [Conformal series-balanced pools]); InputError otherwise.
ConformalPool parse_conformal_pool(const std::string& name);
const char* conformal_score_name(ConformalScore score);

// What the calibration knows about each series: its fold errors and the statistics pooling
// needs. Host arrays, filled by the caller (describe_calibration_series).
struct CalibrationSet {
  int64_t n_series = 0, n_folds = 0, horizon = 0;  // S, K, H
  std::vector<float> errors;       // [S, K, H] actual − mean, NaN = none
  // [S, K, H] the fold's own outermost-quantile width q_hi − q_lo (Note [Conformal scaled
  // scores]); empty: not known (the Raw score is used).
  std::vector<float> widths;
  std::vector<double> levels;      // [Q] the levels of the folds' quantiles
  std::vector<double> fold_scale;  // [S, K] naive MAE of the history before fold k's origin
  std::vector<double> scale;       // [S] naive MAE of the whole history (before the forecast origin)
  std::vector<double> zero_share;  // [S] share of zeros among the observed history
  std::vector<uint8_t> nonneg;     // [S] 1 when no observed value is negative (quantiles clipped at 0)
  std::vector<int64_t> fold_n_obs; // [S, K] observed values before fold k's origin (empty: unknown)
  std::vector<int64_t> n_obs;      // [S] observed values in the whole history
  // [S] the largest |value| of the history, for the bound of Note [Bounded statistical forecasts]
  // (engine/stat/model.h) on the conformal quantiles too; empty: no bound (hand-made sets).
  std::vector<double> peak;
  std::vector<int64_t> origins;  // [K] the folds' origins on the panel's axis (calibrate)
  // Note [Conformal event classes]: the class (0..n_classes-1) of each fold's target step
  // [S, K, H] and of each forecast step [S, H]; both empty: one class.
  int n_classes = 1;
  std::vector<uint8_t> fold_class, step_class;
  std::vector<std::string> class_inputs;  // the names the classes come from (bit j: name j)
};

// Sizes the per-series arrays of cal for S series and K folds (errors left empty).
void resize_calibration(CalibrationSet& cal, int64_t n_series, int64_t n_folds, int64_t horizon);
// Fills fold_scale, scale, zero_share and nonneg of series [i0, i0 + nb) from y [nb, T]
// (NaN = missing); origins [K] are the folds' origins on the same axis, ascending. Drops (sets
// to NaN) the errors of folds with too little history (Note [Conformal pooling]).
void describe_calibration_series(CalibrationSet& cal, const float* y, int64_t i0, int64_t nb, int64_t n_steps,
                                 const std::vector<int64_t>& origins);

// Runs the calibration folds of one model (opt.models holds exactly one name, a single model or
// a '+' ensemble; opt.folds, opt.step as in a backtest) with the backtest machinery
// (run_backtest, keep_errors) and describes every series. The panel is read in blocks of
// opt.block series. The in-memory overload takes y [S, T] (no regressors).
CalibrationSet calibrate(const PanelReader& panel, const BacktestOptions& opt);
CalibrationSet calibrate(const float* y, int64_t n_series, int64_t n_steps, int season_length,
                         const BacktestOptions& opt);

// Note [Conformal event classes]: fills cal.fold_class and cal.step_class from the named dynamic
// covariates or calendar events of the panel cal was calibrated on (cal.origins set, forecast
// origin = the panel's T). InputError for an unknown or repeated name, more than
// kMaxConformalEvents, or a future part shorter than the horizon. No names: one class.
void classify_calibration_steps(CalibrationSet& cal, const PanelReader& panel, const std::vector<std::string>& names,
                                int64_t block);
// Note [Conformal event classes]: the inputs `--conformal-by auto` picks for the calibration set
// cal of the panel (cal.origins set; the panel read in blocks of `block` series), most different
// first, each with the ratio of the 80 % quantiles of the scaled |error| where it is on and where
// it is off; possibly none.
struct AutoConformalEvent {
  std::string name;
  double ratio = 1.0;
};
std::vector<AutoConformalEvent> auto_conformal_events(const CalibrationSet& cal, const PanelReader& panel,
                                                      int64_t block);

struct ConformalStats {
  int64_t n_own = 0;      // (series, step) cells from the series' own errors
  int64_t n_pooled = 0;   // cells from a pool (bucket or all)
  int64_t n_model = 0;    // cells that kept the model's quantiles
  int64_t n_clamped = 0;  // (cell, level) pairs clamped to the extreme error
  int64_t n_floored = 0;  // Scaled, Signed: cells whose own spread at the origin was raised to the floor
  int64_t n_capped = 0;   // Scaled, Signed: cells whose own spread at the origin was lowered to the cap
  ConformalScore score = ConformalScore::Raw;  // the score used
  int64_t n_bounded = 0;  // quantile values clamped to the series' bound (CalibrationSet::peak)
  int64_t n_class_pooled = 0;  // Note [Conformal event classes]: pooled cells from their class's pool
};

// Overwrites quantiles [S, H, Q] with conformal ones: mean [S, H] + the order statistic of each
// level (levels [Q] ascending; Scaled, Signed: times the cell's own spread, read from the
// quantiles as given), then sorted per step (monotone in level), for series with nonneg clipped at 0, and
// kept within +-forecast_cap(peak) (engine/stat/model.h; Note [Bounded statistical forecasts]): the
// rule adds a pooled error to the mean, which the bound before recalibration does not cover.
// Quantiles of cells that keep the model's are left as given. Scaled, Signed need cal.levels' first
// and last to equal levels' (the folds' quantiles at the same levels); Error otherwise.
ConformalStats conformal_quantiles(const CalibrationSet& cal, const float* mean, const std::vector<double>& levels,
                                   float* quantiles, const ConformalOptions& opt = {});

}  // namespace skucast
