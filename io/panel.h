// io/panel.h — the panel file (HDF5): one catalog of S series on one time axis.
//
// Layout (DESIGN.md "The panel file"):
//   /                      attrs format="skucast-panel", version=2, freq, start, season_length,
//                          n_future (F)
//   /target                float32 [S, T]     NaN = not observed; chunked by series blocks,
//                                             shuffle + deflate
//   /series/id             string  [S]        unique identifiers
//   /series/static/<name>  int32   [S]        codes, with <name>_levels string [K]
//   /series/weight         float32 [S]        optional
//   /dynamic/<name>        float32 [S, T+F] or [T+F]  known covariates
//   /calendar/events/<name> uint8  [T+F]
//
// Files are written under a temporary name in the same folder and renamed into place by
// commit(); a writer destroyed without commit() removes its temporary file. Object
// timestamps are off, so the same inputs give byte-identical files.
// Readers stream blocks of series [i0, i1): memory is bounded by the block, not S×T.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/time_axis.h"

namespace skucast {

class AtomicPath;  // io/atomic_file.h

inline constexpr int kPanelVersion = 2;  // Note [File format 2] in io/h5.h
// The longest time axis (T+F steps) a panel may have: 2^27 steps, 367,000 years of days.
// Longer spans come from a wrong time column (ingest says so) or a damaged file; forecast
// horizons are held to it too.
inline constexpr int64_t kMaxPanelSteps = int64_t{1} << 27;
// Note [Largest panel value]
//   Target and covariate values must be at most kMaxPanelValue (1e30) in magnitude. float32
//   holds up to 3.4e38, but the forecasts built on a value near that overflow to Inf: bounds of
//   kStatBound (10) times the history's peak, conformal quantiles (mean plus a pooled error) and
//   their sums over the horizon (engine/stat/model.h), and the global model's mean scaling and
//   likelihood (Note [Finite forecasts] in engine/deepar/guard.h, which refuses larger values
//   as kMaxModelInput). `ingest` and `update --append` refuse a larger value where they read it,
//   naming file, line, column, series and value; 1e30 leaves 10^8 of headroom for those sums.
inline constexpr double kMaxPanelValue = 1e30;

struct StaticAttr {
  std::string name;
  std::vector<int32_t> codes;        // [S] index into levels
  std::vector<std::string> levels;   // [K]
};

struct DynamicSpec {
  std::string name;
  bool per_series = true;  // true: [S, T+F]; false: one row [T+F] shared by all series
};

struct EventSeries {
  std::string name;
  std::vector<uint8_t> flags;  // [T+F]
};

// Everything in a panel except the big [S, T] / [S, T+F] tensors.
struct PanelHeader {
  TimeAxis axis;
  int64_t n_steps = 0;   // T: history length
  int64_t n_future = 0;  // F: steps of known covariates after the history
  std::vector<std::string> ids;      // [S]
  std::vector<StaticAttr> statics;
  std::vector<float> weights;        // [S] or empty
  std::vector<DynamicSpec> dynamic;
  std::vector<EventSeries> events;

  int64_t n_series() const { return static_cast<int64_t>(ids.size()); }
  int64_t n_total() const { return n_steps + n_future; }  // T+F
  const DynamicSpec* find_dynamic(const std::string& name) const;
  const StaticAttr* find_static(const std::string& name) const;
  // Throws InputError on inconsistent sizes, duplicate ids or names.
  void validate() const;
};

// Streaming writer. Usage: PanelWriter w(path, header); w.write_target(i0, n, block);
// w.write_dynamic(name, i0, n, block) for each per-series covariate,
// w.write_dynamic_shared(name, row) for shared ones; w.commit().
class PanelWriter {
 public:
  // deflate_level 0..9 (0 = no compression filter at all).
  PanelWriter(const std::string& path, const PanelHeader& header, int deflate_level = 1);
  ~PanelWriter();
  PanelWriter(const PanelWriter&) = delete;
  PanelWriter& operator=(const PanelWriter&) = delete;

  // block: [n, T] row-major, rows i0..i0+n-1. Blocks may come in any order.
  void write_target(int64_t i0, int64_t n, const float* block);
  // block: [n, T+F] row-major.
  void write_dynamic(const std::string& name, int64_t i0, int64_t n, const float* block);
  // row: [T+F].
  void write_dynamic_shared(const std::string& name, const float* row);
  // Closes the file and renames it into place. Only after commit() does `path` change.
  void commit();
  // Closes the file (checked) without renaming it: the caller commits the returned temporary
  // with the run's other outputs (`update --checkpoint` fine-tunes on it first). Reading it
  // before the commit: PanelReader(returned->tmp()).
  std::unique_ptr<AtomicPath> close();

  // Series per chunk of /target (and of per-series /dynamic datasets).
  int64_t chunk_rows() const;
  // The open HDF5 file (a hid_t), for io/ writers of optional groups such as /hierarchy
  // (io/hierarchy_file.h); valid until commit().
  int64_t h5_file_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

class PanelReader {
 public:
  // Throws IoError when the file cannot be opened, InputError when it is not a panel file
  // or its version is not kPanelVersion (with a hint to regenerate it).
  explicit PanelReader(const std::string& path);
  ~PanelReader();
  PanelReader(const PanelReader&) = delete;
  PanelReader& operator=(const PanelReader&) = delete;

  const PanelHeader& header() const;
  const std::string& path() const;
  // The root attribute run_id of the run that wrote the file (Note [File format 2] in io/h5.h);
  // "" for files without one.
  const std::string& run_id() const;
  // out: [i1-i0, T] row-major.
  void read_target(int64_t i0, int64_t i1, float* out) const;
  std::vector<float> read_target(int64_t i0, int64_t i1) const;
  // out: [i1-i0, T+F]; for a shared covariate the row is repeated.
  void read_dynamic(const std::string& name, int64_t i0, int64_t i1, float* out) const;
  std::vector<float> read_dynamic(const std::string& name, int64_t i0, int64_t i1) const;
  int64_t chunk_rows() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Writes a whole in-memory panel: target [S, T], dynamic values in header.dynamic order,
// each [S, T+F] (per_series) or [T+F] (shared).
void write_panel(const std::string& path, const PanelHeader& header, const std::vector<float>& target,
                 const std::vector<std::vector<float>>& dynamic, int deflate_level = 1);

}  // namespace skucast
