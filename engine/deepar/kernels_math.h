// engine/deepar/kernels_math.h — the per-element math of the DeepAR training step's engine
// kernels (engine/deepar/kernels.h), written once as `inline SKU_HD` functions (STYLE B10,
// kernels/hd.hpp): the CPU twins (engine/deepar/kernels_cpu.cpp) and the CUDA kernels
// (engine/deepar/cuda/train_step.cu) both call them, so the two cannot drift. Plain copies
// (gather_codes, head_first, the base columns of compose_tail) have no function here.
// Only additions and comparisons: no FMA contraction can make the device differ.
#pragma once

#include <cstdint>

#include "engine/deepar/kernels.h"
#include "kernels/hd.hpp"

namespace skucast::deepar {

// The value of input column c at a window step whose static code is `code`: row `code` of
// the column's table, or 0 for a code outside [0, n_levels) (an unknown level).
SKU_HD inline float embedding_value(const EmbeddingColumn& c, int32_t code, const float* w) {
  return code >= 0 && code < c.n_levels ? w[c.w_offset + static_cast<int64_t>(code) * c.dim] : 0.0f;
}

// A per-series covariate row [n_cov] at absolute step tau: 0 before the axis (tau < 0), the
// last known value past its end (steps >= n_cov repeat n_cov - 1).
SKU_HD inline float covariate_at(const float* row, int64_t tau, int64_t n_cov) {
  const int64_t step = tau < n_cov - 1 ? tau : n_cov - 1;  // min(tau, n_cov - 1)
  return tau < 0 ? 0.0f : row[step];
}

// Per-series input column c at absolute step tau of series s (compose_tail; Note [Derived
// inputs] in engine/deepar/data.cpp). dyn [n_slabs, S, n_cov]; sreal [n_sreal, S].
SKU_HD inline float dyn_column_value(const DynColumn& c, const float* dyn, const float* sreal, int64_t n_series,
                                     int64_t n_cov, int64_t s, int64_t tau) {
  if (c.kind == DynKind::Static) return sreal[static_cast<int64_t>(c.slab) * n_series + s];
  const float* row = dyn + (static_cast<int64_t>(c.slab) * n_series + s) * n_cov;
  const float v = covariate_at(row, tau + c.shift, n_cov);
  return c.kind == DynKind::Change ? v - covariate_at(row, tau + c.shift - 1, n_cov) : v;
}

// Whether the target of window step t (window from absolute step t0) is masked: before the
// first `mask_first` steps of the window, or at / after absolute step mask_from.
SKU_HD inline bool target_masked(int64_t t, int64_t t0, int64_t mask_from, int64_t mask_first) {
  return t < mask_first || t0 + t >= mask_from;
}

// sum_t dx[t, b, c] over the n_steps steps of window b, accumulated in double in t order and
// rounded once. dx [T, B, F].
SKU_HD inline float window_column_sum(const float* dx, int64_t n_steps, int64_t n_batch, int64_t n_features, int64_t b,
                                      int64_t c) {
  double sum = 0.0;
  for (int64_t t = 0; t < n_steps; ++t) sum += static_cast<double>(dx[(t * n_batch + b) * n_features + c]);
  return static_cast<float>(sum);
}

// sum over the windows win[begin .. end) (in that order) of dx_sum[window, c], accumulated in
// double and rounded once: one element of an embedding row's gradient. dx_sum [B, F].
SKU_HD inline float segment_column_sum(const int32_t* win, int32_t begin, int32_t end, const float* dx_sum,
                                       int64_t n_features, int64_t c) {
  double sum = 0.0;
  for (int32_t j = begin; j < end; ++j)  // the segment's windows, in order
    sum += static_cast<double>(dx_sum[static_cast<int64_t>(win[j]) * n_features + c]);
  return static_cast<float>(sum);
}

}  // namespace skucast::deepar
