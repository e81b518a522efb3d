// tools/cmd_merge.cpp — `skucast merge`: joins the forecast files of a sharded run
// (`forecast --shard K/N`, Note [Sharding the catalog] in io/shard.h) into one forecast
// file, in shard order, after checking that they come from one run (Note [Shards of one run]
// in io/forecast_file.h).
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/atomic_file.h"
#include "io/forecast_file.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct MergeCli {
  std::vector<std::string> inputs;
  std::string out, csv;
};

void run_merge(const MergeCli& o) {
  std::vector<std::pair<std::string, std::string>> others;
  for (const std::string& f : o.inputs) others.emplace_back("input", f);
  check_output_path(o.out, "--out", others);
  if (!o.csv.empty()) {
    others.emplace_back("--out", o.out);
    check_output_path(o.csv, "--csv", others);
  }
  std::vector<ForecastFile> parts;
  parts.reserve(o.inputs.size());
  for (const std::string& f : o.inputs) parts.push_back(read_forecast(f));
  std::string note;
  const ForecastFile all = merge_forecasts(parts, o.inputs, &note);  // Note [Shards of one run]
  if (!note.empty()) std::fprintf(stderr, "skucast: merge: note: %s\n", note.c_str());
  write_forecast_outputs(o.out, o.csv, all);  // Note [Output sets]
  std::fprintf(stderr, "skucast: merge: %zu file(s), %zu series x %lld steps (%s) -> %s%s%s\n", parts.size(),
               all.ids.size(), static_cast<long long>(all.horizon), all.model.c_str(), o.out.c_str(),
               o.csv.empty() ? "" : ", ", o.csv.c_str());
}

}  // namespace

void add_merge(CLI::App& app) {
  auto opt = std::make_shared<MergeCli>();
  auto* sub = app.add_subcommand("merge", "Join the forecast files of a sharded run (forecast --shard K/N) into one");
  sub->add_option("files", opt->inputs, "forecast files (.h5), in shard order")->required();
  sub->add_option("--out", opt->out, "merged forecast file (.h5), written atomically")->required();
  sub->add_option("--csv", opt->csv, "also write it as CSV (series_id,time,step,mean,q<level>...)");
  sub->callback([opt] { run_merge(*opt); });
}

}  // namespace skucast::cli
