// engine/nn/deepar.h — the minimal DeepAR-style training loop on the CPU: features of a
// batch of windows (kernels/features.hpp) -> LSTM/GRU stack (rnn.h) -> dense head
// (dense.h) -> likelihood loss (loss.h) -> backward -> AdamW with clipping (adam.h).
//
// All parameters live in one flat float buffer: the recurrent stack (Note [RNN weight
// layout]) followed by the head (A [P, Hd], b [P]). The loss covers every step of the
// window (context and horizon): step t predicts y[t0 + t] from inputs built only from
// values before it (teacher forcing), and unobserved targets are masked.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/nn/adam.h"
#include "engine/nn/dense.h"
#include "engine/nn/loss.h"
#include "engine/nn/rnn.h"
#include "kernels/features.hpp"

namespace skucast::nn {

struct DeepArConfig {
  CellType cell = CellType::Lstm;
  int64_t n_hidden = 64;
  int64_t n_layers = 2;
  float dropout = 0.0f;
  int64_t context = 112;  // steps of history each window sees before its horizon
  int64_t horizon = 28;
  LikelihoodParams likelihood{};
  FeatureSpec features{};
  AdamWConfig optim{};
  uint64_t seed = 0;  // weight init and dropout
};

class DeepArNet {
 public:
  explicit DeepArNet(const DeepArConfig& cfg);

  const DeepArConfig& config() const { return m_cfg; }
  int64_t n_features() const { return m_rnn.config().n_input; }
  int64_t n_params() const { return static_cast<int64_t>(m_weights.size()); }
  std::vector<float>& weights() { return m_weights; }  // [n_params]: RNN, then head

  // One step on ready inputs: x [T, B, F], target [T, B] (NaN = masked), scale [B],
  // weight [B] or nullptr. Forward, loss, backward, AdamW. Returns the batch loss.
  double train_step(const float* x, const float* target, const float* scale, const float* weight, int64_t n_steps,
                    int64_t n_batch);

  // One step on windows of a panel block y [S, N]: cuts features, targets and scales
  // (batch.n_steps must be context + horizon), then train_step above.
  double train_step_windows(const float* y, int64_t n_series, int64_t n_time, const WindowBatch& batch,
                            const float* calendar, int64_t n_cal, const float* weight);

 private:
  DeepArConfig m_cfg;
  Rnn<float> m_rnn;
  Dense<float> m_head;
  std::vector<float> m_weights, m_grad;  // [n_params]
  AdamW m_opt;
  // Reused across steps so that a step does not fault in fresh pages (tens of MB).
  std::unique_ptr<RnnContext<float>> m_rctx;
  std::unique_ptr<DenseContext<float>> m_dctx;
  std::vector<float> m_draw, m_dy;                 // [T, B, P], [T, B, Hd]
  std::vector<float> m_x, m_target, m_scale;       // [T, B, F], [T, B], [B]
  uint64_t m_n_steps_done = 0;
};

// Draws B training windows of length T = context + horizon: a series, uniformly, among
// those with an observed value in the window's horizon part, and an origin uniformly
// among such positions. Deterministic in seed. Returns false when no series qualifies.
bool sample_windows(const float* y, int64_t n_series, int64_t n_time, int64_t context, int64_t horizon,
                    int64_t n_batch, uint64_t seed, std::vector<int64_t>& series, std::vector<int64_t>& t0);

}  // namespace skucast::nn
