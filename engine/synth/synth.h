// engine/synth/synth.h — `skucast synth`: a seeded generator of retail catalogs shaped like the
// M5 competition's Walmart data, written as a panel file (io/panel.h).
//
// What it generates (see Note [Synthetic demand model] in engine/synth/series.cpp):
//   - hierarchy state → store → category → department → item (3 states, up to 10 stores,
//     3 categories, 7 departments, ceil(S / stores) items), ids like "FOODS_3_090_CA_1";
//   - a daily axis of T days (default 1,941 from 2011-01-29) plus F future days of known
//     covariates (price, promo, SNAP days, events);
//   - demand = level × weekly(category) × yearly(category) × trend × events
//              × (price / regular price)^(-elasticity) × promo uplift × post-promo dip,
//     × store traffic (AR(1) shocks, occasional level shifts), counts drawn as negative
//     binomial; stock-outs (runs of zeros), rare outliers, launches (leading NaN) and
//     delistings (trailing NaN);
//   - /series/weight = expected dollar sales over the last 28 listed days of each series.
//
// Determinism: every random draw comes from a counter-based stream keyed by (seed, what,
// index), never from the thread that draws it, so the same options give a byte-identical
// file on any number of threads. Memory is bounded by two blocks of series.
#pragma once

#include <cstdint>
#include <string>

namespace skucast {

struct SynthOptions {
  int64_t n_series = 0;              // S, >= 1
  int64_t n_days = 1941;             // T, history length, >= 1
  int64_t horizon = 28;              // F, future steps of known covariates, >= 0
  uint64_t seed = 42;
  std::string start = "2011-01-29";  // ISO date of position 0
  int deflate_level = 1;             // 0..9 for /target and per-series /dynamic
  int64_t block_rows = 0;            // series per generated block; 0 = automatic (about 1,024,
                                     // a multiple of the writer's chunk rows)
  // Note [Expected demand]: > 0 asks synth_catalog for the expected demand of the last
  // expected_steps history days (0..n_days).
  int64_t expected_steps = 0;
  // Throws InputError naming the bad option, what was expected and what was received.
  void validate() const;
};

struct SynthSummary {
  int64_t n_series = 0, n_steps = 0, n_future = 0;
  int64_t n_items = 0, n_stores = 0, n_events = 0;
  int64_t n_slow = 0;        // series with more than 50 % zero days among observed days
  int64_t n_launched = 0;    // series with leading NaN (launched after day 0)
  int64_t n_delisted = 0;    // series with trailing NaN
  double seconds = 0.0;      // wall time of generate + write
};

struct ForecastFile;  // io/forecast_file.h

// Note [Expected demand]
//   What no forecaster can beat on average: the generator's own expected demand μ_t (the
//   mean of the negative binomial it draws from, with every shock, price and promotion of
//   the day known, 0 on closed days) for the last `expected_steps` days of the history, as a
//   forecast file from origin T - expected_steps (model "expected": mean μ_t, quantiles
//   0.1, 0.5, 0.9 of NB(μ_t, size)), which `skucast score` scores against the panel like any
//   forecast. It does not know the stock-outs and outliers of those days. The mean
//   minimises the expected squared error, so its RMSSE is the floor of any point forecast's
//   (bench/deepar_synth.sh prints it beside the models). NaN where the series is not listed.

// Generates the catalog and writes it to `out_path` (temporary name, renamed on success);
// with options.expected_steps > 0 and `expected` given, fills it (Note [Expected demand]).
// Throws InputError on bad options, IoError when the file cannot be written.
SynthSummary synth_catalog(const SynthOptions& options, const std::string& out_path,
                           ForecastFile* expected = nullptr);

}  // namespace skucast
