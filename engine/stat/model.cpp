// engine/stat/model.cpp — the model registry (names, factories and GPU kernels), ensembles
// ("ets+theta") and the batch runner forecast_batch (OpenMP over series) for the statistical
// models of engine/stat/model.h.
#include "engine/stat/model.h"

#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/stat/boxcox.h"
#include "engine/stat/gpu_models.h"
#include "engine/stat/series_prep.h"
#include "kernels/common.hpp"

// ---- registry includes: one header per model family ----
#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/arimax.h"
#include "engine/stat/croston.h"
#include "engine/stat/ets/ets.h"
#include "engine/stat/simple.h"
#include "engine/stat/ets/theta.h"
// ---- end registry includes ----

namespace skucast {

namespace {

using ModelFactory = std::unique_ptr<StatModel> (*)();

struct RegistryEntry {
  const char* name;
  ModelFactory make;
  std::optional<StatGpuModel> gpu;  // its kernel on the GPU (engine/stat/gpu_models.h), if any
};

// ---- registry: name → factory, GPU kernel ----
// The one list of the statistical models: make_stat_model, stat_model_names and the GPU
// path's stat_gpu_model / stat_gpu_model_names all read it. To add a model: include its header
// in "registry includes" above and add one line here, {"name", factory, gpu}, where factory is
// a function (or captureless lambda) returning std::unique_ptr<StatModel>, and gpu the
// StatGpuModel that runs the same per-series code on the GPU (engine/stat/gpu_series.h), or
// std::nullopt. Names are lower case; '+' is reserved for ensembles.
const RegistryEntry kRegistry[] = {
    {"naive", [] { return make_naive(); }, StatGpuModel::Naive},
    {"snaive", [] { return make_snaive(); }, StatGpuModel::Snaive},
    {"ma", [] { return make_ma(); }, StatGpuModel::Ma},
    {"croston", [] { return make_croston(); }, StatGpuModel::Croston},
    {"sba", [] { return make_sba(); }, StatGpuModel::Sba},
    {"tsb", [] { return make_tsb(); }, StatGpuModel::Tsb},
    {"croston_opt", [] { return make_croston_optimized(); }, StatGpuModel::CrostonOpt},
    {"ses", [] { return make_ets_model("ses"); }, StatGpuModel::Ses},
    {"holt", [] { return make_ets_model("holt"); }, StatGpuModel::Holt},
    {"damped", [] { return make_ets_model("damped"); }, StatGpuModel::Damped},
    {"hw_add", [] { return make_ets_model("hw_add"); }, StatGpuModel::HwAdd},
    {"hw_mul", [] { return make_ets_model("hw_mul"); }, StatGpuModel::HwMul},
    {"ets", [] { return make_ets_model("ets"); }, StatGpuModel::Ets},
    {"theta", [] { return make_theta_model("theta"); }, StatGpuModel::Theta},
    {"arima", [] { return make_arima_model(); }, StatGpuModel::Arima},
    {"arimax", [] { return make_arimax_model(); }, std::nullopt},  // regressors: the CPU only
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
  bool uses_regressors() const override {
    for (const auto& m : m_members)
      if (m->uses_regressors()) return true;
    return false;
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
      mo.regressor_use = out.regressor_use;  // the member that reads regressors writes it
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

}  // namespace

// ---------------------------------------------------------------- registry ----

std::vector<std::string> stat_model_names() {
  std::vector<std::string> names;
  for (const auto& e : kRegistry) names.emplace_back(e.name);
  return names;
}

std::vector<std::string> stat_gpu_model_names() {
  std::vector<std::string> names;
  for (const auto& e : kRegistry)
    if (e.gpu) names.emplace_back(e.name);
  return names;
}

StatGpuModel stat_gpu_model(const std::string& name) {
  for (const auto& e : kRegistry)
    if (e.gpu && name == e.name) return *e.gpu;
  throw InputError("the GPU statistical models have no model '" + name + "'; expected one of " +
                   join(stat_gpu_model_names(), ", "));
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

namespace {

// Forecasts one prepared series; when the model throws or writes values a float cannot hold,
// the naive forecast instead (so.fallback = true). Never leaves NaN/Inf in the buffers.
void forecast_or_fallback(const StatModel& model, const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& so) {
  const int64_t n_cells = spec.horizon * spec.n_levels;
  bool ok = true;
  try {
    model.forecast_series(in, spec, so);
  } catch (...) {  // exceptions must not cross the OpenMP region; fall back instead
    ok = false;
  }
  if (!ok || !storable_hd(so.mean, spec.horizon) || !storable_hd(so.quantiles, n_cells)) {
    so.fallback = true;
    naive_forecast(in, spec, so);
    if (!storable_hd(so.quantiles, n_cells)) flat_quantiles(spec, so.mean, so.quantiles);
    if (!storable_hd(so.mean, spec.horizon)) {  // values near FLT_MAX: nothing sensible left
      std::fill(so.mean, so.mean + spec.horizon, 0.0);
      std::fill(so.quantiles, so.quantiles + n_cells, 0.0);
    }
  }
}

// Note [Regressor rows]: a series' regressors are cut to the span forecast_batch keeps of y
// (rows first..last of the history, after trimming leading/trailing NaN) followed by the H rows
// of the horizon, rows [T, T + H) of the block (the steps the forecast is reported for, also
// for a series that ended before T). Missing values (NaN) in a regressor are filled with the
// last observed value of that column (last observation carried forward; leading gaps take the
// first observed value); a column with no finite value at all becomes 0 (constant: the models
// leave it out). Writes x [n + H, K] as doubles, and per column whether its history rows had no
// finite value (no_history [K]) and whether a horizon row was missing (future_missing [K]), for
// Note [Regressor use].
void prepare_regressors(const float* xs, int64_t first, int64_t n, int64_t n_steps, int64_t horizon, int k,
                        double* x, bool* no_history, bool* future_missing) {
  const int64_t rows = n + horizon;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = r < n ? first + r : n_steps + (r - n);  // row on the block's axis
    for (int j = 0; j < k; ++j) x[r * k + j] = xs[t * k + j];
  }
  for (int j = 0; j < k; ++j) {
    no_history[j] = true;
    future_missing[j] = false;
    for (int64_t r = 0; r < rows; ++r) {
      const bool finite = std::isfinite(x[r * k + j]);
      if (r < n) no_history[j] = no_history[j] && !finite;
      else future_missing[j] = future_missing[j] || !finite;
    }
    double last = std::nan("");
    for (int64_t r = 0; r < rows; ++r) {
      double& v = x[r * k + j];
      if (std::isfinite(v)) last = v;
      else v = last;
    }
    double next = std::nan("");  // leading gap: the first observed value (0 when none)
    for (int64_t r = rows - 1; r >= 0; --r) {
      double& v = x[r * k + j];
      if (std::isfinite(v)) next = v;
      else v = std::isfinite(next) ? next : 0.0;
    }
  }
}

}  // namespace

int64_t bound_forecast_row(float cap, int64_t horizon, int64_t n_levels, float* mean, float* quantiles) {
  int64_t hits = 0;
  for (int64_t h = 0; h < horizon; ++h) {
    hits += clamp_to_cap(mean[h], cap);
    float* q = quantiles + h * n_levels;
    for (int64_t k = 0; k < n_levels; ++k) {
      hits += clamp_to_cap(q[k], cap);
      if (k > 0 && q[k] < q[k - 1]) q[k] = q[k - 1];  // ascending, after a NaN went to the cap
    }
  }
  return hits;
}

StatBoundCount bound_stat_forecast(const float* y, int64_t n_series, int64_t n_steps, int64_t horizon,
                                   int64_t n_levels, float* mean, float* quantiles) {
  StatBoundCount c;
  for (int64_t s = 0; s < n_series; ++s) {
    double peak = 0.0;  // Note [Bounded statistical forecasts]
    for (int64_t t = 0; t < n_steps; ++t) {
      const double v = y[s * n_steps + t];
      if (std::isfinite(v)) peak = std::max(peak, std::fabs(v));
    }
    const int64_t hits = bound_forecast_row(static_cast<float>(forecast_cap(peak)), horizon, n_levels,
                                            mean + s * horizon, quantiles + s * horizon * n_levels);
    c.n_values += hits;
    c.n_series += hits > 0;
  }
  return c;
}

BatchForecast forecast_batch(const StatModel& model, const float* y, int64_t n_series, int64_t n_steps,
                             int season_length, int64_t horizon, const std::vector<double>& levels) {
  return forecast_batch(model, y, n_series, n_steps, season_length, horizon, levels, BatchOptions{});
}

void check_forecast_args(int season_length, int64_t horizon, const std::vector<double>& levels) {
  if (horizon <= 0) throw InputError("horizon must be at least 1, got " + std::to_string(horizon));
  if (season_length < 1) throw InputError("season length must be at least 1, got " + std::to_string(season_length));
  for (size_t j = 0; j < levels.size(); ++j) {
    if (!(levels[j] > 0.0 && levels[j] < 1.0))
      throw InputError("quantile levels must lie strictly between 0 and 1, got " + std::to_string(levels[j]));
    if (j > 0 && !(levels[j] > levels[j - 1]))
      throw InputError("quantile levels must be strictly ascending, got " + std::to_string(levels[j - 1]) +
                       " then " + std::to_string(levels[j]));
  }
}

BatchForecast forecast_batch(const StatModel& model, const float* y, int64_t n_series, int64_t n_steps,
                             int season_length, int64_t horizon, const std::vector<double>& levels,
                             const BatchOptions& opt) {
  if (n_series < 0 || n_steps < 0)
    throw InputError("forecast_batch: expected a non-negative shape, got [" + std::to_string(n_series) + ", " +
                     std::to_string(n_steps) + "]");
  check_forecast_args(season_length, horizon, levels);
  const int n_x = opt.xreg != nullptr ? opt.n_xreg : 0;  // K
  if (n_x < 0) throw InputError("forecast_batch: negative number of regressors " + std::to_string(n_x));
  if (n_x > 0 && opt.xreg_steps < n_steps + horizon)
    throw InputError("forecast_batch: the regressors cover " + std::to_string(opt.xreg_steps) + " steps, but " +
                     std::to_string(n_steps) + " of history + " + std::to_string(horizon) + " of horizon are needed");
  const Transform transform = opt.transform;
  if (transform != Transform::None) {
    // Note [Forecast transforms] (boxcox.h): no log of negative values.
    for (int64_t s = 0; s < n_series; ++s)
      for (int64_t t = 0; t < n_steps; ++t) {
        const float v = y[s * n_steps + t];
        if (std::isfinite(v) && v < 0.0f)
          throw InputError(std::string("--transform ") + transform_name(transform) + " needs values >= 0, but series " +
                           (opt.ids ? "'" + opt.ids[s] + "'" : "#" + std::to_string(s)) + " has " +
                           std::to_string(v) + " at step " + std::to_string(t) +
                           "; use --transform none for series that can be negative");
      }
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
  // On a transformed scale the model also forecasts the 2.5% and 97.5% quantiles: the variance
  // for the bias-adjusted mean (Note [Forecast transforms]). t_levels = levels ∪ {0.025, 0.975}.
  std::vector<double> t_levels = levels;
  for (double extra : {0.025, 0.975}) {
    bool have = false;
    for (double l : levels) have = have || std::fabs(l - extra) < 1e-12;
    if (!have) t_levels.push_back(extra);
  }
  std::sort(t_levels.begin(), t_levels.end());
  const int n_tlevels = static_cast<int>(t_levels.size());
  std::vector<int> t_index(levels.size());  // [Q] position of levels[j] in t_levels
  int i_lo = 0, i_hi = 0;
  for (int i = 0; i < n_tlevels; ++i) {
    for (size_t j = 0; j < levels.size(); ++j)
      if (std::fabs(t_levels[i] - levels[j]) < 1e-12) t_index[j] = i;
    if (std::fabs(t_levels[i] - 0.025) < 1e-12) i_lo = i;
    if (std::fabs(t_levels[i] - 0.975) < 1e-12) i_hi = i;
  }
  const ForecastSpec t_spec{horizon, t_levels.data(), n_tlevels};
  const double z_975 = 1.959963984540054;  // qnorm(0.975)
  int64_t n_fallback = 0;
  // Small batches do not pay for a team they cannot use: one thread per 64 series at most.
  const int n_threads = static_cast<int>(std::clamp<int64_t>(n_series / 64, 1, omp_get_max_threads()));

  int64_t n_no_fitted = 0;
#pragma omp parallel num_threads(n_threads) reduction(+ : n_fallback, n_no_fitted)
  {
    std::vector<double> fbuf(opt.residuals ? static_cast<size_t>(std::max<int64_t>(n_steps, 1)) : 0);  // [T] fitted values
    // Per-thread double scratch: the prepared series, its regressors and one series' outputs.
    std::vector<double> ybuf(static_cast<size_t>(std::max<int64_t>(n_steps, 1)));  // [T]
    std::vector<double> zbuf(transform != Transform::None ? ybuf.size() : 0);       // [T] transformed
    std::vector<double> xbuf(static_cast<size_t>((n_steps + horizon) * n_x));       // [T + H, K]
    auto x_no_history = std::make_unique<bool[]>(static_cast<size_t>(n_x) + 1);      // [K]
    auto x_future_missing = std::make_unique<bool[]>(static_cast<size_t>(n_x) + 1);  // [K]
    std::vector<double> mean(static_cast<size_t>(horizon));                          // [H]
    std::vector<double> quant(static_cast<size_t>(std::max<int64_t>(n_cells, 1)));   // [H, Q]
    std::vector<double> t_mean(transform != Transform::None ? mean.size() : 0);      // [H]
    std::vector<double> t_quant(transform != Transform::None ? static_cast<size_t>(horizon * n_tlevels) : 0);  // [H, Q']
#pragma omp for schedule(dynamic, 64)
    for (int64_t s = 0; s < n_series; ++s) {
      int64_t first = 0;
      const int64_t n = prepare_series_hd(y + s * n_steps, n_steps, ybuf.data(), &first);
      SeriesOutput so{mean.data(), quant.data(), false};
      so.fitted = opt.residuals && n > 0 ? fbuf.data() : nullptr;
      RegressorUse* use = opt.regressor_use && n_x > 0 ? opt.regressor_use + s * n_x : nullptr;  // [K]
      if (use) std::fill(use, use + n_x, RegressorUse::Unread);
      if (n == 0) {  // nothing observed: forecast 0 with zero-width intervals
        std::fill(mean.begin(), mean.end(), 0.0);
        std::fill(quant.begin(), quant.end(), 0.0);
        so.fallback = true;
      } else {
        SeriesInput in{ybuf.data(), n, season_length};
        if (n_x > 0) {
          prepare_regressors(opt.xreg + s * opt.xreg_steps * n_x, first, n, n_steps, horizon, n_x, xbuf.data(),
                             x_no_history.get(), x_future_missing.get());
          in.regressors = xbuf.data();
          in.n_regressors = n_x;
          so.regressor_use = use;
        }
        bool done = false;
        if (transform != Transform::None) {
          const SeriesTransform st = choose_transform(transform, ybuf.data(), n, season_length);
          bool finite = true;
          for (int64_t t = 0; t < n; ++t) {
            zbuf[t] = transform_value(st, ybuf[t]);
            finite = finite && std::isfinite(zbuf[t]);
          }
          if (finite) {
            SeriesInput zin = in;
            zin.y = zbuf.data();
            SeriesOutput zo{t_mean.data(), t_quant.data(), false};
            zo.regressor_use = so.regressor_use;
            forecast_or_fallback(model, zin, t_spec, zo);
            // Back to the data's scale: quantiles exactly, the mean bias-adjusted.
            for (int64_t h = 0; h < horizon; ++h) {
              const double* q = t_quant.data() + h * n_tlevels;
              const double sd = (q[i_hi] - q[i_lo]) / (2.0 * z_975);
              mean[h] = inverse_transform_mean(st, t_mean[h], sd * sd);
              for (int j = 0; j < n_levels; ++j) quant[h * n_levels + j] = inverse_transform_value(st, q[t_index[j]]);
            }
            done = storable_hd(mean.data(), horizon) && storable_hd(quant.data(), n_cells);
            so.fallback = zo.fallback;
          }
          if (!done) so.fallback = true;  // the untransformed series instead
          // Residuals are on the data's scale only: a transformed fit gives none (counted in
          // n_no_fitted).
          if (done) so.has_fitted = false;
        }
        if (!done) {
          const bool was_fallback = so.fallback;
          forecast_or_fallback(model, in, spec, so);
          so.fallback = so.fallback || was_fallback;
        }
        for (int j = 0; use && j < n_x; ++j) {  // Note [Regressor use]: what the preparation saw
          if (use[j] == RegressorUse::Constant && x_no_history[j]) use[j] = RegressorUse::NoHistory;
          if (use[j] == RegressorUse::Used && x_future_missing[j]) use[j] = RegressorUse::UsedCarried;
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
      if (opt.residuals) {  // y_t − ŷ_t at observed steps of the prepared span, NaN elsewhere
        float* res = opt.residuals + s * n_steps;
        std::fill(res, res + n_steps, std::numeric_limits<float>::quiet_NaN());
        if (so.has_fitted) {
          for (int64_t t = 0; t < n; ++t) {
            const float obs = y[s * n_steps + first + t];
            if (std::isfinite(obs) && std::isfinite(fbuf[static_cast<size_t>(t)]))
              res[first + t] = static_cast<float>(static_cast<double>(obs) - fbuf[static_cast<size_t>(t)]);
          }
        } else if (n > 0) {
          ++n_no_fitted;
        }
      }
      float* om = out.mean.data() + s * horizon;
      float* oq = out.quantiles.data() + s * n_cells;
      for (int64_t h = 0; h < horizon; ++h) om[h] = static_cast<float>(mean[h]);
      for (int64_t i = 0; i < n_cells; ++i) oq[i] = static_cast<float>(quant[i]);
      if (so.fallback) ++n_fallback;
    }
  }
  out.n_fallback = n_fallback;
  out.n_no_fitted = n_no_fitted;
  return out;
}

}  // namespace skucast
