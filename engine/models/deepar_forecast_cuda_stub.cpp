// engine/models/deepar_forecast_cuda_stub.cpp — forecast_paths_cuda in a build without CUDA
// (STYLE L3): it exists and fails with the reason. forecast_block_bytes and
// forecast_block_series are host arithmetic and live in deepar_paths.cpp for both builds.
#include "engine/models/deepar_forecast_cuda.h"
#include "kernels/common.hpp"

namespace skucast::deepar {

PathForecast forecast_paths_cuda(const Layout&, const PanelData&, const PathRequest&, const CudaForecastOptions&) {
  throw DeviceError("deepar: the GPU forecast is not available: this skucast was built without CUDA; "
                    "rebuild with -DSKUCAST_CUDA=ON, or forecast on the CPU (--device cpu)");
}

}  // namespace skucast::deepar
