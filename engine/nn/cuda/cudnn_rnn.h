// engine/nn/cuda/cudnn_rnn.h — the multi-layer LSTM / GRU of rnn.h on the GPU, through cuDNN 9's
// v8 RNN API (cudnnRNNForward, cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8; STYLE K7).
//
// Defines: RnnPrecision, CudnnRnnContext (what backward needs, STYLE B5) and CudnnRnn.
// The interface mirrors Rnn<float> (rnn.h) with device pointers, so a backend can swap them:
// the same RnnConfig, the same tensor layouts (x [T, B, F], y [T, B, Hd], states [L, B, Hd],
// time-major) and the same flat weight layout (Note [RNN weight layout]), so one weight
// vector — a checkpoint — gives the same network on either device.
//
// Note [cuDNN weight mapping]
//   cuDNN keeps the weights in its own "weight space" of the size cudnnGetRNNWeightSpaceSize
//   reports, in the data type of the network. At construction every per-gate matrix and bias
//   is located in it with cudnnGetRNNWeightParams (pseudo-layer l, linLayerID 0..2G-1) and
//   its shape is checked against rnn.h's layout; the result is a table of (rnn.h offset,
//   weight-space offset, length) segments (STYLE K8). When the table is the identity and the
//   network is FP32 (what rnn.h's layout note predicts), the caller's weight and gradient
//   buffers are handed to cuDNN directly. Otherwise (FP16/BF16, or a cuDNN that pads) the
//   weights are scattered into the weight space before each call and the gradients gathered
//   back, converting to float: the caller's FP32 buffer stays the master copy, and the
//   optimizer (kernels/adam.hpp) updates it in FP32.
//
// Note [cuDNN precision]
//   Fp32: FP32 data, FP32 math, CUDNN_FMA_MATH (no TF32), the parity reference. Fp16 / Bf16:
//   activations and weights in half precision with FP32 accumulation (mathPrec FLOAT) on
//   tensor cores (CUDNN_TENSOR_OP_MATH); inputs and outputs of this class stay float and are
//   converted at the boundary. cuDNN's documented RNN combinations cover HALF data with FLOAT
//   math; a cuDNN that rejects BFLOAT16 data throws DeviceError at construction.
//
// Note [cuDNN dropout]
//   RnnConfig::dropout = p > 0 is cuDNN's RNN dropout: the same placement and scaling as the
//   CPU Rnn (Note [RNN dropout] in rnn.h): inverted dropout on the output of layer l < L-1
//   as the input of layer l+1, never on the top layer's output, so a 1-layer network is
//   unaffected. The masks differ from the CPU's: cuDNN draws them from its own Philox RNG
//   states, which the constructor allocates (cudnnDropoutGetStatesSize) and initialises
//   from dropout_seed once (cudnnSetDropoutDescriptor, waited for there), and which the
//   object keeps for its life. A Phase::Training forward writes its masks into the reserve
//   space, so backward applies the same masks; the states advance with every Training
//   forward, so a run is reproducible from construction with the same seed and the same
//   sequence of calls, not per call. Phase::Inference runs CUDNN_FWD_MODE_INFERENCE and
//   never drops. The states are shared by all forwards of this object: one stream at a
//   time (below). p = 0 allocates no states.
//
// Without a device (or in a CPU-only build) the constructor throws DeviceError with the
// reason; nothing crashes. Not thread-safe: one CudnnRnn serves one stream at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/nn/rnn.h"
#include "kernels/stream.hpp"

namespace skucast::nn {

enum class RnnPrecision { Fp32, Fp16, Bf16 };

class CudnnRnn;

// Everything backward needs from one forward pass (STYLE B5): the input copy, outputs, the
// cuDNN reserve space and the data descriptors of this batch. Device memory, freed on the
// stream of the forward. Neither copyable nor movable.
class CudnnRnnContext {
 public:
  CudnnRnnContext();
  ~CudnnRnnContext();
  CudnnRnnContext(const CudnnRnnContext&) = delete;
  CudnnRnnContext& operator=(const CudnnRnnContext&) = delete;
  CudnnRnnContext(CudnnRnnContext&&) = delete;
  CudnnRnnContext& operator=(CudnnRnnContext&&) = delete;

  int64_t n_steps() const;
  int64_t n_batch() const;
  // Device pointers, float: top layer output [T, B, Hd] (0 past a sequence's length),
  // final states [L, B, Hd] (each sequence's state at its last step); c_n nullptr for a GRU.
  const float* y() const;
  const float* h_n() const;
  const float* c_n() const;

 private:
  friend class CudnnRnn;
  struct Impl;
  std::unique_ptr<Impl> m;
};

class CudnnRnn {
 public:
  // dropout_seed seeds cuDNN's dropout states when cfg.dropout > 0 (Note [cuDNN dropout]);
  // unused otherwise. Synchronizes once with the cuDNN handle's stream when it initialises
  // the states. Throws InputError for a bad config (cfg.validate: sizes, dropout outside
  // [0, 1)), DeviceError when no device can be used or cuDNN rejects the configuration.
  explicit CudnnRnn(const RnnConfig& cfg, RnnPrecision precision = RnnPrecision::Fp32, uint64_t dropout_seed = 0);
  ~CudnnRnn();
  CudnnRnn(const CudnnRnn&) = delete;
  CudnnRnn& operator=(const CudnnRnn&) = delete;

  const RnnConfig& config() const;
  RnnPrecision precision() const;
  int64_t n_params() const { return rnn_n_params(config()); }
  // True when cuDNN's FP32 weight space is rnn.h's layout (Note [cuDNN weight mapping]).
  bool identity_layout() const;

  // [in] weights [n_params()] (rnn.h layout, FP32 master), x [T, B, F], h0/c0 [L, B, Hd] or
  //      nullptr for zeros; seq_lengths: HOST [B] lengths in 1..T, or nullptr for all T.
  //      All other pointers are device pointers. Phase::Training applies dropout (if any)
  //      and keeps the reserve space, with the dropout masks, for backward; Phase::Inference
  //      never drops and keeps no reserve (backward then throws). Note [cuDNN dropout].
  // Asynchronous on `stream`; the returned context is valid once the stream reaches it.
  std::unique_ptr<CudnnRnnContext> forward(const float* weights, const float* x, int64_t n_steps, int64_t n_batch,
                                           const int32_t* seq_lengths, const float* h0, const float* c0,
                                           Phase phase, cudaStream_t stream) const;

  // Backward through time, as Rnn<T>::backward (rnn.h), device pointers:
  // [in]  ctx from a Phase::Training forward with the same weights; dy [T, B, Hd] (nullptr:
  //       zero); dh_n, dc_n [L, B, Hd] (nullptr: zero).
  // [out] dx [T, B, F], dh0, dc0 [L, B, Hd]: overwritten, any may be nullptr; dweights
  //       [n_params()] in rnn.h's layout, written as `mode` says.
  // Run once per forward: cuDNN's backward-data pass writes into the reserve space.
  void backward(const CudnnRnnContext& ctx, const float* weights, const float* dy, const float* dh_n,
                const float* dc_n, float* dx, float* dh0, float* dc0, float* dweights, GradMode mode,
                cudaStream_t stream) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

}  // namespace skucast::nn
