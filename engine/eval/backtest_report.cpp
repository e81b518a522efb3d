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

// Rows in the order base model, then its reconciliations (Note [Reconciled folds]).
std::vector<size_t> grouped_rows(const BacktestResult& r) {
  std::vector<size_t> order;
  for (int64_t mi = 0; mi < r.n_base; ++mi)
    for (size_t m = 0; m < r.models.size(); ++m)
      if (r.base_of[m] == mi) order.push_back(m);
  return order;
}

}  // namespace

std::string format_level_table(const BacktestResult& r) {
  const LevelScores& lv = r.by_level;
  if (lv.names.empty()) return "";
  const std::vector<size_t> rows = grouped_rows(r);
  const int64_t L = lv.n_levels(), n_cols = static_cast<int64_t>(r.summary_names.size());
  const int64_t w_col = std::find(r.summary_names.begin(), r.summary_names.end(), "wrmsse") - r.summary_names.begin();
  size_t name_w = 10;  // "all levels"
  for (const auto& n : lv.names) name_w = std::max(name_w, n.size());
  size_t col_w = 8;
  for (size_t m : rows) col_w = std::max(col_w, r.models[m].size() + 1);
  std::string out = "\nWRMSSE by level (M5: weights from each series' " + lv.weight_basis + " over the " +
                    std::to_string(kWeightSteps) + " steps before each origin, normalised within the level; "
                    "all levels = their mean):\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-*s %7s", static_cast<int>(name_w), "level", "series");
  out += line;
  for (size_t m : rows) {
    std::snprintf(line, sizeof line, " %*s", static_cast<int>(col_w), r.models[m].c_str());
    out += line;
  }
  out += "\n";
  auto cell = [&](double v, bool best) { return fmt(v, "%.4f") + (best ? "*" : " "); };
  for (int64_t l = 0; l <= L; ++l) {
    const bool all = l == L;
    std::snprintf(line, sizeof line, "%-*s %7lld", static_cast<int>(name_w), all ? "all levels" : lv.names[static_cast<size_t>(l)].c_str(),
                  static_cast<long long>(all ? r.n_series : lv.n_series[static_cast<size_t>(l)]));
    out += line;
    auto value = [&](size_t m) {
      return all ? lv.overall_wrmsse[m] : lv.table[(m * static_cast<size_t>(L) + static_cast<size_t>(l)) * static_cast<size_t>(n_cols) + static_cast<size_t>(w_col)];
    };
    size_t best = r.models.size();
    for (size_t m : rows)
      if (std::isfinite(value(m)) && (best == r.models.size() || value(m) < value(best))) best = m;
    for (size_t m : rows) {
      std::snprintf(line, sizeof line, " %*s", static_cast<int>(col_w), cell(value(m), m == best).c_str());
      out += line;
    }
    out += "\n";
  }
  out += "\nEvery metric by level (mean over the level's series and folds; WRMSSE as above):\n";
  size_t model_w = 5;
  for (const auto& m : r.models) model_w = std::max(model_w, m.size());
  std::snprintf(line, sizeof line, "%-*s %-*s", static_cast<int>(name_w), "level", static_cast<int>(model_w), "model");
  out += line;
  for (const auto& n : r.summary_names) {
    std::snprintf(line, sizeof line, " %9s", display_name(n).c_str());
    out += line;
  }
  out += "\n";
  for (int64_t l = 0; l < L; ++l)
    for (size_t m : rows) {
      std::snprintf(line, sizeof line, "%-*s %-*s", static_cast<int>(name_w), lv.names[static_cast<size_t>(l)].c_str(),
                    static_cast<int>(model_w), r.models[m].c_str());
      out += line;
      for (int64_t c = 0; c < n_cols; ++c) {
        std::snprintf(line, sizeof line, " %9s",
                      fmt(lv.table[(m * static_cast<size_t>(L) + static_cast<size_t>(l)) * static_cast<size_t>(n_cols) + static_cast<size_t>(c)], "%.4f").c_str());
        out += line;
      }
      out += "\n";
    }
  return out;
}

void write_backtest_level_csv(const std::string& path, const BacktestResult& r) {
  const LevelScores& lv = r.by_level;
  if (lv.names.empty()) throw Error("backtest level CSV: the result has no levels");
  const int64_t L = lv.n_levels();
  const size_t n_cols = r.summary_names.size();
  const std::vector<size_t> rows = grouped_rows(r);
  write_text_atomic(path, [&](std::ostream& os) {
    os << "level,n_series,model";
    for (const auto& n : r.summary_names) os << ',' << n;
    os << '\n';
    for (int64_t l = 0; l < L; ++l)
      for (size_t m : rows) {
        os << csv_field(lv.names[static_cast<size_t>(l)]) << ',' << lv.n_series[static_cast<size_t>(l)] << ','
           << csv_field(r.models[m]);
        for (size_t c = 0; c < n_cols; ++c) os << ',' << fmt(lv.table[(m * static_cast<size_t>(L) + static_cast<size_t>(l)) * n_cols + c]);
        os << '\n';
      }
    for (size_t m : rows) {  // the mean over levels; wrmsse: the overall M5 WRMSSE
      os << "all," << r.n_series << ',' << csv_field(r.models[m]);
      for (size_t c = 0; c < n_cols; ++c) {
        double sum = 0.0;
        int64_t n = 0;
        for (int64_t l = 0; l < L; ++l) {
          const double v = lv.table[(m * static_cast<size_t>(L) + static_cast<size_t>(l)) * n_cols + c];
          if (std::isfinite(v)) { sum += v; ++n; }
        }
        os << ',' << fmt(r.summary_names[c] == "wrmsse" ? lv.overall_wrmsse[m] : n ? sum / static_cast<double>(n) : std::nan(""));
      }
      os << '\n';
    }
  });
}

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
    const LevelScores& lv = r.by_level;
    os << "series_id,model,fold";
    for (const auto& n : r.layout.names) os << ',' << n;
    if (!lv.names.empty()) os << ",level";
    os << '\n';
    std::string row;
    for (size_t m = 0; m < r.models.size(); ++m) {
      const std::string model = csv_field(r.models[m]);
      for (int64_t k = 0; k < r.n_folds(); ++k)
        for (int64_t s = 0; s < r.n_series; ++s) {
          row = csv_field(ids[static_cast<size_t>(s)]) + ',' + model + ',' + std::to_string(k);
          for (int c = 0; c < r.layout.size(); ++c) row += ',' + fmt(r.value(static_cast<int64_t>(m), k, s, c));
          if (!lv.names.empty()) row += ',' + csv_field(lv.names[static_cast<size_t>(lv.level[static_cast<size_t>(s)])]);
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
    const LevelScores& lv = r.by_level;
    if (!lv.names.empty()) {  // Note [Scoring by level]; optional (Note [File format 2])
      h5::Handle g = h5::create_group(file, "levels", path);
      h5::write_attr(g, "weight_basis", lv.weight_basis);
      h5::write_attr(g, "weight_steps", kWeightSteps);
      h5::write_attr(g, "top_row", lv.top_row);
      const hsize_t L = static_cast<hsize_t>(lv.n_levels()), K = static_cast<hsize_t>(r.n_folds()),
                    S = static_cast<hsize_t>(r.n_series), H = static_cast<hsize_t>(r.horizon),
                    Q = static_cast<hsize_t>(r.levels.size()), Mo = static_cast<hsize_t>(r.models.size()),
                    C = static_cast<hsize_t>(r.summary_names.size());
      h5::write_strings(g, "names", lv.names, path);
      h5::write_vector(g, "n_series", lv.n_series, path);
      h5::write_vector(g, "level", lv.level, path);
      h5::write_tensor(g, "weights", {K, S}, lv.weights.data(), path);
      h5::write_strings(g, "metrics", r.summary_names, path);
      h5::write_strings(g, "models", r.models, path);
      h5::write_tensor(g, "table", {Mo, L, C}, lv.table.data(), path);
      h5::write_vector(g, "overall_wrmsse", lv.overall_wrmsse, path);
      if (lv.top_row >= 0) {
        h5::write_tensor(g, "top_actual", {K, H}, lv.top_actual.data(), path);
        h5::write_tensor(g, "top_mean", {Mo, K, H}, lv.top_mean.data(), path);
        if (Q > 0) h5::write_tensor(g, "top_quantiles", {Mo, K, H, Q}, lv.top_quantiles.data(), path);
      }
    }
    h5::close_file(file, ap.tmp());  // checked: a full disk fails here, before the rename
  }
  ap.commit();
}

}  // namespace skucast
