// kernels/stream_buffer.hpp — StreamBuffer: RAII owner of untyped device memory from the
// stream-ordered pool (cudaMallocAsync / cudaFreeAsync, STYLE M3). For per-call scratch and
// per-batch buffers (cuDNN workspace and reserve space), where cudaMalloc/cudaFree would
// synchronize the device on every step. Move-only; the destructor never throws. The memory
// is freed on the stream it was allocated on, so the owner must die before that stream is
// destroyed (the legacy default stream, nullptr, always outlives it).
// Only for CUDA builds (includes cuda_runtime.h).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "kernels/cuda/check.cuh"

namespace skucast {

class StreamBuffer {
 public:
  StreamBuffer() = default;
  StreamBuffer(size_t bytes, cudaStream_t stream) : m_bytes(bytes), m_stream(stream) {
    if (bytes > 0) SKU_CUDA_CHECK(cudaMallocAsync(&m_ptr, bytes, stream));
  }
  ~StreamBuffer() { release(); }
  StreamBuffer(StreamBuffer&& o) noexcept
      : m_ptr(std::exchange(o.m_ptr, nullptr)), m_bytes(std::exchange(o.m_bytes, 0)), m_stream(o.m_stream) {}
  StreamBuffer& operator=(StreamBuffer&& o) noexcept {
    if (this != &o) {
      release();
      m_ptr = std::exchange(o.m_ptr, nullptr);
      m_bytes = std::exchange(o.m_bytes, 0);
      m_stream = o.m_stream;
    }
    return *this;
  }
  StreamBuffer(const StreamBuffer&) = delete;
  StreamBuffer& operator=(const StreamBuffer&) = delete;

  void* data() const { return m_ptr; }
  template <class T>
  T* as() const { return static_cast<T*>(m_ptr); }
  size_t bytes() const { return m_bytes; }

 private:
  void release() noexcept {
    if (m_ptr) cudaFreeAsync(m_ptr, m_stream);  // errors ignored: a destructor must not throw
    m_ptr = nullptr;
  }
  void* m_ptr = nullptr;
  size_t m_bytes = 0;
  cudaStream_t m_stream = nullptr;
};

}  // namespace skucast
