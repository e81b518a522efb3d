// engine/deepar/sampler.cpp — make_sampler (engine/deepar/sampler.h): the CPU sampler, and the
// GPU one in CUDA builds.
#include "engine/deepar/sampler.h"

#include "kernels/common.hpp"

#ifdef SKUCAST_HAVE_CUDA
#include "engine/deepar/cuda/sampler.h"
#endif

namespace skucast::deepar {

namespace {

class CpuSampler final : public Sampler {
 public:
  PathForecast forecast(const Layout& l, const PanelData& d, const PathRequest& r) override {
    return forecast_paths_cpu(l, d, r);
  }
};

#ifdef SKUCAST_HAVE_CUDA
class CudaSampler final : public Sampler {
 public:
  explicit CudaSampler(size_t max_block_bytes) { m_options.max_block_bytes = max_block_bytes; }
  PathForecast forecast(const Layout& l, const PanelData& d, const PathRequest& r) override {
    return forecast_paths_cuda(l, d, r, m_options);
  }

 private:
  CudaForecastOptions m_options;
};
#endif

}  // namespace

std::unique_ptr<Sampler> make_sampler(const SamplerSetup& setup) {
  if (setup.device == Device::Cuda) {
#ifdef SKUCAST_HAVE_CUDA
    return std::make_unique<CudaSampler>(setup.max_block_bytes);
#else
    throw DeviceError("deepar: the GPU forecast is not available: this skucast was built without CUDA; "
                      "rebuild with -DSKUCAST_CUDA=ON, or forecast on the CPU (--device cpu)");
#endif
  }
  return std::make_unique<CpuSampler>();
}

}  // namespace skucast::deepar
