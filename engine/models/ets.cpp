// engine/models/ets.cpp — StatModel wrappers for SES, Holt, damped Holt, Holt-Winters and
// automatic ETS (see ets.h): fallback chain, forecasts and quantiles.
#include "engine/models/ets.h"

#include <cmath>
#include <vector>

#include "engine/models/ets_fit.h"
#include "engine/models/forecast_util.h"

namespace skucast {

namespace {

EtsSpec spec_of(EtsKind kind, int m) {
  EtsSpec s;
  s.m = m > 1 ? m : 1;
  switch (kind) {
    case EtsKind::Ses: break;
    case EtsKind::Holt: s.trend = EtsComp::Add; break;
    case EtsKind::Damped: s.trend = EtsComp::Add; s.damped = true; break;
    case EtsKind::HwAdd: s.trend = EtsComp::Add; s.season = EtsComp::Add; break;
    case EtsKind::HwMul: s.error = EtsComp::Mult; s.trend = EtsComp::Add; s.season = EtsComp::Mult; break;
    case EtsKind::Auto: break;
  }
  return s;
}

EtsKind simpler(EtsKind kind) {
  switch (kind) {
    case EtsKind::HwMul: return EtsKind::HwAdd;
    case EtsKind::HwAdd: return EtsKind::Holt;
    case EtsKind::Damped: return EtsKind::Holt;
    default: return EtsKind::Ses;
  }
}

// Fits `kind` or the first simpler model that can be fitted. Returns false when even SES fails.
bool fit_with_fallback(const double* y, int64_t n, int m, EtsKind kind, EtsFit& fit, bool& fell_back) {
  fell_back = false;
  bool positive = true;
  for (int64_t i = 0; i < n; ++i)
    if (!(y[i] > 0.0)) positive = false;
  if (kind == EtsKind::Auto) {
    if (ets_auto(y, n, m, fit)) return true;
    fell_back = true;
    kind = EtsKind::Ses;
  }
  while (true) {
    const EtsSpec spec = spec_of(kind, m);
    const bool seasonal_ok = spec.season == EtsComp::None ||
                             (m >= 2 && m <= kEtsMaxSeason && n >= 2 * static_cast<int64_t>(m));
    const bool positive_ok = (spec.error != EtsComp::Mult && spec.season != EtsComp::Mult) || positive;
    if (seasonal_ok && positive_ok && n >= ets_n_free(spec) + 4 && ets_fit(y, n, spec, EtsCriterion::Likelihood, fit))
      return true;
    if (kind == EtsKind::Ses) return false;
    kind = simpler(kind);
    fell_back = true;
  }
}

}  // namespace

std::string EtsModel::name() const {
  switch (m_kind) {
    case EtsKind::Ses: return "ses";
    case EtsKind::Holt: return "holt";
    case EtsKind::Damped: return "damped";
    case EtsKind::HwAdd: return "hw_add";
    case EtsKind::HwMul: return "hw_mul";
    case EtsKind::Auto: return "ets";
  }
  return "ets";
}

int64_t ets_fit_window(int64_t n, int m) {
  int64_t w = kEtsFitWindow;
  const int64_t seasons = static_cast<int64_t>(kEtsFitMinSeasons) * (m > 1 ? m : 1);
  if (w < seasons) w = seasons;
  return n < w ? n : w;
}

void EtsModel::forecast_series(const SeriesInput& in_full, const ForecastSpec& spec, SeriesOutput& out) const {
  out.fallback = false;
  const int64_t h = spec.horizon;
  if (h <= 0) return;
  if (in_full.n < 1 || !all_finite(in_full.y, in_full.n)) {
    naive_fallback(in_full, spec, out);
    return;
  }
  // Note [ETS fitting window]: only the most recent observations are fitted.
  const int64_t n_fit = ets_fit_window(in_full.n, in_full.season_length);
  const SeriesInput in{in_full.y + (in_full.n - n_fit), n_fit, in_full.season_length};
  std::vector<double> mean(h), sd(h);  // [H]
  if (is_constant_series(in.y, in.n)) return constant_forecast(in, spec, out);
  EtsFit fit;
  bool fell_back = false;
  if (!fit_with_fallback(in.y, in.n, in.season_length, m_kind, fit, fell_back)) {
    naive_fallback(in, spec, out);
    return;
  }
  ets_point_forecast(fit.spec, fit.par, fit.x_end, h, mean.data());
  ets_forecast_variance(fit.spec, fit.par, fit.sigma2, h, mean.data(), sd.data());
  for (int64_t i = 0; i < h; ++i) sd[i] = std::sqrt(sd[i] > 0.0 ? sd[i] : 0.0);
  write_normal_quantiles(mean.data(), sd.data(), spec, out);
  out.fallback = fell_back;
  if (!output_is_finite(spec, out)) naive_fallback(in, spec, out);
}

std::unique_ptr<StatModel> make_ets_model(const std::string& name) {
  if (name == "ses") return std::make_unique<EtsModel>(EtsKind::Ses);
  if (name == "holt") return std::make_unique<EtsModel>(EtsKind::Holt);
  if (name == "damped") return std::make_unique<EtsModel>(EtsKind::Damped);
  if (name == "hw_add") return std::make_unique<EtsModel>(EtsKind::HwAdd);
  if (name == "hw_mul") return std::make_unique<EtsModel>(EtsKind::HwMul);
  if (name == "ets") return std::make_unique<EtsModel>(EtsKind::Auto);
  return nullptr;
}

}  // namespace skucast
