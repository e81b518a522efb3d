// engine/deepar/panel.cpp — load_panel (engine/deepar/internal.h): the panel as the DeepAR
// model reads it, in memory (target, per-series covariates, the shared calendar / event /
// covariate table; Note [DeepAR inputs] in engine/deepar/data.cpp).
// Kept apart from engine/deepar/data.cpp so that the input layout and composition (make_layout,
// compose_inputs, embedding_backward) link without the HDF5 reader: the GPU parity test
// (tests/gpu/test_deepar_train_parity.cpp) builds its panel in memory and is packed for a
// GPU machine without HDF5 (bench/gpu_pack.sh).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "engine/deepar/internal.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace skucast::deepar {

// ---------------------------------------------------------- load panel ----
namespace {
// v [S] minus its mean over the series with an observation, divided by their standard
// deviation (1 when it is 0); the others are set by the caller.
void standardize_across(float* v, const std::vector<uint8_t>& has_obs) {
  double sum = 0, sum2 = 0, n = 0;
  for (size_t s = 0; s < has_obs.size(); ++s)
    if (has_obs[s]) sum += v[s], sum2 += static_cast<double>(v[s]) * v[s], n += 1;
  if (n == 0) return;
  const double mu = sum / n, var = std::max(sum2 / n - mu * mu, 0.0), sd = var > 0 ? std::sqrt(var) : 1.0;
  for (size_t s = 0; s < has_obs.size(); ++s) v[s] = static_cast<float>((v[s] - mu) / sd);
}
}  // namespace

PanelData load_panel(const PanelReader& panel, const Layout& l, int64_t horizon, int64_t pad, int64_t stats_end) {
  const PanelHeader& h = panel.header();
  PanelData d;
  d.n_series = h.n_series();
  d.n_time = h.n_steps;
  d.n_cov = h.n_total();
  const int64_t S = d.n_series, T = d.n_time, TF = d.n_cov;
  d.y = panel.read_target(0, S);  // [S, T]
  d.first.assign(S, -1);
  d.last.assign(S, -1);
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T; ++t)
      if (!std::isnan(d.y[s * T + t])) {
        if (d.first[s] < 0) d.first[s] = t;
        d.last[s] = t;
      }
  // Note [Derived inputs]: static reals 0 (sales level), 1 (zero share) and the volatility, from the sales
  // before any transform; the covariates' levels are filled below. Standardised at the end.
  d.sreal.assign(static_cast<size_t>(checked_mul(l.n_sreal, S)), 0.0f);
  std::vector<uint8_t> has_obs(static_cast<size_t>(S), 0), has_moves(static_cast<size_t>(S), 0);
  const int64_t T_stats = stats_end < 0 ? T : std::min(stats_end, T);
  if (l.n_sreal > 0) {
    const bool volatility = l.sreal_volatility >= 0;
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < S; ++s) {
      double sum = 0, moves = 0, prev = 0;
      int64_t n = 0, zeros = 0;
      for (int64_t t = 0; t < T_stats; ++t) {
        const float v = d.y[s * T + t];
        if (std::isnan(v)) continue;
        sum += std::fabs(v);
        zeros += v == 0.0f ? 1 : 0;
        if (volatility) {  // a log per value only when the layout has the input
          const double lv = std::log1p(std::fabs(static_cast<double>(v)));
          if (n > 0) moves += std::fabs(lv - prev);  // consecutive observed values
          prev = lv;
        }
        ++n;
      }
      if (n == 0) continue;
      has_obs[s] = 1;
      d.sreal[s] = static_cast<float>(std::log1p(sum / static_cast<double>(n)));
      d.sreal[S + s] = static_cast<float>(static_cast<double>(zeros) / static_cast<double>(n));
      if (volatility && n >= 2) {
        has_moves[s] = 1;
        d.sreal[l.sreal_volatility * S + s] = static_cast<float>(std::log(0.01 + moves / static_cast<double>(n - 1)));
      }
    }
  }
  if (l.log1p) apply_log1p(d);  // Note [Target transform]: the series without negative values

  // Shared table: calendar, events, shared covariates.
  d.pad = pad;
  d.n_shared = std::max(TF, T + horizon);
  d.covariates_extended = d.n_shared > TF && (!h.events.empty() || !h.dynamic.empty());
  const int64_t C = l.spec.n_calendar;
  d.n_shared_cols = C;
  d.shared.assign(checked_mul(pad + d.n_shared, C), 0.0f);
  auto cell = [&](int64_t tau, int64_t c) -> float& { return d.shared[(pad + tau) * C + c]; };
  const int m = std::max(1, h.axis.season_length);
  for (int64_t tau = 0; tau < d.n_shared; ++tau) {
    int dow = 0, dom = 0, month = 0, doy = 0;
    int64_t year = 0;
    h.axis.calendar(tau, dow, dom, month, doy, year);
    const double two_pi = 2.0 * std::numbers::pi;
    const double a = h.axis.freq == Freq::Day ? two_pi * dow / 7.0 : two_pi * static_cast<double>(tau % m) / m;
    const double b = two_pi * (doy - 1) / 365.25;
    cell(tau, 0) = static_cast<float>(std::sin(a));
    cell(tau, 1) = static_cast<float>(std::cos(a));
    cell(tau, 2) = static_cast<float>(std::sin(b));
    cell(tau, 3) = static_cast<float>(std::cos(b));
  }
  int64_t c = 4;
  const double span = static_cast<double>(distance_span(h.axis));  // Note [Distance inputs]
  auto nearness = [span](int64_t steps) {
    return static_cast<float>(std::max(0.0, 1.0 - static_cast<double>(steps) / span));
  };
  for (const EventSeries& e : h.events) {
    for (int64_t tau = 0; tau < d.n_shared; ++tau) cell(tau, c) = e.flags[std::min(tau, TF - 1)] ? 1.0f : 0.0f;
    ++c;
    if (!l.distances()) continue;
    int64_t next = -1;  // the next event day at or after tau (-1: none known)
    for (int64_t tau = d.n_shared - 1; tau >= 0; --tau) {
      if (tau < TF && e.flags[tau]) next = tau;
      cell(tau, c) = next >= 0 ? nearness(next - tau) : 0.0f;
    }
    int64_t last = -1;  // the last event day at or before tau
    for (int64_t tau = 0; tau < d.n_shared; ++tau) {
      if (tau < TF && e.flags[tau]) last = tau;
      cell(tau, c + 1) = last >= 0 ? nearness(tau - last) : 0.0f;
    }
    c += 2;
  }
  // Per-series covariates, [n_dyn, S, T+F]: each is read straight into its slab and
  // normalised there; a shared one is read into a vector of its own.
  int64_t n_per_series = 0;
  for (const DynamicSpec& ds : h.dynamic) n_per_series += ds.per_series ? 1 : 0;
  if (n_per_series != l.n_cov_slabs())
    throw Error("deepar: the panel has " + std::to_string(n_per_series) + " per-series covariates, the model's layout " +
                std::to_string(l.n_cov_slabs()));
  d.dyn.assign(static_cast<size_t>(checked_mul(checked_mul(l.n_slabs, S), TF)), 0.0f);
  if (l.slab_age >= 0) {  // Note [Distance inputs]: the series' age since its first observation
    const double log_span = std::log1p(static_cast<double>(age_span(h.axis)));
    float* age = d.dyn.data() + l.slab_age * S * TF;
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < S; ++s) {
      const int64_t first = d.first[s] >= 0 ? d.first[s] : T;  // none yet: launching at the origin
      for (int64_t tau = first; tau < TF; ++tau)
        age[s * TF + tau] = static_cast<float>(std::min(1.0, std::log1p(static_cast<double>(tau - first)) / log_span));
    }
  }
  int64_t j_dyn = 0;  // per-series covariates read so far
  for (const DynamicSpec& ds : h.dynamic) {
    std::vector<float> v_shared;
    float* v = nullptr;
    int64_t n_v = 0;  // values at v: [S, T+F] per series, [T+F] shared
    if (ds.per_series) {
      v = d.dyn.data() + j_dyn++ * S * TF;
      n_v = S * TF;
      panel.read_dynamic(ds.name, 0, S, v);
    } else {
      v_shared = panel.read_dynamic(ds.name, 0, std::min<int64_t>(S, 1));
      v = v_shared.data();
      n_v = static_cast<int64_t>(v_shared.size());
    }
    bool binary = true;
    for (int64_t i = 0; i < n_v && binary; ++i)
      if (i % TF < T && std::isfinite(v[i]) && v[i] != 0.0f && v[i] != 1.0f) binary = false;
    if (!ds.per_series) {
      // Shared: standardized over the history (binary: raw).
      double sum = 0, sum2 = 0, n = 0;
      for (int64_t t = 0; t < std::min<int64_t>(T, n_v); ++t)
        if (std::isfinite(v[t])) sum += v[t], sum2 += double(v[t]) * v[t], n += 1;
      const double mu = n > 0 ? sum / n : 0.0, sd = n > 0 ? std::sqrt(std::max(sum2 / n - mu * mu, 0.0)) : 1.0;
      for (int64_t tau = 0; tau < d.n_shared && n_v > 0; ++tau) {
        const float x = v[std::min(tau, TF - 1)];
        cell(tau, c) = !std::isfinite(x) ? 0.0f : binary ? x : static_cast<float>((x - mu) / (sd > 0 ? sd : 1.0));
      }
      ++c;
      continue;
    }
    // Per series: value / median of positive history values - 1 (binary: raw). Its level
    // (Note [Derived inputs]): log of that median, or the share of history steps at 1.
    float* level = l.n_sreal > 0 ? d.sreal.data() + (2 + j_dyn - 1) * S : nullptr;
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < S; ++s) {
      float* row = v + s * TF;
      float med = 1.0f;
      if (!binary) {
        std::vector<float> pos;
        for (int64_t t = 0; t < T; ++t)
          if (std::isfinite(row[t]) && row[t] > 0) pos.push_back(row[t]);
        if (!pos.empty()) {
          std::nth_element(pos.begin(), pos.begin() + pos.size() / 2, pos.end());
          med = pos[pos.size() / 2];
        }
        if (level) level[s] = std::log(med);
      } else if (level) {
        int64_t ones = 0, n = 0;
        for (int64_t t = 0; t < T; ++t)
          if (std::isfinite(row[t])) ones += row[t] == 1.0f ? 1 : 0, ++n;
        level[s] = n > 0 ? static_cast<float>(static_cast<double>(ones) / static_cast<double>(n)) : 0.0f;
      }
      for (int64_t t = 0; t < TF; ++t)
        row[t] = !std::isfinite(row[t]) ? 0.0f : binary ? row[t] : row[t] / med - 1.0f;
    }
    if (level && !binary) standardize_across(level, has_obs);
  }
  if (l.n_sreal > 0) standardize_across(d.sreal.data(), has_obs);  // the sales level
  if (l.sreal_volatility >= 0) {  // the volatility, over the series with two observations
    float* vol = d.sreal.data() + l.sreal_volatility * S;
    standardize_across(vol, has_moves);
    for (int64_t s = 0; s < S; ++s)
      if (!has_moves[s]) vol[s] = 0.0f;
  }
  for (int64_t s = 0; s < S && l.n_sreal > 0; ++s)
    if (!has_obs[s])
      for (int64_t k = 0; k < l.n_sreal; ++k) d.sreal[k * S + s] = 0.0f;
  // Note [Static levels by name]: codes index the model's tables; a panel whose levels are the
  // model's, in another order or fewer of them (re-ingested: levels come sorted, unused ones
  // dropped), has its codes translated by name.
  d.code_store.reserve(h.statics.size());  // d.codes points into it: no reallocation
  for (size_t a = 0; a < h.statics.size(); ++a) {
    const StaticAttr& attr = h.statics[a];
    if (a >= l.static_levels.size() || attr.levels == l.static_levels[a]) {
      d.codes.push_back(attr.codes.data());
      continue;
    }
    const std::vector<std::string>& known = l.static_levels[a];
    std::vector<int32_t> to_model(attr.levels.size());
    for (size_t k = 0; k < attr.levels.size(); ++k) {
      const auto it = std::find(known.begin(), known.end(), attr.levels[k]);
      if (it == known.end())  // PanelFingerprint::check_matches refuses such a panel first
        throw Error("load_panel: " + panel.path() + ": static '" + attr.name + "' level '" + attr.levels[k] +
                    "' is not one of the model's");
      to_model[k] = static_cast<int32_t>(it - known.begin());
    }
    std::vector<int32_t> codes(attr.codes.size());
    for (size_t s = 0; s < codes.size(); ++s)
      codes[s] = attr.codes[s] >= 0 && static_cast<size_t>(attr.codes[s]) < to_model.size() ? to_model[attr.codes[s]]
                                                                                            : attr.codes[s];
    d.code_store.push_back(std::move(codes));
    d.codes.push_back(d.code_store.back().data());
  }
  d.weight = h.weights;  // Note [Weighted window sampling]
  return d;
}

void apply_log1p(PanelData& d) {
  const int64_t S = d.n_series, T = d.n_time;
  d.log1p = nonneg_series(d);
#pragma omp parallel for schedule(static)
  for (int64_t s = 0; s < S; ++s)
    if (d.log1p[s])
      for (float* y = d.y.data() + s * T; y != d.y.data() + (s + 1) * T; ++y) *y = std::log1p(*y);  // NaN stays NaN
}

}  // namespace skucast::deepar
