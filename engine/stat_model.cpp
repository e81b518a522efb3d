// engine/stat_model.cpp — the model registry, ensembles ("ets+theta") and the batch runner
// forecast_batch (OpenMP over series) for the statistical models of engine/stat_model.h.
#include "engine/stat_model.h"

#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/common.hpp"

// ---- registry includes: one header per model family ----
#include "engine/models/arima.h"
#include "engine/models/croston.h"
#include "engine/models/ets.h"
#include "engine/models/simple.h"
#include "engine/models/theta.h"
// ---- end registry includes ----

namespace skucast {

namespace {

using ModelFactory = std::unique_ptr<StatModel> (*)();

struct RegistryEntry {
  const char* name;
  ModelFactory make;
};

// ---- registry: name → factory ----
// To add a model: include its header in "registry includes" above and add one line here,
// {"name", factory}, where factory is a function (or captureless lambda) returning
// std::unique_ptr<StatModel>. Names are lower case; '+' is reserved for ensembles.
const RegistryEntry kRegistry[] = {
    {"naive", [] { return make_naive(); }},
    {"snaive", [] { return make_snaive(); }},
    {"ma", [] { return make_ma(); }},
    {"croston", [] { return make_croston(); }},
    {"sba", [] { return make_sba(); }},
    {"tsb", [] { return make_tsb(); }},
    {"croston_opt", [] { return make_croston_optimized(); }},
    {"ses", [] { return make_ets_model("ses"); }},
    {"holt", [] { return make_ets_model("holt"); }},
    {"damped", [] { return make_ets_model("damped"); }},
    {"hw_add", [] { return make_ets_model("hw_add"); }},
    {"hw_mul", [] { return make_ets_model("hw_mul"); }},
    {"ets", [] { return make_ets_model("ets"); }},
    {"theta", [] { return make_theta_model("theta"); }},
    {"arima", [] { return make_arima_model(); }},
};
// ---- end registry ----

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

std::unique_ptr<StatModel> make_single(const std::string& name) {
  for (const auto& e : kRegistry)
    if (name == e.name) return e.make();
  throw InputError("unknown model '" + name + "'; known models: " + join(stat_model_names(), ", ") +
                   ", or members joined by '+' (e.g. naive+snaive)");
}

// --------------------------------------------------------------- ensemble ----

enum class Combine { Mean, Median };

// Median of v [k] (k >= 1); partially reorders v.
double median_inplace(double* v, int64_t k) {
  std::sort(v, v + k);
  return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

// Note [Ensemble combination]: every member forecasts the series; the ensemble's mean at
// step h is the mean (or median) of the members' means at h, and its quantile j at step h the
// mean (or median) of the members' quantile j at h. Quantile averaging (Vincentization) keeps
// the quantiles ordered. The ensemble reports a fallback when any member did.
class EnsembleModel final : public StatModel {
 public:
  EnsembleModel(std::vector<std::unique_ptr<StatModel>> members, Combine c)
      : m_members(std::move(members)), m_combine(c) {}
  std::string name() const override {
    std::string s;
    for (size_t i = 0; i < m_members.size(); ++i) {
      if (i) s += '+';
      s += m_members[i]->name();
    }
    return s;
  }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    const int64_t k = static_cast<int64_t>(m_members.size());
    const int64_t n_out = spec.horizon * (1 + spec.n_levels);  // one member's mean + quantiles
    double* all = thread_scratch(4, k * n_out);                // [k, H + H*Q]
    double* column = thread_scratch(5, k);                     // [k] values of one output cell
    bool fallback = false;
    for (int64_t i = 0; i < k; ++i) {
      SeriesOutput mo;
      mo.mean = all + i * n_out;
      mo.quantiles = mo.mean + spec.horizon;
      m_members[i]->forecast_series(in, spec, mo);
      fallback = fallback || mo.fallback;
    }
    for (int64_t c = 0; c < n_out; ++c) {  // c < H: mean[c]; else quantiles[c - H]
      double v;
      if (m_combine == Combine::Mean) {
        double s = 0.0;
        for (int64_t i = 0; i < k; ++i) s += all[i * n_out + c];
        v = s / static_cast<double>(k);
      } else {
        for (int64_t i = 0; i < k; ++i) column[i] = all[i * n_out + c];
        v = median_inplace(column, k);
      }
      if (c < spec.horizon) out.mean[c] = v;
      else out.quantiles[c - spec.horizon] = v;
    }
    out.fallback = out.fallback || fallback;
  }

 private:
  std::vector<std::unique_ptr<StatModel>> m_members;
  Combine m_combine;
};

// ------------------------------------------------------------ preparation ----

// Copies row y [T] into out as doubles without the leading/trailing missing values and with
// interior gaps filled by linear interpolation between the neighbouring observations.
// Non-finite values (NaN, ±Inf) count as missing. Returns n (0 when nothing is observed).
int64_t prepare_series(const float* y, int64_t n_steps, double* out) {
  int64_t first = 0, last = n_steps - 1;
  while (first < n_steps && !std::isfinite(y[first])) ++first;
  if (first == n_steps) return 0;
  while (!std::isfinite(y[last])) --last;
  const int64_t n = last - first + 1;
  int64_t prev = 0;  // index (in out) of the last observed value
  out[0] = y[first];
  for (int64_t i = 1; i < n; ++i) {
    const float v = y[first + i];
    if (!std::isfinite(v)) continue;
    out[i] = v;
    // Fill the gap (prev, i) on the straight line between out[prev] and out[i].
    for (int64_t g = prev + 1; g < i; ++g) {
      const double w = static_cast<double>(g - prev) / static_cast<double>(i - prev);
      out[g] = out[prev] + w * (out[i] - out[prev]);
    }
    prev = i;
  }
  return n;
}

bool storable(const double* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!(std::fabs(v[i]) <= static_cast<double>(FLT_MAX))) return false;  // NaN fails too
  return true;
}

}  // namespace

// ---------------------------------------------------------------- registry ----

std::vector<std::string> stat_model_names() {
  std::vector<std::string> names;
  for (const auto& e : kRegistry) names.emplace_back(e.name);
  return names;
}

std::unique_ptr<StatModel> make_stat_model(const std::string& name, const std::string& combine) {
  if (name.find('+') == std::string::npos) return make_single(name);
  Combine c;
  if (combine == "mean") c = Combine::Mean;
  else if (combine == "median") c = Combine::Median;
  else throw InputError("unknown ensemble combination '" + combine + "'; expected mean or median");
  std::vector<std::unique_ptr<StatModel>> members;
  size_t start = 0;
  while (true) {
    const size_t plus = name.find('+', start);
    const std::string member = name.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    if (member.empty()) throw InputError("ensemble '" + name + "' has an empty member; write members as a+b");
    members.push_back(make_single(member));
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return std::make_unique<EnsembleModel>(std::move(members), c);
}

// ------------------------------------------------------------ batch runner ----

BatchForecast forecast_batch(const StatModel& model, const float* y, int64_t n_series, int64_t n_steps,
                             int season_length, int64_t horizon, const std::vector<double>& levels) {
  if (n_series < 0 || n_steps < 0)
    throw InputError("forecast_batch: expected a non-negative shape, got [" + std::to_string(n_series) + ", " +
                     std::to_string(n_steps) + "]");
  if (horizon <= 0) throw InputError("horizon must be at least 1, got " + std::to_string(horizon));
  if (season_length < 1) throw InputError("season length must be at least 1, got " + std::to_string(season_length));
  for (size_t j = 0; j < levels.size(); ++j) {
    if (!(levels[j] > 0.0 && levels[j] < 1.0))
      throw InputError("quantile levels must lie strictly between 0 and 1, got " + std::to_string(levels[j]));
    if (j > 0 && !(levels[j] > levels[j - 1]))
      throw InputError("quantile levels must be strictly ascending, got " + std::to_string(levels[j - 1]) +
                       " then " + std::to_string(levels[j]));
  }
  const int n_levels = checked_int(static_cast<int64_t>(levels.size()), "number of quantile levels");
  BatchForecast out;
  out.n_series = n_series;
  out.horizon = horizon;
  out.levels = levels;
  out.mean.assign(static_cast<size_t>(checked_mul(n_series, horizon)), 0.0f);
  out.quantiles.assign(static_cast<size_t>(checked_mul(checked_mul(n_series, horizon), n_levels)), 0.0f);
  const ForecastSpec spec{horizon, levels.data(), n_levels};
  const int64_t n_cells = horizon * n_levels;  // quantile cells per series
  int64_t n_fallback = 0;
  // Small batches do not pay for a team they cannot use: one thread per 64 series at most.
  const int n_threads = static_cast<int>(std::clamp<int64_t>(n_series / 64, 1, omp_get_max_threads()));

#pragma omp parallel num_threads(n_threads) reduction(+ : n_fallback)
  {
    // Per-thread double scratch: the prepared series and one series' outputs.
    std::vector<double> ybuf(static_cast<size_t>(std::max<int64_t>(n_steps, 1)));  // [T]
    std::vector<double> mean(static_cast<size_t>(horizon));                          // [H]
    std::vector<double> quant(static_cast<size_t>(std::max<int64_t>(n_cells, 1)));   // [H, Q]
#pragma omp for schedule(dynamic, 64)
    for (int64_t s = 0; s < n_series; ++s) {
      const int64_t n = prepare_series(y + s * n_steps, n_steps, ybuf.data());
      SeriesOutput so{mean.data(), quant.data(), false};
      if (n == 0) {  // nothing observed: forecast 0 with zero-width intervals
        std::fill(mean.begin(), mean.end(), 0.0);
        std::fill(quant.begin(), quant.end(), 0.0);
        so.fallback = true;
      } else {
        const SeriesInput in{ybuf.data(), n, season_length};
        bool ok = true;
        try {
          model.forecast_series(in, spec, so);
        } catch (...) {  // exceptions must not cross the OpenMP region; fall back instead
          ok = false;
        }
        if (!ok || !storable(mean.data(), horizon) || !storable(quant.data(), n_cells)) {
          so.fallback = true;
          naive_forecast(in, spec, so);
          if (!storable(quant.data(), n_cells)) flat_quantiles(spec, mean.data(), quant.data());
          if (!storable(mean.data(), horizon)) {  // values near FLT_MAX: nothing sensible left
            std::fill(mean.begin(), mean.end(), 0.0);
            std::fill(quant.begin(), quant.end(), 0.0);
          }
        }
      }
      // Quantiles never cross: sort each step's row (a no-op for well-behaved models).
      for (int64_t h = 0; h < horizon; ++h) std::sort(quant.data() + h * n_levels, quant.data() + (h + 1) * n_levels);
      // Note [Non-negative support]: a series that never had a negative value (sales) is
      // never forecast below zero; Gaussian intervals of additive models would otherwise
      // put lower quantiles of slow movers below 0.
      if (n > 0 && *std::min_element(ybuf.data(), ybuf.data() + n) >= 0.0) {
        for (auto& v : mean) v = std::max(v, 0.0);
        for (auto& v : quant) v = std::max(v, 0.0);
      }
      float* om = out.mean.data() + s * horizon;
      float* oq = out.quantiles.data() + s * n_cells;
      for (int64_t h = 0; h < horizon; ++h) om[h] = static_cast<float>(mean[h]);
      for (int64_t i = 0; i < n_cells; ++i) oq[i] = static_cast<float>(quant[i]);
      if (so.fallback) ++n_fallback;
    }
  }
  out.n_fallback = n_fallback;
  return out;
}

}  // namespace skucast
