// engine/nn/rng.h — counter-based random numbers for weight init and dropout masks.
//
// uniform01(seed, stream, index) is a pure function of its arguments (a splitmix64 hash),
// so a mask or an initialization depends on the seed alone: not on thread counts, order of
// evaluation or the platform's <random> implementation. Both functions are SKU_HD
// (kernels/hd.hpp): the GPU forecaster draws its sample paths with the very same hash
// (Note [DeepAR forecasting on the GPU] in engine/deepar/cuda/sampler.h).
#pragma once

#include <cstdint>

#include "kernels/hd.hpp"

namespace skucast::nn {

inline SKU_HD uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1), 53 random bits.
inline SKU_HD double uniform01(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t k = splitmix64(splitmix64(seed ^ splitmix64(stream + 0x632BE59BD9B4E019ull)) + index);
  return static_cast<double>(k >> 11) * 0x1.0p-53;
}

}  // namespace skucast::nn
