// engine/deepar/cuda/train_step.h — the DeepAR training step on the GPU: the device twin of
// CpuStep::run + nn::AdamW::step (engine/deepar/internal.h, engine/nn/adam.h), used by deepar_train
// with Device::Cuda (engine/deepar/model.h). Internal to engine/deepar; no CUDA types (STYLE B4).
// engine/deepar/cuda/train_step.cpp (host orchestration), engine/deepar/cuda/train_step.cu (kernels)
// and engine/deepar/cuda/train_steps.cpp (the TrainStep adapters), in CUDA builds only; in a
// CPU-only build make_train_step refuses Device::Cuda (STYLE L3).
//
// Note [DeepAR training on the GPU]
//   The device holds the flat weights, their gradient and the AdamW moments for the whole
//   run. The host samples the windows (series, origin: Note [DeepAR windows]). Where their
//   inputs are composed depends on whether the panel fits the device (upload_panel):
//   - resident panel (the usual case: 30,000 x 1,941 days is 0.23 GB per channel): the
//     target, the per-series covariates, the shared calendar table and the static codes live
//     on the device; a step copies only the windows' series and origins (pinned, 16 bytes a
//     window) and cuts them there: window_scale (or, with Note [Window location], the
//     location and scale), window_target, the training mask, the base
//     features (features_fwd, the twins of features_cpu.cpp), the covariate columns
//     (compose_tail) and the embedding columns (embedding_fwd). Validation runs there too
//     (evaluate: the same forward in Phase::Inference, no backward).
//   - otherwise (the panel exceeds TrainDeviceOptions::max_panel_bytes, or has values the
//     loss refuses, which the per-step host checks must then name): compose_inputs writes
//     each batch straight into pinned staging (two slots, so the host composes batch k+1
//     while the device trains on batch k), and validation runs on the CPU.
//   A step on the device:
//     1. the inputs above; the embedding columns are gathered from the device weights (the
//        host's copy of the weights is stale between epochs, the device's is current);
//     2. CudnnRnn forward (Phase::Training; FP32 with CUDNN_FMA_MATH by default, or FP16/BF16
//        tensor ops, Note [cuDNN precision]; dropout between layers from cuDNN's Philox
//        states, Note [cuDNN dropout]), the dense head on cuBLAS (SGEMM in FP32,
//        CUBLAS_DEFAULT_MATH: no TF32), the likelihood loss and gradient normalized by the
//        device-resident observed count (likelihood_fwd_bwd), the head's backward on cuBLAS,
//        CudnnRnn backward (dx only when the model has embeddings);
//     3. with embeddings, the tables' gradient on the device too: the embedding columns of dx
//        summed over each window's steps (embedding_dx_sum), then every table row the batch
//        touches summed over its windows in window order (embedding_bwd; the host lists the
//        rows and their windows when it stages the step: it knows the windows' static codes),
//        so the sum is deterministic, as the CPU's serial embedding_backward; only the order
//        of the terms differs (steps first, then windows). Then the global norm
//        (grad_sq_norm) and the clipped AdamW step (adam_step), reading the norm on the device.
//   The loss (sum of per-row losses, in double, and the observed count) is copied to pinned
//   memory per step and read when ready (take_losses(false)) or at the end of an epoch
//   (finish). So the host waits only for a staging slot to be free (the device has read the
//   step two back): no synchronization per training step.
//   Same step as the CPU: the same masked, unweighted loss normalized by the observed rows,
//   the same global-norm clipping (torch's clip_grad_norm_ formula), AdamW with the same
//   decoupled decay and bias corrections, the learning rate set per epoch by deepar_train's
//   schedule. What differs is FP32 summation order (cuDNN/cuBLAS vs OpenBLAS), so weights
//   agree to ~1e-4 relative after a few steps, not bit for bit
//   (tests/gpu/test_deepar_train_parity.cpp), and the dropout masks (cuDNN's generator, not
//   the CPU's counter hash: the same rate and scaling, different units dropped).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/deepar/internal.h"
#include "engine/deepar/model.h"
#include "engine/deepar/train_step.h"
#include "engine/nn/adam.h"
#include "engine/nn/loss.h"

namespace skucast::deepar {

// Pinned host staging of one step's inputs (valid until the next submit()).
struct CudaStepInputs {
  float* x = nullptr;       // [n_steps, B, F] compose_inputs' output; the embedding columns are refilled on the device
  float* target = nullptr;  // [n_steps, B] masked targets in real units, NaN = masked
  float* scale = nullptr;   // [B] per-window scale nu > 0
};

// Run-time choices of the GPU step (none is part of the model).
struct CudaTrainSetup {
  TrainPrecision precision = TrainPrecision::Fp32;  // the recurrent layers (Note [cuDNN precision])
  uint64_t dropout_seed = 0;                         // cuDNN's dropout states (dropout > 0 only)
  int64_t context = 0;                               // encoder steps: window_scale's span (resident panel)
};

class CudaTrainStep {
 public:
  // [in] l: the model layout; d: the panel in memory (its static codes give the embedding
  //      rows; must outlive this object); max_batch, max_steps: the largest B and window
  //      length of a step; adam: AdamW's config (lr is replaced by set_lr).
  // Throws InputError when a size is bad, DeviceError when no device can be used (and always
  // in a build without CUDA) or cuDNN refuses the precision.
  CudaTrainStep(const Layout& l, const PanelData& d, int64_t max_batch, int64_t max_steps,
                const nn::AdamWConfig& adam, const CudaTrainSetup& setup = {});
  ~CudaTrainStep();
  CudaTrainStep(const CudaTrainStep&) = delete;
  CudaTrainStep& operator=(const CudaTrainStep&) = delete;
  CudaTrainStep(CudaTrainStep&&) = delete;
  CudaTrainStep& operator=(CudaTrainStep&&) = delete;

  // Host -> device: weights and AdamW moments [n_params] each and the AdamW step count.
  // Finishes queued steps first. Throws InputError on a size mismatch.
  void upload(const std::vector<float>& w, const std::vector<float>& m, const std::vector<float>& v,
              int64_t adam_step);
  // Device -> host after every queued step is done (synchronous); vectors are resized.
  void download(std::vector<float>& w, std::vector<float>& m, std::vector<float>& v);
  // The learning rate of the steps submitted from now on.
  void set_lr(double lr);
  // AdamW steps submitted so far, counting the uploaded step count (the CPU's opt.n_steps()).
  int64_t n_submitted() const;

  // Staging for the next step, B windows of n_steps steps; waits until the device has read
  // the slot's previous contents. Throws InputError when B or n_steps exceed the maxima.
  CudaStepInputs next_inputs(int64_t n_batch, int64_t n_steps);
  // Queues one training step on the inputs of next_inputs(). series [B] (host): the panel
  // series of the windows. Validates the targets and scales as loss.h does (InputError).
  void submit(const int64_t* series, int64_t n_batch, int64_t n_steps);
  // Completes every queued step (host part included) and waits for the device.
  void finish();
  // Losses of completed steps not yet returned, in step order, as CpuStep::run returns them.
  // wait = false: only those already done (never blocks); true: finish() first, then all.
  std::vector<nn::LossValue> take_losses(bool wait);

  // ---- resident panel (Note [DeepAR training on the GPU]) ----
  // Device bytes the panel would take (target, covariates, shared table, codes).
  int64_t panel_bytes() const;
  // Copies the panel to the device when panel_bytes() fits max_bytes (0: no limit of its own)
  // and 80 % of the free device memory, and every target value is NaN or finite (non-negative
  // for count likelihoods); returns whether it did, and otherwise (also when an allocation
  // fails after all) sets *why (when given) to the reason in a few words. Synchronous.
  // Needs CudaTrainSetup::context >= 1 (InputError).
  bool upload_panel(int64_t max_bytes, std::string* why = nullptr);
  bool panel_resident() const;
  // Queues one training step on B windows of n_steps steps cut on the device: window b is
  // series[b] from absolute step t0[b] (host arrays, B each); its targets are masked (NaN) at
  // steps t < mask_first and where t0[b] + t >= mask_from, as deepar_train's cut. Needs
  // upload_panel; waits for a staging slot like next_inputs.
  void submit_windows(const int64_t* series, const int64_t* t0, int64_t n_batch, int64_t n_steps, int64_t mask_from,
                      int64_t mask_first);
  // The teacher-forced loss of host weights w [n_params] on windows cut as submit_windows
  // does (Phase::Inference: no dropout, no update), always with FP32 recurrent layers (a
  // separate network when training runs in FP16/BF16), as the CPU validates. Finishes queued
  // steps first; synchronous.
  // When target / scale / head0 are given they receive the windows' masked targets [n_steps,
  // B], scales [B] and the head's first output per row [n_steps, B] (validation statistics).
  nn::LossValue evaluate(const float* w, const int64_t* series, const int64_t* t0, int64_t n_batch, int64_t n_steps,
                         int64_t mask_from, int64_t mask_first, std::vector<float>* target = nullptr,
                         std::vector<float>* scale = nullptr, std::vector<float>* head0 = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

// The TrainStep of a GPU run (engine/deepar/cuda/train_steps.cpp): a CudaTrainStep with the
// panel resident when it fits setup.max_panel_bytes, else inputs composed on the host and
// validation on the CPU; note() says which. Throws as the CudaTrainStep constructor.
std::unique_ptr<TrainStep> make_cuda_train_step(const Layout& l, const PanelData& d, const nn::AdamWConfig& adam,
                                                const std::vector<float>& w, const std::vector<float>& m,
                                                const std::vector<float>& v, int64_t adam_step,
                                                const TrainStepSetup& setup);

}  // namespace skucast::deepar
