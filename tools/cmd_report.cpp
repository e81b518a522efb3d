// tools/cmd_report.cpp — `skucast report`: a self-contained HTML page (inline SVG plots) from a
// panel, its forecast and optionally a backtest file (engine/report/report.h), written atomically.
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/report/report.h"
#include "io/atomic_file.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct ReportCli {
  std::string panel, forecast, backtest, ids, out;
  int64_t series = 12, block = 4096;
};

// "a,b , c" → {"a", "b", "c"}; empty entries are an error.
std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> v;
  if (text.empty()) return v;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b == std::string::npos) throw InputError("--ids: empty series id in '" + text + "' (expected e.g. FOODS_1_001,HOBBIES_2_014)");
    v.push_back(item.substr(b, e - b + 1));
  }
  return v;
}

void run_report_cli(const ReportCli& o) {
  check_output_path(o.out, "--out", {{"--panel", o.panel}, {"--forecast", o.forecast}, {"--backtest", o.backtest}});
  ReportOptions ro;
  ro.panel = o.panel;
  ro.forecast = o.forecast;
  ro.backtest = o.backtest;
  ro.n_plots = o.series;
  ro.ids = split_ids(o.ids);
  ro.block = o.block;
  write_report(ro, o.out);
  std::printf("skucast: report → %s\n", o.out.c_str());
}

}  // namespace

void add_report(CLI::App& app) {
  auto opt = std::make_shared<ReportCli>();
  auto* sub = app.add_subcommand("report", "Self-contained HTML report: panel and forecast summary, plots, backtest table");
  sub->add_option("--panel", opt->panel, "panel file (skucast ingest / synth)")->required();
  sub->add_option("--forecast", opt->forecast, "forecast file of that panel (skucast forecast)")->required();
  sub->add_option("--backtest", opt->backtest, "backtest file (skucast backtest --out): model × metric table and histograms");
  sub->add_option("--series", opt->series, "how many series to plot: the top ones by weight, else by total sales")
      ->capture_default_str();
  sub->add_option("--ids", opt->ids, "series ids to plot as well, comma-separated");
  sub->add_option("--block", opt->block, "series per block streamed from the panel")->capture_default_str();
  sub->add_option("--out", opt->out, "HTML file to write")->required();
  sub->callback([opt] { run_report_cli(*opt); });
}

}  // namespace skucast::cli
