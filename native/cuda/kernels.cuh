// Host-side launchers of the kernel families, one .cu file each; engine.cu strings them into a
// forward pass. Every launcher enqueues on the given stream and checks the launch.
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include "layout.h"

namespace se {

// matmul.cu — y[t][o] (op)= Σ_c W[o][c]·x[t][c] for t < N, o < W.rows
enum Epilogue : int {
  EP_STORE = 0,   // y = acc (+ bias)
  EP_ADD = 1,     // y += acc (the residual add, fused)
  EP_SWIGLU = 2,  // y = silu(gate) · acc (gate: the ffn_gate output, same shape as y)
};
void launch_matmul(cudaStream_t s, const GpuMat& w, const float* x, int N, float* y, int ldy, const float* bias, Epilogue ep,
                   const float* gate);
// matmul_mma.cu — the same product on tensor cores (f16 operands, f32 sums), for the types
// mma_type accepts (the quantized ones; columns a multiple of 32)
bool mma_type(int type);
void launch_matmul_mma(cudaStream_t s, const GpuMat& w, const float* x, int N, float* y, int ldy, const float* bias,
                       Epilogue ep, const float* gate);

// norm.cu
void launch_embed(cudaStream_t s, const GpuMat& emb, const int32_t* tokens, int N, float* x);
void launch_rmsnorm(cudaStream_t s, const float* x, const float* w, int N, int n, float eps, float* y);
void launch_gather_rows(cudaStream_t s, const float* x, const int32_t* rows, int R, int n, float* y);

// rope.cu — rotate q [N][heads·hd] and k [N][kv_heads·hd] in place by each token's position
void launch_rope(cudaStream_t s, float* q, float* k, const int32_t* pos, int N, int heads, int kv_heads, int hd, int rd,
                 bool neox, const double* inv_freq);

// kvcache.cu — the paged cache: per layer, block and kv head, K and V as [block_size][head_dim]
// (f16, or int8 with one float scale per key/value vector in ks/vs [block_size])
struct DevKV {
  uint8_t *k = nullptr, *v = nullptr;
  float *ks = nullptr, *vs = nullptr;
  int n_blocks = 0, block_size = 0, kv_heads = 0, head_dim = 0;
  bool i8 = false;
  __host__ __device__ size_t index(int layer, int block, int head) const {
    return ((size_t)layer * n_blocks + block) * kv_heads + head;
  }
  __host__ __device__ size_t esz() const { return i8 ? 1 : 2; }
  __host__ __device__ size_t head_elems() const { return (size_t)head_dim * block_size; }
};
// token t's k/v rows go to slot pos[t] % bs of block table[tab_off[t] + pos[t] / bs]
void launch_kv_write(cudaStream_t s, const DevKV& kv, int layer, const float* k, const float* v, const int32_t* pos,
                     const int32_t* tab_off, const int32_t* table, int N);

// attention.cu — out[t] = causal softmax attention of q[t] over its sequence's keys 0..pos[t],
// in partitions of ATT_PART keys fixed by position; `parts` ≥ max(pos) / ATT_PART + 1, `work`
// holds attention_workspace_floats(N, heads, head_dim, parts) floats
constexpr int ATT_PART = 64;
size_t attention_workspace_floats(int N, int heads, int hd, int parts);
void launch_attention(cudaStream_t s, const DevKV& kv, int layer, const float* q, const int32_t* pos, const int32_t* tab_off,
                      const int32_t* table, int N, int heads, int parts, float* work, float* out);

// sample.cu — per row of logits [R][V]: the argmax (ties: lowest id), and the top k (k ≤
// TOPK_DEVICE_MAX) by descending logit, ties to the lowest id, at ids[koff[r]..]
constexpr int TOPK_DEVICE_MAX = 64;
void launch_argmax(cudaStream_t s, const float* logits, int R, int V, int32_t* out);
void launch_topk(cudaStream_t s, const float* logits, int R, int V, const int32_t* k, const int32_t* koff, int32_t* ids,
                 float* vals);

}  // namespace se
