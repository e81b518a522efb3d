// engine/models/deepar_cuda.cu — kernels and launchers of deepar_cuda_kernels.h.
// defines: embedding_fwd_kernel (grid-stride over (row, embedding column)), LossFn (the
//          functor of reduce_sum); embedding_fwd, loss_row_sum (launchers).
// uses: kernels/reduce.cuh (reduce_sum), kernels/cuda_check.cuh.
#include <cuda_runtime.h>

#include <algorithm>

#include "engine/models/deepar_cuda_kernels.h"
#include "kernels/cuda_check.cuh"
#include "kernels/reduce.cuh"

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
    x[r * n_features + col0 + j] = code >= 0 && code < c.n_levels ? w[c.w_offset + static_cast<int64_t>(code) * c.dim]
                                                                  : 0.0f;
  }
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
  // Grid-stride: at most 4,096 blocks of 256 (~30 per SM on an H200), enough loads in flight.
  const int n_blocks = static_cast<int>(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, 4096));
  embedding_fwd_kernel<<<n_blocks, kBlock, 0, stream>>>(cols, n_cols, col0, codes, w, x, n_rows, n_batch,
                                                        n_features);
  SKU_CHECK_LAUNCH("embedding_fwd_kernel");
}

void loss_row_sum(const float* loss, int64_t n, double* out, cudaStream_t stream) {
  reduce_sum(n, LossFn{loss}, out, ReduceWrite::Overwrite, stream);
}

}  // namespace skucast::deepar
