// tests/deepar/test_deepar_forecast_device.cpp — where the DeepAR forecast samples its paths
// (engine/deepar/model.h ForecastDeviceOptions, Note [Recurrent forecasting on the GPU] in
// tools/forecast_global.cpp), on any machine:
//   - `skucast forecast --model lstm --device cuda` without a usable device (or built without
//     CUDA) says why in one line, forecasts on the CPU, and writes exactly what --device cpu
//     writes; with a device it says it runs there (GPU-vs-CPU agreement is measured by
//     tests/gpu/test_deepar_forecast_parity.cpp);
//   - `--device auto` stays on the CPU, silently;
//   - deepar_forecast(Device::Cuda) without a device throws DeviceError;
//   - the GPU block size follows the byte budget (forecast_block_series).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/deepar/checkpoint.h"
#include "engine/deepar/sampler.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/model.h"
#include "io/forecast_file.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "tests/cli_helpers.h"

using namespace skucast;
using skucast::testing::run_skucast;

namespace {

bool have_gpu() { return built_with_cuda() && cuda_device_count() > 0; }

class DeepArForecastDevice : public skucast::testing::ScratchTest {
 protected:
  // A small synthetic catalog (statics, covariates, events) and a model trained on it for one
  // short epoch (dropout 0.2: inference ignores it, so it must not block the GPU path).
  void SetUp() override {
    skucast::testing::ScratchTest::SetUp();
    m_panel = path("p.h5");
    m_model = path("m.h5");
    auto r = run_skucast({"synth", "--series", "20", "--days", "120", "--horizon", "7", "--seed", "8", "--out", m_panel});
    ASSERT_EQ(r.rc, 0) << r.output;
    r = run_skucast({"train", "--ensemble", "1", "--panel", m_panel, "--model", "lstm", "--horizon", "7", "--hidden",
                     "8", "--layers", "2", "--context", "14", "--epochs", "1", "--batch", "16",
                     "--windows-per-epoch", "32", "--dropout", "0.2", "--device", "cpu", "--out", m_model});
    ASSERT_EQ(r.rc, 0) << r.output;
  }
  skucast::testing::CliResult forecast(const std::string& device, const std::string& out) {
    return run_skucast({"forecast", "--panel", m_panel, "--model", "lstm", "--checkpoint", m_model, "--horizon", "7",
                        "--paths", "40", "--seed", "3", "--quantiles", "0.1,0.5,0.9", "--device", device,
                        "--gpu-memory", "64M", "--out", out});
  }
  std::string m_panel, m_model;
};

TEST_F(DeepArForecastDevice, CliDeviceCudaSaysWhereAndMatchesCpuWithoutDevice) {
  const auto cpu = forecast("cpu", path("cpu.h5"));
  ASSERT_EQ(cpu.rc, 0) << cpu.output;
  EXPECT_EQ(cpu.output.find("runs on the CPU"), std::string::npos) << cpu.output;  // no device note
  const auto cuda = forecast("cuda", path("cuda.h5"));
  ASSERT_EQ(cuda.rc, 0) << cuda.output;
  const ForecastFile a = read_forecast(path("cpu.h5")), b = read_forecast(path("cuda.h5"));
  ASSERT_EQ(a.mean.size(), b.mean.size());
  if (have_gpu()) {
    EXPECT_NE(cuda.output.find("forecasting on the GPU"), std::string::npos) << cuda.output;
    return;  // agreement within FP32 rounding: tests/gpu/test_deepar_forecast_parity.cpp
  }
  EXPECT_NE(cuda.output.find("skucast: note: "), std::string::npos) << cuda.output;
  EXPECT_NE(cuda.output.find("; the lstm forecast runs on the CPU"), std::string::npos) << cuda.output;
  EXPECT_NE(cuda.output.find(built_with_cuda() ? "no CUDA device" : "built without CUDA"), std::string::npos)
      << cuda.output;
  // The fallback is the CPU forecast itself: the same bits.
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.quantiles, b.quantiles);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.origin, b.origin);
}

TEST_F(DeepArForecastDevice, CliDeviceAutoStaysOnTheCpu) {
  const auto cpu = forecast("cpu", path("cpu.h5"));
  const auto aut = forecast("auto", path("auto.h5"));
  ASSERT_EQ(aut.rc, 0) << aut.output;
  EXPECT_EQ(aut.output.find("runs on the CPU"), std::string::npos) << aut.output;  // no device note
  EXPECT_EQ(aut.output.find("on the GPU"), std::string::npos) << aut.output;
  EXPECT_EQ(read_forecast(path("cpu.h5")).mean, read_forecast(path("auto.h5")).mean);
}

TEST_F(DeepArForecastDevice, CliBadGpuMemoryIsAnInputError) {
  const auto r = run_skucast({"forecast", "--panel", m_panel, "--model", "lstm", "--checkpoint", m_model, "--horizon",
                              "7", "--device", "cuda", "--gpu-memory", "lots", "--out", path("x.h5")});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.output.find("--gpu-memory"), std::string::npos) << r.output;
}

TEST_F(DeepArForecastDevice, ApiCudaWithoutDeviceThrows) {
  if (have_gpu()) GTEST_SKIP() << "a device is present: " << cuda_device_description();
  EXPECT_NE(resolve_device("cuda").note, "");
  const PanelReader reader(m_panel);
  DeepArState st = load_checkpoint(m_model);
  ForecastDeviceOptions dev;
  dev.device = Device::Cuda;
  EXPECT_THROW(deepar_forecast(st, reader, 7, {0.5}, 10, 1, dev), DeviceError);
}

TEST(DeepArForecastBlocks, BlockFollowsTheBudget) {
  DeepArOptions o;
  o.cell = "lstm";  // written for the LSTM before the default became the GRU
  o.hidden = 32;
  o.layers = 2;
  o.context = 28;
  PanelFingerprint fp;
  fp.n_series = 1000;
  fp.season_length = 7;
  const deepar::Layout l = deepar::make_layout(o, fp);
  deepar::PathRequest r;
  r.context = o.context;
  r.horizon = 14;
  r.levels = {0.1, 0.5, 0.9};
  r.n_paths = 100;
  const size_t per = deepar::forecast_block_bytes(l, r);
  ASSERT_GT(per, size_t{100} * 4 * 14);  // at least the paths themselves
  EXPECT_EQ(deepar::forecast_block_series(l, r, 1000, 10 * per), 10);
  EXPECT_EQ(deepar::forecast_block_series(l, r, 1000, 10 * per + per / 2), 10);
  EXPECT_EQ(deepar::forecast_block_series(l, r, 1000, per / 3), 1);       // at least one series
  EXPECT_EQ(deepar::forecast_block_series(l, r, 7, size_t{1} << 40), 7);  // at most the catalog
  const int64_t def = deepar::forecast_block_series(l, r, 1000000, 0);  // 0: 2 GiB
  EXPECT_EQ(def, static_cast<int64_t>((size_t{2} << 30) / per));
  r.n_paths = 200;  // twice the paths: about half the series per block
  EXPECT_LT(deepar::forecast_block_bytes(l, r), 2 * per);
  EXPECT_GT(deepar::forecast_block_bytes(l, r), per);
}

}  // namespace
