// engine/nn/cuda/cudnn_rnn.cpp — host orchestration of the cuDNN RNN (engine/nn/cuda/cudnn_rnn.h): handles and
// descriptors (each a unique_ptr with its cuDNN deleter, STYLE M4), the dropout states
// (Note [cuDNN dropout]), the weight mapping (Note [cuDNN weight mapping]) and the forward /
// backward calls of cuDNN 9's v8 API.
// CUDA builds only; engine/nn/cudnn_rnn_cpu_only.cpp stands in for it in CPU builds.
#include "engine/nn/cuda/cudnn_rnn.h"

#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <string>
#include <type_traits>

#include "engine/nn/cuda/cudnn_rnn_kernels.h"
#include "kernels/common.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/device.hpp"
#include "kernels/device_buffer.hpp"
#include "kernels/stream_buffer.hpp"

namespace skucast::nn {

namespace {

// ------------------------------------------------------------ descriptors ----
template <class H, cudnnStatus_t (*Destroy)(H)>
struct CudnnDeleter {
  void operator()(H h) const noexcept {
    if (h) Destroy(h);  // status ignored: a deleter must not throw
  }
};
template <class H, cudnnStatus_t (*Destroy)(H)>
using CudnnPtr = std::unique_ptr<std::remove_pointer_t<H>, CudnnDeleter<H, Destroy>>;

using HandlePtr = CudnnPtr<cudnnHandle_t, cudnnDestroy>;
using RnnDescPtr = CudnnPtr<cudnnRNNDescriptor_t, cudnnDestroyRNNDescriptor>;
using DataDescPtr = CudnnPtr<cudnnRNNDataDescriptor_t, cudnnDestroyRNNDataDescriptor>;
using TensorDescPtr = CudnnPtr<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>;
using DropoutDescPtr = CudnnPtr<cudnnDropoutDescriptor_t, cudnnDestroyDropoutDescriptor>;

TensorDescPtr make_tensor_desc() {
  cudnnTensorDescriptor_t d = nullptr;
  SKU_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
  return TensorDescPtr(d);
}
DataDescPtr make_data_desc() {
  cudnnRNNDataDescriptor_t d = nullptr;
  SKU_CUDNN_CHECK(cudnnCreateRNNDataDescriptor(&d));
  return DataDescPtr(d);
}

// Data type, element size, math type of a precision (Note [cuDNN precision]).
struct PrecisionInfo {
  cudnnDataType_t data;
  RnnDType dtype;
  size_t elem;
  cudnnMathType_t math;
};
PrecisionInfo precision_info(RnnPrecision p) {
  switch (p) {
    case RnnPrecision::Fp16: return {CUDNN_DATA_HALF, RnnDType::F16, 2, CUDNN_TENSOR_OP_MATH};
    case RnnPrecision::Bf16: return {CUDNN_DATA_BFLOAT16, RnnDType::Bf16, 2, CUDNN_TENSOR_OP_MATH};
    case RnnPrecision::Fp32: break;
  }
  // FMA math: no TF32 on Ampere/Hopper, so FP32 matches the CPU reference to FP32 rounding.
  return {CUDNN_DATA_FLOAT, RnnDType::F32, 4, CUDNN_FMA_MATH};
}

// Note [cuDNN RNN algorithm]: CUDNN_RNN_ALGO_STANDARD. The persistent kernels
// (PERSIST_STATIC / _SMALL_H) need the whole recurrent matrix in registers/shared memory and
// suit small batches; skucast trains with batches of 256..4096 windows where the standard
// algorithm's batched GEMMs are the efficient path (and the only one supporting every
// hidden size and padded, variable-length input). One place to change it (STYLE K10).
cudnnRNNAlgo_t choose_algo(const RnnConfig&) { return CUDNN_RNN_ALGO_STANDARD; }

// All-zero bits: 0 in every data type, so one host value serves as cuDNN's paddingFill.
double g_zero_fill = 0.0;

}  // namespace

// ------------------------------------------------------------------ impls ----
struct CudnnRnn::Impl {
  RnnConfig cfg;
  RnnPrecision precision = RnnPrecision::Fp32;
  PrecisionInfo info{};
  HandlePtr handle;
  // cuDNN's dropout RNG states (Note [cuDNN dropout]); empty when cfg.dropout == 0. Declared
  // before the descriptor that points at them, so they outlive it.
  DeviceBuffer<unsigned char> dropout_states;
  DropoutDescPtr dropout;
  RnnDescPtr desc;
  size_t ws_bytes = 0;                       // cuDNN weight space size
  mutable DeviceBuffer<unsigned char> ws;    // the weight space (non-identity path)
  std::vector<RnnWeightSegment> segs;        // Note [cuDNN weight mapping]
  DeviceBuffer<RnnWeightSegment> segs_dev;
  int64_t max_seg = 0;
  bool identity = false;

  // The weight-space pointer for a call with master weights `w` (packing when needed).
  const void* weights_for_call(const float* w, cudaStream_t stream) const {
    if (identity) return w;
    rnn_weights_pack_fwd(w, ws.data(), info.dtype, segs_dev.data(), static_cast<int>(segs.size()), max_seg, stream);
    return ws.data();
  }
};

struct CudnnRnnContext::Impl {
  int64_t n_steps = 0, n_batch = 0;
  int64_t n_layers = 0, n_hidden = 0, n_input = 0;
  bool lstm = true;
  RnnDType dtype = RnnDType::F32;
  cudaStream_t stream = nullptr;
  std::vector<int32_t> lengths;  // host [B]
  StreamBuffer dev_lengths;      // device [B] int32
  DataDescPtr x_desc, y_desc;
  TensorDescPtr h_desc;
  StreamBuffer x, y, hx, cx, hy, cy;  // network data type; hx/cx empty when h0/c0 were null
  StreamBuffer y_f, hy_f, cy_f;       // float copies of y, h_n, c_n (half precisions only)
  StreamBuffer reserve;               // Phase::Training only
  bool training = false;
};

CudnnRnnContext::CudnnRnnContext() : m(std::make_unique<Impl>()) {}
CudnnRnnContext::~CudnnRnnContext() = default;
int64_t CudnnRnnContext::n_steps() const { return m->n_steps; }
int64_t CudnnRnnContext::n_batch() const { return m->n_batch; }
const float* CudnnRnnContext::y() const {
  return m->dtype == RnnDType::F32 ? m->y.as<const float>() : m->y_f.as<const float>();
}
const float* CudnnRnnContext::h_n() const {
  return m->dtype == RnnDType::F32 ? m->hy.as<const float>() : m->hy_f.as<const float>();
}
const float* CudnnRnnContext::c_n() const {
  if (!m->lstm) return nullptr;
  return m->dtype == RnnDType::F32 ? m->cy.as<const float>() : m->cy_f.as<const float>();
}

// ------------------------------------------------------------ construction ----
CudnnRnn::CudnnRnn(const RnnConfig& cfg, RnnPrecision precision, uint64_t dropout_seed)
    : m(std::make_unique<Impl>()) {
  cfg.validate();  // sizes, and dropout in [0, 1)
  if (cuda_device_count() == 0)
    throw DeviceError("CudnnRnn: no usable CUDA device (" + cuda_device_description() +
                      "); use the CPU Rnn (--device cpu)");
  m->cfg = cfg;
  m->precision = precision;
  m->info = precision_info(precision);
  const int L = checked_int(cfg.n_layers, "rnn layers"), Hd = checked_int(cfg.n_hidden, "rnn hidden");
  const int F = checked_int(cfg.n_input, "rnn input");
  const int64_t G = cfg.n_gates();

  cudnnHandle_t h = nullptr;
  const cudnnStatus_t st = cudnnCreate(&h);
  if (st != CUDNN_STATUS_SUCCESS)  // e.g. no driver: a device error, not a crash
    throw DeviceError(std::string("CudnnRnn: cudnnCreate failed: ") + cudnnGetErrorString(st) +
                      " (no usable GPU or cuDNN library?)");
  m->handle.reset(h);

  cudnnDropoutDescriptor_t dd = nullptr;
  SKU_CUDNN_CHECK(cudnnCreateDropoutDescriptor(&dd));
  m->dropout.reset(dd);
  if (cfg.dropout > 0.0f) {
    // Note [cuDNN dropout]: states for the object's life, initialised from the seed by a
    // kernel on the handle's current stream. Wait for it here, once, so a forward on any
    // other stream (the handle's stream is switched per call) sees initialised states.
    size_t state_bytes = 0;
    SKU_CUDNN_CHECK(cudnnDropoutGetStatesSize(h, &state_bytes));
    m->dropout_states = DeviceBuffer<unsigned char>(state_bytes);
    SKU_CUDNN_CHECK(cudnnSetDropoutDescriptor(dd, h, cfg.dropout, m->dropout_states.data(), state_bytes,
                                              static_cast<unsigned long long>(dropout_seed)));
    cudaStream_t init_stream = nullptr;
    SKU_CUDNN_CHECK(cudnnGetStream(h, &init_stream));
    SKU_CUDA_CHECK(cudaStreamSynchronize(init_stream));
  } else {
    // p = 0 needs no RNG states (as PyTorch's set_no_dropout).
    SKU_CUDNN_CHECK(cudnnSetDropoutDescriptor(dd, h, 0.0f, nullptr, 0, 0));
  }

  cudnnRNNDescriptor_t rd = nullptr;
  SKU_CUDNN_CHECK(cudnnCreateRNNDescriptor(&rd));
  m->desc.reset(rd);
  SKU_CUDNN_CHECK(cudnnSetRNNDescriptor_v8(
      rd, choose_algo(cfg), cfg.cell == CellType::Lstm ? CUDNN_LSTM : CUDNN_GRU, CUDNN_RNN_DOUBLE_BIAS,
      CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, m->info.data, CUDNN_DATA_FLOAT, m->info.math, F, Hd,
      /*projSize = hiddenSize: no projection*/ Hd, L, dd, CUDNN_RNN_PADDED_IO_ENABLED));
  SKU_CUDNN_CHECK(cudnnGetRNNWeightSpaceSize(h, rd, &m->ws_bytes));
  m->ws = DeviceBuffer<unsigned char>(m->ws_bytes);
  // Padding between parameters (if any) must read as 0, never as stale memory.
  SKU_CUDA_CHECK(cudaMemset(m->ws.data(), 0, m->ws_bytes));

  // Locate every per-gate matrix and bias (Note [cuDNN weight mapping], STYLE K8).
  TensorDescPtr m_desc = make_tensor_desc(), b_desc = make_tensor_desc();
  const auto* base = static_cast<const unsigned char*>(m->ws.data());
  const int64_t elem = static_cast<int64_t>(m->info.elem);
  bool identity = precision == RnnPrecision::Fp32 &&
                  m->ws_bytes == static_cast<size_t>(rnn_n_params(cfg)) * sizeof(float);
  for (int l = 0; l < L; ++l) {
    const int64_t Fl = cfg.layer_input(l);
    const int64_t off = rnn_layer_offset(cfg, l);
    for (int id = 0; id < 2 * G; ++id) {
      void* m_addr = nullptr;
      void* b_addr = nullptr;
      SKU_CUDNN_CHECK(cudnnGetRNNWeightParams(h, rd, l, m->ws_bytes, m->ws.data(), id, m_desc.get(), &m_addr,
                                              b_desc.get(), &b_addr));
      if (!m_addr || !b_addr)
        throw DeviceError("CudnnRnn: cudnnGetRNNWeightParams gave no address for layer " + std::to_string(l) +
                          " linLayerID " + std::to_string(id));
      const bool input_side = id < G;  // W (x side) or R (h side)
      const int64_t gate = input_side ? id : id - G;
      const int64_t cols = input_side ? Fl : cfg.n_hidden;
      // Shape check: matrices [1, Hd, cols] row-major, biases [1, Hd, 1].
      cudnnDataType_t dt;
      int nb = 0, dims[3] = {0, 0, 0}, strides[3] = {0, 0, 0};
      SKU_CUDNN_CHECK(cudnnGetTensorNdDescriptor(m_desc.get(), 3, &dt, &nb, dims, strides));
      if (nb != 3 || dims[0] != 1 || dims[1] != cfg.n_hidden || dims[2] != cols || strides[2] != 1 ||
          strides[1] != cols)
        throw DeviceError("CudnnRnn: layer " + std::to_string(l) + " matrix " + std::to_string(id) +
                          ": expected a row-major [1, " + std::to_string(cfg.n_hidden) + ", " + std::to_string(cols) +
                          "] tensor, got dims [" + std::to_string(dims[0]) + ", " + std::to_string(dims[1]) + ", " +
                          std::to_string(dims[2]) + "] strides [" + std::to_string(strides[1]) + ", " +
                          std::to_string(strides[2]) + "]");
      SKU_CUDNN_CHECK(cudnnGetTensorNdDescriptor(b_desc.get(), 3, &dt, &nb, dims, strides));
      if (nb != 3 || dims[0] * dims[1] * dims[2] != cfg.n_hidden)
        throw DeviceError("CudnnRnn: layer " + std::to_string(l) + " bias " + std::to_string(id) + ": expected " +
                          std::to_string(cfg.n_hidden) + " elements");
      const int64_t m_bytes = static_cast<const unsigned char*>(m_addr) - base;
      const int64_t b_bytes = static_cast<const unsigned char*>(b_addr) - base;
      if (m_bytes % elem || b_bytes % elem)
        throw DeviceError("CudnnRnn: weight-space offsets not aligned to the element size");
      // rnn.h's layout of layer l: W [G*Hd, Fl], R [G*Hd, Hd], bW [G*Hd], bR [G*Hd].
      const int64_t gh = G * cfg.n_hidden;
      const int64_t cpu_m = off + (input_side ? gate * cfg.n_hidden * Fl : gh * Fl + gate * cfg.n_hidden * cfg.n_hidden);
      const int64_t cpu_b = off + gh * Fl + gh * cfg.n_hidden + (input_side ? 0 : gh) + gate * cfg.n_hidden;
      m->segs.push_back({cpu_m, m_bytes / elem, cfg.n_hidden * cols});
      m->segs.push_back({cpu_b, b_bytes / elem, cfg.n_hidden});
      identity = identity && cpu_m == m_bytes / elem && cpu_b == b_bytes / elem;
    }
  }
  for (const auto& s : m->segs) m->max_seg = std::max(m->max_seg, s.count);
  m->identity = identity;
  m->segs_dev = DeviceBuffer<RnnWeightSegment>(m->segs);
  if (identity) m->ws = DeviceBuffer<unsigned char>();  // the caller's buffers are used directly
}

CudnnRnn::~CudnnRnn() = default;
const RnnConfig& CudnnRnn::config() const { return m->cfg; }
RnnPrecision CudnnRnn::precision() const { return m->precision; }
bool CudnnRnn::identity_layout() const { return m->identity; }

// ----------------------------------------------------------------- forward ----
std::unique_ptr<CudnnRnnContext> CudnnRnn::forward(const float* weights, const float* x, int64_t n_steps,
                                                   int64_t n_batch, const int32_t* seq_lengths, const float* h0,
                                                   const float* c0, Phase phase, cudaStream_t stream) const {
  const RnnConfig& cfg = m->cfg;
  // Shapes are validated here, once (STYLE M12).
  if (n_steps <= 0 || n_batch <= 0)
    throw InputError("CudnnRnn::forward: expected positive n_steps and n_batch, got " + std::to_string(n_steps) +
                     ", " + std::to_string(n_batch));
  if (!weights || !x) throw InputError("CudnnRnn::forward: weights and x are required");
  const int T = checked_int(n_steps, "rnn steps"), B = checked_int(n_batch, "rnn batch");
  const int64_t L = cfg.n_layers, Hd = cfg.n_hidden, F = cfg.n_input;
  const bool lstm = cfg.cell == CellType::Lstm;
  const size_t elem = m->info.elem;

  auto ctx = std::make_unique<CudnnRnnContext>();
  CudnnRnnContext::Impl& c = *ctx->m;
  c.n_steps = n_steps;
  c.n_batch = n_batch;
  c.n_layers = L;
  c.n_hidden = Hd;
  c.n_input = F;
  c.lstm = lstm;
  c.dtype = m->info.dtype;
  c.stream = stream;
  c.training = phase == Phase::Training;
  c.lengths.assign(static_cast<size_t>(B), T);
  if (seq_lengths) {
    for (int b = 0; b < B; ++b) {
      if (seq_lengths[b] < 1 || seq_lengths[b] > T)
        throw InputError("CudnnRnn::forward: sequence " + std::to_string(b) + " has length " +
                         std::to_string(seq_lengths[b]) + ", expected 1.." + std::to_string(T));
      c.lengths[b] = seq_lengths[b];
    }
  }
  c.dev_lengths = StreamBuffer(B * sizeof(int32_t), stream);
  // Pageable source: the copy is staged before cudaMemcpyAsync returns; c.lengths outlives it anyway.
  SKU_CUDA_CHECK(cudaMemcpyAsync(c.dev_lengths.data(), c.lengths.data(), B * sizeof(int32_t),
                                 cudaMemcpyHostToDevice, stream));

  // Descriptors of this batch: time-major, padded, per-sequence lengths.
  c.x_desc = make_data_desc();
  c.y_desc = make_data_desc();
  SKU_CUDNN_CHECK(cudnnSetRNNDataDescriptor(c.x_desc.get(), m->info.data, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, T,
                                            B, checked_int(F, "rnn input"), c.lengths.data(), &g_zero_fill));
  SKU_CUDNN_CHECK(cudnnSetRNNDataDescriptor(c.y_desc.get(), m->info.data, CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED, T,
                                            B, checked_int(Hd, "rnn hidden"), c.lengths.data(), &g_zero_fill));
  c.h_desc = make_tensor_desc();
  const int h_dims[3] = {checked_int(L, "rnn layers"), B, checked_int(Hd, "rnn hidden")};
  const int h_strides[3] = {checked_int(checked_mul(n_batch, Hd), "rnn state stride"), h_dims[2], 1};
  SKU_CUDNN_CHECK(cudnnSetTensorNdDescriptor(c.h_desc.get(), m->info.data, 3, h_dims, h_strides));

  // Buffers in the network's data type; inputs converted (a plain copy for FP32).
  const int64_t n_x = checked_mul(checked_mul(n_steps, n_batch), F);
  const int64_t n_y = checked_mul(checked_mul(n_steps, n_batch), Hd);
  const int64_t n_h = checked_mul(checked_mul(L, n_batch), Hd);
  c.x = StreamBuffer(n_x * elem, stream);
  rnn_cast_fwd(x, c.x.data(), c.dtype, n_x, stream);
  c.y = StreamBuffer(n_y * elem, stream);
  c.hy = StreamBuffer(n_h * elem, stream);
  if (lstm) c.cy = StreamBuffer(n_h * elem, stream);
  if (h0) {
    c.hx = StreamBuffer(n_h * elem, stream);
    rnn_cast_fwd(h0, c.hx.data(), c.dtype, n_h, stream);
  }
  if (lstm && c0) {
    c.cx = StreamBuffer(n_h * elem, stream);
    rnn_cast_fwd(c0, c.cx.data(), c.dtype, n_h, stream);
  }

  // Inference mode applies no dropout and needs no reserve; Training mode drops between
  // layers (p > 0) and records the masks in the reserve for backward (Note [cuDNN dropout]).
  const cudnnForwardMode_t mode = c.training ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE;
  size_t work_bytes = 0, reserve_bytes = 0;  // sizes on every call (STYLE K9)
  SKU_CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(m->handle.get(), m->desc.get(), mode, c.x_desc.get(), &work_bytes,
                                            &reserve_bytes));
  StreamBuffer work(work_bytes, stream);
  if (c.training) c.reserve = StreamBuffer(reserve_bytes, stream);
  SKU_CUDNN_CHECK(cudnnSetStream(m->handle.get(), stream));
  const void* w = m->weights_for_call(weights, stream);
  SKU_CUDNN_CHECK(cudnnRNNForward(m->handle.get(), m->desc.get(), mode, c.dev_lengths.as<const int32_t>(),
                                  c.x_desc.get(), c.x.data(), c.y_desc.get(), c.y.data(), c.h_desc.get(),
                                  c.hx.data(), c.hy.data(), c.h_desc.get(), c.cx.data(), lstm ? c.cy.data() : nullptr,
                                  m->ws_bytes, w, work_bytes, work.data(), c.training ? reserve_bytes : 0,
                                  c.training ? c.reserve.data() : nullptr));
  if (c.dtype != RnnDType::F32) {  // float views of the outputs (Note [cuDNN precision])
    c.y_f = StreamBuffer(n_y * sizeof(float), stream);
    c.hy_f = StreamBuffer(n_h * sizeof(float), stream);
    rnn_cast_bwd(c.y.data(), c.dtype, c.y_f.as<float>(), n_y, stream);
    rnn_cast_bwd(c.hy.data(), c.dtype, c.hy_f.as<float>(), n_h, stream);
    if (lstm) {
      c.cy_f = StreamBuffer(n_h * sizeof(float), stream);
      rnn_cast_bwd(c.cy.data(), c.dtype, c.cy_f.as<float>(), n_h, stream);
    }
  }
  return ctx;
}

// ---------------------------------------------------------------- backward ----
void CudnnRnn::backward(const CudnnRnnContext& ctx, const float* weights, const float* dy, const float* dh_n,
                        const float* dc_n, float* dx, float* dh0, float* dc0, float* dweights, GradMode mode,
                        cudaStream_t stream) const {
  const CudnnRnnContext::Impl& c = *ctx.m;
  const RnnConfig& cfg = m->cfg;
  if (!c.training)
    throw InputError("CudnnRnn::backward: the context comes from a Phase::Inference forward; expected Phase::Training");
  if (c.n_input != cfg.n_input || c.n_hidden != cfg.n_hidden || c.n_layers != cfg.n_layers ||
      c.dtype != m->info.dtype)
    throw InputError("CudnnRnn::backward: the context comes from a network of another shape or precision");
  if (mode != GradMode::Ignore && !dweights)
    throw InputError("CudnnRnn::backward: dweights is required unless mode is GradMode::Ignore");
  if (!weights) throw InputError("CudnnRnn::backward: weights are required");
  const bool lstm = c.lstm;
  const size_t elem = m->info.elem;
  const bool f32 = c.dtype == RnnDType::F32;
  const int64_t n_x = c.n_steps * c.n_batch * c.n_input;
  const int64_t n_y = c.n_steps * c.n_batch * c.n_hidden;
  const int64_t n_h = c.n_layers * c.n_batch * c.n_hidden;

  // Inputs in the network's data type: the caller's buffers for FP32, converted copies otherwise.
  StreamBuffer dy_buf, dhy_buf, dcy_buf;
  const void* dy_p = dy;
  if (!dy || !f32) {
    dy_buf = StreamBuffer(n_y * elem, stream);
    if (dy) rnn_cast_fwd(dy, dy_buf.data(), c.dtype, n_y, stream);
    else SKU_CUDA_CHECK(cudaMemsetAsync(dy_buf.data(), 0, n_y * elem, stream));  // cuDNN needs a dy
    dy_p = dy_buf.data();
  }
  const void* dhy_p = dh_n;
  if (dh_n && !f32) {
    dhy_buf = StreamBuffer(n_h * elem, stream);
    rnn_cast_fwd(dh_n, dhy_buf.data(), c.dtype, n_h, stream);
    dhy_p = dhy_buf.data();
  }
  const void* dcy_p = lstm ? dc_n : nullptr;
  if (lstm && dc_n && !f32) {
    dcy_buf = StreamBuffer(n_h * elem, stream);
    rnn_cast_fwd(dc_n, dcy_buf.data(), c.dtype, n_h, stream);
    dcy_p = dcy_buf.data();
  }
  // Outputs: written straight into the caller's buffers for FP32, else through scratch.
  StreamBuffer dx_buf, dhx_buf, dcx_buf;
  void* dx_p = dx;
  if (!dx || !f32) {
    dx_buf = StreamBuffer(n_x * elem, stream);  // cuDNN always writes dx
    dx_p = dx_buf.data();
  }
  void* dhx_p = dh0;
  if (dh0 && !f32) {
    dhx_buf = StreamBuffer(n_h * elem, stream);
    dhx_p = dhx_buf.data();
  }
  void* dcx_p = lstm ? dc0 : nullptr;
  if (lstm && dc0 && !f32) {
    dcx_buf = StreamBuffer(n_h * elem, stream);
    dcx_p = dcx_buf.data();
  }

  size_t work_bytes = 0, reserve_bytes = 0;
  SKU_CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(m->handle.get(), m->desc.get(), CUDNN_FWD_MODE_TRAINING, c.x_desc.get(),
                                            &work_bytes, &reserve_bytes));
  if (reserve_bytes != c.reserve.bytes())
    throw DeviceError("CudnnRnn::backward: reserve space of " + std::to_string(c.reserve.bytes()) +
                      " bytes, cuDNN expects " + std::to_string(reserve_bytes));
  StreamBuffer work(work_bytes, stream);
  SKU_CUDNN_CHECK(cudnnSetStream(m->handle.get(), stream));
  const void* w = m->weights_for_call(weights, stream);

  // Note [cuDNN backward order]: BackwardData must run before BackwardWeights. It writes
  // into the reserve space the intermediate gradients that BackwardWeights reads (cuDNN's
  // API contract; PyTorch's _cudnn_rnn_backward keeps the same order). STYLE K9.
  SKU_CUDNN_CHECK(cudnnRNNBackwardData_v8(
      m->handle.get(), m->desc.get(), c.dev_lengths.as<const int32_t>(), c.y_desc.get(), c.y.data(), dy_p,
      c.x_desc.get(), dx_p, c.h_desc.get(), c.hx.data(), dhy_p, dhx_p, c.h_desc.get(), c.cx.data(), dcy_p, dcx_p,
      m->ws_bytes, w, work_bytes, work.data(), reserve_bytes, c.reserve.data()));
  if (!f32) {
    if (dx) rnn_cast_bwd(dx_buf.data(), c.dtype, dx, n_x, stream);
    if (dh0) rnn_cast_bwd(dhx_buf.data(), c.dtype, dh0, n_h, stream);
    if (lstm && dc0) rnn_cast_bwd(dcx_buf.data(), c.dtype, dc0, n_h, stream);
  }
  if (!lstm && dc0) SKU_CUDA_CHECK(cudaMemsetAsync(dc0, 0, n_h * sizeof(float), stream));  // as the CPU GRU: no cell

  if (mode == GradMode::Ignore) return;
  // cuDNN adds into its gradient buffer (CUDNN_WGRAD_MODE_ADD); Overwrite zeroes it first.
  if (m->identity) {
    if (mode == GradMode::Overwrite)
      SKU_CUDA_CHECK(cudaMemsetAsync(dweights, 0, m->ws_bytes, stream));
    SKU_CUDNN_CHECK(cudnnRNNBackwardWeights_v8(m->handle.get(), m->desc.get(), CUDNN_WGRAD_MODE_ADD,
                                               c.dev_lengths.as<const int32_t>(), c.x_desc.get(), c.x.data(),
                                               c.h_desc.get(), c.hx.data(), c.y_desc.get(), c.y.data(), m->ws_bytes,
                                               dweights, work_bytes, work.data(), reserve_bytes, c.reserve.data()));
    return;
  }
  StreamBuffer dws(m->ws_bytes, stream);
  SKU_CUDA_CHECK(cudaMemsetAsync(dws.data(), 0, m->ws_bytes, stream));
  SKU_CUDNN_CHECK(cudnnRNNBackwardWeights_v8(m->handle.get(), m->desc.get(), CUDNN_WGRAD_MODE_ADD,
                                             c.dev_lengths.as<const int32_t>(), c.x_desc.get(), c.x.data(),
                                             c.h_desc.get(), c.hx.data(), c.y_desc.get(), c.y.data(), m->ws_bytes,
                                             dws.data(), work_bytes, work.data(), reserve_bytes, c.reserve.data()));
  rnn_weights_pack_bwd(dws.data(), c.dtype, m->segs_dev.data(), static_cast<int>(m->segs.size()), m->max_seg,
                       dweights, mode, stream);
}

}  // namespace skucast::nn
