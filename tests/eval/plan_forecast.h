// tests/eval/plan_forecast.h — the hand-made forecast that tests/eval/test_plan.cpp and
// test_cumulative.cpp plan from: two series, H = 4, levels 0.1/0.5/0.9; "a": mean 10 per step
// and sd 3 (q = 10 ± 1.2816 × 3); "slow": mean 1, lower quantile clipped at 0, upper
// 1 + 1.2816 × 2 (sd 2 from the upper half).
#pragma once

#include "io/forecast_file.h"

namespace skucast {

inline ForecastFile hand_forecast() {
  ForecastFile fc;
  fc.model = "hand";
  fc.horizon = 4;
  fc.ids = {"a", "slow"};
  fc.levels = {0.1, 0.5, 0.9};
  const double z = 1.2815515655446004;
  for (int h = 0; h < 4; ++h) {
    fc.mean.push_back(10.0f);
    for (float v : {static_cast<float>(10 - z * 3), 10.0f, static_cast<float>(10 + z * 3)}) fc.quantiles.push_back(v);
  }
  for (int h = 0; h < 4; ++h) {
    fc.mean.push_back(1.0f);
    for (float v : {0.0f, 1.0f, static_cast<float>(1 + z * 2)}) fc.quantiles.push_back(v);
  }
  return fc;
}

}  // namespace skucast
