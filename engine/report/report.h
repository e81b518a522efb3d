// engine/report/report.h — `skucast report`: one self-contained HTML page for a planner, built from
// a panel, a forecast and optionally a backtest file.
//
// Sections: panel summary (series, steps, frequency, date range, missing / zero shares,
// statics, covariates, events), forecast summary (model, horizon, quantile levels, origin),
// inline SVG plots (engine/report/svg_plot.h) — the total over all series first, then the chosen
// series — and, with a backtest file (engine/eval/backtest.h write_backtest_h5), the model ×
// metric table with the best value per column highlighted and per-model histograms of the
// per-series MASE (or RMSSE); when the backtest file has /levels (`backtest --levels` or
// `--reconcile`, Note [Scoring by level] in engine/eval/backtest.h), the WRMSSE of every level
// and model, every metric by level, and the total series' last fold (actuals, each model's
// mean and outermost quantile band). On an aggregated panel (/hierarchy) the total plot sums
// the bottom series only.
//
// Memory: the panel is streamed in blocks of series (PanelReader::read_target); only the
// plotted series are read whole. The forecast file is read whole (S × H × Q).
// Output is deterministic: no clock, no host name, fixed number formatting.
// All text from the inputs (series ids, model and level names, paths) is HTML-escaped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace skucast {

struct ReportOptions {
  std::string panel;                 // panel file (io/panel.h)
  std::string forecast;              // forecast file (io/forecast_file.h)
  std::string backtest;              // backtest file (engine/eval/backtest.h); empty = none
  int64_t n_plots = 12;              // top series to plot: by /series/weight, else by total sales
  std::vector<std::string> ids;      // series plotted in addition to the top ones
  int64_t block = 4096;              // series per block streamed from the panel
};

// Builds the HTML page. Throws InputError for bad input (a missing or wrong-kind file,
// forecast ids that do not match the panel's, horizon 0, an unknown --ids entry), naming
// the file; IoError when a file cannot be read.
std::string build_report_html(const ReportOptions& opt);

// build_report_html, then writes `out` atomically (io/atomic_file.h): on any error no file
// appears under `out` and an existing one is left as it was.
void write_report(const ReportOptions& opt, const std::string& out);

}  // namespace skucast
