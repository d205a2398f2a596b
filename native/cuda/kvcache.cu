// Writes each new token's K and V into the paged cache, at the slot its position maps to
// through its sequence's block table. f16 rounds to nearest-even like the CPU's f32_to_fp16;
// int8 takes one scale per vector (max |x| / 127, round half to even, as the CPU cache does).
// Memory-bound; one warp per (token, kv head), so rows never interact.
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include "check.cuh"
#include "dev.cuh"
#include "kernels.cuh"

namespace se {

__device__ void store_vec(const float* __restrict__ x, int hd, bool i8, uint8_t* dst, float* scale) {
  const int lane = threadIdx.x;
  if (!i8) {
    __half* h = reinterpret_cast<__half*>(dst);
    for (int d = lane; d < hd; d += 32) h[d] = __float2half_rn(x[d]);
    return;
  }
  float amax = 0.f;
  for (int d = lane; d < hd; d += 32) amax = fmaxf(amax, fabsf(x[d]));
  amax = warp_max(amax);
  const float sd = amax / 127.f, inv = sd != 0.f ? 1.f / sd : 0.f;
  int8_t* q = reinterpret_cast<int8_t*>(dst);
  for (int d = lane; d < hd; d += 32) q[d] = (int8_t)__float2int_rn(__fmul_rn(x[d], inv));
  if (lane == 0) *scale = sd;
}

__global__ void kv_write_kernel(DevKV kv, int layer, const float* __restrict__ k, const float* __restrict__ v,
                                const int32_t* __restrict__ pos, const int32_t* __restrict__ tab_off,
                                const int32_t* __restrict__ table) {
  const int t = blockIdx.x, h = blockIdx.y, hd = kv.head_dim, bs = kv.block_size;
  const int p = pos[t], block = table[tab_off[t] + p / bs], slot = p % bs;
  const size_t idx = kv.index(layer, block, h);
  const size_t off = (idx * kv.head_elems() + (size_t)slot * hd) * kv.esz();
  const size_t src = ((size_t)t * kv.kv_heads + h) * hd;
  store_vec(k + src, hd, kv.i8, kv.k + off, kv.ks + idx * bs + slot);
  store_vec(v + src, hd, kv.i8, kv.v + off, kv.vs + idx * bs + slot);
}

void launch_kv_write(cudaStream_t s, const DevKV& kv, int layer, const float* k, const float* v, const int32_t* pos,
                     const int32_t* tab_off, const int32_t* table, int N) {
  kv_write_kernel<<<dim3(N, kv.kv_heads), 32, 0, s>>>(kv, layer, k, v, pos, tab_off, table);
  CUDA_LAUNCHED("kv_write_kernel");
}

}  // namespace se
