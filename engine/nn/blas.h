// engine/nn/blas.h — row-major GEMM for float and double over OpenBLAS (cblas), used by the
// CPU recurrent layers and the dense head. Internal to engine/nn.
//
//   C[m, n] = alpha * op(A) * op(B) + beta * C,  all row-major,
//   op(A) is [m, k] (A stored [m, k], or [k, m] when trans_a), op(B) is [k, n].
// Sizes are int64 here and narrowed to BLAS int at this one edge (STYLE M10).
#pragma once

#include <cblas.h>

#include <omp.h>

#include <algorithm>
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

// Column sums of a row-major [rows, cols] matrix with row stride lda (default cols):
// out[j] = sum_i a[i, j] + beta * out[j] (bias gradients). `ones` holds at least `rows` ones.
inline void col_sums(int64_t rows, int64_t cols, const float* a, const float* ones, float beta, float* out,
                     int64_t lda = -1) {
  if (cols == 0) return;
  cblas_sgemv(CblasRowMajor, CblasTrans, checked_int(rows, "gemv rows"), checked_int(cols, "gemv cols"), 1.0f, a,
              checked_int(lda < 0 ? cols : lda, "gemv lda"), ones, 1, beta, out, 1);
}
inline void col_sums(int64_t rows, int64_t cols, const double* a, const double* ones, double beta, double* out,
                     int64_t lda = -1) {
  if (cols == 0) return;
  cblas_dgemv(CblasRowMajor, CblasTrans, checked_int(rows, "gemv rows"), checked_int(cols, "gemv cols"), 1.0, a,
              checked_int(lda < 0 ? cols : lda, "gemv lda"), ones, 1, beta, out, 1);
}

// Note [One thread pool at a time]
//   OpenBLAS (the pthread build) has its own worker pool, and its workers spin for a while
//   after each threaded call. Calling a threaded GEMM next to, or from inside, an OpenMP
//   region makes the two pools fight for the same cores (measured: 3.5x slower on 2 cores
//   when per-step OpenMP regions sat between threaded GEMMs). So the recurrent layers own
//   the threading: one OpenMP region per layer pass, each thread calling single-threaded
//   BLAS on its own block of rows, and BlasSingleThread keeps OpenBLAS to one thread for
//   the duration of each forward or backward pass. It is a process-wide setting: only
//   touched from outside any parallel region.
class BlasSingleThread {
 public:
  BlasSingleThread() {
#ifdef OPENBLAS_VERSION
    if (!omp_in_parallel()) {
      m_prev = openblas_get_num_threads();
      if (m_prev > 1) openblas_set_num_threads(1);
    }
#endif
  }
  ~BlasSingleThread() {
#ifdef OPENBLAS_VERSION
    if (m_prev > 1) openblas_set_num_threads(m_prev);
#endif
  }
  BlasSingleThread(const BlasSingleThread&) = delete;
  BlasSingleThread& operator=(const BlasSingleThread&) = delete;

 private:
  int m_prev = 0;
};

// Threads for a recurrent layer pass over n_batch windows: each thread runs the whole
// recurrence for its own block of windows (rows of the batch are independent), so there is
// no barrier per step. At least kMinRowsPerThread rows each, so the per-thread GEMMs stay
// efficient; 1 inside an enclosing parallel region.
inline int rnn_threads(int64_t n_batch) {
  constexpr int64_t kMinRowsPerThread = 32;
  if (omp_in_parallel()) return 1;
  const int64_t by_rows = std::max<int64_t>(1, n_batch / kMinRowsPerThread);
  return static_cast<int>(std::min<int64_t>(omp_get_max_threads(), by_rows));
}

// Part `part` of `parts` of [0, n): [lo, hi), contiguous, sizes differ by at most one.
struct RowRange {
  int64_t lo = 0, hi = 0;
};
inline RowRange split_rows(int64_t n, int part, int parts) { return {n * part / parts, n * (part + 1) / parts}; }

}  // namespace skucast::nn
