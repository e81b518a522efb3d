// engine/nn/blas.h — row-major GEMM for float and double over OpenBLAS (cblas), used by the
// CPU recurrent layers and the dense head. Internal to engine/nn.
//
//   C[m, n] = alpha * op(A) * op(B) + beta * C,  all row-major,
//   op(A) is [m, k] (A stored [m, k], or [k, m] when trans_a), op(B) is [k, n].
// Sizes are int64 here and narrowed to BLAS int at this one edge (STYLE M10).
#pragma once

#include <cblas.h>

#include <cstdint>

#include "kernels/common.hpp"

namespace skucast::nn {

enum class Trans { No, Yes };

inline void gemm(Trans trans_a, Trans trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                 int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, trans_a == Trans::Yes ? CblasTrans : CblasNoTrans,
              trans_b == Trans::Yes ? CblasTrans : CblasNoTrans, checked_int(m, "gemm m"), checked_int(n, "gemm n"),
              checked_int(k, "gemm k"), alpha, a, checked_int(lda, "gemm lda"), b, checked_int(ldb, "gemm ldb"), beta,
              c, checked_int(ldc, "gemm ldc"));
}

inline void gemm(Trans trans_a, Trans trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                 int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasRowMajor, trans_a == Trans::Yes ? CblasTrans : CblasNoTrans,
              trans_b == Trans::Yes ? CblasTrans : CblasNoTrans, checked_int(m, "gemm m"), checked_int(n, "gemm n"),
              checked_int(k, "gemm k"), alpha, a, checked_int(lda, "gemm lda"), b, checked_int(ldb, "gemm ldb"), beta,
              c, checked_int(ldc, "gemm ldc"));
}

// Column sums of a row-major [rows, cols] matrix: out[j] = sum_i a[i, j] + beta * out[j]
// (bias gradients). `ones` holds at least `rows` ones.
inline void col_sums(int64_t rows, int64_t cols, const float* a, const float* ones, float beta, float* out) {
  if (cols == 0) return;
  cblas_sgemv(CblasRowMajor, CblasTrans, checked_int(rows, "gemv rows"), checked_int(cols, "gemv cols"), 1.0f, a,
              checked_int(cols, "gemv lda"), ones, 1, beta, out, 1);
}
inline void col_sums(int64_t rows, int64_t cols, const double* a, const double* ones, double beta, double* out) {
  if (cols == 0) return;
  cblas_dgemv(CblasRowMajor, CblasTrans, checked_int(rows, "gemv rows"), checked_int(cols, "gemv cols"), 1.0, a,
              checked_int(cols, "gemv lda"), ones, 1, beta, out, 1);
}

}  // namespace skucast::nn
