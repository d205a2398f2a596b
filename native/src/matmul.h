// Y = X · Wᵀ over a batch of activation rows, weights in any supported type.
#pragma once
#include <vector>
#include "kernels.h"
#include "model.h"
#include "threadpool.h"

namespace se {

// One matmul input (N rows of n floats) and its int8 forms, made on first use so q/k/v
// (or gate/up) share one quantization. The int8 forms live in buffers of the calling thread,
// reused from call to call (fresh ones cost page faults and zero-filling on every matmul), so
// only one Acts per thread may be in use at a time.
struct Acts {
  const float* x;
  int N, n;
  const uint8_t* q8 = nullptr;  // layout of the kernel set (Kernels::quant_act32)
  size_t q8_row = 0;
  const ActQ8K* q8k = nullptr;
  const uint8_t* qp = nullptr;  // layout of Kernels::quant_actp (packed-panel GEMM), 64-byte aligned
  size_t qp_row = 0;
  Acts(const float* x_, int N_, int n_) : x(x_), N(N_), n(n_) {}
};

struct MatmulJob {
  const Tensor* W;
  float* y;
  int ldy;
  const float* bias;
};

// Several matmuls of the same input in one parallel loop (q/k/v, gate/up): fewer joins.
void matmul_many(ThreadPool& pool, const Kernels* K, const MatmulJob* jobs, int count, Acts& a);

// y[t*ldy + o] = W[o]·x[t] (+ bias[o]) for t < N, o < W.ne1
void matmul(ThreadPool& pool, const Kernels* K, const Tensor& W, Acts& a, float* y, int ldy, const float* bias);

}  // namespace se
