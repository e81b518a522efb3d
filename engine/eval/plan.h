// engine/eval/plan.h — stock levels from a forecast (`skucast plan`): per series the demand
// over lead time plus review period, the order-up-to level of a periodic-review (R, S) policy,
// the safety stock and the order quantity.
//
// Note [Demand over lead time plus review]
//   An order placed now arrives after L steps and the next chance to order is R steps later, so
//   the stock must cover the demand D of the forecast steps 1..L+R (the protection period).
//   mu_D = sum mu_h (the forecast means) always. The spread of D depends on how the steps move
//   together, so it comes from the best the forecast file offers (`--steps auto`, the default;
//   one stderr line of `plan` says which rule ran):
//     cumulative (the file has /forecast/cumulative_quantiles, io/forecast_file.h; written by
//       `forecast --intervals conformal` from fold errors summed over steps 1..h, Note
//       [Cumulative demand quantiles] in engine/eval/cumulative.h): the quantiles of D itself,
//       read at step L+R. Cycle service at a level inside the file's grid of levels: S = D's
//       quantile, linear between grid levels. D's distribution is read off the grid: its
//       quantile function linear between the levels, the first quantile below the first level
//       and an exponential tail above the last (Q(u) = q_top + b ln((1 − u_top) / (1 − u)), b
//       from the top two levels: a sales tail is heavier than a normal's). A cycle level above
//       the grid reads that tail (below it, the normal through D's median and top quantile);
//       fill rate solves E[(D − S)+] = (1 − beta) E[D_R] (E[D_R] from mu_D) on it exactly
//       (grid_loss). demand_sd reports that normal's sigma_D = (q_top − median) / z(top).
//       Measured (bench/plan.sh): a normal fitted to D's quantiles left the fill rate 4–5
//       points under a 0.95 target (0.901 by the widest pair, 0.912 by median and top) while
//       the cycle service from the grid quantile was on target (0.947). The exponential tail
//       is an extrapolation and was too light there: with 0.95 the file's top level, half the
//       fill-rate S lay above it and the fill rate was 0.925; with 0.99 added, 1 % did and it
//       was 0.950 (adding 0.995 too: 0.952 for 37 % more stock). beyond_grid marks such an
//       S, and `plan` counts them on stderr. The dependence
//       between steps is the one the model's out-of-sample errors (or its paths) showed, not
//       an assumption.
//     normal, steps independent (files without cumulative quantiles: models' own intervals,
//       older files; or `--steps independent`): each step h is N(mu_h, sigma_h^2) with
//       sigma_h = (q_hi − q_lo) / (z(hi) − z(lo)) from the widest pair of quantile levels
//       (the first and last level; z the standard normal quantile). When the lower one is 0 and
//       the data are non-negative (the quantile was clipped at 0), the upper half alone:
//       sigma_h = (q_hi − mu_h) / z(hi) (when hi > 0.5 and q_hi > mu_h; else 0).
//       The steps are taken as INDEPENDENT: sigma_D = sqrt(sum sigma_h^2).
//       Forecast errors of most models are positively correlated across steps (a level that is
//       off is off at every step), so this understates sigma_D (perfectly correlated steps
//       would give sum sigma_h); conformal intervals of each step alone do not change that.
//     poisson: D ~ Poisson(sum mu_h) (the sum of independent Poisson steps), for slow movers;
//       only the means are used (above a mean of 1e9, its normal limit: Note [Poisson demand
//       with a large mean] in plan.cpp).
//   Order-up-to level S:
//     cycle service alpha: S = the alpha-quantile of D (normal: mu_D + z(alpha) sigma_D; poisson:
//       the smallest integer s with P(D <= s) >= alpha).
//     fill rate beta: the expected shortage per cycle equals the share 1 − beta of the demand of
//       one review period: E[(D − S)+] = (1 − beta) E[D_R], E[D_R] = R / (L + R) × mu_D (the mean
//       demand per step of the protection period times R). Normal: E[(D − S)+] = sigma_D G(k),
//       S = mu_D + k sigma_D, G(k) = phi(k) − k (1 − Phi(k)) the standard normal loss function
//       (Silver, Pyke & Peterson 1998, eq. 7.20), solved for k by bisection; poisson: the
//       smallest integer s with E[(D − s)+] <= (1 − beta) E[D_R].
//     With sigma_D = 0 (normal) S = mu_D. S is never below 0.
//   Safety stock = S − mu_D. Order quantity = max(0, S − on_hand − on_order), on_order the
//   quantities arriving within the protection period (arrival step <= L + R); a positive order
//   is raised to min_order, then rounded up to a multiple of case_pack, when those are given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace skucast {

struct ForecastFile;

enum class ServiceKind { Cycle, Fill };
enum class DemandDistribution { Normal, Poisson };
// Auto: D from the file's cumulative quantiles when it has them, else independent steps;
// Independent: always the independent-steps rule (Note [Demand over lead time plus review]).
enum class StepDependence { Auto, Independent };

// Per-series stock and policy, from stock.csv (read_stock_csv) or the defaults.
struct StockRow {
  double on_hand = 0.0;
  double on_order = 0.0;     // arriving within L + R (read_orders_csv)
  int64_t lead_time = -1;    // L >= 0; -1: the run's --lead-time
  int64_t review_period = -1;  // R >= 1; -1: the run's --review-period
  double case_pack = 0.0;    // > 0: orders are multiples of it
  double min_order = 0.0;    // > 0: a positive order is at least this
  int64_t line = 0;          // its line in the stock file (read_stock_csv); 0: not listed there
};

struct PlanOptions {
  int64_t lead_time = -1;      // L for series without their own; -1: every series needs one
  int64_t review_period = -1;  // R likewise
  double service_level = 0.95; // in (0, 1)
  ServiceKind service = ServiceKind::Cycle;
  DemandDistribution distribution = DemandDistribution::Normal;
  StepDependence dependence = StepDependence::Auto;
  std::string forecast_path, stock_path;  // for messages only ("" when not from files)
};

struct PlanRow {
  int64_t lead_time = 0, review_period = 0;
  double demand_mean = 0, demand_sd = 0;  // of D over the protection period
  double order_up_to = 0, safety_stock = 0;
  double on_hand = 0, on_order = 0, order_qty = 0;
  bool cumulative = false;  // D from the file's cumulative quantiles (else independent steps)
  bool beyond_grid = false;  // cumulative: S above D's top quantile, read off the extrapolated tail
};

// ---------------------------------------------------------------- formulas ----
// (the normal quantile z(p) is inverse_normal_cdf, engine/stat/normal.h)

double normal_loss(double k);                // G(k) = phi(k) − k (1 − Phi(k))
// k with G(k) = target (target > 0), by bisection on [−8, 8] (G is decreasing).
double normal_loss_inverse(double target);
double poisson_cdf(int64_t s, double mu);    // P(D <= s)
double poisson_loss(int64_t s, double mu);   // E[(D − s)+]
// Order-up-to level for D with mean mu and sd sigma (normal) or Poisson(mu); review_share =
// R / (L + R). Note [Demand over lead time plus review].
double order_up_to(double mu, double sigma, double level, ServiceKind service, DemandDistribution dist,
                   double review_share);
// The level-`level` quantile by linear interpolation on the grid levels [Q] (ascending), q [Q];
// the end values outside the grid.
double quantile_on_grid(const std::vector<double>& levels, const float* q, double level);
// D's distribution from its quantile grid (Note [Demand over lead time plus review]): the
// quantile function linear between the levels [Q] (ascending) through q [Q], q[0] below the
// first level and an exponential tail above the last, Q(u) = q_top + b ln((1 − u_top)/(1 − u)),
// b = grid_tail_scale (from the top two levels; 0 when they do not rise). grid_loss = E[(D − s)+];
// grid_loss_inverse = the smallest s with E[(D − s)+] <= target (bisection).
double grid_tail_scale(const std::vector<double>& levels, const float* q);
double grid_loss(const std::vector<double>& levels, const float* q, double s);
double grid_loss_inverse(const std::vector<double>& levels, const float* q, double target);
// Whether make_plan takes D from fc's cumulative quantiles (normal distribution, Auto, the file
// has them).
bool plan_uses_cumulative(const ForecastFile& fc, const PlanOptions& opt);
// Order quantity from S, the stock position and the pack rules (Note [Demand over lead time plus review]).
double order_quantity(double s, double on_hand, double on_order, double case_pack, double min_order);

// --------------------------------------------------------------- the plan ----

// One row per series of fc. stock: [S] rows in fc's series order (absent series: zeros and the
// run's L and R). Throws InputError naming the series when L + R exceeds the horizon, L or R is
// missing or out of range, or the forecast has fewer than two quantile levels (normal).
std::vector<PlanRow> make_plan(const ForecastFile& fc, const std::vector<StockRow>& stock, const PlanOptions& opt);

// Reads stock.csv (header: series_id,on_hand[,lead_time,review_period,case_pack,min_order], any
// order) into rows aligned with ids [S]; *n_listed (optional) = the series it lists. Throws
// InputError naming the file and line for missing columns, unknown or repeated ids, numbers
// that do not parse, negative stock and out-of-range values.
std::vector<StockRow> read_stock_csv(const std::string& path, const std::vector<std::string>& ids,
                                     int64_t* n_listed = nullptr);
// Adds orders.csv (header: series_id,quantity,arrival_step) to stock[*].on_order for orders
// arriving within each series' L + R (L and R from the row or opt); InputError as above.
void read_orders_csv(const std::string& path, const std::vector<std::string>& ids, const PlanOptions& opt,
                     std::vector<StockRow>& stock);

// series_id,lead_time,review_period,demand_mean,demand_sd,order_up_to,safety_stock,on_hand,
// on_order,order_qty; written atomically.
void write_plan_csv(const std::string& path, const std::vector<std::string>& ids, const std::vector<PlanRow>& rows);

}  // namespace skucast
