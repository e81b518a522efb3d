// engine/deepar/step.cpp — CpuStep::run (engine/deepar/internal.h): one batch of the DeepAR
// model through the CPU network, forward, loss and backward. engine/deepar/train.cpp's trainer and
// validation call it; the GPU parity test (tests/gpu/test_deepar_train_parity.cpp) uses it as
// the reference of the device step (engine/deepar/cuda/train_step.h).
#include <algorithm>

#include "engine/deepar/internal.h"
#include "engine/nn/blas.h"
#include "kernels/common.hpp"

namespace skucast::deepar {

// Note [Per-window input columns]
//   The last columns of a window's inputs are the same at every step: the series' static reals
//   (Note [Derived inputs] in engine/deepar/data.cpp) and the embeddings, which come after every
//   per-step column (Layout). At the benchmark shape of `bench/run.sh train_cpu` they are 33 of
//   80 inputs, and layer 0's per-step GEMM multiplied them by W again at each of the 140 steps.
//   Now their share of the pre-activations, pre0[b] = x_b[win0:] W[:, win0:]^T, is computed
//   once per window and added at every step (Rnn::forward_into's pre0, repeat 1),
//   and the recurrence runs the network cut to the first win0 columns (nn::rnn_cut_inputs),
//   reading x in place with its full row stride. Backward gives dpre0[b] = the layer-0 input
//   pre-activation gradients summed over the steps, so that W[:, win0:]'s gradient is
//   dpre0^T x[win0:] (one [G*Hd, B] x [B, F - win0] GEMM) and the embeddings' input gradient,
//   summed over the steps as embedding_backward sums it, is dpre0 W[:, win0:]. The same
//   function as the plain form, summed in another order: the tests compare the two to float
//   rounding (DeepArStep.PerWindowColumnsMatchThePlainStep) and in double through nn::Rnn
//   (RnnPreActivation.PerWindowColumnsGiveTheFullGradients). The GPU step (cuDNN) reads every
//   column at every step; its parity test (tests/gpu/test_deepar_train_parity.cpp) compares it
//   with this step, the same function to float rounding. Measured (`skucast
//   train` at the train_cpu shape, 2 threads, 3 alternating rounds, best, quiet VM): 1,774
//   windows/s without this, 1,870 with it (+5 %; layer 0's per-step GEMM is 99 wide, not 144).
CpuStep::CpuStep(const Layout& l, bool per_window) : net(l) {
  const int64_t F = l.n_features;
  win0 = l.n_base + l.n_dyn - l.n_sreal;  // the static reals, then the embeddings, to the end
  if (!per_window || win0 < 1 || win0 >= F) {
    win0 = F;
    return;
  }
  rnn_cut.emplace(nn::rnn_cut_config(l.rnn, win0));
}

nn::LossValue CpuStep::run(const PanelData& d, const Layout& l, const float* w, const float* x, const float* target,
                           const float* scale, const int64_t* series, int64_t B, int64_t n_steps, nn::Phase phase,
                           uint64_t dropout_seed, float* grad) {
  const int64_t P = net.head.n_out(), Hd = l.rnn.n_hidden, F = l.n_features;
  const int64_t GH = l.rnn.n_gates() * Hd, E = F - win0;
  const float* w0 = net.rnn.layer(w, 0).w;  // [GH, F] layer 0's input matrix
  if (rnn_cut) {  // Note [Per-window input columns]
    w_cut.resize(static_cast<size_t>(rnn_cut->n_params()));
    nn::rnn_cut_inputs(l.rnn, w, win0, w_cut.data());
    pre0.resize(checked_mul(B, GH));
    {
      nn::BlasSingleThread one;  // B x GH x E: small, beside the recurrence's own threads
      nn::gemm(nn::Trans::No, nn::Trans::Yes, B, GH, E, 1.0f, x + win0, F, w0 + win0, F, 0.0f, pre0.data(), GH);
    }
    rnn_cut->forward_into(*rctx, w_cut.data(), x, n_steps, B, nullptr, nullptr, phase, dropout_seed, pre0.data(), 1,
                          F);
  } else {
    net.rnn.forward_into(*rctx, w, x, n_steps, B, nullptr, nullptr, phase, dropout_seed);
  }
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
    net.head.backward(*dctx, w + l.n_rnn, draw.data(), dy.data(), grad + l.n_rnn, nn::GradMode::Overwrite);
    const float* dh_rnn = dy.data();
    if (net.att) {
      dh.resize(dy.size());
      net.att->backward(*actx, w + l.att_off, dy.data(), dh.data(), grad + l.att_off, nn::GradMode::Overwrite);
      dh_rnn = dh.data();
    }
    const bool emb = !l.emb_col.empty();
    if (rnn_cut) {
      g_cut.resize(w_cut.size());
      dpre0.resize(pre0.size());
      rnn_cut->backward(*rctx, w_cut.data(), dh_rnn, nullptr, nullptr, nullptr, nullptr, nullptr, g_cut.data(),
                        nn::GradMode::Overwrite, 0, dpre0.data());
      nn::rnn_uncut_inputs(l.rnn, g_cut.data(), win0, grad);
      float* g0 = net.rnn.layer(grad, 0).w;
      nn::BlasSingleThread one;
      // W[:, win0:]'s gradient: dpre0^T x[:, win0:] over the windows, [GH, B] x [B, E].
      nn::gemm(nn::Trans::Yes, nn::Trans::No, GH, E, B, 1.0f, dpre0.data(), GH, x + win0, F, 0.0f, g0 + win0, F);
      std::fill(grad + l.att_off + l.n_att, grad + l.n_params, 0.0f);
      if (emb) {  // the embeddings' input gradient summed over the steps: dpre0 W[:, e0:], one "step"
        const int64_t e0 = l.emb_col.front();
        dx_win.resize(checked_mul(B, F));
        nn::gemm(nn::Trans::No, nn::Trans::No, B, F - e0, GH, 1.0f, dpre0.data(), GH, w0 + e0, F, 0.0f,
                 dx_win.data() + e0, F);
        embedding_backward(d, l, series, B, 1, dx_win.data(), grad);
      }
      return v;
    }
    // Only the embedding columns' input gradient is used (the last columns of x): the RNN
    // computes dx from the first of them on, or not at all without static attributes.
    dx.resize(checked_mul(n_steps * B, F));
    net.rnn.backward(*rctx, w, dh_rnn, nullptr, nullptr, emb ? dx.data() : nullptr, nullptr, nullptr, grad,
                     nn::GradMode::Overwrite, emb ? l.emb_col.front() : 0);
    std::fill(grad + l.att_off + l.n_att, grad + l.n_params, 0.0f);
    embedding_backward(d, l, series, B, n_steps, dx.data(), grad);
  }
  return v;
}

}  // namespace skucast::deepar
