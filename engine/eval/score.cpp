// engine/eval/score.cpp — Note [Scoring a forecast] (score.h).
#include "engine/eval/score.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast {

ScoreResult score_forecast(const ForecastFile& fc, const std::string& fc_path, const PanelReader& panel,
                           int64_t block_series) {
  const PanelHeader& h = panel.header();
  if (fc.axis.freq != h.axis.freq || fc.axis.start != h.axis.start)
    throw InputError(fc_path + ": its time axis (" + freq_name(fc.axis.freq) + " from " + fc.axis.label(0) +
                     ") is not the panel's (" + freq_name(h.axis.freq) + " from " + h.axis.label(0) + ")");
  const int64_t H = fc.horizon, T = h.n_steps, S = static_cast<int64_t>(fc.ids.size());
  if (fc.origin < 1) throw InputError(fc_path + ": the forecast starts at the panel's first step; there is no history to scale by");
  ScoreResult r;
  r.layout = metric_layout(fc.levels);
  r.n_series = S;
  // Forecast row of each panel series (-1: not forecast).
  std::unordered_map<std::string, int64_t> panel_row;
  panel_row.reserve(h.ids.size());
  for (int64_t i = 0; i < static_cast<int64_t>(h.ids.size()); ++i) panel_row.emplace(h.ids[i], i);
  std::vector<int64_t> fc_row(h.ids.size(), -1);
  for (int64_t k = 0; k < S; ++k) {
    const auto it = panel_row.find(fc.ids[k]);
    if (it == panel_row.end())
      throw InputError(fc_path + ": series '" + fc.ids[k] + "' is not in the panel");
    fc_row[it->second] = k;
  }

  r.steps_available = std::clamp<int64_t>(T - fc.origin, 0, H);
  if (r.steps_available == 0)
    throw InputError(fc_path + ": nothing to score yet: the forecast starts at " + fc.axis.label(fc.origin) +
                     " and the panel's history ends at " + (T > 0 ? h.axis.label(T - 1) : std::string("(empty)")) +
                     " (update the panel with the new days first)");
  if (fc.origin > T)
    throw InputError(fc_path + ": the forecast starts after the panel's history ends");

  const int M = r.layout.size();
  const int64_t Q = static_cast<int64_t>(fc.levels.size()), n_hist = fc.origin;
  r.values.assign(static_cast<size_t>(checked_mul(S, M)), std::numeric_limits<double>::quiet_NaN());
  const int64_t B = std::max<int64_t>(1, block_series);
  std::vector<float> actual, mean, quant, hist, out_block;
  std::vector<double> out;
  for (int64_t i0 = 0; i0 < h.n_series(); i0 += B) {
    const int64_t i1 = std::min(h.n_series(), i0 + B);
    std::vector<int64_t> rows;  // panel rows of the block that the forecast has
    for (int64_t i = i0; i < i1; ++i)
      if (fc_row[i] >= 0) rows.push_back(i);
    if (rows.empty()) continue;
    const std::vector<float> y = panel.read_target(i0, i1);  // [i1 - i0, T]
    const int64_t nb = static_cast<int64_t>(rows.size());
    actual.assign(static_cast<size_t>(nb * H), std::numeric_limits<float>::quiet_NaN());
    mean.resize(static_cast<size_t>(nb * H));
    quant.resize(static_cast<size_t>(nb * H * Q));
    hist.resize(static_cast<size_t>(nb * n_hist));
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t i = rows[j], k = fc_row[i];
      const float* yi = y.data() + (i - i0) * T;
      for (int64_t t = 0; t < r.steps_available; ++t) actual[j * H + t] = yi[fc.origin + t];
      std::copy(yi, yi + n_hist, hist.begin() + j * n_hist);
      std::copy(fc.mean.begin() + k * H, fc.mean.begin() + (k + 1) * H, mean.begin() + j * H);
      std::copy(fc.quantiles.begin() + k * H * Q, fc.quantiles.begin() + (k + 1) * H * Q, quant.begin() + j * H * Q);
      for (int64_t t = 0; t < H; ++t) r.cells_observed += !std::isnan(actual[j * H + t]);
    }
    out.assign(static_cast<size_t>(nb * M), 0.0);
    series_metrics_cpu(actual.data(), mean.data(), quant.data(), hist.data(), nb, H, n_hist, h.axis.season_length,
                       fc.levels, r.layout, out.data());
    for (int64_t j = 0; j < nb; ++j)
      std::copy(out.begin() + j * M, out.begin() + (j + 1) * M, r.values.begin() + fc_row[rows[j]] * M);
  }

  // Summary: the mean over series of each metric; WRMSSE with the panel's weights (or equal).
  r.summary_names = r.layout.names;
  for (int c = 0; c < M; ++c) {
    double sum = 0;
    int64_t n = 0;
    for (int64_t k = 0; k < S; ++k) {
      const double v = r.values[k * M + c];
      if (std::isfinite(v)) sum += v, ++n;
    }
    r.summary.push_back(n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN());
    r.summary_n.push_back(n);
  }
  const int rc = r.layout.index("rmsse");
  if (rc >= 0) {
    std::vector<double> col(static_cast<size_t>(S));
    std::vector<float> w;
    if (!h.weights.empty()) {
      w.resize(static_cast<size_t>(S));
      for (int64_t i = 0; i < h.n_series(); ++i)
        if (fc_row[i] >= 0) w[fc_row[i]] = h.weights[i];
    }
    for (int64_t k = 0; k < S; ++k) col[k] = r.values[k * M + rc];
    int64_t excl = 0;
    r.summary_names.push_back("wrmsse");
    r.summary.push_back(weighted_mean(col.data(), w.empty() ? nullptr : w.data(), S, &excl));
    r.summary_n.push_back(S - excl);
  }
  return r;
}

}  // namespace skucast
