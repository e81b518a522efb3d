// engine/deepar/sampler.h — the global model's ancestral sampling behind one interface
// (DESIGN.md "Backends"): deepar_forecast (engine/deepar/forecast.cpp) loads the panel and the
// model and asks a Sampler for the paths' means and quantiles, without knowing where it runs.
// make_sampler picks the implementation once: forecast_paths_cpu (engine/deepar/paths.cpp,
// OpenMP over paths) or, in CUDA builds, forecast_paths_cuda (Note [DeepAR forecasting on the
// GPU] in engine/deepar/cuda/sampler.h), which draws the same values from the same generator.
// Internal to engine/deepar; no CUDA types (STYLE B4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/deepar/internal.h"
#include "kernels/device.hpp"

namespace skucast::deepar {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // One forecast of the requested series of an in-memory panel (PathRequest, internal.h).
  virtual PathForecast forecast(const Layout& l, const PanelData& d, const PathRequest& r) = 0;
};

struct SamplerSetup {
  Device device = Device::Cpu;
  size_t max_block_bytes = 0;  // Device::Cuda: device memory one block of series may use; 0 = 2 GiB
};

// Throws DeviceError when Device::Cuda cannot be used (a build without CUDA: "rebuild with
// -DSKUCAST_CUDA=ON"; no device: when the first forecast starts).
std::unique_ptr<Sampler> make_sampler(const SamplerSetup& setup);

// The GPU sampler's blocks (Note [DeepAR forecasting on the GPU], "Memory"): host arithmetic,
// in both builds and testable without a device.
// Device bytes one series of a block needs with the request's paths.
size_t forecast_block_bytes(const Layout& l, const PathRequest& r);
// Series per block for a budget (>= 1, <= n_series, R = nb * N within int for cuDNN).
int64_t forecast_block_series(const Layout& l, const PathRequest& r, int64_t n_series, size_t max_block_bytes);

}  // namespace skucast::deepar
