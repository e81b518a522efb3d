// engine/stat/arima/auto.cpp — the host entry point of the automatic ARIMA order
// (arima_auto, Note [ARIMA automatic order] in arima.h): it sizes the search's buffers and runs
// the SKU_HD search of engine/stat/arima/auto_core.h, the same code the GPU runs.
#include <cstdint>
#include <vector>

#include "engine/stat/arima/arima.h"
#include "engine/stat/arima/auto_core.h"
#include "engine/stat/arima/core.h"

namespace skucast {

bool arima_auto(const double* y, int64_t n, int m, ArimaFit& out, ArimaScratch& s, const ArimaAutoOptions& opt,
                ArimaAutoInfo* info) {
  // Regression columns: the mean/drift and up to kArimaMaxXreg regressors.
  const int kx = opt.xreg != nullptr && opt.xreg->k > 0 ? kArimaMaxXreg : 0;
  std::vector<double> buf(static_cast<size_t>(arima_work_series_doubles(n, m, kx, kArimaMaxState)));
  ArimaWork W = arima_work_series(buf.data(), n, m, kx, kArimaMaxState);
  W.mats = arima_mats(s);
  return arima_auto_hd(y, n, m, out, W, opt, info);
}

}  // namespace skucast
