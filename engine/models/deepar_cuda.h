// engine/models/deepar_cuda.h — the DeepAR training step on the GPU: the device twin of
// CpuStep::run + nn::AdamW::step (deepar_internal.h, engine/nn/adam.h), used by deepar_train
// with TrainDevice::Cuda (deepar_model.h). Internal to engine/models; no CUDA types (STYLE B4).
// deepar_cuda.cpp (host orchestration) and deepar_cuda.cu (kernels) in CUDA builds;
// deepar_cuda_stub.cpp in CPU builds, whose constructor throws DeviceError (STYLE L3).
//
// Note [DeepAR training on the GPU]
//   The device holds the flat weights, their gradient and the AdamW moments for the whole
//   run; the host keeps what it does today: it samples the windows and composes their inputs
//   (compose_inputs, Note [DeepAR inputs]) straight into pinned staging (two slots, so the
//   host composes batch k+1 while the device trains on batch k). A step on the device:
//     1. x [T, B, F], target [T, B] and scale [B] (host-validated as loss.h does) and the
//        windows' static codes [A, B] are copied in (async, on the trainer's stream);
//     2. the embedding columns of x are gathered from the device weights (embedding_fwd:
//        the host's copy of the weights is stale between epochs, the device's is current);
//     3. CudnnRnn forward (Phase::Training, FP32, CUDNN_FMA_MATH), the dense head on cuBLAS
//        (SGEMM in FP32, CUBLAS_DEFAULT_MATH: no TF32), the likelihood loss and gradient
//        normalized by the device-resident observed count (likelihood_fwd_bwd), the head's
//        backward on cuBLAS, CudnnRnn backward (dx only when the model has embeddings);
//     4. with embeddings: the embedding columns of dx go back to pinned memory; the host runs
//        embedding_backward (the CPU code, serial and deterministic) when it queues the next
//        step (or at finish), copies the table gradient rows into the device gradient, and
//        queues the norm (grad_sq_norm) and the clipped AdamW step (adam_step), both reading
//        the norm on the device. Without embeddings the norm and AdamW follow at once.
//   The loss (sum of per-row losses, in double, and the observed count) is copied to pinned
//   memory per step and read when ready (take_losses(false)) or at the end of an epoch
//   (finish). So the host waits only for a staging slot to be free and, with embeddings, for
//   the previous step's dx; there is no cudaDeviceSynchronize.
//   Same step as the CPU: the same masked, unweighted loss normalized by the observed rows,
//   the same global-norm clipping (torch's clip_grad_norm_ formula), AdamW with the same
//   decoupled decay and bias corrections, the learning rate set per epoch by deepar_train's
//   schedule. What differs is FP32 summation order (cuDNN/cuBLAS vs OpenBLAS), so weights
//   agree to ~1e-4 relative after a few steps, not bit for bit
//   (tests/gpu/test_deepar_train_parity.cpp). Dropout > 0 has no GPU path (CudnnRnn does not
//   wire cuDNN's dropout states): the constructor refuses it with InputError, and `skucast
//   train --device cuda` trains on the CPU with a notice (deepar_cuda_unavailable).
//   Validation stays on the CPU after each epoch, on the weights downloaded then.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/models/deepar_internal.h"
#include "engine/nn/adam.h"
#include "engine/nn/loss.h"

namespace skucast::deepar {

// Pinned host staging of one step's inputs (valid until the next submit()).
struct CudaStepInputs {
  float* x = nullptr;       // [n_steps, B, F] compose_inputs' output; the embedding columns are refilled on the device
  float* target = nullptr;  // [n_steps, B] masked targets in real units, NaN = masked
  float* scale = nullptr;   // [B] per-window scale nu > 0
};

class CudaTrainStep {
 public:
  // [in] l: the model layout; d: the panel in memory (its static codes give the embedding
  //      rows; must outlive this object); max_batch, max_steps: the largest B and window
  //      length of a step; adam: AdamW's config (lr is replaced by set_lr).
  // Throws InputError when the model has no GPU path (dropout > 0) or a size is bad,
  // DeviceError when no device can be used (and always in a build without CUDA).
  CudaTrainStep(const Layout& l, const PanelData& d, int64_t max_batch, int64_t max_steps,
                const nn::AdamWConfig& adam);
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

 private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

}  // namespace skucast::deepar
