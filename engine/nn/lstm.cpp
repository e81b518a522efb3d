// engine/nn/lstm.cpp — one LSTM layer on the CPU, forward and backward through time
// (Note [RNN gate equations] in rnn.h, cuDNN gate order i, f, g, o).
//
// Forward: one GEMM projects the whole input sequence, Gx = X W^T + bW + bR [T*B, 4Hd];
// then per step one GEMM adds h' R^T and a pointwise pass applies the gates.
// Backward: per step a pointwise pass gives dG (pre-activation gate gradients) and one GEMM
// gives dh' = dG R; afterwards three big GEMMs give dW = dG^T X, dR = dG^T H' and
// dx = dG W over all steps at once, and bias gradients are column sums of dG.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/nn/activations.h"
#include "engine/nn/blas.h"
#include "engine/nn/rnn.h"

namespace skucast::nn {

namespace {

// Note [Per-step threading]: the pointwise pass of one step is small (B*Hd elements, about
// 0.1 ms at B=256, Hd=64) and runs 4*T*L times per training step. A parallel region per step
// costs a barrier each time, and on a shared, oversubscribed machine a descheduled thread
// turns every barrier into a stall (measured: 5x slower at B=256, Hd=64 with 2 threads).
// So it goes parallel only for very large batches; the GEMMs carry the threading.
constexpr int64_t kOmpMinWork = int64_t{1} << 17;

}  // namespace

// ---------------------------------------------------------------- forward ----
template <typename T>
void lstm_layer_forward(const LayerShape& s, RnnLayerView<const T> w, const T* x, T* h, T* c, T* act) {
  const int64_t B = s.n_batch, Hd = s.n_hidden, G = 4 * Hd, F = s.n_in;
  const int64_t rows = s.n_steps * B;
  // act[t, b, :] = bW + bR, then += x[t, b, :] W^T  (one GEMM over all T*B rows).
  std::vector<T> bias(G);  // [4Hd]
  for (int64_t j = 0; j < G; ++j) bias[j] = w.bw[j] + w.br[j];
  for (int64_t r = 0; r < rows; ++r) std::memcpy(act + r * G, bias.data(), sizeof(T) * G);
  gemm(Trans::No, Trans::Yes, rows, G, F, T(1), x, F, w.w, F, T(1), act, G);

  for (int64_t t = 0; t < s.n_steps; ++t) {
    const T* h_prev = h + t * B * Hd;  // [B, Hd]
    const T* c_prev = c + t * B * Hd;  // [B, Hd]
    T* h_cur = h + (t + 1) * B * Hd;
    T* c_cur = c + (t + 1) * B * Hd;
    T* a = act + t * B * G;  // [B, 4Hd] pre-activations of step t
    gemm(Trans::No, Trans::Yes, B, G, Hd, T(1), h_prev, Hd, w.r, Hd, T(1), a, G);
#pragma omp parallel for schedule(static) if (B * Hd > kOmpMinWork)
    for (int64_t b = 0; b < B; ++b) {
      T* ab = a + b * G;  // gates of window b: [i | f | g | o], each Hd wide
      for (int64_t k = 0; k < Hd; ++k) {
        const T i = sigmoid_act(ab[k]);
        const T f = sigmoid_act(ab[Hd + k]);
        const T g = tanh_act(ab[2 * Hd + k]);
        const T o = sigmoid_act(ab[3 * Hd + k]);
        ab[k] = i;
        ab[Hd + k] = f;
        ab[2 * Hd + k] = g;
        ab[3 * Hd + k] = o;
        const T cv = f * c_prev[b * Hd + k] + i * g;
        c_cur[b * Hd + k] = cv;
        h_cur[b * Hd + k] = o * tanh_act(cv);
      }
    }
  }
}

// --------------------------------------------------------------- backward ----
template <typename T>
void lstm_layer_backward(const LayerShape& s, RnnLayerView<const T> w, const T* x, const T* h, const T* c,
                         const T* act, const T* dy, const T* dh_last, const T* dc_last, T* dx, T* dh0, T* dc0,
                         RnnLayerView<T> dw, GradMode mode, std::vector<T>& scratch) {
  const int64_t B = s.n_batch, Hd = s.n_hidden, G = 4 * Hd, F = s.n_in;
  const int64_t rows = s.n_steps * B;
  scratch.resize(static_cast<size_t>(rows * G + 2 * B * Hd + rows));
  T* dgate = scratch.data();           // [T, B, 4Hd] pre-activation gradients
  T* dh_rec = dgate + rows * G;        // [B, Hd] dL/dh' carried from step t+1
  T* dc = dh_rec + B * Hd;             // [B, Hd] dL/dc carried from step t+1
  T* ones = dc + B * Hd;               // [T*B] ones, for the bias column sums
  std::fill(ones, ones + rows, T(1));
  if (dh_last) std::copy(dh_last, dh_last + B * Hd, dh_rec);
  else std::fill(dh_rec, dh_rec + B * Hd, T(0));
  if (dc_last) std::copy(dc_last, dc_last + B * Hd, dc);
  else std::fill(dc, dc + B * Hd, T(0));

  for (int64_t t = s.n_steps - 1; t >= 0; --t) {
    const T* a = act + t * B * G;
    const T* c_prev = c + t * B * Hd;
    const T* c_cur = c + (t + 1) * B * Hd;
    const T* dyt = dy ? dy + t * B * Hd : nullptr;
    T* dg = dgate + t * B * G;
#pragma omp parallel for schedule(static) if (B * Hd > kOmpMinWork)
    for (int64_t b = 0; b < B; ++b) {
      const T* ab = a + b * G;
      T* dgb = dg + b * G;
      for (int64_t k = 0; k < Hd; ++k) {
        const int64_t e = b * Hd + k;
        const T i = ab[k], f = ab[Hd + k], g = ab[2 * Hd + k], o = ab[3 * Hd + k];
        const T dh = dh_rec[e] + (dyt ? dyt[e] : T(0));  // dL/dh_t
        const T tc = tanh_act(c_cur[e]);
        const T dct = dc[e] + dh * o * (T(1) - tc * tc);  // dL/dc_t
        dgb[k] = dct * g * i * (T(1) - i);                // d i-pre
        dgb[Hd + k] = dct * c_prev[e] * f * (T(1) - f);   // d f-pre
        dgb[2 * Hd + k] = dct * i * (T(1) - g * g);       // d g-pre
        dgb[3 * Hd + k] = dh * tc * o * (T(1) - o);       // d o-pre
        dc[e] = dct * f;                                  // dL/dc_{t-1}
      }
    }
    // dL/dh_{t-1} through the recurrent matrices: [B, 4Hd] x [4Hd, Hd].
    gemm(Trans::No, Trans::No, B, Hd, G, T(1), dg, G, w.r, Hd, T(0), dh_rec, Hd);
  }
  std::copy(dh_rec, dh_rec + B * Hd, dh0);
  std::copy(dc, dc + B * Hd, dc0);

  if (dx) gemm(Trans::No, Trans::No, rows, F, G, T(1), dgate, G, w.w, F, T(0), dx, F);
  if (mode == GradMode::Ignore) return;
  const T beta = mode == GradMode::Accumulate ? T(1) : T(0);
  gemm(Trans::Yes, Trans::No, G, F, rows, T(1), dgate, G, x, F, beta, dw.w, F);   // dW = dG^T X
  gemm(Trans::Yes, Trans::No, G, Hd, rows, T(1), dgate, G, h, Hd, beta, dw.r, Hd);  // dR = dG^T H'
  // h[0 .. T-1] (the previous states) are the first T*B rows of h: exactly H' above.
  col_sums(rows, G, dgate, ones, beta, dw.bw);
  col_sums(rows, G, dgate, ones, beta, dw.br);
}

template void lstm_layer_forward<float>(const LayerShape&, RnnLayerView<const float>, const float*, float*, float*,
                                        float*);
template void lstm_layer_forward<double>(const LayerShape&, RnnLayerView<const double>, const double*, double*,
                                         double*, double*);
template void lstm_layer_backward<float>(const LayerShape&, RnnLayerView<const float>, const float*, const float*,
                                         const float*, const float*, const float*, const float*, const float*,
                                         float*, float*, float*, RnnLayerView<float>, GradMode, std::vector<float>&);
template void lstm_layer_backward<double>(const LayerShape&, RnnLayerView<const double>, const double*,
                                          const double*, const double*, const double*, const double*,
                                          const double*, const double*, double*, double*, double*,
                                          RnnLayerView<double>, GradMode, std::vector<double>&);

}  // namespace skucast::nn
