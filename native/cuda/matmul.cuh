// What the two matmul kernels (matmul.cu on CUDA cores, matmul_mma.cu on tensor cores) share: their
// arguments, and the one way an output's sum is finished and stored (bias, residual add or SwiGLU,
// each rounding explicit), so that both write the same bits for the same sum.
#pragma once
#include <cuda_runtime.h>
#include "kernels.cuh"

namespace se {

struct MatmulArgs {
  GpuMat w;
  const float* x;
  int N;
  float* y;
  int ldy;
  const float* bias;
  int ep;
  const float* gate;
};

// y[t][o] from the finished sum over the inputs, by the epilogue a.ep
__device__ __forceinline__ void matmul_store(const MatmulArgs& a, int t, int o, float sum) {
  float* y = a.y + (size_t)t * a.ldy + o;
  const float r = __fadd_rn(sum, a.bias ? a.bias[o] : 0.f);
  if (a.ep == EP_ADD) *y = __fadd_rn(*y, r);
  else if (a.ep == EP_SWIGLU) {
    const float g = a.gate[(size_t)t * a.ldy + o];
    *y = __fmul_rn(__fdiv_rn(g, __fadd_rn(1.f, expf(-g))), r);
  } else *y = r;
}

}  // namespace se
