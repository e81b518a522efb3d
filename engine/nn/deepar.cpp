// engine/nn/deepar.cpp — the minimal DeepAR-style training step (deepar.h).
#include "engine/nn/deepar.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/nn/blas.h"
#include "engine/nn/rng.h"
#include "kernels/common.hpp"

namespace skucast::nn {

namespace {
RnnConfig rnn_config(const DeepArConfig& c) {
  return RnnConfig{c.cell, feature_count(c.features), c.n_hidden, c.n_layers, c.dropout};
}
}  // namespace

DeepArNet::DeepArNet(const DeepArConfig& cfg)
    : m_cfg(cfg),
      m_rnn(rnn_config(cfg)),
      m_head(cfg.n_hidden, likelihood_n_params(cfg.likelihood.kind)),
      m_opt(cfg.optim, rnn_n_params(rnn_config(cfg)) + m_head.n_params()) {
  if (cfg.context <= 0 || cfg.horizon <= 0)
    throw InputError("deepar: expected positive context and horizon, got " + std::to_string(cfg.context) + ", " +
                     std::to_string(cfg.horizon));
  m_weights.resize(m_rnn.n_params() + m_head.n_params());
  m_grad.resize(m_weights.size());
  m_rnn.init_uniform(m_weights.data(), cfg.seed);
  m_head.init_uniform(m_weights.data() + m_rnn.n_params(), cfg.seed);
}

double DeepArNet::train_step(const float* x, const float* target, const float* scale, const float* weight,
                             int64_t n_steps, int64_t n_batch) {
  const int64_t n_rnn = m_rnn.n_params(), P = m_head.n_out(), Hd = m_cfg.n_hidden;
  // The recurrent layers thread themselves; no OpenBLAS worker may spin beside them, so
  // the head's GEMMs run single-threaded too (Note [One thread pool at a time], blas.h).
  BlasSingleThread blas_guard;
  float* w = m_weights.data();
  const uint64_t dropout_seed = splitmix64(m_cfg.seed ^ (0xD5A61266F0C9392Cull + m_n_steps_done++));
  if (!m_rctx) m_rctx = std::make_unique<RnnContext<float>>();
  if (!m_dctx) m_dctx = std::make_unique<DenseContext<float>>();
  m_rnn.forward_into(*m_rctx, w, x, n_steps, n_batch, nullptr, nullptr, Phase::Training, dropout_seed);
  m_head.forward_into(*m_dctx, w + n_rnn, m_rctx->y(), n_steps * n_batch);
  m_draw.resize(checked_mul(n_steps * n_batch, P));  // [T, B, P]
  const LossValue v = loss_forward_backward<float>(m_cfg.likelihood, m_dctx->y(), target, scale, weight, n_steps,
                                                   n_batch, m_draw.data());
  m_dy.resize(checked_mul(n_steps * n_batch, Hd));  // [T, B, Hd]
  m_head.backward(*m_dctx, w + n_rnn, m_draw.data(), m_dy.data(), m_grad.data() + n_rnn, GradMode::Overwrite);
  m_rnn.backward(*m_rctx, w, m_dy.data(), nullptr, nullptr, nullptr, nullptr, nullptr, m_grad.data(),
                 GradMode::Overwrite);
  m_opt.step(w, m_grad.data());
  return v.loss;
}

double DeepArNet::train_step_windows(const float* y, int64_t n_series, int64_t n_time, const WindowBatch& batch,
                                     const float* calendar, int64_t n_cal, const float* weight) {
  const int64_t T = m_cfg.context + m_cfg.horizon, B = batch.n_batch;
  if (batch.n_steps != T)
    throw InputError("deepar: expected windows of context + horizon = " + std::to_string(T) + " steps, got " +
                     std::to_string(batch.n_steps));
  m_scale.resize(B);
  m_target.resize(checked_mul(T, B));
  m_x.resize(checked_mul(T * B, n_features()));
  window_scale_cpu(y, n_series, n_time, batch, m_cfg.context, m_scale.data());
  window_target_cpu(y, n_series, n_time, batch, m_target.data());
  features_fwd_cpu(m_cfg.features, y, n_series, n_time, m_scale.data(), batch, calendar, n_cal, m_x.data());
  return train_step(m_x.data(), m_target.data(), m_scale.data(), weight, T, B);
}

bool sample_windows(const float* y, int64_t n_series, int64_t n_time, int64_t context, int64_t horizon,
                    int64_t n_batch, uint64_t seed, std::vector<int64_t>& series, std::vector<int64_t>& t0) {
  // Eligible series: at least one observed value at a step that can end a horizon.
  std::vector<int64_t> first(n_series, -1), last(n_series, -1);
  std::vector<int64_t> eligible;
  for (int64_t s = 0; s < n_series; ++s) {
    for (int64_t t = 0; t < n_time; ++t)
      if (!std::isnan(y[s * n_time + t])) {
        if (first[s] < 0) first[s] = t;
        last[s] = t;
      }
    if (first[s] >= 0) eligible.push_back(s);
  }
  series.assign(n_batch, 0);
  t0.assign(n_batch, 0);
  if (eligible.empty()) return false;
  for (int64_t b = 0; b < n_batch; ++b) {
    const int64_t s = eligible[static_cast<int64_t>(uniform01(seed, 2, 2 * b) * eligible.size())];
    // The horizon part [t0 + context, t0 + context + horizon) must overlap [first, last]
    // and lie on the axis.
    const int64_t lo = std::max<int64_t>(first[s] - context - horizon + 1, -context);
    const int64_t hi = std::min<int64_t>(last[s] - context, n_time - context - horizon);
    const int64_t span = std::max<int64_t>(hi - lo + 1, 1);
    series[b] = s;
    t0[b] = lo + static_cast<int64_t>(uniform01(seed, 2, 2 * b + 1) * span);
  }
  return true;
}

}  // namespace skucast::nn
