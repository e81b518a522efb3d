// tests/gpu/test_scale_stats_gpu.cpp — scale_stats CUDA twin vs CPU reference (STYLE T1, T3).
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <limits>
#include <random>

#include "kernels/device_buffer.hpp"
#include "kernels/scale_stats.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;

class ScaleStatsGpu : public GpuTest {};

TEST_F(ScaleStatsGpu, ParityAcrossShapes) {
  std::mt19937 rng(42);
  std::normal_distribution<float> N(50.0f, 20.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t S : {1, 2, 257, 10000}) {
    for (int64_t T : {1, 31, 33, 1941}) {
      std::vector<float> y(S * T);
      for (int64_t s = 0; s < S; ++s)
        for (int64_t t = 0; t < T; ++t) {
          float v = N(rng);
          if (s % 11 == 3) v = nan;                    // all-NaN series
          if (t < (s % 13) || (s + t) % 7 == 0) v = nan;  // leading and interior NaN
          y[s * T + t] = v;
        }
      std::vector<int32_t> c_ref(S);
      std::vector<float> m_ref(S), s_ref(S);
      scale_stats_cpu(y.data(), S, T, c_ref.data(), m_ref.data(), s_ref.data());
      DeviceBuffer<float> dy(y), dm(S), ds(S);
      DeviceBuffer<int32_t> dc(S);
      scale_stats_cuda(dy.data(), S, T, dc.data(), dm.data(), ds.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_EQ(dc.download(), c_ref) << "S=" << S << " T=" << T;
      // Both accumulate in double; only the merge order differs → fp32 defaults.
      EXPECT_TRUE(all_close(m_ref, dm.download(), 1e-5, 1e-5)) << "mean S=" << S << " T=" << T;
      EXPECT_TRUE(all_close(s_ref, ds.download(), 1e-5, 1e-5)) << "std S=" << S << " T=" << T;
    }
  }
}

TEST_F(ScaleStatsGpu, EmptyBatchIsANoOp) {
  scale_stats_cuda(nullptr, 0, 10, nullptr, nullptr, nullptr, nullptr);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}
