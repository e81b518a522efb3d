// tests/gpu/test_metrics_parity.cpp — metric_sums_fwd (CUDA) vs the CPU twin, and the
// finished GPU metrics vs engine/eval/metrics.cpp's per-series functions (STYLE T1, T3).
// Tolerance: the sums are double sums in another order (a warp's lanes, then a butterfly):
// rtol 1e-12, atol 1e-9 (a scale sum of ~2,000 squared differences of ~1e3 is ~1e9 at most,
// so 1e-9 absolute is still ~1e-18 relative to it). Finished metrics: rtol 1e-10.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <random>

#include "engine/eval/metrics.h"
#include "kernels/device_buffer.hpp"
#include "kernels/metrics.hpp"
#include "tests/gpu/parity_util.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using skucast::test::kNaNf;
using skucast::test::normal_with_nan;
using skucast::test::poison;

class MetricsGpu : public GpuTest {};

TEST_F(MetricsGpu, SumsAndMetricsMatchCpu) {
  std::mt19937 rng(31);
  const std::vector<double> levels = {0.1, 0.25, 0.5, 0.75, 0.9};
  for (bool with_quantiles : {true, false}) {
    const std::vector<double> lv = with_quantiles ? levels : std::vector<double>{};
    const MetricLayout layout = metric_layout(lv);
    const std::vector<int32_t> cov_lo(layout.cov_lo.begin(), layout.cov_lo.end());
    const std::vector<int32_t> cov_hi(layout.cov_hi.begin(), layout.cov_hi.end());
    for (int64_t S : {1, 31, 257, 10000}) {
      for (int64_t n_hist : {0, 1, 31, 257}) {
        const int64_t H = 28, Q = static_cast<int64_t>(lv.size());
        std::vector<float> actual = normal_with_nan(rng, S * H, 20.0f, 10.0f, 0.1);
        std::vector<float> mean = normal_with_nan(rng, S * H, 20.0f, 10.0f, 0.0);
        std::vector<float> quant(S * H * Q);
        for (int64_t i = 0; i < S * H; ++i)  // sorted quantiles around the mean
          for (int64_t j = 0; j < Q; ++j) quant[i * Q + j] = mean[i] + 8.0f * static_cast<float>(lv[j] - 0.5);
        std::vector<float> hist = normal_with_nan(rng, S * n_hist, 15.0f, 6.0f, 0.1);
        for (int64_t s = 0; s < S; ++s) {
          if (s % 7 == 5)  // an all-NaN test window: every metric NaN
            for (int64_t t = 0; t < H; ++t) actual[s * H + t] = kNaNf;
          for (int64_t t = 0; t < n_hist && t < s % 40; ++t) hist[s * n_hist + t] = s % 3 == 0 ? 0.0f : kNaNf;
          if (s % 11 == 4 && H > 3) mean[s * H + 3] = kNaNf;  // a NaN forecast poisons its series
        }
        MetricSpec spec;
        spec.horizon = H;
        spec.n_hist = n_hist;
        spec.season_length = 7;
        spec.n_levels = static_cast<int32_t>(Q);
        spec.levels = lv.data();
        spec.n_cov = static_cast<int32_t>(cov_lo.size());
        spec.cov_lo = cov_lo.data();
        spec.cov_hi = cov_hi.data();
        const int64_t K = metric_sums_width(spec), M = metric_finish_width(spec);
        std::vector<double> sums_ref(S * K);
        metric_sums_fwd_cpu(spec, actual.data(), mean.data(), Q ? quant.data() : nullptr,
                            n_hist ? hist.data() : nullptr, S, sums_ref.data());
        // The engine's batched metrics, built on the per-series definitions.
        std::vector<double> metrics_ref(S * M);
        series_metrics_cpu(actual.data(), mean.data(), quant.data(), hist.data(), S, H, n_hist, 7, lv, layout,
                           metrics_ref.data());

        DeviceBuffer<float> d_a(actual), d_m(mean), d_q(quant), d_h(hist);
        DeviceBuffer<double> d_levels(lv), d_sums(S * K);
        DeviceBuffer<int32_t> d_lo(cov_lo), d_hi(cov_hi);
        MetricSpec dspec = spec;
        dspec.levels = d_levels.data();
        dspec.cov_lo = d_lo.data();
        dspec.cov_hi = d_hi.data();
        poison(d_sums);
        metric_sums_fwd(dspec, d_a.data(), d_m.data(), Q ? d_q.data() : nullptr, n_hist ? d_h.data() : nullptr, S,
                        d_sums.data(), nullptr);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        const std::vector<double> sums_got = d_sums.download();
        const std::string where = "S=" + std::to_string(S) + " n_hist=" + std::to_string(n_hist) + " Q=" +
                                  std::to_string(Q);
        EXPECT_TRUE(all_close(sums_ref, sums_got, 1e-9, 1e-12)) << "sums " << where;
        std::vector<double> metrics_got(S * M);
        metric_finish_cpu(spec, sums_got.data(), S, metrics_got.data());
        EXPECT_TRUE(all_close(metrics_ref, metrics_got, 1e-12, 1e-10)) << "metrics " << where;
      }
    }
  }
}
