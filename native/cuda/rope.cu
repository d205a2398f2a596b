// Rotary position embedding, in place on q and k, in the model's mode: normal (llama) rotates
// the adjacent pairs (2j, 2j+1), neox (qwen2) the pairs (j, j + rd/2); dimensions past rd stay.
// Angles pos·θ_j are formed in double (θ_j = base^(−2j/rd) precomputed on the host in double, as
// the CPU engine does) so long positions do not drift. Memory-bound and negligible in cost.
#include <cuda_runtime.h>
#include "check.cuh"
#include "dev.cuh"
#include "kernels.cuh"

namespace se {

__global__ void rope_kernel(float* __restrict__ q, float* __restrict__ k, const int32_t* __restrict__ pos, int heads,
                            int kv_heads, int hd, int rd, bool neox, const double* __restrict__ inv_freq) {
  const int t = blockIdx.x, half = rd / 2;
  const double p = pos[t];
  for (int i = threadIdx.x; i < (heads + kv_heads) * half; i += blockDim.x) {
    const int h = i / half, j = i % half;
    float* v = h < heads ? q + ((size_t)t * heads + h) * hd : k + ((size_t)t * kv_heads + (h - heads)) * hd;
    double sd, cd;
    sincos(p * inv_freq[j], &sd, &cd);
    const float c = (float)cd, sn = (float)sd;
    const int i0 = neox ? j : 2 * j, i1 = neox ? j + half : 2 * j + 1;
    const float a = v[i0], b = v[i1];
    // separate roundings, as the CPU's a·c − b·s (compiled without FMA contraction)
    v[i0] = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, sn));
    v[i1] = __fadd_rn(__fmul_rn(a, sn), __fmul_rn(b, c));
  }
}

void launch_rope(cudaStream_t s, float* q, float* k, const int32_t* pos, int N, int heads, int kv_heads, int hd, int rd, bool neox,
                 const double* inv_freq) {
  rope_kernel<<<N, 128, 0, s>>>(q, k, pos, heads, kv_heads, hd, rd, neox, inv_freq);
  CUDA_LAUNCHED("rope_kernel");
}

}  // namespace se
