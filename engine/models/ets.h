// engine/models/ets.h — the exponential smoothing models as StatModels.
//
// Names (all fitted per series by engine/models/ets_fit.h, R forecast conventions):
//   "ses"    ANN            "holt"   AAN            "damped" AAdN
//   "hw_add" AAA            "hw_mul" MAM            "ets"    automatic selection by AICc
// Fallbacks (out.fallback = true): a model that cannot be fitted (too short for its
// parameters, non-positive data for hw_mul, failed fit) steps down hw_mul -> hw_add ->
// damped/holt -> ses -> naive; a constant series forecasts itself with zero-width intervals;
// output is never NaN/Inf. Quantiles: mean + z_q * sd with the analytic ETS variances.
#pragma once

#include <memory>
#include <string>

#include "engine/stat_model.h"

namespace skucast {

enum class EtsKind { Ses, Holt, Damped, HwAdd, HwMul, Auto };

class EtsModel final : public StatModel {
 public:
  explicit EtsModel(EtsKind kind) : m_kind(kind) {}
  std::string name() const override;
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override;

 private:
  EtsKind m_kind;
};

// Factory for the names above; nullptr for any other name (the registry in
// engine/stat_model.cpp reports unknown names).
std::unique_ptr<StatModel> make_ets_model(const std::string& name);

}  // namespace skucast
