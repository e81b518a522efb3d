// engine/nn/dense.cpp — the dense head (dense.h): one GEMM forward, two GEMMs and a
// column sum backward, split over the rows among the OpenMP threads.
//
// Note [Row-parallel dense head]
//   The head maps every step of every window, N = T x B rows (35,840 at the train_cpu shape),
//   from Hd to P <= 3 outputs. Its GEMMs are thin, and with OpenBLAS held to one thread (Note
//   [One thread pool at a time] in blas.h) they ran on one core while the other waited: at 2
//   threads the head's forward and backward were the largest serial part of a training step.
//   So each OpenMP thread takes a contiguous block of rows (split_rows) and calls single-
//   threaded BLAS on it: its rows of y and dx are its own; the weight gradient dA = dy^T x and
//   db are summed per thread into partials, which are then added in thread order, so a run
//   is deterministic for a given thread count (as the recurrent layers' weight gradients are).
//   forward_into also no longer copies x (9 MB per batch at that shape): the context points at
//   the caller's rows, which the callers (the training step's recurrent outputs) keep.
#include "engine/nn/dense.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/nn/blas.h"
#include "engine/nn/rng.h"
#include "kernels/common.hpp"

namespace skucast::nn {

template <typename T>
Dense<T>::Dense(int64_t n_in, int64_t n_out) : m_n_in(n_in), m_n_out(n_out) {
  if (n_in <= 0 || n_out <= 0)
    throw InputError("dense: expected positive sizes, got n_in=" + std::to_string(n_in) +
                     " n_out=" + std::to_string(n_out));
}

template <typename T>
void Dense<T>::init_uniform(T* weights, uint64_t seed) const {
  const double k = 1.0 / std::sqrt(static_cast<double>(m_n_in));
  for (int64_t i = 0; i < n_params(); ++i) weights[i] = static_cast<T>(k * (2.0 * uniform01(seed, 1, i) - 1.0));
}

namespace {

// Threads for n_rows rows of the head (Note [Row-parallel dense head]): at least 2,048 rows
// each, 1 inside an enclosing parallel region.
int dense_threads(int64_t n_rows) {
  constexpr int64_t kMinRowsPerThread = 2048;
  if (omp_in_parallel()) return 1;
  return static_cast<int>(std::clamp<int64_t>(n_rows / kMinRowsPerThread, 1, omp_get_max_threads()));
}

}  // namespace

template <typename T>
std::unique_ptr<DenseContext<T>> Dense<T>::forward(const T* weights, const T* x, int64_t n_rows) const {
  auto ctx = std::make_unique<DenseContext<T>>();
  ctx->m_x.assign(x, x + checked_mul(n_rows, m_n_in));
  forward_into(*ctx, weights, ctx->m_x.data(), n_rows);
  return ctx;
}

template <typename T>
void Dense<T>::forward_into(DenseContext<T>& ctx_ref, const T* weights, const T* x, int64_t n_rows) const {
  DenseContext<T>* ctx = &ctx_ref;
  ctx->m_n_rows = n_rows;
  ctx->m_xp = x;
  ctx->m_y.resize(checked_mul(n_rows, m_n_out));
  const T* a = weights;                     // [P, Hd]
  const T* b = weights + m_n_out * m_n_in;  // [P]
  T* y = ctx->m_y.data();
  const int nt = dense_threads(n_rows);
  BlasSingleThread blas_guard;  // Note [Row-parallel dense head]
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const RowRange r = split_rows(n_rows, omp_get_thread_num(), omp_get_num_threads());
    for (int64_t i = r.lo; i < r.hi; ++i) std::memcpy(y + i * m_n_out, b, sizeof(T) * m_n_out);
    if (r.hi > r.lo)
      gemm(Trans::No, Trans::Yes, r.hi - r.lo, m_n_out, m_n_in, T(1), x + r.lo * m_n_in, m_n_in, a, m_n_in, T(1),
           y + r.lo * m_n_out, m_n_out);
  }
}

template <typename T>
void Dense<T>::backward(const DenseContext<T>& ctx, const T* weights, const T* dy, T* dx, T* dweights,
                        GradMode mode) const {
  const int64_t N = ctx.n_rows(), P = m_n_out, Hd = m_n_in, n_w = P * Hd + P;
  const bool want_w = mode != GradMode::Ignore;
  if (want_w && dweights == nullptr)
    throw Error("dense backward: dweights is null but the gradient mode is not Ignore");
  const T* x = ctx.m_xp;
  const int nt = dense_threads(N);
  // partial[k]: thread k's dA [P, Hd] then db [P] over its rows.
  std::vector<T> partial(want_w ? static_cast<size_t>(checked_mul(nt, n_w)) : 0, T(0));
  BlasSingleThread blas_guard;  // Note [Row-parallel dense head]
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int k = omp_get_thread_num();
    const RowRange r = split_rows(N, k, omp_get_num_threads());
    const int64_t n = r.hi - r.lo;
    if (n > 0) {
      if (dx)
        gemm(Trans::No, Trans::No, n, Hd, P, T(1), dy + r.lo * P, P, weights, Hd, T(0), dx + r.lo * Hd, Hd);
      if (want_w) {
        T* pa = partial.data() + k * n_w;
        // dA = dy^T x over this thread's rows: [P, n] x [n, Hd]; db = the column sums of dy.
        gemm(Trans::Yes, Trans::No, P, Hd, n, T(1), dy + r.lo * P, P, x + r.lo * Hd, Hd, T(0), pa, Hd);
        for (int64_t i = r.lo; i < r.hi; ++i)
          for (int64_t p = 0; p < P; ++p) pa[P * Hd + p] += dy[i * P + p];
      }
    }
  }
  if (!want_w) return;
  if (mode == GradMode::Overwrite) std::fill(dweights, dweights + n_w, T(0));
  for (int k = 0; k < nt; ++k)
    for (int64_t j = 0; j < n_w; ++j) dweights[j] += partial[static_cast<size_t>(k * n_w + j)];
}

template class Dense<float>;
template class Dense<double>;

}  // namespace skucast::nn
