// tools/cmd_info.cpp — `skucast info FILE`: a summary of a panel (axis, series, missing and
// zero shares streamed over blocks of series, covariates, statics, events, weights) or of
// a forecast file (model, horizon, quantile levels, series).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "engine/deepar/checkpoint.h"
#include "io/file_check.h"
#include "io/file_kind.h"
#include "io/forecast_file.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "tools/commands.h"

namespace skucast::cli {

namespace {

std::string pct(int64_t part, int64_t whole) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f%%", whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  return buf;
}

std::string join(const std::vector<std::string>& v, size_t max_items) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max_items; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max_items) s += ", ... (" + std::to_string(v.size()) + " in all)";
  return s;
}

std::string count_or_none(size_t n) { return n == 0 ? "(none)" : std::to_string(n); }

std::string fmt_levels(const std::vector<double>& levels) {
  std::string s;
  for (size_t i = 0; i < levels.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", levels[i]);
    s += (i ? ", " : "") + std::string(buf);
  }
  return s.empty() ? "(none)" : s;
}

void info_panel(const std::string& path) {
  PanelReader reader(path);
  const PanelHeader& h = reader.header();
  const int64_t S = h.n_series(), T = h.n_steps, F = h.n_future, TF = h.n_total();
  std::printf("file:          %s (skucast panel, version %d)\n", path.c_str(), kPanelVersion);
  std::printf("series:        %lld\n", static_cast<long long>(S));
  std::printf("steps:         %lld history + %lld future\n", static_cast<long long>(T), static_cast<long long>(F));
  std::printf("frequency:     %s (season length %d)\n", freq_name(h.axis.freq).c_str(), h.axis.season_length);
  if (T > 0) std::printf("history:       %s .. %s\n", h.axis.label(0).c_str(), h.axis.label(T - 1).c_str());
  if (F > 0) std::printf("future:        %s .. %s\n", h.axis.label(T).c_str(), h.axis.label(TF - 1).c_str());

  // Stream the target in blocks of series: memory is one block.
  const int64_t rows = std::max<int64_t>(reader.chunk_rows(), std::max<int64_t>(1, (int64_t{4} << 20) / std::max<int64_t>(1, T)));
  int64_t n_nan = 0, n_zero = 0, n_interior_nan = 0, n_span = 0, n_empty_series = 0;
  std::vector<int64_t> dyn_nan(h.dynamic.size(), 0);
  for (int64_t i0 = 0; i0 < S; i0 += rows) {
    const int64_t i1 = std::min(S, i0 + rows);
    const std::vector<float> y = reader.read_target(i0, i1);  // [i1-i0, T]
    for (int64_t i = 0; i < i1 - i0; ++i) {
      const float* r = y.data() + i * T;  // [T]
      int64_t first = -1, last = -1, nan_here = 0;
      for (int64_t t = 0; t < T; ++t) {
        if (std::isnan(r[t])) {
          ++nan_here;
          continue;
        }
        if (first < 0) first = t;
        last = t;
        if (r[t] == 0.0f) ++n_zero;
      }
      n_nan += nan_here;
      if (first < 0) {
        ++n_empty_series;
        continue;
      }
      n_span += last - first + 1;
      n_interior_nan += (last - first + 1) - (T - nan_here);
    }
    for (size_t k = 0; k < h.dynamic.size(); ++k) {
      const std::vector<float> d = reader.read_dynamic(h.dynamic[k].name, i0, i1);  // [i1-i0, T+F]
      dyn_nan[k] += std::count_if(d.begin(), d.end(), [](float v) { return std::isnan(v); });
    }
  }
  const int64_t cells = S * T;
  std::printf("missing:       %s of %lld cells (%s inside observed spans; %lld series never observed)\n",
              pct(n_nan, cells).c_str(), static_cast<long long>(cells), pct(n_interior_nan, n_span).c_str(),
              static_cast<long long>(n_empty_series));
  std::printf("zeros:         %s of cells, %s of observed values\n", pct(n_zero, cells).c_str(),
              pct(n_zero, cells - n_nan).c_str());
  std::printf("dynamic:       %s\n", count_or_none(h.dynamic.size()).c_str());
  for (size_t k = 0; k < h.dynamic.size(); ++k)
    std::printf("  %-20s %s [%s], %s missing\n", h.dynamic[k].name.c_str(), "float32",
                h.dynamic[k].per_series ? "S, T+F" : "T+F", pct(dyn_nan[k], S * TF).c_str());
  std::printf("static:        %s\n", count_or_none(h.statics.size()).c_str());
  for (const auto& st : h.statics)
    std::printf("  %-20s %zu levels: %s\n", st.name.c_str(), st.levels.size(), join(st.levels, 8).c_str());
  std::printf("events:        %s\n", count_or_none(h.events.size()).c_str());
  for (const auto& ev : h.events)
    std::printf("  %-20s %lld flagged steps\n", ev.name.c_str(),
                static_cast<long long>(std::count_if(ev.flags.begin(), ev.flags.end(), [](uint8_t f) { return f != 0; })));
  if (h.weights.empty()) {
    std::printf("weights:       (none)\n");
  } else {
    const auto [mn, mx] = std::minmax_element(h.weights.begin(), h.weights.end());
    double sum = 0;
    for (float w : h.weights) sum += w;
    std::printf("weights:       min %g, max %g, sum %g\n", *mn, *mx, sum);
  }
  std::printf("ids:           %s\n", join(h.ids, 5).c_str());
  if (has_hierarchy(path)) {  // an aggregated panel (skucast aggregate)
    const HierarchyStructure hs = read_hierarchy(path);
    std::printf("hierarchy:     %zu levels (%s), %lld aggregate + %lld bottom series, %zu sums in S_agg\n",
                hs.level_names.size(), join(hs.level_names, 12).c_str(), static_cast<long long>(hs.n_aggregates),
                static_cast<long long>(hs.n_bottom), hs.indices.size());
  }
}

void info_forecast(const std::string& path) {
  const ForecastFile fc = read_forecast(path);
  const int64_t S = static_cast<int64_t>(fc.ids.size());
  std::printf("file:          %s (skucast forecast, version %d)\n", path.c_str(), kForecastVersion);
  std::printf("model:         %s\n", fc.model.c_str());
  std::printf("series:        %lld\n", static_cast<long long>(S));
  std::printf("horizon:       %lld steps\n", static_cast<long long>(fc.horizon));
  std::printf("frequency:     %s (season length %d)\n", freq_name(fc.axis.freq).c_str(), fc.axis.season_length);
  if (fc.horizon > 0)
    std::printf("forecasts:     %s .. %s (origin: axis position %lld)\n", fc.axis.label(fc.origin).c_str(),
                fc.axis.label(fc.origin + fc.horizon - 1).c_str(), static_cast<long long>(fc.origin));
  std::printf("quantiles:     %s\n", fmt_levels(fc.levels).c_str());
  if (fc.shard_count > 1) {
    std::printf("shard:         %lld/%lld", static_cast<long long>(fc.shard_index), static_cast<long long>(fc.shard_count));
    if (fc.panel_series > 0)  // Note [Shards of one run] in io/forecast_file.h
      std::printf(", series [%lld, %lld) of a %lld-series panel (written by run %s)",
                  static_cast<long long>(fc.series_begin), static_cast<long long>(fc.series_end),
                  static_cast<long long>(fc.panel_series), fc.panel_run_id.empty() ? "?" : fc.panel_run_id.c_str());
    std::printf("; `skucast merge` joins the shards\n");
  }
  if (!fc.model_per_series.empty()) {  // `--model auto`: how many series each model got
    std::vector<std::pair<std::string, int64_t>> counts;
    for (const std::string& m : fc.model_per_series) {
      auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == m; });
      if (it == counts.end()) counts.emplace_back(m, 1);
      else ++it->second;
    }
    std::string text;
    for (const auto& [m, n] : counts) text += (text.empty() ? "" : ", ") + m + " " + std::to_string(n);
    std::printf("model per series: %s\n", text.c_str());
  }
  if (fc.intervals != "model")
    std::printf("intervals:     %s (%lld calibration folds)%s%s%s%s\n", fc.intervals.c_str(),
                static_cast<long long>(fc.calibration_folds), fc.conformal_score.empty() ? "" : ", score ",
                fc.conformal_score.c_str(), fc.conformal_classes.empty() ? "" : ", classes by ",
                fc.conformal_classes.c_str());
  if (fc.bias_correction >= 0)
    std::printf("bias shift:    recent-bias correction, persistence %.3f over the last %lld steps%s\n", fc.bias_correction,
                static_cast<long long>(fc.bias_steps),
                fc.model == "lstm" || fc.model == "gru" ? "" : ", of its global member");
  const int64_t n_nan = std::count_if(fc.mean.begin(), fc.mean.end(), [](float v) { return std::isnan(v); });
  std::printf("missing mean:  %s\n", pct(n_nan, static_cast<int64_t>(fc.mean.size())).c_str());
  std::printf("ids:           %s\n", join(fc.ids, 5).c_str());
  if (!fc.run_id.empty()) std::printf("run:           %s\n", fc.run_id.c_str());
  bool mismatch = false;
  const std::string csv = check_csv_companion(path, fc, &mismatch);
  if (!csv.empty()) std::printf("csv:           %s\n", csv.c_str());
  if (fc.residual_steps > 0)
    std::printf("residuals:     %lld in-sample steps (forecast --residuals)\n", static_cast<long long>(fc.residual_steps));
}

// A model file (`skucast train --out`): what it was trained with and on, so that a file can be
// matched to its panel and options without a forecast run.
void info_model(const std::string& path) {
  const std::vector<DeepArState> members = load_checkpoint_members(path);
  const DeepArState& m = members[0];
  const DeepArOptions& o = m.options;
  std::printf("file:          %s (global model)\n", path.c_str());
  std::printf("model:         %s, %lld x %lld units, %zu weights, %zu member(s) (seeds %lld..%lld)\n", o.cell.c_str(),
              static_cast<long long>(o.layers), static_cast<long long>(o.hidden), m.weights.size(), members.size(),
              static_cast<long long>(members.front().options.seed), static_cast<long long>(members.back().options.seed));
  std::printf("horizon:       %lld, context %lld\n", static_cast<long long>(o.horizon), static_cast<long long>(o.context));
  std::printf("likelihood:    %s, target transform %s\n", o.likelihood.c_str(), o.target_transform.c_str());
  std::printf("inputs:        %s%s%s, attention %s\n", o.inputs.c_str(),
              o.inputs == "derived" ? (o.volatility == "on" ? " (with the series' volatility" : " (no volatility") : "",
              o.inputs == "derived" ? (o.distances == "on" ? ", event distances and age)" : ", no distances)") : "",
              o.attention.c_str());
  std::printf("panel:         %lld series, season length %d, %zu static attribute(s), %zu dynamic covariate(s), "
              "%zu event(s)\n",
              static_cast<long long>(m.panel.n_series), m.panel.season_length, m.panel.static_names.size(),
              m.panel.dynamic_names.size(), m.panel.event_names.size());
  if (m.trained_steps >= 0)
    std::printf("trained:       %lld epoch(s); targets before step %lld, validation steps %lld..%lld\n",
                static_cast<long long>(m.epochs_done), static_cast<long long>(m.train_end),
                static_cast<long long>(m.train_end), static_cast<long long>(m.trained_steps - 1));
  else
    std::printf("trained:       %lld epoch(s)\n", static_cast<long long>(m.epochs_done));
  std::printf("best val loss: %.6g\n", m.best_val_loss);
}

}  // namespace

void check_file(const std::string& path) {
  const FileCheck c = verify_hdf5(path);
  // The readers' own checks on top of the checksums: a panel's header, a forecast's shapes, a model's layout.
  if (c.format == "skucast-panel") PanelReader reader(path);
  else if (c.format == "skucast-forecast") {
    bool mismatch = false;
    const std::string csv = check_csv_companion(path, read_forecast(path), &mismatch);
    if (mismatch) throw InputError(path + ": " + csv);
    if (!csv.empty()) std::printf("%s: %s\n", path.c_str(), csv.c_str());
  }
  else if (c.format == "skucast-model") (void)load_checkpoint_members(path);
  std::printf("%s: %s, version %lld: %lld datasets read whole, %lld of them with checksums, %.1f MB: OK\n",
              path.c_str(), c.format.c_str(), static_cast<long long>(c.version), static_cast<long long>(c.datasets),
              static_cast<long long>(c.checked), static_cast<double>(c.bytes) / 1e6);
}

void add_info(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto verify = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("info", "Summary of a panel, forecast or model file; --verify checks any skucast file");
  sub->add_option("file", *path, "panel, forecast or model file (.h5); with --verify also a backtest file")->required();
  sub->add_flag("--verify", *verify,
                "read every dataset whole and check every checksum and the file's structure, without running a job; "
                "exit 0 when the file is sound, 2 or 3 naming the damage otherwise");
  sub->callback([path, verify] {
    if (*verify) {
      check_file(*path);
      return;
    }
    const std::string format = hdf5_format(*path);
    if (format == "skucast-panel") info_panel(*path);
    else if (format == "skucast-forecast") info_forecast(*path);
    else if (format == "skucast-model") info_model(*path);
    else
      throw InputError("'" + *path + "' is not a skucast panel, forecast or model file (format " +
                       (format.empty() ? std::string("attribute missing") : "'" + format + "'") + ")");
  });
}

}  // namespace skucast::cli
