// tests/gpu/test_deepar_epoch_parity.cpp — the trainer's whole epoch on the GPU against the CPU
// (engine/deepar/model.h TrainDeviceOptions, Note [DeepAR training on the GPU] in
// engine/deepar/cuda/train_step.h): the same windows, the best-epoch bookkeeping and the
// validation, with the panel resident on the device and composed on the host. The strict
// per-step parity is test_deepar_train_parity.cpp. Skips without a device (STYLE T8).
// The panel is a small `skucast synth` catalog written by the engine itself (no CLI: the GPU
// test binaries travel to the device without the skucast command, bench/gpu_pack.sh).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "engine/deepar/model.h"
#include "engine/synth/synth.h"
#include "io/panel.h"
#include "kernels/device.hpp"
#include "tests/deepar_device_options.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;

namespace {

class DeepArEpochParity : public GpuTest {
 protected:
  void SetUp() override {
    GpuTest::SetUp();
    if (IsSkipped()) return;
    m_path = ::testing::TempDir() + "deepar_epoch_parity_" + std::to_string(::getpid()) + ".h5";
    SynthOptions so;
    so.n_series = 24;
    so.n_days = 140;
    so.horizon = 7;
    so.seed = 5;
    synth_catalog(so, m_path);
  }
  void TearDown() override {
    if (!m_path.empty()) std::remove(m_path.c_str());
  }
  static DeepArOptions tiny() { return skucast::testing::tiny_device_options(); }
  std::string panel() const { return m_path; }
  std::string m_path;
};

// With a device: one epoch on each (the same windows, Note [DeepAR windows]) ends close. The
// strict per-step parity is tests/gpu/test_deepar_train_parity.cpp; here the trainer's own
// settings run 4 steps, the best-epoch bookkeeping and the validation on the GPU (the panel is
// resident: windows cut there).
// Losses agree to 1e-3 relative. Weights: 99.9% within 1e-3 * max|w|, and every one within
// 2 * lr * steps, AdamW's bound on one element's change: with eps = 1e-8 an element whose
// gradient cancels to rounding level may move by up to lr on one device and not the other.
TEST_F(DeepArEpochParity, EpochOnCudaMatchesCpu) {
  const PanelReader reader(panel());
  DeepArState cpu = deepar_init(tiny(), reader.header()), gpu = cpu;
  const TrainReport rc = deepar_train(cpu, reader, 1, {}, Device::Cpu);
  const TrainReport rg = deepar_train(gpu, reader, 1, {}, Device::Cuda);
  EXPECT_EQ(gpu.adam_step, cpu.adam_step);
  EXPECT_NEAR(rg.best_val_loss, rc.best_val_loss, 1e-3 * std::fabs(rc.best_val_loss));
  EXPECT_NEAR(rg.last_train_loss, rc.last_train_loss, 1e-3 * std::fabs(rc.last_train_loss));
  ASSERT_EQ(gpu.weights.size(), cpu.weights.size());
  double max_w = 0, max_err = 0;
  for (float w : cpu.weights) max_w = std::max(max_w, static_cast<double>(std::fabs(w)));
  size_t n_off = 0;
  for (size_t i = 0; i < cpu.weights.size(); ++i) {
    const double err = std::fabs(static_cast<double>(gpu.weights[i]) - cpu.weights[i]);
    max_err = std::max(max_err, err);
    if (err > 1e-3 * max_w) ++n_off;
  }
  EXPECT_LE(static_cast<double>(n_off), 1e-3 * static_cast<double>(cpu.weights.size())) << "max err " << max_err;
  EXPECT_LE(max_err, 2.0 * cpu.options.lr * static_cast<double>(cpu.adam_step));
}

// With a device: the same epoch with the panel composed on the host (a 1-byte panel budget) and
// validated on the CPU ends where the resident run does, to the input rounding of the features
// kernel (1e-5 relative on the losses).
TEST_F(DeepArEpochParity, HostComposedEpochMatchesResident) {
  const PanelReader reader(panel());
  DeepArState a = deepar_init(tiny(), reader.header()), b = a;
  TrainDeviceOptions resident(Device::Cuda), host(Device::Cuda);
  host.max_panel_bytes = 1;
  std::string note_a, note_b;
  const TrainReport ra = deepar_train(a, reader, 1, {}, resident, &note_a);
  const TrainReport rb = deepar_train(b, reader, 1, {}, host, &note_b);
  EXPECT_NE(note_a.find("resident"), std::string::npos) << note_a;
  EXPECT_NE(note_b.find("composed on the host"), std::string::npos) << note_b;
  EXPECT_NEAR(ra.last_train_loss, rb.last_train_loss, 1e-5 * std::fabs(rb.last_train_loss));
  EXPECT_NEAR(ra.best_val_loss, rb.best_val_loss, 1e-5 * std::fabs(rb.best_val_loss));
  EXPECT_NEAR(a.resid_sd, b.resid_sd, 1e-5 * std::fabs(b.resid_sd));
}

}  // namespace
