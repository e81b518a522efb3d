// engine/report/report.cpp — the HTML report (engine/report/report.h): input checks, one streaming pass over
// the panel, the page sections, and the inline SVG plots (engine/report/svg_plot.h).
#include "engine/report/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/report/svg_plot.h"
#include "io/atomic_file.h"
#include "io/forecast_file.h"
#include "io/h5.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

constexpr const char* kHistoryColor = "#1f4e79";
constexpr const char* kForecastColor = "#e8590c";

std::string fixed(double v, const char* spec) {
  if (!std::isfinite(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}
std::string percent(int64_t part, int64_t whole) {
  return whole > 0 ? fixed(100.0 * static_cast<double>(part) / static_cast<double>(whole), "%.1f") + " %" : "–";
}
std::string level_name(double q) { return "q" + fixed(q, "%g"); }
std::string esc(const std::string& s) { return html_escape(s); }
std::string n_steps_text(int64_t n) { return std::to_string(n) + (n == 1 ? " step" : " steps"); }

void require_file(const std::string& path, const char* flag) {
  if (path.empty()) throw InputError(std::string(flag) + ": no file given");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw InputError(std::string(flag) + ": file '" + path + "' does not exist");
  if (std::filesystem::is_directory(path, ec))
    throw InputError(std::string(flag) + ": '" + path + "' is a folder, expected a file");
}

// ------------------------------------------------------------ date ticks ----

// At most `max_ticks` ticks on calendar boundaries for positions [p0, p1]: the finest of
// days / Mondays / weeks, then months, quarters, years that fits. Month ticks sit on the
// first step of the month, so a label names the step it marks.
std::vector<AxisTick> date_ticks(const TimeAxis& ax, int64_t p0, int64_t p1, size_t max_ticks = 8) {
  static const char* kMonth[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::vector<AxisTick> best;
  // Keeps the candidate when it gives 2..max_ticks ticks.
  auto attempt = [&](auto&& keep, auto&& label) {
    std::vector<AxisTick> t;
    for (int64_t p = p0; p <= p1; ++p) {
      if (!keep(p)) continue;
      t.push_back({static_cast<double>(p), label(p)});
      if (t.size() > max_ticks) return false;
    }
    if (t.size() < 2) return false;
    best = std::move(t);
    return true;
  };
  if (ax.freq == Freq::Index) {
    for (const auto& t : nice_ticks(static_cast<double>(ax.ordinal_at(p0)), static_cast<double>(ax.ordinal_at(p1)), 8)) {
      const double pos = t.value - static_cast<double>(ax.start);
      if (pos >= static_cast<double>(p0) && pos <= static_cast<double>(p1)) best.push_back({pos, t.label});
    }
    return best;
  }
  const bool daily = ax.freq == Freq::Day || ax.freq == Freq::Week;
  // Month index (months since 1970-01) of a position.
  auto month_of = [&](int64_t p) -> int64_t {
    const int64_t ord = ax.ordinal_at(p);
    if (!daily) return ord;
    int64_t y;
    unsigned m, d;
    civil_from_days(ord, y, m, d);
    return (y - 1970) * 12 + static_cast<int64_t>(m) - 1;
  };
  auto month_label = [&](int64_t p, bool year_only) {
    const int64_t mi = month_of(p), y = 1970 + (mi >= 0 ? mi / 12 : (mi - 11) / 12), m = mi - (y - 1970) * 12;
    return year_only ? std::to_string(y) : std::string(kMonth[m]) + " " + std::to_string(y);
  };
  auto iso = [&](int64_t p) { return ax.label(p); };
  auto floor_mod = [](int64_t a, int64_t m) { return ((a % m) + m) % m; };
  if (ax.freq == Freq::Day) {
    // Every k-th day; the weekly strides start on Mondays (1970-01-05 was a Monday).
    for (int64_t k : {1, 2, 7, 14})
      if (attempt([&](int64_t p) { return floor_mod(ax.ordinal_at(p) - (k >= 7 ? 4 : 0), k) == 0; }, iso)) return best;
  } else if (ax.freq == Freq::Week) {
    for (int64_t k : {1, 2, 4})  // every k-th week, counted from 1970-01-05
      if (attempt([&](int64_t p) { const int64_t d = ax.ordinal_at(p) - 4; return floor_mod((d - floor_mod(d, 7)) / 7, k) == 0; }, iso))
        return best;
  }
  for (int64_t m : {1, 2, 3, 6, 12, 24, 60, 120, 240}) {
    if (!daily && m % ax.step_ordinals() != 0) continue;
    const int64_t anchor = daily ? 0 : floor_mod(ax.start, ax.step_ordinals());  // quarters may start in any month
    auto keep = [&](int64_t p) {
      const int64_t mi = month_of(p);
      if (daily && mi == month_of(p - 1)) return false;  // not the first step of its month
      return floor_mod(mi - anchor, m) == 0;
    };
    if (attempt(keep, [&](int64_t p) { return month_label(p, m >= 12 && month_of(p) % 12 == 0); })) return best;
  }
  if (best.empty()) best = {{static_cast<double>(p0), iso(p0)}, {static_cast<double>(p1), iso(p1)}};
  return best;
}

// ------------------------------------------------------------ the inputs ----

struct Inputs {
  const PanelReader& panel;
  const ForecastFile& fc;
  std::vector<int64_t> fc_row;  // [S] forecast row of each panel series
  int64_t origin = 0;           // panel position of forecast step 1
  int64_t w0 = 0;               // first history position plotted
};

// Totals from one streaming pass over /target.
struct PanelScan {
  int64_t n_cells = 0, n_nan = 0, n_interior_nan = 0, n_zero = 0, n_unobserved_series = 0;
  std::vector<double> series_total;  // [S] sum of observed values
  std::vector<double> window_total;  // [T - w0] sum over series, NaN where none observed
};

// total_from: the first series row summed into window_total (an aggregated panel's bottom
// series, so the aggregates are not counted twice).
PanelScan scan_panel(const Inputs& in, int64_t block, int64_t total_from) {
  const PanelHeader& h = in.panel.header();
  const int64_t S = h.n_series(), T = h.n_steps, W = T - in.w0;
  PanelScan sc;
  sc.series_total.assign(static_cast<size_t>(S), 0.0);
  std::vector<double> sum(static_cast<size_t>(W), 0.0);      // [W]
  std::vector<int64_t> n_obs(static_cast<size_t>(W), 0);     // [W]
  std::vector<float> buf;                                    // [n, T]
  for (int64_t i0 = 0; i0 < S; i0 += block) {
    const int64_t i1 = std::min(S, i0 + block);
    buf.resize(static_cast<size_t>(checked_mul(i1 - i0, T)));
    in.panel.read_target(i0, i1, buf.data());
    for (int64_t s = i0; s < i1; ++s) {
      const float* y = buf.data() + (s - i0) * T;  // [T]
      int64_t first = -1, last = -1, nan = 0;
      double total = 0.0;
      for (int64_t t = 0; t < T; ++t) {
        if (std::isnan(y[t])) { ++nan; continue; }
        if (first < 0) first = t;
        last = t;
        total += y[t];
        if (y[t] == 0.0f) ++sc.n_zero;
        if (t >= in.w0 && s >= total_from) { sum[static_cast<size_t>(t - in.w0)] += y[t]; ++n_obs[static_cast<size_t>(t - in.w0)]; }
      }
      sc.n_nan += nan;
      if (first < 0) { ++sc.n_unobserved_series; continue; }
      sc.n_interior_nan += nan - first - (T - 1 - last);
      sc.series_total[static_cast<size_t>(s)] = total;
    }
  }
  sc.n_cells = checked_mul(S, T);
  sc.window_total.resize(static_cast<size_t>(W));
  for (int64_t t = 0; t < W; ++t)
    sc.window_total[static_cast<size_t>(t)] = n_obs[static_cast<size_t>(t)] > 0 ? sum[static_cast<size_t>(t)] : NAN;
  return sc;
}

// Checks the forecast against the panel; fills the row map and the origin.
Inputs match_inputs(const PanelReader& panel, const ForecastFile& fc, const ReportOptions& opt) {
  const PanelHeader& h = panel.header();
  Inputs in{panel, fc, {}, 0, 0};
  if (fc.horizon < 1)
    throw InputError("forecast file '" + opt.forecast + "' has horizon " + std::to_string(fc.horizon) + "; expected at least 1 step");
  if (fc.axis.freq != h.axis.freq)
    throw InputError("forecast file '" + opt.forecast + "' has frequency " + freq_name(fc.axis.freq) + " but panel '" + opt.panel +
                     "' has " + freq_name(h.axis.freq));
  const int64_t S = h.n_series();
  if (static_cast<int64_t>(fc.ids.size()) != S)
    throw InputError("forecast file '" + opt.forecast + "' has " + std::to_string(fc.ids.size()) + " series but panel '" + opt.panel +
                     "' has " + std::to_string(S) + "; forecast the same panel");
  std::unordered_map<std::string, int64_t> row_of;
  row_of.reserve(fc.ids.size());
  for (size_t r = 0; r < fc.ids.size(); ++r) row_of.emplace(fc.ids[r], static_cast<int64_t>(r));
  in.fc_row.resize(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) {
    const auto it = row_of.find(h.ids[static_cast<size_t>(s)]);
    if (it == row_of.end())
      throw InputError("panel series '" + h.ids[static_cast<size_t>(s)] + "' of '" + opt.panel + "' is not in forecast file '" +
                       opt.forecast + "'; the forecast ids do not match the panel");
    in.fc_row[static_cast<size_t>(s)] = it->second;
  }
  const auto origin = h.axis.position(fc.axis.ordinal_at(fc.origin));
  if (!origin || *origin < 1 || *origin > h.n_steps)
    throw InputError("forecast file '" + opt.forecast + "' starts at " + fc.axis.label(fc.origin) + ", which is not a step in 1.." +
                     std::to_string(h.n_steps) + " of panel '" + opt.panel + "' (" + h.axis.label(0) + " to " +
                     h.axis.label(h.n_steps - 1) + ")");
  in.origin = *origin;
  const int64_t span = std::max<int64_t>(3 * fc.horizon, 2 * h.axis.season_length);
  in.w0 = std::max<int64_t>(0, std::min(in.origin, h.n_steps) - span);
  return in;
}

// ---------------------------------------------------------------- backtest ----

struct BacktestView {
  std::string attrs;                       // "horizon 28 · 3 folds"
  std::vector<std::string> models, cols;   // [Mo], [M]
  std::vector<double> table;               // [Mo, M]
  std::string hist_metric;                 // "mase" / "rmsse" / "" (no per-series metrics)
  std::vector<std::vector<double>> per_series;  // [Mo][S] mean over folds
  // /levels (Note [Scoring by level] in engine/eval/backtest.h); names empty when absent.
  std::vector<std::string> level_names, level_models, level_metrics;  // [L], [Mo'], [M']
  std::vector<int64_t> level_series;           // [L]
  std::vector<double> level_table;             // [Mo', L, M']
  std::vector<double> overall_wrmsse;          // [Mo']
  std::string weight_basis;
  // The total series' forecasts at the last fold: its id, origin, actual [H], means [Mo', H],
  // outermost quantiles [Mo', H] each; empty when the file has none.
  std::string top_id;
  int64_t top_origin = 0, horizon = 0;
  std::vector<float> top_actual, top_mean, top_lo, top_hi;
  std::string band_label;
  std::vector<std::string> ids;  // /series/id: the backtest's series (empty in files without it)
};

double finite_mean(const double* v, size_t n) {
  double s = 0.0;
  size_t k = 0;
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(v[i])) { s += v[i]; ++k; }
  return k ? s / static_cast<double>(k) : NAN;
}

// /levels of a backtest file (optional, Note [File format 2]); every size checked.
void read_levels(hid_t f, const std::string& path, BacktestView& bv) {
  h5::Handle g = h5::open_group(f, "levels", path);
  bv.level_names = h5::read_strings(g, "names", path);
  bv.level_models = h5::read_strings(g, "models", path);
  bv.level_metrics = h5::read_strings(g, "metrics", path);
  bv.level_series = h5::read_vector<int64_t>(g, "n_series", path);
  bv.level_table = h5::read_vector<double>(g, "table", path);
  bv.overall_wrmsse = h5::read_vector<double>(g, "overall_wrmsse", path);
  bv.weight_basis = h5::has_attr(g, "weight_basis") ? h5::read_attr_string(g, "weight_basis", path) : "";
  const size_t L = bv.level_names.size(), Mo = bv.level_models.size(), M = bv.level_metrics.size();
  auto bad = [&](const std::string& what) {
    return InputError(path + ": /levels/" + what + " does not match /levels/names (" + std::to_string(L) +
                      " levels), /levels/models (" + std::to_string(Mo) + ") and /levels/metrics (" + std::to_string(M) +
                      "); write it again with `skucast backtest --levels --out`");
  };
  if (bv.level_series.size() != L) throw bad("n_series");
  if (bv.level_table.size() != Mo * L * M) throw bad("table");
  if (bv.overall_wrmsse.size() != Mo) throw bad("overall_wrmsse");
  const int64_t top = h5::has_attr(g, "top_row") ? h5::read_attr_int(g, "top_row", path) : -1;
  if (top < 0 || !h5::exists(g, "top_actual") || !h5::exists(g, "top_mean")) return;
  const std::vector<std::string> ids = h5::read_strings(f, "series/id", path);
  const std::vector<int64_t> origins = h5::read_vector<int64_t>(f, "origins", path);
  const std::vector<double> q = h5::read_vector<double>(f, "quantile_levels", path);
  const std::vector<float> actual = h5::read_vector<float>(g, "top_actual", path);   // [K, H]
  const std::vector<float> mean = h5::read_vector<float>(g, "top_mean", path);       // [Mo, K, H]
  const size_t K = origins.size();
  if (static_cast<size_t>(top) >= ids.size() || K == 0 || actual.size() % K != 0) throw bad("top_actual");
  const size_t H = actual.size() / K, Q = q.size();
  if (mean.size() != Mo * K * H) throw bad("top_mean");
  bv.top_id = ids[static_cast<size_t>(top)];
  bv.top_origin = origins.back();
  bv.horizon = static_cast<int64_t>(H);
  bv.top_actual.assign(actual.end() - static_cast<std::ptrdiff_t>(H), actual.end());
  for (size_t m = 0; m < Mo; ++m) {
    const size_t at = (m * K + K - 1) * H;
    bv.top_mean.insert(bv.top_mean.end(), mean.begin() + static_cast<std::ptrdiff_t>(at), mean.begin() + static_cast<std::ptrdiff_t>(at + H));
  }
  if (Q < 2 || !h5::exists(g, "top_quantiles")) return;
  const std::vector<float> quant = h5::read_vector<float>(g, "top_quantiles", path);  // [Mo, K, H, Q]
  if (quant.size() != Mo * K * H * Q) throw bad("top_quantiles");
  const size_t jlo = static_cast<size_t>(std::min_element(q.begin(), q.end()) - q.begin());
  const size_t jhi = static_cast<size_t>(std::max_element(q.begin(), q.end()) - q.begin());
  bv.band_label = level_name(q[jlo]) + "–" + level_name(q[jhi]);
  for (size_t m = 0; m < Mo; ++m)
    for (size_t k = 0; k < H; ++k) {
      const size_t at = ((m * K + K - 1) * H + k) * Q;
      bv.top_lo.push_back(quant[at + jlo]);
      bv.top_hi.push_back(quant[at + jhi]);
    }
}

BacktestView read_backtest(const std::string& path) {
  require_file(path, "--backtest");
  h5::Handle f = h5::open_file_ro(path);
  h5::check_format(f, "skucast-backtest", "backtest", path, "write it again with `skucast backtest --out`");
  BacktestView bv;
  for (const char* a : {"horizon", "folds", "step"})
    if (h5::has_attr(f, a)) bv.attrs += (bv.attrs.empty() ? "" : " · ") + std::string(a) + " " + std::to_string(h5::read_attr_int(f, a, path));
  const bool has_metrics = h5::exists(f, "metrics");
  if (h5::exists(f, "summary/metrics")) {
    h5::Handle g = h5::open_group(f, "summary", path);
    bv.cols = h5::read_strings(g, "metrics", path);
    for (const auto& m : h5::list_links(g)) {
      if (m == "metrics") continue;
      std::vector<double> row = h5::read_vector<double>(g, m, path);
      if (row.size() != bv.cols.size())
        throw InputError(path + ": /summary/" + m + " has " + std::to_string(row.size()) + " values, expected " +
                         std::to_string(bv.cols.size()) + " (one per /summary/metrics)");
      bv.models.push_back(m);
      bv.table.insert(bv.table.end(), row.begin(), row.end());
    }
  } else if (has_metrics) {  // no summary: the mean of each per-series metric
    h5::Handle g = h5::open_group(f, "metrics", path);
    bv.models = h5::list_links(g);
    if (!bv.models.empty()) bv.cols = h5::list_links(h5::open_group(g, bv.models.front(), path));
    for (const auto& m : bv.models) {
      h5::Handle mg = h5::open_group(g, m, path);
      for (const auto& c : bv.cols) {
        const std::vector<double> v = h5::exists(mg, c) ? h5::read_vector<double>(mg, c, path) : std::vector<double>{};
        bv.table.push_back(finite_mean(v.data(), v.size()));
      }
    }
  }
  if (bv.models.empty()) throw InputError("backtest file '" + path + "' holds no models (no /summary or /metrics group)");
  if (h5::exists(f, "series/id")) bv.ids = h5::read_strings(h5::open_group(f, "series", path), "id", path);
  if (h5::exists(f, "levels")) read_levels(f, path, bv);
  if (!has_metrics) return bv;
  h5::Handle g = h5::open_group(f, "metrics", path);
  for (const char* name : {"mase", "rmsse"}) {
    if (!h5::exists(g, bv.models.front() + "/" + name)) continue;
    bv.hist_metric = name;
    for (const auto& m : bv.models) {
      std::vector<double> per;
      if (h5::exists(g, m + "/" + name)) {
        h5::Handle ds = h5::open_dataset(g, m + "/" + name, path);
        const std::vector<int64_t> d = h5::dims(ds);
        const std::vector<double> v = h5::read_vector<double>(g, m + "/" + name, path);  // [K, S]
        const int64_t K = d.size() == 2 ? d[0] : 1, S = d.empty() ? 0 : d.back();
        for (int64_t s = 0; s < S; ++s) {
          double sum = 0.0;
          int64_t n = 0;
          for (int64_t k = 0; k < K; ++k) {
            const double x = v[static_cast<size_t>(k * S + s)];
            if (std::isfinite(x)) { sum += x; ++n; }
          }
          per.push_back(n ? sum / static_cast<double>(n) : NAN);
        }
      }
      bv.per_series.push_back(std::move(per));
    }
    break;
  }
  return bv;
}

std::string metric_display(const std::string& n) {
  if (n == "smape") return "sMAPE";
  if (n == "bias" || n == "pinball" || n.rfind("cov", 0) == 0) return n;
  std::string u = n;
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// Distance from the ideal (engine/eval/backtest_report.cpp): lowest; bias closest to 0;
// "covNN" closest to NN %.
double badness(const std::string& col, double v) {
  if (col == "bias") return std::fabs(v);
  if (col.size() > 3 && col.rfind("cov", 0) == 0 && std::all_of(col.begin() + 3, col.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return std::fabs(v - std::stod(col.substr(3)) / 100.0);
  return v;
}

std::string backtest_section(const BacktestView& bv, const std::string& path) {
  std::string s = "<section id=\"backtest\">\n<h2>Backtest</h2>\n<p class=\"note\">" + esc(path) +
                  (bv.attrs.empty() ? "" : " · " + esc(bv.attrs)) +
                  ". Mean over series and folds; best value per column highlighted (lowest; bias closest to 0; "
                  "coverage closest to nominal).</p>\n<table class=\"metrics\">\n<thead><tr><th>model</th>";
  for (const auto& c : bv.cols) s += "<th>" + esc(metric_display(c)) + "</th>";
  s += "</tr></thead>\n<tbody>\n";
  const size_t M = bv.cols.size(), Mo = bv.models.size();
  std::vector<size_t> best(M, Mo);
  for (size_t c = 0; c < M; ++c)
    for (size_t m = 0; m < Mo; ++m) {
      const double v = bv.table[m * M + c];
      if (std::isfinite(v) && (best[c] == Mo || badness(bv.cols[c], v) < badness(bv.cols[c], bv.table[best[c] * M + c]))) best[c] = m;
    }
  for (size_t m = 0; m < Mo; ++m) {
    s += "<tr><th>" + esc(bv.models[m]) + "</th>";
    for (size_t c = 0; c < M; ++c)
      s += std::string(best[c] == m ? "<td class=\"best\">" : "<td>") + fixed(bv.table[m * M + c], "%.4f") + "</td>";
    s += "</tr>\n";
  }
  s += "</tbody>\n</table>\n";
  if (bv.hist_metric.empty()) return s + "</section>\n";
  // Common bins for every model: 0 up to a round number above the pooled 95th percentile.
  std::vector<double> pooled;
  for (const auto& v : bv.per_series)
    for (double x : v)
      if (std::isfinite(x)) pooled.push_back(x);
  double hi = 1.0;
  if (!pooled.empty()) {
    std::sort(pooled.begin(), pooled.end());
    const double p95 = pooled[static_cast<size_t>(0.95 * static_cast<double>(pooled.size() - 1))];
    if (p95 > 0.0) hi = nice_ticks(0.0, p95, 5).back().value;
  }
  const std::string metric = metric_display(bv.hist_metric);
  s += "<h3>Per-series " + esc(metric) + " (mean over folds)</h3>\n<div class=\"hists\">\n";
  for (size_t m = 0; m < Mo; ++m) {
    Histogram h;
    h.title = bv.models[m];
    h.x_label = metric;
    h.values = bv.per_series[m];
    h.lo = 0.0;
    h.hi = hi;
    s += "<figure class=\"hist\">" + render_histogram(h) + "</figure>\n";
  }
  return s + "</div>\n</section>\n";
}

// The per-level section (Note [Scoring by level]): WRMSSE by level and model, every metric by
// level, and the total series' last fold with each model's band. History for the plot comes
// from the report's panel when it holds the total series on the same axis.
std::string levels_section(const BacktestView& bv, const PanelReader& panel) {
  const size_t L = bv.level_names.size(), Mo = bv.level_models.size(), M = bv.level_metrics.size();
  const size_t w_col = static_cast<size_t>(std::find(bv.level_metrics.begin(), bv.level_metrics.end(), "wrmsse") - bv.level_metrics.begin());
  std::string s = "<section id=\"levels\">\n<h2>Backtest by level</h2>\n<p class=\"note\">WRMSSE of each level (M5: "
                  "weights from each series' " + esc(bv.weight_basis.empty() ? "sales" : bv.weight_basis) +
                  " over the 28 steps before each origin, normalised within the level); all levels = their mean. "
                  "Reconciled forecasts are named model:method. Best per row highlighted.</p>\n"
                  "<table class=\"metrics\" id=\"level-wrmsse\">\n<thead><tr><th>level</th><th>series</th>";
  for (const auto& m : bv.level_models) s += "<th>" + esc(m) + "</th>";
  s += "</tr></thead>\n<tbody>\n";
  for (size_t l = 0; l <= L; ++l) {
    const bool all = l == L;
    auto v = [&](size_t m) { return all ? bv.overall_wrmsse[m] : w_col < M ? bv.level_table[(m * L + l) * M + w_col] : NAN; };
    size_t best = Mo;
    for (size_t m = 0; m < Mo; ++m)
      if (std::isfinite(v(m)) && (best == Mo || v(m) < v(best))) best = m;
    int64_t n = 0;
    for (int64_t x : bv.level_series) n += x;
    s += "<tr><th>" + (all ? std::string("all levels") : esc(bv.level_names[l])) + "</th><td>" +
         std::to_string(all ? n : bv.level_series[l]) + "</td>";
    for (size_t m = 0; m < Mo; ++m) s += std::string(best == m ? "<td class=\"best\">" : "<td>") + fixed(v(m), "%.4f") + "</td>";
    s += "</tr>\n";
  }
  s += "</tbody>\n</table>\n<h3>Every metric by level</h3>\n<table class=\"metrics\" id=\"level-metrics\">\n<thead><tr><th>level</th><th>model</th>";
  for (const auto& c : bv.level_metrics) s += "<th>" + esc(metric_display(c)) + "</th>";
  s += "</tr></thead>\n<tbody>\n";
  for (size_t l = 0; l < L; ++l)
    for (size_t m = 0; m < Mo; ++m) {
      s += "<tr><th>" + esc(bv.level_names[l]) + "</th><th>" + esc(bv.level_models[m]) + "</th>";
      for (size_t c = 0; c < M; ++c) s += "<td>" + fixed(bv.level_table[(m * L + l) * M + c], "%.4f") + "</td>";
      s += "</tr>\n";
    }
  s += "</tbody>\n</table>\n";
  if (bv.top_id.empty()) return s + "</section>\n";
  // The total series at the last fold: history from the panel (when it has the series), the
  // actuals of the fold, each model's mean and outermost quantiles.
  const PanelHeader& h = panel.header();
  const int64_t H = bv.horizon, o = bv.top_origin;
  std::vector<double> hist_x, hist_y;
  const auto it = std::find(h.ids.begin(), h.ids.end(), bv.top_id);
  const bool from_panel = it != h.ids.end() && o + H <= h.n_steps;
  const int64_t w0 = std::max<int64_t>(0, o - std::max<int64_t>(3 * H, 2 * h.axis.season_length));
  if (from_panel) {
    const int64_t row = it - h.ids.begin();
    std::vector<float> y(static_cast<size_t>(h.n_steps));
    panel.read_target(row, row + 1, y.data());
    for (int64_t t = w0; t < o; ++t) {
      hist_x.push_back(static_cast<double>(t));
      hist_y.push_back(y[static_cast<size_t>(t)]);
    }
  }
  std::vector<double> fx, ay;
  for (int64_t k = 0; k < H; ++k) {
    fx.push_back(static_cast<double>(o + k));
    ay.push_back(bv.top_actual[static_cast<size_t>(k)]);
  }
  s += "<h3>" + esc(bv.top_id) + ": the last fold</h3>\n<p class=\"note\">Actuals (blue) and each model's mean with its " +
       esc(bv.band_label.empty() ? "forecast" : bv.band_label + " band") + " from the last origin" +
       (from_panel ? "" : " (the report's panel does not hold this series on the backtest's axis: no history shown)") +
       ".</p>\n<div class=\"plots\">\n";
  for (size_t m = 0; m < Mo; ++m) {
    LineChart c;
    c.title = bv.top_id + " · " + bv.level_models[m];
    if (!bv.top_lo.empty()) {
      PlotBand b{fx, {}, {}, kForecastColor, 0.22, bv.band_label};
      for (int64_t k = 0; k < H; ++k) {
        b.lo.push_back(bv.top_lo[m * static_cast<size_t>(H) + static_cast<size_t>(k)]);
        b.hi.push_back(bv.top_hi[m * static_cast<size_t>(H) + static_cast<size_t>(k)]);
      }
      c.bands.push_back(std::move(b));
    }
    std::vector<double> all_x = hist_x, all_y = hist_y;
    all_x.insert(all_x.end(), fx.begin(), fx.end());
    all_y.insert(all_y.end(), ay.begin(), ay.end());
    c.lines.push_back({all_x, all_y, kHistoryColor, 1.4, false, "actual"});
    std::vector<double> my;
    for (int64_t k = 0; k < H; ++k) my.push_back(bv.top_mean[m * static_cast<size_t>(H) + static_cast<size_t>(k)]);
    c.lines.push_back({fx, my, kForecastColor, 1.8, false, "mean"});
    const int64_t x0 = from_panel ? w0 : o;
    c.x_min = static_cast<double>(x0);
    c.x_max = static_cast<double>(o + H - 1);
    if (from_panel) c.x_ticks = date_ticks(h.axis, x0, o + H - 1);
    c.has_marker = true;
    c.marker_x = static_cast<double>(o) - 0.5;
    s += "<figure class=\"plot\">" + render_line_chart(c) + "</figure>\n";
  }
  return s + "</div>\n</section>\n";
}

// ------------------------------------------------------------------- page ----

std::string row(const std::string& key, const std::string& value_html) {
  return "<tr><th>" + esc(key) + "</th><td>" + value_html + "</td></tr>\n";
}

std::string panel_section(const Inputs& in, const PanelScan& sc, const std::string& path) {
  const PanelHeader& h = in.panel.header();
  std::string s = "<section id=\"panel\">\n<h2>Panel</h2>\n<table class=\"kv\">\n";
  s += row("file", esc(path));
  s += row("series", std::to_string(h.n_series()) +
                         (sc.n_unobserved_series ? " (" + std::to_string(sc.n_unobserved_series) + " never observed)" : ""));
  s += row("steps", std::to_string(h.n_steps) + (h.n_future ? " + " + std::to_string(h.n_future) + " future steps of covariates" : ""));
  s += row("frequency", esc(freq_name(h.axis.freq)) + ", season length " + std::to_string(h.axis.season_length));
  if (h.n_steps > 0) s += row("date range", esc(h.axis.label(0)) + " to " + esc(h.axis.label(h.n_steps - 1)));
  s += row("missing", percent(sc.n_nan, sc.n_cells) + " of cells not observed (" + percent(sc.n_interior_nan, sc.n_cells) +
                          " interior gaps, the rest before launch or after delisting)");
  s += row("zero", percent(sc.n_zero, sc.n_cells - sc.n_nan) + " of observed values are 0");
  s += row("weights", h.weights.empty() ? "none (series ranked by total sales)" : "/series/weight");
  std::string statics, dyn, events;
  for (const auto& a : h.statics) statics += (statics.empty() ? "" : ", ") + esc(a.name) + " (" + std::to_string(a.levels.size()) + " levels)";
  for (const auto& d : h.dynamic) dyn += (dyn.empty() ? "" : ", ") + esc(d.name) + (d.per_series ? " (per series)" : " (shared)");
  for (const auto& e : h.events) {
    const int64_t n = std::count_if(e.flags.begin(), e.flags.end(), [](uint8_t v) { return v != 0; });
    events += (events.empty() ? "" : ", ") + esc(e.name) + " (" + n_steps_text(n) + ")";
  }
  s += row("static attributes", statics.empty() ? "none" : statics);
  s += row("covariates", dyn.empty() ? "none" : dyn);
  s += row("events", events.empty() ? "none" : events);
  return s + "</table>\n</section>\n";
}

std::string forecast_section(const Inputs& in, const PanelScan& sc, const std::vector<double>& fc_total, const std::string& path) {
  const ForecastFile& fc = in.fc;
  const TimeAxis& ax = in.panel.header().axis;
  std::string levels;
  for (double q : fc.levels) levels += (levels.empty() ? "" : ", ") + fixed(q, "%g");
  std::string s = "<section id=\"forecast\">\n<h2>Forecast</h2>\n<table class=\"kv\">\n";
  s += row("file", esc(path));
  s += row("model", "<b>" + esc(fc.model) + "</b>");
  s += row("horizon", std::to_string(fc.horizon) + " steps, " + esc(ax.label(in.origin)) + " to " +
                          esc(ax.label(in.origin + fc.horizon - 1)));
  s += row("origin", esc(ax.label(in.origin)) + " (first forecast step; last history step " + esc(ax.label(in.origin - 1)) + ")");
  s += row("quantile levels", levels.empty() ? "none (point forecast)" : levels);
  double total = 0.0, last = 0.0;
  for (double v : fc_total) total += v;
  std::string cmp;
  const int64_t W = static_cast<int64_t>(sc.window_total.size()), end = in.origin - in.w0;  // window index of the origin
  if (end >= fc.horizon && end <= W) {
    for (int64_t t = end - fc.horizon; t < end; ++t)
      if (std::isfinite(sc.window_total[static_cast<size_t>(t)])) last += sc.window_total[static_cast<size_t>(t)];
    if (last > 0.0) cmp = " (" + fixed(100.0 * (total / last - 1.0), "%+.1f") + " % vs the last " + std::to_string(fc.horizon) + " steps: " +
                          format_compact(last) + ")";
  }
  s += row("total forecast", format_compact(total) + " over all series and steps" + cmp);
  return s + "</table>\n</section>\n";
}

// One forecast plot: history [w0, T) of y, the forecast of row r from the origin.
std::string series_plot(const Inputs& in, const std::string& title, const std::vector<double>& hist, const std::vector<double>& mean,
                        const float* quant /*[H, Q] or null*/) {
  const PanelHeader& h = in.panel.header();
  const ForecastFile& fc = in.fc;
  const int64_t H = fc.horizon, Q = static_cast<int64_t>(fc.levels.size());
  LineChart c;
  c.title = title;
  PlotLine hl{{}, hist, kHistoryColor, 1.4, false, "history"};
  for (size_t t = 0; t < hist.size(); ++t) hl.x.push_back(static_cast<double>(in.w0 + static_cast<int64_t>(t)));
  std::vector<double> fx(static_cast<size_t>(H));
  for (int64_t k = 0; k < H; ++k) fx[static_cast<size_t>(k)] = static_cast<double>(in.origin + k);
  if (quant && Q >= 2) {  // the outermost levels, whatever their order in the file
    const int64_t jlo = std::min_element(fc.levels.begin(), fc.levels.end()) - fc.levels.begin();
    const int64_t jhi = std::max_element(fc.levels.begin(), fc.levels.end()) - fc.levels.begin();
    PlotBand b{fx, {}, {}, kForecastColor, 0.22, level_name(fc.levels[jlo]) + "–" + level_name(fc.levels[jhi])};
    for (int64_t k = 0; k < H; ++k) {
      b.lo.push_back(quant[k * Q + jlo]);
      b.hi.push_back(quant[k * Q + jhi]);
    }
    c.bands.push_back(std::move(b));
  }
  c.lines.push_back(std::move(hl));
  c.lines.push_back({fx, mean, kForecastColor, 1.8, false, "mean"});
  for (int64_t j = 0; quant && j < Q; ++j) {
    if (std::fabs(fc.levels[static_cast<size_t>(j)] - 0.5) > 1e-9) continue;
    PlotLine med{fx, {}, "#9c3608", 1.2, true, "median"};
    for (int64_t k = 0; k < H; ++k) med.y.push_back(quant[k * Q + j]);
    c.lines.push_back(std::move(med));
  }
  const int64_t x1 = std::max(h.n_steps, in.origin + H) - 1;
  c.x_min = static_cast<double>(in.w0);
  c.x_max = static_cast<double>(x1);
  c.x_ticks = date_ticks(h.axis, in.w0, x1);
  c.has_marker = true;
  c.marker_x = static_cast<double>(in.origin) - 0.5;
  return render_line_chart(c);
}

constexpr const char* kStyle = R"(body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:24px auto;max-width:1580px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
h3{font-size:15px}.note{color:#555;font-size:13px}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 10px;text-align:left;border-bottom:1px solid #eee}
table.kv th{color:#555;font-weight:normal;white-space:nowrap}
table.metrics td{text-align:right;font-variant-numeric:tabular-nums}table.metrics thead th{text-align:right;background:#f4f4f4}
table.metrics thead th:first-child{text-align:left}td.best{background:#d3f9d8;font-weight:bold}
.summary{display:flex;flex-wrap:wrap;gap:12px 40px}.plots,.hists{display:flex;flex-wrap:wrap;gap:8px 16px}
figure{margin:0}figcaption{font-size:12px;color:#555;max-width:760px;overflow-wrap:anywhere}
)";

}  // namespace

std::string build_report_html(const ReportOptions& opt) {
  if (opt.n_plots < 0) throw InputError("--series must be 0 or more, got " + std::to_string(opt.n_plots));
  if (opt.block < 1) throw InputError("--block must be at least 1, got " + std::to_string(opt.block));
  require_file(opt.panel, "--panel");
  require_file(opt.forecast, "--forecast");
  const PanelReader panel(opt.panel);
  const ForecastFile fc = read_forecast(opt.forecast);
  const Inputs in = match_inputs(panel, fc, opt);
  const BacktestView bv = opt.backtest.empty() ? BacktestView{} : read_backtest(opt.backtest);
  const PanelHeader& h = panel.header();
  if (!bv.ids.empty()) {  // a backtest of another panel is shown, with a note saying so
    const std::unordered_set<std::string> in_panel(h.ids.begin(), h.ids.end());
    const int64_t n_other = std::count_if(bv.ids.begin(), bv.ids.end(), [&](const std::string& id) { return !in_panel.count(id); });
    if (n_other > 0 || static_cast<int64_t>(bv.ids.size()) != h.n_series())
      std::fprintf(stderr,
                   "skucast: note: %s scored %zu series, %lld of them not in %s (which has %lld): its section "
                   "describes those series, not this panel's\n",
                   opt.backtest.c_str(), bv.ids.size(), static_cast<long long>(n_other), opt.panel.c_str(),
                   static_cast<long long>(h.n_series()));
  }
  const int64_t S = h.n_series(), T = h.n_steps, H = fc.horizon, Q = static_cast<int64_t>(fc.levels.size());

  // The plotted series: top n_plots by weight (else total sales), ties by panel order, then --ids.
  std::unordered_map<std::string, int64_t> index_of;
  for (const auto& id : opt.ids) index_of.emplace(id, -1);
  for (int64_t s = 0; s < S; ++s) {
    auto it = index_of.find(h.ids[static_cast<size_t>(s)]);
    if (it != index_of.end()) it->second = s;
  }
  for (const auto& id : opt.ids)
    if (index_of.at(id) < 0) throw InputError("--ids: series '" + id + "' is not in panel '" + opt.panel + "'");
  // An aggregated panel (skucast aggregate) holds every series once per level: the total plot
  // sums its bottom series only.
  const int64_t n_aggregates = has_hierarchy(opt.panel) ? read_hierarchy(opt.panel).n_aggregates : 0;
  const PanelScan sc = scan_panel(in, std::min<int64_t>(opt.block, std::max<int64_t>(S, 1)), n_aggregates);
  const bool by_weight = !h.weights.empty();
  auto key = [&](int64_t s) {
    const double k = by_weight ? h.weights[static_cast<size_t>(s)] : sc.series_total[static_cast<size_t>(s)];
    return std::isfinite(k) ? k : -INFINITY;
  };
  std::vector<int64_t> order(static_cast<size_t>(S));
  for (int64_t s = 0; s < S; ++s) order[static_cast<size_t>(s)] = s;
  const int64_t n_top = std::min(opt.n_plots, S);
  std::partial_sort(order.begin(), order.begin() + n_top, order.end(), [&](int64_t a, int64_t b) {
    return key(a) != key(b) ? key(a) > key(b) : a < b;
  });
  std::vector<int64_t> chosen(order.begin(), order.begin() + n_top);
  for (const auto& id : opt.ids)
    if (std::find(chosen.begin(), chosen.end(), index_of.at(id)) == chosen.end()) chosen.push_back(index_of.at(id));

  // Summed forecast mean per step [H].
  std::vector<double> fc_total(static_cast<size_t>(H), 0.0);
  for (int64_t s = n_aggregates; s < S; ++s) {
    const float* m = fc.mean.data() + in.fc_row[static_cast<size_t>(s)] * H;
    for (int64_t k = 0; k < H; ++k)
      if (std::isfinite(m[k])) fc_total[static_cast<size_t>(k)] += m[k];
  }

  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>skucast report: " + esc(fc.model) +
                     " forecast</title>\n<style>\n" + kStyle + "</style>\n</head>\n<body>\n";
  page += "<h1>skucast forecast report: " + esc(fc.model) + "</h1>\n<p class=\"note\">" + std::to_string(S) + " series, horizon " +
          std::to_string(H) + " from " + esc(h.axis.label(in.origin)) + "</p>\n<div class=\"summary\">\n";
  page += panel_section(in, sc, opt.panel) + forecast_section(in, sc, fc_total, opt.forecast) + "</div>\n";

  page += "<section id=\"plots\">\n<h2>Forecast plots</h2>\n<p class=\"note\">Last " + std::to_string(T - in.w0) +
          " steps of history and the forecast; the shaded band spans the outermost quantiles. Series: the top " +
          std::to_string(n_top) + (by_weight ? " by weight" : " by total sales") +
          (opt.ids.empty() ? std::string() : ", plus those asked for with --ids") + ".</p>\n<div class=\"plots\">\n";
  page += "<figure class=\"plot\" id=\"plot-total\">" +
          series_plot(in, "Total over all " + std::to_string(S - n_aggregates) + (n_aggregates ? " bottom" : "") + " series",
                      sc.window_total, fc_total, nullptr) +
          "<figcaption>Sum over all " + (n_aggregates ? std::string("bottom series of the aggregated panel (its ") +
                                                            std::to_string(n_aggregates) + " aggregates not counted again)"
                                                      : std::string("series")) +
          " (observed values); forecast = sum of the series means.</figcaption></figure>\n";
  std::vector<float> y(static_cast<size_t>(T));  // [T]
  for (size_t n = 0; n < chosen.size(); ++n) {
    const int64_t s = chosen[n], r = in.fc_row[static_cast<size_t>(s)];
    panel.read_target(s, s + 1, y.data());
    std::vector<double> hist(y.begin() + in.w0, y.end()), mean(fc.mean.begin() + r * H, fc.mean.begin() + (r + 1) * H);
    const float* quant = Q > 0 ? fc.quantiles.data() + r * H * Q : nullptr;
    const std::string& id = h.ids[static_cast<size_t>(s)];
    std::string cap = static_cast<int64_t>(n) < n_top ? "#" + std::to_string(n + 1) + " · " : "requested · ";
    cap += esc(id) + " · " + (by_weight ? "weight " + format_compact(h.weights[static_cast<size_t>(s)]) + " · " : "") +
           "total sales " + format_compact(sc.series_total[static_cast<size_t>(s)]);
    for (const auto& a : h.statics) {
      const int32_t code = a.codes[static_cast<size_t>(s)];
      if (code >= 0 && code < static_cast<int32_t>(a.levels.size())) cap += " · " + esc(a.name) + " " + esc(a.levels[static_cast<size_t>(code)]);
    }
    page += "<figure class=\"plot\">" + series_plot(in, id, hist, mean, quant) + "<figcaption>" + cap + "</figcaption></figure>\n";
  }
  page += "</div>\n</section>\n";
  if (!opt.backtest.empty()) page += backtest_section(bv, opt.backtest);
  if (!bv.level_names.empty()) page += levels_section(bv, panel);
  page += "<p class=\"note\">Generated by skucast report.</p>\n</body>\n</html>\n";
  return page;
}

void write_report(const ReportOptions& opt, const std::string& out) {
  if (out.empty()) throw InputError("--out: no output file given");
  const std::string html = build_report_html(opt);  // every input check happens before the file is touched
  AtomicPath ap(out);
  {
    std::ofstream os(ap.tmp(), std::ios::binary | std::ios::trunc);
    if (!os) throw IoError("cannot open '" + ap.tmp() + "' for writing (the folder of '" + out + "' must exist)");
    os.write(html.data(), static_cast<std::streamsize>(html.size()));
    os.close();
    if (!os) throw IoError("write to '" + ap.tmp() + "' failed (disk full?)");
  }
  ap.commit();
}

}  // namespace skucast
