// engine/nn/dense.cpp — the dense head (dense.h): one GEMM forward, two GEMMs and a
// column sum backward.
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

template <typename T>
std::unique_ptr<DenseContext<T>> Dense<T>::forward(const T* weights, const T* x, int64_t n_rows) const {
  auto ctx = std::make_unique<DenseContext<T>>();
  forward_into(*ctx, weights, x, n_rows);
  return ctx;
}

template <typename T>
void Dense<T>::forward_into(DenseContext<T>& ctx_ref, const T* weights, const T* x, int64_t n_rows) const {
  DenseContext<T>* ctx = &ctx_ref;
  ctx->m_n_rows = n_rows;
  ctx->m_x.assign(x, x + checked_mul(n_rows, m_n_in));
  ctx->m_y.resize(checked_mul(n_rows, m_n_out));
  const T* a = weights;                     // [P, Hd]
  const T* b = weights + m_n_out * m_n_in;  // [P]
  for (int64_t r = 0; r < n_rows; ++r) std::memcpy(ctx->m_y.data() + r * m_n_out, b, sizeof(T) * m_n_out);
  gemm(Trans::No, Trans::Yes, n_rows, m_n_out, m_n_in, T(1), x, m_n_in, a, m_n_in, T(1), ctx->m_y.data(), m_n_out);
}

template <typename T>
void Dense<T>::backward(const DenseContext<T>& ctx, const T* weights, const T* dy, T* dx, T* dweights,
                        GradMode mode) const {
  const int64_t N = ctx.n_rows();
  if (dx) gemm(Trans::No, Trans::No, N, m_n_in, m_n_out, T(1), dy, m_n_out, weights, m_n_in, T(0), dx, m_n_in);
  if (mode == GradMode::Ignore) return;
  if (dweights == nullptr) throw Error("dense backward: dweights is null but the gradient mode is not Ignore");
  const T beta = mode == GradMode::Accumulate ? T(1) : T(0);
  // dA = dy^T x: [P, N] x [N, Hd]; db = column sums of dy.
  gemm(Trans::Yes, Trans::No, m_n_out, m_n_in, N, T(1), dy, m_n_out, ctx.m_x.data(), m_n_in, beta, dweights, m_n_in);
  std::vector<T> ones(static_cast<size_t>(std::max<int64_t>(N, 1)), T(1));
  col_sums(N, m_n_out, dy, ones.data(), beta, dweights + m_n_out * m_n_in);
}

template class Dense<float>;
template class Dense<double>;

}  // namespace skucast::nn
