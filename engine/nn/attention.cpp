// engine/nn/attention.cpp — causal self-attention on the CPU (attention.h, Note [Attention]):
// GEMMs over all rows for the projections, per-window GEMMs for scores and weighted sums
// (OpenMP over windows, single-threaded BLAS inside, Note [One thread pool at a time]), and the
// step-wise path with its key/value cache.
#include "engine/nn/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/nn/blas.h"
#include "engine/nn/rng.h"
#include "kernels/common.hpp"

namespace skucast::nn {

void AttentionConfig::validate() const {
  if (n_hidden <= 0 || n_key <= 0)
    throw InputError("attention: expected positive sizes, got n_hidden=" + std::to_string(n_hidden) +
                     " n_key=" + std::to_string(n_key));
}

int64_t attention_n_params(const AttentionConfig& cfg) { return 4 * cfg.n_key * cfg.n_hidden; }

template <typename T>
Attention<T>::Attention(const AttentionConfig& cfg) : m_cfg(cfg) {
  m_cfg.validate();
}

template <typename T>
void Attention<T>::init_uniform(T* weights, uint64_t seed) const {
  const int64_t D = m_cfg.n_key, Hd = m_cfg.n_hidden;
  const double k = 1.0 / std::sqrt(static_cast<double>(Hd));
  for (int64_t i = 0; i < 3 * D * Hd; ++i) weights[i] = static_cast<T>(k * (2.0 * uniform01(seed, 2, i) - 1.0));
  std::fill(weights + 3 * D * Hd, weights + 4 * D * Hd, T(0));  // W_o: Note [Attention]
}

namespace {

// Row t of causal scores s [n] (entries j <= t used) into softmax weights a [n], 0 above t.
template <typename T>
void causal_softmax_row(const T* s, int64_t t, int64_t n, T* a) {
  T m = s[0];
  for (int64_t j = 1; j <= t; ++j) m = std::max(m, s[j]);
  T sum = 0;
  for (int64_t j = 0; j <= t; ++j) sum += a[j] = std::exp(s[j] - m);
  for (int64_t j = 0; j <= t; ++j) a[j] /= sum;
  std::fill(a + t + 1, a + n, T(0));
}

}  // namespace

template <typename T>
void Attention<T>::forward_into(AttentionContext<T>& ctx, const T* w, const T* h, int64_t n_steps,
                                int64_t n_batch) const {
  const int64_t D = m_cfg.n_key, Hd = m_cfg.n_hidden, N = n_steps, B = n_batch, R = checked_mul(N, B);
  const T scale = T(1) / std::sqrt(static_cast<T>(D));
  const T* w_qkv = w;             // [3D, Hd]
  const T* w_o = w + 3 * D * Hd;  // [Hd, D]
  ctx.m_n_steps = N;
  ctx.m_n_batch = B;
  ctx.m_h.assign(h, h + checked_mul(R, Hd));
  ctx.m_qkv.resize(checked_mul(R, 3 * D));
  ctx.m_a.resize(checked_mul(B, checked_mul(N, N)));
  ctx.m_o.resize(checked_mul(R, D));
  // Projections of every (t, b) row: [R, Hd] x [Hd, 3D].
  gemm(Trans::No, Trans::Yes, R, 3 * D, Hd, T(1), h, Hd, w_qkv, Hd, T(0), ctx.m_qkv.data(), 3 * D);
  {
    BlasSingleThread single;
    const int64_t ld = B * 3 * D;  // row stride of one window's q, k or v over time
#pragma omp parallel
    {
      std::vector<T> s(static_cast<size_t>(N * N));  // [T, T] this window's scores
#pragma omp for schedule(static)
      for (int64_t b = 0; b < B; ++b) {
        const T* q = ctx.m_qkv.data() + b * 3 * D;  // [T, D] stride ld
        T* a = ctx.m_a.data() + b * N * N;          // [T, T]
        gemm(Trans::No, Trans::Yes, N, N, D, scale, q, ld, q + D, ld, T(0), s.data(), N);
        for (int64_t t = 0; t < N; ++t) causal_softmax_row(s.data() + t * N, t, N, a + t * N);
        // o_b [T, D] (stride B*D) = a [T, T] x v_b [T, D].
        gemm(Trans::No, Trans::No, N, D, N, T(1), a, N, q + 2 * D, ld, T(0), ctx.m_o.data() + b * D, B * D);
      }
    }
  }
  // y = h + o W_o^T.
  ctx.m_y.assign(h, h + R * Hd);
  gemm(Trans::No, Trans::Yes, R, Hd, D, T(1), ctx.m_o.data(), D, w_o, D, T(1), ctx.m_y.data(), Hd);
}

template <typename T>
void Attention<T>::backward(const AttentionContext<T>& ctx, const T* w, const T* dy, T* dh, T* dweights,
                            GradMode mode) const {
  const int64_t D = m_cfg.n_key, Hd = m_cfg.n_hidden, N = ctx.m_n_steps, B = ctx.m_n_batch, R = N * B;
  if (mode != GradMode::Ignore && dweights == nullptr)
    throw Error("attention backward: dweights is null but the gradient mode is not Ignore");
  const T scale = T(1) / std::sqrt(static_cast<T>(D));
  const T beta = mode == GradMode::Accumulate ? T(1) : T(0);
  const T* w_qkv = w;
  const T* w_o = w + 3 * D * Hd;
  // dO = dy W_o [R, D]; dW_o = dy^T o [Hd, D].
  ctx.m_do.resize(checked_mul(R, D));
  gemm(Trans::No, Trans::No, R, D, Hd, T(1), dy, Hd, w_o, D, T(0), ctx.m_do.data(), D);
  if (mode != GradMode::Ignore)
    gemm(Trans::Yes, Trans::No, Hd, D, R, T(1), dy, Hd, ctx.m_o.data(), D, beta, dweights + 3 * D * Hd, D);
  ctx.m_dqkv.resize(checked_mul(R, 3 * D));
  {
    BlasSingleThread single;
    const int64_t ld = B * 3 * D;
#pragma omp parallel
    {
      std::vector<T> ds(static_cast<size_t>(N * N));  // [T, T] dL/da, then dL/ds
#pragma omp for schedule(static)
      for (int64_t b = 0; b < B; ++b) {
        const T* q = ctx.m_qkv.data() + b * 3 * D;
        const T* a = ctx.m_a.data() + b * N * N;
        const T* dob = ctx.m_do.data() + b * D;  // [T, D] stride B*D
        T* dq = ctx.m_dqkv.data() + b * 3 * D;   // [T, D] stride ld, likewise dk, dv
        // da = dO v^T; dv = a^T dO.
        gemm(Trans::No, Trans::Yes, N, N, D, T(1), dob, B * D, q + 2 * D, ld, T(0), ds.data(), N);
        gemm(Trans::Yes, Trans::No, N, D, N, T(1), a, N, dob, B * D, T(0), dq + 2 * D, ld);
        // Softmax backward per row: ds_tj = a_tj (da_tj - sum_k a_tk da_tk), times the score scale.
        for (int64_t t = 0; t < N; ++t) {
          T* r = ds.data() + t * N;
          const T* ar = a + t * N;
          T dot = 0;
          for (int64_t j = 0; j <= t; ++j) dot += ar[j] * r[j];
          for (int64_t j = 0; j <= t; ++j) r[j] = scale * ar[j] * (r[j] - dot);
          std::fill(r + t + 1, r + N, T(0));
        }
        // dq = ds k; dk = ds^T q.
        gemm(Trans::No, Trans::No, N, D, N, T(1), ds.data(), N, q + D, ld, T(0), dq, ld);
        gemm(Trans::Yes, Trans::No, N, D, N, T(1), ds.data(), N, q, ld, T(0), dq + D, ld);
      }
    }
  }
  // dW_qkv = dqkv^T h [3D, Hd]; dh = dy + dqkv W_qkv.
  if (mode != GradMode::Ignore)
    gemm(Trans::Yes, Trans::No, 3 * D, Hd, R, T(1), ctx.m_dqkv.data(), 3 * D, ctx.m_h.data(), Hd, beta, dweights, Hd);
  std::copy(dy, dy + R * Hd, dh);
  gemm(Trans::No, Trans::No, R, Hd, 3 * D, T(1), ctx.m_dqkv.data(), 3 * D, w_qkv, Hd, T(1), dh, Hd);
}

template <typename T>
void Attention<T>::prime(AttentionCache<T>& cache, const T* w, const T* h, int64_t n_prefix, int64_t n_groups,
                         int64_t rows_per_group, int64_t capacity) const {
  const int64_t D = m_cfg.n_key, Hd = m_cfg.n_hidden;
  const int64_t R = checked_mul(n_groups, rows_per_group);
  cache.n_groups = n_groups;
  cache.rows_per_group = rows_per_group;
  cache.n_prefix = n_prefix;
  cache.n_steps = 0;
  cache.capacity = capacity;
  cache.kv_prefix.resize(checked_mul(checked_mul(n_prefix, n_groups), 2 * D));
  // k | v of the prefix: the rows D .. 3D of W_qkv.
  gemm(Trans::No, Trans::Yes, n_prefix * n_groups, 2 * D, Hd, T(1), h, Hd, w + D * Hd, Hd, T(0),
       cache.kv_prefix.data(), 2 * D);
  cache.kv.resize(checked_mul(checked_mul(R, capacity), 2 * D));
  cache.qkv.resize(checked_mul(R, 3 * D));
  cache.o.resize(checked_mul(R, D));
}

template <typename T>
void Attention<T>::step(AttentionCache<T>& cache, const T* w, const T* h, T* y) const {
  const int64_t D = m_cfg.n_key, Hd = m_cfg.n_hidden;
  const int64_t G = cache.n_groups, per = cache.rows_per_group, R = G * per, T0 = cache.n_prefix;
  const int64_t n = cache.n_steps, cap = cache.capacity;
  if (n >= cap)
    throw Error("attention step: the cache holds " + std::to_string(cap) + " steps per row, all used");
  const T scale = T(1) / std::sqrt(static_cast<T>(D));
  gemm(Trans::No, Trans::Yes, R, 3 * D, Hd, T(1), h, Hd, w, Hd, T(0), cache.qkv.data(), 3 * D);
#pragma omp parallel
  {
    std::vector<T> s(static_cast<size_t>(T0 + n + 1));  // scores over the prefix, then the row's own steps
#pragma omp for schedule(static)
    for (int64_t r = 0; r < R; ++r) {
      const T* q = cache.qkv.data() + r * 3 * D;
      T* own = cache.kv.data() + r * cap * 2 * D;  // [cap, 2D] this row's k | v
      std::copy(q + D, q + 3 * D, own + n * 2 * D);
      const int64_t g = r / per;
      auto key = [&](int64_t j) {  // k | v of step j of the row's sequence
        return j < T0 ? cache.kv_prefix.data() + (j * G + g) * 2 * D : own + (j - T0) * 2 * D;
      };
      const int64_t len = T0 + n + 1;
      T m = 0;
      for (int64_t j = 0; j < len; ++j) {
        const T* k = key(j);
        T dot = 0;
        for (int64_t c = 0; c < D; ++c) dot += q[c] * k[c];
        s[j] = scale * dot;
        m = j == 0 ? s[j] : std::max(m, s[j]);
      }
      T sum = 0;
      for (int64_t j = 0; j < len; ++j) sum += s[j] = std::exp(s[j] - m);
      T* o = cache.o.data() + r * D;
      std::fill(o, o + D, T(0));
      for (int64_t j = 0; j < len; ++j) {
        const T* v = key(j) + D;
        const T aj = s[j] / sum;
        for (int64_t c = 0; c < D; ++c) o[c] += aj * v[c];
      }
    }
  }
  cache.n_steps = n + 1;
  std::copy(h, h + R * Hd, y);
  gemm(Trans::No, Trans::Yes, R, Hd, D, T(1), cache.o.data(), D, w + 3 * D * Hd, D, T(1), y, Hd);
}

template class Attention<float>;
template class Attention<double>;

}  // namespace skucast::nn
