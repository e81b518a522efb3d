// engine/deepar/step.cpp — CpuStep::run (engine/deepar/internal.h): one batch of the DeepAR
// model through the CPU network, forward, loss and backward. engine/deepar/train.cpp's trainer and
// validation call it; the GPU parity test (tests/gpu/test_deepar_train_parity.cpp) uses it as
// the reference of the device step (engine/deepar/cuda/train_step.h).
#include <algorithm>

#include "engine/deepar/internal.h"
#include "kernels/common.hpp"

namespace skucast::deepar {

nn::LossValue CpuStep::run(const PanelData& d, const Layout& l, const float* w, const float* x, const float* target,
                           const float* scale, const int64_t* series, int64_t B, int64_t n_steps, nn::Phase phase,
                           uint64_t dropout_seed, float* grad) {
  const int64_t P = net.head.n_out(), Hd = l.rnn.n_hidden;
  net.rnn.forward_into(*rctx, w, x, n_steps, B, nullptr, nullptr, phase, dropout_seed);
  const float* h = rctx->y();  // what the head reads: the RNN's outputs, or the attention's (Note [Attention])
  if (net.att) {
    net.att->forward_into(*actx, w + l.att_off, h, n_steps, B);
    h = actx->y();
  }
  net.head.forward_into(*dctx, w + l.n_rnn, h, n_steps * B);
  draw.resize(checked_mul(n_steps * B, P));
  const nn::LossValue v =
      nn::loss_forward_backward<float>(l.lik, dctx->y(), target, scale, nullptr, n_steps, B, draw.data());
  if (grad) {
    dy.resize(checked_mul(n_steps * B, Hd));
    dx.resize(checked_mul(n_steps * B, l.n_features));
    net.head.backward(*dctx, w + l.n_rnn, draw.data(), dy.data(), grad + l.n_rnn, nn::GradMode::Overwrite);
    const float* dh_rnn = dy.data();
    if (net.att) {
      dh.resize(dy.size());
      net.att->backward(*actx, w + l.att_off, dy.data(), dh.data(), grad + l.att_off, nn::GradMode::Overwrite);
      dh_rnn = dh.data();
    }
    // Only the embedding columns' input gradient is used (the last columns of x): the RNN
    // computes dx from the first of them on, or not at all without static attributes.
    const bool emb = !l.emb_col.empty();
    net.rnn.backward(*rctx, w, dh_rnn, nullptr, nullptr, emb ? dx.data() : nullptr, nullptr, nullptr, grad,
                     nn::GradMode::Overwrite, emb ? l.emb_col.front() : 0);
    std::fill(grad + l.att_off + l.n_att, grad + l.n_params, 0.0f);
    embedding_backward(d, l, series, B, n_steps, dx.data(), grad);
  }
  return v;
}

}  // namespace skucast::deepar
