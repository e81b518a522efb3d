// tools/cmd_reconcile.cpp — `skucast reconcile`: base forecasts of every series of an aggregated
// panel → coherent forecasts (engine/eval/reconcile.h), in a normal forecast file with the
// base file's series order.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/eval/reconcile.h"
#include "io/atomic_file.h"
#include "io/forecast_file.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct ReconcileCli {
  std::string base, structure, method, out, csv;
  bool nonnegative = false;
};

void run_reconcile(const ReconcileCli& o) {
  std::vector<std::pair<std::string, std::string>> inputs{{"--base", o.base}, {"--structure", o.structure}};
  check_output_path(o.out, "--out", inputs);
  inputs.emplace_back("--out", o.out);
  if (!o.csv.empty()) check_output_path(o.csv, "--csv", inputs);
  ReconcileOptions opt = parse_reconcile_method(o.method);
  opt.nonnegative = o.nonnegative;
  const auto t0 = std::chrono::steady_clock::now();
  const HierarchyStructure h = read_hierarchy(o.structure);
  const ForecastFile base = read_forecast(o.base);
  {
    const PanelReader panel(o.structure);
    const std::vector<std::string>& ids = panel.header().ids;
    if (base.ids.size() != ids.size())
      throw InputError(o.base + " has " + std::to_string(base.ids.size()) + " series, the structure " + o.structure +
                       " has " + std::to_string(ids.size()) + ": forecast the aggregated panel itself (`skucast "
                       "forecast --panel " + o.structure + " ...`)");
    for (size_t i = 0; i < ids.size(); ++i)
      if (base.ids[i] != ids[i])
        throw InputError(o.base + ": series " + std::to_string(i) + " is '" + base.ids[i] + "', but in " +
                         o.structure + " it is '" + ids[i] + "': the base forecast must come from that panel");
  }
  if (needs_residuals(opt.method) && base.residual_steps < 1)
    throw InputError("--method " + method_name(opt) + " needs in-sample one-step residuals, and " + o.base +
                     " has none: forecast with `skucast forecast --panel " + o.structure +
                     " --model ets --residuals ...`");
  // Stage times (read, reconcile, write) go into the last line: at a few thousand series the
  // reading and writing of the files is a third of the command (bench/README.md, hierarchy).
  const auto t1 = std::chrono::steady_clock::now();
  ReconcileInfo info;
  const ForecastFile rec = reconcile_forecast(h, opt, base, &info);
  const auto t2 = std::chrono::steady_clock::now();
  write_forecast(o.out, rec);
  if (!o.csv.empty()) write_forecast_csv(o.csv, rec);
  const auto t3 = std::chrono::steady_clock::now();
  const auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  const double s = secs(t0, t3);
  std::string extra;
  if (info.shrinkage >= 0.0) extra += ", shrinkage " + std::to_string(info.shrinkage);
  if (opt.nonnegative) extra += ", nonnegative (" + std::to_string(info.n_active_sets) + " projections)";
  std::fprintf(stderr,
               "skucast: reconcile %s: %lld aggregate + %lld bottom series × %lld steps%s in %.3f s (read %.3f s, "
               "reconcile %.3f s, write %.3f s) → %s%s%s\n",
               method_name(opt).c_str(), static_cast<long long>(h.n_aggregates), static_cast<long long>(h.n_bottom),
               static_cast<long long>(base.horizon), extra.c_str(), s, secs(t0, t1), secs(t1, t2), secs(t2, t3),
               o.out.c_str(), o.csv.empty() ? "" : ", ", o.csv.c_str());
}

}  // namespace

void add_reconcile(CLI::App& app) {
  auto opt = std::make_shared<ReconcileCli>();
  auto* sub = app.add_subcommand("reconcile",
                                 "Make base forecasts of an aggregated panel coherent (aggregates = sums of their "
                                 "bottom series)");
  sub->add_option("--base", opt->base, "forecast file of the aggregated panel (skucast forecast --panel agg.h5)")
      ->required();
  sub->add_option("--structure", opt->structure, "the aggregated panel (skucast aggregate)")->required();
  sub->add_option("--method", opt->method,
                  "bu (bottom-up), td (top-down, forecast proportions), mo:LEVEL (middle-out from LEVEL), ols, "
                  "wls_struct, wls_var, mint_shrink (MinTrace; wls_var and mint_shrink need forecast --residuals)")
      ->required();
  sub->add_flag("--nonnegative", opt->nonnegative,
                "no negative reconciled forecast (hierarchicalforecast's definition: negative base forecasts set to "
                "0; MinTrace methods solve the non-negative quadratic programme)");
  sub->add_option("--out", opt->out, "reconciled forecast file (.h5), written atomically")->required();
  sub->add_option("--csv", opt->csv, "also write it as CSV (series_id,time,step,mean,q<level>...)");
  sub->callback([opt] { run_reconcile(*opt); });
}

}  // namespace skucast::cli
