// tests/gpu/test_adam_parity.cpp — grad_sq_norm + adam_step (CUDA) vs the CPU twin, with
// global-norm clipping read from device memory (STYLE T1, T3).
// Tolerance: the norm is a double sum in another order: rtol 1e-12. w, m, v: atol 1e-6,
// rtol 1e-6 — the update is the same double arithmetic rounded once to float; FMA
// contraction on the device can move the result by one float ulp (~6e-8 relative), and three
// steps can compound that through m and v.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cmath>
#include <random>

#include "kernels/adam.hpp"
#include "kernels/device_buffer.hpp"
#include "tests/gpu/parity_util.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using skucast::test::normal_with_nan;

class AdamGpu : public GpuTest {};

TEST_F(AdamGpu, ClippedStepsMatchCpu) {
  std::mt19937 rng(11);
  for (int64_t n : {1, 31, 257, 10000, (1 << 20) + 3}) {
    for (double max_norm : {0.0, 1.0}) {  // off, and on (the random gradients' norm is >> 1)
      std::vector<float> w = normal_with_nan(rng, n, 0.0f, 0.5f, 0.0);
      std::vector<float> m(n, 0.0f), v(n, 0.0f);
      DeviceBuffer<float> dw(w), dm(m), dv(v), dg(n);
      DeviceBuffer<double> d_sq(1);
      AdamParams p;
      p.lr = 3e-3;
      p.weight_decay = 0.01;
      const int64_t split = n / 3;  // two "parameter groups" summed into one global norm
      for (int64_t step = 1; step <= 3; ++step) {
        const std::vector<float> g = normal_with_nan(rng, n, 0.0f, 2.0f, 0.0);
        p.step = step;
        // CPU: norm over the two groups, clip factor, update.
        const double sq = grad_sq_norm_cpu(g.data(), split) + grad_sq_norm_cpu(g.data() + split, n - split);
        AdamParams pc = p;
        pc.grad_scale = clip_scale_cpu(sq, max_norm);
        adam_step_cpu(pc, w.data(), g.data(), m.data(), v.data(), n);
        // GPU: the same, with the norm and the clip factor staying on the device.
        dg.upload(g);
        grad_sq_norm(dg.data(), split, d_sq.data(), NormWrite::Overwrite, nullptr);
        grad_sq_norm(dg.data() + split, n - split, d_sq.data(), NormWrite::Accumulate, nullptr);
        adam_step(p, AdamClip{d_sq.data(), max_norm}, dw.data(), dg.data(), dm.data(), dv.data(), n, nullptr);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        const std::string where = "n=" + std::to_string(n) + " max_norm=" + std::to_string(max_norm) +
                                  " step=" + std::to_string(step);
        EXPECT_TRUE(all_close(std::vector<double>{sq}, d_sq.download(), 0.0, 1e-12)) << "norm " << where;
      }
      const std::string where = "n=" + std::to_string(n) + " max_norm=" + std::to_string(max_norm);
      EXPECT_TRUE(all_close(w, dw.download(), 1e-6, 1e-6)) << "w " << where;
      EXPECT_TRUE(all_close(m, dm.download(), 1e-6, 1e-6)) << "m " << where;
      EXPECT_TRUE(all_close(v, dv.download(), 1e-6, 1e-6)) << "v " << where;
    }
  }
}

// A NaN gradient makes the norm NaN; clip_grad_norm_'s factor is then NaN < 1 == false, so
// neither side clips, and the NaN propagates to that element only, identically.
TEST_F(AdamGpu, NanGradientPropagatesLikeCpu) {
  std::mt19937 rng(12);
  const int64_t n = 257;
  std::vector<float> w = normal_with_nan(rng, n, 0.0f, 0.5f, 0.0), m(n, 0.0f), v(n, 0.0f);
  const std::vector<float> g = normal_with_nan(rng, n, 0.0f, 2.0f, 0.05);
  DeviceBuffer<float> dw(w), dm(m), dv(v), dg(g);
  DeviceBuffer<double> d_sq(1);
  AdamParams p;
  const double sq = grad_sq_norm_cpu(g.data(), n);
  p.grad_scale = clip_scale_cpu(sq, 1.0);
  adam_step_cpu(p, w.data(), g.data(), m.data(), v.data(), n);
  p.grad_scale = 1.0;
  grad_sq_norm(dg.data(), n, d_sq.data(), NormWrite::Overwrite, nullptr);
  adam_step(p, AdamClip{d_sq.data(), 1.0}, dw.data(), dg.data(), dm.data(), dv.data(), n, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_TRUE(std::isnan(d_sq.download()[0]));
  EXPECT_TRUE(all_close(w, dw.download(), 1e-6, 1e-6));
}

TEST_F(AdamGpu, EmptyNormIsZero) {
  DeviceBuffer<double> d_sq(std::vector<double>{42.0});
  grad_sq_norm(nullptr, 0, d_sq.data(), NormWrite::Overwrite, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(d_sq.download()[0], 0.0);
}
