// engine/nn/dense.h — the dense head: a linear layer mapping the recurrent output to the
// likelihood parameters, y = x A^T + b (PyTorch's nn.Linear).
//
// Weight layout (one flat buffer, PyTorch's weight then bias):
//   A [P, Hd] row-major (P outputs, Hd inputs), then b [P].
// Templated on float (production) and double (gradient checks), instantiated in dense.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/nn/rnn.h"

namespace skucast::nn {

// What backward needs from forward (STYLE B5): the input rows and the output. forward_into
// keeps a pointer to its input rows, not a copy (Note [Row-parallel dense head] in dense.cpp).
template <typename T>
class DenseContext {
 public:
  DenseContext() = default;
  DenseContext(const DenseContext&) = delete;
  DenseContext& operator=(const DenseContext&) = delete;
  DenseContext(DenseContext&&) = delete;
  DenseContext& operator=(DenseContext&&) = delete;

  int64_t n_rows() const { return m_n_rows; }
  const T* y() const { return m_y.data(); }  // [N, P]

 private:
  template <typename U>
  friend class Dense;
  int64_t m_n_rows = 0;
  const T* m_xp = nullptr;  // [N, Hd] the input rows backward reads: the caller's, or m_x
  std::vector<T> m_x;       // [N, Hd] forward()'s own copy of them
  std::vector<T> m_y;       // [N, P]
};

template <typename T>
class Dense {
 public:
  // n_in = Hd, n_out = P; throws InputError unless both are positive.
  Dense(int64_t n_in, int64_t n_out);
  int64_t n_in() const { return m_n_in; }
  int64_t n_out() const { return m_n_out; }
  int64_t n_params() const { return m_n_out * m_n_in + m_n_out; }

  // PyTorch's default: A and b U(-1/sqrt(Hd), 1/sqrt(Hd)). weights: [n_params()].
  void init_uniform(T* weights, uint64_t seed) const;

  // [in] weights [n_params()], x [N, Hd] (rows: any order, e.g. time-major (t, b)). The
  // context holds a copy of x.
  std::unique_ptr<DenseContext<T>> forward(const T* weights, const T* x, int64_t n_rows) const;
  // The same into an existing context, reusing its buffers; the context points at x, which must
  // stay unchanged until backward (no copy of the N x Hd rows per call).
  void forward_into(DenseContext<T>& ctx, const T* weights, const T* x, int64_t n_rows) const;

  // [in] dy = dL/dy [N, P]. [out] dx [N, Hd] overwritten (nullptr: skipped);
  // dweights [n_params()] written as `mode` says.
  void backward(const DenseContext<T>& ctx, const T* weights, const T* dy, T* dx, T* dweights,
                GradMode mode) const;

 private:
  int64_t m_n_in, m_n_out;
};

}  // namespace skucast::nn
