// Model weights (mmapped GGUF tensors, used in place) and the paged KV cache.
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "common.h"

namespace se {

struct Config {
  int vocab = 0, dim = 0, layers = 0, ffn = 0, heads = 0, kv_heads = 0, head_dim = 0, rope_dim = 0;
  float eps = 1e-6f;
  double rope_base = 10000;
  bool neox = false, qkv_bias = false, tied = false;
};

struct Tensor {
  int type = -1;
  int64_t ne0 = 0, ne1 = 1;
  const uint8_t* data = nullptr;
  size_t row_bytes = 0;
  const uint8_t* panels = nullptr;  // Q8_0 repacked for the kernel set's GEMM (panels.h), if it has one
  const uint8_t* row(int64_t i) const { return data + (size_t)i * row_bytes; }
};

struct TensorDesc {
  std::string name;
  int type;
  int64_t ne0, ne1;
  uint64_t offset, size;
};

struct Layer {
  Tensor wq, wk, wv, wo, wgate, wup, wdown;
  std::vector<float> attn_norm, ffn_norm, bq, bk, bv;
};

class Model {
 public:
  // Maps the file and binds every tensor; throws std::runtime_error naming what is wrong.
  // huge_pages: copy the mapped file into anonymous 2 MiB pages (faster), else use the mapping in place.
  Model(const std::string& path, const Config& c, const std::vector<TensorDesc>& tensors, bool huge_pages);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  Config cfg;
  Tensor tok_embd, output;
  std::vector<float> out_norm;
  std::vector<Layer> layers;
  uint8_t* panel_arena = nullptr;  // owned (freed here); set by pack_model_panels
  size_t panel_bytes = 0;

 private:
  void* map_ = nullptr;
  size_t map_size_ = 0;
  bool copied_ = false;
};

// KV blocks of `block_size` tokens; per layer, block and kv head: K as [head_dim][block_size]
// (keys contiguous per dimension, so a block's scores vectorize across keys) and V as
// [block_size][head_dim]. f16 by default; int8 with one float scale per key/value vector.
class KVCache {
 public:
  KVCache(const Config& c, int n_blocks, int block_size, bool int8);
  ~KVCache();
  KVCache(const KVCache&) = delete;
  KVCache& operator=(const KVCache&) = delete;

  int n_blocks, block_size, layers, kv_heads, head_dim;
  bool i8;

  size_t esz() const { return i8 ? 1 : 2; }
  size_t head_elems() const { return (size_t)head_dim * block_size; }
  size_t index(int layer, int block, int head) const { return ((size_t)layer * n_blocks + block) * kv_heads + head; }
  uint8_t* k(int layer, int block, int head) { return k_ + index(layer, block, head) * head_elems() * esz(); }
  uint8_t* v(int layer, int block, int head) { return v_ + index(layer, block, head) * head_elems() * esz(); }
  float* kscale(int layer, int block, int head) { return ks_ + index(layer, block, head) * block_size; }
  float* vscale(int layer, int block, int head) { return vs_ + index(layer, block, head) * block_size; }

  // store one token's K and V (all kv heads) at slot `slot` of `block`
  void write(int layer, int block, int slot, const float* kvec, const float* vvec);
  void copy_block(int src, int dst);
  size_t bytes() const { return bytes_; }

 private:
  uint8_t *k_ = nullptr, *v_ = nullptr;
  float *ks_ = nullptr, *vs_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace se
