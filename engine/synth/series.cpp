// engine/synth/series.cpp — one synthetic series of `skucast synth`: its plan (listing,
// prices, promotions, stock-outs, expected demand) and its sampled daily counts.
//
// Note [Synthetic demand model]: the expected demand of series i (item k in store s) on
// day t is, in logs,
//   log μ_t = level_k + size_s + jitter_i                     (item, store, series level)
//           + a_k · yearly_c(t) + w_k · weekly_c(dow t)       (category seasonality, scaled per item)
//           + event_c(t)                                      (holidays, pre-holiday windows)
//           + snap_c · SNAP_state(t)                          (food stamps days, FOODS mostly)
//           + (g_k + g_s) · (t - T/2) / 365.25                (trend)
//           + shock_s(t)                                      (store traffic AR(1), level shifts)
//           - e_k · log(price_t / regular_t)                  (price elasticity on discounts)
//           + uplift · promo_t + log(1 - dip · exp(-j/2.5))   (promotion, post-promotion dip)
//           + launch ramp-up and clearance decline            (life cycle)
// and the count is negative binomial with mean μ_t and size r_k (slow movers: low μ and
// low r, hence many zeros). Christmas day is closed (0). Stock-outs force runs of zeros,
// outliers add a bulk purchase. Days before the launch and after a delisting are NaN.
//
// Two random streams per series (Note [Portable random streams]): the plan stream draws
// everything that shapes μ and the covariates; the noise stream draws the counts. The
// weight pre-pass replays only the plan, so it never disturbs the counts.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/synth/internal.h"
#include "engine/synth/random.h"

namespace skucast::synth {
namespace {

// Regular prices end in 8 cents ("charm" pricing, as most M5 prices do): 3.00 → 2.98.
double charm_price(double p) { return std::max(0.18, std::floor(p * 10.0 + 0.5) / 10.0 - 0.02); }
double round_cents(double p) { return std::max(0.01, std::floor(p * 100.0 + 0.5) / 100.0); }

constexpr double kMaxLogMu = 11.5;  // e^11.5 ≈ 1e5 units a day: a cap that is never reached in practice

// Lowers price[d] by `depth` and adds the demand response -e·log(new/old) to log_mu[d].
void discount(float* price, float* log_mu, int64_t d, double depth, double elasticity) {
  const double old_price = price[d];
  const double new_price = round_cents(old_price * (1.0 - depth));
  price[d] = static_cast<float>(new_price);
  log_mu[d] += static_cast<float>(-elasticity * std::log(new_price / old_price));
}

}  // namespace

// ------------------------------------------------------------------- plan ----
SeriesPlan plan_series(const SeriesContext& ctx, int64_t i, float* price, float* promo, SeriesScratch& scratch) {
  const SynthCalendar& cal = *ctx.cal;
  const Hierarchy& h = *ctx.hier;
  const int64_t n_steps = cal.n_steps, n_total = cal.n_total;  // T, T+F
  const int64_t store = h.store_of(i), item = h.item_of(i);
  const int dept = h.item_dept[item];
  const int cat = category_of_dept(dept);
  const int state = state_of_store(store);
  const ItemParams it = draw_item(ctx.seed, item, cat, dept, n_steps);
  const StoreParams& sp = (*ctx.stores)[store];
  Rng rng(ctx.seed, Domain::SeriesPlan, static_cast<uint64_t>(i));

  // ---- listing: [launch, end) within the history; covariates extend to T+F unless delisted.
  SeriesPlan plan;
  int64_t launch = it.launch;
  if (launch > 0 && rng.bernoulli(0.5)) launch += rng.uniform_int(0, 90);  // store rolls out later
  if (launch == 0 && n_steps > 2 && rng.bernoulli(0.04)) launch = rng.uniform_int(1, std::max<int64_t>(1, n_steps * 4 / 5));
  launch = std::min(launch, n_steps - 1);
  int64_t end = it.end;
  if (end == n_steps && n_steps - launch > 4 && rng.bernoulli(0.02))
    end = rng.uniform_int(launch + (n_steps - launch) / 2, n_steps - 1);
  end = std::clamp(end, launch + 1, n_steps);
  plan.launch = launch;
  plan.end = end;
  plan.size = it.size * std::exp(rng.normal(0.0, 0.2));
  const int64_t cov_end = end < n_steps ? end : n_total;  // promotions run while listed

  // ---- regular price path (item changes × store price level), promo flags off.
  double regular = it.price0 * sp.price_factor;
  double shelf = charm_price(regular);
  int ci = 0;
  for (int64_t t = 0; t < n_total; ++t) {
    bool changed = false;
    while (ci < it.n_changes && it.change_day[ci] <= t) {
      regular *= it.change_factor[ci++];
      changed = true;
    }
    if (changed) shelf = charm_price(regular);
    price[t] = static_cast<float>(shelf);
    promo[t] = 0.0f;
  }

  // ---- baseline log demand on the listed days.
  float* log_mu = scratch.log_mu.data();  // [T+F]
  const double level = it.log_level + sp.log_size + rng.normal(0.0, 0.35);
  const double slope = (it.slope + sp.slope) / 365.25;
  const double snap_effect = cat == kFoods ? 0.10 : 0.01;
  const double mid = 0.5 * static_cast<double>(n_steps);
  const float* yearly = cal.yearly[cat].data();
  const float* event = cal.event[cat].data();
  const float* snap = cal.snap[state].data();
  const float* shock = sp.shock.data();
  std::array<float, 7> weekly;
  for (int d = 0; d < 7; ++d) weekly[d] = static_cast<float>(it.weekly_amp) * cal.weekly[cat][d];
  std::fill(log_mu, log_mu + n_total, 0.0f);
  for (int64_t t = launch; t < cov_end; ++t) {
    double lm = level + it.yearly_amp * yearly[t] + weekly[cal.dow[t]] + event[t] + snap_effect * snap[t] +
                shock[t] + slope * (static_cast<double>(t) - mid);
    const int64_t age = t - launch;
    if (launch > 0 && age < 90) lm += std::log(1.0 - 0.85 * std::exp(-static_cast<double>(age) / 20.0));  // ramp-up
    log_mu[t] = static_cast<float>(lm);
  }

  // ---- promotions: circular weeks (Wednesday–Tuesday) or short deals; most with a discount.
  const double depth_hi = cat == kHobbies ? 0.45 : 0.35;
  double tp = static_cast<double>(launch) + rng.exponential(it.promo_gap);
  while (tp < static_cast<double>(cov_end)) {
    int64_t start = static_cast<int64_t>(tp), len;
    if (rng.bernoulli(0.6)) {
      start += (2 - cal.dow[start] + 7) % 7;  // next Wednesday
      len = rng.bernoulli(0.25) ? 14 : 7;
    } else {
      len = rng.uniform_int(3, 10);
    }
    const double depth = rng.bernoulli(0.75) ? rng.uniform(0.10, depth_hi) : 0.0;
    const double uplift = rng.uniform(0.15, 0.55);
    const double dip = rng.uniform(0.15, 0.45);
    const int64_t stop = std::min(start + len, cov_end);
    for (int64_t d = start; d < stop; ++d) {
      promo[d] = 1.0f;
      log_mu[d] += static_cast<float>(uplift);
      if (depth > 0.0) discount(price, log_mu, d, depth, it.elasticity);
    }
    // Post-promotion dip: customers stocked up; fades over about a week.
    for (int64_t j = 0; j < 7 && stop + j < cov_end; ++j)
      log_mu[stop + j] += static_cast<float>(std::log(1.0 - dip * std::exp(-static_cast<double>(j) / 2.5)));
    tp = static_cast<double>(stop + 7) + rng.exponential(it.promo_gap);
  }

  // ---- temporary price reductions without a promotion flag.
  double tr = static_cast<double>(launch) + rng.exponential(150.0);
  while (tr < static_cast<double>(cov_end)) {
    const int64_t start = static_cast<int64_t>(tr);
    const int64_t stop = std::min(start + rng.uniform_int(2, 7), cov_end);
    const double depth = rng.uniform(0.05, 0.20);
    for (int64_t d = start; d < stop; ++d)
      if (promo[d] == 0.0f) discount(price, log_mu, d, depth, it.elasticity);
    tr = static_cast<double>(stop) + rng.exponential(150.0);
  }

  // ---- clearance before a delisting: marked down, fading demand.
  if (end < n_steps) {
    const int64_t c0 = std::max(launch, end - 30);
    for (int64_t d = c0; d < end; ++d) {
      if (promo[d] == 0.0f) discount(price, log_mu, d, 0.25, it.elasticity);
      log_mu[d] -= static_cast<float>(1.2 * static_cast<double>(d - c0) / 30.0);
    }
  }
  for (int64_t t = launch; t < cov_end; ++t) log_mu[t] = std::min(log_mu[t], static_cast<float>(kMaxLogMu));

  // ---- stock-outs (runs of zeros) and outliers, history only.
  uint8_t* mark = scratch.mark.data();  // [T]
  std::fill(mark, mark + n_steps, static_cast<uint8_t>(kNormal));
  const double stockout_gap = 365.0 / (sp.stockout_rate * rng.uniform(0.4, 2.5));
  double ts = static_cast<double>(launch) + rng.exponential(stockout_gap);
  while (ts < static_cast<double>(end)) {
    const int64_t start = static_cast<int64_t>(ts);
    const int64_t stop = std::min(start + 1 + std::min<int64_t>(rng.geometric(0.2), 44), end);
    std::fill(mark + start, mark + stop, static_cast<uint8_t>(kStockout));
    ts = static_cast<double>(stop) + rng.exponential(stockout_gap);
  }
  double to = static_cast<double>(launch) + rng.exponential(1500.0);
  while (to < static_cast<double>(end)) {
    const int64_t d = static_cast<int64_t>(to);
    if (mark[d] == kNormal) mark[d] = kOutlier;
    to = static_cast<double>(d + 1) + rng.exponential(1500.0);
  }
  return plan;
}

double expected_dollar_sales(const SeriesContext& ctx, const SeriesPlan& plan, const float* price,
                             const SeriesScratch& scratch) {
  const SynthCalendar& cal = *ctx.cal;
  const int64_t t0 = std::max(plan.launch, plan.end - kWeightDays);
  double dollars = 0.0;
  for (int64_t t = t0; t < plan.end; ++t)
    if (!cal.closed[t]) dollars += std::exp(static_cast<double>(scratch.log_mu[t])) * price[t];
  // Positive even in the corner case of a one-day listing on a closed day.
  return std::max(dollars, 1e-3 * static_cast<double>(price[plan.end - 1]));
}

// ----------------------------------------------------------------- sample ----
SeriesStats sample_series(const SeriesContext& ctx, int64_t i, const SeriesPlan& plan, const SeriesScratch& scratch,
                          float* target) {
  const SynthCalendar& cal = *ctx.cal;
  const int64_t n_steps = cal.n_steps;
  Rng rng(ctx.seed, Domain::SeriesNoise, static_cast<uint64_t>(i));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  SeriesStats st;
  for (int64_t t = 0; t < plan.launch; ++t) target[t] = nan;
  for (int64_t t = plan.end; t < n_steps; ++t) target[t] = nan;
  const float* log_mu = scratch.log_mu.data();
  const uint8_t* mark = scratch.mark.data();
  for (int64_t t = plan.launch; t < plan.end; ++t) {
    int64_t y = 0;
    if (mark[t] != kStockout && !cal.closed[t]) {
      const double mu = std::exp(static_cast<double>(log_mu[t]));
      y = rng.negbin(mu, plan.size);
      if (mark[t] == kOutlier) y += static_cast<int64_t>(std::ceil(std::max(mu, 1.0) * rng.uniform(3.0, 10.0)));
    }
    target[t] = static_cast<float>(y);
    st.n_zero += y == 0;
  }
  st.n_observed = plan.end - plan.launch;
  return st;
}

}  // namespace skucast::synth
