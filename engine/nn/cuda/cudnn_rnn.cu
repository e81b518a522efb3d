// engine/nn/cuda/cudnn_rnn.cu — kernels and launchers of engine/nn/cuda/cudnn_rnn_kernels.h.
// defines: cast_fwd_kernel, cast_bwd_kernel (element-wise, grid-stride), pack_fwd_kernel,
//          pack_bwd_kernel (blockIdx.y = segment, grid-stride over its elements).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>

#include "engine/nn/cuda/cudnn_rnn_kernels.h"
#include "kernels/cuda/check.cuh"

namespace skucast::nn {

namespace {

__device__ inline void store(float v, float* p) { *p = v; }
__device__ inline void store(float v, __half* p) { *p = __float2half_rn(v); }
__device__ inline void store(float v, __nv_bfloat16* p) { *p = __float2bfloat16_rn(v); }
__device__ inline float load(const float* p) { return *p; }
__device__ inline float load(const __half* p) { return __half2float(*p); }
__device__ inline float load(const __nv_bfloat16* p) { return __bfloat162float(*p); }

// ---------------------------------------------------------------- kernels ----
template <class T>
__global__ void cast_fwd_kernel(const float* __restrict__ src, T* __restrict__ dst, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) store(src[i], dst + i);
}

template <class T>
__global__ void cast_bwd_kernel(const T* __restrict__ src, float* __restrict__ dst, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) dst[i] = load(src + i);
}

template <class T>
__global__ void pack_fwd_kernel(const float* __restrict__ master, T* __restrict__ ws,
                                const RnnWeightSegment* __restrict__ segs) {
  const RnnWeightSegment sg = segs[blockIdx.y];
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < sg.count; i += stride)
    store(master[sg.cpu_offset + i], ws + sg.ws_offset + i);
}

template <class T>
__global__ void pack_bwd_kernel(const T* __restrict__ dws, const RnnWeightSegment* __restrict__ segs,
                                float* __restrict__ dweights, bool accumulate) {
  const RnnWeightSegment sg = segs[blockIdx.y];
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < sg.count; i += stride) {
    const float g = load(dws + sg.ws_offset + i);
    float* d = dweights + sg.cpu_offset + i;
    *d = accumulate ? *d + g : g;
  }
}

constexpr int kBlock = 256;  // element-wise copies: any multiple of 32 does

}  // namespace

// -------------------------------------------------------------- launchers ----
void rnn_cast_fwd(const float* src, void* dst, RnnDType t, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  switch (t) {
    case RnnDType::F32:
      SKU_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, stream));
      return;
    case RnnDType::F16:
      cast_fwd_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(src, static_cast<__half*>(dst), n);
      break;
    case RnnDType::Bf16:
      cast_fwd_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(src, static_cast<__nv_bfloat16*>(dst), n);
      break;
  }
  SKU_CHECK_LAUNCH("cast_fwd_kernel");
}

void rnn_cast_bwd(const void* src, RnnDType t, float* dst, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  switch (t) {
    case RnnDType::F32:
      SKU_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, stream));
      return;
    case RnnDType::F16:
      cast_bwd_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(static_cast<const __half*>(src), dst, n);
      break;
    case RnnDType::Bf16:
      cast_bwd_kernel<<<grid_stride_blocks(n, kBlock), kBlock, 0, stream>>>(static_cast<const __nv_bfloat16*>(src), dst,
                                                                            n);
      break;
  }
  SKU_CHECK_LAUNCH("cast_bwd_kernel");
}

void rnn_weights_pack_fwd(const float* master, void* ws, RnnDType t, const RnnWeightSegment* segs, int n_segs,
                          int64_t max_count, cudaStream_t stream) {
  if (n_segs == 0) return;
  if (n_segs > 65535) throw Error("rnn_weights_pack_fwd: " + std::to_string(n_segs) + " segments exceed 65535");
  const dim3 grid(grid_stride_blocks(max_count, kBlock), n_segs);
  switch (t) {
    case RnnDType::F32: pack_fwd_kernel<<<grid, kBlock, 0, stream>>>(master, static_cast<float*>(ws), segs); break;
    case RnnDType::F16: pack_fwd_kernel<<<grid, kBlock, 0, stream>>>(master, static_cast<__half*>(ws), segs); break;
    case RnnDType::Bf16:
      pack_fwd_kernel<<<grid, kBlock, 0, stream>>>(master, static_cast<__nv_bfloat16*>(ws), segs);
      break;
  }
  SKU_CHECK_LAUNCH("pack_fwd_kernel");
}

void rnn_weights_pack_bwd(const void* dws, RnnDType t, const RnnWeightSegment* segs, int n_segs, int64_t max_count,
                          float* dweights, GradMode mode, cudaStream_t stream) {
  if (n_segs == 0 || mode == GradMode::Ignore) return;
  if (n_segs > 65535) throw Error("rnn_weights_pack_bwd: " + std::to_string(n_segs) + " segments exceed 65535");
  const dim3 grid(grid_stride_blocks(max_count, kBlock), n_segs);
  const bool acc = mode == GradMode::Accumulate;
  switch (t) {
    case RnnDType::F32:
      pack_bwd_kernel<<<grid, kBlock, 0, stream>>>(static_cast<const float*>(dws), segs, dweights, acc);
      break;
    case RnnDType::F16:
      pack_bwd_kernel<<<grid, kBlock, 0, stream>>>(static_cast<const __half*>(dws), segs, dweights, acc);
      break;
    case RnnDType::Bf16:
      pack_bwd_kernel<<<grid, kBlock, 0, stream>>>(static_cast<const __nv_bfloat16*>(dws), segs, dweights, acc);
      break;
  }
  SKU_CHECK_LAUNCH("pack_bwd_kernel");
}

}  // namespace skucast::nn
