// engine/models/deepar_cuda.cpp — host orchestration of the DeepAR training step on the GPU
// (deepar_cuda.h, Note [DeepAR training on the GPU]): the stream, cuBLAS handle, pinned
// staging and device buffers (all RAII), the dense head on cuBLAS, and the order of one step.
// CUDA builds only; deepar_cuda_stub.cpp stands in for it in CPU builds.
#include "engine/models/deepar_cuda.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/models/deepar_cuda_kernels.h"
#include "engine/models/deepar_cuda_util.h"
#include "engine/nn/rnn_cudnn.h"
#include "kernels/adam.hpp"
#include "kernels/common.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/device.hpp"
#include "kernels/device_buffer.hpp"
#include "kernels/likelihood.hpp"

namespace skucast::deepar {

namespace {

// RAII types for streams, events, cuBLAS handles and pinned memory: deepar_cuda_util.h.

constexpr int kSlots = 2;     // input staging: the host fills one while the device reads the other
constexpr int kLossRing = 4;  // loss slots in flight before the host must read the oldest

int to_int(int64_t v, const char* what) { return checked_int(v, what); }

}  // namespace

// ------------------------------------------------------------------ impl ----
struct CudaTrainStep::Impl {
  Layout l;
  const PanelData& d;
  int64_t max_batch = 0, max_steps = 0, n_emb_cols = 0, n_attr = 0, emb_col0 = 0, emb_begin = 0;
  nn::AdamWConfig adam;
  int64_t n_submitted = 0;  // AdamW steps, uploaded count included
  int64_t n_local = 0;      // steps submitted through this object (loss ring index)

  // Declared first, destroyed last: everything below may free memory on it.
  StreamPtr stream;
  BlasPtr blas;
  std::unique_ptr<nn::CudnnRnn> rnn;

  // Device state and per-step buffers, allocated once at the largest batch.
  DeviceBuffer<float> w, grad, m, v;                 // [n_params]
  DeviceBuffer<float> x, target, scale;              // [T, B, F], [T, B], [B]
  DeviceBuffer<int32_t> codes;                       // [A, B] static codes of the windows
  DeviceBuffer<float> head_out, draw, loss_rows;     // [T, B, P], [T, B, P], [T, B]
  DeviceBuffer<float> dy, dx;                        // [T, B, Hd], [T, B, F] (dx: models with embeddings)
  DeviceBuffer<float> ones;                          // [T*B] of 1: bias broadcast and column sums
  DeviceBuffer<EmbeddingColumn> emb_cols;            // [n_emb_cols]
  DeviceBuffer<double> stats;                        // [kLossRing, 2]: loss sum, observed count
  DeviceBuffer<double> sq_norm;                      // [1] squared global gradient norm

  // Host staging (pinned).
  struct Slot {
    PinnedBuffer<float> x, target, scale;
    PinnedBuffer<int32_t> codes;
    EventPtr read;  // recorded after the device copied this slot in
    bool in_use = false;
  };
  Slot slots[kSlots];
  int next_slot = 0;
  bool staged = false;
  int64_t staged_batch = 0, staged_steps = 0;

  PinnedBuffer<double> host_stats;  // [kLossRing, 2]
  EventPtr loss_ready[kLossRing];
  std::deque<int64_t> pending;      // local step indices whose loss has not been returned
  std::vector<nn::LossValue> done;  // losses read from the ring, not yet returned

  // The deferred host part of a step with embeddings (Note [DeepAR training on the GPU], 4).
  PinnedBuffer<float> dx_host;    // [T, B, F]; only the embedding columns are copied back
  PinnedBuffer<float> grad_host;  // [n_params]; only the embedding rows are used
  EventPtr dx_ready;
  bool tail_pending = false;
  std::vector<int64_t> tail_series;
  int64_t tail_batch = 0, tail_steps = 0;
  AdamParams tail_adam;

  Impl(const Layout& layout, const PanelData& data) : l(layout), d(data) {}
  ~Impl() {
    if (stream) cudaStreamSynchronize(stream.get());  // let queued work finish before buffers go; errors ignored
  }

  cudaStream_t s() const { return stream.get(); }

  // The loss ring: read step k's values (its event must have completed).
  void read_loss(int64_t k) {
    const double* st = host_stats.data() + 2 * (k % kLossRing);
    const double total = st[0], ws = st[1];
    done.push_back(nn::LossValue{ws > 0 ? total / ws : 0.0, ws});
  }

  void norm_and_adam(const AdamParams& p) {
    const int64_t n = l.n_params;
    AdamClip clip;
    if (adam.clip_norm > 0) {
      grad_sq_norm(grad.data(), n, sq_norm.data(), NormWrite::Overwrite, s());
      clip = AdamClip{sq_norm.data(), adam.clip_norm};
    }
    adam_step(p, clip, w.data(), grad.data(), m.data(), v.data(), n, s());
  }

  // The host part of the previous step (embeddings): embedding_backward on its dx, the table
  // gradient rows to the device, then the norm and AdamW. No-op when nothing is pending.
  void complete_tail() {
    if (!tail_pending) return;
    tail_pending = false;
    SKU_CUDA_CHECK(cudaEventSynchronize(dx_ready.get()));
    float* g = grad_host.data();
    std::fill(g + emb_begin, g + l.n_params, 0.0f);
    embedding_backward(d, l, tail_series.data(), tail_batch, tail_steps, dx_host.data(), g);
    SKU_CUDA_CHECK(cudaMemcpyAsync(grad.data() + emb_begin, g + emb_begin,
                                   static_cast<size_t>(l.n_params - emb_begin) * sizeof(float),
                                   cudaMemcpyHostToDevice, s()));
    norm_and_adam(tail_adam);
  }

  // Dense head forward: out [N, P] = y [N, Hd] A^T + b (A [P, Hd], b [P], row-major).
  // cuBLAS is column-major: a row-major [r, c] matrix is its transpose [c, r] with ld = c.
  void head_forward(const float* a, const float* b, const float* y, int64_t n_rows) {
    const int N = to_int(n_rows, "head rows"), P = to_int(likelihood_n_params(l.lik.kind), "head outputs");
    const int Hd = to_int(l.rnn.n_hidden, "hidden");
    const float one = 1.0f, zero = 0.0f;
    // out^T [P, N] = b [P, 1] * ones [1, N]  (the bias on every row)
    SKU_CUBLAS_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, P, N, 1, &one, b, P, ones.data(), 1, &zero,
                                 head_out.data(), P));
    // out^T [P, N] += A [P, Hd] * y^T [Hd, N]; A is stored as A^T [Hd, P] (ld Hd), y as y^T (ld Hd)
    SKU_CUBLAS_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_T, CUBLAS_OP_N, P, N, Hd, &one, a, Hd, y, Hd, &one,
                                 head_out.data(), P));
  }

  // Dense head backward: dy [N, Hd] = draw [N, P] A; dA [P, Hd] = draw^T y; db [P] = column
  // sums of draw (GradMode::Overwrite, as the CPU trainer).
  void head_backward(const float* a, const float* y, int64_t n_rows, float* da, float* db) {
    const int N = to_int(n_rows, "head rows"), P = to_int(likelihood_n_params(l.lik.kind), "head outputs");
    const int Hd = to_int(l.rnn.n_hidden, "hidden");
    const float one = 1.0f, zero = 0.0f;
    // dy^T [Hd, N] = A^T [Hd, P] * draw^T [P, N]
    SKU_CUBLAS_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_N, Hd, N, P, &one, a, Hd, draw.data(), P, &zero,
                                 dy.data(), Hd));
    // dA^T [Hd, P] = y^T [Hd, N] * draw [N, P]
    SKU_CUBLAS_CHECK(cublasSgemm(blas.get(), CUBLAS_OP_N, CUBLAS_OP_T, Hd, P, N, &one, y, Hd, draw.data(), P, &zero,
                                 da, Hd));
    // db [P] = draw^T [P, N] * ones [N]
    SKU_CUBLAS_CHECK(cublasSgemv(blas.get(), CUBLAS_OP_N, P, N, &one, draw.data(), P, ones.data(), 1, &zero, db, 1));
  }
};

// ------------------------------------------------------------ construction ----
CudaTrainStep::CudaTrainStep(const Layout& l, const PanelData& d, int64_t max_batch, int64_t max_steps,
                             const nn::AdamWConfig& adam)
    : m(std::make_unique<Impl>(l, d)) {
  if (l.rnn.dropout > 0.0f) {
    char p[32];
    std::snprintf(p, sizeof p, "%g", static_cast<double>(l.rnn.dropout));
    throw InputError(std::string("deepar: dropout ") + p +
                     " has no GPU path yet (cuDNN dropout is not wired); expected 0 for the GPU training step");
  }
  if (max_batch < 1 || max_steps < 1)
    throw InputError("deepar: the GPU training step needs a batch and a window of at least 1, got batch " +
                     std::to_string(max_batch) + ", steps " + std::to_string(max_steps));
  if (cuda_device_count() == 0)
    throw DeviceError("deepar: no usable CUDA device (" + cuda_device_description() +
                      "); train on the CPU (--device cpu)");
  Impl& I = *m;
  I.max_batch = max_batch;
  I.max_steps = max_steps;
  I.adam = adam;
  I.n_attr = static_cast<int64_t>(l.emb_k.size());
  I.emb_col0 = l.n_base + l.n_dyn;
  I.n_emb_cols = l.n_features - I.emb_col0;
  I.emb_begin = l.n_rnn + l.n_head;
  if (static_cast<int64_t>(d.codes.size()) != I.n_attr)
    throw InputError("deepar: the panel has " + std::to_string(d.codes.size()) + " static attributes, the model " +
                     std::to_string(I.n_attr));

  // CudnnRnn takes each step's workspace and reserve space from the device's default pool;
  // keep it pooled across the waits for a staging slot or for dx (deepar_cuda_util.h).
  keep_default_pool();

  cudaStream_t st = nullptr;
  SKU_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  I.stream.reset(st);
  cublasHandle_t h = nullptr;
  SKU_CUBLAS_CHECK(cublasCreate(&h));
  I.blas.reset(h);
  SKU_CUBLAS_CHECK(cublasSetStream(h, st));
  // FP32 SGEMM without TF32 (CUBLAS_DEFAULT_MATH never uses TF32 tensor cores for Sgemm):
  // the parity reference (Note [DeepAR training on the GPU]).
  SKU_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  SKU_CUBLAS_CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST));
  I.rnn = std::make_unique<nn::CudnnRnn>(l.rnn, nn::RnnPrecision::Fp32);

  const int64_t n = l.n_params, F = l.n_features, Hd = l.rnn.n_hidden, P = likelihood_n_params(l.lik.kind);
  const int64_t rows = checked_mul(max_batch, max_steps);  // T*B
  I.w = DeviceBuffer<float>(n);
  I.grad = DeviceBuffer<float>(n);
  I.m = DeviceBuffer<float>(n);
  I.v = DeviceBuffer<float>(n);
  I.x = DeviceBuffer<float>(checked_mul(rows, F));
  I.target = DeviceBuffer<float>(rows);
  I.scale = DeviceBuffer<float>(max_batch);
  I.codes = DeviceBuffer<int32_t>(checked_mul(std::max<int64_t>(I.n_attr, 1), max_batch));
  I.head_out = DeviceBuffer<float>(checked_mul(rows, P));
  I.draw = DeviceBuffer<float>(checked_mul(rows, P));
  I.loss_rows = DeviceBuffer<float>(rows);
  I.dy = DeviceBuffer<float>(checked_mul(rows, Hd));
  if (I.n_emb_cols > 0) I.dx = DeviceBuffer<float>(checked_mul(rows, F));
  I.ones = DeviceBuffer<float>(std::vector<float>(static_cast<size_t>(rows), 1.0f));
  I.stats = DeviceBuffer<double>(2 * kLossRing);
  I.sq_norm = DeviceBuffer<double>(1);

  std::vector<EmbeddingColumn> cols;  // [n_emb_cols]: column j of x is emb_col0 + j
  for (int64_t a = 0; a < I.n_attr; ++a)
    for (int64_t k = 0; k < l.emb_dim[a]; ++k)
      cols.push_back(EmbeddingColumn{l.emb_off[a] + k, to_int(l.emb_dim[a], "embedding width"),
                                     to_int(l.emb_k[a], "embedding levels"), to_int(a, "static attribute")});
  if (static_cast<int64_t>(cols.size()) != I.n_emb_cols || (I.n_attr > 0 && l.emb_col[0] != I.emb_col0))
    throw Error("deepar: the embedding columns are not the last " + std::to_string(I.n_emb_cols) +
                " input columns (Note [DeepAR inputs])");
  if (!cols.empty()) I.emb_cols = DeviceBuffer<EmbeddingColumn>(cols);

  for (auto& sl : I.slots) {
    sl.x = PinnedBuffer<float>(checked_mul(rows, F));
    sl.target = PinnedBuffer<float>(rows);
    sl.scale = PinnedBuffer<float>(max_batch);
    sl.codes = PinnedBuffer<int32_t>(checked_mul(std::max<int64_t>(I.n_attr, 1), max_batch));
    sl.read = make_event();
  }
  I.host_stats = PinnedBuffer<double>(2 * kLossRing);
  for (auto& e : I.loss_ready) e = make_event();
  if (I.n_emb_cols > 0) {
    I.dx_host = PinnedBuffer<float>(checked_mul(rows, F));
    I.grad_host = PinnedBuffer<float>(n);
    I.dx_ready = make_event();
  }
}

CudaTrainStep::~CudaTrainStep() = default;

// ------------------------------------------------------------------ state ----
void CudaTrainStep::upload(const std::vector<float>& w, const std::vector<float>& mom1, const std::vector<float>& mom2,
                           int64_t adam_step) {
  Impl& I = *m;
  const size_t n = static_cast<size_t>(I.l.n_params);
  if (w.size() != n || mom1.size() != n || mom2.size() != n)
    throw InputError("deepar: the GPU step expects " + std::to_string(n) + " weights and AdamW moments, got " +
                     std::to_string(w.size()) + ", " + std::to_string(mom1.size()) + ", " +
                     std::to_string(mom2.size()));
  if (adam_step < 0) throw InputError("deepar: negative AdamW step count " + std::to_string(adam_step));
  finish();
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.w.data(), w.data(), n * sizeof(float), cudaMemcpyHostToDevice, I.s()));
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.m.data(), mom1.data(), n * sizeof(float), cudaMemcpyHostToDevice, I.s()));
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.v.data(), mom2.data(), n * sizeof(float), cudaMemcpyHostToDevice, I.s()));
  SKU_CUDA_CHECK(cudaStreamSynchronize(I.s()));  // the host vectors are pageable and may change after return
  I.n_submitted = adam_step;
}

void CudaTrainStep::download(std::vector<float>& w, std::vector<float>& mom1, std::vector<float>& mom2) {
  Impl& I = *m;
  finish();
  const size_t n = static_cast<size_t>(I.l.n_params);
  w.resize(n);
  mom1.resize(n);
  mom2.resize(n);
  SKU_CUDA_CHECK(cudaMemcpyAsync(w.data(), I.w.data(), n * sizeof(float), cudaMemcpyDeviceToHost, I.s()));
  SKU_CUDA_CHECK(cudaMemcpyAsync(mom1.data(), I.m.data(), n * sizeof(float), cudaMemcpyDeviceToHost, I.s()));
  SKU_CUDA_CHECK(cudaMemcpyAsync(mom2.data(), I.v.data(), n * sizeof(float), cudaMemcpyDeviceToHost, I.s()));
  SKU_CUDA_CHECK(cudaStreamSynchronize(I.s()));
}

void CudaTrainStep::set_lr(double lr) {
  if (!(lr > 0)) throw InputError("deepar: expected a learning rate > 0, got " + std::to_string(lr));
  m->adam.lr = lr;
}

int64_t CudaTrainStep::n_submitted() const { return m->n_submitted; }

// ------------------------------------------------------------------ steps ----
CudaStepInputs CudaTrainStep::next_inputs(int64_t n_batch, int64_t n_steps) {
  Impl& I = *m;
  if (n_batch < 1 || n_batch > I.max_batch || n_steps < 1 || n_steps > I.max_steps)
    throw InputError("deepar: the GPU step was sized for batches of 1.." + std::to_string(I.max_batch) +
                     " windows of 1.." + std::to_string(I.max_steps) + " steps, got " + std::to_string(n_batch) +
                     " x " + std::to_string(n_steps));
  Impl::Slot& sl = I.slots[I.next_slot];
  if (sl.in_use) SKU_CUDA_CHECK(cudaEventSynchronize(sl.read.get()));  // the device has copied it in
  sl.in_use = false;
  I.staged = true;
  I.staged_batch = n_batch;
  I.staged_steps = n_steps;
  return CudaStepInputs{sl.x.data(), sl.target.data(), sl.scale.data()};
}

void CudaTrainStep::submit(const int64_t* series, int64_t B, int64_t T) {
  Impl& I = *m;
  const Layout& l = I.l;
  if (!I.staged || B != I.staged_batch || T != I.staged_steps)
    throw Error("deepar: CudaTrainStep::submit(" + std::to_string(B) + " x " + std::to_string(T) +
                ") without a matching next_inputs()");
  Impl::Slot& sl = I.slots[I.next_slot];
  // The same checks as the CPU loss, before anything is queued (STYLE M12).
  nn::loss_check_inputs<float>(l.lik, sl.target.data(), sl.scale.data(), nullptr, T, B);
  for (int64_t b = 0; b < B; ++b)
    if (series[b] < 0 || series[b] >= I.d.n_series)
      throw InputError("deepar: window " + std::to_string(b) + " names series " + std::to_string(series[b]) +
                       ", the panel has " + std::to_string(I.d.n_series));
  for (int64_t a = 0; a < I.n_attr; ++a)
    for (int64_t b = 0; b < B; ++b) sl.codes.data()[a * B + b] = I.d.codes[a][series[b]];  // [A, B]

  // The previous step's host part first: its AdamW update precedes this step's forward.
  I.complete_tail();
  if (static_cast<int64_t>(I.pending.size()) >= kLossRing) {  // its ring slot is needed again
    const int64_t k = I.pending.front();
    I.pending.pop_front();
    SKU_CUDA_CHECK(cudaEventSynchronize(I.loss_ready[k % kLossRing].get()));
    I.read_loss(k);
  }

  const cudaStream_t s = I.s();
  const int64_t rows = B * T, F = l.n_features;
  // 1. Inputs in.
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.x.data(), sl.x.data(), static_cast<size_t>(rows * F) * sizeof(float),
                                 cudaMemcpyHostToDevice, s));
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.target.data(), sl.target.data(), static_cast<size_t>(rows) * sizeof(float),
                                 cudaMemcpyHostToDevice, s));
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.scale.data(), sl.scale.data(), static_cast<size_t>(B) * sizeof(float),
                                 cudaMemcpyHostToDevice, s));
  if (I.n_attr > 0)
    SKU_CUDA_CHECK(cudaMemcpyAsync(I.codes.data(), sl.codes.data(), static_cast<size_t>(I.n_attr * B) * sizeof(int32_t),
                                   cudaMemcpyHostToDevice, s));
  SKU_CUDA_CHECK(cudaEventRecord(sl.read.get(), s));
  sl.in_use = true;
  I.staged = false;
  I.next_slot = (I.next_slot + 1) % kSlots;

  // 2. Embedding columns from the current device weights.
  embedding_fwd(I.emb_cols.data(), static_cast<int>(I.n_emb_cols), I.emb_col0, I.codes.data(), I.w.data(),
                I.x.data(), rows, B, F, s);

  // 3. Forward, loss, backward.
  const float* w = I.w.data();
  float* g = I.grad.data();
  const float* head_a = w + l.n_rnn;  // [P, Hd]
  const float* head_b = head_a + l.rnn.n_hidden * likelihood_n_params(l.lik.kind);  // [P]
  {
    const std::unique_ptr<nn::CudnnRnnContext> ctx =
        I.rnn->forward(w, I.x.data(), T, B, nullptr, nullptr, nullptr, nn::Phase::Training, s);
    I.head_forward(head_a, head_b, ctx->y(), rows);
    const int64_t slot = I.n_local % kLossRing;
    double* st = I.stats.data() + 2 * slot;
    likelihood_weight_sum(I.target.data(), nullptr, T, B, st + 1, s);
    likelihood_fwd_bwd(l.lik, I.head_out.data(), I.target.data(), I.scale.data(), nullptr, T, B, 1.0, st + 1,
                       I.loss_rows.data(), I.draw.data(), s);
    loss_row_sum(I.loss_rows.data(), rows, st, s);
    SKU_CUDA_CHECK(cudaMemcpyAsync(I.host_stats.data() + 2 * slot, st, 2 * sizeof(double), cudaMemcpyDeviceToHost, s));
    SKU_CUDA_CHECK(cudaEventRecord(I.loss_ready[slot].get(), s));
    I.pending.push_back(I.n_local);
    ++I.n_local;

    float* head_grad = g + l.n_rnn;
    I.head_backward(head_a, ctx->y(), rows, head_grad, head_grad + l.rnn.n_hidden * likelihood_n_params(l.lik.kind));
    I.rnn->backward(*ctx, w, I.dy.data(), nullptr, nullptr, I.n_emb_cols > 0 ? I.dx.data() : nullptr, nullptr,
                    nullptr, g, nn::GradMode::Overwrite, s);
  }  // the context's buffers return to the pool in stream order

  // 4. The optimizer step, now or after the host's embedding backward.
  AdamParams p;
  p.lr = I.adam.lr;
  p.beta1 = I.adam.beta1;
  p.beta2 = I.adam.beta2;
  p.eps = I.adam.eps;
  p.weight_decay = I.adam.weight_decay;
  p.step = ++I.n_submitted;
  p.grad_scale = 1.0;
  if (I.n_emb_cols == 0) {
    I.norm_and_adam(p);
    return;
  }
  // Only the embedding columns of dx [rows, F] come back (a pitched copy).
  const size_t pitch = static_cast<size_t>(F) * sizeof(float);
  SKU_CUDA_CHECK(cudaMemcpy2DAsync(I.dx_host.data() + I.emb_col0, pitch, I.dx.data() + I.emb_col0, pitch,
                                   static_cast<size_t>(I.n_emb_cols) * sizeof(float), static_cast<size_t>(rows),
                                   cudaMemcpyDeviceToHost, s));
  SKU_CUDA_CHECK(cudaEventRecord(I.dx_ready.get(), s));
  I.tail_series.assign(series, series + B);
  I.tail_batch = B;
  I.tail_steps = T;
  I.tail_adam = p;
  I.tail_pending = true;
}

void CudaTrainStep::finish() {
  m->complete_tail();
  SKU_CUDA_CHECK(cudaStreamSynchronize(m->s()));
}

std::vector<nn::LossValue> CudaTrainStep::take_losses(bool wait) {
  Impl& I = *m;
  if (wait) finish();
  while (!I.pending.empty()) {
    const int64_t k = I.pending.front();
    const cudaError_t st = cudaEventQuery(I.loss_ready[k % kLossRing].get());
    if (st == cudaErrorNotReady) {
      cudaGetLastError();  // "not ready" is no failure: keep it out of the next launch check
      break;
    }
    SKU_CUDA_CHECK(st);
    I.pending.pop_front();
    I.read_loss(k);
  }
  std::vector<nn::LossValue> out;
  out.swap(I.done);
  return out;
}

}  // namespace skucast::deepar
