// tools/cmd_export.cpp — `skucast export FILE --csv out.csv`: a panel → long CSV in the
// format ingest reads, a forecast file → forecast CSV (io/csv_export.h, io/forecast_file.h).
#include <cstdio>

#include "io/atomic_file.h"
#include "io/csv_export.h"
#include "io/file_kind.h"
#include "io/forecast_file.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

struct ExportCli {
  std::string input;
  std::string csv;
};

void run_export(const ExportCli& o) {
  check_output_path(o.csv, "--csv", {{"FILE", o.input}});
  const std::string format = hdf5_format(o.input);
  if (format == "skucast-panel") {
    const int64_t rows = export_panel_csv(o.input, o.csv);
    std::fprintf(stderr, "skucast: wrote %lld rows to %s\n", static_cast<long long>(rows), o.csv.c_str());
  } else if (format == "skucast-forecast") {
    const ForecastFile fc = read_forecast(o.input);
    write_forecast_csv(o.csv, fc);
    std::fprintf(stderr, "skucast: wrote %zu series x %lld steps to %s\n", fc.ids.size(),
                 static_cast<long long>(fc.horizon), o.csv.c_str());
  } else {
    throw InputError("'" + o.input + "' is neither a skucast panel nor a forecast file (format " +
                     (format.empty() ? std::string("attribute missing") : "'" + format + "'") + ")");
  }
}

}  // namespace

void add_export(CLI::App& app) {
  auto opt = std::make_shared<ExportCli>();
  auto* sub = app.add_subcommand("export", "Panel or forecast file → CSV");
  sub->add_option("file", opt->input, "panel (.h5) or forecast (.h5) file")->required();
  sub->add_option("--csv", opt->csv, "output CSV (written atomically)")->required();
  sub->callback([opt] { run_export(*opt); });
}

}  // namespace skucast::cli
