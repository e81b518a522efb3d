// io/forecast_file.h — forecast files (HDF5), written atomically like panels.
//
//   /                          attrs format="skucast-forecast", version=2, model, freq,
//                              start (label of axis position 0), season_length,
//                              origin (axis position of step 1), shard_index, shard_count
//                              (`forecast --shard K/N`: K and N; 0 and 1 for a whole run;
//                              files written before these attributes read as 0/1),
//                              intervals="conformal", calibration_folds K and
//                              conformal_score (raw, scaled or signed: the score that made
//                              them, Note [Conformal scaled scores] in engine/eval/conformal.h)
//                              when the quantiles are conformal (`forecast --intervals
//                              conformal`; absent: the model's own, read as "model", 0 and "";
//                              conformal files written before conformal_score read it as ""),
//                              and conformal_classes (the inputs whose pattern split the pools,
//                              comma-separated, Note [Conformal event classes]; absent: one pool),
//                              run_id (every file a run writes: Note [File format 2] in io/h5.h);
//                              in shard files only (shard_count > 1; Note [Shards of one run]):
//                              panel_run_id, panel_series, panel_ids_crc32, series_begin,
//                              series_end and run_options;
//                              with --csv: csv_name, csv_bytes, csv_crc32 of the CSV written
//                              beside it (Note [Output sets])
//   /series/id                 string  [S]
//   /series/level              string  [S]      optional: each series' hierarchy level, for
//                              forecasts of an aggregated panel (`skucast aggregate`)
//   /forecast/mean             float32 [S, H]
//   /forecast/quantiles        float32 [S, H, Q]   (absent when Q = 0)
//   /forecast/quantile_levels  float64 [Q]
//   /forecast/cumulative_quantiles float32 [S, H, Q]  optional: quantiles of the demand summed
//                              over steps 1..h (Note [Cumulative demand quantiles],
//                              engine/eval/cumulative.h); `skucast plan` reads them at step L+R.
//                              Absent in older files and for models' own intervals
//   /forecast/model_per_series string  [S]      (`forecast --model auto`: each series' model;
//                                               absent otherwise)
//   /forecast/residuals        float32 [S, R]   optional (`forecast --residuals`): in-sample
//                              one-step residuals y_t − ŷ_t|t−1 on the panel's last R = T
//                              steps, NaN where the series was not observed; used by
//                              `reconcile --method wls_var|mint_shrink`
//
// Note [Output sets]
//   `forecast` and `merge` with --out X.h5 --csv X.csv write both under temporary names
//   first (each closed and checked), record the CSV's name, byte size and CRC-32 in the HDF5
//   file, then rename the CSV and last the HDF5 file. A kill or a full disk between the two
//   renames leaves a CSV that does not match the HDF5 file beside it, and `skucast info`
//   (and `info --verify`, which then fails) says so: a mixed set is visible, never silent.
//   The CSV itself stays the plain format `ingest` reads. Every HDF5 file of one run carries
//   the same run_id, so a panel and a model from one `update` can be paired the same way.
//
// Note [Shards of one run]
//   `merge` must join only the shards of one run: a shard of another panel, of the same panel
//   after an `update`, or forecast with other options (--transform, --combine, --select-rule,
//   another checkpoint, ...) has the same model name, axis and horizon, and joining it would
//   give a file that no run wrote, with exit 0. So `forecast --shard K/N` records in its file
//   what identifies the run:
//   - the panel: its run_id (a new one for every file ingest, synth or update writes), its
//     series count S and the CRC-32 of its series ids in order (panel_ids_crc32, which also
//     tells two panels apart when SKUCAST_RUN_ID fixes every run's id);
//   - the shard's slice [series_begin, series_end) of the panel's series;
//   - run_options: one "--flag value" line per option that changes the numbers, resolved to
//     the value used (tools/forecast_output.cpp run_options); options that only change how the
//     run goes (--threads, --block, --device, --gpu-memory, --out, --csv) are left out, so
//     shards may run on different machines and devices. A checkpoint is named by its
//     content (CRC-32 and size), not its path, which may differ between machines.
//   merge_forecasts refuses files whose panel or run_options differ, naming the two files
//   and the difference, and checks that the slices tile 0..S in shard order. The merged file
//   is a whole run and, like one, records none of these (so it stays byte-identical to the
//   unsharded run's file). Files written before shards recorded them merge on the older
//   checks (model, axis, origin, horizon, quantile levels, ...) with a note saying so.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/time_axis.h"

namespace skucast {

inline constexpr int kForecastVersion = 2;  // Note [File format 2] in io/h5.h

struct ForecastFile {
  std::string model;
  TimeAxis axis;
  int64_t origin = 0;               // position on axis of forecast step 1
  int64_t horizon = 0;              // H
  std::vector<std::string> ids;     // [S]
  std::vector<std::string> series_level;  // [S] or empty: hierarchy level of each series
  std::vector<float> mean;          // [S, H]
  std::vector<double> levels;       // [Q]
  std::vector<float> quantiles;     // [S, H, Q]
  std::vector<float> cumulative_quantiles;  // [S, H, Q] or empty: of the sum over steps 1..h
  int64_t shard_index = 0, shard_count = 1;  // shard K of N (Note [Sharding the catalog] in io/shard.h)
  // A shard's run (Note [Shards of one run]); stored only when shard_count > 1. panel_series 0:
  // not recorded (whole runs, merged files, shard files from before these were recorded).
  std::string panel_run_id;         // the panel file's run_id; "" when it has none
  int64_t panel_series = 0;         // S of the whole panel
  uint32_t panel_ids_crc32 = 0;     // CRC-32 of the panel's series ids (ids_crc32)
  int64_t series_begin = 0, series_end = 0;  // this shard's slice [begin, end) of the panel's series
  std::string run_options;          // "--flag value" lines: the options that change the numbers
  std::string intervals = "model";  // "model" or "conformal" (engine/eval/conformal.h)
  int64_t calibration_folds = 0;    // K folds behind conformal quantiles; 0 for "model"
  std::string conformal_score;      // "raw", "scaled" or "signed" behind conformal quantiles; "" for
                                    // "model" and for conformal files from before it was recorded
  std::string conformal_classes;    // "feat,deal": the event classes' inputs; "": one pool
  std::vector<std::string> model_per_series;  // [S] `--model auto`: each series' model; else empty
  // lstm/gru, alone or as an ensemble's member or auto's candidate: the recent-bias correction's
  // persistence alpha and its W steps (Note [Recent bias correction] in engine/deepar/residuals.cpp);
  // -1 / 0: none. bias_note (not stored): why none.
  double bias_correction = -1.0;
  int64_t bias_steps = 0;
  std::string bias_note;
  // Read from a file (written files get the run's own id and their CSV's stamp):
  std::string run_id;                          // "" for files without one
  std::string csv_name;                        // Note [Output sets]; "" when none was written
  int64_t csv_bytes = 0;
  uint32_t csv_crc32 = 0;
  int64_t residual_steps = 0;       // R; 0 when the file has no residuals
  std::vector<float> residuals;     // [S, R]
};

class AtomicPath;  // io/atomic_file.h

// CRC-32 of series ids in order, each followed by a NUL (Note [Shards of one run]).
uint32_t ids_crc32(const std::vector<std::string>& ids);
// CRC-32 of a file's bytes, and their count in *bytes; IoError naming the path when it cannot be read.
uint32_t file_crc32(const std::string& path, uint64_t* bytes);
class CsvWriter;   // io/csv_writer.h

// Joins the shards of one run (Note [Sharding the catalog] in io/shard.h) in shard order,
// whatever order they are given in. They must agree on the model, time axis, origin, horizon,
// quantile levels and shard count N, form the complete set 0..N-1 of shards, each once, and no
// series id may appear twice; files that record their run (Note [Shards of one run]) must also
// come from one panel with the same run_options, their slices tiling the panel's series.
// InputError names the file (names[i]) and what differs, or the missing shard, otherwise. The
// result is a whole run (shard 0/1). *note (when given) is set to a sentence when some files
// do not record their run and were checked the older way; "" otherwise.
ForecastFile merge_forecasts(const std::vector<ForecastFile>& parts, const std::vector<std::string>& names,
                             std::string* note = nullptr);

void write_forecast(const std::string& path, const ForecastFile& fc);
ForecastFile read_forecast(const std::string& path);

// The forecast file at `out` and, when `csv` is not empty, its CSV, committed as a set
// (Note [Output sets]).
void write_forecast_outputs(const std::string& out, const std::string& csv, const ForecastFile& fc);

// Whether the CSV recorded in a forecast file (read from `h5_path`) is the one beside it:
// "" when the file records none; otherwise a sentence ("fc.csv matches", "fc.csv is missing",
// "fc.csv does not match ... a mixed set"); *mismatch is set for a CSV that exists and differs.
std::string check_csv_companion(const std::string& h5_path, const ForecastFile& fc, bool* mismatch);

// CSV columns: series_id,time,step,mean,q<level>... (DESIGN.md), then `model` when the file has
// a model per series (`--model auto`), then `level` when it has series_level (an aggregated
// panel's). Written atomically.
void write_forecast_csv(const std::string& path, const ForecastFile& fc);
// The same CSV written and closed under its temporary name, not yet renamed (defined in io/csv_export.cpp).
std::unique_ptr<CsvWriter> write_forecast_csv_closed(const std::string& path, const ForecastFile& fc);

// Note [Forecast CSVs read back]
//   `skucast score --forecast fc.csv` scores a forecast CSV as it scores a forecast file: one
//   that skucast wrote, or another tool's (a peer's, a planner's spreadsheet) in the same
//   columns. Required: series_id, step (1..H) and mean; optional: q<level> columns (levels in
//   (0, 1), in any order), time, and skucast's own model and level columns (read and ignored);
//   any other column is an error, so a misspelt quantile column is not silently dropped. The
//   CSV carries no frequency: its times are read on the panel's axis (`axis`), and the origin
//   (the time of step 1) comes from the time column, every row's time being step - 1 steps after
//   it, or from origin_label (`--origin`) when the file has no time column (with both, they
//   must agree). Every series needs a row for each step 1..H once, H the largest step in the
//   file, and every mean and quantile must be a finite number: an InputError names the file,
//   line, series and value otherwise. The result has the file's name as its model and no
//   residuals. Defined in io/forecast_csv.cpp.
ForecastFile read_forecast_csv(const std::string& path, const TimeAxis& axis, const std::string& origin_label = "");

}  // namespace skucast
