// io/csv_export.cpp — panel → long CSV and forecast → forecast CSV (see csv_export.h,
// Note [Export round trip], and forecast_file.h).
#include "io/csv_export.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "io/csv_writer.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

// Series per block when streaming a panel: about 4M cells of [S, T+F] per tensor.
int64_t block_rows(const PanelHeader& h) {
  return std::max<int64_t>(1, (int64_t{4} << 20) / std::max<int64_t>(1, h.n_total()));
}

// True when some series is observed at the last history step (T-1). Stops at the first hit,
// which is usually in the first block.
bool last_step_observed(const PanelReader& reader) {
  const PanelHeader& h = reader.header();
  const int64_t n_series = h.n_series(), n_steps = h.n_steps, rows = block_rows(h);
  for (int64_t i0 = 0; i0 < n_series; i0 += rows) {
    const int64_t i1 = std::min(n_series, i0 + rows);
    const std::vector<float> y = reader.read_target(i0, i1);  // [i1-i0, T]
    for (int64_t i = 0; i < i1 - i0; ++i)
      if (!std::isnan(y[static_cast<size_t>(i * n_steps + n_steps - 1)])) return true;
  }
  return false;
}

}  // namespace

int64_t export_panel_csv(const std::string& panel_path, const std::string& csv_path, const PanelExportOptions& opt) {
  PanelReader reader(panel_path);
  const PanelHeader& h = reader.header();
  const int64_t n_series = h.n_series(), n_steps = h.n_steps, n_total = h.n_total();
  const size_t n_dyn = h.dynamic.size();
  const bool pin_last = n_steps > 0 && n_series > 0 && !last_step_observed(reader);

  std::vector<std::string> labels(static_cast<size_t>(n_total));  // [T+F]
  for (int64_t t = 0; t < n_total; ++t) labels[t] = h.axis.label(t);

  CsvWriter out(csv_path);
  out.text(opt.id_col);
  out.text(opt.time_col);
  out.text(opt.value_col);
  for (const auto& d : h.dynamic) out.text(d.name);
  for (const auto& s : h.statics) out.text(s.name);
  if (!h.weights.empty()) out.text(opt.weight_col);
  for (const auto& e : h.events) out.text("event_" + e.name);  // read back by ingest --events auto
  out.end_row();

  const int64_t rows = block_rows(h);
  std::vector<float> target;                   // [n, T]
  std::vector<std::vector<float>> dyn(n_dyn);  // [n, T+F] each
  int64_t n_rows = 0;
  for (int64_t i0 = 0; i0 < n_series; i0 += rows) {
    const int64_t i1 = std::min(n_series, i0 + rows);
    target = reader.read_target(i0, i1);
    for (size_t k = 0; k < n_dyn; ++k) dyn[k] = reader.read_dynamic(h.dynamic[k].name, i0, i1);
    for (int64_t i = i0; i < i1; ++i) {
      const float* y = target.data() + (i - i0) * n_steps;  // [T]
      int64_t written = 0;
      for (int64_t t = 0; t < n_total; ++t) {
        const bool has_value = t < n_steps && !std::isnan(y[t]);
        bool has_dyn = false;
        for (size_t k = 0; k < n_dyn && !has_dyn; ++k)
          has_dyn = !std::isnan(dyn[k][static_cast<size_t>((i - i0) * n_total + t)]);
        // Series 0 pins the axis (first, last history, last future step) and, when the panel
        // has calendar events, carries a row at every step so every flag survives.
        const bool pin = i == 0 && (!h.events.empty() || t == 0 || t == n_steps - 1 || t == n_total - 1);
        // A series with no information at all still gets one row, so its id survives.
        const bool keep_series = written == 0 && t == n_total - 1;
        if (!has_value && !has_dyn && !pin && !keep_series) continue;
        out.text(h.ids[i]);
        out.raw(labels[t]);
        if (has_value) out.number(y[t]);
        else if (pin_last && i == 0 && t == n_steps - 1) out.raw("NaN");
        else out.empty();
        for (size_t k = 0; k < n_dyn; ++k) out.number(dyn[k][static_cast<size_t>((i - i0) * n_total + t)]);
        for (const auto& s : h.statics) out.text(s.levels[static_cast<size_t>(s.codes[i])]);
        if (!h.weights.empty()) out.number(h.weights[i]);
        for (const auto& e : h.events) out.raw(e.flags[static_cast<size_t>(t)] ? "1" : "0");
        out.end_row();
        ++written;
        ++n_rows;
      }
    }
  }
  out.commit();
  return n_rows;
}

void write_forecast_csv(const std::string& path, const ForecastFile& fc) { write_forecast_csv_closed(path, fc)->commit(); }

std::unique_ptr<CsvWriter> write_forecast_csv_closed(const std::string& path, const ForecastFile& fc) {
  const int64_t n_series = static_cast<int64_t>(fc.ids.size()), H = fc.horizon;
  const size_t Q = fc.levels.size();
  if (static_cast<int64_t>(fc.mean.size()) != checked_mul(n_series, H) ||
      static_cast<int64_t>(fc.quantiles.size()) != checked_mul(checked_mul(n_series, H), static_cast<int64_t>(Q)))
    throw Error("write_forecast_csv: mean has " + std::to_string(fc.mean.size()) + " values and quantiles " +
                std::to_string(fc.quantiles.size()) + ", expected S*H = " + std::to_string(n_series * H) +
                " and S*H*Q = " + std::to_string(n_series * H * static_cast<int64_t>(Q)));
  std::vector<std::string> labels(static_cast<size_t>(H));  // [H]
  for (int64_t k = 0; k < H; ++k) labels[k] = fc.axis.label(fc.origin + k);

  auto writer = std::make_unique<CsvWriter>(path);
  CsvWriter& out = *writer;
  out.raw("series_id");
  out.raw("time");
  out.raw("step");
  out.raw("mean");
  for (double q : fc.levels) {
    std::string name = format_double(q);
    name.insert(name.begin(), 'q');  // not "q" + s: GCC 12 -Wrestrict false positive at -O3
    out.text(name);
  }
  const bool per_series_model = !fc.model_per_series.empty();  // `--model auto`
  if (per_series_model) out.raw("model");
  const bool with_level = !fc.series_level.empty();  // an aggregated panel's forecast
  if (with_level && static_cast<int64_t>(fc.series_level.size()) != n_series)
    throw Error("write_forecast_csv: series_level has " + std::to_string(fc.series_level.size()) + " entries");
  if (with_level) out.raw("level");
  out.end_row();
  for (int64_t i = 0; i < n_series; ++i) {
    for (int64_t k = 0; k < H; ++k) {
      out.text(fc.ids[i]);
      out.raw(labels[k]);
      out.integer(k + 1);
      out.number(fc.mean[static_cast<size_t>(i * H + k)]);
      const float* q = fc.quantiles.data() + (i * H + k) * static_cast<int64_t>(Q);  // [Q]
      for (size_t j = 0; j < Q; ++j) out.number(q[j]);
      if (per_series_model) out.text(fc.model_per_series[static_cast<size_t>(i)]);
      if (with_level) out.text(fc.series_level[static_cast<size_t>(i)]);
      out.end_row();
    }
  }
  out.close();
  return writer;
}

}  // namespace skucast
