// tests/gpu/test_features_parity.cpp — features_fwd, window_scale, window_target and
// calendar_daily (CUDA) vs the CPU twins (STYLE T1, T3).
// Tolerances: window_target copies values: exact. calendar_daily: atol 1e-6 (device sin/cos
// vs glibc differ by at most an ulp in double, then both round to float). features_fwd and
// window_scale: fp32 defaults atol 1e-5, rtol 1e-5 — the same double sums in the same order,
// except FMA contraction in sum2 on the device, which the rolling sd's cancellation
// (sqrt(sum2/n - mean^2)) can magnify to ~1e-7 relative to the mean.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "kernels/device_buffer.hpp"
#include "kernels/features.hpp"
#include "tests/gpu/parity_util.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using skucast::test::kNaNf;
using skucast::test::normal_with_nan;
using skucast::test::poison;

namespace {

// A panel y [S, N] with leading NaN (late launches), interior NaN and one all-NaN series.
std::vector<float> make_panel(std::mt19937& rng, int64_t S, int64_t N) {
  std::vector<float> y = normal_with_nan(rng, S * N, 30.0f, 12.0f, 0.08);
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < N; ++t)
      if (t < (s * 17) % 60 || s == 3) y[s * N + t] = kNaNf;
  return y;
}

// B windows over the panel; t0 runs from before the axis (padding) to past its end.
void make_windows(std::mt19937& rng, int64_t S, int64_t N, int64_t T, int64_t B, std::vector<int64_t>& series,
                  std::vector<int64_t>& t0) {
  std::uniform_int_distribution<int64_t> us(0, S - 1), ut(-40, N - T + 20);
  series.resize(B);
  t0.resize(B);
  for (int64_t b = 0; b < B; ++b) {
    series[b] = us(rng);
    t0[b] = ut(rng);
  }
}

}  // namespace

class FeaturesGpu : public GpuTest {};

TEST_F(FeaturesGpu, WindowsMatchCpu) {
  std::mt19937 rng(21);
  const int64_t S = 97, N = 400, n_cal = N + 30;
  const std::vector<float> y = make_panel(rng, S, N);
  std::vector<float> cal(n_cal * 4);
  calendar_daily_cpu(18000, n_cal, cal.data());
  DeviceBuffer<float> d_y(y), d_cal(cal);

  FeatureSpec full;  // m = 7, rolling 7 and 28
  full.n_calendar = 4;
  FeatureSpec lean;  // no seasonal lag, no short window, no calendar
  lean.season_length = 1;
  lean.roll_short = 0;
  lean.roll_long = 5;
  for (const FeatureSpec& spec : {full, lean}) {
    const int64_t F = feature_count(spec);
    for (int64_t B : {1, 31, 257, 10000})
    // context 112 + horizon 28 where it is cheap; 1 and 5 steps: the forecast's one-step
    // batches and the short-window launch shape (256 windows x 1 step).
    for (int64_t T : {B == 10000 ? int64_t{40} : int64_t{140}, int64_t{1}, int64_t{5}}) {
      const int64_t n_context = std::max<int64_t>(1, T * 4 / 5);
      std::vector<int64_t> series, t0;
      make_windows(rng, S, N, T, B, series, t0);
      WindowBatch hb{series.data(), t0.data(), B, T};
      std::vector<float> scale_ref(B), x_ref(T * B * F), target_ref(T * B);
      window_scale_cpu(y.data(), S, N, hb, n_context, scale_ref.data());
      features_fwd_cpu(spec, y.data(), S, N, scale_ref.data(), hb, spec.n_calendar ? cal.data() : nullptr, n_cal,
                       x_ref.data());
      window_target_cpu(y.data(), S, N, hb, target_ref.data());

      DeviceBuffer<int64_t> d_series(series), d_t0(t0);
      DeviceBuffer<float> d_scale(B), d_x(T * B * F), d_target(T * B);
      poison(d_scale);
      poison(d_x);
      poison(d_target);
      WindowBatch db{d_series.data(), d_t0.data(), B, T};
      window_scale(d_y.data(), S, N, db, n_context, d_scale.data(), nullptr);
      window_target(d_y.data(), S, N, db, d_target.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      const std::vector<float> scale_got = d_scale.download();
      // features_fwd reads the CPU scale so that a scale mismatch is reported once, above.
      d_scale.upload(scale_ref);
      features_fwd(spec, d_y.data(), S, N, d_scale.data(), db, spec.n_calendar ? d_cal.data() : nullptr, n_cal,
                   d_x.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      const std::string where = "B=" + std::to_string(B) + " T=" + std::to_string(T) + " F=" + std::to_string(F);
      EXPECT_TRUE(all_close(scale_ref, scale_got, 1e-5, 1e-5)) << "scale " << where;
      EXPECT_TRUE(all_close(target_ref, d_target.download(), 0.0, 0.0)) << "target " << where;
      EXPECT_TRUE(all_close(x_ref, d_x.download(), 1e-5, 1e-5)) << "x " << where;
    }
  }
}

TEST_F(FeaturesGpu, CalendarMatchesCpu) {
  for (int64_t first_day : {-800, 0, 19000}) {  // before 1970, the epoch, 2022
    for (int64_t n : {1, 31, 257, 10000}) {
      std::vector<float> ref(n * 4);
      calendar_daily_cpu(first_day, n, ref.data());
      DeviceBuffer<float> d(n * 4);
      poison(d);
      calendar_daily(first_day, n, d.data(), nullptr);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_TRUE(all_close(ref, d.download(), 1e-6, 0.0)) << "first_day=" << first_day << " n=" << n;
    }
  }
}

TEST_F(FeaturesGpu, EmptyBatchIsANoOp) {
  WindowBatch empty{nullptr, nullptr, 0, 10};
  features_fwd(FeatureSpec{}, nullptr, 0, 0, nullptr, empty, nullptr, 0, nullptr, nullptr);
  window_scale(nullptr, 0, 0, empty, 5, nullptr, nullptr);
  window_target(nullptr, 0, 0, empty, nullptr, nullptr);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}
