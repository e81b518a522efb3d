// engine/nn/rnn.h — multi-layer LSTM / GRU on the CPU, forward and backward through time.
//
// Defines: CellType, GradMode, Phase, RnnConfig, the flat weight layout (Note [RNN weight
// layout]), RnnLayerView, RnnContext (what backward needs, STYLE B5) and Rnn<T>, the
// batched multi-layer recurrent stack. Templated on float (production) and double (the
// finite-difference gradient checks, STYLE T7); both are explicitly instantiated in rnn.cpp.
// The gate equations are cuDNN's (and PyTorch's), so one set of weights gives the same
// outputs on the CPU and, later, through cudnnRNNForward.
// engine/nn/ is the implementation tier under the model interface (STYLE L1): templates are
// fine here; the future engine/ interface header (Backend, STYLE B4) exposes none of them.
//
// Layouts (STYLE B9): every sequence tensor is time-major and row-major:
//   x  [T, B, F]   input          (T steps, B windows in the batch, F input features)
//   y  [T, B, Hd]  output of the top layer
//   h0, c0, h_n, c_n  [L, B, Hd]  initial / final states per layer
// (cuDNN: CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED with all sequences of length T.)
//
// Note [RNN gate equations]
//   LSTM, cuDNN gate order i, f, g (c~), o; sigma = logistic:
//     i = sigma(W_i x + bW_i + R_i h' + bR_i)      f = sigma(W_f x + bW_f + R_f h' + bR_f)
//     g = tanh (W_g x + bW_g + R_g h' + bR_g)      o = sigma(W_o x + bW_o + R_o h' + bR_o)
//     c = f * c' + i * g                           h = o * tanh(c)
//   GRU, cuDNN gate order r, z, h~ ("linear before reset", also PyTorch's nn.GRU):
//     r = sigma(W_r x + bW_r + R_r h' + bR_r)      z = sigma(W_z x + bW_z + R_z h' + bR_z)
//     n = tanh (W_h x + bW_h + r * (R_h h' + bR_h))
//     h = (1 - z) * n + z * h'
//   (h', c' = previous step's state.)
//
// Note [RNN weight layout]
//   One flat buffer holds all layers in order l = 0 .. L-1. Layer l, with input width
//   F_l (F for l = 0, Hd above) and G gates (LSTM 4, GRU 3), holds four blocks in order:
//     W  [G*Hd, F_l]  input matrices, gate g in rows g*Hd .. (g+1)*Hd-1, row-major
//     R  [G*Hd, Hd]   recurrent matrices, same gate blocks
//     bW [G*Hd]       input biases
//     bR [G*Hd]       recurrent biases
//   This is exactly cuDNN's weight space for a unidirectional CUDNN_RNN_DOUBLE_BIAS
//   network (cudnnGetRNNWeightParams with pseudoLayer l: linLayerID 0..G-1 are the W
//   gate matrices, G..2G-1 the R gate matrices, each [Hd, F_l] / [Hd, Hd] row-major; the
//   matching bias ids are bW and bR in the same order), and PyTorch's flattened
//   weight_ih_l{l}, weight_hh_l{l}, bias_ih_l{l}, bias_hh_l{l}.
//
// Note [RNN dropout]
//   Dropout acts between layers only (on the output of layer l < L-1 as the input of
//   layer l+1), like cuDNN and nn.LSTM, and only in Phase::Training. It is inverted
//   dropout (kept units scaled by 1/(1-p)). The mask is a counter-based hash of
//   (seed, layer, element index), so it depends on the seed alone, not on thread counts.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace skucast::nn {

enum class CellType { Lstm, Gru };

// How a backward pass writes parameter gradients (STYLE B6).
enum class GradMode {
  Overwrite,   // dweights = gradient
  Accumulate,  // dweights += gradient
  Ignore,      // parameter gradients are not computed; input/state gradients still are
};

// Dropout is active only in training.
enum class Phase { Inference, Training };

struct RnnConfig {
  CellType cell = CellType::Lstm;
  int64_t n_input = 0;    // F
  int64_t n_hidden = 0;   // Hd
  int64_t n_layers = 1;   // L
  float dropout = 0.0f;   // p in [0, 1), between layers (Note [RNN dropout])

  int64_t n_gates() const { return cell == CellType::Lstm ? 4 : 3; }
  int64_t layer_input(int64_t layer) const { return layer == 0 ? n_input : n_hidden; }
  // Throws InputError when a size is not positive or dropout is outside [0, 1).
  void validate() const;
};

// Views of one layer's weights inside the flat buffer (Note [RNN weight layout]).
template <typename T>
struct RnnLayerView {
  T* w = nullptr;   // [G*Hd, F_l]
  T* r = nullptr;   // [G*Hd, Hd]
  T* bw = nullptr;  // [G*Hd]
  T* br = nullptr;  // [G*Hd]
};

// Number of parameters of layer `layer` and of the whole stack, and a layer's offset.
int64_t rnn_layer_n_params(const RnnConfig& cfg, int64_t layer);
int64_t rnn_n_params(const RnnConfig& cfg);
int64_t rnn_layer_offset(const RnnConfig& cfg, int64_t layer);

// The same network reading only the first n_in of its inputs (n_in <= cfg.n_input): its config,
// and its weights from the full network's: layer 0's input matrix cut to its first n_in columns,
// everything else copied (rnn_cut_inputs); back the other way for gradients (rnn_uncut_inputs:
// writes the full layout's entries the cut one has, leaves layer 0's columns n_in.. as they
// were). w and dst [rnn_n_params(cfg)] / [rnn_n_params(rnn_cut_config(cfg, n_in))].
RnnConfig rnn_cut_config(const RnnConfig& cfg, int64_t n_in);
template <typename T>
void rnn_cut_inputs(const RnnConfig& cfg, const T* w, int64_t n_in, T* dst);
template <typename T>
void rnn_uncut_inputs(const RnnConfig& cfg, const T* cut, int64_t n_in, T* w);

// Everything backward needs from one forward pass (STYLE B5). Owned host buffers; neither
// copyable nor movable (held through std::unique_ptr).
template <typename T>
class RnnContext {
 public:
  RnnContext() = default;
  RnnContext(const RnnContext&) = delete;
  RnnContext& operator=(const RnnContext&) = delete;
  RnnContext(RnnContext&&) = delete;
  RnnContext& operator=(RnnContext&&) = delete;

  int64_t n_steps() const { return m_n_steps; }
  int64_t n_batch() const { return m_n_batch; }
  // Top layer output, [T, B, Hd].
  const T* y() const { return m_h.back().data() + m_n_batch * m_n_hidden; }
  // Final hidden state of every layer, [L, B, Hd].
  const T* h_n() const { return m_h_n.data(); }
  // Final cell state of every layer, [L, B, Hd]; nullptr for a GRU.
  const T* c_n() const { return m_c_n.empty() ? nullptr : m_c_n.data(); }

 private:
  template <typename U>
  friend class Rnn;
  int64_t m_n_steps = 0, m_n_batch = 0, m_n_hidden = 0;
  std::vector<std::vector<T>> m_in;    // per layer l >= 1 with dropout on: its input after dropout [T, B, F_l]
                                       // (otherwise a layer reads x or the layer below in place)
  std::vector<std::vector<T>> m_mask;  // per layer l >= 1: dropout factors [T, B, Hd], empty when off
  std::vector<std::vector<T>> m_h;     // per layer: [T+1, B, Hd], m_h[l][0] = h0
  std::vector<std::vector<T>> m_c;     // per layer (LSTM): [T+1, B, Hd], m_c[l][0] = c0
  std::vector<std::vector<T>> m_act;   // per layer: [T, B, 4*Hd] gate activations (lstm.cpp / gru.cpp)
  const T* m_x = nullptr;              // forward's x (layer 0's input, read again by backward)
  int64_t m_x_stride = 0;              // its row stride
  std::vector<T> m_h_n, m_c_n;         // [L, B, Hd]
  // Backward scratch, kept so that repeated steps reuse their pages instead of faulting in
  // fresh ones (tens of MB at DeepAR sizes). Mutable: backward takes the context by const&
  // (STYLE B5); a context serves one thread at a time.
  mutable std::vector<T> m_scratch, m_dy, m_dx;
  std::vector<T> m_fwd_scratch;  // the layers' forward scratch (Note [Forward scratch])
};

template <typename T>
class Rnn {
 public:
  explicit Rnn(const RnnConfig& cfg);

  const RnnConfig& config() const { return m_cfg; }
  int64_t n_params() const { return rnn_n_params(m_cfg); }
  RnnLayerView<T> layer(T* weights, int64_t layer) const;
  RnnLayerView<const T> layer(const T* weights, int64_t layer) const;

  // PyTorch's default initialization: every weight and bias U(-1/sqrt(Hd), 1/sqrt(Hd)),
  // from a seeded generator. weights: [n_params()].
  void init_uniform(T* weights, uint64_t seed) const;

  // [in] weights [n_params()], x [T, B, F], h0/c0 [L, B, Hd] or nullptr for zeros (c0 is
  // ignored by a GRU). Dropout (Phase::Training, cfg.dropout > 0) uses dropout_seed.
  // All pointers are host pointers, none into the context itself (an LSTM layer reads x and
  // the layer below's outputs in place). Backward reads x again (Note [LSTM rows
  // rebuilt, not kept] in lstm.cpp): x must stay unchanged until the context's backward has
  // run. Returns the context holding y, h_n, c_n.
  std::unique_ptr<RnnContext<T>> forward(const T* weights, const T* x, int64_t n_steps, int64_t n_batch,
                                         const T* h0, const T* c0, Phase phase, uint64_t dropout_seed) const;
  // The same into an existing context, reusing its buffers (a training loop keeps one).
  // pre0 (optional): [B / pre0_repeat, G*Hd], added to layer 0's input projection x W^T + bW
  // at every step, row b of the batch reading row b / pre0_repeat (Note [Shared input
  // columns] in engine/deepar/paths.cpp: the inputs every sample path of a series shares,
  // projected once per series). B must be a multiple of pre0_repeat.
  // x_stride: the row stride of x (0: F); a caller whose x rows hold more columns than the
  // network reads (deepar's per-window columns, Note [Per-window input columns] in
  // engine/deepar/step.cpp) passes the full width.
  void forward_into(RnnContext<T>& ctx, const T* weights, const T* x, int64_t n_steps, int64_t n_batch,
                    const T* h0, const T* c0, Phase phase, uint64_t dropout_seed, const T* pre0 = nullptr,
                    int64_t pre0_repeat = 1, int64_t x_stride = 0) const;

  // Backward through time for a loss L(y, h_n, c_n).
  // [in]  ctx from forward with the same weights; dy = dL/dy [T, B, Hd] (nullptr: zero);
  //       dh_n, dc_n = dL/dh_n, dL/dc_n [L, B, Hd] (nullptr: zero; dc_n ignored by a GRU).
  // [out] dx [T, B, F], dh0 [L, B, Hd], dc0 [L, B, Hd] (LSTM): overwritten; any may be nullptr.
  //       dweights [n_params()] written as `mode` says (nullptr only with GradMode::Ignore).
  //       dx_from: only dx's columns [dx_from, F) are computed and written (the others are left
  //       as they were): a caller that needs the gradient of a few input columns (deepar: the
  //       embeddings) saves the rest of the input GEMM.
  //       dpre0 (optional) [B, G*Hd]: the gradient of forward's pre0 when it had pre0_repeat 1
  //       (layer 0's input pre-activation gradients summed over the steps); dx's rows are F wide.
  void backward(const RnnContext<T>& ctx, const T* weights, const T* dy, const T* dh_n, const T* dc_n, T* dx,
                T* dh0, T* dc0, T* dweights, GradMode mode, int64_t dx_from = 0, T* dpre0 = nullptr) const;

 private:
  RnnConfig m_cfg;
};

// ------------------------------------------------------------------ layers ----
// One layer, forward and backward (lstm.cpp, gru.cpp). Internal to Rnn<T>; declared here
// so the tests and a future fused path can reach them.
//   x [T, B, F_l]; h [T+1, B, Hd] with h[0] = initial state; c likewise (LSTM);
//   act [T, B, 4*Hd]: LSTM i, f, g, o after activation; GRU r, z, n and (R_h h' + bR_h).
struct LayerShape {
  int64_t n_in = 0, n_hidden = 0, n_steps = 0, n_batch = 0;
};

// Note [Forward scratch]
//   scratch: the layer's working buffers (LSTM: the summed biases and [W | R]^T; GRU: h' R^T
//   and R^T),
//   resized as needed and reused across calls. Every
//   element is written before it is read, so what a previous call left there never matters;
//   reusing it saves a zero-filled allocation of [B, F+Hd] (LSTM) per layer and call: with
//   one-step calls on 8,100 paths (deepar's sampling loop) that zero-fill and its page faults
//   were ~7 % of a forecast.
// pre, pre_repeat: as Rnn::forward_into's pre0 (nullptr: none). ldx: x's row stride (0: F_l).
template <typename T>
void lstm_layer_forward(const LayerShape& s, RnnLayerView<const T> w, const T* x, T* h, T* c, T* act,
                        std::vector<T>& scratch, const T* pre = nullptr, int64_t pre_repeat = 1, int64_t ldx = 0);
template <typename T>
void gru_layer_forward(const LayerShape& s, RnnLayerView<const T> w, const T* x, T* h, T* act,
                       std::vector<T>& scratch, const T* pre = nullptr, int64_t pre_repeat = 1, int64_t ldx = 0);

// dy [T, B, Hd] = dL/dh_t from above (this layer's outputs); dh_last, dc_last [B, Hd] or
// nullptr; dx [T, B, F_l] or nullptr, only columns [dx_from, F_l) written; dh0, dc0 [B, Hd]
// required; dw as `mode`; scratch: resized as needed and reused across calls. dpre [B, G*Hd]
// or nullptr: the gradient of a per-window addend to the input projection (forward's pre
// with pre_repeat 1), i.e. the input-side pre-activation gradients summed over the steps.
// x, ldx, h (and c): the forward's input (row stride ldx, 0: F_l) and states.
template <typename T>
void lstm_layer_backward(const LayerShape& s, RnnLayerView<const T> w, const T* x, int64_t ldx, const T* h,
                         const T* c, const T* act,
                         const T* dy, const T* dh_last, const T* dc_last, T* dx, int64_t dx_from, T* dh0, T* dc0,
                         RnnLayerView<T> dw, GradMode mode, std::vector<T>& scratch, T* dpre = nullptr);
template <typename T>
void gru_layer_backward(const LayerShape& s, RnnLayerView<const T> w, const T* x, int64_t ldx, const T* h,
                        const T* act, const T* dy, const T* dh_last, T* dx, int64_t dx_from, T* dh0,
                        RnnLayerView<T> dw, GradMode mode, std::vector<T>& scratch, T* dpre = nullptr);

}  // namespace skucast::nn
