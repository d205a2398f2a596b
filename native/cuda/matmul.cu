// Y = X · Wᵀ for every weight type: the decode GEMV (one activation row) and the k-row product
// of verification and prefill are the same kernel, so a row's result cannot depend on k.
//
// Batch invariance, by construction: one warp computes output o for a tile of T activation rows.
// Lane ℓ owns the columns [8ℓ + 256i, 8ℓ + 256i + 8) for i = 0, 1, ... and accumulates them in
// increasing i with explicit fmaf (no contraction choices left to the compiler), then the warp
// sums its lanes with the fixed butterfly of dev.cuh. That sequence of operations depends only on
// the row's own values and the matrix width, not on T, on which tile the row fell in, or on N:
// T (1, 8 or 32, chosen from N) changes how many rows share each weight load, and U how many
// loads are issued ahead, nothing else.
//
// What bounds it: decode (N = 1) streams every weight byte once and does 8 FMAs per value
// loaded, so it is bound by HBM bandwidth (the layout gives each warp 32 consecutive 2..32-byte
// loads). With N rows, the weights are re-read once per tile of 32 rows and the FMAs run on CUDA
// cores at 1 per value per row, so verification and prefill are bound by the f32 FMA rate, not
// by tensor cores: this is the correct first kernel, not the tensor-core (mma) one the issue
// aims at. An mma kernel must keep the invariance the same way: one fixed per-output order of
// k-steps, used for every N including 1.
#include <cuda_runtime.h>
#include "check.cuh"
#include "dev.cuh"
#include "kernels.cuh"
#include "matmul.cuh"

namespace se {

constexpr int MM_WARPS = 4;  // output rows per block

// U chunks' weights are loaded before any is used, so each lane has U loads in flight (decode is
// latency-bound on one 8-byte load a lane otherwise); the accumulation order is unchanged by U.
template <int TYPE, int T, int U>
__global__ void __launch_bounds__(32 * MM_WARPS) matmul_kernel(MatmulArgs a) {
  const int lane = threadIdx.x & 31;
  const int o = blockIdx.x * MM_WARPS + (threadIdx.x >> 5);
  const int t0 = blockIdx.y * T;
  if (o >= a.w.rows) return;  // whole warps leave together: the shuffles below stay full-warp
  const int nt = min(T, a.N - t0), K = a.w.cols;
  float acc[T];
#pragma unroll
  for (int t = 0; t < T; t++) acc[t] = 0.f;
  for (int c0 = lane * 8; c0 < K; c0 += 256 * U) {
    float w[U][8];
#pragma unroll
    for (int u = 0; u < U; u++)
      if (c0 + 256 * u < K) load8_t<TYPE>(a.w, o, c0 + 256 * u, w[u]);
#pragma unroll
    for (int u = 0; u < U; u++) {
      const int c = c0 + 256 * u;
      if (c >= K) break;
#pragma unroll
      for (int t = 0; t < T; t++) {
        if (t < nt) {
          const float4* xp = reinterpret_cast<const float4*>(a.x + (size_t)(t0 + t) * K + c);
          const float4 x0 = __ldg(xp), x1 = __ldg(xp + 1);
          float s = acc[t];
          s = fmaf(w[u][0], x0.x, s); s = fmaf(w[u][1], x0.y, s); s = fmaf(w[u][2], x0.z, s); s = fmaf(w[u][3], x0.w, s);
          s = fmaf(w[u][4], x1.x, s); s = fmaf(w[u][5], x1.y, s); s = fmaf(w[u][6], x1.z, s); s = fmaf(w[u][7], x1.w, s);
          acc[t] = s;
        }
      }
    }
  }
#pragma unroll
  for (int t = 0; t < T; t++) acc[t] = warp_sum(acc[t]);
  if (lane != 0) return;
#pragma unroll
  for (int t = 0; t < T; t++) {
    if (t >= nt) break;
    matmul_store(a, t0 + t, o, acc[t]);
  }
}

template <int TYPE>
static void launch_typed(cudaStream_t s, const MatmulArgs& a) {
  const unsigned gx = cdiv(a.w.rows, MM_WARPS);
  const dim3 block(32 * MM_WARPS);
  // rows per tile T and loads in flight U: fewer rows leave registers for more loads
  if (a.N == 1) matmul_kernel<TYPE, 1, 4><<<dim3(gx, 1), block, 0, s>>>(a);
  else if (a.N <= 8) matmul_kernel<TYPE, 8, 2><<<dim3(gx, 1), block, 0, s>>>(a);
  else matmul_kernel<TYPE, 32, 1><<<dim3(gx, cdiv(a.N, 32)), block, 0, s>>>(a);
  CUDA_LAUNCHED("matmul_kernel");
}

void launch_matmul(cudaStream_t s, const GpuMat& w, const float* x, int N, float* y, int ldy, const float* bias, Epilogue ep,
                   const float* gate) {
  if (N <= 0) return;
  const MatmulArgs a{w, x, N, y, ldy, bias, (int)ep, gate};
  switch (w.type) {
    case G_F32: launch_typed<G_F32>(s, a); break;
    case G_F16: launch_typed<G_F16>(s, a); break;
    case G_BF16: launch_typed<G_BF16>(s, a); break;
    case G_Q8_0: launch_typed<G_Q8_0>(s, a); break;
    case G_Q4_0: launch_typed<G_Q4_0>(s, a); break;
    case G_Q5_0: launch_typed<G_Q5_0>(s, a); break;
    case G_Q4_K: launch_typed<G_Q4_K>(s, a); break;
    case G_Q6_K: launch_typed<G_Q6_K>(s, a); break;
    default: throw std::runtime_error("matmul: no kernel for weight type " + std::to_string(w.type));
  }
}

}  // namespace se
