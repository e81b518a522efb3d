// tools/forecast_output.cpp — `skucast forecast`: what the forecast file records of its series
// beside the numbers (io/forecast_file.h): each series' hierarchy level when the panel is an
// aggregated one (`skucast aggregate`), and a shard's run (Note [Shards of one run]).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "engine/deepar/model.h"  // split_checkpoints
#include "io/csv_writer.h"  // format_double
#include "io/forecast_file.h"
#include "io/hierarchy_file.h"
#include "io/panel.h"
#include "tools/forecast_cli.h"

namespace skucast::cli {

void set_series_levels(const std::string& panel, const PanelHeader& hdr, ForecastFile& fc, int64_t s_begin) {
  const StaticAttr* level = hdr.find_static("level");
  if (level == nullptr || !has_hierarchy(panel)) return;
  fc.series_level.resize(fc.ids.size());
  for (size_t i = 0; i < fc.ids.size(); ++i)
    fc.series_level[i] = level->levels[static_cast<size_t>(level->codes[static_cast<size_t>(s_begin) + i])];
}

std::string run_options(const ForecastCli& o, const std::vector<double>& levels) {
  std::string quantiles, checkpoints, conformal_by;
  for (double q : levels) quantiles += (quantiles.empty() ? "" : ",") + format_double(q);
  if (!o.checkpoint.empty())  // by content: the path may differ between the shards' machines
    for (const std::string& c : split_checkpoints(o.checkpoint)) {
      uint64_t bytes = 0;
      char crc[16];
      std::snprintf(crc, sizeof crc, "%08x", file_crc32(c, &bytes));
      checkpoints += (checkpoints.empty() ? "" : ",") + std::string("crc32 ") + crc + " (" + std::to_string(bytes) +
                     " bytes)";
    }
  for (const std::string& c : o.conformal_by) conformal_by += (conformal_by.empty() ? "" : ",") + c;
  // One line per option that changes the numbers, resolved to the value used; not --threads,
  // --block, --device, --gpu-memory, --out, --csv, --shard (Note [Shards of one run]).
  const std::vector<std::pair<const char*, std::string>> lines = {
      {"--model", o.model},
      {"--horizon", std::to_string(o.horizon)},
      {"--quantiles", quantiles},
      {"--transform", o.transform},
      {"--combine", o.combine},
      {"--regressors", o.regressors_given ? o.regressors : "(every covariate)"},
      {"--selection-folds", o.selection_folds > 0 ? std::to_string(o.selection_folds) : "(default)"},
      {"--select-metric", o.select_metric},
      {"--select-rule", o.select_rule},
      {"--select-margin", format_double(o.select_margin)},
      {"--select-shrink", format_double(o.select_shrink)},
      {"--checkpoint", checkpoints.empty() ? "(none)" : checkpoints},
      {"--paths", std::to_string(o.paths)},
      {"--seed", std::to_string(o.seed)},
      {"--bias-correction", o.bias_correction},
      {"--intervals", o.intervals},
      {"--calibration-folds", o.calibration_folds > 0 ? std::to_string(o.calibration_folds) : "(default)"},
      {"--calibration-step", o.calibration_step > 0 ? std::to_string(o.calibration_step) : "(default)"},
      {"--conformal-score", o.conformal_score_given ? o.conformal_score : "(default)"},
      {"--conformal-pool", o.conformal_pool},
      {"--conformal-by", o.conformal_by.empty() ? "(default)" : conformal_by},
      {"--residuals", o.residuals ? "on" : "off"},
      {"--levels", o.hier_levels.empty() ? "(none)" : o.hier_levels},
  };
  std::string text;
  for (const auto& [flag, value] : lines) text += std::string(flag) + " " + value + "\n";
  return text;
}

void record_shard(const ForecastCli& o, const std::vector<double>& levels, const PanelReader& reader,
                  const SeriesShard& shard, ForecastFile& fc) {
  fc.shard_index = shard.index;
  fc.shard_count = shard.count;
  if (shard.whole()) return;  // a whole run records none of it: merged files equal it byte for byte
  const PanelHeader& hdr = reader.header();
  fc.panel_run_id = reader.run_id();
  fc.panel_series = hdr.n_series();
  fc.panel_ids_crc32 = ids_crc32(hdr.ids);
  const auto [s0, s1] = shard.range(hdr.n_series());
  fc.series_begin = s0;
  fc.series_end = s1;
  fc.run_options = run_options(o, levels);
}

// Note [Series that stopped selling]
//   A series whose last observation lies more than max(horizon, season length) steps before the
//   panel's last step (a discontinued item, a closed store, a feed that broke) is still forecast by
//   every model from its last observations, as if it went on selling; the planner is usually
//   better served by knowing. `forecast` says how many, with one id and the step it ended on; the
//   numbers stay as they are (it may be a seasonal item that comes back). Series never observed
//   are not counted (their forecasts are the models' fallbacks).
void StaleSeries::add(const float* y, int64_t nb, int64_t n_steps, int64_t i0, const PanelHeader& hdr) {
  for (int64_t i = 0; i < nb; ++i) {
    const float* row = y + i * n_steps;
    int64_t last = n_steps - 1;
    while (last >= 0 && std::isnan(row[last])) --last;
    if (last < 0 || last >= n_steps - gap) continue;
    if (n++ == 0) {
      example = hdr.ids[static_cast<size_t>(i0 + i)];
      example_last = last;
    }
  }
}

StaleSeries stale_series(const PanelReader& reader, int64_t s0, int64_t s1, int64_t gap) {
  StaleSeries st;
  st.gap = gap;
  const int64_t T = reader.header().n_steps, block = 4096;
  std::vector<float> y;
  for (int64_t i0 = s0; i0 < s1; i0 += block) {
    const int64_t i1 = std::min(s1, i0 + block);
    y.resize(static_cast<size_t>((i1 - i0) * T));
    reader.read_target(i0, i1, y.data());
    st.add(y.data(), i1 - i0, T, i0, reader.header());
  }
  return st;
}

void print_stale_note(const StaleSeries& st, const PanelHeader& hdr) {
  if (st.n == 0) return;
  std::fprintf(stderr,
               "skucast: note: %lld series have no value in the panel's last %lld steps (e.g. '%s', last observed %s); "
               "their forecasts go on from their last observations as if they still sold: discontinued? "
               "(Note [Series that stopped selling])\n",
               static_cast<long long>(st.n), static_cast<long long>(st.gap), st.example.c_str(),
               hdr.axis.label(st.example_last).c_str());
}

}  // namespace skucast::cli
