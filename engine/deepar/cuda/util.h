// engine/deepar/cuda/util.h — RAII owners shared by the DeepAR GPU code
// (engine/deepar/cuda/train_step.cpp, the training step; engine/deepar/cuda/sampler.cpp, sampling): a stream, an
// event, a cuBLAS handle (each a unique_ptr with its deleter, STYLE M4) and page-locked host
// memory (STYLE C6). CUDA builds only: includes the CUDA runtime and cuBLAS headers, so only
// the .cpp files that the CPU build swaps for stubs include it.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "kernels/cuda/check.cuh"

namespace skucast::deepar {

// ------------------------------------------------------------------ RAII ----
struct StreamDeleter {
  void operator()(cudaStream_t s) const noexcept {
    if (s) cudaStreamDestroy(s);  // status ignored: a deleter must not throw
  }
};
using StreamPtr = std::unique_ptr<CUstream_st, StreamDeleter>;

struct EventDeleter {
  void operator()(cudaEvent_t e) const noexcept {
    if (e) cudaEventDestroy(e);
  }
};
using EventPtr = std::unique_ptr<CUevent_st, EventDeleter>;

struct BlasDeleter {
  void operator()(cublasHandle_t h) const noexcept {
    if (h) cublasDestroy(h);
  }
};
using BlasPtr = std::unique_ptr<cublasContext, BlasDeleter>;

inline EventPtr make_event() {
  cudaEvent_t e = nullptr;
  SKU_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  return EventPtr(e);
}

// Page-locked host memory (cudaMallocHost), so that copies on the stream are truly async
// (STYLE C6). Move-only; the destructor never throws.
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t n) : m_n(n) {
    if (n > 0) SKU_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&m_ptr), n * sizeof(T)));
  }
  ~PinnedBuffer() {
    if (m_ptr) cudaFreeHost(m_ptr);  // errors ignored: a destructor must not throw
  }
  PinnedBuffer(PinnedBuffer&& o) noexcept : m_ptr(std::exchange(o.m_ptr, nullptr)), m_n(std::exchange(o.m_n, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      if (m_ptr) cudaFreeHost(m_ptr);
      m_ptr = std::exchange(o.m_ptr, nullptr);
      m_n = std::exchange(o.m_n, 0);
    }
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  T* data() const { return m_ptr; }
  size_t size() const { return m_n; }

 private:
  T* m_ptr = nullptr;
  size_t m_n = 0;
};

// A cuBLAS handle on `stream` for the DeepAR head: FP32 SGEMM without TF32
// (CUBLAS_DEFAULT_MATH never uses TF32 tensor cores for Sgemm), host pointer mode. The parity
// reference of both the training step and the forecast (Note [DeepAR training on the GPU]).
inline BlasPtr make_head_blas(cudaStream_t stream) {
  cublasHandle_t h = nullptr;
  SKU_CUBLAS_CHECK(cublasCreate(&h));
  BlasPtr owner(h);
  SKU_CUBLAS_CHECK(cublasSetStream(h, stream));
  SKU_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  SKU_CUBLAS_CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST));
  return owner;
}

// The dense head forward on cuBLAS: out [N, P] = y [N, Hd] A^T + b (A [P, Hd], b [P],
// row-major). cuBLAS is column-major: a row-major [r, c] matrix is its transpose [c, r] with
// ld = c. ones: device [>= N] of 1 (the bias broadcast). Device pointers; async on the
// handle's stream.
inline void head_forward_cublas(cublasHandle_t blas, const float* a, const float* b, const float* y, const float* ones,
                                float* out, int N, int P, int Hd) {
  const float one = 1.0f, zero = 0.0f;
  // out^T [P, N] = b [P, 1] * ones [1, N]  (the bias on every row)
  SKU_CUBLAS_CHECK(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_N, P, N, 1, &one, b, P, ones, 1, &zero, out, P));
  // out^T [P, N] += A [P, Hd] * y^T [Hd, N]; A is stored as A^T [Hd, P] (ld Hd), y as y^T (ld Hd)
  SKU_CUBLAS_CHECK(cublasSgemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, P, N, Hd, &one, a, Hd, y, Hd, &one, out, P));
}

// CudnnRnn and the head take their scratch from the device's default pool (cudaMallocAsync),
// whose release threshold defaults to 0: every synchronization would hand that memory back to
// the driver and the next step would map it again. Keep it pooled for the process.
inline void keep_default_pool() {
  int device = 0;
  SKU_CUDA_CHECK(cudaGetDevice(&device));
  cudaMemPool_t pool = nullptr;
  SKU_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t keep = UINT64_MAX;
  SKU_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
}

}  // namespace skucast::deepar
