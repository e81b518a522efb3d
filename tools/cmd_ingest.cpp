// tools/cmd_ingest.cpp — `skucast ingest`: long CSV → panel file (io/csv_ingest.h).
#include <chrono>
#include <cstdio>

#include "io/atomic_file.h"
#include "io/csv_ingest.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct IngestCli {
  IngestOptions io;
  std::string out;
};

void run_ingest(const IngestCli& o) {
  if (o.out.empty()) throw InputError("ingest: --out is required");
  check_output_path(o.out, "--out", {{"--csv", o.io.csv_path}});
  if (o.io.freq.size()) parse_freq(o.io.freq);  // fail early on a bad --freq
  const auto t0 = std::chrono::steady_clock::now();
  IngestStats st = ingest_csv(o.io, o.out);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& w : st.warnings) std::fprintf(stderr, "skucast: warning: %s\n", w.c_str());
  std::fprintf(stderr, "skucast: ingested %lld rows (%.1f MB) from %s in %.2f s%s → %s\n",
               static_cast<long long>(st.n_rows), st.n_bytes / 1e6, o.io.csv_path.c_str(), secs,
               st.freq_inferred ? " (frequency inferred)" : "", o.out.c_str());
}

}  // namespace

void add_ingest(CLI::App& app) {
  auto opt = std::make_shared<IngestCli>();
  auto* sub = app.add_subcommand("ingest", "Long CSV (id, time, value, covariates) → panel file");
  sub->add_option("--csv", opt->io.csv_path, "input CSV (header row, one row per series and time)")->required();
  sub->add_option("--id-col", opt->io.id_col, "series id column")->capture_default_str();
  sub->add_option("--time-col", opt->io.time_col, "time column (ISO dates or integers)")->capture_default_str();
  sub->add_option("--value-col", opt->io.value_col, "sales column")->capture_default_str();
  sub->add_option("--dynamic", opt->io.dynamic, "dynamic covariate columns, comma-separated")->delimiter(',');
  sub->add_option("--static", opt->io.statics, "static categorical columns, comma-separated")->delimiter(',');
  sub->add_option("--events", opt->io.events,
                  "calendar event flag columns (0/1), comma-separated; 'auto' = every column named event_*")
      ->delimiter(',');
  sub->add_option("--weight-col", opt->io.weight_col, "per-series weight column");
  sub->add_option("--freq", opt->io.freq, "D, W, M, Q, Y or 1 (default: inferred from the times)");
  sub->add_option("--season-length", opt->io.season_length, "season length (default: 7 for D, 52 W, 12 M, 4 Q, 1 Y/1)")
      ->check(at_least(1));
  sub->add_flag("--allow-negative", opt->io.allow_negative, "keep negative sales instead of failing");
  sub->add_flag("--allow-long-axis", opt->io.allow_long_axis,
                "accept a time axis more than 100 times longer than the median series' span (by default such an "
                "axis, usually one mistyped date, is an error naming the row)");
  sub->add_option("--out", opt->out, "output panel file (.h5)")->required();
  sub->callback([opt] { run_ingest(*opt); });
}

}  // namespace skucast::cli
