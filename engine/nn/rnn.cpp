// engine/nn/rnn.cpp — the multi-layer recurrent stack (rnn.h): weight layout, init,
// dropout between layers, and the layer-by-layer forward and backward passes.
#include "engine/nn/rnn.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/nn/rng.h"
#include "kernels/common.hpp"

namespace skucast::nn {

namespace {
constexpr int64_t kOmpMin = 16384;  // below this, threads cost more than they save
}  // namespace

// ----------------------------------------------------------------- layout ----
void RnnConfig::validate() const {
  if (n_input <= 0 || n_hidden <= 0 || n_layers <= 0)
    throw InputError("rnn: expected positive n_input, n_hidden, n_layers; got " + std::to_string(n_input) + ", " +
                     std::to_string(n_hidden) + ", " + std::to_string(n_layers));
  if (!(dropout >= 0.0f && dropout < 1.0f))
    throw InputError("rnn: expected dropout in [0, 1), got " + std::to_string(dropout));
}

int64_t rnn_layer_n_params(const RnnConfig& cfg, int64_t layer) {
  const int64_t gh = checked_mul(cfg.n_gates(), cfg.n_hidden);  // G*Hd rows
  return checked_mul(gh, cfg.layer_input(layer)) + checked_mul(gh, cfg.n_hidden) + 2 * gh;
}

int64_t rnn_layer_offset(const RnnConfig& cfg, int64_t layer) {
  int64_t off = 0;
  for (int64_t l = 0; l < layer; ++l) off += rnn_layer_n_params(cfg, l);
  return off;
}

int64_t rnn_n_params(const RnnConfig& cfg) { return rnn_layer_offset(cfg, cfg.n_layers); }

RnnConfig rnn_cut_config(const RnnConfig& cfg, int64_t n_in) {
  if (n_in < 1 || n_in > cfg.n_input)
    throw Error("rnn_cut_config: " + std::to_string(n_in) + " inputs outside [1, " + std::to_string(cfg.n_input) + "]");
  RnnConfig c = cfg;
  c.n_input = n_in;
  return c;
}

namespace {
// Copies between the full layout (F inputs) and the cut one (n_in): layer 0's W row by row, the
// rest of layer 0 and every other layer whole (they have the same sizes in both).
template <typename Copy>
void cut_copy(const RnnConfig& cfg, int64_t n_in, Copy copy) {
  rnn_cut_config(cfg, n_in);  // validates n_in
  const int64_t GH = cfg.n_gates() * cfg.n_hidden, F = cfg.n_input;
  for (int64_t g = 0; g < GH; ++g) copy(g * F, g * n_in, n_in);  // layer 0's W, row by row
  copy(GH * F, GH * n_in, rnn_n_params(cfg) - GH * F);           // all after it: the same in both
}
}  // namespace

template <typename T>
void rnn_cut_inputs(const RnnConfig& cfg, const T* w, int64_t n_in, T* dst) {
  cut_copy(cfg, n_in, [&](int64_t full, int64_t part, int64_t n) { std::copy(w + full, w + full + n, dst + part); });
}
template <typename T>
void rnn_uncut_inputs(const RnnConfig& cfg, const T* cut, int64_t n_in, T* w) {
  cut_copy(cfg, n_in, [&](int64_t full, int64_t part, int64_t n) { std::copy(cut + part, cut + part + n, w + full); });
}
template void rnn_cut_inputs<float>(const RnnConfig&, const float*, int64_t, float*);
template void rnn_cut_inputs<double>(const RnnConfig&, const double*, int64_t, double*);
template void rnn_uncut_inputs<float>(const RnnConfig&, const float*, int64_t, float*);
template void rnn_uncut_inputs<double>(const RnnConfig&, const double*, int64_t, double*);

template <typename T>
Rnn<T>::Rnn(const RnnConfig& cfg) : m_cfg(cfg) {
  m_cfg.validate();
}

template <typename T>
RnnLayerView<T> Rnn<T>::layer(T* weights, int64_t l) const {
  const int64_t gh = m_cfg.n_gates() * m_cfg.n_hidden;
  RnnLayerView<T> v;
  v.w = weights + rnn_layer_offset(m_cfg, l);
  v.r = v.w + gh * m_cfg.layer_input(l);
  v.bw = v.r + gh * m_cfg.n_hidden;
  v.br = v.bw + gh;
  return v;
}

template <typename T>
RnnLayerView<const T> Rnn<T>::layer(const T* weights, int64_t l) const {
  const RnnLayerView<T> v = layer(const_cast<T*>(weights), l);
  return RnnLayerView<const T>{v.w, v.r, v.bw, v.br};
}

template <typename T>
void Rnn<T>::init_uniform(T* weights, uint64_t seed) const {
  const double k = 1.0 / std::sqrt(static_cast<double>(m_cfg.n_hidden));
  const int64_t n = n_params();
#pragma omp parallel for schedule(static) if (n >= kOmpMin)
  for (int64_t i = 0; i < n; ++i) weights[i] = static_cast<T>(k * (2.0 * uniform01(seed, 0, i) - 1.0));
}

// ---------------------------------------------------------------- forward ----
template <typename T>
std::unique_ptr<RnnContext<T>> Rnn<T>::forward(const T* weights, const T* x, int64_t n_steps, int64_t n_batch,
                                               const T* h0, const T* c0, Phase phase, uint64_t dropout_seed) const {
  auto ctx = std::make_unique<RnnContext<T>>();
  forward_into(*ctx, weights, x, n_steps, n_batch, h0, c0, phase, dropout_seed);
  return ctx;
}

template <typename T>
void Rnn<T>::forward_into(RnnContext<T>& ctx_ref, const T* weights, const T* x, int64_t n_steps, int64_t n_batch,
                          const T* h0, const T* c0, Phase phase, uint64_t dropout_seed, const T* pre0,
                          int64_t pre0_repeat, int64_t x_stride) const {
  RnnContext<T>* ctx = &ctx_ref;
  if (n_steps <= 0 || n_batch <= 0)
    throw InputError("rnn forward: expected positive steps and batch, got T=" + std::to_string(n_steps) +
                     " B=" + std::to_string(n_batch));
  if (pre0 && (pre0_repeat < 1 || n_batch % pre0_repeat != 0))
    throw InputError("rnn forward: the batch " + std::to_string(n_batch) + " is not a multiple of pre0's repeat " +
                     std::to_string(pre0_repeat));
  if (x_stride == 0) x_stride = m_cfg.n_input;
  if (x_stride < m_cfg.n_input)
    throw InputError("rnn forward: x's row stride " + std::to_string(x_stride) + " is below its " +
                     std::to_string(m_cfg.n_input) + " inputs");
  const int64_t L = m_cfg.n_layers, Hd = m_cfg.n_hidden, BH = checked_mul(n_batch, Hd);
  const bool lstm = m_cfg.cell == CellType::Lstm;
  const bool dropout = phase == Phase::Training && m_cfg.dropout > 0.0f;
  ctx->m_n_steps = n_steps;
  ctx->m_n_batch = n_batch;
  ctx->m_n_hidden = Hd;
  ctx->m_in.resize(L);
  ctx->m_mask.resize(L);
  ctx->m_h.resize(L);
  ctx->m_c.resize(lstm ? L : 0);
  ctx->m_act.resize(L);
  // Every layer writes its [B, Hd] slice of h_n (and c_n) below: no zero fill (it was ~3 % of a
  // one-step call in deepar's sampling loop).
  ctx->m_h_n.resize(L * BH);
  if (lstm) ctx->m_c_n.resize(L * BH);
  else ctx->m_c_n.clear();

  const int64_t seq = checked_mul(n_steps, BH);  // T*B*Hd
  ctx->m_x = x;
  ctx->m_x_stride = x_stride;
  for (int64_t l = 0; l < L; ++l) {
    const int64_t F = m_cfg.layer_input(l);
    const int64_t n_in = checked_mul(checked_mul(n_steps, n_batch), F);
    std::vector<T>& in = ctx->m_in[l];
    ctx->m_mask[l].clear();
    // The layer's input: x or the outputs of layer l-1 ([T, B, Hd]), through dropout when on.
    // Both cells read it in place, in forward and again in backward (Note [LSTM rows rebuilt, not
    // kept] in lstm.cpp); no copy is kept.
    const T* src = l == 0 ? x : ctx->m_h[l - 1].data() + BH;
    const T* layer_in = src;
    if (l > 0 && dropout) {  // Note [RNN dropout]
      const double p = m_cfg.dropout;
      const T keep = static_cast<T>(1.0 / (1.0 - p));
      std::vector<T>& mask = ctx->m_mask[l];
      mask.resize(n_in);
      in.resize(n_in);
#pragma omp parallel for schedule(static) if (n_in >= kOmpMin)
      for (int64_t i = 0; i < n_in; ++i) {
        mask[i] = uniform01(dropout_seed, static_cast<uint64_t>(l), static_cast<uint64_t>(i)) < p ? T(0) : keep;
        in[i] = src[i] * mask[i];
      }
      layer_in = in.data();
    } else {
      in.clear();
    }
    // The layer writes every step of h, c and act; only the initial states need setting.
    // (resize, not assign: zero-filling ~60 MB per step cost 8% of a training step.)
    std::vector<T>& h = ctx->m_h[l];
    h.resize(seq + BH);
    if (h0) std::copy(h0 + l * BH, h0 + (l + 1) * BH, h.begin());
    else std::fill(h.begin(), h.begin() + BH, T(0));
    ctx->m_act[l].resize(checked_mul(seq, 4));
    const LayerShape shape{F, Hd, n_steps, n_batch};
    if (lstm) {
      std::vector<T>& c = ctx->m_c[l];
      c.resize(seq + BH);
      if (c0) std::copy(c0 + l * BH, c0 + (l + 1) * BH, c.begin());
      else std::fill(c.begin(), c.begin() + BH, T(0));
      lstm_layer_forward<T>(shape, layer(weights, l), layer_in, h.data(), c.data(), ctx->m_act[l].data(),
                            ctx->m_fwd_scratch, l == 0 ? pre0 : nullptr, pre0_repeat, l == 0 ? x_stride : 0);
      std::copy(c.end() - BH, c.end(), ctx->m_c_n.begin() + l * BH);
    } else {
      gru_layer_forward<T>(shape, layer(weights, l), layer_in, h.data(), ctx->m_act[l].data(), ctx->m_fwd_scratch,
                           l == 0 ? pre0 : nullptr, pre0_repeat, l == 0 ? x_stride : 0);
    }
    std::copy(h.end() - BH, h.end(), ctx->m_h_n.begin() + l * BH);
  }
}

// --------------------------------------------------------------- backward ----
template <typename T>
void Rnn<T>::backward(const RnnContext<T>& ctx, const T* weights, const T* dy, const T* dh_n, const T* dc_n, T* dx,
                      T* dh0, T* dc0, T* dweights, GradMode mode, int64_t dx_from, T* dpre0) const {
  if (mode != GradMode::Ignore && dweights == nullptr)
    throw Error("rnn backward: dweights is null but the gradient mode is not Ignore");
  const int64_t L = m_cfg.n_layers, Hd = m_cfg.n_hidden, T_ = ctx.n_steps(), B = ctx.n_batch();
  const int64_t BH = B * Hd, seq = T_ * BH;
  const bool lstm = m_cfg.cell == CellType::Lstm;
  std::vector<T>& dy_cur = ctx.m_dy;  // [T, B, Hd] dL/d(outputs of the current layer)
  if (dy) dy_cur.assign(dy, dy + seq);
  else dy_cur.assign(seq, T(0));
  std::vector<T>& dx_buf = ctx.m_dx;  // [T, B, Hd] dL/d(input of the current layer), for l >= 1
  std::vector<T> dh0_l(BH), dc0_l(BH);
  RnnLayerView<T> no_grads;

  for (int64_t l = L - 1; l >= 0; --l) {
    const int64_t F = m_cfg.layer_input(l);
    const LayerShape shape{F, Hd, T_, B};
    T* dx_l = nullptr;
    if (l > 0) {
      dx_buf.resize(seq);
      dx_l = dx_buf.data();
    } else {
      dx_l = dx;  // may be nullptr: then the input GEMM is skipped
    }
    const RnnLayerView<T> dw = mode == GradMode::Ignore ? no_grads : layer(dweights, l);
    const T* dh_last = dh_n ? dh_n + l * BH : nullptr;
    // The layer's input as forward read it: x, the dropped-out copy, or the layer below's outputs.
    const T* x_l = l == 0 ? ctx.m_x : ctx.m_mask[l].empty() ? ctx.m_h[l - 1].data() + BH : ctx.m_in[l].data();
    const int64_t ldx = l == 0 ? ctx.m_x_stride : 0;
    if (lstm) {
      const T* dc_last = dc_n ? dc_n + l * BH : nullptr;
      lstm_layer_backward<T>(shape, layer(weights, l), x_l, ldx, ctx.m_h[l].data(),
                             ctx.m_c[l].data(), ctx.m_act[l].data(),
                             dy_cur.data(), dh_last, dc_last, dx_l, l > 0 ? 0 : dx_from, dh0_l.data(),
                             dc0_l.data(), dw, mode, ctx.m_scratch, l == 0 ? dpre0 : nullptr);
      if (dc0) std::copy(dc0_l.begin(), dc0_l.end(), dc0 + l * BH);
    } else {
      gru_layer_backward<T>(shape, layer(weights, l), x_l, ldx, ctx.m_h[l].data(), ctx.m_act[l].data(),
                            dy_cur.data(), dh_last, dx_l, l > 0 ? 0 : dx_from, dh0_l.data(), dw, mode,
                            ctx.m_scratch, l == 0 ? dpre0 : nullptr);
    }
    if (dh0) std::copy(dh0_l.begin(), dh0_l.end(), dh0 + l * BH);
    if (l > 0) {  // the gradient reaching layer l-1's outputs passes back through its dropout mask
      const std::vector<T>& mask = ctx.m_mask[l];
      if (mask.empty()) {
        dy_cur.swap(dx_buf);
      } else {
#pragma omp parallel for schedule(static) if (seq >= kOmpMin)
        for (int64_t i = 0; i < seq; ++i) dy_cur[i] = dx_buf[i] * mask[i];
      }
    }
  }
}

template class Rnn<float>;
template class Rnn<double>;

}  // namespace skucast::nn
