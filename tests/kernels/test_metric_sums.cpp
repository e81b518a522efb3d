// tests/kernels/test_metric_sums.cpp — the kernels/metrics.hpp batched sums, through series_metrics_cpu,
// gives the same bits as engine/eval/metrics.h's per-series definitions (random data with NaN:
// all-NaN windows, leading NaN and zeros in the history, NaN forecasts, odd sizes).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "engine/eval/metrics.h"
#include "kernels/metrics.hpp"

using namespace skucast;

namespace {
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }
}  // namespace

TEST(MetricSums, BatchedTwinEqualsPerSeriesDefinitions) {
  std::mt19937 rng(5);
  std::normal_distribution<float> N(20.0f, 10.0f);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const std::vector<double>& lv : {std::vector<double>{}, std::vector<double>{0.1, 0.5, 0.9},
                                        std::vector<double>{0.05, 0.2, 0.5, 0.8, 0.95}}) {
    const MetricLayout layout = metric_layout(lv);
    const int Q = static_cast<int>(lv.size());
    for (int64_t S : {1, 31, 257}) {
      for (int64_t n_hist : {0, 1, 8, 45}) {
        const int64_t H = 13;
        std::vector<float> y(S * H), f(S * H), q(S * H * Q), x(S * n_hist);
        for (auto& v : y) v = U(rng) < 0.15 ? nan : N(rng);
        for (auto& v : f) v = U(rng) < 0.01 ? nan : N(rng);
        for (auto& v : q) v = N(rng);
        for (int64_t i = 0; i < S * n_hist; ++i) x[i] = U(rng) < 0.1 ? nan : (U(rng) < 0.2 ? 0.0f : N(rng));
        for (int64_t s = 0; s < S; s += 9)
          for (int64_t t = 0; t < H; ++t) y[s * H + t] = nan;  // all-NaN windows
        std::vector<double> got(S * layout.size());
        series_metrics_cpu(y.data(), f.data(), q.data(), x.data(), S, H, n_hist, 4, lv, layout, got.data());
        for (int64_t s = 0; s < S; ++s) {
          const float *ys = y.data() + s * H, *fs = f.data() + s * H, *qs = q.data() + s * H * Q;
          const float* xs = x.data() + s * n_hist;
          std::vector<double> want = {mae(ys, fs, H), rmse(ys, fs, H), smape(ys, fs, H),
                                      mase(ys, fs, H, mase_scale(xs, n_hist, 4)),
                                      rmsse(ys, fs, H, rmsse_scale(xs, n_hist)), bias(ys, fs, H)};
          if (Q > 0) {
            want.push_back(mean_pinball(ys, qs, H, lv.data(), Q));
            for (size_t c = 0; c < layout.cov_lo.size(); ++c)
              want.push_back(interval_coverage(ys, qs, H, Q, layout.cov_lo[c], layout.cov_hi[c]));
          }
          ASSERT_EQ(static_cast<int>(want.size()), layout.size());
          for (int c = 0; c < layout.size(); ++c)
            EXPECT_TRUE(same(want[c], got[s * layout.size() + c]))
                << layout.names[c] << " series " << s << " S=" << S << " n_hist=" << n_hist << " Q=" << Q
                << ": want " << want[c] << " got " << got[s * layout.size() + c];
        }
      }
    }
  }
}
