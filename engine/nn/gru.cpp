// engine/nn/gru.cpp — one GRU layer on the CPU, forward and backward through time
// (Note [RNN gate equations] in rnn.h: cuDNN gate order r, z, h~, "linear before reset").
//
// Forward: one GEMM gives Gx = X W^T + bW for all steps (written into columns 0..3Hd of
// act); per step one GEMM gives Gh = h' R^T + bR [B, 3Hd], and a pointwise pass stores
// r, z, n and Gh_n = R_h h' + bR_h (needed by the reset-gate gradient) in act.
// Backward: per step a pointwise pass gives dGx (input-side pre-activation gradients) and
// dGh (recurrent side: equal to dGx for r and z, r * dn~ for h~), one GEMM gives
// dh' = z * dh + dGh R; afterwards big GEMMs give dW, dR and dx over all steps.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/nn/activations.h"
#include "engine/nn/blas.h"
#include "engine/nn/rnn.h"

namespace skucast::nn {

namespace {

// See Note [Per-step threading] in lstm.cpp.
constexpr int64_t kOmpMinWork = int64_t{1} << 17;

}  // namespace

// ---------------------------------------------------------------- forward ----
template <typename T>
void gru_layer_forward(const LayerShape& s, RnnLayerView<const T> w, const T* x, T* h, T* act) {
  const int64_t B = s.n_batch, Hd = s.n_hidden, G = 3 * Hd, A = 4 * Hd, F = s.n_in;
  const int64_t rows = s.n_steps * B;
  // act[t, b, 0:3Hd] = bW + x[t, b, :] W^T; act rows are 4Hd wide (the 4th block is Gh_n).
  for (int64_t r = 0; r < rows; ++r) std::memcpy(act + r * A, w.bw, sizeof(T) * G);
  gemm(Trans::No, Trans::Yes, rows, G, F, T(1), x, F, w.w, F, T(1), act, A);

  std::vector<T> gh(static_cast<size_t>(B * G));  // [B, 3Hd] = h' R^T + bR
  for (int64_t t = 0; t < s.n_steps; ++t) {
    const T* h_prev = h + t * B * Hd;
    T* h_cur = h + (t + 1) * B * Hd;
    T* a = act + t * B * A;
    for (int64_t b = 0; b < B; ++b) std::memcpy(gh.data() + b * G, w.br, sizeof(T) * G);
    gemm(Trans::No, Trans::Yes, B, G, Hd, T(1), h_prev, Hd, w.r, Hd, T(1), gh.data(), G);
#pragma omp parallel for schedule(static) if (B * Hd > kOmpMinWork)
    for (int64_t b = 0; b < B; ++b) {
      T* ab = a + b * A;  // [r | z | n | Gh_n] of window b
      const T* ghb = gh.data() + b * G;
      for (int64_t k = 0; k < Hd; ++k) {
        const T r = sigmoid_act(ab[k] + ghb[k]);
        const T z = sigmoid_act(ab[Hd + k] + ghb[Hd + k]);
        const T ghn = ghb[2 * Hd + k];
        const T n = tanh_act(ab[2 * Hd + k] + r * ghn);
        ab[k] = r;
        ab[Hd + k] = z;
        ab[2 * Hd + k] = n;
        ab[3 * Hd + k] = ghn;
        h_cur[b * Hd + k] = (T(1) - z) * n + z * h_prev[b * Hd + k];
      }
    }
  }
}

// --------------------------------------------------------------- backward ----
template <typename T>
void gru_layer_backward(const LayerShape& s, RnnLayerView<const T> w, const T* x, const T* h, const T* act,
                        const T* dy, const T* dh_last, T* dx, T* dh0, RnnLayerView<T> dw, GradMode mode,
                        std::vector<T>& scratch) {
  const int64_t B = s.n_batch, Hd = s.n_hidden, G = 3 * Hd, A = 4 * Hd, F = s.n_in;
  const int64_t rows = s.n_steps * B;
  scratch.resize(static_cast<size_t>(2 * rows * G + B * Hd + rows));
  T* dgx = scratch.data();    // [T, B, 3Hd] d(W x + bW) per gate
  T* dgh = dgx + rows * G;    // [T, B, 3Hd] d(R h' + bR) per gate
  T* dh_rec = dgh + rows * G; // [B, Hd] dL/dh' carried from step t+1
  T* ones = dh_rec + B * Hd;  // [T*B] ones, for the bias column sums
  std::fill(ones, ones + rows, T(1));
  if (dh_last) std::copy(dh_last, dh_last + B * Hd, dh_rec);
  else std::fill(dh_rec, dh_rec + B * Hd, T(0));

  for (int64_t t = s.n_steps - 1; t >= 0; --t) {
    const T* a = act + t * B * A;
    const T* h_prev = h + t * B * Hd;
    const T* dyt = dy ? dy + t * B * Hd : nullptr;
    T* dgxt = dgx + t * B * G;
    T* dght = dgh + t * B * G;
#pragma omp parallel for schedule(static) if (B * Hd > kOmpMinWork)
    for (int64_t b = 0; b < B; ++b) {
      const T* ab = a + b * A;
      for (int64_t k = 0; k < Hd; ++k) {
        const int64_t e = b * Hd + k;
        const T r = ab[k], z = ab[Hd + k], n = ab[2 * Hd + k], ghn = ab[3 * Hd + k];
        const T dh = dh_rec[e] + (dyt ? dyt[e] : T(0));  // dL/dh_t
        const T dn = dh * (T(1) - z) * (T(1) - n * n);   // d n-pre
        const T dz = dh * (h_prev[e] - n) * z * (T(1) - z);
        const T dr = dn * ghn * r * (T(1) - r);
        dgxt[b * G + k] = dr;
        dgxt[b * G + Hd + k] = dz;
        dgxt[b * G + 2 * Hd + k] = dn;
        dght[b * G + k] = dr;
        dght[b * G + Hd + k] = dz;
        dght[b * G + 2 * Hd + k] = dn * r;
        dh_rec[e] = dh * z;  // the direct path h = ... + z * h'
      }
    }
    // dL/dh' += dGh R: [B, 3Hd] x [3Hd, Hd].
    gemm(Trans::No, Trans::No, B, Hd, G, T(1), dght, G, w.r, Hd, T(1), dh_rec, Hd);
  }
  std::copy(dh_rec, dh_rec + B * Hd, dh0);

  if (dx) gemm(Trans::No, Trans::No, rows, F, G, T(1), dgx, G, w.w, F, T(0), dx, F);
  if (mode == GradMode::Ignore) return;
  const T beta = mode == GradMode::Accumulate ? T(1) : T(0);
  gemm(Trans::Yes, Trans::No, G, F, rows, T(1), dgx, G, x, F, beta, dw.w, F);   // dW = dGx^T X
  gemm(Trans::Yes, Trans::No, G, Hd, rows, T(1), dgh, G, h, Hd, beta, dw.r, Hd);  // dR = dGh^T H'
  col_sums(rows, G, dgx, ones, beta, dw.bw);
  col_sums(rows, G, dgh, ones, beta, dw.br);
}

template void gru_layer_forward<float>(const LayerShape&, RnnLayerView<const float>, const float*, float*, float*);
template void gru_layer_forward<double>(const LayerShape&, RnnLayerView<const double>, const double*, double*,
                                        double*);
template void gru_layer_backward<float>(const LayerShape&, RnnLayerView<const float>, const float*, const float*,
                                        const float*, const float*, const float*, float*, float*,
                                        RnnLayerView<float>, GradMode, std::vector<float>&);
template void gru_layer_backward<double>(const LayerShape&, RnnLayerView<const double>, const double*,
                                         const double*, const double*, const double*, const double*, double*,
                                         double*, RnnLayerView<double>, GradMode, std::vector<double>&);

}  // namespace skucast::nn
