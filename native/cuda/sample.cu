// Argmax and top-k over logit rows on the device, so only ids (and the requested logits) cross
// to the host. Order: larger logit first, equal logits by lower id (the CPU engine's order).
// One block per row; bound by reading the row (V floats) once per argmax and once per top-k
// round, so top-k is kept to k ≤ TOPK_DEVICE_MAX here and larger k is done on the host.
#include <cuda_runtime.h>
#include "check.cuh"
#include "dev.cuh"
#include "kernels.cuh"

namespace se {

constexpr int SAMPLE_THREADS = 512;

struct Cand {
  float v;
  int i;
};
// a before b in the output order
__device__ __forceinline__ bool before(const Cand& a, const Cand& b) { return a.v > b.v || (a.v == b.v && a.i < b.i); }

// the first candidate of the row that comes strictly after `prev` in the order (all of them
// when prev.i < 0); the order is total, so the result does not depend on the scan's split
__device__ Cand best_after(const float* __restrict__ row, int V, Cand prev) {
  __shared__ Cand part[SAMPLE_THREADS];
  Cand b{-INFINITY, -1};
  for (int i = threadIdx.x; i < V; i += SAMPLE_THREADS) {
    const Cand c{row[i], i};
    if (prev.i >= 0 && !before(prev, c)) continue;
    if (b.i < 0 || before(c, b)) b = c;
  }
  part[threadIdx.x] = b;
  __syncthreads();
  for (int h = SAMPLE_THREADS / 2; h > 0; h >>= 1) {
    if (threadIdx.x < h) {
      const Cand o = part[threadIdx.x + h];
      if (o.i >= 0 && (part[threadIdx.x].i < 0 || before(o, part[threadIdx.x]))) part[threadIdx.x] = o;
    }
    __syncthreads();
  }
  const Cand r = part[0];
  __syncthreads();  // part is reused by the next call
  return r;
}

__global__ void __launch_bounds__(SAMPLE_THREADS) argmax_kernel(const float* __restrict__ logits, int V, int32_t* out) {
  const Cand b = best_after(logits + (size_t)blockIdx.x * V, V, Cand{0.f, -1});
  if (threadIdx.x == 0) out[blockIdx.x] = b.i < 0 ? 0 : b.i;
}

__global__ void __launch_bounds__(SAMPLE_THREADS) topk_kernel(const float* __restrict__ logits, int V, const int32_t* __restrict__ k,
                                                              const int32_t* __restrict__ koff, int32_t* ids, float* vals) {
  const int r = blockIdx.x, kr = k[r];
  if (kr <= 0 || kr > TOPK_DEVICE_MAX) return;  // none wanted, or the host's job
  const float* row = logits + (size_t)r * V;
  Cand prev{0.f, -1};
  for (int n = 0; n < kr; n++) {
    prev = best_after(row, V, prev);
    if (threadIdx.x == 0) { ids[koff[r] + n] = prev.i; vals[koff[r] + n] = prev.v; }
  }
}

void launch_argmax(cudaStream_t s, const float* logits, int R, int V, int32_t* out) {
  argmax_kernel<<<R, SAMPLE_THREADS, 0, s>>>(logits, V, out);
  CUDA_LAUNCHED("argmax_kernel");
}

void launch_topk(cudaStream_t s, const float* logits, int R, int V, const int32_t* k, const int32_t* koff, int32_t* ids, float* vals) {
  topk_kernel<<<R, SAMPLE_THREADS, 0, s>>>(logits, V, k, koff, ids, vals);
  CUDA_LAUNCHED("topk_kernel");
}

}  // namespace se
