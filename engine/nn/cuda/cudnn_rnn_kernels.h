// engine/nn/cuda/cudnn_rnn_kernels.h — the small device kernels around the cuDNN RNN
// (engine/nn/cuda/cudnn_rnn.cu): casts between float and the network's data type, and the scatter / gather
// between rnn.h's weight layout and cuDNN's weight space (Note [cuDNN weight mapping] in
// engine/nn/cuda/cudnn_rnn.h). Internal to engine/nn/cuda/cudnn_rnn.cpp. CUDA-free declarations; device pointers.
// CPU twins: none needed — each is a copy with a type conversion; the RNN parity test
// (tests/gpu/test_rnn_cudnn_parity.cpp) covers them through the non-identity FP16 path.
#pragma once

#include <cstdint>

#include "engine/nn/rnn.h"
#include "kernels/stream.hpp"

namespace skucast::nn {

enum class RnnDType { F32, F16, Bf16 };

// One contiguous run of parameters: rnn.h offset, weight-space offset (in elements of the
// weight-space type), length.
struct RnnWeightSegment {
  int64_t cpu_offset = 0;
  int64_t ws_offset = 0;
  int64_t count = 0;
};

// dst [n] (type t) = src [n] converted; and back.
void rnn_cast_fwd(const float* src, void* dst, RnnDType t, int64_t n, cudaStream_t stream);
void rnn_cast_bwd(const void* src, RnnDType t, float* dst, int64_t n, cudaStream_t stream);

// ws[seg.ws_offset + i] = master[seg.cpu_offset + i] for every segment (segs: device [n_segs]).
void rnn_weights_pack_fwd(const float* master, void* ws, RnnDType t, const RnnWeightSegment* segs, int n_segs,
                          int64_t max_count, cudaStream_t stream);
// dweights[seg.cpu_offset + i] (=|+=) dws[seg.ws_offset + i], as mode says (not Ignore).
void rnn_weights_pack_bwd(const void* dws, RnnDType t, const RnnWeightSegment* segs, int n_segs, int64_t max_count,
                          float* dweights, GradMode mode, cudaStream_t stream);

}  // namespace skucast::nn
