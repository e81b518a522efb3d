// engine/stat/croston.cpp — Croston, SBA and TSB (Note [Croston conventions] in croston.h) as
// StatModels; the per-series code is in the header.
#include "engine/stat/croston.h"

#include <string>

#include "engine/stat/simple.h"

namespace skucast {

namespace {

class CrostonModel final : public StatModel {
 public:
  CrostonModel(CrostonVariant v, CrostonParams p, const char* name) : m_variant(v), m_params(p), m_name(name) {}
  std::string name() const override { return m_name; }
  void forecast_series(const SeriesInput& in, const ForecastSpec& spec, SeriesOutput& out) const override {
    const bool opt = m_variant == CrostonVariant::Optimized;
    croston_forecast_series(m_variant, m_params, in, spec, out, thread_scratch(0, in.n), thread_scratch(1, in.n),
                            opt ? thread_scratch(2, in.n) : nullptr, opt ? thread_scratch(3, in.n) : nullptr);
  }

 private:
  CrostonVariant m_variant;
  CrostonParams m_params;
  const char* m_name;
};

}  // namespace

std::unique_ptr<StatModel> make_croston(CrostonParams p) {
  return std::make_unique<CrostonModel>(CrostonVariant::Classic, p, "croston");
}
std::unique_ptr<StatModel> make_sba(CrostonParams p) {
  return std::make_unique<CrostonModel>(CrostonVariant::Sba, p, "sba");
}
std::unique_ptr<StatModel> make_tsb(CrostonParams p) {
  return std::make_unique<CrostonModel>(CrostonVariant::Tsb, p, "tsb");
}
std::unique_ptr<StatModel> make_croston_optimized() {
  return std::make_unique<CrostonModel>(CrostonVariant::Optimized, CrostonParams{}, "croston_opt");
}

}  // namespace skucast
