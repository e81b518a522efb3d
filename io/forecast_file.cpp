// io/forecast_file.cpp — forecast files over the HDF5 C API (see forecast_file.h).
// Written to a temporary name and renamed into place; object timestamps are off, so the
// same forecast gives a byte-identical file. Large tensors are chunked by series blocks
// (about 1 MiB per chunk) with shuffle + deflate when the filter is available.
#include "io/forecast_file.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <zlib.h>

#include <cstdio>
#include <filesystem>

#include "io/atomic_file.h"
#include "io/csv_writer.h"
#include "io/file_kind.h"
#include "io/h5.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

constexpr const char* kFormat = "skucast-forecast";

void read_tensor(hid_t loc, const std::string& name, const std::vector<int64_t>& expect, std::vector<float>& out,
                 const std::string& file) {
  h5::Handle ds = h5::open_dataset(loc, name, file);
  const std::vector<int64_t> d = h5::dims(ds);
  if (d != expect) {
    auto shape = [](const std::vector<int64_t>& v) {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
      return s + "]";
    };
    throw InputError(file + ": dataset " + name + " has shape " + shape(d) + ", expected " + shape(expect));
  }
  int64_t n = 1;
  for (int64_t x : d) n = checked_mul(n, x);
  out.resize(static_cast<size_t>(n));
  if (n > 0 && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw IoError(file + ": cannot read dataset " + name);
}

void validate(const ForecastFile& fc) {
  const int64_t S = static_cast<int64_t>(fc.ids.size());
  const int64_t Q = static_cast<int64_t>(fc.levels.size());
  if (fc.horizon < 0) throw Error("forecast: negative horizon " + std::to_string(fc.horizon));
  if (static_cast<int64_t>(fc.mean.size()) != checked_mul(S, fc.horizon))
    throw Error("forecast: mean has " + std::to_string(fc.mean.size()) + " values, expected S*H = " +
                std::to_string(S) + "*" + std::to_string(fc.horizon));
  if (static_cast<int64_t>(fc.quantiles.size()) != checked_mul(checked_mul(S, fc.horizon), Q))
    throw Error("forecast: quantiles has " + std::to_string(fc.quantiles.size()) + " values, expected S*H*Q = " +
                std::to_string(S) + "*" + std::to_string(fc.horizon) + "*" + std::to_string(Q));
  for (double q : fc.levels)
    if (!(q > 0.0 && q < 1.0)) throw Error("forecast: quantile level " + std::to_string(q) + " is not in (0, 1)");
  if (!fc.model_per_series.empty() && static_cast<int64_t>(fc.model_per_series.size()) != S)
    throw Error("forecast: model_per_series has " + std::to_string(fc.model_per_series.size()) + " entries, expected S = " +
                std::to_string(S));
  if (fc.shard_count < 1 || fc.shard_index < 0 || fc.shard_index >= fc.shard_count)
    throw Error("forecast: shard " + std::to_string(fc.shard_index) + "/" + std::to_string(fc.shard_count));
  if (!fc.series_level.empty() && static_cast<int64_t>(fc.series_level.size()) != S)
    throw Error("forecast: series_level has " + std::to_string(fc.series_level.size()) + " entries, expected " +
                std::to_string(S));
  if (!fc.cumulative_quantiles.empty() &&
      static_cast<int64_t>(fc.cumulative_quantiles.size()) != checked_mul(checked_mul(S, fc.horizon), Q))
    throw Error("forecast: cumulative_quantiles has " + std::to_string(fc.cumulative_quantiles.size()) +
                " values, expected S*H*Q = " + std::to_string(S) + "*" + std::to_string(fc.horizon) + "*" +
                std::to_string(Q));
  if (fc.residual_steps < 0 || static_cast<int64_t>(fc.residuals.size()) != checked_mul(S, fc.residual_steps))
    throw Error("forecast: residuals has " + std::to_string(fc.residuals.size()) + " values, expected S*R = " +
                std::to_string(S) + "*" + std::to_string(fc.residual_steps));
  if (fc.panel_series > 0 &&
      (fc.series_begin < 0 || fc.series_end < fc.series_begin || fc.series_end > fc.panel_series ||
       fc.series_end - fc.series_begin != S))
    throw Error("forecast: slice [" + std::to_string(fc.series_begin) + ", " + std::to_string(fc.series_end) +
                ") of a " + std::to_string(fc.panel_series) + "-series panel for " + std::to_string(S) + " series");
}

// CRC-32 of the file's bytes; false when it cannot be opened or read.
bool crc_of_file(const std::string& path, uint32_t* crc_out, uint64_t* bytes_out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  uLong crc = ::crc32(0L, Z_NULL, 0);
  uint64_t bytes = 0;
  std::vector<unsigned char> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    crc = ::crc32(crc, buf.data(), static_cast<uInt>(n));
    bytes += n;
  }
  const bool ok = !std::ferror(f);
  std::fclose(f);
  *crc_out = static_cast<uint32_t>(crc);
  *bytes_out = bytes;
  return ok;
}

}  // namespace

std::string hdf5_format(const std::string& path) {
  h5::Handle f = h5::open_file_ro(path);
  if (!h5::has_attr(f, "format")) return "";
  // Note [File format 2]: the version first, so a version 1 file's variable-length format
  // string is never read (outside `skucast upgrade`).
  if (h5::has_attr(f, "version") && h5::read_attr_int(f, "version", path) != h5::kFileVersion)
    h5::check_format(f, "", "", path, "regenerate it");  // throws the version's message
  return h5::read_attr_string(f, "format", path);
}

uint32_t ids_crc32(const std::vector<std::string>& ids) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  for (const std::string& id : ids)  // the NUL keeps {"ab", "c"} apart from {"a", "bc"}
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(id.c_str()), static_cast<uInt>(id.size() + 1));
  return static_cast<uint32_t>(crc);
}

uint32_t file_crc32(const std::string& path, uint64_t* bytes) {
  uint32_t crc = 0;
  if (!crc_of_file(path, &crc, bytes)) throw IoError(path + ": cannot read it (for its CRC-32)");
  return crc;
}

namespace {

struct CsvStamp {
  std::string name;  // file name, without its folder
  uint64_t bytes = 0;
  uint32_t crc32 = 0;
};

// Writes the forecast file under its temporary name; the caller commits it.
std::unique_ptr<AtomicPath> write_forecast_uncommitted(const std::string& path, const ForecastFile& fc,
                                                       const CsvStamp* csv) {
  validate(fc);
  const hsize_t S = fc.ids.size(), H = static_cast<hsize_t>(fc.horizon), Q = fc.levels.size();
  auto atomic = std::make_unique<AtomicPath>(path);
  const std::string& tmp = atomic->tmp();
  {
    h5::Handle f = h5::create_file(tmp);
    h5::write_attr(f, "format", std::string(kFormat));
    h5::write_attr(f, "version", int64_t{kForecastVersion});
    h5::write_attr(f, "model", fc.model);
    h5::write_attr(f, "freq", freq_name(fc.axis.freq));
    h5::write_attr(f, "start", fc.axis.start_label());
    h5::write_attr(f, "season_length", int64_t{fc.axis.season_length});
    h5::write_attr(f, "origin", fc.origin);
    h5::write_attr(f, "horizon", fc.horizon);
    h5::write_attr(f, "shard_index", fc.shard_index);
    h5::write_attr(f, "shard_count", fc.shard_count);
    if (fc.shard_count > 1 && fc.panel_series > 0) {  // Note [Shards of one run]
      h5::write_attr(f, "panel_run_id", fc.panel_run_id);
      h5::write_attr(f, "panel_series", fc.panel_series);
      h5::write_attr(f, "panel_ids_crc32", static_cast<int64_t>(fc.panel_ids_crc32));
      h5::write_attr(f, "series_begin", fc.series_begin);
      h5::write_attr(f, "series_end", fc.series_end);
      h5::write_attr(f, "run_options", fc.run_options);
    }
    if (csv) {
      h5::write_attr(f, "csv_name", csv->name);
      h5::write_attr(f, "csv_bytes", static_cast<int64_t>(csv->bytes));
      h5::write_attr(f, "csv_crc32", static_cast<int64_t>(csv->crc32));
    }
    if (fc.intervals != "model") {  // files with the model's own quantiles stay as they were
      h5::write_attr(f, "intervals", fc.intervals);
      h5::write_attr(f, "calibration_folds", fc.calibration_folds);
      if (!fc.conformal_score.empty()) h5::write_attr(f, "conformal_score", fc.conformal_score);
      if (!fc.conformal_classes.empty()) h5::write_attr(f, "conformal_classes", fc.conformal_classes);
    }
    if (fc.bias_correction >= 0) {  // Note [Recent bias correction] in engine/deepar/residuals.cpp
      h5::write_attr_double(f, "bias_correction", fc.bias_correction);
      h5::write_attr(f, "bias_steps", fc.bias_steps);
    }
    {
      h5::Handle g = h5::create_group(f, "series", tmp);
      h5::write_strings(g, "id", fc.ids, tmp);
      if (!fc.series_level.empty()) h5::write_strings(g, "level", fc.series_level, tmp);
    }
    h5::Handle g = h5::create_group(f, "forecast", tmp);
    h5::write_tensor(g, "mean", {S, H}, fc.mean.data(), tmp);
    if (Q > 0) h5::write_tensor(g, "quantiles", {S, H, Q}, fc.quantiles.data(), tmp);
    h5::write_vector(g, "quantile_levels", fc.levels, tmp);
    if (Q > 0 && !fc.cumulative_quantiles.empty())
      h5::write_tensor(g, "cumulative_quantiles", {S, H, Q}, fc.cumulative_quantiles.data(), tmp);
    if (!fc.model_per_series.empty()) h5::write_strings(g, "model_per_series", fc.model_per_series, tmp);
    if (fc.residual_steps > 0) h5::write_tensor(g, "residuals", {S, static_cast<hsize_t>(fc.residual_steps)}, fc.residuals.data(), tmp);
    g.reset();
    h5::close_file(f, tmp);  // checked: a full disk fails here, before the rename
  }
  return atomic;
}

}  // namespace

void write_forecast(const std::string& path, const ForecastFile& fc) {
  write_forecast_uncommitted(path, fc, nullptr)->commit();
}

void write_forecast_outputs(const std::string& out, const std::string& csv, const ForecastFile& fc) {
  if (csv.empty()) {
    write_forecast(out, fc);
    return;
  }
  // Note [Output sets]: both written and closed first; the CSV renamed, then the file that records it.
  std::unique_ptr<CsvWriter> c = write_forecast_csv_closed(csv, fc);
  const CsvStamp stamp{std::filesystem::path(csv).filename().string(), c->bytes(), c->crc32()};
  std::unique_ptr<AtomicPath> h = write_forecast_uncommitted(out, fc, &stamp);
  c->commit();
  h->commit();
}

std::string check_csv_companion(const std::string& h5_path, const ForecastFile& fc, bool* mismatch) {
  *mismatch = false;
  if (fc.csv_name.empty()) return "";
  const std::filesystem::path csv = std::filesystem::path(h5_path).parent_path() / fc.csv_name;
  uint32_t crc = 0;
  uint64_t bytes = 0;
  if (!crc_of_file(csv.string(), &crc, &bytes)) return csv.string() + " (written with this file) is not beside it";
  if (bytes == static_cast<uint64_t>(fc.csv_bytes) && crc == fc.csv_crc32)
    return csv.string() + " matches (" + std::to_string(bytes) + " bytes, CRC-32 checked)";
  *mismatch = true;
  return csv.string() + " does not match the CSV written with this file (" + std::to_string(bytes) + " bytes, " +
         std::to_string(fc.csv_bytes) + " recorded): the two come from different runs (a mixed set; rerun the forecast)";
}


ForecastFile read_forecast(const std::string& path) {
  h5::Handle f = h5::open_file_ro(path);
  h5::check_format(f, kFormat, "forecast", path, "regenerate it with `skucast forecast`");
  ForecastFile fc;
  if (h5::has_attr(f, "run_id")) fc.run_id = h5::read_attr_string(f, "run_id", path);
  if (h5::has_attr(f, "csv_name")) {
    fc.csv_name = h5::read_attr_string(f, "csv_name", path);
    fc.csv_bytes = h5::read_attr_int(f, "csv_bytes", path);
    fc.csv_crc32 = static_cast<uint32_t>(h5::read_attr_int(f, "csv_crc32", path));
    if (fc.csv_name.find('/') != std::string::npos || fc.csv_name == "..")
      throw InputError(path + ": attribute csv_name '" + fc.csv_name + "' is not a file name");
  }
  fc.model = h5::read_attr_string(f, "model", path);
  const std::string freq_text = h5::read_attr_string(f, "freq", path);
  const std::string start_text = h5::read_attr_string(f, "start", path);
  const int64_t season = std::clamp<int64_t>(h5::read_attr_int(f, "season_length", path), 0, std::numeric_limits<int>::max());
  try {  // these checks do not know the file
    fc.axis = make_axis(parse_freq(freq_text), start_text, static_cast<int>(season));
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
  fc.origin = h5::read_attr_int(f, "origin", path);
  if (h5::has_attr(f, "shard_count")) {  // files from before shards were recorded: a whole run
    fc.shard_count = h5::read_attr_int(f, "shard_count", path);
    fc.shard_index = h5::read_attr_int(f, "shard_index", path);
    if (fc.shard_count < 1 || fc.shard_index < 0 || fc.shard_index >= fc.shard_count)
      throw InputError(path + ": shard attributes " + std::to_string(fc.shard_index) + "/" +
                       std::to_string(fc.shard_count) + " are not a shard K/N with 0 <= K < N (a damaged file?)");
  }
  if (h5::has_attr(f, "panel_series")) {  // Note [Shards of one run]; absent in older shard files
    fc.panel_run_id = h5::read_attr_string(f, "panel_run_id", path);
    fc.panel_series = h5::read_attr_int(f, "panel_series", path);
    fc.panel_ids_crc32 = static_cast<uint32_t>(h5::read_attr_int(f, "panel_ids_crc32", path));
    fc.series_begin = h5::read_attr_int(f, "series_begin", path);
    fc.series_end = h5::read_attr_int(f, "series_end", path);
    fc.run_options = h5::read_attr_string(f, "run_options", path);
    if (fc.panel_series < 1 || fc.series_begin < 0 || fc.series_end < fc.series_begin ||
        fc.series_end > fc.panel_series)
      throw InputError(path + ": attributes series_begin, series_end, panel_series = " +
                       std::to_string(fc.series_begin) + ", " + std::to_string(fc.series_end) + ", " +
                       std::to_string(fc.panel_series) + " are not a slice [begin, end) of the panel (a damaged file?)");
  }
  if (h5::has_attr(f, "intervals")) {
    fc.intervals = h5::read_attr_string(f, "intervals", path);
    fc.calibration_folds = h5::read_attr_int(f, "calibration_folds", path);
    if (h5::has_attr(f, "conformal_score")) fc.conformal_score = h5::read_attr_string(f, "conformal_score", path);
    if (h5::has_attr(f, "conformal_classes"))
      fc.conformal_classes = h5::read_attr_string(f, "conformal_classes", path);
  }
  if (h5::has_attr(f, "bias_correction")) {
    fc.bias_correction = h5::read_attr_double(f, "bias_correction", path);
    fc.bias_steps = h5::read_attr_int(f, "bias_steps", path);
  }
  fc.ids = h5::read_strings(f, "/series/id", path);
  if (fc.panel_series > 0 && fc.series_end - fc.series_begin != static_cast<int64_t>(fc.ids.size()))
    throw InputError(path + ": records the slice [" + std::to_string(fc.series_begin) + ", " +
                     std::to_string(fc.series_end) + ") of the panel's series but holds " +
                     std::to_string(fc.ids.size()) + " series (a damaged file?)");
  if (h5::exists(f, "series/level")) {
    fc.series_level = h5::read_strings(f, "/series/level", path);
    if (fc.series_level.size() != fc.ids.size())
      throw InputError(path + ": /series/level has " + std::to_string(fc.series_level.size()) + " entries, /series/id " +
                       std::to_string(fc.ids.size()));
  }
  h5::Handle g = h5::open_group(f, "forecast", path);
  h5::Handle mean = h5::open_dataset(g, "mean", path);
  const std::vector<int64_t> md = h5::dims(mean);
  const int64_t S = static_cast<int64_t>(fc.ids.size());
  if (md.size() != 2 || md[0] != S)
    throw InputError(path + ": /forecast/mean must be [S, H] with S = " + std::to_string(S) + " series");
  fc.horizon = md[1];
  read_tensor(g, "mean", {S, fc.horizon}, fc.mean, path);
  fc.levels = h5::read_vector<double>(g, "quantile_levels", path);
  for (size_t k = 0; k < fc.levels.size(); ++k)
    if (!(fc.levels[k] > 0.0 && fc.levels[k] < 1.0) || (k > 0 && !(fc.levels[k] > fc.levels[k - 1])))
      throw InputError(path + ": /forecast/quantile_levels must be strictly ascending in (0, 1); level " +
                       std::to_string(k) + " is " + std::to_string(fc.levels[k]));
  const int64_t Q = static_cast<int64_t>(fc.levels.size());
  if (Q > 0) read_tensor(g, "quantiles", {S, fc.horizon, Q}, fc.quantiles, path);
  if (Q > 0 && h5::exists(g, "cumulative_quantiles"))  // optional (Note [Cumulative demand quantiles])
    read_tensor(g, "cumulative_quantiles", {S, fc.horizon, Q}, fc.cumulative_quantiles, path);
  if (h5::exists(g, "model_per_series")) {
    fc.model_per_series = h5::read_strings(g, "model_per_series", path);
    if (static_cast<int64_t>(fc.model_per_series.size()) != S)
      throw InputError(path + ": /forecast/model_per_series has " + std::to_string(fc.model_per_series.size()) +
                       " entries, expected one per series (" + std::to_string(S) + ")");
  }
  if (h5::exists(g, "residuals")) {
    h5::Handle rd = h5::open_dataset(g, "residuals", path);
    const std::vector<int64_t> d = h5::dims(rd);
    if (d.size() != 2 || d[0] != S)
      throw InputError(path + ": /forecast/residuals must be [S, R] with S = " + std::to_string(S) + " series");
    fc.residual_steps = d[1];
    read_tensor(g, "residuals", {S, fc.residual_steps}, fc.residuals, path);
  }
  return fc;
}

namespace {

// "--flag value" lines → (flag, value) pairs, in order.
std::vector<std::pair<std::string, std::string>> option_lines(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    const size_t space = line.find(' ');
    if (!line.empty())
      out.emplace_back(line.substr(0, space), space == std::string::npos ? "" : line.substr(space + 1));
    at = end + 1;
  }
  return out;
}

// The options where `other` differs from `first`, in words: "--transform log against none".
std::string options_difference(const std::string& first, const std::string& other) {
  const auto a = option_lines(first), b = option_lines(other);
  auto find = [](const std::vector<std::pair<std::string, std::string>>& v, const std::string& key) -> const std::string* {
    for (const auto& [k, value] : v)
      if (k == key) return &value;
    return nullptr;
  };
  auto shown = [](const std::string* v) { return v ? (v->empty() ? std::string("''") : *v) : std::string("(not recorded)"); };
  std::vector<std::string> diffs;
  for (const auto& [key, value] : b) {
    const std::string* v = find(a, key);
    if (!v || *v != value) diffs.push_back(key + " " + shown(&value) + " against " + shown(v));
  }
  for (const auto& [key, value] : a)
    if (!find(b, key)) diffs.push_back(key + " (not recorded) against " + shown(&value));
  if (diffs.empty()) return "recorded differently";
  std::string text;
  for (size_t k = 0; k < diffs.size() && k < 3; ++k) text += (k ? "; " : "") + diffs[k];
  if (diffs.size() > 3) text += "; and " + std::to_string(diffs.size() - 3) + " more";
  return text;
}

// Note [Shards of one run]: `p` (file `name`) comes from the run of `a` (file `a_name`), both
// recording their run.
void check_same_run(const ForecastFile& a, const std::string& a_name, const ForecastFile& p, const std::string& name) {
  const std::string tail = ": only the shards of one forecast run can be merged";
  if (p.panel_series != a.panel_series)
    throw InputError("merge: " + name + " is a shard of a " + std::to_string(p.panel_series) + "-series panel, " +
                     a_name + " of a " + std::to_string(a.panel_series) + "-series one" + tail);
  if (p.panel_ids_crc32 != a.panel_ids_crc32)
    throw InputError("merge: " + name + " and " + a_name + " are shards of two " + std::to_string(a.panel_series) +
                     "-series panels with different series ids" + tail);
  if (p.panel_run_id != a.panel_run_id)
    throw InputError("merge: " + name + " is a shard of the panel written by run '" + p.panel_run_id + "', " + a_name +
                     " of the one written by run '" + a.panel_run_id +
                     "' (another panel file, or the panel updated between the shards' forecasts)" + tail);
  if (p.run_options != a.run_options)
    throw InputError("merge: " + name + " was forecast with other options than " + a_name + " (" +
                     options_difference(a.run_options, p.run_options) + ")" + tail);
}

}  // namespace

ForecastFile merge_forecasts(const std::vector<ForecastFile>& parts, const std::vector<std::string>& names,
                             std::string* note) {
  if (note) note->clear();
  if (parts.empty()) throw InputError("merge: no forecast files to join");
  if (names.size() != parts.size()) throw Error("merge_forecasts: one name per part expected");
  const ForecastFile& a = parts[0];
  auto differs = [&](size_t i, const std::string& what, const std::string& first, const std::string& other) {
    return InputError("merge: " + names[i] + " has " + what + " " + other + ", " + names[0] + " has " + first +
                      ": only the shards of one forecast run can be merged");
  };
  ForecastFile out;
  out.model = a.model;
  out.axis = a.axis;
  out.origin = a.origin;
  out.horizon = a.horizon;
  out.levels = a.levels;
  out.bias_correction = a.bias_correction;  // every shard estimated it on the whole panel
  out.bias_steps = a.bias_steps;
  // The complete set of shards 0..N-1, each once, joined in shard order.
  const int64_t N = a.shard_count;
  auto shard_name = [](const ForecastFile& p) {
    return std::to_string(p.shard_index) + "/" + std::to_string(p.shard_count);
  };
  std::vector<int64_t> file_of(static_cast<size_t>(std::min<int64_t>(N, static_cast<int64_t>(parts.size()) + 1)), -1);
  for (size_t i = 0; i < parts.size(); ++i) {
    const ForecastFile& p = parts[i];
    if (p.shard_count != N)
      throw differs(i, "shard", shard_name(a) + " (of " + std::to_string(N) + " shards)",
                    shard_name(p) + " (of " + std::to_string(p.shard_count) + " shards)");
    if (N > static_cast<int64_t>(parts.size())) continue;  // reported below, naming the first missing shard
    int64_t& f = file_of[static_cast<size_t>(p.shard_index)];
    if (f >= 0)
      throw InputError("merge: " + names[static_cast<size_t>(f)] + " and " + names[i] + " are both shard " +
                       shard_name(p) + (N == 1 ? " (a whole run, not a shard)" : "") + ": give each shard once");
    f = static_cast<int64_t>(i);
  }
  if (N != static_cast<int64_t>(parts.size())) {
    std::vector<char> have(static_cast<size_t>(std::min<int64_t>(N, int64_t{1} << 20)), 0);
    for (const ForecastFile& p : parts)
      if (p.shard_index < static_cast<int64_t>(have.size())) have[static_cast<size_t>(p.shard_index)] = 1;
    int64_t missing = 0;
    while (missing < static_cast<int64_t>(have.size()) && have[static_cast<size_t>(missing)]) ++missing;
    throw InputError("merge: shard " + std::to_string(missing) + "/" + std::to_string(N) +
                     " is missing: the run has " + std::to_string(N) + " shards, " + std::to_string(parts.size()) +
                     " file(s) given (" + names[0] + " is shard " + shard_name(a) + ")");
  }
  // Note [Shards of one run]: the files that record their run come from one panel and one set
  // of options, and their slices tile the panel's series in shard order; files that do not
  // (written before shards recorded it) get only the checks below.
  const ForecastFile* run = nullptr;  // the first file in shard order that records its run
  size_t run_file = 0;
  std::string unrecorded;
  size_t n_unrecorded = 0;
  for (const int64_t fi : file_of) {
    const size_t i = static_cast<size_t>(fi);
    if (parts[i].panel_series == 0) {
      unrecorded += (n_unrecorded++ ? ", " : "") + names[i];
    } else if (!run) {
      run = &parts[i];
      run_file = i;
    } else {
      check_same_run(*run, names[run_file], parts[i], names[i]);
    }
  }
  if (run && n_unrecorded == 0) {
    int64_t next = 0;  // where the slices so far end
    for (const int64_t fi : file_of) {
      const ForecastFile& p = parts[static_cast<size_t>(fi)];
      if (p.series_begin != next)
        throw InputError("merge: " + names[static_cast<size_t>(fi)] + " (shard " + shard_name(p) +
                         ") holds the panel's series [" + std::to_string(p.series_begin) + ", " +
                         std::to_string(p.series_end) + "), but the shards before it end at series " +
                         std::to_string(next) + ": the shards' slices must tile the panel's series 0.." +
                         std::to_string(run->panel_series));
      next = p.series_end;
    }
    if (next != run->panel_series)
      throw InputError("merge: the shards' slices end at series " + std::to_string(next) + " of the panel's " +
                       std::to_string(run->panel_series) + " (" + names[run_file] + ")");
  } else if (note && N > 1 && n_unrecorded > 0) {
    *note = unrecorded + (n_unrecorded == 1 ? " does" : " do") +
            " not record the panel and options of its run (written before shard files did), so only the model, "
            "time axis, origin, horizon, quantile levels and series ids were checked" +
            (run ? " for " + std::string(n_unrecorded == 1 ? "it" : "them") : std::string());
  }
  size_t n_total = 0;
  for (const ForecastFile& p : parts) n_total += p.ids.size();
  std::unordered_map<std::string, size_t> seen;  // id -> part
  seen.reserve(n_total);
  const size_t Q = a.levels.size();
  for (const int64_t fi : file_of) {  // shard order
    const size_t i = static_cast<size_t>(fi);
    const ForecastFile& p = parts[i];
    if (p.model != a.model) throw differs(i, "model", "'" + a.model + "'", "'" + p.model + "'");
    if (p.axis.freq != a.axis.freq || p.axis.start != a.axis.start || p.axis.month_end != a.axis.month_end ||
        p.axis.season_length != a.axis.season_length)
      throw differs(i, "time axis", a.axis.start_label() + " (season " + std::to_string(a.axis.season_length) + ")",
                    p.axis.start_label() + " (season " + std::to_string(p.axis.season_length) + ")");
    if (p.origin != a.origin)
      throw differs(i, "origin", a.axis.label(a.origin), p.axis.label(p.origin));
    if (p.horizon != a.horizon) throw differs(i, "horizon", std::to_string(a.horizon), std::to_string(p.horizon));
    if (p.levels != a.levels) {
      auto list = [](const std::vector<double>& v) {
        std::string t;
        for (double x : v) t += (t.empty() ? "" : ",") + std::to_string(x);
        return "[" + t + "]";
      };
      throw differs(i, "quantile levels", list(a.levels), list(p.levels));
    }
    for (const std::string& id : p.ids) {
      const auto [it, fresh] = seen.emplace(id, i);
      if (!fresh)
        throw InputError("merge: series '" + id + "' is in both " + names[it->second] + " and " + names[i] +
                         ": shards must hold disjoint series");
    }
    out.ids.insert(out.ids.end(), p.ids.begin(), p.ids.end());
    if (p.series_level.empty() != a.series_level.empty())
      throw differs(i, "hierarchy levels", a.series_level.empty() ? "none" : "some",
                    p.series_level.empty() ? "none" : "some");
    out.series_level.insert(out.series_level.end(), p.series_level.begin(), p.series_level.end());
    out.mean.insert(out.mean.end(), p.mean.begin(), p.mean.end());
    out.quantiles.insert(out.quantiles.end(), p.quantiles.begin(), p.quantiles.end());
    if (p.cumulative_quantiles.empty() != a.cumulative_quantiles.empty())
      throw differs(i, "cumulative quantiles", a.cumulative_quantiles.empty() ? "none" : "some",
                    p.cumulative_quantiles.empty() ? "none" : "some");
    out.cumulative_quantiles.insert(out.cumulative_quantiles.end(), p.cumulative_quantiles.begin(),
                                    p.cumulative_quantiles.end());
    // `--model auto` shards carry each series' model (all of them do: the same run's model).
    out.model_per_series.insert(out.model_per_series.end(), p.model_per_series.begin(), p.model_per_series.end());
    if (p.residual_steps != a.residual_steps)
      throw differs(i, "residual steps", std::to_string(a.residual_steps), std::to_string(p.residual_steps));
    out.residuals.insert(out.residuals.end(), p.residuals.begin(), p.residuals.end());
  }
  out.residual_steps = a.residual_steps;
  if (run && n_unrecorded == 0 && ids_crc32(out.ids) != run->panel_ids_crc32)
    throw InputError("merge: the shards' series ids, joined in shard order, are not the panel's (their CRC-32 "
                     "differs from the one " + names[run_file] + " records): a file changed after its forecast?");
  if (!out.model_per_series.empty() && out.model_per_series.size() != out.ids.size())
    throw InputError("merge: some files have a model per series and others not: only the shards of one forecast run "
                     "can be merged");
  if (out.mean.size() != n_total * static_cast<size_t>(out.horizon) ||
      out.quantiles.size() != n_total * static_cast<size_t>(out.horizon) * Q)
    throw Error("merge_forecasts: inconsistent forecast arrays");
  return out;
}

}  // namespace skucast
