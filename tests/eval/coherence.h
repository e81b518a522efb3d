// tests/eval/coherence.h — how far a backtest's forecasts are from coherent, for the hierarchy
// tests (tests/eval/test_backtest_levels.cpp, tests/cli/test_cli_hier_global.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/eval/backtest.h"
#include "io/hierarchy_file.h"

namespace skucast {

// The largest |error(aggregate) − Σ error(children)| of model m over folds, aggregates and steps
// where the aggregate and all its children are observed (relative: divided by 1 + |Σ|).
// Forecasts are coherent when it is ~0, since the actuals of an aggregated panel add up.
inline double coherent_gap(const BacktestResult& r, const HierarchyStructure& h, int64_t m, bool relative) {
  double worst = 0.0;
  for (int64_t k = 0; k < r.n_folds(); ++k)
    for (int64_t a = 0; a < h.n_aggregates; ++a)
      for (int64_t t = 0; t < r.horizon; ++t) {
        double sum = 0.0;
        bool all = true;
        for (int64_t c = h.indptr[static_cast<size_t>(a)]; c < h.indptr[static_cast<size_t>(a) + 1]; ++c) {
          const float e = r.error_row(m, k, h.n_aggregates + h.indices[static_cast<size_t>(c)])[t];
          all = all && std::isfinite(e);
          sum += e;
        }
        const float ea = r.error_row(m, k, a)[t];
        if (all && std::isfinite(ea))
          worst = std::max(worst, std::fabs(ea - sum) / (relative ? 1.0 + std::fabs(sum) : 1.0));
      }
  return worst;
}

}  // namespace skucast
