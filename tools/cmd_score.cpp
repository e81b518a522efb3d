// tools/cmd_score.cpp — `skucast score --forecast fc.h5|fc.csv [--origin TIME] --panel panel.h5
// [--csv per_series.csv] [--summary summary.csv]`: yesterday's forecast against the actuals the
// panel has gained since (Note [Scoring a forecast] in engine/eval/score.h); no model is refitted.
// A forecast CSV, skucast's or another tool's, is read by Note [Forecast CSVs read back]
// (io/forecast_file.h).
#include <cctype>
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
  std::string forecast, panel, csv, summary, origin;
};

bool is_csv_name(const std::string& path) {
  if (path.size() < 4) return false;
  std::string ext = path.substr(path.size() - 4);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".csv";
}

void run_score(const ScoreCli& o) {
  if (!o.csv.empty()) check_output_path(o.csv, "--csv", {{"--forecast", o.forecast}, {"--panel", o.panel}});
  if (!o.summary.empty())
    check_output_path(o.summary, "--summary", {{"--forecast", o.forecast}, {"--panel", o.panel}, {"--csv", o.csv}});
  const bool from_csv = is_csv_name(o.forecast);
  if (!from_csv && !o.origin.empty())
    throw InputError("--origin goes with a forecast CSV (a forecast file records its origin): " + o.forecast);
  const auto t0 = std::chrono::steady_clock::now();
  const PanelReader panel(o.panel);
  const ForecastFile fc =
      from_csv ? read_forecast_csv(o.forecast, panel.header().axis, o.origin) : read_forecast(o.forecast);
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
  sub->add_option("--forecast", o->forecast,
                  "forecast file (.h5) written before the new days arrived, or a forecast CSV (a name ending in .csv: "
                  "series_id, step, mean, optional time and q<level> columns; skucast's or another tool's)")
      ->required();
  sub->add_option("--origin", o->origin,
                  "a forecast CSV without a time column: the time of its step 1 on the panel's axis");
  sub->add_option("--panel", o->panel, "the panel, updated with the days since the forecast's origin")->required();
  sub->add_option("--csv", o->csv, "per-series metrics (series_id, then one column per metric)");
  sub->add_option("--summary", o->summary, "one row: model, steps scored, observed cells, the mean of each metric, wrmsse");
  sub->callback([o] { run_score(*o); });
}

}  // namespace skucast::cli
