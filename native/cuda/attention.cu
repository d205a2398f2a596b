// Paged causal attention for prefill, verification and decode alike: query token t (at position
// pos[t]) attends to keys 0..pos[t] of its sequence, read through the block table (the keys of
// this batch's earlier tokens were written by kv_write before this launch).
//
// Split over the keys (flash-decoding), in two launches. The keys are cut into partitions of
// ATT_PART positions aligned to absolute positions (partition i holds keys 64i..64i+63). First,
// one warp per (token, query head, partition): keys in chunks of 32, lane ℓ scores key 32c+ℓ (a
// dot product over the head dimension in index order), the warp takes the chunk's max and sum
// with the fixed butterflies of dev.cuh, and an online softmax rescales the running sum and the
// partial output (lane ℓ owns dimensions ℓ, ℓ+32, ..., adding the keys in order); the partition's
// max, sum and unnormalised output go to a workspace. Then one warp per (token, head) merges the
// partitions in increasing order. Every step depends only on this query's position and its
// sequence's cache, never on the other tokens of the batch or on how the sequence was split into
// calls: the partitions are fixed by position, so that is the batch invariance (keys past pos[t]
// are masked, never read).
//
// What bounds it: K/V reads (each warp streams its partition once per query head; the heads
// sharing a kv head re-read the same lines, mostly from L2) and, for decode, latency: a single
// warp walking 512 keys took ~0.45 ms a layer on an H200 (12.8 ms of a 0.5B-shape decode step);
// partitions spread a decode step's keys over ceil(pos/64) warps per head. Not done yet: one load
// of a K/V block for all the queries and heads that share it (shared-memory tiles) for prefill.
// Head dimension a multiple of 8, up to 256.
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include "check.cuh"
#include "dev.cuh"
#include "kernels.cuh"

namespace se {

constexpr int ATT_MAX_HD = 256;

// partials [t][h][part]: m and l in ml (2 floats), the unnormalised output in acc (hd floats)
__global__ void __launch_bounds__(32) attention_part_kernel(DevKV kv, int layer, const float* __restrict__ q,
                                                            const int32_t* __restrict__ pos, const int32_t* __restrict__ tab_off,
                                                            const int32_t* __restrict__ table, int heads, int parts,
                                                            float* __restrict__ ml, float* __restrict__ pacc) {
  __shared__ float qs[ATT_MAX_HD];
  const int t = blockIdx.x, h = blockIdx.y, part = blockIdx.z, lane = threadIdx.x;
  const int k0 = part * ATT_PART;
  const int p = pos[t];
  if (k0 > p) return;  // the whole block: this token has fewer partitions
  const int hd = kv.head_dim, bs = kv.block_size, kvh = h / (heads / kv.kv_heads);
  const int kend = min(p, k0 + ATT_PART - 1);
  const int32_t* tab = table + tab_off[t];
  const float scale = 1.f / sqrtf((float)hd);
  const float* qr = q + ((size_t)t * heads + h) * hd;
  for (int d = lane; d < hd; d += 32) qs[d] = __fmul_rn(qr[d], scale);
  __syncwarp();

  auto key_at = [&](int j, const uint8_t* base, const float* scales, float* sc) -> const uint8_t* {
    const size_t idx = kv.index(layer, tab[j / bs], kvh);
    if (sc) *sc = kv.i8 ? scales[idx * bs + j % bs] : 1.f;
    return base + (idx * kv.head_elems() + (size_t)(j % bs) * hd) * kv.esz();
  };

  constexpr int NACC = ATT_MAX_HD / 32;
  float acc[NACC];
#pragma unroll
  for (int i = 0; i < NACC; i++) acc[i] = 0.f;
  float m = -INFINITY, l = 0.f;
  for (int c0 = k0; c0 <= kend; c0 += 32) {
    const int j = c0 + lane;
    float s = -INFINITY;
    if (j <= kend) {
      float ksc;
      const uint8_t* kp = key_at(j, kv.k, kv.ks, &ksc);
      float dot = 0.f;
      // 8 dimensions a load (16 bytes of f16, 8 of int8), added in index order
      if (kv.i8) {
        for (int d = 0; d < hd; d += 8) {
          const uint2 u = *reinterpret_cast<const uint2*>(kp + d);
#pragma unroll
          for (int i = 0; i < 8; i++) dot = fmaf(qs[d + i], (float)(int8_t)((i < 4 ? u.x : u.y) >> (8 * (i & 3))), dot);
        }
        dot = __fmul_rn(dot, ksc);
      } else {
        for (int d = 0; d < hd; d += 8) {
          const uint4 u = *reinterpret_cast<const uint4*>(kp + 2 * d);
          const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
          for (int i = 0; i < 4; i++) {
            const float2 f = __half22float2(h[i]);
            dot = fmaf(qs[d + 2 * i], f.x, dot);
            dot = fmaf(qs[d + 2 * i + 1], f.y, dot);
          }
        }
      }
      s = dot;
    }
    const float m_new = fmaxf(m, warp_max(s));
    const float e = expf(s - m_new);  // 0 for masked keys
    const float corr = expf(m - m_new);  // 0 on the first chunk (m = −∞)
    l = fmaf(l, corr, warp_sum(e));
    m = m_new;
#pragma unroll
    for (int i = 0; i < NACC; i++) acc[i] = __fmul_rn(acc[i], corr);
    const int last = min(31, kend - c0);
#pragma unroll 4
    for (int jj = 0; jj <= last; jj++) {
      const float pj = __shfl_sync(0xffffffffu, e, jj);
      float vsc;
      const uint8_t* vp = key_at(c0 + jj, kv.v, kv.vs, &vsc);
      const float w = __fmul_rn(pj, vsc);
#pragma unroll
      for (int i = 0; i < NACC; i++) {
        const int d = lane + 32 * i;
        if (d < hd) {
          const float x = kv.i8 ? (float)reinterpret_cast<const int8_t*>(vp)[d] : __half2float(reinterpret_cast<const __half*>(vp)[d]);
          acc[i] = fmaf(w, x, acc[i]);
        }
      }
    }
  }
  const size_t slot = ((size_t)t * heads + h) * parts + part;
  if (lane == 0) { ml[2 * slot] = m; ml[2 * slot + 1] = l; }
  float* prow = pacc + slot * hd;
#pragma unroll
  for (int i = 0; i < NACC; i++) {
    const int d = lane + 32 * i;
    if (d < hd) prow[d] = acc[i];
  }
}

// out[t][h] from its partitions 0..pos[t]/ATT_PART, merged in that order
__global__ void __launch_bounds__(32) attention_merge_kernel(const int32_t* __restrict__ pos, int heads, int hd, int parts,
                                                             const float* __restrict__ ml, const float* __restrict__ pacc,
                                                             float* __restrict__ out) {
  const int t = blockIdx.x, h = blockIdx.y, lane = threadIdx.x;
  const int np = pos[t] / ATT_PART + 1;
  const size_t base = ((size_t)t * heads + h) * parts;
  float M = -INFINITY;
  for (int i = 0; i < np; i++) M = fmaxf(M, ml[2 * (base + i)]);
  constexpr int NACC = ATT_MAX_HD / 32;
  float acc[NACC];
#pragma unroll
  for (int k = 0; k < NACC; k++) acc[k] = 0.f;
  float L = 0.f;
  for (int i = 0; i < np; i++) {
    const float c = expf(ml[2 * (base + i)] - M);
    L = fmaf(ml[2 * (base + i) + 1], c, L);
    const float* prow = pacc + (base + i) * hd;
#pragma unroll
    for (int k = 0; k < NACC; k++) {
      const int d = lane + 32 * k;
      if (d < hd) acc[k] = fmaf(prow[d], c, acc[k]);
    }
  }
  const float inv = 1.f / L;
  float* orow = out + ((size_t)t * heads + h) * hd;
#pragma unroll
  for (int k = 0; k < NACC; k++) {
    const int d = lane + 32 * k;
    if (d < hd) orow[d] = __fmul_rn(acc[k], inv);
  }
}

size_t attention_workspace_floats(int N, int heads, int hd, int parts) { return (size_t)N * heads * parts * (hd + 2); }

void launch_attention(cudaStream_t s, const DevKV& kv, int layer, const float* q, const int32_t* pos, const int32_t* tab_off,
                      const int32_t* table, int N, int heads, int parts, float* work, float* out) {
  if (kv.head_dim > ATT_MAX_HD || kv.head_dim % 8)
    throw std::runtime_error("attention: head dimension " + std::to_string(kv.head_dim) + " (needs a multiple of 8, at most 256)");
  if (parts > 65535) throw std::runtime_error("attention: context too long for one launch (" + std::to_string(parts) + " partitions)");
  float* ml = work;
  float* pacc = work + (size_t)N * heads * parts * 2;
  attention_part_kernel<<<dim3(N, heads, parts), 32, 0, s>>>(kv, layer, q, pos, tab_off, table, heads, parts, ml, pacc);
  CUDA_LAUNCHED("attention_part_kernel");
  attention_merge_kernel<<<dim3(N, heads), 32, 0, s>>>(pos, heads, kv.head_dim, parts, ml, pacc, out);
  CUDA_LAUNCHED("attention_merge_kernel");
}

}  // namespace se
