// engine/deepar/train_step.h — the training step of the global model behind one interface
// (DESIGN.md "Backends"): deepar_train (engine/deepar/train.cpp) samples the windows, keeps
// the schedule and the best epoch, and hands every batch to a TrainStep without knowing
// where it runs. make_train_step picks the implementation once:
//   - CpuTrainStep (train_step.cpp): windows cut on the host (HostWindows), the CPU network
//     (CpuStep) and AdamW (engine/nn/adam.h), in place on the host;
//   - the CUDA steps (engine/deepar/cuda/train_steps.cpp, CUDA builds): the panel resident on
//     the device with the windows cut there, or inputs composed on the host into pinned
//     staging; Note [DeepAR training on the GPU] in engine/deepar/cuda/train_step.h.
// Internal to engine/deepar; no CUDA types (STYLE B4).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/deepar/internal.h"
#include "engine/nn/adam.h"
#include "engine/nn/loss.h"
#include "kernels/device.hpp"

namespace skucast::deepar {

// B windows of n_steps steps: window b is panel series series[b] from absolute step t0[b]
// (host arrays of B); its targets are masked (NaN) at steps t < mask_first and where
// t0[b] + t >= mask_from (Note [DeepAR windows]).
struct WindowSet {
  const int64_t* series = nullptr;
  const int64_t* t0 = nullptr;
  int64_t n_batch = 0, n_steps = 0;
  int64_t mask_from = 0, mask_first = 0;
};

// What an evaluation leaves for the validation statistics: the windows' masked targets
// [n_steps, B], scales [B] and the head's first output per row [n_steps, B].
struct EvalRows {
  std::vector<float> target, scale, head0;
};

// The windows of a batch cut on the host: target [n_steps, B] (masked), scale [B] (nu over
// the context) and the inputs x [n_steps, B, F] (compose_inputs), in the order the CPU
// trainer has always used. Shared by the CPU step and the CUDA step with host-composed inputs.
struct HostWindows {
  std::vector<float> x, target, scale;
  std::vector<float> loc;  // [B] Note [Window location]: empty unless the layout has one
  ComposeScratch cs;
  // w: the flat weights whose embedding rows fill the embedding columns; context: the
  // steps window_scale averages. x_out (when given) receives the inputs instead of x.
  void cut(const PanelData& d, const Layout& l, int64_t context, const float* w, const WindowSet& win,
           float* x_out = nullptr);
};

// The teacher-forced loss of w on the windows through the CPU network, the rows filled from
// its head: the CPU step's evaluate, and the validation of a GPU run whose panel is not
// resident on the device.
nn::LossValue evaluate_on_cpu(const PanelData& d, const Layout& l, int64_t context, CpuStep& cpu, HostWindows& hw,
                              const float* w, const WindowSet& win, EvalRows& rows);

class TrainStep {
 public:
  virtual ~TrainStep() = default;
  // The learning rate of the steps taken from now on.
  virtual void set_lr(double lr) = 0;
  // AdamW steps taken (or queued) so far, counting the step count the run started from.
  virtual int64_t n_steps() const = 0;
  // One training step (forward, loss, backward, clipped AdamW) on the windows; dropout masks
  // follow from the run's seed and n_steps(). May return before the step is done.
  virtual void train(const WindowSet& win) = 0;
  // Losses of finished steps not yet returned, in step order. wait = false never blocks;
  // true waits for every queued step first.
  virtual std::vector<nn::LossValue> take_losses(bool wait) = 0;
  // The state after every queued step: weights, AdamW moments [n_params] and the step count.
  virtual void download(std::vector<float>& w, std::vector<float>& m, std::vector<float>& v, int64_t& adam_step) = 0;
  // The teacher-forced loss of host weights w [n_params] on the windows (Phase::Inference: no
  // dropout, no update), with the rows the validation statistics need.
  virtual nn::LossValue evaluate(const float* w, const WindowSet& win, EvalRows& rows) = 0;
  // Where the step runs, in a few words, for the command's report (empty on the CPU).
  virtual std::string note() const { return {}; }
};

// Run-time choices of a training run (none is part of the model).
struct TrainStepSetup {
  Device device = Device::Cpu;
  TrainPrecision precision = TrainPrecision::Fp32;  // Device::Cuda: the recurrent layers
  int64_t max_panel_bytes = 0;    // Device::Cuda: budget of the resident panel (0: 80 % of free)
  int64_t max_batch = 0, max_steps = 0;  // the largest B and window of a train/evaluate call
  int64_t context = 0;            // encoder steps: the span of the windows' scale
  uint64_t seed = 0;              // the run's seed (dropout masks)
};

// The step of the run, starting from weights w, AdamW moments m, v and step count adam_step
// (copied). d must outlive the step. Throws DeviceError when Device::Cuda cannot be used (no
// device; a build without CUDA: "rebuild with -DSKUCAST_CUDA=ON").
std::unique_ptr<TrainStep> make_train_step(const Layout& l, const PanelData& d, const nn::AdamWConfig& adam,
                                           const std::vector<float>& w, const std::vector<float>& m,
                                           const std::vector<float>& v, int64_t adam_step, const TrainStepSetup& setup);

}  // namespace skucast::deepar
