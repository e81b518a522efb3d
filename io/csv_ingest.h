// io/csv_ingest.h — long CSV (one row per series and time) → panel.
//
// Input: a header row, then rows `id, time, value[, dynamic...][, static...][, weight]`
// in any column order and any row order. Times are ISO dates (YYYY-MM-DD, optionally
// followed by "T00:00:00" or " 00:00:00") for D/W/M/Q/Y, or integers for frequency 1.
// Without an explicit frequency it is inferred: integers → 1; dates → M/Q/Y when every
// date is the 1st (or every date the last day) of its month, W when all dates are whole
// weeks apart, D otherwise.
//
// Note [Ingest semantics]
// - Series order: order of first appearance in the file. Static levels: sorted (byte order).
// - The axis starts at the earliest time on any row and the history (T steps) ends at the
//   latest time of any row whose value field is not empty. Rows after that with an empty
//   value are the future part: F steps of known dynamic covariates.
// - Cells without a row are NaN (gaps, staggered starts, delisting). An empty value, or a
//   written NaN / Inf / NA, is missing (NaN); written non-finite values are counted and
//   reported as a warning.
// - Static and weight cells may be empty on some rows of a series; the non-empty ones must
//   agree. A series without any static value gets the level "". When a weight column is
//   named, every series needs a (finite) weight on at least one row.
// - A value field that is not empty (even "NaN") marks its time as history, so an exported
//   panel whose last step is all missing still round-trips (csv_export.h).
// - Errors (InputError) name the file, the line and, where it applies, the column.
//
// Note [Two passes]: pass 1 validates every row and collects ids, statics, weights and the
// time range; pass 2 fills the dense [S, T] target and [S, T+F] covariates, on all threads
// (Note [Parallel fill] in csv_ingest.cpp). Memory is the panel plus one bit per cell
// (duplicate detection) plus one read buffer per thread, never the CSV.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/panel.h"

namespace skucast {

struct IngestOptions {
  std::string csv_path;
  std::string id_col = "series_id";
  std::string time_col = "time";
  std::string value_col = "value";
  std::vector<std::string> dynamic;  // covariate columns, stored in this order
  std::vector<std::string> statics;  // categorical columns, stored in this order
  std::string weight_col;            // empty: no weights
  // Calendar event columns: 0/1 flags of the row's time, stored as /calendar/events/<name>
  // with a leading "event_" removed from the column name. {"auto"}: every header column
  // whose name starts with "event_" (what export writes). Rows of one time must agree;
  // times without any row get 0.
  std::vector<std::string> events;
  std::string freq;                  // "D","W","M","Q","Y","1"; empty: infer
  int season_length = 0;             // 0: default for the frequency
  bool allow_negative = false;       // negative sales are an error unless set
  bool allow_long_axis = false;      // accept an axis > 100x the median series' span (Note [Long axis]);
                                     // update: also a long growth of the panel (Note [Long update])
  size_t chunk_bytes = size_t{16} << 20;  // read buffer of pass 1
  size_t split_bytes = size_t{8} << 20;   // pass 2 parses parts of about this size in parallel
};

struct IngestStats {
  int64_t n_rows = 0;          // data rows read
  int64_t n_bytes = 0;         // bytes of CSV read (one pass)
  int64_t n_nonfinite_value = 0;    // NaN/Inf/NA written in the value column
  int64_t n_nonfinite_dynamic = 0;  // ... in dynamic columns
  bool freq_inferred = false;
  // The rows holding the file's latest time and its latest time with a value (line number,
  // time as written), which `update` names when they stretch the panel (Note [Long update]
  // in io/panel_update.cpp).
  int64_t last_time_line = 0, last_value_line = 0;
  std::string last_time_text, last_value_text;
  int64_t first_time_line = 0;  // the row holding the file's earliest time (update: before the panel)
  std::vector<std::string> warnings;  // for the caller to print (io/ never prints)
};

// A whole panel in memory, as write_panel() takes it.
struct PanelData {
  PanelHeader header;
  std::vector<float> target;                // [S, T]
  std::vector<std::vector<float>> dynamic;  // per header.dynamic: [S, T+F]
};

// Reads and validates the CSV. Throws InputError (bad content), IoError (unreadable file).
PanelData read_long_csv(const IngestOptions& opt, IngestStats* stats = nullptr);

// The column names of the CSV's header row, trimmed as read_long_csv matches them (empty for
// an empty file). `update` uses them to default --static and --weight-col to the panel's.
std::vector<std::string> read_csv_header(const std::string& path);

// read_long_csv + write_panel to `out_path` (atomic: on any error nothing is written and
// a file already at out_path is untouched).
IngestStats ingest_csv(const IngestOptions& opt, const std::string& out_path);

}  // namespace skucast
