// engine/stat/gpu_models_cpu_only.cpp — the CUDA entry points of engine/stat/gpu_models.h in a build without
// CUDA (STYLE L3): they fail with a hint to rebuild. Its body compiles only
// when SKUCAST_CUDA is off (engine/stat/cuda/gpu_models.cu otherwise).
#ifndef SKUCAST_HAVE_CUDA  // a CUDA build defines these in the cuda/ folder

#include "engine/stat/gpu_models.h"
#include "kernels/common.hpp"

namespace skucast {

void stat_forecast_cuda(const StatGpuParams&, const float*, int64_t, double*, float*, float*, uint8_t*, cudaStream_t) {
  throw DeviceError("the GPU statistical models need CUDA; rebuild with -DSKUCAST_CUDA=ON");
}

BatchForecast forecast_batch_cuda(const std::string&, const float*, int64_t, int64_t, int, int64_t,
                                  const std::vector<double>&, const StatGpuOptions&) {
  throw DeviceError("the GPU statistical models need CUDA; rebuild with -DSKUCAST_CUDA=ON");
}

}  // namespace skucast

#endif  // SKUCAST_HAVE_CUDA
