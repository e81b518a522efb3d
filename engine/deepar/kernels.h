// engine/deepar/kernels.h — the engine kernels of the DeepAR training step, CPU twins (STYLE
// B3): the same argument order, layout and dtype as the CUDA launchers of
// engine/deepar/cuda/train_kernels.h (engine/deepar/cuda/train_step.cu), without the stream.
// Host pointers; plain loops (OpenMP over rows where a loop is long). The per-element math
// that is more than a copy is written once in engine/deepar/kernels_math.h (STYLE B10) and
// called by both sides. Defined in engine/deepar/kernels_cpu.cpp; no CUDA types.
//
// Who calls the twins: compose_inputs (engine/deepar/data.cpp) composes the covariate and
// embedding columns with compose_tail_cpu, gather_codes_cpu and embedding_fwd_cpu; the CPU
// trainer masks its targets with mask_target_cpu. embedding_dx_sum_cpu and
// embedding_bwd_cpu sum in the device's order, which is not the CPU trainer's (Note
// [Embedding gradient order] in engine/deepar/data.cpp): they are the reference of the
// parity test only, as are loss_row_sum_cpu (the CPU's total is nn::loss_forward_backward's)
// and head_first_cpu. tests/gpu/test_deepar_kernel_parity.cpp checks every launcher
// against its twin; tests/deepar/test_deepar_kernels.cpp checks the twins by hand.
#pragma once

#include <cstdint>

namespace skucast::deepar {

// One input column filled from an embedding table (Layout's emb_* fields, per column k of
// attribute a: w_offset = emb_off[a] + k, dim = emb_dim[a], n_levels = emb_k[a];
// embedding_columns in engine/deepar/internal.h builds them).
struct EmbeddingColumn {
  int64_t w_offset = 0;  // weights index of row 0 of this column
  int32_t dim = 0;       // row length d of the table [K, d]
  int32_t n_levels = 0;  // K: codes outside [0, K) read 0
  int32_t attr = 0;      // static attribute a: codes row
};

// One per-series input column (after the base columns; Note [Derived inputs] in
// engine/deepar/data.cpp): what dyn_column_value (engine/deepar/kernels_math.h) reads.
enum class DynKind : int32_t {
  Value = 0,   // covariate slab `slab` at tau + shift (shift -1: a lag, +1: a lead)
  Change = 1,  // the same minus its value one step earlier
  Static = 2,  // static real `slab` of the series (sreal [n_sreal, S]), whatever the step
};
struct DynColumn {
  DynKind kind = DynKind::Value;
  int32_t slab = 0;   // covariate slab (Value, Change) or static real (Static)
  int32_t shift = 0;  // steps added to tau (Value, Change)
};

// One embedding row a batch touches: attribute `attr`'s row `code`, whose windows are
// win[begin .. end) of the batch's window list (in window order; embedding_segments in
// engine/deepar/internal.h lists them).
struct EmbeddingSegment {
  int32_t attr = 0, code = 0, begin = 0, end = 0;
};

// One embedding table, as the gradient sees it (embedding_attrs in engine/deepar/internal.h).
struct EmbeddingAttr {
  int64_t w_offset = 0;  // weights index of row 0 of the table
  int32_t dim = 0;       // row length
  int32_t col = 0;       // first input column of the attribute
};

// x[r, col0 + j] = w[cols[j].w_offset + code * cols[j].dim] with code = codes[cols[j].attr, r % B]
// (0 when code is outside [0, n_levels)), for every row r < n_rows = T*B, j < n_cols.
// [in] cols [n_cols], codes [A, B] int32, w [n_params]; [in,out] x [n_rows, F] (other columns
// untouched).
void embedding_fwd_cpu(const EmbeddingColumn* cols, int n_cols, int64_t col0, const int32_t* codes, const float* w,
                       float* x, int64_t n_rows, int64_t n_batch, int64_t n_features);

// *out = sum_{i < n} loss[i], in double, in index order (the device sums the same terms as
// a tree: kernels/cuda/reduce.cuh).
void loss_row_sum_cpu(const float* loss /*[n]*/, int64_t n, double* out);

// The covariate part of the inputs: for every row r = t*B + b (window b, tau = t0[b] + t),
//   x[r, c] = base[r, c]                                       for c < n_base,
//   x[r, n_base + j] = dyn_column_value(cols[j], ...)          for j < n_cols
// (engine/deepar/kernels_math.h: a per-series covariate at tau, one step ahead or behind, its
// change, or a per-series constant; Note [Derived inputs] in engine/deepar/data.cpp). The
// embedding columns are not touched.
// [in] base [T*B, n_base], dyn [n_slabs, S, n_cov], sreal [n_sreal, S] (or null when no
// column is Static), cols [n_cols], series / t0 [B] int64; [out] x [T*B, F].
void compose_tail_cpu(const float* base, int64_t n_base, const float* dyn, const float* sreal, const DynColumn* cols,
                      int64_t n_cols, int64_t n_series, int64_t n_cov, const int64_t* series, const int64_t* t0,
                      int64_t n_batch, int64_t n_steps, float* x, int64_t n_features);

// The training / validation mask of the trainer's cut: target[t, b] = NaN where t < mask_first
// or t0[b] + t >= mask_from; other values untouched. [in] t0 [B] int64; [in,out] target [T, B].
void mask_target_cpu(const int64_t* t0, int64_t n_batch, int64_t n_steps, int64_t mask_from, int64_t mask_first,
                     float* target);

// codes_out[a, b] = codes[a, series[b]] ([A, S] int32 -> [A, B] int32).
void gather_codes_cpu(const int32_t* codes, int64_t n_attr, int64_t n_series, const int64_t* series, int64_t n_batch,
                      int32_t* codes_out);

// The embedding part of the input gradient summed over the steps of each window:
// out[b, col0 + j] = sum_t dx[t, b, col0 + j] (double accumulation in t order, rounded once),
// for b < B, j < n_cols; out's other columns are not written. [in] dx [T, B, F]; [out] out
// [B, F], what embedding_bwd_cpu reads.
void embedding_dx_sum_cpu(const float* dx, int64_t n_steps, int64_t n_batch, int64_t n_features, int64_t col0,
                          int64_t n_cols, float* out);

// The embedding gradient rows of a batch, in the device's order: for every segment u and
// k < dim of its attribute,
//   grad[off[attr] + code * dim + k] = sum over its windows b (in order) of dx_sum[b, col[attr] + k],
// accumulated in double, rounded once. Rows no segment names are not written (the caller
// zeroes the tables first). max_dim: the largest dim of attrs (the device's grid width).
// [in] segs [n_segs], win [sum of lengths] int32, attrs [A], dx_sum [B, F]; [in,out] grad [n_params].
void embedding_bwd_cpu(const EmbeddingSegment* segs, int n_segs, int max_dim, const int32_t* win,
                       const EmbeddingAttr* attrs, const float* dx_sum, int64_t n_features, float* grad);

// head0[r] = head[r * P] (the first head output of each row), r < n_rows.
void head_first_cpu(const float* head, int64_t n_params, int64_t n_rows, float* head0);

}  // namespace skucast::deepar
