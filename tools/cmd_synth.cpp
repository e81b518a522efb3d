// tools/cmd_synth.cpp — `skucast synth`: a seeded synthetic M5-like catalog → panel file
// (engine/synth/synth.h).
#include <cstdio>
#include <memory>
#include <string>

#include "engine/synth/synth.h"
#include "io/atomic_file.h"
#include "io/forecast_file.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct SynthCli {
  SynthOptions synth;
  std::string out, expected_out;
};

void run_synth(const SynthCli& o) {
  if (o.out.empty()) throw InputError("synth: --out is required");
  check_output_path(o.out, "--out");
  if (!o.expected_out.empty()) check_output_path(o.expected_out, "--expected-out");
  SynthOptions opt = o.synth;
  if (o.expected_out.empty()) opt.expected_steps = 0;
  ForecastFile expected;
  const SynthSummary s = synth_catalog(opt, o.out, o.expected_out.empty() ? nullptr : &expected);
  if (!o.expected_out.empty()) {
    write_forecast(o.expected_out, expected);
    std::fprintf(stderr, "skucast: synth wrote the expected demand of the last %lld days (origin %lld) → %s\n",
                 static_cast<long long>(expected.horizon), static_cast<long long>(expected.origin),
                 o.expected_out.c_str());
  }
  auto share = [&](int64_t k) { return 100.0 * static_cast<double>(k) / static_cast<double>(s.n_series); };
  std::fprintf(stderr,
               "skucast: synth wrote %lld series × %lld days (+%lld future), %lld items in %lld stores, %lld events; "
               "%.0f%% slow movers (>50%% zero days), %.0f%% launched late, %.0f%% delisted; %.2f s → %s\n",
               static_cast<long long>(s.n_series), static_cast<long long>(s.n_steps),
               static_cast<long long>(s.n_future), static_cast<long long>(s.n_items),
               static_cast<long long>(s.n_stores), static_cast<long long>(s.n_events), share(s.n_slow),
               share(s.n_launched), share(s.n_delisted), s.seconds, o.out.c_str());
}

}  // namespace

void add_synth(CLI::App& app) {
  auto opt = std::make_shared<SynthCli>();
  auto* sub = app.add_subcommand("synth", "Generate a seeded synthetic retail catalog shaped like M5 → panel file");
  sub->add_option("--series", opt->synth.n_series, "number of series S (items × stores)")
      ->required()
      ->check(at_least(1));
  sub->add_option("--days", opt->synth.n_days, "days of history T")->capture_default_str()->check(at_least(1));
  sub->add_option("--horizon", opt->synth.horizon, "future days F of known covariates (price, promo, events)")
      ->capture_default_str()
      ->check(at_least(0));
  sub->add_option("--seed", opt->synth.seed, "random seed; the same seed gives a byte-identical file")
      ->capture_default_str();
  sub->add_option("--start", opt->synth.start, "first day of the axis (ISO date)")->capture_default_str();
  sub->add_option("--deflate", opt->synth.deflate_level, "deflate level 0..9 of the big datasets")
      ->capture_default_str()
      ->check(CLI::Range(0, 9));
  sub->add_option("--out", opt->out, "output panel file (.h5)")->required();
  sub->add_option("--expected-out", opt->expected_out,
                  "also write the generator's expected demand of the last --expected-steps history days as a "
                  "forecast file (model 'expected'; score it with `skucast score`): the floor of any point "
                  "forecast's error");
  opt->synth.expected_steps = 28;
  sub->add_option("--expected-steps", opt->synth.expected_steps, "days of --expected-out (the held-out days)")
      ->capture_default_str()
      ->check(at_least(1));
  sub->callback([opt] { run_synth(*opt); });
}

}  // namespace skucast::cli
