// io/forecast_csv.cpp — a forecast CSV read back into a ForecastFile (Note [Forecast CSVs read
// back] in io/forecast_file.h), so that `skucast score` scores another tool's forecast, or one of
// skucast's own CSVs, as it scores a forecast file.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "io/csv_fields.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"
#include "io/forecast_file.h"
#include "kernels/common.hpp"

namespace skucast {

using csv::NumKind;
using csv::parse_float;
using csv::parse_int;
using csv::trim;

namespace {

// "q0.1" → 0.1; false for anything that is not q followed by a level in (0, 1).
bool quantile_column(std::string_view name, double& level) {
  if (name.size() < 2 || name.front() != 'q') return false;
  float v = 0.0f;
  name.remove_prefix(1);
  if (parse_float(name, v) != NumKind::Finite) return false;
  level = std::stod(std::string(name));  // the level as written, not rounded to float
  return level > 0.0 && level < 1.0;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

ForecastFile read_forecast_csv(const std::string& path, const TimeAxis& axis, const std::string& origin_label) {
  CsvReader reader(path);
  CsvRecord rec;
  if (!reader.next(rec)) throw InputError(path + ": the file is empty (expected a header line)");
  int c_id = -1, c_time = -1, c_step = -1, c_mean = -1;
  std::vector<std::pair<double, int>> qcols;  // (level, column)
  const int n_cols = static_cast<int>(rec.fields.size());
  for (int c = 0; c < n_cols; ++c) {
    const std::string name(trim(rec.fields[static_cast<size_t>(c)]));
    int* slot = name == "series_id" ? &c_id
                : name == "time"    ? &c_time
                : name == "step"    ? &c_step
                : name == "mean"    ? &c_mean
                                    : nullptr;
    double level = 0.0;
    if (slot) {
      if (*slot >= 0) throw InputError(csv_where(path, rec.line) + ": column '" + name + "' appears twice");
      *slot = c;
    } else if (quantile_column(name, level)) {
      for (const auto& [l, col] : qcols)
        if (l == level) throw InputError(csv_where(path, rec.line) + ": quantile column '" + name + "' appears twice");
      qcols.emplace_back(level, c);
    } else if (name != "model" && name != "level") {
      throw InputError(csv_where(path, rec.line) + ": unknown column '" + name +
                       "' (a forecast CSV has series_id, step, mean, "
                       "optionally time and q<level> columns with "
                       "levels in (0, 1), model and level)");
    }
  }
  for (const auto& [name, c] : {std::pair<const char*, int>{"series_id", c_id}, {"step", c_step}, {"mean", c_mean}})
    if (c < 0) throw InputError(csv_where(path, rec.line) + ": missing column '" + name + "'");
  std::sort(qcols.begin(), qcols.end());
  const int64_t Q = static_cast<int64_t>(qcols.size());

  // The origin: from --origin, and/or from the time column (step 1's time, checked on every row).
  std::optional<int64_t> origin;
  auto position_of = [&](std::string_view text, const std::string& what) -> int64_t {
    const auto ord = TimeAxis::ordinal(axis.freq, trim(text));
    const auto pos = ord ? axis.position(*ord) : std::nullopt;
    if (!pos)
      throw InputError(what + ": '" + std::string(text) + "' is not a time on the panel's axis (" +
                       freq_name(axis.freq) + " from " + axis.label(0) + ")");
    return *pos;
  };
  if (!origin_label.empty()) origin = position_of(origin_label, "--origin");

  struct Row {
    int64_t series, step;
    size_t values;  // offset of mean, then the Q quantiles, in `values`
    int64_t line;
  };
  std::vector<Row> rows;
  std::vector<float> values;
  std::unordered_map<std::string, int64_t> index;
  ForecastFile fc;
  int64_t H = 0;
  while (reader.next(rec)) {
    check_csv_width(path, rec, static_cast<size_t>(n_cols));
    const std::string id(rec.fields[static_cast<size_t>(c_id)]);
    if (id.empty()) throw InputError(csv_where(path, rec.line) + ": empty series_id");
    const auto [it, fresh] = index.emplace(id, static_cast<int64_t>(fc.ids.size()));
    if (fresh) fc.ids.push_back(id);
    int64_t step = 0;
    if (!parse_int(trim(rec.fields[static_cast<size_t>(c_step)]), step) || step < 1)
      throw InputError(csv_where(path, rec.line) + ": step '" + std::string(rec.fields[static_cast<size_t>(c_step)]) +
                       "' is not a whole number >= 1");
    if (step > 100000)
      throw InputError(csv_where(path, rec.line) + ": step " + std::to_string(step) + " is implausibly large");
    H = std::max(H, step);
    if (c_time >= 0) {
      const int64_t at = position_of(rec.fields[static_cast<size_t>(c_time)], csv_where(path, rec.line) + ": time");
      if (!origin) origin = at - (step - 1);
      if (at != *origin + step - 1)
        throw InputError(csv_where(path, rec.line) + ": time " + std::string(rec.fields[static_cast<size_t>(c_time)]) +
                         " at step " + std::to_string(step) + " does not follow the forecast origin " +
                         axis.label(*origin) +
                         (origin_label.empty() ? " (step 1's time on the rows before)" : " (--origin)"));
    }
    rows.push_back(Row{it->second, step, values.size(), rec.line});
    for (int64_t j = -1; j < Q; ++j) {
      const int c = j < 0 ? c_mean : qcols[static_cast<size_t>(j)].second;
      float v = 0.0f;
      if (parse_float(rec.fields[static_cast<size_t>(c)], v) != NumKind::Finite)
        throw InputError(csv_where(path, rec.line) + ": series '" + id + "' step " + std::to_string(step) + ": " +
                         (j < 0 ? std::string("mean") : "q" + format_double(qcols[static_cast<size_t>(j)].first)) +
                         " '" + std::string(rec.fields[static_cast<size_t>(c)]) + "' is not a finite number");
      values.push_back(v);
    }
  }
  if (rows.empty()) throw InputError(path + ": no forecast rows after the header");
  if (!origin)
    throw InputError(path +
                     ": the file has no time column; give the "
                     "forecast's first step with --origin (a time "
                     "on the panel's axis)");
  fc.model = base_name(path);
  fc.axis = axis;
  fc.origin = *origin;
  fc.horizon = H;
  for (const auto& [level, c] : qcols) fc.levels.push_back(level);
  // Every series needs each step 1..H once. Checked on the rows sorted by (series, step, line),
  // so that the arrays below are only allocated for a complete file (S x H cells = its rows): a
  // stray large step cannot ask for S x 100,000 cells.
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const Row &a = rows[x], &b = rows[y];
    return a.series != b.series ? a.series < b.series : a.step != b.step ? a.step < b.step : a.line < b.line;
  });
  auto missing = [&](int64_t s, int64_t step) {
    return InputError(path + ": series '" + fc.ids[static_cast<size_t>(s)] + "' has no row for step " +
                      std::to_string(step) + " (the file's horizon is " + std::to_string(H) +
                      ": every series needs steps 1.." + std::to_string(H) + ")");
  };
  int64_t s_prev = -1, step_prev = 0, line_prev = 0;
  for (const size_t i : order) {
    const Row& r = rows[i];
    if (r.series != s_prev) {
      if (s_prev >= 0 && step_prev < H) throw missing(s_prev, step_prev + 1);
      s_prev = r.series, step_prev = 0;
    }
    if (r.step == step_prev)
      throw InputError(csv_where(path, r.line) + ": series '" + fc.ids[static_cast<size_t>(r.series)] + "' step " +
                       std::to_string(r.step) + " is listed again (first on line " + std::to_string(line_prev) + ")");
    if (r.step != step_prev + 1) throw missing(r.series, step_prev + 1);
    step_prev = r.step, line_prev = r.line;
  }
  if (step_prev < H) throw missing(s_prev, step_prev + 1);
  fc.mean.resize(rows.size());
  fc.quantiles.resize(checked_mul(static_cast<int64_t>(rows.size()), Q));
  for (const Row& r : rows) {
    const size_t cell = static_cast<size_t>(r.series * H + r.step - 1);
    fc.mean[cell] = values[r.values];
    std::copy(values.begin() + static_cast<std::ptrdiff_t>(r.values + 1),
              values.begin() + static_cast<std::ptrdiff_t>(r.values + 1 + static_cast<size_t>(Q)),
              fc.quantiles.begin() + static_cast<std::ptrdiff_t>(cell * static_cast<size_t>(Q)));
  }
  return fc;
}

}  // namespace skucast
