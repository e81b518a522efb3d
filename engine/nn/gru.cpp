// engine/nn/gru.cpp — one GRU layer on the CPU, forward and backward through time
// (Note [RNN gate equations] in rnn.h: cuDNN gate order r, z, h~, "linear before reset").
//
// Forward: one GEMM gives Gx = X W^T + bW for all steps (written into columns 0..3Hd of
// act); per step one GEMM gives Gh = h' R^T [B, 3Hd], and a pointwise pass adds bR and
// stores r, z, n and Gh_n = R_h h' + bR_h (needed by the reset-gate gradient) in act.
// Backward: per step a pointwise pass gives dGx (input-side pre-activation gradients) and
// dGh (recurrent side: equal to dGx for r and z, r * dn~ for h~), one GEMM gives
// dh' = z * dh + dGh R; afterwards big GEMMs give dW, dR and dx over all steps.
// Threading as in the LSTM: Note [Per-layer threading] in lstm.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/nn/activations.h"
#include "engine/nn/blas.h"
#include "engine/nn/rnn.h"

namespace skucast::nn {

namespace {

// Gates of `n` windows at one step (`#pragma omp simd`: Note [Vectorizable float exp]).
// a [n, 4Hd]: in, columns 0..3Hd hold Gx; out, r | z | n | Gh_n. gh [n, 3Hd] = h' R^T
// (without bR); br [3Hd]; h_prev, h [n, Hd].
template <typename T>
SKUCAST_SIMD_BODY inline void gru_fwd_rows(int64_t n, int64_t Hd, T* a, const T* gh, const T* br, const T* h_prev,
                                            T* h) {
  const int64_t G = 3 * Hd, A = 4 * Hd;
  for (int64_t b = 0; b < n; ++b) {
    T* ab = a + b * A;  // [r | z | n | Gh_n] of window b
    const T* ghb = gh + b * G;
    const T* hpb = h_prev + b * Hd;
    T* hb = h + b * Hd;
#pragma omp simd
    for (int64_t k = 0; k < Hd; ++k) {
      const T r = sigmoid_act(ab[k] + ghb[k] + br[k]);
      const T z = sigmoid_act(ab[Hd + k] + ghb[Hd + k] + br[Hd + k]);
      const T ghn = ghb[2 * Hd + k] + br[2 * Hd + k];
      const T nv = tanh_act(ab[2 * Hd + k] + r * ghn);
      ab[k] = r;
      ab[Hd + k] = z;
      ab[2 * Hd + k] = nv;
      ab[3 * Hd + k] = ghn;
      hb[k] = (T(1) - z) * nv + z * hpb[k];
    }
  }
}

// Gradients of `n` windows at one step. a [n, 4Hd] from the forward pass; h_prev [n, Hd];
// dy [n, Hd] or nullptr; dh [n, Hd] in: dL/dh_t from step t+1 (dy is added), out: the
// direct part z * dL/dh_t of dL/dh'; dgx, dgh [n, 3Hd] out.
template <typename T>
SKUCAST_SIMD_BODY inline void gru_bwd_rows(int64_t n, int64_t Hd, const T* a, const T* h_prev, const T* dy, T* dh,
                                            T* dgx, T* dgh) {
  const int64_t G = 3 * Hd, A = 4 * Hd;
  for (int64_t b = 0; b < n; ++b) {
    const T* ab = a + b * A;
    const T* hpb = h_prev + b * Hd;
    const T* dyb = dy ? dy + b * Hd : nullptr;
    T* dhb = dh + b * Hd;
    T* dgxb = dgx + b * G;
    T* dghb = dgh + b * G;
#pragma omp simd
    for (int64_t k = 0; k < Hd; ++k) {
      const T r = ab[k], z = ab[Hd + k], nv = ab[2 * Hd + k], ghn = ab[3 * Hd + k];
      const T dht = dhb[k] + (dyb ? dyb[k] : T(0));  // dL/dh_t
      const T dn = dht * (T(1) - z) * (T(1) - nv * nv);  // d n-pre
      const T dz = dht * (hpb[k] - nv) * z * (T(1) - z);
      const T dr = dn * ghn * r * (T(1) - r);
      dgxb[k] = dr;
      dgxb[Hd + k] = dz;
      dgxb[2 * Hd + k] = dn;
      dghb[k] = dr;
      dghb[Hd + k] = dz;
      dghb[2 * Hd + k] = dn * r;
      dhb[k] = dht * z;  // the direct path h = ... + z * h'
    }
  }
}

}  // namespace

// The gate passes: float vectorized, double the plain reference (as in lstm.cpp).
SKUCAST_SIMD_KERNEL void gru_fwd_pointwise(int64_t n, int64_t Hd, float* a, const float* gh, const float* br,
                                           const float* h_prev, float* h) {
  gru_fwd_rows(n, Hd, a, gh, br, h_prev, h);
}
void gru_fwd_pointwise(int64_t n, int64_t Hd, double* a, const double* gh, const double* br, const double* h_prev,
                       double* h) {
  gru_fwd_rows(n, Hd, a, gh, br, h_prev, h);
}
SKUCAST_SIMD_KERNEL void gru_bwd_pointwise(int64_t n, int64_t Hd, const float* a, const float* h_prev,
                                           const float* dy, float* dh, float* dgx, float* dgh) {
  gru_bwd_rows(n, Hd, a, h_prev, dy, dh, dgx, dgh);
}
void gru_bwd_pointwise(int64_t n, int64_t Hd, const double* a, const double* h_prev, const double* dy, double* dh,
                       double* dgx, double* dgh) {
  gru_bwd_rows(n, Hd, a, h_prev, dy, dh, dgx, dgh);
}

// ---------------------------------------------------------------- forward ----
template <typename T>
void gru_layer_forward(const LayerShape& s, RnnLayerView<const T> w, const T* x, T* h, T* act,
                       std::vector<T>& scratch, const T* pre, int64_t pre_repeat, int64_t ldx) {
  const int64_t B = s.n_batch, Hd = s.n_hidden, G = 3 * Hd, A = 4 * Hd, F = s.n_in;
  if (ldx == 0) ldx = F;
  const int64_t rows = s.n_steps * B;
  // Scratch, every element written before it is read (Note [Forward scratch] in rnn.h): [B, 3Hd]
  // h' R^T (the GEMM writes it with beta 0) and [Hd, 3Hd] R^T (Note [Weights transposed for the
  // step GEMM] in lstm.cpp).
  const size_t need = static_cast<size_t>(checked_mul(B + Hd, G));
  if (scratch.size() < need) scratch.resize(need);
  T* const gh = scratch.data();
  T* const rt = gh + B * G;
  for (int64_t j = 0; j < G; ++j)
    for (int64_t k = 0; k < Hd; ++k) rt[k * G + j] = w.r[j * Hd + k];
  const int nt = rnn_threads(B);
  BlasSingleThread blas_guard;  // Note [Per-layer threading] in lstm.cpp
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int p = omp_get_thread_num(), np = omp_get_num_threads();
    // act[r, 0:3Hd] = bW + x[r, :] W^T for this thread's rows r (act rows are 4Hd wide).
    const RowRange rr = split_rows(rows, p, np);
    for (int64_t r = rr.lo; r < rr.hi; ++r) {
      if (pre) {  // the row's share of the input projection, computed by the caller
        const T* pr = pre + ((r % B) / pre_repeat) * G;
        for (int64_t j = 0; j < G; ++j) act[r * A + j] = w.bw[j] + pr[j];
      } else {
        std::memcpy(act + r * A, w.bw, sizeof(T) * G);
      }
    }
    gemm(Trans::No, Trans::Yes, rr.hi - rr.lo, G, F, T(1), x + rr.lo * ldx, ldx, w.w, F, T(1), act + rr.lo * A, A);
#pragma omp barrier
    const RowRange br = split_rows(B, p, np);  // this thread's windows
    const int64_t nb = br.hi - br.lo;
    T* ghp = gh + br.lo * G;
    for (int64_t t = 0; t < s.n_steps; ++t) {
      const T* h_prev = h + t * B * Hd + br.lo * Hd;
      gemm(Trans::No, Trans::No, nb, G, Hd, T(1), h_prev, Hd, rt, G, T(0), ghp, G);
      gru_fwd_pointwise(nb, Hd, act + (t * B + br.lo) * A, ghp, w.br, h_prev, h + (t + 1) * B * Hd + br.lo * Hd);
    }
  }
}

// --------------------------------------------------------------- backward ----
// Steps per weight-gradient GEMM (Note [LSTM weight gradient by chunks] in lstm.cpp).
constexpr int64_t kWeightGradChunk = 4;

template <typename T>
void gru_layer_backward(const LayerShape& s, RnnLayerView<const T> w, const T* x, int64_t ldx, const T* h,
                        const T* act, const T* dy, const T* dh_last, T* dx, int64_t dx_from, T* dh0,
                        RnnLayerView<T> dw, GradMode mode, std::vector<T>& scratch, T* dpre) {
  const int64_t B = s.n_batch, Hd = s.n_hidden, G = 3 * Hd, A = 4 * Hd, F = s.n_in;
  if (ldx == 0) ldx = F;
  const bool grads = mode != GradMode::Ignore;
  const bool want_dx = dx && dx_from < F;
  const int nt = rnn_threads(B);
  // Rows of one chunk's weight-gradient GEMMs, sized for B windows: OpenMP may give the
  // region fewer threads than asked, and then a thread owns more than B / nt windows.
  const int64_t chunk_rows = kWeightGradChunk * B;
  // Per thread: the chunk's dGx, dGh, x and h' rows; its dW, dR and both bias sums.
  const int64_t per_thread = chunk_rows * (2 * G + F + Hd) + G * F + G * Hd + 2 * G;
  scratch.resize(static_cast<size_t>(B * Hd + chunk_rows + nt * per_thread));
  T* dh_rec = scratch.data();   // [B, Hd] dL/dh' carried from step t+1
  T* ones = dh_rec + B * Hd;    // [chunk_rows] ones, for the bias column sums
  T* per = ones + chunk_rows;   // nt blocks of per_thread
  std::fill(ones, ones + chunk_rows, T(1));
  if (dh_last) std::copy(dh_last, dh_last + B * Hd, dh_rec);
  else std::fill(dh_rec, dh_rec + B * Hd, T(0));

  BlasSingleThread blas_guard;  // Note [Per-layer threading] in lstm.cpp
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int p = omp_get_thread_num(), np = omp_get_num_threads();
    const RowRange br = split_rows(B, p, np);  // this thread's windows
    const int64_t nb = br.hi - br.lo;
    T* dhp = dh_rec + br.lo * Hd;
    T* dgx = per + p * per_thread;       // [chunk, nb, 3Hd] d(W x + bW) of the chunk's steps
    T* dgh = dgx + chunk_rows * G;       // [chunk, nb, 3Hd] d(R h' + bR)
    T* xc = dgh + chunk_rows * G;        // [chunk, nb, F] their inputs
    T* hc = xc + chunk_rows * F;         // [chunk, nb, Hd] their h'
    T* dW = hc + chunk_rows * Hd;        // [3Hd, F] this thread's partial sums
    T* dR = dW + G * F;                  // [3Hd, Hd]
    T* dbw = dR + G * Hd;                // [3Hd]
    T* dbr = dbw + G;                    // [3Hd]
    bool first = true;
    T* dprep = dpre ? dpre + br.lo * G : nullptr;  // this thread's rows of dpre
    if (dprep) std::fill(dprep, dprep + nb * G, T(0));
    for (int64_t t = s.n_steps - 1; t >= 0; --t) {
      const int64_t o_h = t * B * Hd + br.lo * Hd;
      const int64_t slot = (s.n_steps - 1 - t) % kWeightGradChunk;
      T* gx = dgx + slot * nb * G;
      T* gh = dgh + slot * nb * G;
      gru_bwd_pointwise(nb, Hd, act + (t * B + br.lo) * A, h + o_h, dy ? dy + o_h : nullptr, dhp, gx, gh);
      if (dprep)  // the gradient of a per-window addend to the input projection: dGx summed over steps
        for (int64_t i = 0; i < nb * G; ++i) dprep[i] += gx[i];
      // dL/dh' += dGh R: [nb, 3Hd] x [3Hd, Hd].
      gemm(Trans::No, Trans::No, nb, Hd, G, T(1), gh, G, w.r, Hd, T(1), dhp, Hd);
      if (want_dx)  // dx_t[:, dx_from:] = dGx_t W[:, dx_from:]
        gemm(Trans::No, Trans::No, nb, F - dx_from, G, T(1), gx, G, w.w + dx_from, F, T(0),
             dx + (t * B + br.lo) * F + dx_from, F);
      if (!grads) continue;
      for (int64_t b = 0; b < nb; ++b)
        std::memcpy(xc + (slot * nb + b) * F, x + (t * B + br.lo + b) * ldx, sizeof(T) * F);
      std::memcpy(hc + slot * nb * Hd, h + o_h, sizeof(T) * nb * Hd);
      if (slot == kWeightGradChunk - 1 || t == 0) {  // Note [LSTM weight gradient by chunks] in lstm.cpp
        const int64_t n = (slot + 1) * nb;
        const T beta = first ? T(0) : T(1);
        gemm(Trans::Yes, Trans::No, G, F, n, T(1), dgx, G, xc, F, beta, dW, F);
        gemm(Trans::Yes, Trans::No, G, Hd, n, T(1), dgh, G, hc, Hd, beta, dR, Hd);
        col_sums(n, G, dgx, ones, beta, dbw, G);
        col_sums(n, G, dgh, ones, beta, dbr, G);
        first = false;
      }
    }
    if (grads) {
#pragma omp barrier
      // This thread's gate rows [g0, g1): the threads' partial sums added in thread order.
      const RowRange gr = split_rows(G, p, np);
      const bool acc = mode == GradMode::Accumulate;  // no beta * old: Overwrite must not read old NaNs
      const int64_t o_w = chunk_rows * (2 * G + F + Hd), o_r = o_w + G * F, o_bw = o_r + G * Hd, o_br = o_bw + G;
      auto total = [&](int64_t off) {
        T v = T(0);
        for (int q = 0; q < np; ++q) v += per[q * per_thread + off];
        return v;
      };
      for (int64_t j = gr.lo; j < gr.hi; ++j) {
        for (int64_t f = 0; f < F; ++f) {
          const T v = total(o_w + j * F + f);
          dw.w[j * F + f] = acc ? dw.w[j * F + f] + v : v;
        }
        for (int64_t k = 0; k < Hd; ++k) {
          const T v = total(o_r + j * Hd + k);
          dw.r[j * Hd + k] = acc ? dw.r[j * Hd + k] + v : v;
        }
        const T vb = total(o_bw + j), vr = total(o_br + j);
        dw.bw[j] = acc ? dw.bw[j] + vb : vb;
        dw.br[j] = acc ? dw.br[j] + vr : vr;
      }
    }
  }
  std::copy(dh_rec, dh_rec + B * Hd, dh0);
}

template void gru_layer_forward<float>(const LayerShape&, RnnLayerView<const float>, const float*, float*, float*,
                                       std::vector<float>&, const float*, int64_t, int64_t);
template void gru_layer_forward<double>(const LayerShape&, RnnLayerView<const double>, const double*, double*,
                                        double*, std::vector<double>&, const double*, int64_t, int64_t);
template void gru_layer_backward<float>(const LayerShape&, RnnLayerView<const float>, const float*, int64_t,
                                        const float*, const float*, const float*, const float*, float*, int64_t,
                                        float*, RnnLayerView<float>, GradMode, std::vector<float>&, float*);
template void gru_layer_backward<double>(const LayerShape&, RnnLayerView<const double>, const double*, int64_t,
                                         const double*, const double*, const double*, const double*, double*,
                                         int64_t, double*, RnnLayerView<double>, GradMode, std::vector<double>&,
                                         double*);

}  // namespace skucast::nn
