// engine/deepar/cuda/train_kernels.h — the small device kernels of the DeepAR GPU training
// step (engine/deepar/cuda/train_step.cu): the inputs cut on the device (compose_tail,
// gather_codes, embedding_fwd, mask_target), the embedding gradient (embedding_dx_sum,
// embedding_bwd), the sum of the per-row losses and the head's first output. Used by
// engine/deepar/cuda/train_step.cpp and resident_panel.cpp, and by the parity test.
// CUDA-free declarations (the stream is kernels/stream.hpp's opaque handle); device pointers;
// async on stream.
// CPU twins: the same arguments without the stream, named <op>_cpu, in engine/deepar/kernels.h
// (with the argument structs EmbeddingColumn, EmbeddingSegment, EmbeddingAttr); the
// per-element math is engine/deepar/kernels_math.h's, shared by both. Parity:
// tests/gpu/test_deepar_kernel_parity.cpp (one row per op).
#pragma once

#include <cstdint>

#include "engine/deepar/kernels.h"
#include "kernels/stream.hpp"

namespace skucast::deepar {

// x[r, col0 + j] = w[cols[j].w_offset + code * cols[j].dim] with code = codes[cols[j].attr, r % B]
// (0 when code is outside [0, n_levels)), for every row r < n_rows = T*B, j < n_cols.
// [in] cols device [n_cols], codes device [A, B] int32, w device [n_params]; [in,out] x [n_rows, F].
void embedding_fwd(const EmbeddingColumn* cols, int n_cols, int64_t col0, const int32_t* codes, const float* w,
                   float* x, int64_t n_rows, int64_t n_batch, int64_t n_features, cudaStream_t stream);

// *out (device double) = sum_{i < n} loss[i], in double, deterministic (kernels/cuda/reduce.cuh).
void loss_row_sum(const float* loss /*device [n]*/, int64_t n, double* out, cudaStream_t stream);

// The covariate part of the inputs on a resident panel (as compose_inputs): compose_tail_cpu's
// twin (engine/deepar/kernels.h), device pointers: base [T*B, n_base], dyn [n_slabs, S, n_cov],
// sreal [n_sreal, S] (or null), cols [n_cols], series / t0 [B]; x [T*B, F] (the embedding
// columns, embedding_fwd's, untouched).
void compose_tail(const float* base, int64_t n_base, const float* dyn, const float* sreal, const DynColumn* cols,
                  int64_t n_cols, int64_t n_series, int64_t n_cov, const int64_t* series, const int64_t* t0,
                  int64_t n_batch, int64_t n_steps, float* x, int64_t n_features, cudaStream_t stream);

// The training / validation mask of deepar_train's cut: target[t, b] = NaN where t < mask_first
// or t0[b] + t >= mask_from. [in] t0 [B] int64; [in,out] target [T, B].
void mask_target(const int64_t* t0, int64_t n_batch, int64_t n_steps, int64_t mask_from, int64_t mask_first,
                 float* target, cudaStream_t stream);

// codes_out[a, b] = codes[a, series[b]] ([A, S] int32 -> [A, B] int32).
void gather_codes(const int32_t* codes, int64_t n_attr, int64_t n_series, const int64_t* series, int64_t n_batch,
                  int32_t* codes_out, cudaStream_t stream);

// The embedding part of the input gradient summed over the steps of each window:
// out[b, col0 + j] = sum_t dx[t, b, col0 + j] (double accumulation in t order, rounded once),
// for b < B, j < n_cols; out's other columns are not written. [in] dx [T, B, F]; [out] out
// [B, F], what embedding_bwd reads.
void embedding_dx_sum(const float* dx, int64_t n_steps, int64_t n_batch, int64_t n_features, int64_t col0,
                      int64_t n_cols, float* out, cudaStream_t stream);

// The embedding gradient rows of a batch, deterministically, in the device's order (not the
// CPU trainer's embedding_backward: Note [Embedding gradient order], engine/deepar/data.cpp):
// for every segment u and k < dim of its attribute,
//   grad[off[attr] + code * dim + k] = sum over its windows b (in order) of dx_sum[b, col[attr] + k],
// accumulated in double. Rows no segment names are not written (the caller zeroes the
// tables first). [in] segs [n_segs], win [sum of lengths] int32, attrs [A] (each attribute's
// weight offset, width, first input column), dx_sum [B, F]; [in,out] grad [n_params].
void embedding_bwd(const EmbeddingSegment* segs, int n_segs, int max_dim, const int32_t* win,
                   const EmbeddingAttr* attrs, const float* dx_sum, int64_t n_features, float* grad,
                   cudaStream_t stream);

// head0[r] = head[r * P] (the first head output of each row), r < n_rows.
void head_first(const float* head, int64_t n_params, int64_t n_rows, float* head0, cudaStream_t stream);

}  // namespace skucast::deepar
