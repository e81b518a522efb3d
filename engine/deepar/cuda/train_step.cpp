// engine/deepar/cuda/train_step.cpp — host orchestration of the DeepAR training step on the GPU
// (engine/deepar/cuda/train_step.h, Note [DeepAR training on the GPU]): the stream, cuBLAS handle, pinned
// staging and device buffers (all RAII), the dense head on cuBLAS, and the order of one step.
// The resident panel (the device copy of the panel and the cutting of windows there) is
// engine/deepar/cuda/resident_panel.{h,cpp}'s ResidentPanel.
// CUDA builds only; engine/deepar/train_step_cpu_only.cpp stands in for it in CPU builds.
#include "engine/deepar/cuda/train_step.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/deepar/cuda/resident_panel.h"
#include "engine/deepar/cuda/train_kernels.h"
#include "engine/deepar/cuda/util.h"
#include "engine/nn/cuda/cudnn_rnn.h"
#include "kernels/adam.hpp"
#include "kernels/common.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/device.hpp"
#include "kernels/device_buffer.hpp"
#include "kernels/likelihood.hpp"

namespace skucast::deepar {

namespace {

// RAII types for streams, events, cuBLAS handles and pinned memory: engine/deepar/cuda/util.h.

constexpr int kSlots = 2;     // input staging: the host fills one while the device reads the other
constexpr int kLossRing = 4;  // loss slots in flight before the host must read the oldest

int to_int(int64_t v, const char* what) { return checked_int(v, what); }

nn::RnnPrecision rnn_precision(TrainPrecision p) {
  switch (p) {
    case TrainPrecision::Fp16: return nn::RnnPrecision::Fp16;
    case TrainPrecision::Bf16: return nn::RnnPrecision::Bf16;
    case TrainPrecision::Fp32: break;
  }
  return nn::RnnPrecision::Fp32;
}

}  // namespace

// ------------------------------------------------------------------ impl ----
struct CudaTrainStep::Impl {
  Layout l;
  const PanelData& d;
  int64_t max_batch = 0, max_steps = 0, n_emb_cols = 0, n_attr = 0, emb_col0 = 0, emb_begin = 0;
  nn::AdamWConfig adam;
  CudaTrainSetup setup;
  int64_t n_submitted = 0;  // AdamW steps, uploaded count included
  int64_t n_local = 0;      // steps submitted through this object (loss ring index)

  // Declared first, destroyed last: everything below may free memory on it.
  StreamPtr stream;
  BlasPtr blas;
  std::unique_ptr<nn::CudnnRnn> rnn;
  // evaluate()'s network when the training one is not FP32: validation, the best-epoch choice
  // and the residual statistics stored in the checkpoint are FP32 on every path.
  std::unique_ptr<nn::CudnnRnn> rnn_fp32;

  // Device state and per-step buffers, allocated once at the largest batch.
  DeviceBuffer<float> w, grad, m, v;                 // [n_params]
  DeviceBuffer<float> x, target, scale;              // [T, B, F], [T, B], [B]
  DeviceBuffer<int32_t> codes;                       // [A, B] static codes of the windows
  DeviceBuffer<float> head_out, draw, loss_rows;     // [T, B, P], [T, B, P], [T, B]
  DeviceBuffer<float> dy, dx, dx_sum;                // [T, B, Hd], [T, B, F], [B, F] (dx, dx_sum: models with embeddings)
  DeviceBuffer<float> ones;                          // [T*B] of 1: bias broadcast and column sums
  DeviceBuffer<EmbeddingColumn> emb_cols;            // [n_emb_cols]
  DeviceBuffer<double> stats;                        // [kLossRing, 2]: loss sum, observed count
  DeviceBuffer<double> sq_norm;                      // [1] squared global gradient norm

  // The resident panel (on the device after upload_panel) and what cutting there needs.
  std::unique_ptr<ResidentPanel> res;

  // Host staging (pinned).
  struct Slot {
    PinnedBuffer<float> x, target, scale;
    PinnedBuffer<int32_t> codes;
    PinnedBuffer<int64_t> series, t0;  // windows cut on the device
    PinnedBuffer<EmbeddingSegment> segs;  // [<= A*B] embedding rows of the batch
    PinnedBuffer<int32_t> seg_win;        // [<= A*B] their windows
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

  // The embedding backward on the device (Note [DeepAR training on the GPU], 3): the tables'
  // shape per attribute, and the current step's segments (rows it touches, their windows).
  DeviceBuffer<EmbeddingAttr> emb_attrs;  // [A]
  int max_dim = 0;
  DeviceBuffer<EmbeddingSegment> segs;    // [<= A*B]
  DeviceBuffer<int32_t> seg_win;          // [<= A*B]
  int n_segs = 0;                         // segments of the step being queued
  std::vector<std::pair<int32_t, int32_t>> seg_scratch;  // (code, window) of one attribute

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


  // The staging slot for the next step, once the device has read its previous contents.
  Slot& acquire_slot() {
    Slot& sl = slots[next_slot];
    if (sl.in_use) SKU_CUDA_CHECK(cudaEventSynchronize(sl.read.get()));
    sl.in_use = false;
    return sl;
  }
  // After the device copies were queued from `sl`.
  void release_slot(Slot& sl) {
    SKU_CUDA_CHECK(cudaEventRecord(sl.read.get(), s()));
    sl.in_use = true;
    next_slot = (next_slot + 1) % kSlots;
  }

  // Before a new step is queued: a free loss-ring slot.
  void begin_step() {
    if (static_cast<int64_t>(pending.size()) >= kLossRing) {  // its ring slot is needed again
      const int64_t k = pending.front();
      pending.pop_front();
      SKU_CUDA_CHECK(cudaEventSynchronize(loss_ready[k % kLossRing].get()));
      read_loss(k);
    }
  }

  // Checks of windows cut on the device (what would otherwise read outside the panel).
  void check_windows(const int64_t* series_h, const int64_t* t0_h, int64_t B, int64_t T, const char* who) const {
    if (!res->on()) throw Error(std::string("deepar: CudaTrainStep::") + who + " without upload_panel()");
    if (staged) throw Error(std::string("deepar: CudaTrainStep::") + who + " between next_inputs() and submit()");
    res->check_windows(series_h, t0_h, B, T);
  }

  // The embedding rows the batch touches (embedding_segments, engine/deepar/internal.h: per
  // attribute in code order, each with its windows in window order, what embedding_bwd
  // sums) into the slot's staging, and queued to the device.
  void stage_segments(Slot& sl, const int64_t* series_h, int64_t B) {
    n_segs = 0;
    if (n_emb_cols == 0) return;
    EmbeddingSegment* out = sl.segs.data();
    int32_t* win = sl.seg_win.data();
    n_segs = embedding_segments(l, d.codes, series_h, B, seg_scratch, out, win);
    if (n_segs == 0) return;
    const int32_t n_win = out[n_segs - 1].end;  // the segments' windows are consecutive in win
    SKU_CUDA_CHECK(cudaMemcpyAsync(segs.data(), out, static_cast<size_t>(n_segs) * sizeof(EmbeddingSegment),
                                   cudaMemcpyHostToDevice, s()));
    SKU_CUDA_CHECK(cudaMemcpyAsync(seg_win.data(), win, static_cast<size_t>(n_win) * sizeof(int32_t),
                                   cudaMemcpyHostToDevice, s()));
  }

  // Cuts B windows of T steps on the device into x, target, scale, codes (Note [DeepAR
  // training on the GPU]); the embedding columns come from weights `wd` (device).
  void cut_on_device(const int64_t* series_h, const int64_t* t0_h, int64_t B, int64_t T, int64_t mask_from,
                     int64_t mask_first, const float* wd) {
    Slot& sl = acquire_slot();
    std::copy(series_h, series_h + B, sl.series.data());
    std::copy(t0_h, t0_h + B, sl.t0.data());
    res->queue_windows(sl.series.data(), sl.t0.data(), B, s());
    stage_segments(sl, series_h, B);
    release_slot(sl);  // after every copy from the slot was queued
    const WindowOutputs out{x.data(), target.data(), scale.data(), codes.data(), emb_cols.data(), n_emb_cols,
                            emb_col0};
    res->cut(B, T, mask_from, mask_first, wd, out, s());
  }

  // Forward, loss, backward and the optimizer step on the inputs already on the device
  // (x with its embedding columns, target, scale, the embedding segments).
  void train_on_inputs(int64_t B, int64_t T);

  // The loss of head_out against the step's targets: st[0] = the sum of the per-row losses,
  // st[1] = the observed count (device doubles), the gradient into draw.
  void queue_loss(double* st, int64_t T, int64_t B) {
    likelihood_weight_sum(target.data(), nullptr, T, B, st + 1, s());
    likelihood_fwd_bwd(l.lik, head_out.data(), target.data(), scale.data(), nullptr, T, B, 1.0, st + 1,
                       loss_rows.data(), draw.data(), s());
    loss_row_sum(loss_rows.data(), T * B, st, s());
  }

  // Dense head forward into head_out (head_forward_cublas, engine/deepar/cuda/util.h).
  void head_forward(const float* a, const float* b, const float* y, int64_t n_rows) {
    head_forward_cublas(blas.get(), a, b, y, ones.data(), head_out.data(), to_int(n_rows, "head rows"),
                        to_int(likelihood_n_params(l.lik.kind), "head outputs"), to_int(l.rnn.n_hidden, "hidden"));
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
                             const nn::AdamWConfig& adam, const CudaTrainSetup& setup)
    : m(std::make_unique<Impl>(l, d)) {
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
  I.setup = setup;
  I.n_attr = static_cast<int64_t>(l.emb_k.size());
  I.emb_col0 = l.n_base + l.n_dyn;
  I.n_emb_cols = l.n_features - I.emb_col0;
  I.emb_begin = l.att_off + l.n_att;
  if (static_cast<int64_t>(d.codes.size()) != I.n_attr)
    throw InputError("deepar: the panel has " + std::to_string(d.codes.size()) + " static attributes, the model " +
                     std::to_string(I.n_attr));

  // CudnnRnn takes each step's workspace and reserve space from the device's default pool;
  // keep it pooled across the waits for a staging slot or for dx (engine/deepar/cuda/util.h).
  keep_default_pool();

  cudaStream_t st = nullptr;
  SKU_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  I.stream.reset(st);
  I.blas = make_head_blas(st);  // FP32, no TF32: the parity reference
  I.rnn = std::make_unique<nn::CudnnRnn>(l.rnn, rnn_precision(setup.precision), setup.dropout_seed);

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
  if (I.n_emb_cols > 0) {
    I.dx = DeviceBuffer<float>(checked_mul(rows, F));
    I.dx_sum = DeviceBuffer<float>(checked_mul(max_batch, F));
  }
  I.ones = DeviceBuffer<float>(std::vector<float>(static_cast<size_t>(rows), 1.0f));
  I.stats = DeviceBuffer<double>(2 * kLossRing);
  I.sq_norm = DeviceBuffer<double>(1);
  I.res = std::make_unique<ResidentPanel>(l, d, max_batch, max_steps, setup.context);

  const std::vector<EmbeddingColumn> cols = embedding_columns(l);  // [n_emb_cols]: column j of x is emb_col0 + j
  if (static_cast<int64_t>(cols.size()) != I.n_emb_cols || (I.n_attr > 0 && l.emb_col[0] != I.emb_col0))
    throw Error("deepar: the embedding columns are not the last " + std::to_string(I.n_emb_cols) +
                " input columns (Note [DeepAR inputs])");
  if (!cols.empty()) I.emb_cols = DeviceBuffer<EmbeddingColumn>(cols);

  for (auto& sl : I.slots) {
    sl.x = PinnedBuffer<float>(checked_mul(rows, F));
    sl.target = PinnedBuffer<float>(rows);
    sl.scale = PinnedBuffer<float>(max_batch);
    sl.codes = PinnedBuffer<int32_t>(checked_mul(std::max<int64_t>(I.n_attr, 1), max_batch));
    sl.series = PinnedBuffer<int64_t>(max_batch);
    sl.t0 = PinnedBuffer<int64_t>(max_batch);
    sl.read = make_event();
  }
  // A half-precision network that cuDNN builds but cannot run (a BF16 RNN on a cuDNN without
  // it) must fail here, not at the first step: one 1 x 1 inference forward probes it.
  if (setup.precision != TrainPrecision::Fp32) {
    SKU_CUDA_CHECK(cudaMemsetAsync(I.w.data(), 0, static_cast<size_t>(n) * sizeof(float), st));
    SKU_CUDA_CHECK(cudaMemsetAsync(I.x.data(), 0, static_cast<size_t>(F) * sizeof(float), st));
    const auto probe = I.rnn->forward(I.w.data(), I.x.data(), 1, 1, nullptr, nullptr, nullptr, nn::Phase::Inference, st);
    SKU_CUDA_CHECK(cudaStreamSynchronize(st));
  }
  I.host_stats = PinnedBuffer<double>(2 * kLossRing);
  for (auto& e : I.loss_ready) e = make_event();
  if (I.n_emb_cols > 0) {
    const std::vector<EmbeddingAttr> attrs = embedding_attrs(l);
    for (const EmbeddingAttr& at : attrs) I.max_dim = std::max(I.max_dim, at.dim);
    I.emb_attrs = DeviceBuffer<EmbeddingAttr>(attrs);
    const int64_t n_seg_max = checked_mul(I.n_attr, max_batch);
    I.segs = DeviceBuffer<EmbeddingSegment>(n_seg_max);
    I.seg_win = DeviceBuffer<int32_t>(n_seg_max);
    for (auto& sl : I.slots) {
      sl.segs = PinnedBuffer<EmbeddingSegment>(n_seg_max);
      sl.seg_win = PinnedBuffer<int32_t>(n_seg_max);
    }
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
  Impl::Slot& sl = I.acquire_slot();
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
  I.begin_step();
  const cudaStream_t s = I.s();
  const int64_t rows = B * T, F = l.n_features;
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.x.data(), sl.x.data(), static_cast<size_t>(rows * F) * sizeof(float),
                                 cudaMemcpyHostToDevice, s));
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.target.data(), sl.target.data(), static_cast<size_t>(rows) * sizeof(float),
                                 cudaMemcpyHostToDevice, s));
  SKU_CUDA_CHECK(cudaMemcpyAsync(I.scale.data(), sl.scale.data(), static_cast<size_t>(B) * sizeof(float),
                                 cudaMemcpyHostToDevice, s));
  if (I.n_attr > 0)
    SKU_CUDA_CHECK(cudaMemcpyAsync(I.codes.data(), sl.codes.data(), static_cast<size_t>(I.n_attr * B) * sizeof(int32_t),
                                   cudaMemcpyHostToDevice, s));
  I.stage_segments(sl, series, B);
  I.release_slot(sl);
  I.staged = false;
  // The embedding columns from the current device weights.
  embedding_fwd(I.emb_cols.data(), static_cast<int>(I.n_emb_cols), I.emb_col0, I.codes.data(), I.w.data(),
                I.x.data(), rows, B, F, s);
  I.train_on_inputs(B, T);
}

void CudaTrainStep::submit_windows(const int64_t* series, const int64_t* t0, int64_t B, int64_t T, int64_t mask_from,
                                   int64_t mask_first) {
  Impl& I = *m;
  I.check_windows(series, t0, B, T, "submit_windows");
  I.begin_step();
  I.cut_on_device(series, t0, B, T, mask_from, mask_first, I.w.data());
  I.train_on_inputs(B, T);
}

void CudaTrainStep::Impl::train_on_inputs(int64_t B, int64_t T) {
  Impl& I = *this;
  const cudaStream_t s = I.s();
  const int64_t rows = B * T, F = l.n_features;
  // Forward, loss, backward.
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
    I.queue_loss(st, T, B);
    SKU_CUDA_CHECK(cudaMemcpyAsync(I.host_stats.data() + 2 * slot, st, 2 * sizeof(double), cudaMemcpyDeviceToHost, s));
    SKU_CUDA_CHECK(cudaEventRecord(I.loss_ready[slot].get(), s));
    I.pending.push_back(I.n_local);
    ++I.n_local;

    float* head_grad = g + l.n_rnn;
    I.head_backward(head_a, ctx->y(), rows, head_grad, head_grad + l.rnn.n_hidden * likelihood_n_params(l.lik.kind));
    I.rnn->backward(*ctx, w, I.dy.data(), nullptr, nullptr, I.n_emb_cols > 0 ? I.dx.data() : nullptr, nullptr,
                    nullptr, g, nn::GradMode::Overwrite, s);
  }  // the context's buffers return to the pool in stream order

  // The optimizer step, now or after the host's embedding backward.
  AdamParams p;
  p.lr = I.adam.lr;
  p.beta1 = I.adam.beta1;
  p.beta2 = I.adam.beta2;
  p.eps = I.adam.eps;
  p.weight_decay = I.adam.weight_decay;
  p.step = ++I.n_submitted;
  p.grad_scale = 1.0;
  if (I.n_emb_cols > 0) {
    // The embedding tables' gradient, on the device: dx summed over each window's steps, then
    // each touched row summed over its windows (rows the batch does not touch stay 0).
    embedding_dx_sum(I.dx.data(), T, B, F, I.emb_col0, I.n_emb_cols, I.dx_sum.data(), s);
    SKU_CUDA_CHECK(cudaMemsetAsync(g + I.emb_begin, 0, static_cast<size_t>(l.n_params - I.emb_begin) * sizeof(float), s));
    embedding_bwd(I.segs.data(), I.n_segs, I.max_dim, I.seg_win.data(), I.emb_attrs.data(), I.dx_sum.data(), F, g, s);
  }
  I.norm_and_adam(p);
}

void CudaTrainStep::finish() { SKU_CUDA_CHECK(cudaStreamSynchronize(m->s())); }

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

// --------------------------------------------------------- resident panel ----
// ResidentPanel (engine/deepar/cuda/resident_panel.cpp) holds the panel and cuts the windows.
int64_t CudaTrainStep::panel_bytes() const { return m->res->bytes(); }

bool CudaTrainStep::panel_resident() const { return m->res->on(); }

bool CudaTrainStep::upload_panel(int64_t max_bytes, std::string* why) {
  Impl& I = *m;
  if (I.res->on()) return true;
  if (!I.res->fits(max_bytes, why)) return false;
  finish();
  return I.res->upload(why);
}

nn::LossValue CudaTrainStep::evaluate(const float* w_host, const int64_t* series, const int64_t* t0, int64_t B,
                                      int64_t T, int64_t mask_from, int64_t mask_first, std::vector<float>* target_out,
                                      std::vector<float>* scale_out, std::vector<float>* head0_out) {
  Impl& I = *m;
  const Layout& l = I.l;
  I.check_windows(series, t0, B, T, "evaluate");
  if (!w_host) throw InputError("deepar: CudaTrainStep::evaluate needs weights");
  finish();
  const cudaStream_t st = I.s();
  const int64_t rows = B * T, P = likelihood_n_params(l.lik.kind);
  float* w = I.res->w_eval();
  SKU_CUDA_CHECK(cudaMemcpyAsync(w, w_host, static_cast<size_t>(l.n_params) * sizeof(float), cudaMemcpyHostToDevice,
                                 st));
  I.cut_on_device(series, t0, B, T, mask_from, mask_first, w);
  const float* head_a = w + l.n_rnn;
  const float* head_b = head_a + l.rnn.n_hidden * P;
  DeviceBuffer<double> stats(2);  // loss sum, observed count: the training loss ring stays untouched
  const nn::CudnnRnn* net = I.rnn.get();
  if (I.setup.precision != TrainPrecision::Fp32) {
    if (!I.rnn_fp32) {
      nn::RnnConfig cfg = l.rnn;
      cfg.dropout = 0.0f;  // inference only
      I.rnn_fp32 = std::make_unique<nn::CudnnRnn>(cfg, nn::RnnPrecision::Fp32);
    }
    net = I.rnn_fp32.get();
  }
  {
    const std::unique_ptr<nn::CudnnRnnContext> ctx =
        net->forward(w, I.x.data(), T, B, nullptr, nullptr, nullptr, nn::Phase::Inference, st);
    I.head_forward(head_a, head_b, ctx->y(), rows);
    I.queue_loss(stats.data(), T, B);
    if (head0_out) head_first(I.head_out.data(), P, rows, I.res->head0(), st);
    SKU_CUDA_CHECK(cudaStreamSynchronize(st));  // the context's buffers outlive their last use
  }
  double host[2] = {0, 0};
  SKU_CUDA_CHECK(cudaMemcpy(host, stats.data(), sizeof host, cudaMemcpyDeviceToHost));
  auto fetch = [&](std::vector<float>* out, const float* src, int64_t n) {
    if (!out) return;
    out->resize(static_cast<size_t>(n));
    SKU_CUDA_CHECK(cudaMemcpy(out->data(), src, static_cast<size_t>(n) * sizeof(float), cudaMemcpyDeviceToHost));
  };
  fetch(target_out, I.target.data(), rows);
  fetch(scale_out, I.scale.data(), B);
  fetch(head0_out, I.res->head0(), rows);
  return nn::LossValue{host[1] > 0 ? host[0] / host[1] : 0.0, host[1]};
}

}  // namespace skucast::deepar
