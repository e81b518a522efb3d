// engine/nn/attention.h — causal scaled dot-product self-attention over a recurrent stack's
// outputs, on the CPU: forward and backward over whole sequences (training, validation), and a
// step-wise forward with a key/value cache (ancestral sampling, one step at a time).
//
// Defines: AttentionConfig, the flat weight layout, AttentionContext (what backward needs,
// STYLE B5), AttentionCache (the keys and values of the steps decoded so far) and
// Attention<T>. Templated on float (production) and double (the finite-difference gradient
// checks, STYLE T7); both instantiated in attention.cpp.
//
// Note [Attention]
//   One head of causal self-attention over the top recurrent layer's outputs h_1..h_T,
//   added to them as a residual, so the likelihood head reads
//     y_t = h_t + W_o o_t,   o_t = sum_{j <= t} a_tj v_j,   a_t = softmax_j(q_t . k_j / sqrt(D)),
//     q_t = W_q h_t, k_j = W_k h_j, v_j = W_v h_j   (D = key width, Hd = hidden width).
//   Why this form:
//   - Causal (step t sees steps <= t): teacher-forced training over a window and step-by-step
//     sampling compute the same function, so the step-wise path needs no approximation. A
//     decoding step appends its key and value to a cache and attends over the encoder's
//     steps (shared by every path of a series) and its own path's decoded steps.
//   - Over the RNN's outputs, not its inputs: the recurrence already summarises the recent
//     past; attention adds a direct route to any earlier step of the window (last year's
//     promotion week, the same weekday four weeks back) that the recurrent state forgets.
//   - A residual with W_o initialised to 0 (init_uniform): a fresh model starts as the plain
//     RNN + head and learns how much to attend. W_q, W_k, W_v get gradients as soon as W_o
//     moves off 0 (first AdamW step).
//   - One head, no biases, no layer norm: the windows are short (context 40-112 + horizon) and
//     the hidden state small (64); cost per window is O(T^2 D), below the recurrence's
//     O(T Hd^2 G) for T up to a few hundred.
//   The products are BLAS GEMMs (engine/nn/blas.h): the projections over all T*B rows at once,
//   the scores and weighted sums per window (strided views into the time-major tensors).
//   Where it stands (2026-12-06, bench/README.md): with the default GRU, orange-juice MASE of the
//   median 0.408 against 0.404 without it (seeds 0-3), synthetic RMSSE 0.7147 against 0.7153; not
//   better on both, so deepar's --attention stays off by default. No GPU twin yet: an attention
//   model asked for the GPU trains and samples on the CPU and says so (engine/deepar/train.cpp,
//   forecast.cpp).
//
// Weight layout (one flat buffer): W_qkv [3D, Hd] row-major (the rows of W_q, then W_k, then
// W_v; PyTorch's nn.Linear weight convention, y = x W^T), then W_o [Hd, D].
// Layouts: h, y [T, B, Hd] time-major as in engine/nn/rnn.h.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/nn/rnn.h"

namespace skucast::nn {

struct AttentionConfig {
  int64_t n_hidden = 0;  // Hd: width of the sequence attended over and of the output
  int64_t n_key = 0;     // D: width of queries, keys and values
  // Throws InputError unless both are positive.
  void validate() const;
};

int64_t attention_n_params(const AttentionConfig& cfg);  // 3*D*Hd + Hd*D

// What backward needs from forward (STYLE B5). Owned host buffers; neither copyable nor movable.
template <typename T>
class AttentionContext {
 public:
  AttentionContext() = default;
  AttentionContext(const AttentionContext&) = delete;
  AttentionContext& operator=(const AttentionContext&) = delete;
  AttentionContext(AttentionContext&&) = delete;
  AttentionContext& operator=(AttentionContext&&) = delete;

  int64_t n_steps() const { return m_n_steps; }
  int64_t n_batch() const { return m_n_batch; }
  const T* y() const { return m_y.data(); }  // [T, B, Hd]

 private:
  template <typename U>
  friend class Attention;
  int64_t m_n_steps = 0, m_n_batch = 0;
  std::vector<T> m_h;    // [T, B, Hd] the input
  std::vector<T> m_qkv;  // [T, B, 3D] q | k | v per row
  std::vector<T> m_a;    // [B, T, T] attention weights (row t: weights over steps j <= t, 0 above)
  std::vector<T> m_o;    // [T, B, D] attended values
  std::vector<T> m_y;    // [T, B, Hd]
  mutable std::vector<T> m_dqkv, m_do, m_scratch;  // backward scratch (a context serves one thread)
};

// Keys and values for step-wise decoding. Rows come in groups: the R = G * rows_per_group rows
// (row r belongs to group r / rows_per_group, e.g. the sample paths of one series) share the
// keys and values of a prefix (the encoder's steps), and each row appends its own.
template <typename T>
struct AttentionCache {
  int64_t n_groups = 0, rows_per_group = 0;
  int64_t n_prefix = 0;  // T0: prefix steps
  int64_t n_steps = 0;   // steps appended per row so far
  int64_t capacity = 0;  // most steps a row can append
  std::vector<T> kv_prefix;  // [T0, G, 2D] k | v of the prefix, time-major
  std::vector<T> kv;         // [R, capacity, 2D] k | v of each row's appended steps
  std::vector<T> qkv;        // [R, 3D] the last step's projections (scratch)
  std::vector<T> o;          // [R, D] the last step's attended values (scratch)
};

template <typename T>
class Attention {
 public:
  explicit Attention(const AttentionConfig& cfg);
  const AttentionConfig& config() const { return m_cfg; }
  int64_t n_params() const { return attention_n_params(m_cfg); }

  // W_qkv U(-1/sqrt(Hd), 1/sqrt(Hd)) (nn.Linear's default) from the seed; W_o = 0 (Note
  // [Attention]: a fresh model starts as the plain recurrent one). weights: [n_params()].
  void init_uniform(T* weights, uint64_t seed) const;

  // [in] weights [n_params()], h [T, B, Hd] (host). The context holds y [T, B, Hd].
  void forward_into(AttentionContext<T>& ctx, const T* weights, const T* h, int64_t n_steps, int64_t n_batch) const;

  // [in] ctx from forward with the same weights; dy = dL/dy [T, B, Hd].
  // [out] dh = dL/dh [T, B, Hd] overwritten (may not alias dy); dweights [n_params()] written
  //       as `mode` says (nullptr only with GradMode::Ignore).
  void backward(const AttentionContext<T>& ctx, const T* weights, const T* dy, T* dh, T* dweights,
                GradMode mode) const;

  // Step-wise forward (Note [Attention]: equal to forward_into on the whole sequence).
  // prime: h [T0, G, Hd] the prefix (T0 may be 0); resets the cache for G groups of
  //   rows_per_group rows that will append at most `capacity` steps.
  void prime(AttentionCache<T>& cache, const T* weights, const T* h, int64_t n_prefix, int64_t n_groups,
             int64_t rows_per_group, int64_t capacity) const;
  // step: h [R, Hd] the rows' next step; appends its keys and values and writes y [R, Hd].
  void step(AttentionCache<T>& cache, const T* weights, const T* h, T* y) const;

 private:
  AttentionConfig m_cfg;
};

}  // namespace skucast::nn
