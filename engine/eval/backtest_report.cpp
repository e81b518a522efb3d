// engine/eval/backtest_report.cpp — the outputs of a backtest (engine/eval/backtest.h): the model × metric
// table for stdout, the per-series and summary CSVs and the HDF5 file, all written atomically.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "engine/eval/backtest.h"
#include "io/atomic_file.h"
#include "io/h5.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

std::string fmt(double v, const char* spec = "%.6g") {
  if (!std::isfinite(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

// RFC 4180 quoting when the field needs it.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

// Nominal coverage of a summary column ("cov80" → 0.8), or -1 when it is not a coverage column.
double nominal_of(const BacktestResult& r, const std::string& name) {
  for (size_t c = 0; c < r.layout.cov_nominal.size(); ++c)
    if (r.layout.names[7 + c] == name) return r.layout.cov_nominal[c];
  return -1.0;
}

// Distance from the ideal value: lower is better.
double badness(const BacktestResult& r, const std::string& name, double v) {
  if (name == "bias") return std::fabs(v);
  const double nominal = nominal_of(r, name);
  if (nominal >= 0.0) return std::fabs(v - nominal);
  return v;
}

std::string display_name(const std::string& n) {
  if (n == "smape") return "sMAPE";
  if (n == "bias" || n == "pinball" || n.rfind("cov", 0) == 0) return n;
  std::string u = n;
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// Writes `text` producer output to path through a temporary file, then renames it into place.
template <class Fn>
void write_text_atomic(const std::string& path, Fn&& produce) {
  AtomicPath ap(path);
  {
    std::ofstream os(ap.tmp(), std::ios::binary | std::ios::trunc);
    if (!os) throw IoError("cannot open '" + ap.tmp() + "' for writing (the folder of '" + path + "' must exist)");
    produce(os);
    os.close();  // checked: a full disk shows up here
    if (!os) throw IoError("write to '" + ap.tmp() + "' failed (disk full?)");
  }
  ap.commit();
}

}  // namespace

std::string format_backtest_table(const BacktestResult& r) {
  const size_t n_models = r.models.size(), n_cols = r.summary_names.size();
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "backtest: %lld series, %lld fold(s), horizon %lld, origins", static_cast<long long>(r.n_series),
                static_cast<long long>(r.n_folds()), static_cast<long long>(r.horizon));
  out += line;
  for (int64_t o : r.origins) {
    out += ' ';
    out += std::to_string(o);
  }
  out += "\n";
  size_t name_w = 5;
  for (const auto& m : r.models) name_w = std::max(name_w, m.size());
  // Best row per column.
  std::vector<size_t> best(n_cols, n_models);
  for (size_t c = 0; c < n_cols; ++c)
    for (size_t m = 0; m < n_models; ++m) {
      const double v = r.summary[m * n_cols + c];
      if (!std::isfinite(v)) continue;
      if (best[c] == n_models || badness(r, r.summary_names[c], v) < badness(r, r.summary_names[c], r.summary[best[c] * n_cols + c]))
        best[c] = m;
    }
  std::snprintf(line, sizeof line, "%-*s", static_cast<int>(name_w), "model");
  out += line;
  for (const auto& n : r.summary_names) {
    std::snprintf(line, sizeof line, " %11s", display_name(n).c_str());
    out += line;
  }
  out += "   fallback   seconds\n";
  for (size_t m = 0; m < n_models; ++m) {
    std::snprintf(line, sizeof line, "%-*s", static_cast<int>(name_w), r.models[m].c_str());
    out += line;
    for (size_t c = 0; c < n_cols; ++c) {
      const std::string v = fmt(r.summary[m * n_cols + c], "%.4f") + (best[c] == m ? "*" : " ");
      std::snprintf(line, sizeof line, " %11s", v.c_str());
      out += line;
    }
    std::snprintf(line, sizeof line, " %10lld %9.3f\n", static_cast<long long>(r.n_fallback[m]), r.seconds[m]);
    out += line;
  }
  out += "(* best in column: lowest; bias closest to 0; coverage closest to nominal)\n";
  // Notes on (series, fold) pairs left out of a column; one line when every model agrees.
  const int64_t n_pairs = r.n_series * r.n_folds();
  std::vector<std::string> notes(n_models);
  for (size_t m = 0; m < n_models; ++m)
    for (size_t c = 0; c < n_cols; ++c) {
      const int64_t ex = r.n_excluded[m * n_cols + c];
      if (ex <= 0) continue;
      if (!notes[m].empty()) notes[m] += ", ";
      notes[m] += r.summary_names[c];
      notes[m] += ' ';
      notes[m] += std::to_string(ex);
    }
  const bool same = std::all_of(notes.begin(), notes.end(), [&](const std::string& n) { return n == notes[0]; });
  const std::string why = "left out (no observed actual, or zero scale) of " + std::to_string(n_pairs) + " series×folds: ";
  for (size_t m = 0; m < n_models; ++m) {
    if (notes[m].empty()) continue;
    out += "note: " + (same && n_models > 1 ? std::string("all models") : r.models[m]) + ": " + why + notes[m] + "\n";
    if (same) break;
  }
  return out;
}

void write_backtest_series_csv(const std::string& path, const BacktestResult& r, const std::vector<std::string>& ids) {
  if (static_cast<int64_t>(ids.size()) != r.n_series)
    throw Error("backtest CSV: expected " + std::to_string(r.n_series) + " ids, got " + std::to_string(ids.size()));
  write_text_atomic(path, [&](std::ostream& os) {
    os << "series_id,model,fold";
    for (const auto& n : r.layout.names) os << ',' << n;
    os << '\n';
    std::string row;
    for (size_t m = 0; m < r.models.size(); ++m) {
      const std::string model = csv_field(r.models[m]);
      for (int64_t k = 0; k < r.n_folds(); ++k)
        for (int64_t s = 0; s < r.n_series; ++s) {
          row = csv_field(ids[static_cast<size_t>(s)]) + ',' + model + ',' + std::to_string(k);
          for (int c = 0; c < r.layout.size(); ++c) row += ',' + fmt(r.value(static_cast<int64_t>(m), k, s, c));
          row += '\n';
          os << row;
        }
    }
  });
}

void write_backtest_summary_csv(const std::string& path, const BacktestResult& r) {
  write_text_atomic(path, [&](std::ostream& os) {
    os << "model";
    for (const auto& n : r.summary_names) os << ',' << n;
    os << ",n_fallback,seconds\n";
    const size_t n_cols = r.summary_names.size();
    for (size_t m = 0; m < r.models.size(); ++m) {
      os << csv_field(r.models[m]);
      for (size_t c = 0; c < n_cols; ++c) os << ',' << fmt(r.summary[m * n_cols + c]);
      os << ',' << r.n_fallback[m] << ',' << fmt(r.seconds[m]) << '\n';
    }
  });
}

void write_backtest_h5(const std::string& path, const BacktestResult& r, const std::vector<std::string>& ids) {
  if (static_cast<int64_t>(ids.size()) != r.n_series)
    throw Error("backtest file: expected " + std::to_string(r.n_series) + " ids, got " + std::to_string(ids.size()));
  AtomicPath ap(path);
  {
    h5::Handle file = h5::create_file(ap.tmp());
    h5::write_attr(file, "format", std::string("skucast-backtest"));
    h5::write_attr(file, "version", h5::kFileVersion);
    h5::write_attr(file, "horizon", r.horizon);
    h5::write_attr(file, "step", r.step);
    h5::write_attr(file, "folds", r.n_folds());
    h5::write_vector(file, "origins", r.origins, path);
    h5::write_vector(file, "quantile_levels", r.levels, path);
    {
      h5::Handle series = h5::create_group(file, "series", path);
      h5::write_strings(series, "id", ids, path);
    }
    h5::Handle metrics = h5::create_group(file, "metrics", path);
    std::vector<double> buf(static_cast<size_t>(checked_mul(r.n_folds(), r.n_series)));  // [K, S]
    for (size_t m = 0; m < r.models.size(); ++m) {
      h5::Handle g = h5::create_group(metrics, r.models[m], path);
      for (int c = 0; c < r.layout.size(); ++c) {
        for (int64_t k = 0; k < r.n_folds(); ++k)
          for (int64_t s = 0; s < r.n_series; ++s)
            buf[static_cast<size_t>(k * r.n_series + s)] = r.value(static_cast<int64_t>(m), k, s, c);
        h5::write_tensor(g, r.layout.names[c], {static_cast<hsize_t>(r.n_folds()), static_cast<hsize_t>(r.n_series)},
                         buf.data(), path);
      }
    }
    h5::Handle summary = h5::create_group(file, "summary", path);
    h5::write_strings(summary, "metrics", r.summary_names, path);
    const size_t n_cols = r.summary_names.size();
    for (size_t m = 0; m < r.models.size(); ++m) {
      std::vector<double> row(r.summary.begin() + static_cast<std::ptrdiff_t>(m * n_cols),
                              r.summary.begin() + static_cast<std::ptrdiff_t>((m + 1) * n_cols));
      h5::write_vector(summary, r.models[m], row, path);
    }
    summary.reset();
    metrics.reset();
    h5::close_file(file, ap.tmp());  // checked: a full disk fails here, before the rename
  }
  ap.commit();
}

}  // namespace skucast
