// Device helpers shared by the kernels. The reductions use a fixed butterfly (offsets 16, 8, 4,
// 2, 1): the order of additions depends only on the lane count, never on the data or on what
// else the kernel is doing, which is half of the batch-invariance argument (see matmul.cu).
#pragma once
#include <cuda_runtime.h>

namespace se {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

inline unsigned cdiv(size_t a, size_t b) { return (unsigned)((a + b - 1) / b); }

}  // namespace se
