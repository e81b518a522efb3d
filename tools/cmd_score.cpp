// tools/cmd_score.cpp — `skucast score --forecast fc.h5 --panel panel.h5 [--csv per_series.csv]
// [--summary summary.csv]`: yesterday's forecast against the actuals the panel has gained since
// (Note [Scoring a forecast] in engine/eval/score.h); no model is refitted.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "engine/eval/score.h"
#include "io/atomic_file.h"
#include "io/csv_writer.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct ScoreCli {
  std::string forecast, panel, csv, summary;
};

void run_score(const ScoreCli& o) {
  if (!o.csv.empty()) check_output_path(o.csv, "--csv", {{"--forecast", o.forecast}, {"--panel", o.panel}});
  if (!o.summary.empty())
    check_output_path(o.summary, "--summary", {{"--forecast", o.forecast}, {"--panel", o.panel}, {"--csv", o.csv}});
  const auto t0 = std::chrono::steady_clock::now();
  const ForecastFile fc = read_forecast(o.forecast);
  const PanelReader panel(o.panel);
  const ScoreResult r = score_forecast(fc, o.forecast, panel);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int M = r.layout.size();
  if (!o.csv.empty()) {
    CsvWriter w(o.csv);
    w.raw("series_id");
    for (const auto& n : r.layout.names) w.raw(n);
    w.end_row();
    for (int64_t k = 0; k < r.n_series; ++k) {
      w.text(fc.ids[k]);
      for (int c = 0; c < M; ++c) w.number(r.values[k * M + c]);
      w.end_row();
    }
    w.commit();
  }
  if (!o.summary.empty()) {
    CsvWriter w(o.summary);
    w.raw("model");
    w.raw("steps");
    w.raw("cells");
    for (const auto& n : r.summary_names) w.raw(n);
    w.end_row();
    w.text(fc.model);
    w.integer(r.steps_available);
    w.integer(r.cells_observed);
    for (double v : r.summary) w.number(v);
    w.end_row();
    w.commit();
  }
  std::printf("forecast %s (%s): %lld series, steps %s .. %s scored (%lld of %lld), %lld observed actual values\n",
              o.forecast.c_str(), fc.model.c_str(), static_cast<long long>(r.n_series),
              fc.axis.label(fc.origin).c_str(), fc.axis.label(fc.origin + r.steps_available - 1).c_str(),
              static_cast<long long>(r.steps_available), static_cast<long long>(fc.horizon),
              static_cast<long long>(r.cells_observed));
  for (size_t c = 0; c < r.summary.size(); ++c)
    std::printf("  %-8s %10.4f   (%lld series)\n", r.summary_names[c].c_str(), r.summary[c],
                static_cast<long long>(r.summary_n[c]));
  std::fprintf(stderr, "skucast: score: %.2f s%s%s%s%s\n", secs, o.csv.empty() ? "" : " → ", o.csv.c_str(),
               o.summary.empty() ? "" : ", ", o.summary.c_str());
}

}  // namespace

void add_score(CLI::App& app) {
  auto o = std::make_shared<ScoreCli>();
  auto* sub = app.add_subcommand(
      "score", "Score a forecast file against the actuals its panel has gained since (no refits): the nightly check");
  sub->add_option("--forecast", o->forecast, "forecast file (.h5) written before the new days arrived")->required();
  sub->add_option("--panel", o->panel, "the panel, updated with the days since the forecast's origin")->required();
  sub->add_option("--csv", o->csv, "per-series metrics (series_id, then one column per metric)");
  sub->add_option("--summary", o->summary, "one row: model, steps scored, observed cells, the mean of each metric, wrmsse");
  sub->callback([o] { run_score(*o); });
}

}  // namespace skucast::cli
