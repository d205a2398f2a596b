// Y = X · Wᵀ on tensor cores, for the quantized weight types: one kernel for every N (decode,
// verification, prefill), so a row's result cannot depend on k, as in matmul.cu.
//
// Each weight value is dequantized by load8_t (layout.h), rounded to f16, and multiplied with the
// activations rounded to f16 by mma.sync.m16n8k16 (f32 accumulation): 16 output rows × 8 tokens ×
// 16 inputs per instruction. Q8_0 skips the dequantization: its int8 quants are exact in f16, and
// each 32-value chunk's sum is multiplied by the row's block scale in f32 (fewer instructions a
// weight byte, which decode is short of, and no rounding of d·q). Lane (g = lane/4, q = lane%4) feeds the instruction the inputs
// 32c + 8q .. 32c + 8q + 7 of chunk c (two instructions a chunk): the mma's k order is a fixed
// permutation of the chunk's columns, the same for weights and activations, so the sum is the
// same sum and each lane's operands are one load8_t per row and two float4 of activations.
//
// Batch invariance, by construction: the 8 warps of a block split the chunks by index (warp w
// takes chunks w, w + 8, ...; in increasing order, into one accumulator per output), then the 8
// partial sums are added in warp order. None of that depends on N, on the token's slot in its
// 8-token tile, or on which tile it fell in: an output element of mma depends only on its own row
// of A and column of B (the GPU conformance test checks bit-identical rows across batches).
//
// What bounds it: decode streams the weights once (8 warps a block, 4 chunks' loads in flight a
// lane, so even a 3584-row matrix has 1,800 warps reading); with k rows, the tensor cores do the
// multiplications and the activations' re-reads from L1/L2 (0.25 byte per multiply-add) are the
// limit, not the f32 FMA rate that bounds matmul.cu's kernel.
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cstring>
#include <stdexcept>
#include <string>
#include "check.cuh"
#include "dev.cuh"
#include "kernels.cuh"
#include "matmul.cuh"

namespace se {

constexpr int MMA_KSPLIT = 8;  // warps a block, each a fixed share of the chunks


__device__ __forceinline__ uint32_t pack_half2(float lo, float hi) {
  const __half2 h = __floats2half2_rn(lo, hi);
  uint32_t u;
  memcpy(&u, &h, 4);
  return u;
}

// Two int8 values of a word (the bytes that `sel` picks: 0x4140 bytes 0 and 1, 0x4342 bytes 2 and 3)
// as an f16 pair, exactly: with the sign bit flipped a byte u is x + 128, the f16 with bits
// 0x6400 | u is 1024 + u, and 1024 + u − 1152 = x.
__device__ __forceinline__ uint32_t i8pair_half2(uint32_t word, uint32_t sel) {
  const uint32_t h = __byte_perm(word ^ 0x80808080u, 0x64646464u, sel);
  __half2 v;
  memcpy(&v, &h, 4);
  v = __hsub2(v, __half2half2(__ushort_as_half(0x6480)));  // 1152
  uint32_t u;
  memcpy(&u, &v, 4);
  return u;
}

// d += A·B for one m16n8k16 tile (A row-major 16×16, B "col" 16×8, f16 in, f32 accumulate).
// sm_80 and up (the builds target sm_80/sm_90; a compile for an older default target traps).
__device__ __forceinline__ void mma16816(float d[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                                         uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();
#else
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#endif
}

// RF tiles of 16 rows and NT tiles of 8 tokens a warp; U chunks' weight loads in flight a lane.
template <int TYPE, int RF, int NT, int U>
__global__ void __launch_bounds__(32 * MMA_KSPLIT) matmul_mma_kernel(MatmulArgs a) {
  constexpr int ROWS = 16 * RF, T = 8 * NT;
  __shared__ float part[MMA_KSPLIT][ROWS][T];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, q = lane & 3;
  const int r0 = blockIdx.x * ROWS, t0 = blockIdx.y * T;
  const int rows = a.w.rows, K = a.w.cols, chunks = K / 32;
  float acc[RF][NT][4];
#pragma unroll
  for (int i = 0; i < RF; i++)
#pragma unroll
    for (int j = 0; j < NT; j++)
#pragma unroll
      for (int e = 0; e < 4; e++) acc[i][j][e] = 0.f;

  // Q8_0: the int8 quants go to the tensor cores as they are (exact in f16) and each chunk's sum
  // is scaled by its row's block scale after (one scale per row per 32 values: a chunk); the
  // other types dequantize each value first (load8_t) and round it to f16
  constexpr bool Q8 = TYPE == G_Q8_0;
  for (int base = warp; base < chunks; base += MMA_KSPLIT * U) {
    uint32_t A[U][RF][2][4];  // chunk u, row tile i, instruction s, register: the weights as f16 pairs
    float dsc[U][RF][2];      // Q8_0: the block scales of rows g and g + 8
#pragma unroll
    for (int u = 0; u < U; u++) {
      const int c = base + MMA_KSPLIT * u;
      if (c < chunks) {
#pragma unroll
        for (int i = 0; i < RF; i++) {
          if constexpr (Q8) {
            uint2 qv[2];
#pragma unroll
            for (int h = 0; h < 2; h++) {
              const size_t e = (size_t)min(r0 + 16 * i + g + 8 * h, rows - 1) * K + 32 * c + 8 * q;
              qv[h] = *reinterpret_cast<const uint2*>(a.w.q + e);
              dsc[u][i][h] = f16_bits(*reinterpret_cast<const uint16_t*>(a.w.d + 2 * (e / 32)));
            }
#pragma unroll
            for (int s = 0; s < 2; s++) {
              A[u][i][s][0] = i8pair_half2(s ? qv[0].y : qv[0].x, 0x4140);  // row g, k 2q, 2q + 1
              A[u][i][s][1] = i8pair_half2(s ? qv[1].y : qv[1].x, 0x4140);  // row g + 8
              A[u][i][s][2] = i8pair_half2(s ? qv[0].y : qv[0].x, 0x4342);  // row g, k 2q + 8, 2q + 9
              A[u][i][s][3] = i8pair_half2(s ? qv[1].y : qv[1].x, 0x4342);  // row g + 8
            }
          } else {
            float w0[8], w1[8];  // rows g and g + 8, the lane's 8 inputs
            load8_t<TYPE>(a.w, min(r0 + 16 * i + g, rows - 1), 32 * c + 8 * q, w0);
            load8_t<TYPE>(a.w, min(r0 + 16 * i + g + 8, rows - 1), 32 * c + 8 * q, w1);
#pragma unroll
            for (int s = 0; s < 2; s++) {
              A[u][i][s][0] = pack_half2(w0[4 * s + 0], w0[4 * s + 1]);  // row g, k 2q, 2q + 1
              A[u][i][s][1] = pack_half2(w1[4 * s + 0], w1[4 * s + 1]);  // row g + 8
              A[u][i][s][2] = pack_half2(w0[4 * s + 2], w0[4 * s + 3]);  // row g, k 2q + 8, 2q + 9
              A[u][i][s][3] = pack_half2(w1[4 * s + 2], w1[4 * s + 3]);  // row g + 8
            }
          }
        }
      }
    }
#pragma unroll
    for (int u = 0; u < U; u++) {
      const int c = base + MMA_KSPLIT * u;
      if (c >= chunks) break;
#pragma unroll
      for (int j = 0; j < NT; j++) {
        if (t0 + 8 * j >= a.N) break;  // the same for the whole warp
        const int t = t0 + 8 * j + g;
        float4 x0 = make_float4(0.f, 0.f, 0.f, 0.f), x1 = x0;
        if (t < a.N) {
          const float4* xp = reinterpret_cast<const float4*>(a.x + (size_t)t * K + 32 * c + 8 * q);
          x0 = __ldg(xp);
          x1 = __ldg(xp + 1);
        }
        const uint32_t b00 = pack_half2(x0.x, x0.y), b01 = pack_half2(x0.z, x0.w);
        const uint32_t b10 = pack_half2(x1.x, x1.y), b11 = pack_half2(x1.z, x1.w);
#pragma unroll
        for (int i = 0; i < RF; i++) {
          if constexpr (Q8) {
            float p[4] = {0.f, 0.f, 0.f, 0.f};
            mma16816(p, A[u][i][0][0], A[u][i][0][1], A[u][i][0][2], A[u][i][0][3], b00, b01);
            mma16816(p, A[u][i][1][0], A[u][i][1][1], A[u][i][1][2], A[u][i][1][3], b10, b11);
            acc[i][j][0] = fmaf(dsc[u][i][0], p[0], acc[i][j][0]);
            acc[i][j][1] = fmaf(dsc[u][i][0], p[1], acc[i][j][1]);
            acc[i][j][2] = fmaf(dsc[u][i][1], p[2], acc[i][j][2]);
            acc[i][j][3] = fmaf(dsc[u][i][1], p[3], acc[i][j][3]);
          } else {
            mma16816(acc[i][j], A[u][i][0][0], A[u][i][0][1], A[u][i][0][2], A[u][i][0][3], b00, b01);
            mma16816(acc[i][j], A[u][i][1][0], A[u][i][1][1], A[u][i][1][2], A[u][i][1][3], b10, b11);
          }
        }
      }
    }
  }

  // the accumulator's layout: e = 0, 1 row g, tokens 2q, 2q + 1; e = 2, 3 row g + 8
#pragma unroll
  for (int i = 0; i < RF; i++)
#pragma unroll
    for (int j = 0; j < NT; j++)
#pragma unroll
      for (int e = 0; e < 4; e++) part[warp][16 * i + g + 8 * (e >> 1)][8 * j + 2 * q + (e & 1)] = acc[i][j][e];
  __syncthreads();

  for (int idx = threadIdx.x; idx < ROWS * T; idx += 32 * MMA_KSPLIT) {
    const int rr = idx / T, tt = idx % T, o = r0 + rr, t = t0 + tt;
    if (o >= rows || t >= a.N) continue;
    float s = part[0][rr][tt];
#pragma unroll
    for (int w = 1; w < MMA_KSPLIT; w++) s = __fadd_rn(s, part[w][rr][tt]);
    matmul_store(a, t, o, s);
  }
}

template <int TYPE>
static void launch_mma_typed(cudaStream_t s, const MatmulArgs& a) {
  const dim3 block(32 * MMA_KSPLIT);
  // one 8-token tile and 8 chunks in flight for decode and small k; 64 tokens and 2 chunks above
  if (a.N <= 8) matmul_mma_kernel<TYPE, 1, 1, 8><<<dim3(cdiv(a.w.rows, 16), 1), block, 0, s>>>(a);
  else matmul_mma_kernel<TYPE, 1, 8, 2><<<dim3(cdiv(a.w.rows, 16), cdiv(a.N, 64)), block, 0, s>>>(a);
  CUDA_LAUNCHED("matmul_mma_kernel");
}

bool mma_type(int type) {
  return type == G_Q8_0 || type == G_Q4_0 || type == G_Q5_0 || type == G_Q4_K || type == G_Q6_K;
}

void launch_matmul_mma(cudaStream_t s, const GpuMat& w, const float* x, int N, float* y, int ldy, const float* bias,
                       Epilogue ep, const float* gate) {
  if (N <= 0) return;
  if (w.cols % 32) throw std::runtime_error("matmul_mma: " + std::to_string(w.cols) + " columns (needs a multiple of 32)");
  const MatmulArgs a{w, x, N, y, ldy, bias, (int)ep, gate};
  switch (w.type) {
    case G_Q8_0: launch_mma_typed<G_Q8_0>(s, a); break;
    case G_Q4_0: launch_mma_typed<G_Q4_0>(s, a); break;
    case G_Q5_0: launch_mma_typed<G_Q5_0>(s, a); break;
    case G_Q4_K: launch_mma_typed<G_Q4_K>(s, a); break;
    case G_Q6_K: launch_mma_typed<G_Q6_K>(s, a); break;
    default: throw std::runtime_error("matmul_mma: no kernel for weight type " + std::to_string(w.type));
  }
}

}  // namespace se
