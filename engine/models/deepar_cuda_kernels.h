// engine/models/deepar_cuda_kernels.h — the small device kernels of the DeepAR GPU training
// step (deepar_cuda.cu): the embedding columns of the inputs, and the sum of the per-row
// losses. Internal to deepar_cuda.cpp. CUDA-free declarations; device pointers; async on stream.
// CPU twins: embedding_fwd is the embedding part of compose_inputs (deepar_data.cpp) and
// loss_row_sum is the total of nn::loss_forward_backward (loss.cpp); the GPU training parity
// test (tests/gpu/test_deepar_train_parity.cpp) checks both through the whole step.
#pragma once

#include <cstdint>

#include "kernels/stream.hpp"

namespace skucast::deepar {

// One input column filled from an embedding table (Layout's emb_* fields, per column k of
// attribute a: w_offset = emb_off[a] + k, dim = emb_dim[a], n_levels = emb_k[a]).
struct EmbeddingColumn {
  int64_t w_offset = 0;  // weights index of row 0 of this column
  int32_t dim = 0;       // row length d of the table [K, d]
  int32_t n_levels = 0;  // K: codes outside [0, K) read 0, as compose_inputs
  int32_t attr = 0;      // static attribute a: codes row
};

// x[r, col0 + j] = w[cols[j].w_offset + code * cols[j].dim] with code = codes[cols[j].attr, r % B]
// (0 when code is outside [0, n_levels)), for every row r < n_rows = T*B, j < n_cols.
// [in] cols device [n_cols], codes device [A, B] int32, w device [n_params]; [in,out] x [n_rows, F].
void embedding_fwd(const EmbeddingColumn* cols, int n_cols, int64_t col0, const int32_t* codes, const float* w,
                   float* x, int64_t n_rows, int64_t n_batch, int64_t n_features, cudaStream_t stream);

// *out (device double) = sum_{i < n} loss[i], in double, deterministic (kernels/reduce.cuh).
void loss_row_sum(const float* loss /*device [n]*/, int64_t n, double* out, cudaStream_t stream);

}  // namespace skucast::deepar
