// kernels/device_buffer.hpp — DeviceBuffer<T>: RAII owner of device memory (STYLE M1, M6).
// Move-only; copying goes through explicit upload()/download(). The destructor never throws.
// Only for CUDA builds (includes cuda_runtime.h).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "kernels/cuda/check.cuh"

namespace skucast {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) : m_n(n) {
    if (n > 0) SKU_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&m_ptr), n * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() {
    if (m_ptr) cudaFree(m_ptr);  // errors ignored: a destructor must not throw
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : m_ptr(std::exchange(o.m_ptr, nullptr)), m_n(std::exchange(o.m_n, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      if (m_ptr) cudaFree(m_ptr);
      m_ptr = std::exchange(o.m_ptr, nullptr);
      m_n = std::exchange(o.m_n, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* data() { return m_ptr; }
  const T* data() const { return m_ptr; }
  size_t size() const { return m_n; }

  void upload(const std::vector<T>& host) {
    if (host.size() != m_n) throw Error("DeviceBuffer::upload: expected " + std::to_string(m_n) + " elements, got " +
                                        std::to_string(host.size()));
    if (!m_n) return;
    SKU_CUDA_CHECK(cudaMemcpy(m_ptr, host.data(), m_n * sizeof(T), cudaMemcpyHostToDevice));
    // From pageable memory cudaMemcpy may return before the DMA lands, and work queued on a
    // non-blocking stream does not wait for the legacy stream: finish it here.
    SKU_CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
  }
  std::vector<T> download() const {
    std::vector<T> out(m_n);
    if (m_n) SKU_CUDA_CHECK(cudaMemcpy(out.data(), m_ptr, m_n * sizeof(T), cudaMemcpyDeviceToHost));
    return out;
  }

 private:
  T* m_ptr = nullptr;
  size_t m_n = 0;
};

}  // namespace skucast
