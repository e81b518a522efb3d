// engine/synth/synth.cpp — `skucast synth`: builds the header of a synthetic M5-like catalog and
// streams its series to a panel file in blocks (see engine/synth/synth.h).
//
// Two passes over the series, both OpenMP over series with per-series random streams:
//   1. plans only (prices, promotions, expected demand) → /series/weight, which the panel
//      writer needs in the header before any block is written;
//   2. per block of series (a multiple of the writer's chunk rows): plan + counts into
//      block buffers, then write /target, /dynamic/price and /dynamic/promo for the block.
// Memory is the header (ids, statics, weights: O(S)) plus one block of target, price and
// promo rows, independent of S×T.
#include "engine/synth/synth.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "engine/stat/normal.h"
#include "engine/synth/internal.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "io/time_axis.h"
#include "kernels/common.hpp"

namespace skucast {

using namespace synth;

void SynthOptions::validate() const {
  if (n_series < 1) throw InputError("synth: --series must be >= 1, got " + std::to_string(n_series));
  if (n_days < 1) throw InputError("synth: --days must be >= 1, got " + std::to_string(n_days));
  if (horizon < 0) throw InputError("synth: --horizon must be >= 0, got " + std::to_string(horizon));
  if (deflate_level < 0 || deflate_level > 9)
    throw InputError("synth: deflate level must be in 0..9, got " + std::to_string(deflate_level));
  if (block_rows < 0) throw InputError("synth: block rows must be >= 0, got " + std::to_string(block_rows));
  if (expected_steps < 0 || expected_steps > n_days)
    throw InputError("synth: --expected-steps must be in 0.." + std::to_string(n_days) + " (--days), got " +
                     std::to_string(expected_steps));
  int64_t y;
  unsigned m, d;
  if (!parse_iso_date(start, y, m, d) || y < 1900 || y > 2099)
    throw InputError("synth: --start must be an ISO date (YYYY-MM-DD) between 1900 and 2099, got '" + start + "'");
  // Compared with the room left before 2100, not summed: --days and --horizon may be anything.
  const int64_t room = days_from_civil(2100, 1, 1) - days_from_civil(y, m, d);
  if (n_days > room || horizon > room - n_days)
    throw InputError("synth: the axis must end before 2100 (moving holidays are computed for 1900-2099); got " +
                     std::to_string(n_days) + " + " + std::to_string(horizon) + " days from " + start);
  if (n_series > std::numeric_limits<int64_t>::max() / (n_days + horizon))  // S x (T+F) cells
    throw InputError("synth: --series " + std::to_string(n_series) + " x " + std::to_string(n_days + horizon) +
                     " days is more cells than a panel can index");
}

namespace {

// The smallest k with P(Y <= k) >= q for Y ~ NB(mean mu, size r) (variance mu + mu²/r), by
// summing the probabilities from k = 0 (the mass is near mu, which is rarely above a few
// hundred units a day); a normal approximation where the start underflows.
float negbin_quantile(double mu, double r, double q) {
  if (!(mu > 0.0)) return 0.0f;
  const double odds = mu / (r + mu);
  double p = std::exp(r * std::log(r / (r + mu)));  // P(Y = 0)
  if (!(p > 1e-300)) {
    const double sd = std::sqrt(mu + mu * mu / r);
    return static_cast<float>(std::max(0.0, std::round(mu + inverse_normal_cdf(q) * sd)));
  }
  double cdf = p;
  int64_t k = 0;
  while (cdf < q && k < 100000000) {
    p *= (static_cast<double>(k) + r) / static_cast<double>(k + 1) * odds;
    cdf += p;
    ++k;
  }
  return static_cast<float>(k);
}

// The header: axis, ids, statics, weights, dynamic specs and events.
PanelHeader make_header(const SynthOptions& opt, const SynthCalendar& cal, const Hierarchy& hier,
                        std::vector<float> weights) {
  PanelHeader hd;
  hd.axis.freq = Freq::Day;
  hd.axis.start = cal.start;
  hd.axis.season_length = 7;
  hd.n_steps = opt.n_days;
  hd.n_future = opt.horizon;
  hd.ids.resize(static_cast<size_t>(opt.n_series));
  for (int64_t i = 0; i < opt.n_series; ++i) hd.ids[i] = hier.series_id(i);
  hd.statics = make_statics(hier);
  hd.weights = std::move(weights);
  hd.dynamic = {{"price", true}, {"promo", true}};
  for (int s = 0; s < kNumStates; ++s) hd.dynamic.push_back({std::string("snap_") + state_name(s), false});
  hd.events = cal.events;
  return hd;
}

}  // namespace

SynthSummary synth_catalog(const SynthOptions& opt, const std::string& out_path, ForecastFile* expected) {
  opt.validate();
  const auto t_begin = std::chrono::steady_clock::now();
  int64_t y;
  unsigned m, d;
  parse_iso_date(opt.start, y, m, d);
  const int64_t S = opt.n_series, T = opt.n_days, TF = opt.n_days + opt.horizon;

  const SynthCalendar cal = build_calendar(days_from_civil(y, m, d), T, opt.horizon);
  const Hierarchy hier = build_hierarchy(S);
  std::vector<StoreParams> stores(static_cast<size_t>(hier.n_stores));
  for (int64_t s = 0; s < hier.n_stores; ++s) stores[s] = draw_store(opt.seed, s, T, TF);
  SeriesContext ctx;
  ctx.seed = opt.seed;
  ctx.cal = &cal;
  ctx.hier = &hier;
  ctx.stores = &stores;

  // ---- pass 1: weights from the plans.
  std::vector<float> weights(static_cast<size_t>(S));  // [S]
#pragma omp parallel
  {
    std::vector<float> price(static_cast<size_t>(TF)), promo(static_cast<size_t>(TF));  // [T+F]
    SeriesScratch scratch;
    scratch.log_mu.resize(static_cast<size_t>(TF));
    scratch.mark.resize(static_cast<size_t>(T));
#pragma omp for schedule(dynamic, 64)
    for (int64_t i = 0; i < S; ++i) {
      const SeriesPlan plan = plan_series(ctx, i, price.data(), promo.data(), scratch);
      weights[i] = static_cast<float>(expected_dollar_sales(ctx, plan, price.data(), scratch));
    }
  }

  PanelHeader header = make_header(opt, cal, hier, std::move(weights));
  // Note [Expected demand] in engine/synth/synth.h.
  const int64_t EH = expected ? opt.expected_steps : 0;
  if (EH > 0) {
    ForecastFile& e = *expected;
    e = ForecastFile{};
    e.model = "expected";
    e.axis = header.axis;
    e.origin = T - EH;
    e.horizon = EH;
    e.ids = header.ids;
    e.levels = {0.1, 0.5, 0.9};
    e.mean.assign(static_cast<size_t>(checked_mul(S, EH)), std::numeric_limits<float>::quiet_NaN());
    e.quantiles.assign(static_cast<size_t>(checked_mul(checked_mul(S, EH), 3)),
                       std::numeric_limits<float>::quiet_NaN());
  }
  PanelWriter writer(out_path, std::move(header), opt.deflate_level);
  for (int s = 0; s < kNumStates; ++s) writer.write_dynamic_shared(std::string("snap_") + state_name(s), cal.snap[s].data());

  // ---- pass 2: blocks of whole chunks, so the writer can compress them in parallel.
  const int64_t cr = std::max<int64_t>(1, writer.chunk_rows());
  const int64_t want = opt.block_rows > 0 ? opt.block_rows : 1024;
  const int64_t block = cr * std::max<int64_t>(1, (want + cr / 2) / cr);
  const int64_t rows = std::min(block, S);
  std::vector<float> target(static_cast<size_t>(checked_mul(rows, T)));   // [B, T]
  std::vector<float> price(static_cast<size_t>(checked_mul(rows, TF)));   // [B, T+F]
  std::vector<float> promo(static_cast<size_t>(checked_mul(rows, TF)));   // [B, T+F]
  SynthSummary sum;
  for (int64_t i0 = 0; i0 < S; i0 += block) {
    const int64_t n = std::min(block, S - i0);
    int64_t n_slow = 0, n_launched = 0, n_delisted = 0;
#pragma omp parallel reduction(+ : n_slow, n_launched, n_delisted)
    {
      SeriesScratch scratch;
      scratch.log_mu.resize(static_cast<size_t>(TF));
      scratch.mark.resize(static_cast<size_t>(T));
#pragma omp for schedule(dynamic, 16)
      for (int64_t r = 0; r < n; ++r) {
        const int64_t i = i0 + r;
        const SeriesPlan plan = plan_series(ctx, i, price.data() + r * TF, promo.data() + r * TF, scratch);
        const SeriesStats st = sample_series(ctx, i, plan, scratch, target.data() + r * T);
        for (int64_t h = 0; h < EH; ++h) {
          const int64_t t = T - EH + h;
          if (t < plan.launch || t >= plan.end) continue;
          const double mu = cal.closed[t] ? 0.0 : std::exp(static_cast<double>(scratch.log_mu[t]));
          expected->mean[i * EH + h] = static_cast<float>(mu);
          for (int q = 0; q < 3; ++q)
            expected->quantiles[(i * EH + h) * 3 + q] = negbin_quantile(mu, plan.size, expected->levels[q]);
        }
        n_slow += 2 * st.n_zero > st.n_observed;
        n_launched += plan.launch > 0;
        n_delisted += plan.end < T;
      }
    }
    sum.n_slow += n_slow;
    sum.n_launched += n_launched;
    sum.n_delisted += n_delisted;
    writer.write_target(i0, n, target.data());
    writer.write_dynamic("price", i0, n, price.data());
    writer.write_dynamic("promo", i0, n, promo.data());
  }
  writer.commit();

  sum.n_series = S;
  sum.n_steps = T;
  sum.n_future = opt.horizon;
  sum.n_items = hier.n_items();
  sum.n_stores = hier.n_stores;
  sum.n_events = static_cast<int64_t>(cal.events.size());
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_begin).count();
  return sum;
}

}  // namespace skucast
