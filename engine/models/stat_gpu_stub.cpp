// engine/models/stat_gpu_stub.cpp — the CUDA entry points of stat_gpu.h in a build without
// CUDA (STYLE L3): they fail with a hint to rebuild. CMakeLists.txt compiles this file only
// when SKUCAST_CUDA is off (engine/models/stat_gpu.cu otherwise).
#include "engine/models/stat_gpu.h"
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
