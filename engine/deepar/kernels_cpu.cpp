// engine/deepar/kernels_cpu.cpp — the CPU twins of the DeepAR training step's engine kernels
// (engine/deepar/kernels.h; the CUDA versions are in engine/deepar/cuda/train_step.cu).
// Plain loops over the same index spaces as the kernels; the per-element math is
// engine/deepar/kernels_math.h's.
#include <cmath>

#include "engine/deepar/kernels.h"
#include "engine/deepar/kernels_math.h"

namespace skucast::deepar {

void embedding_fwd_cpu(const EmbeddingColumn* cols, int n_cols, int64_t col0, const int32_t* codes, const float* w,
                       float* x, int64_t n_rows, int64_t n_batch, int64_t n_features) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < n_rows; ++r) {     // row r = t*B + b of x, time-major
    const int64_t b = r % n_batch;            // its window
    for (int j = 0; j < n_cols; ++j) {        // embedding column j: input column col0 + j
      const EmbeddingColumn& c = cols[j];
      const int32_t code = codes[static_cast<int64_t>(c.attr) * n_batch + b];  // codes [A, B]
      x[r * n_features + col0 + j] = embedding_value(c, code, w);               // x [n_rows, F]
    }
  }
}

void loss_row_sum_cpu(const float* loss, int64_t n, double* out) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(loss[i]);  // row i of the batch's losses
  *out = sum;
}

void compose_tail_cpu(const float* base, int64_t n_base, const float* dyn, const float* sreal, const DynColumn* cols,
                      int64_t n_cols, int64_t n_series, int64_t n_cov, const int64_t* series, const int64_t* t0,
                      int64_t n_batch, int64_t n_steps, float* x, int64_t n_features) {
  const int64_t n_rows = n_steps * n_batch;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < n_rows; ++r) {                  // row r = t*B + b
    const int64_t b = r % n_batch;                         // window
    const int64_t tau = t0[b] + r / n_batch;               // absolute step of row r: t0[b] + t
    float* out = x + r * n_features;                       // x [T*B, F]
    for (int64_t c = 0; c < n_base; ++c) out[c] = base[r * n_base + c];  // base [T*B, n_base]
    for (int64_t j = 0; j < n_cols; ++j)                   // per-series column j: input column n_base + j
      out[n_base + j] = dyn_column_value(cols[j], dyn, sreal, n_series, n_cov, series[b], tau);
  }
}

void mask_target_cpu(const int64_t* t0, int64_t n_batch, int64_t n_steps, int64_t mask_from, int64_t mask_first,
                     float* target) {
  for (int64_t t = 0; t < n_steps; ++t)    // window step
    for (int64_t b = 0; b < n_batch; ++b)  // window
      if (target_masked(t, t0[b], mask_from, mask_first)) target[t * n_batch + b] = NAN;  // target [T, B]
}

void gather_codes_cpu(const int32_t* codes, int64_t n_attr, int64_t n_series, const int64_t* series, int64_t n_batch,
                      int32_t* codes_out) {
  for (int64_t a = 0; a < n_attr; ++a)     // static attribute
    for (int64_t b = 0; b < n_batch; ++b)  // window: its series' code
      codes_out[a * n_batch + b] = codes[a * n_series + series[b]];  // [A, B] <- [A, S]
}

void embedding_dx_sum_cpu(const float* dx, int64_t n_steps, int64_t n_batch, int64_t n_features, int64_t col0,
                          int64_t n_cols, float* out) {
  for (int64_t b = 0; b < n_batch; ++b)       // window
    for (int64_t j = 0; j < n_cols; ++j) {    // embedding column j: input column col0 + j
      const int64_t c = col0 + j;
      out[b * n_features + c] = window_column_sum(dx, n_steps, n_batch, n_features, b, c);  // out [B, F]
    }
}

void embedding_bwd_cpu(const EmbeddingSegment* segs, int n_segs, int max_dim, const int32_t* win,
                       const EmbeddingAttr* attrs, const float* dx_sum, int64_t n_features, float* grad) {
  for (int u = 0; u < n_segs; ++u) {           // segment: one (attribute, code) row the batch touches
    const EmbeddingSegment& sg = segs[u];
    const EmbeddingAttr& at = attrs[sg.attr];  // its table
    for (int k = 0; k < max_dim && k < at.dim; ++k)  // element k of the row (the device's grid is max_dim wide)
      grad[at.w_offset + static_cast<int64_t>(sg.code) * at.dim + k] =  // grad: table row `code`, element k
          segment_column_sum(win, sg.begin, sg.end, dx_sum, n_features, at.col + k);
  }
}

void head_first_cpu(const float* head, int64_t n_params, int64_t n_rows, float* head0) {
  for (int64_t r = 0; r < n_rows; ++r) head0[r] = head[r * n_params];  // row r: head [n_rows, P], column 0
}

}  // namespace skucast::deepar
