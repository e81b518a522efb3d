// engine/stat/ets/ets.cpp — StatModel wrappers for SES, Holt, damped Holt, Holt-Winters and
// automatic ETS (see ets.h; the per-series code, ets_forecast_series, is in the header).
#include "engine/stat/ets/ets.h"

#include <vector>

namespace skucast {

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

void EtsModel::forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const {
  std::vector<double> sd(static_cast<size_t>(spec.horizon > 0 ? spec.horizon : 0));  // [H]
  ets_forecast_series(m_kind, in, spec, out, sd.data());
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
