// Row-wise kernels around the matmuls: token embedding lookup, RMSNorm, and gathering the rows
// whose logits are wanted. All are bound by memory traffic (a few bytes moved per FLOP) and
// tiny next to the matmuls; each row is one block with a fixed thread count, so a row's result
// does not depend on how many rows the launch has.
#include <cuda_runtime.h>
#include "check.cuh"
#include "dev.cuh"
#include "kernels.cuh"

namespace se {

constexpr int NORM_THREADS = 256;

// x[t] = dequantized row tokens[t] of the embedding matrix (8 values a thread)
__global__ void embed_kernel(GpuMat emb, const int32_t* __restrict__ tokens, float* __restrict__ x) {
  const int t = blockIdx.x, n = emb.cols;
  for (int c = threadIdx.x * 8; c < n; c += blockDim.x * 8) {
    float w[8];
    load8(emb, tokens[t], c, w);
    for (int j = 0; j < 8; j++) x[(size_t)t * n + c + j] = w[j];
  }
}

// y = x / rms(x) · w. The sum of squares is taken in double (as on the CPU): each thread sums
// its strided elements in index order, then a fixed shared-memory tree combines the threads.
__global__ void __launch_bounds__(NORM_THREADS) rmsnorm_kernel(const float* __restrict__ x, const float* __restrict__ w, int n,
                                                               float eps, float* __restrict__ y) {
  __shared__ double part[NORM_THREADS];
  const float* xr = x + (size_t)blockIdx.x * n;
  double ss = 0;
  for (int i = threadIdx.x; i < n; i += NORM_THREADS) ss += (double)xr[i] * xr[i];
  part[threadIdx.x] = ss;
  __syncthreads();
  for (int h = NORM_THREADS / 2; h > 0; h >>= 1) {
    if (threadIdx.x < h) part[threadIdx.x] += part[threadIdx.x + h];
    __syncthreads();
  }
  const float r = (float)(1.0 / sqrt(part[0] / n + eps));
  float* yr = y + (size_t)blockIdx.x * n;
  for (int i = threadIdx.x; i < n; i += NORM_THREADS) yr[i] = __fmul_rn(__fmul_rn(xr[i], r), w[i]);
}

__global__ void gather_kernel(const float* __restrict__ x, const int32_t* __restrict__ rows, int n, float* __restrict__ y) {
  const float* src = x + (size_t)rows[blockIdx.x] * n;
  for (int i = threadIdx.x; i < n; i += blockDim.x) y[(size_t)blockIdx.x * n + i] = src[i];
}

void launch_embed(cudaStream_t s, const GpuMat& emb, const int32_t* tokens, int N, float* x) {
  embed_kernel<<<N, 128, 0, s>>>(emb, tokens, x);
  CUDA_LAUNCHED("embed_kernel");
}

void launch_rmsnorm(cudaStream_t s, const float* x, const float* w, int N, int n, float eps, float* y) {
  rmsnorm_kernel<<<N, NORM_THREADS, 0, s>>>(x, w, n, eps, y);
  CUDA_LAUNCHED("rmsnorm_kernel");
}

void launch_gather_rows(cudaStream_t s, const float* x, const int32_t* rows, int R, int n, float* y) {
  gather_kernel<<<R, 256, 0, s>>>(x, rows, n, y);
  CUDA_LAUNCHED("gather_kernel");
}

}  // namespace se
