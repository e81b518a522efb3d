// io/csv_export.h — panel and forecast files → CSV, written atomically (temp + rename).
//
// Panel → the long format that ingest reads (csv_ingest.h):
//   series_id,time,value[,<dynamic>...][,<static>...][,weight][,event_<name>...]
// one row per (series, step) that carries information: an observed value or a known
// covariate; future steps (after the history) have an empty value. Missing cells are empty
// fields. Numbers use the shortest text that reads back to the same float32.
//
// Note [Export round trip]: `skucast export p.h5 --csv p.csv` then
// `skucast ingest --csv p.csv --dynamic <names> --static <names> [--weight-col weight]
//  --events auto --freq <freq> --season-length <n> [--allow-negative]` gives back the same
// panel (ids and their order, target with NaN placement, covariates, statics, weights,
// calendar events, axis).
// To pin the axis, series 0 always has rows at the first and last step, and when no series
// is observed at the last history step, series 0's row there says "NaN" (which ingest
// counts as history). Shared covariates come back per series (same values). Calendar
// events are written as 0/1 columns event_<name> on every row; series 0 then has a row at
// every step, so a flag on a step where no series has data survives too.
#pragma once

#include <cstdint>
#include <string>

namespace skucast {

struct PanelExportOptions {
  std::string id_col = "series_id";
  std::string time_col = "time";
  std::string value_col = "value";
  std::string weight_col = "weight";
};

// Returns the number of data rows written. Throws IoError/InputError; on error nothing is
// written and a file already at csv_path is untouched.
int64_t export_panel_csv(const std::string& panel_path, const std::string& csv_path,
                         const PanelExportOptions& opt = {});

}  // namespace skucast
