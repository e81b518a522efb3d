// tools/cmd_aggregate.cpp — `skucast aggregate`: a panel → the panel of every aggregate series
// of the given levels plus the bottom series, with the summing structure under /hierarchy
// (engine/eval/hierarchy.h, io/hierarchy_file.h).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "engine/eval/hierarchy.h"
#include "io/atomic_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct AggregateCli {
  std::string panel, levels, out;
  int64_t block = 4096;
};

void run_aggregate(const AggregateCli& o) {
  check_output_path(o.out, "--out", {{"--panel", o.panel}});
  if (o.block < 1) throw InputError("--block must be at least 1, got " + std::to_string(o.block));
  const auto t0 = std::chrono::steady_clock::now();
  const PanelReader reader(o.panel);
  const std::vector<HierLevel> levels = parse_hier_levels(o.levels, reader.header(), o.panel);
  const AggregateStats st = aggregate_panel(reader, levels, bottom_level_name(o.levels), o.out, o.block);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "skucast: aggregate: %lld levels, %lld aggregate + %lld bottom series in %.3f s → %s\n",
               static_cast<long long>(st.n_levels), static_cast<long long>(st.n_aggregates),
               static_cast<long long>(st.n_bottom), s, o.out.c_str());
}

}  // namespace

void add_aggregate(CLI::App& app) {
  auto opt = std::make_shared<AggregateCli>();
  auto* sub = app.add_subcommand("aggregate",
                                 "Sum a panel's series to every level of a hierarchy (from its static attributes); "
                                 "the output panel holds the aggregates then the bottom series, and the summing "
                                 "structure for `skucast reconcile`");
  sub->add_option("--panel", opt->panel, "panel file (skucast ingest / synth)")->required();
  sub->add_option("--levels", opt->levels,
                  "levels separated by ';', each 'total' or static attributes joined by '*' "
                  "(\"total;store;brand;store*brand\"), or m5 for M5's twelve levels (total; state; store; cat; dept; "
                  "state*cat; state*dept; store*cat; store*dept; item; item*state; item*store = the panel's series)")
      ->required();
  sub->add_option("--block", opt->block, "series per block read from the panel")->capture_default_str();
  sub->add_option("--out", opt->out, "aggregated panel file (.h5), written atomically")->required();
  sub->callback([opt] { run_aggregate(*opt); });
}

}  // namespace skucast::cli
