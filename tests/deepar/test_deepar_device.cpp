// tests/deepar/test_deepar_device.cpp — where the DeepAR training runs (engine/deepar/model.h TrainDeviceOptions,
// Note [DeepAR training on the GPU] in engine/deepar/cuda/train_step.h, Note [Recurrent training
// on the GPU] in tools/cmd_train.cpp), on any machine:
//   - `skucast train --device cuda` without a usable device (or built without CUDA) says why
//     in one line and trains on the CPU; with a device it trains there; either way the model
//     file forecasts (checkpoints do not record the device);
//   - deepar_train(Device::Cuda) without a device throws DeviceError with the reason (the
//     CPU build's stub: "rebuild with -DSKUCAST_CUDA=ON");
// The assertions that need a device (one epoch on each device ends at nearby weights) are in
// tests/gpu/test_deepar_epoch_parity.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/deepar/checkpoint.h"
#include "engine/deepar/model.h"
#include "io/panel.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "tests/deepar_device_options.hpp"
#include "tests/cli_helpers.h"

using namespace skucast;
using skucast::testing::run_skucast;

namespace {

bool have_gpu() { return built_with_cuda() && cuda_device_count() > 0; }

class DeepArDevice : public skucast::testing::ScratchTest {
 protected:
  // A small synthetic catalog (statics, covariates, events) from `skucast synth`.
  std::string panel() {
    const std::string p = path("p.h5");
    const auto r = run_skucast({"synth", "--series", "24", "--days", "140", "--horizon", "7", "--seed", "5",
                                "--out", p});
    EXPECT_EQ(r.rc, 0) << r.output;
    return p;
  }
  static DeepArOptions tiny() { return skucast::testing::tiny_device_options(); }
};

TEST_F(DeepArDevice, CliDeviceCudaTrainsAndSaysWhere) {
  const std::string p = panel(), model = path("m.h5"), fc = path("fc.h5");
  const auto r = run_skucast({"train", "--ensemble", "1", "--panel", p, "--model", "lstm", "--horizon", "7", "--hidden",
                              "8", "--layers", "1", "--context", "14", "--epochs", "1", "--batch", "16",
                              "--windows-per-epoch", "32", "--dropout", "0", "--device", "cuda", "--out", model});
  ASSERT_EQ(r.rc, 0) << r.output;
  if (have_gpu()) {
    EXPECT_NE(r.output.find("training on the GPU"), std::string::npos) << r.output;
  } else {
    EXPECT_NE(r.output.find("training runs on the CPU"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(built_with_cuda() ? "no CUDA device" : "built without CUDA"), std::string::npos)
        << r.output;
  }
  EXPECT_NE(r.output.find("epoch 1/1"), std::string::npos) << r.output;
  EXPECT_EQ(load_checkpoint(model).epochs_done, 1);
  // The checkpoint is device-neutral: it forecasts on the CPU.
  const auto f = run_skucast({"forecast", "--panel", p, "--model", "lstm", "--checkpoint", model, "--horizon", "7",
                              "--device", "cpu", "--out", fc});
  EXPECT_EQ(f.rc, 0) << f.output;
}

// Dropout, half precision and a panel budget on --device cuda: all have a GPU path now. Without
// a device the run trains on the CPU and says why (and that the CPU trains in fp32); with one,
// it trains there and says where the windows were cut. Bad values exit 2 before any work.
TEST_F(DeepArDevice, CliPrecisionDropoutAndPanelBudget) {
  const std::string p = panel(), model = path("m.h5");
  const std::vector<std::string> base = {"train", "--ensemble", "1", "--panel", p, "--model", "gru", "--horizon", "7",
                                         "--hidden", "8", "--layers", "2", "--context", "14", "--epochs", "1",
                                         "--batch", "16", "--windows-per-epoch", "32", "--dropout", "0.2", "--device",
                                         "cuda", "--out", model};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return run_skucast(a);
  };
  const auto r = with({"--precision", "bf16", "--gpu-memory", "1G"});
  ASSERT_EQ(r.rc, 0) << r.output;
  if (have_gpu()) {
    EXPECT_NE(r.output.find("training on the GPU (bf16)"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("resident on the GPU"), std::string::npos) << r.output;
    const auto small = with({"--gpu-memory", "1K"});
    ASSERT_EQ(small.rc, 0) << small.output;
    EXPECT_NE(small.output.find("composed on the host"), std::string::npos) << small.output;
  } else {
    EXPECT_NE(r.output.find("training runs on the CPU"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("the CPU trains in fp32"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("dropout"), std::string::npos) << "dropout is no reason to leave the GPU: " << r.output;
  }
  EXPECT_EQ(load_checkpoint(model).epochs_done, 1);
  const auto bad_prec = with({"--precision", "fp8"});
  EXPECT_EQ(bad_prec.rc, 2) << bad_prec.output;
  EXPECT_NE(bad_prec.output.find("fp8"), std::string::npos) << bad_prec.output;
  EXPECT_EQ(with({"--gpu-memory", "lots"}).rc, 2);
  EXPECT_EQ(run_skucast({"train", "--panel", p, "--horizon", "7", "--device", "tpu", "--out", model}).rc, 2);
}

// Note [Device choice] (kernels/device.hpp): the one decision every command makes.
TEST_F(DeepArDevice, ResolveDeviceReasons) {
  EXPECT_EQ(resolve_device("cpu").device, Device::Cpu);
  EXPECT_EQ(resolve_device("cpu").note, "");
  EXPECT_EQ(resolve_device("auto").device, Device::Cpu);  // auto keeps the CPU
  EXPECT_EQ(resolve_device("auto", "model 'x' has no GPU path").note, "");
  EXPECT_THROW(resolve_device("tpu"), InputError);
  const DeviceChoice cuda = resolve_device("cuda");
  const DeviceChoice unable = resolve_device("cuda", "model 'x' has no GPU path");
  EXPECT_EQ(unable.device, Device::Cpu);
  if (!built_with_cuda()) {
    EXPECT_EQ(cuda.device, Device::Cpu);
    EXPECT_NE(cuda.note.find("-DSKUCAST_CUDA=ON"), std::string::npos) << cuda.note;
  } else if (cuda_device_count() == 0) {
    EXPECT_EQ(cuda.device, Device::Cpu);
    EXPECT_NE(cuda.note.find("no CUDA device"), std::string::npos) << cuda.note;
  } else {
    EXPECT_EQ(cuda.device, Device::Cuda);
    EXPECT_EQ(cuda.note, "");
    EXPECT_EQ(unable.note, "model 'x' has no GPU path");
  }
}

TEST_F(DeepArDevice, TrainOnCudaWithoutDeviceThrowsDeviceError) {
  if (have_gpu()) GTEST_SKIP() << "a CUDA device is present: " << cuda_device_description();
  const PanelReader reader(panel());
  DeepArState st = deepar_init(tiny(), reader.header());
  const std::vector<float> before = st.weights;
  try {
    deepar_train(st, reader, 1, {}, Device::Cuda);
    FAIL() << "trained on a device that is not there";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(built_with_cuda() ? "no usable CUDA device" : "rebuild with -DSKUCAST_CUDA=ON"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("--device cpu"), std::string::npos) << msg;
  }
  EXPECT_EQ(st.weights, before);  // nothing half-trained
  EXPECT_EQ(st.epochs_done, 0);
}

}  // namespace
