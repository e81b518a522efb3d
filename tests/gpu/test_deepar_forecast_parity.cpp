// tests/gpu/test_deepar_forecast_parity.cpp — DeepAR sampling on the GPU
// (engine/deepar/cuda/sampler.h, forecast_paths_cuda) against the CPU forecaster
// (forecast_paths_cpu, engine/deepar/paths.cpp): the same randomly initialised model, in-memory
// panel, seed and paths on both devices; means and quantiles compared (STYLE T1, T2, T6).
// LSTM and GRU; Gaussian, negative binomial, Tweedie and a point loss (mse); with and
// without static embeddings and a per-series covariate (the exog columns); the _loc cases with
// the window location (Note [Window location]: the per-path location in the features and the
// draws, Gaussian and the deterministic mse path). Also: a GPU run
// in many small blocks (--gpu-memory) against one block, and two GPU runs bit for bit.
// The panel is built in memory (no HDF5: this binary is packed for the GPU machine,
// bench/gpu_pack.sh). Skips without a device (STYLE T8).
//
// Tolerances, |gpu - cpu| <= atol + rtol |cpu| with atol = a * max|cpu| per tensor:
//   Both devices draw the same uniforms for (seed, series, path, step) and map them through
//   the same code (engine/deepar/sample.h, -fmad=false on the device); what differs is the head's
//   outputs, by FP32 summation order (cuDNN/cuBLAS vs OpenBLAS, no TF32), ~1e-6 relative per
//   step, fed back through the lags for H = 7 steps: ~1e-5 relative on a path.
//   Point loss (mse): one deterministic path, no draws: a = 1e-5, rtol 1e-4 (ten times the
//     expected drift).
//   Gaussian: every draw is a continuous function of the head outputs (Box-Muller, no
//     rejection), and means and type-7 quantiles are continuous in the paths: a = 1e-4,
//     rtol 1e-3 (the FP32 budget of the training parity test, two orders above the drift).
//   Negative binomial and Tweedie: integer counts (Knuth's Poisson loop) and gamma rejection
//     compare a uniform with a function of the head outputs, so a ~1e-6 change can move a
//     count by one when a uniform sits that close to the threshold: rare (~1e-6 per draw),
//     but then that path differs by a whole unit from then on. These are compared with a
//     percentile (STYLE T6: the function is discontinuous): at least 99% of the mean and
//     quantile entries within a = 1e-4, rtol 1e-3, and every mean within 5% of max|mean|
//     (one flipped path of N = 256 moves a mean by ~1/256 of a count).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/deepar/cuda/sampler.h"
#include "engine/deepar/internal.h"
#include "kernels/common.hpp"
#include "tests/gpu/deepar_test_panel.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using namespace skucast::deepar;

namespace {

constexpr int64_t kPaths = 256, kHorizon = 7;

using Case = fixture::DeepArTestCase;
using fixture::make_test_panel;
using fixture::TestPanelShape;

struct ForecastSetup {
  DeepArOptions o;
  PanelFingerprint fp;
  Layout l;
  PanelData d;
  std::vector<float> w;
  PathRequest req;
};

// S series of T steps of counts (NaN holes, late launches, one series launched inside the
// context), one per-series covariate, calendar + an event column, two statics (optional).
ForecastSetup make_setup(const Case& c) {
  ForecastSetup s;
  DeepArOptions& o = s.o;
  o.cell = c.cell;
  o.likelihood = c.likelihood;
  o.hidden = 16;
  o.layers = 2;
  o.context = 21;
  o.horizon = kHorizon;
  o.dropout = 0.1;  // inference ignores it: the GPU forecaster must accept it
  o.seed = 5;
  o.season_length = 7;
  if (c.window_loc) {  // Note [Window location], with the volatility input `auto` gives it (Note [Derived inputs])
    o.target_transform = "log1p_window";
    o.volatility = "on";
  }
  if (c.distances) o.distances = "on";  // Note [Distance inputs]
  o.validate();
  TestPanelShape sh;
  sh.future_cov = 3;
  sh.negative_series = c.likelihood == "gaussian";
  sh.seed = 4321;
  make_test_panel(o, c.statics, sh, s.fp, s.l, s.d);
  if (c.log1p) apply_log1p(s.d);  // Note [Target transform]: paths mapped back with expm1 on both
  init_weights(s.l, o.seed, s.w);

  s.req.weights = s.w.data();
  s.req.resid_sd = 0.7;
  s.req.tweedie_phi = 1.3;
  s.req.context = o.context;
  s.req.horizon = kHorizon;
  s.req.levels = {0.05, 0.1, 0.5, 0.9, 0.95};
  s.req.n_paths = kPaths;
  s.req.seed = 99;
  return s;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

// Share of entries within atol + rtol |ref|.
double share_close(const std::vector<float>& ref, const std::vector<float>& got, double atol, double rtol) {
  if (ref.empty() || ref.size() != got.size()) return 0.0;
  int64_t ok = 0;
  for (size_t i = 0; i < ref.size(); ++i)
    ok += std::fabs(static_cast<double>(got[i]) - ref[i]) <= atol + rtol * std::fabs(static_cast<double>(ref[i]));
  return static_cast<double>(ok) / static_cast<double>(ref.size());
}

class DeepArForecastParity : public GpuTest, public ::testing::WithParamInterface<Case> {};

TEST_P(DeepArForecastParity, GpuMatchesCpu) {
  const Case c = GetParam();
  const ForecastSetup s = make_setup(c);
  const PathForecast cpu = forecast_paths_cpu(s.l, s.d, s.req);
  const PathForecast gpu = forecast_paths_cuda(s.l, s.d, s.req);
  ASSERT_EQ(gpu.mean.size(), cpu.mean.size());
  ASSERT_EQ(gpu.quantiles.size(), cpu.quantiles.size());
  for (float v : gpu.mean) ASSERT_TRUE(std::isfinite(v));
  const double m_mean = max_abs(cpu.mean), m_q = max_abs(cpu.quantiles);
  ASSERT_GT(m_mean, 0.0) << "a degenerate forecast would make the comparison vacuous";
  if (c.likelihood == "mse") {
    EXPECT_TRUE(all_close(cpu.mean, gpu.mean, 1e-5 * m_mean, 1e-4)) << "mean";
    EXPECT_TRUE(all_close(cpu.quantiles, gpu.quantiles, 1e-5 * m_q, 1e-4)) << "quantiles";
  } else if (c.likelihood == "gaussian") {
    EXPECT_TRUE(all_close(cpu.mean, gpu.mean, 1e-4 * m_mean, 1e-3)) << "mean";
    EXPECT_TRUE(all_close(cpu.quantiles, gpu.quantiles, 1e-4 * m_q, 1e-3)) << "quantiles";
  } else {
    EXPECT_GE(share_close(cpu.mean, gpu.mean, 1e-4 * m_mean, 1e-3), 0.99) << all_close(cpu.mean, gpu.mean, 1e-4 * m_mean, 1e-3).message();
    EXPECT_GE(share_close(cpu.quantiles, gpu.quantiles, 1e-4 * m_q, 1e-3), 0.99)
        << all_close(cpu.quantiles, gpu.quantiles, 1e-4 * m_q, 1e-3).message();
    EXPECT_TRUE(all_close(cpu.mean, gpu.mean, 0.05 * m_mean, 0.0)) << "mean, discontinuity budget";
  }
}

// Blocks of a few series (a tiny --gpu-memory) against one block; then the same run twice.
TEST_P(DeepArForecastParity, GpuBlocksAndRepeatability) {
  const Case c = GetParam();
  const ForecastSetup s = make_setup(c);
  const size_t per_series = forecast_block_bytes(s.l, s.req);
  CudaForecastOptions small;
  small.max_block_bytes = 5 * per_series;  // blocks of 5 series: 8 blocks, the last partial
  ASSERT_EQ(forecast_block_series(s.l, s.req, s.d.n_series, small.max_block_bytes), 5);
  const PathForecast one = forecast_paths_cuda(s.l, s.d, s.req);
  const PathForecast many = forecast_paths_cuda(s.l, s.d, s.req, small);
  // cuDNN and cuBLAS may pick other kernels for another batch size (summation order), so the
  // same FP32 budget as against the CPU, not bit equality.
  const double m_mean = max_abs(one.mean), m_q = max_abs(one.quantiles);
  if (c.likelihood == "mse" || c.likelihood == "gaussian") {
    EXPECT_TRUE(all_close(one.mean, many.mean, 1e-4 * m_mean, 1e-3)) << "mean";
    EXPECT_TRUE(all_close(one.quantiles, many.quantiles, 1e-4 * m_q, 1e-3)) << "quantiles";
  } else {
    EXPECT_GE(share_close(one.mean, many.mean, 1e-4 * m_mean, 1e-3), 0.99);
    EXPECT_GE(share_close(one.quantiles, many.quantiles, 1e-4 * m_q, 1e-3), 0.99);
  }
  const PathForecast again = forecast_paths_cuda(s.l, s.d, s.req);
  EXPECT_EQ(again.mean, one.mean) << "two GPU runs with the same seed must agree bit for bit";
  EXPECT_EQ(again.quantiles, one.quantiles);
}

INSTANTIATE_TEST_SUITE_P(Cases, DeepArForecastParity,
                         ::testing::Values(Case{"lstm", "gaussian", true}, Case{"gru", "gaussian", false},
                                           Case{"lstm", "negbin", false}, Case{"gru", "tweedie", true},
                                           Case{"lstm", "mse", true}, Case{"gru", "gaussian", true, true},
                                           Case{"lstm", "mse", false, true},
                                           Case{"gru", "gaussian", true, true, true},
                                           Case{"lstm", "gaussian", false, true, true},
                                           Case{"lstm", "mse", false, true, true},
                                           Case{"gru", "gaussian", true, true, false, true}),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name(); });

// Request checks happen before the device is touched, but a device is needed to get there
// in a CUDA build; without one the call throws DeviceError (the CLI falls back before).
TEST(DeepArForecastDevice, NoDeviceThrowsDeviceError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a device is present: " << cuda_device_description();
  const ForecastSetup s = make_setup(Case{"lstm", "gaussian", false});
  EXPECT_THROW(forecast_paths_cuda(s.l, s.d, s.req), DeviceError);
}

}  // namespace
