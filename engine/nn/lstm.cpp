// engine/nn/lstm.cpp — one LSTM layer on the CPU, forward and backward through time
// (Note [RNN gate equations] in rnn.h, cuDNN gate order i, f, g, o).
//
// Forward: per step one GEMM gives the pre-activations [x_t | h'] [W | R]^T + bW + bR
// (K = F + Hd; the step's rows stay in cache, which measured 15% faster than projecting all
// T*B input rows up front, cuDNN-style, into a 36 MB buffer that the per-step GEMM and the
// pointwise pass then stream through again), and a pointwise pass applies the gates.
// Each step's [x_t | h_{t-1}] rows are built in a one-step buffer and built again by the
// backward, from x and h (Note [LSTM rows rebuilt, not kept]).
// Backward: per step a pointwise pass gives dG (pre-activation gate gradients) and one GEMM
// gives [dx_t | dh'] = dG [W | R]; afterwards one GEMM over all steps gives
// [dW | dR]^T = [X | H']^T dG, and bias gradients are column sums of dG (Note [LSTM backward
// GEMMs]).
//
// Note [Per-layer threading]
//   Windows of a batch are independent through the recurrence, so each pass runs as one
//   OpenMP region in which thread p owns windows [b0, b1) (rnn_threads, split_rows in
//   blas.h) and runs every step for them: its per-step GEMM is [b1-b0, Hd] x [Hd, 4Hd]
//   in single-threaded BLAS (Note [One thread pool at a time]) and there is no barrier
//   per step. (An earlier version put a parallel region around each step's pointwise pass
//   and let OpenBLAS thread the per-step GEMM: 4*T*L barriers per training step, and 0.87x
//   PyTorch's speed at 2 threads.) In the backward pass the GEMMs over all T*B rows are
//   split among the same threads, by rows (dx) or by gate rows of the weight gradient
//   (dW, dR, biases), one barrier after the recurrence. Every output element is
//   computed by one thread in a fixed order, so results depend on the thread count but
//   not on scheduling: same seed and threads, same weights.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "engine/nn/activations.h"
#include "engine/nn/blas.h"
#include "engine/nn/rnn.h"

namespace skucast::nn {

namespace {

// Gates of `n` windows at one step (Hd wide each, `#pragma omp simd`: Note [Vectorizable
// float exp]). a [n, 4Hd]: pre-activations in, activations i, f, g, o out; c_prev, c, h
// [n, Hd].
template <typename T>
SKUCAST_SIMD_BODY inline void lstm_fwd_rows(int64_t n, int64_t Hd, T* a, const T* c_prev, T* c, T* h) {
  const int64_t G = 4 * Hd;
  for (int64_t b = 0; b < n; ++b) {
    T* ab = a + b * G;  // gates of window b: [i | f | g | o]
    const T* cpb = c_prev + b * Hd;
    T* cb = c + b * Hd;
    T* hb = h + b * Hd;
#pragma omp simd
    for (int64_t k = 0; k < Hd; ++k) {
      const T i = sigmoid_act(ab[k]);
      const T f = sigmoid_act(ab[Hd + k]);
      const T g = tanh_act(ab[2 * Hd + k]);
      const T o = sigmoid_act(ab[3 * Hd + k]);
      ab[k] = i;
      ab[Hd + k] = f;
      ab[2 * Hd + k] = g;
      ab[3 * Hd + k] = o;
      const T cv = f * cpb[k] + i * g;
      cb[k] = cv;
      hb[k] = o * tanh_act(cv);
    }
  }
}

// Pre-activation gradients of `n` windows at one step. a [n, 4Hd] activations; c_prev, c
// [n, Hd]; dy [n, Hd] or nullptr; dh [n, Hd] in: dL/dh_t from step t+1 (dy is added);
// dc [n, Hd] in: dL/dc_t from step t+1, out: dL/dc_{t-1}; dg [n, 4Hd] out.
template <typename T>
SKUCAST_SIMD_BODY inline void lstm_bwd_rows(int64_t n, int64_t Hd, const T* a, const T* c_prev, const T* c, const T* dy,
                                             const T* dh, T* dc, T* dg) {
  const int64_t G = 4 * Hd;
  for (int64_t b = 0; b < n; ++b) {
    const T* ab = a + b * G;
    const T* cpb = c_prev + b * Hd;
    const T* cb = c + b * Hd;
    const T* dyb = dy ? dy + b * Hd : nullptr;
    const T* dhb = dh + b * Hd;
    T* dcb = dc + b * Hd;
    T* dgb = dg + b * G;
    if (dyb) {
#pragma omp simd
      for (int64_t k = 0; k < Hd; ++k) {
        const T i = ab[k], f = ab[Hd + k], g = ab[2 * Hd + k], o = ab[3 * Hd + k];
        const T dht = dhb[k] + dyb[k];  // dL/dh_t
        const T tc = tanh_act(cb[k]);
        const T dct = dcb[k] + dht * o * (T(1) - tc * tc);  // dL/dc_t
        dgb[k] = dct * g * i * (T(1) - i);                  // d i-pre
        dgb[Hd + k] = dct * cpb[k] * f * (T(1) - f);        // d f-pre
        dgb[2 * Hd + k] = dct * i * (T(1) - g * g);         // d g-pre
        dgb[3 * Hd + k] = dht * tc * o * (T(1) - o);        // d o-pre
        dcb[k] = dct * f;                                   // dL/dc_{t-1}
      }
    } else {
#pragma omp simd
      for (int64_t k = 0; k < Hd; ++k) {
        const T i = ab[k], f = ab[Hd + k], g = ab[2 * Hd + k], o = ab[3 * Hd + k];
        const T dht = dhb[k];
        const T tc = tanh_act(cb[k]);
        const T dct = dcb[k] + dht * o * (T(1) - tc * tc);
        dgb[k] = dct * g * i * (T(1) - i);
        dgb[Hd + k] = dct * cpb[k] * f * (T(1) - f);
        dgb[2 * Hd + k] = dct * i * (T(1) - g * g);
        dgb[3 * Hd + k] = dht * tc * o * (T(1) - o);
        dcb[k] = dct * f;
      }
    }
  }
}

}  // namespace

// The gate passes: float vectorized (SKUCAST_SIMD_KERNEL, Note [Vectorizable float exp]),
// double the plain reference. Not in the anonymous namespace: GCC's target_clones wants
// external functions.
SKUCAST_SIMD_KERNEL void lstm_fwd_pointwise(int64_t n, int64_t Hd, float* a, const float* c_prev, float* c,
                                            float* h) {
  lstm_fwd_rows(n, Hd, a, c_prev, c, h);
}
void lstm_fwd_pointwise(int64_t n, int64_t Hd, double* a, const double* c_prev, double* c, double* h) {
  lstm_fwd_rows(n, Hd, a, c_prev, c, h);
}
SKUCAST_SIMD_KERNEL void lstm_bwd_pointwise(int64_t n, int64_t Hd, const float* a, const float* c_prev,
                                            const float* c, const float* dy, const float* dh, float* dc,
                                            float* dg) {
  lstm_bwd_rows(n, Hd, a, c_prev, c, dy, dh, dc, dg);
}
void lstm_bwd_pointwise(int64_t n, int64_t Hd, const double* a, const double* c_prev, const double* c,
                        const double* dy, const double* dh, double* dc, double* dg) {
  lstm_bwd_rows(n, Hd, a, c_prev, c, dy, dh, dc, dg);
}

// ---------------------------------------------------------------- forward ----
template <typename T>
void lstm_layer_forward(const LayerShape& s, RnnLayerView<const T> w, const T* x, T* h, T* c, T* act,
                        std::vector<T>& scratch, const T* pre, int64_t pre_repeat, int64_t ldx) {
  const int64_t B = s.n_batch, Hd = s.n_hidden, G = 4 * Hd, F = s.n_in;
  if (ldx == 0) ldx = F;
  const int64_t K = F + Hd;  // width of [x_t | h_{t-1}]
  // Scratch, every element written before it is read (Note [Forward scratch] in rnn.h):
  const size_t need = static_cast<size_t>(checked_mul(G, 1 + K) + checked_mul(B, K));
  if (scratch.size() < need) scratch.resize(need);
  T* bsum = scratch.data();  // [4Hd] bW + bR
  T* wcat = bsum + G;        // [F+Hd, 4Hd] = [W | R]^T (Note [Weights transposed for the step GEMM])
  T* xh = wcat + K * G;      // [B, F+Hd] the step's [x_t | h_{t-1}] rows (Note [LSTM rows rebuilt, not kept])
  for (int64_t j = 0; j < G; ++j) bsum[j] = w.bw[j] + w.br[j];
  for (int64_t j = 0; j < G; ++j) {
    for (int64_t f = 0; f < F; ++f) wcat[f * G + j] = w.w[j * F + f];
    for (int64_t k = 0; k < Hd; ++k) wcat[(F + k) * G + j] = w.r[j * Hd + k];
  }
  const int nt = rnn_threads(B);
  BlasSingleThread blas_guard;  // Note [Per-layer threading]
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const RowRange br = split_rows(B, omp_get_thread_num(), omp_get_num_threads());  // this thread's windows
    const int64_t nb = br.hi - br.lo;
    for (int64_t t = 0; t < s.n_steps; ++t) {
      const int64_t o_prev = t * B * Hd + br.lo * Hd, o_cur = (t + 1) * B * Hd + br.lo * Hd;
      T* a = act + (t * B + br.lo) * G;  // [nb, 4Hd] pre-activations of step t
      T* xhp = xh + br.lo * K;  // [nb, F+Hd] this step's [x_t | h_{t-1}]
      for (int64_t b = 0; b < nb; ++b) {
        std::memcpy(xhp + b * K, x + (t * B + br.lo + b) * ldx, sizeof(T) * F);
        std::memcpy(xhp + b * K + F, h + o_prev + b * Hd, sizeof(T) * Hd);
        if (pre) {  // the row's share of the input projection, computed by the caller
          const T* pr = pre + ((br.lo + b) / pre_repeat) * G;
          for (int64_t j = 0; j < G; ++j) a[b * G + j] = bsum[j] + pr[j];
        } else {
          std::memcpy(a + b * G, bsum, sizeof(T) * G);
        }
      }
      // a = bW + bR + [x_t | h_{t-1}] [W | R]^T: one GEMM with K = F + Hd, on rows that stay in cache.
      gemm(Trans::No, Trans::No, nb, G, K, T(1), xhp, K, wcat, G, T(1), a, G);
      lstm_fwd_pointwise(nb, Hd, a, c + o_prev, c + o_cur, h + o_cur);
    }
  }
}

// Note [LSTM rows rebuilt, not kept]
//   The step GEMM reads [x_t | h_{t-1}] as one row per window, and the weight gradient reads
//   the same rows. The forward used to keep all of them, [T, B, F+Hd] per layer (16-18 MB per
//   layer at the train_cpu shape), a copy of what x and h already hold, written to memory in
//   the forward and read back in the backward. Now the forward builds each step's rows in a
//   [B, F+Hd] buffer that stays in cache, and the backward rebuilds them from x (read in place:
//   the caller keeps it unchanged until backward, Rnn::forward's contract) and h into its
//   chunk ring. Same values, same GEMMs: results are unchanged to the bit.

// Note [Weights transposed for the step GEMM]
//   The forward's per-step GEMM multiplies the step's rows by the transposed weights. Passing
//   [W | R] with Trans::Yes made OpenBLAS pack a transposed operand on every call; a copy
//   [W | R]^T made once per call of the layer (the forward copied [W | R] anyway) turns it
//   into a plain no-transpose GEMM. OpenBLAS 0.3.21, one thread, SkylakeX kernels, rows 128
//   per thread: M 128, N 256, K 111 ran at 136 GFLOP/s transposed, 145 plain; K 128 139 -> 153;
//   the GRU's h' R^T (N 192, K 64) 125-131 -> 146-148. Same products, summed in the same
//   order by the same kernel family: results equal to float rounding.

// --------------------------------------------------------------- backward ----
// Note [LSTM weight gradient by chunks]
//   The weight gradient sums over all T*B rows. Done as one GEMM after the recurrence, every
//   step's dG ([B, 4Hd], 256 KB at the benchmark shape) went to memory and came back: a 36 MB
//   buffer per layer written once and read twice (GEMM and bias sums), streamed by both
//   cores at once at 2 threads. Now each thread keeps the dG of its own windows for the last
//   kWeightGradChunk steps in a ring, with copies of their [x_t | h_{t-1}] rows, and when the
//   ring is full adds [X | H']^T dG of those rows to its own partial [dW | dR]^T: a GEMM of
//   rank kWeightGradChunk x (windows per thread) while the rows are still in L2. After the
//   recurrence the threads' partial sums are added in thread order (one barrier). Measured
//   with a forward + backward microbenchmark at the benchmark shape (process CPU time, best
//   of 10, on a 2-core VM loaded by other builds): at 2 threads chunk 4 took 201-209 ms
//   against 236-250 ms for the one GEMM; chunk 2 209-215, 8 215-225, 16 224-226 (per-step
//   rank-128 GEMMs were measured slower before). The GRU (gru.cpp) does the same with its dGx,
//   dGh and x, h' rows: 216 -> 178 ms at 2 threads, 181 -> 153 at 1. The sums' order depends
//   on the thread count, not on scheduling: same seed and threads, same weights. Scratch per
//   layer falls from T*B*4Hd floats (36 MB) to a few MB.
constexpr int64_t kWeightGradChunk = 4;

template <typename T>
void lstm_layer_backward(const LayerShape& s, RnnLayerView<const T> w, const T* x, int64_t ldx, const T* h,
                         const T* c, const T* act,
                         const T* dy, const T* dh_last, const T* dc_last, T* dx, int64_t dx_from, T* dh0, T* dc0,
                         RnnLayerView<T> dw, GradMode mode, std::vector<T>& scratch, T* dpre) {
  const int64_t B = s.n_batch, Hd = s.n_hidden, G = 4 * Hd, F = s.n_in, K = F + Hd;
  if (ldx == 0) ldx = F;
  if (dx_from < 0 || dx_from > F)
    throw Error("lstm backward: dx_from " + std::to_string(dx_from) + " outside [0, " + std::to_string(F) + "]");
  // Note [LSTM backward GEMMs]
  //   The step's GEMM gives [dx_t | dh'] = dG_t [W | R] (dx only from column dx_from on: deepar
  //   needs the embedding columns alone), so the input gradient rides in the recurrence's small,
  //   cache-resident GEMM instead of one [T*B, 4Hd] x [4Hd, F] GEMM afterwards; the weight
  //   gradient is one GEMM per chunk of steps, [dW | dR]^T += [X | H']^T dG, on the
  //   [x_t | h_{t-1}] rows the forward kept, instead of two (dW = dG^T X, dR = dG^T H'), Note
  //   [LSTM weight gradient by chunks]. OpenBLAS 0.3 on this Zen 4 VM, one thread, at the
  //   benchmark shape (B 256, T 140, F 80, Hd 64): the step GEMM at n = 144 runs at ~99 GFLOP/s
  //   against ~75 for the separate dx GEMM. Different summation blocking from the two-GEMM
  //   form: gradients agree to float rounding, and stay deterministic per thread count.
  const int64_t Fd = dx ? F - dx_from : 0;  // dx columns computed
  const int64_t Kd = Fd + Hd;                // width of the step GEMM's output
  const bool grads = mode != GradMode::Ignore;
  const int nt = rnn_threads(B);
  // Rows of one chunk's weight-gradient GEMM, sized for B windows: OpenMP may give the region
  // fewer threads than asked, and then a thread owns more than B / nt windows.
  const int64_t chunk_rows = kWeightGradChunk * B;
  // Per thread: dG and [x_t | h_{t-1}] rows of the chunk, its [dW | dR]^T and bias sums.
  const int64_t per_thread = chunk_rows * (G + K) + K * G + G;
  const size_t need = static_cast<size_t>(2 * B * Hd + chunk_rows + G * Kd + B * Kd + nt * per_thread);
  if (scratch.size() < need) scratch.resize(need);
  T* dh_rec = scratch.data();    // [B, Hd] dL/dh' carried from step t+1
  T* dc = dh_rec + B * Hd;       // [B, Hd] dL/dc carried from step t+1
  T* ones = dc + B * Hd;         // [chunk_rows] ones, for the bias column sums
  T* wb = ones + chunk_rows;     // [4Hd, Fd+Hd]: row j = [W row j from column dx_from | R row j]
  T* out = wb + G * Kd;          // [B, Fd+Hd] the step GEMM's output
  T* per = out + B * Kd;         // nt blocks of per_thread
  std::fill(ones, ones + chunk_rows, T(1));
  for (int64_t j = 0; j < G; ++j) {
    std::copy(w.w + j * F + dx_from, w.w + j * F + dx_from + Fd, wb + j * Kd);
    std::copy(w.r + j * Hd, w.r + (j + 1) * Hd, wb + j * Kd + Fd);
  }
  if (dh_last) std::copy(dh_last, dh_last + B * Hd, dh_rec);
  else std::fill(dh_rec, dh_rec + B * Hd, T(0));
  if (dc_last) std::copy(dc_last, dc_last + B * Hd, dc);
  else std::fill(dc, dc + B * Hd, T(0));

  BlasSingleThread blas_guard;  // Note [Per-layer threading]
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int p = omp_get_thread_num(), np = omp_get_num_threads();
    const RowRange br = split_rows(B, p, np);  // this thread's windows
    const int64_t nb = br.hi - br.lo;
    T* outp = out + br.lo * Kd;
    T* ring = per + p * per_thread;    // [chunk, nb, 4Hd] dG of the chunk's steps
    T* xc = ring + chunk_rows * G;     // [chunk, nb, F+Hd] their [x_t | h_{t-1}] rows
    T* dwr = xc + chunk_rows * K;      // [F+Hd, 4Hd] this thread's [dW | dR]^T
    T* dbias = dwr + K * G;            // [4Hd] this thread's column sums of dG
    bool first = true;
    T* dprep = dpre ? dpre + br.lo * G : nullptr;  // this thread's rows of dpre
    if (dprep) std::fill(dprep, dprep + nb * G, T(0));
    for (int64_t t = s.n_steps - 1; t >= 0; --t) {
      const int64_t o_prev = t * B * Hd + br.lo * Hd, o_cur = (t + 1) * B * Hd + br.lo * Hd;
      const int64_t o_act = (t * B + br.lo) * G;
      const int64_t slot = (s.n_steps - 1 - t) % kWeightGradChunk;
      T* dg = ring + slot * nb * G;
      lstm_bwd_pointwise(nb, Hd, act + o_act, c + o_prev, c + o_cur, dy ? dy + t * B * Hd + br.lo * Hd : nullptr,
                         dh_rec + br.lo * Hd, dc + br.lo * Hd, dg);
      if (dprep)  // the gradient of a per-window addend to the pre-activations: dG summed over steps
        for (int64_t i = 0; i < nb * G; ++i) dprep[i] += dg[i];
      // [dx_t | dL/dh_{t-1}] through the input and recurrent matrices: [nb, 4Hd] x [4Hd, Fd+Hd].
      gemm(Trans::No, Trans::No, nb, Kd, G, T(1), dg, G, wb, Kd, T(0), outp, Kd);
      for (int64_t b = 0; b < nb; ++b) {
        if (Fd > 0) std::memcpy(dx + (t * B + br.lo + b) * F + dx_from, outp + b * Kd, sizeof(T) * Fd);
        std::memcpy(dh_rec + (br.lo + b) * Hd, outp + b * Kd + Fd, sizeof(T) * Hd);
      }
      if (!grads) continue;
      T* xcs = xc + slot * nb * K;  // this step's [x_t | h_{t-1}] rows, rebuilt (Note [LSTM rows rebuilt, not kept])
      for (int64_t b = 0; b < nb; ++b) {
        std::memcpy(xcs + b * K, x + (t * B + br.lo + b) * ldx, sizeof(T) * F);
        std::memcpy(xcs + b * K + F, h + o_prev + b * Hd, sizeof(T) * Hd);
      }
      if (slot == kWeightGradChunk - 1 || t == 0) {  // Note [LSTM weight gradient by chunks]
        const int64_t n = (slot + 1) * nb;
        const T beta = first ? T(0) : T(1);
        gemm(Trans::Yes, Trans::No, K, G, n, T(1), xc, K, ring, G, beta, dwr, G);
        col_sums(n, G, ring, ones, beta, dbias, G);
        first = false;
      }
    }
    if (grads) {
#pragma omp barrier
      // This thread's gate columns [g0, g1): the threads' partial sums added in thread order.
      const RowRange gr = split_rows(G, p, np);
      const bool acc = mode == GradMode::Accumulate;  // no beta * old: Overwrite must not read old NaNs
      auto total = [&](int64_t off) {
        T v = T(0);
        for (int q = 0; q < np; ++q) v += per[q * per_thread + chunk_rows * (G + K) + off];
        return v;
      };
      for (int64_t j = gr.lo; j < gr.hi; ++j) {
        T* wj = dw.w + j * F;
        T* rj = dw.r + j * Hd;
        for (int64_t f = 0; f < F; ++f) {
          const T v = total(f * G + j);
          wj[f] = acc ? wj[f] + v : v;
        }
        for (int64_t k = 0; k < Hd; ++k) {
          const T v = total((F + k) * G + j);
          rj[k] = acc ? rj[k] + v : v;
        }
        const T bias = total(K * G + j);
        dw.bw[j] = acc ? dw.bw[j] + bias : bias;
        dw.br[j] = acc ? dw.br[j] + bias : bias;
      }
    }
  }
  std::copy(dh_rec, dh_rec + B * Hd, dh0);
  std::copy(dc, dc + B * Hd, dc0);
}

template void lstm_layer_forward<float>(const LayerShape&, RnnLayerView<const float>, const float*, float*, float*,
                                        float*, std::vector<float>&, const float*, int64_t, int64_t);
template void lstm_layer_forward<double>(const LayerShape&, RnnLayerView<const double>, const double*, double*,
                                         double*, double*, std::vector<double>&, const double*, int64_t, int64_t);
template void lstm_layer_backward<float>(const LayerShape&, RnnLayerView<const float>, const float*, int64_t,
                                         const float*, const float*, const float*, const float*, const float*,
                                         const float*, float*, int64_t, float*, float*, RnnLayerView<float>, GradMode,
                                         std::vector<float>&, float*);
template void lstm_layer_backward<double>(const LayerShape&, RnnLayerView<const double>, const double*, int64_t,
                                          const double*, const double*, const double*, const double*, const double*,
                                          const double*, double*, int64_t, double*, double*, RnnLayerView<double>,
                                          GradMode, std::vector<double>&, double*);

}  // namespace skucast::nn
