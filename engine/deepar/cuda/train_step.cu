// engine/deepar/cuda/train_step.cu — kernels and launchers of engine/deepar/cuda/train_kernels.h.
// defines: embedding_fwd_kernel (grid-stride over (row, embedding column)), LossFn (the
//          functor of reduce_sum), the resident panel's window kernels (compose_tail,
//          mask_target, gather_codes), embedding_dx_sum_kernel, embedding_bwd_kernel,
//          head_first_kernel; their
//          launchers.
// uses: engine/deepar/kernels_math.h (the per-element math, shared with the CPU twins of
//       engine/deepar/kernels_cpu.cpp), kernels/cuda/reduce.cuh (reduce_sum), kernels/cuda/check.cuh.
#include <cuda_runtime.h>

#include <algorithm>

#include "engine/deepar/cuda/train_kernels.h"
#include "engine/deepar/kernels_math.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/reduce.cuh"

namespace skucast::deepar {

namespace {

// ---------------------------------------------------------------- kernels ----
__global__ void embedding_fwd_kernel(const EmbeddingColumn* __restrict__ cols, int n_cols, int64_t col0,
                                     const int32_t* __restrict__ codes, const float* __restrict__ w,
                                     float* __restrict__ x, int64_t n_rows, int64_t n_batch, int64_t n_features) {
  const int64_t n = n_rows * n_cols;  // elements (row r, column j), column fastest
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t r = i / n_cols;                // row (t, b), time-major
    const int j = static_cast<int>(i % n_cols);  // embedding column
    const EmbeddingColumn c = cols[j];
    const int32_t code = codes[static_cast<int64_t>(c.attr) * n_batch + r % n_batch];
    x[r * n_features + col0 + j] = embedding_value(c, code, w);
  }
}

__global__ void compose_tail_kernel(const float* __restrict__ base, int64_t n_base, const float* __restrict__ dyn,
                                    const float* __restrict__ sreal, const DynColumn* __restrict__ cols,
                                    int64_t n_cols, int64_t n_series, int64_t n_cov, const int64_t* __restrict__ series,
                                    const int64_t* __restrict__ t0, int64_t n_batch, int64_t n_rows,
                                    float* __restrict__ x, int64_t n_features) {
  const int64_t w = n_base + n_cols;  // columns written per row
  const int64_t n = n_rows * w;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t r = i / w, c = i % w;
    float v;
    if (c < n_base) {
      v = base[r * n_base + c];
    } else {
      const int64_t b = r % n_batch, tau = t0[b] + r / n_batch;
      v = dyn_column_value(cols[c - n_base], dyn, sreal, n_series, n_cov, series[b], tau);
    }
    x[r * n_features + c] = v;
  }
}

__global__ void mask_target_kernel(const int64_t* __restrict__ t0, int64_t n_batch, int64_t n_rows,
                                   int64_t mask_from, int64_t mask_first, float* __restrict__ target) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < n_rows; r += stride) {
    const int64_t t = r / n_batch, b = r % n_batch;
    if (target_masked(t, t0[b], mask_from, mask_first)) target[r] = __int_as_float(0x7fc00000);  // quiet NaN
  }
}

__global__ void gather_codes_kernel(const int32_t* __restrict__ codes, int64_t n_attr, int64_t n_series,
                                    const int64_t* __restrict__ series, int64_t n_batch, int32_t* __restrict__ out) {
  const int64_t n = n_attr * n_batch;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = codes[(i / n_batch) * n_series + series[i % n_batch]];
}

__global__ void embedding_dx_sum_kernel(const float* __restrict__ dx, int64_t n_steps, int64_t n_batch,
                                        int64_t n_features, int64_t col0, int64_t n_cols, float* __restrict__ out) {
  const int64_t n = n_batch * n_cols;  // (window b, column j), column fastest
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t b = i / n_cols, c = col0 + i % n_cols;
    out[b * n_features + c] = window_column_sum(dx, n_steps, n_batch, n_features, b, c);
  }
}

__global__ void embedding_bwd_kernel(const EmbeddingSegment* __restrict__ segs, int n_segs, int max_dim,
                                     const int32_t* __restrict__ win, const EmbeddingAttr* __restrict__ attrs,
                                     const float* __restrict__ dx_sum, int64_t n_features, float* __restrict__ grad) {
  const int64_t n = static_cast<int64_t>(n_segs) * max_dim;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const EmbeddingSegment sg = segs[i / max_dim];
    const int k = static_cast<int>(i % max_dim);
    const EmbeddingAttr at = attrs[sg.attr];
    if (k >= at.dim) continue;
    grad[at.w_offset + static_cast<int64_t>(sg.code) * at.dim + k] =
        segment_column_sum(win, sg.begin, sg.end, dx_sum, n_features, at.col + k);
  }
}

__global__ void head_first_kernel(const float* __restrict__ head, int64_t n_params, int64_t n_rows,
                                  float* __restrict__ out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < n_rows; r += stride)
    out[r] = head[r * n_params];
}

struct LossFn {
  const float* loss;
  __device__ double operator()(int64_t i) const { return static_cast<double>(loss[i]); }
};

constexpr int kBlock = 256;  // element-wise gather: any multiple of 32 does

}  // namespace

// -------------------------------------------------------------- launchers ----
void embedding_fwd(const EmbeddingColumn* cols, int n_cols, int64_t col0, const int32_t* codes, const float* w,
                   float* x, int64_t n_rows, int64_t n_batch, int64_t n_features, cudaStream_t stream) {
  if (n_cols <= 0 || n_rows <= 0) return;
  // n_rows * F already fits the buffers (sized with checked_mul by the caller), and n_cols <= F.
  // No std::string in this file: see the note on the GPU tests' link order in tests/CMakeLists.txt.
  const int64_t n = n_rows * n_cols;
  embedding_fwd_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(cols, n_cols, col0, codes, w, x, n_rows,
                                                                             n_batch, n_features);
  SKU_CHECK_LAUNCH("embedding_fwd_kernel");
}

void loss_row_sum(const float* loss, int64_t n, double* out, cudaStream_t stream) {
  reduce_sum(n, LossFn{loss}, out, ReduceWrite::Overwrite, stream);
}

void compose_tail(const float* base, int64_t n_base, const float* dyn, const float* sreal, const DynColumn* cols,
                  int64_t n_cols, int64_t n_series, int64_t n_cov, const int64_t* series, const int64_t* t0,
                  int64_t n_batch, int64_t n_steps, float* x, int64_t n_features, cudaStream_t stream) {
  const int64_t rows = n_steps * n_batch;
  if (rows <= 0 || n_base + n_cols <= 0) return;
  compose_tail_kernel<<<grid_stride_blocks(rows * (n_base + n_cols), kBlock), kBlock, 0, stream>>>(
      base, n_base, dyn, sreal, cols, n_cols, n_series, n_cov, series, t0, n_batch, rows, x, n_features);
  SKU_CHECK_LAUNCH("compose_tail_kernel");
}

void mask_target(const int64_t* t0, int64_t n_batch, int64_t n_steps, int64_t mask_from, int64_t mask_first,
                 float* target, cudaStream_t stream) {
  const int64_t rows = n_steps * n_batch;
  if (rows <= 0) return;
  mask_target_kernel<<<grid_stride_blocks(rows, kBlock), kBlock, 0, stream>>>(t0, n_batch, rows, mask_from, mask_first,
                                                                              target);
  SKU_CHECK_LAUNCH("mask_target_kernel");
}

void gather_codes(const int32_t* codes, int64_t n_attr, int64_t n_series, const int64_t* series, int64_t n_batch,
                  int32_t* codes_out, cudaStream_t stream) {
  if (n_attr <= 0 || n_batch <= 0) return;
  gather_codes_kernel<<<grid_stride_blocks(n_attr * n_batch, kBlock), kBlock, 0, stream>>>(codes, n_attr, n_series,
                                                                                           series, n_batch, codes_out);
  SKU_CHECK_LAUNCH("gather_codes_kernel");
}

void head_first(const float* head, int64_t n_params, int64_t n_rows, float* head0, cudaStream_t stream) {
  if (n_rows <= 0) return;
  head_first_kernel<<<grid_stride_blocks(n_rows, kBlock), kBlock, 0, stream>>>(head, n_params, n_rows, head0);
  SKU_CHECK_LAUNCH("head_first_kernel");
}

void embedding_dx_sum(const float* dx, int64_t n_steps, int64_t n_batch, int64_t n_features, int64_t col0,
                      int64_t n_cols, float* out, cudaStream_t stream) {
  if (n_steps <= 0 || n_batch <= 0 || n_cols <= 0) return;
  embedding_dx_sum_kernel<<<grid_stride_blocks(n_batch * n_cols, kBlock), kBlock, 0, stream>>>(
      dx, n_steps, n_batch, n_features, col0, n_cols, out);
  SKU_CHECK_LAUNCH("embedding_dx_sum_kernel");
}

void embedding_bwd(const EmbeddingSegment* segs, int n_segs, int max_dim, const int32_t* win,
                   const EmbeddingAttr* attrs, const float* dx_sum, int64_t n_features, float* grad,
                   cudaStream_t stream) {
  if (n_segs <= 0 || max_dim <= 0) return;
  embedding_bwd_kernel<<<grid_stride_blocks(static_cast<int64_t>(n_segs) * max_dim, kBlock), kBlock, 0, stream>>>(
      segs, n_segs, max_dim, win, attrs, dx_sum, n_features, grad);
  SKU_CHECK_LAUNCH("embedding_bwd_kernel");
}

}  // namespace skucast::deepar
