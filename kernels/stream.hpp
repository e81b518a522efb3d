// kernels/stream.hpp — the opaque CUDA stream handle used by launcher signatures (STYLE B4's
// one exception). This is the same declaration cuda_runtime.h makes (driver_types.h:
// `typedef struct CUstream_st *cudaStream_t;`); repeating an identical typedef is legal C++,
// so kernel headers name cudaStream_t without pulling CUDA headers into CPU builds.
// nullptr is the legacy default stream.
#pragma once

struct CUstream_st;
typedef struct CUstream_st* cudaStream_t;
