// engine/deepar/sampler_cpu_only.cpp — forecast_paths_cuda in a build without CUDA
// (STYLE L3): it exists and fails with the reason. forecast_block_bytes and
// forecast_block_series are host arithmetic and live in engine/deepar/paths.cpp for both builds.
#ifndef SKUCAST_HAVE_CUDA  // a CUDA build defines these in the cuda/ folder

#include "engine/deepar/cuda/sampler.h"
#include "kernels/common.hpp"

namespace skucast::deepar {

PathForecast forecast_paths_cuda(const Layout&, const PanelData&, const PathRequest&, const CudaForecastOptions&) {
  throw DeviceError("deepar: the GPU forecast is not available: this skucast was built without CUDA; "
                    "rebuild with -DSKUCAST_CUDA=ON, or forecast on the CPU (--device cpu)");
}

}  // namespace skucast::deepar

#endif  // SKUCAST_HAVE_CUDA
