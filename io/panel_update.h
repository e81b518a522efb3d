// io/panel_update.h — the nightly increment: merge a long CSV of new rows (yesterday's sales,
// restated values, new series, covariates of the coming days) into an existing panel.
//
// Note [Panel update semantics]
// - The CSV is read exactly as `skucast ingest` reads it (io/csv_ingest.h), on the panel's
//   frequency and season length. Its times must lie on the panel's axis, at or after its start.
// - Axis: the history grows to the later of the panel's last step and the CSV's last step
//   with a value; known covariates grow to the later of both ends of the future part.
//   An update that would grow the history (or the known future) by more than max(half the old
//   history, about a quarter of a year of steps) is refused as a mistyped date, naming the CSV
//   line, unless allow_long_axis is set (Note [Long update] in panel_update.cpp).
// - Series: the panel's series keep their order and positions; ids new to the panel are
//   appended in order of first appearance in the CSV (their earlier steps are NaN).
// - Target: a finite CSV value overwrites the cell (new day or restatement; restated cells
//   whose value changed are counted). Cells without a CSV value keep the panel's value, so
//   an update never erases history. Steps that were future and now are history start NaN.
// - Dynamic covariates: the CSV must carry every dynamic covariate of the panel (it supplies
//   the new steps); it cannot add new ones. Per-series covariates overwrite per cell where the
//   CSV has a finite value. A shared covariate ([T+F]) takes, per step, the CSV's value; the
//   series of one step must agree or the update fails naming the step and two series.
// - Events: the CSV's event flags are OR-ed into the panel's over the CSV's span; event
//   names new to the panel are added (0 before). 
// - Statics: existing series keep their codes and the panel's levels keep their order (so
//   a model's embeddings stay valid); levels new to the panel are appended. A CSV static
//   value that differs from the panel's for an existing series is ignored and counted as a
//   warning. New series without a static value get the level "". The CSV cannot add a
//   static attribute. Without statics named, every panel attribute that is a column of the
//   CSV is read (Note [Update column defaults] in panel_update.cpp).
// - Weights: a CSV weight column overwrites the weights of the series it names; new series
//   without a weight in a weighted panel get 0 (excluded from weighted metrics), with a warning.
//   Without a weight column named, a weighted panel reads the CSV's "weight" column if it has
//   one (the name export writes).
// - Memory: the CSV's panel is held in memory (an increment is small); the old panel is
//   streamed in blocks of series into the new one, so memory does not grow with S x T.
// - Safety: the result is written atomically (io/atomic_file) — to the panel's own path by
//   default; on any error the panel on disk is untouched.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/csv_ingest.h"

namespace skucast {

class AtomicPath;  // io/atomic_file.h

struct UpdateStats {
  IngestStats csv;                 // what reading the CSV found
  int64_t old_series = 0, new_series = 0;
  int64_t old_steps = 0, new_steps = 0;    // T before and after
  int64_t old_future = 0, new_future = 0;  // F before and after
  int64_t cells_written = 0;      // finite target cells taken from the CSV
  int64_t cells_restated = 0;     // ... of which replaced a different finite value
  std::vector<std::string> warnings;
};

// Merges the CSV described by `csv` (its freq and season_length are taken from the panel;
// dynamic defaults to the panel's covariates, statics and weight_col to the panel's attributes
// and weight where the CSV has such columns, events to "auto") into the panel at
// `panel_path` and writes the result to `out_path` (may equal panel_path). Throws
// InputError naming the file, series, step or column on bad input; nothing is written then.
// `check` (optional) sees the merged header before anything is written and may throw to
// refuse it (`update --checkpoint` checks that the model can still read the panel).
// `uncommitted` (optional): the written panel is closed but not renamed, and its temporary
// is handed out for the caller to commit (Note [Output sets] in io/forecast_file.h).
UpdateStats update_panel(const std::string& panel_path, IngestOptions csv, const std::string& out_path,
                         const std::function<void(const PanelHeader&)>& check = {},
                         std::unique_ptr<AtomicPath>* uncommitted = nullptr);

}  // namespace skucast
