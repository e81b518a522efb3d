// tests/gpu/test_likelihood_parity.cpp — likelihood_fwd_bwd / likelihood_weight_sum (CUDA)
// vs the CPU twin, for every likelihood (STYLE T1, T3).
// Tolerance: fp32 defaults atol 1e-5, rtol 1e-5. Both sides compute each element in double
// and round once to float; only libm vs CUDA math (log, exp, lgamma: a few double ulp) and
// FMA contraction differ, far below one float ulp except at rounding ties.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cmath>
#include <random>

#include "kernels/device_buffer.hpp"
#include "kernels/likelihood.hpp"
#include "tests/gpu/parity_util.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using skucast::test::normal_with_nan;
using skucast::test::poison;

namespace {

struct Case {
  Likelihood kind;
  const char* name;
};

// Inputs of one batch: counts for NegBin/Tweedie (their support is y >= 0), reals otherwise.
struct Batch {
  std::vector<float> raw, y, scale, weight;
};

Batch make_batch(std::mt19937& rng, Likelihood kind, int64_t T, int64_t B, bool with_weight) {
  const int64_t P = likelihood_n_params(kind);
  Batch b;
  b.raw = normal_with_nan(rng, T * B * P, 0.0f, 1.5f, 0.0);
  const bool counts = kind == Likelihood::NegBin || kind == Likelihood::Tweedie;
  b.y = normal_with_nan(rng, T * B, counts ? 0.0f : 40.0f, counts ? 6.0f : 25.0f, 0.1);  // 10 % NaN
  if (counts)
    for (auto& v : b.y)
      if (!std::isnan(v)) v = std::floor(std::fabs(v));
  std::uniform_real_distribution<float> U(0.0f, 1.0f);
  b.scale.resize(B);
  for (auto& s : b.scale) s = 1.0f + 30.0f * U(rng);
  if (with_weight) {
    b.weight.resize(B);
    for (int64_t i = 0; i < B; ++i) b.weight[i] = i % 5 == 2 ? 0.0f : 2.0f * U(rng);  // some zero weights
  }
  return b;
}

}  // namespace

class LikelihoodGpu : public GpuTest, public ::testing::WithParamInterface<Case> {};

TEST_P(LikelihoodGpu, ParityAcrossShapes) {
  const Case c = GetParam();
  LikelihoodParams params;
  params.kind = c.kind;
  params.tweedie_power = 1.4;
  const int64_t P = likelihood_n_params(c.kind);
  std::mt19937 rng(7 + static_cast<int>(c.kind));
  for (int64_t B : {1, 31, 257, 10000}) {
    for (int64_t T : {1, 7}) {
      for (bool with_weight : {false, true}) {
        const Batch in = make_batch(rng, c.kind, T, B, with_weight);
        const float* w_host = with_weight ? in.weight.data() : nullptr;
        // CPU reference, normalized as the trainer does: grad_scale = 1 / sum of weights.
        const double wsum = likelihood_weight_sum_cpu(in.y.data(), w_host, T, B);
        const double gs = wsum > 0 ? 1.0 / wsum : 0.0;
        std::vector<float> loss_ref(T * B), draw_ref(T * B * P);
        likelihood_fwd_bwd_cpu(params, in.raw.data(), in.y.data(), in.scale.data(), w_host, T, B, gs,
                               loss_ref.data(), draw_ref.data());

        DeviceBuffer<float> d_raw(in.raw), d_y(in.y), d_scale(in.scale), d_loss(T * B), d_draw(T * B * P);
        DeviceBuffer<float> d_w = with_weight ? DeviceBuffer<float>(in.weight) : DeviceBuffer<float>();
        DeviceBuffer<double> d_wsum(1);
        const float* w_dev = with_weight ? d_w.data() : nullptr;
        const std::string where = std::string(c.name) + " T=" + std::to_string(T) + " B=" + std::to_string(B) +
                                  (with_weight ? " weighted" : "");

        // (1) weight sum on the device.
        likelihood_weight_sum(d_y.data(), w_dev, T, B, d_wsum.data(), nullptr);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        EXPECT_TRUE(all_close(std::vector<double>{wsum}, d_wsum.download(), 1e-12, 1e-12)) << where;

        // (2) normalization from the device-resident sum (no host round trip).
        poison(d_loss);
        poison(d_draw);
        likelihood_fwd_bwd(params, d_raw.data(), d_y.data(), d_scale.data(), w_dev, T, B, 1.0, d_wsum.data(),
                           d_loss.data(), d_draw.data(), nullptr);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        EXPECT_TRUE(all_close(loss_ref, d_loss.download(), 1e-5, 1e-5)) << "loss " << where;
        EXPECT_TRUE(all_close(draw_ref, d_draw.download(), 1e-5, 1e-5)) << "draw " << where;

        // (3) host grad_scale, as the CPU signature.
        poison(d_draw);
        likelihood_fwd_bwd(params, d_raw.data(), d_y.data(), d_scale.data(), w_dev, T, B, gs, nullptr,
                           d_loss.data(), d_draw.data(), nullptr);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        EXPECT_TRUE(all_close(draw_ref, d_draw.download(), 1e-5, 1e-5)) << "draw (host scale) " << where;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKinds, LikelihoodGpu,
                         ::testing::Values(Case{Likelihood::Gaussian, "gaussian"}, Case{Likelihood::NegBin, "negbin"},
                                           Case{Likelihood::Tweedie, "tweedie"}, Case{Likelihood::Mse, "mse"},
                                           Case{Likelihood::Mae, "mae"}),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST_F(GpuTest, LikelihoodEmptyBatchIsANoOp) {
  likelihood_fwd_bwd(LikelihoodParams{}, nullptr, nullptr, nullptr, nullptr, 0, 5, 1.0, nullptr, nullptr, nullptr,
                     nullptr);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}
