// tests/gpu/parity_util.hpp — helpers shared by the GPU parity tests: seeded inputs with NaN
// holes, and output poisoning (every element the kernel should write starts as NaN, so an
// unwritten element fails the comparison instead of matching a zeroed buffer).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/device_buffer.hpp"

namespace skucast::test {

inline constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

// n values N(mu, sd), each NaN with probability p_nan.
inline std::vector<float> normal_with_nan(std::mt19937& rng, int64_t n, float mu, float sd, double p_nan) {
  std::normal_distribution<float> N(mu, sd);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = U(rng) < p_nan ? kNaNf : N(rng);
  return v;
}

// Fills a device buffer with 0xFF bytes: NaN for float and double, -1 for integers.
template <class T>
void poison(DeviceBuffer<T>& b) {
  if (b.size()) SKU_CUDA_CHECK(cudaMemset(b.data(), 0xFF, b.size() * sizeof(T)));
}

}  // namespace skucast::test
