#include "model.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include "quant.h"

namespace se {

static bool supported(int t) {
  return t == T_F32 || t == T_F16 || t == T_BF16 || t == T_Q8_0 || t == T_Q4_0 || t == T_Q5_0 || t == T_Q4_K || t == T_Q6_K;
}

Model::Model(const std::string& path, const Config& c, const std::vector<TensorDesc>& tensors, bool huge_pages) : cfg(c) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) { ::close(fd); throw std::runtime_error("cannot stat " + path); }
  map_size_ = (size_t)st.st_size;
  map_ = mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map_ == MAP_FAILED) { map_ = nullptr; throw std::runtime_error("cannot mmap " + path + ": " + strerror(errno)); }
  madvise(map_, map_size_, MADV_WILLNEED);
  if (huge_pages) {
    // Copy into anonymous memory backed by 2 MiB pages: streaming 0.5 GB of weights through
    // 4 KiB page-cache pages is TLB-bound (decode measured about 1.5-2x slower that way).
    const size_t huge = (size_t)1 << 21, len = (map_size_ + huge - 1) & ~(huge - 1);
    void* p = aligned_alloc(huge, len);
    if (p) {
      madvise(p, len, MADV_HUGEPAGE);
      memcpy(p, map_, map_size_);
      munmap(map_, map_size_);
      map_ = p;
      copied_ = true;
    }
  }

  std::map<std::string, Tensor> byName;
  for (auto& d : tensors) {
    if (!supported(d.type)) throw std::runtime_error("tensor " + d.name + ": unsupported tensor type " + std::to_string(d.type));
    if (d.ne0 % block_size(d.type)) throw std::runtime_error("tensor " + d.name + ": row not a whole number of blocks");
    if (d.size != row_bytes(d.type, d.ne0) * (uint64_t)d.ne1) throw std::runtime_error("tensor " + d.name + ": size mismatch");
    if (d.offset + d.size > map_size_) throw std::runtime_error("truncated file: tensor " + d.name + " extends past the end of " + path);
    Tensor t;
    t.type = d.type; t.ne0 = d.ne0; t.ne1 = d.ne1;
    t.data = (const uint8_t*)map_ + d.offset;
    t.row_bytes = row_bytes(d.type, d.ne0);
    byName[d.name] = t;
  }
  auto get = [&](const std::string& n, int64_t ne0, int64_t ne1) -> Tensor {
    auto it = byName.find(n);
    if (it == byName.end()) throw std::runtime_error("missing tensor " + n);
    if (it->second.ne0 != ne0 || it->second.ne1 != ne1)
      throw std::runtime_error("tensor " + n + ": shape [" + std::to_string(it->second.ne0) + "," + std::to_string(it->second.ne1) +
                               "], expected [" + std::to_string(ne0) + "," + std::to_string(ne1) + "]");
    return it->second;
  };
  auto vec = [&](const std::string& n, int64_t len) {
    Tensor t = get(n, len, 1);
    std::vector<float> v(len);
    dequantize_row(t.type, t.data, (int)len, v.data());
    return v;
  };
  const int qd = c.heads * c.head_dim, kvd = c.kv_heads * c.head_dim;
  tok_embd = get("token_embd.weight", c.dim, c.vocab);
  output = c.tied ? tok_embd : get("output.weight", c.dim, c.vocab);
  out_norm = vec("output_norm.weight", c.dim);
  for (int i = 0; i < c.layers; i++) {
    std::string p = "blk." + std::to_string(i) + ".";
    Layer L;
    L.attn_norm = vec(p + "attn_norm.weight", c.dim);
    L.ffn_norm = vec(p + "ffn_norm.weight", c.dim);
    L.wq = get(p + "attn_q.weight", c.dim, qd);
    L.wk = get(p + "attn_k.weight", c.dim, kvd);
    L.wv = get(p + "attn_v.weight", c.dim, kvd);
    L.wo = get(p + "attn_output.weight", qd, c.dim);
    L.wgate = get(p + "ffn_gate.weight", c.dim, c.ffn);
    L.wup = get(p + "ffn_up.weight", c.dim, c.ffn);
    L.wdown = get(p + "ffn_down.weight", c.ffn, c.dim);
    if (c.qkv_bias) {
      L.bq = vec(p + "attn_q.bias", qd);
      L.bk = vec(p + "attn_k.bias", kvd);
      L.bv = vec(p + "attn_v.bias", kvd);
    }
    layers.push_back(std::move(L));
  }
}

Model::~Model() {
  free(panel_arena);
  if (map_ && copied_) free(map_);
  else if (map_) munmap(map_, map_size_);
}

KVCache::KVCache(const Config& c, int nb, int bs, bool int8)
    : n_blocks(nb), block_size(bs), layers(c.layers), kv_heads(c.kv_heads), head_dim(c.head_dim), i8(int8) {
  size_t n = (size_t)layers * n_blocks * kv_heads * head_elems();
  // calloc: large zeroed allocations come as lazily-mapped pages
  k_ = (uint8_t*)calloc(n, esz());
  v_ = (uint8_t*)calloc(n, esz());
  size_t ns = (size_t)layers * n_blocks * kv_heads * block_size;
  ks_ = (float*)calloc(ns, sizeof(float));
  vs_ = (float*)calloc(ns, sizeof(float));
  bytes_ = 2 * n * esz() + 2 * ns * sizeof(float);
  // huge pages for the pool: attention walks it through block tables (fewer TLB misses)
  if (k_) madvise(k_, n * esz(), MADV_HUGEPAGE);
  if (v_) madvise(v_, n * esz(), MADV_HUGEPAGE);
  if (!k_ || !v_ || !ks_ || !vs_) {
    free(k_); free(v_); free(ks_); free(vs_);
    throw std::runtime_error("cannot allocate KV cache of " + std::to_string(bytes_ >> 20) + " MiB");
  }
}

KVCache::~KVCache() { free(k_); free(v_); free(ks_); free(vs_); }

void KVCache::write(int layer, int block, int slot, const float* kvec, const float* vvec) {
  const int hd = head_dim, bs = block_size;
  for (int h = 0; h < kv_heads; h++) {
    const float* kh = kvec + (size_t)h * hd;
    const float* vh = vvec + (size_t)h * hd;
    if (i8) {
      float ka = 0, va = 0;
      for (int d = 0; d < hd; d++) { ka = std::fmax(ka, std::fabs(kh[d])); va = std::fmax(va, std::fabs(vh[d])); }
      float kd = ka / 127.f, vd = va / 127.f, ki = kd ? 1.f / kd : 0.f, vi = vd ? 1.f / vd : 0.f;
      auto* K = (int8_t*)k(layer, block, h);
      auto* V = (int8_t*)v(layer, block, h) + (size_t)slot * hd;
      for (int d = 0; d < hd; d++) {
        K[(size_t)d * bs + slot] = (int8_t)std::nearbyint(kh[d] * ki);
        V[d] = (int8_t)std::nearbyint(vh[d] * vi);
      }
      kscale(layer, block, h)[slot] = kd;
      vscale(layer, block, h)[slot] = vd;
    } else {
      auto* K = (uint16_t*)k(layer, block, h);
      auto* V = (uint16_t*)v(layer, block, h) + (size_t)slot * hd;
      for (int d = 0; d < hd; d++) {
        K[(size_t)d * bs + slot] = f32_to_fp16(kh[d]);
        V[d] = f32_to_fp16(vh[d]);
      }
    }
  }
}

void KVCache::copy_block(int src, int dst) {
  size_t hb = head_elems() * esz();
  for (int l = 0; l < layers; l++)
    for (int h = 0; h < kv_heads; h++) {
      std::memcpy(k(l, dst, h), k(l, src, h), hb);
      std::memcpy(v(l, dst, h), v(l, src, h), hb);
      std::memcpy(kscale(l, dst, h), kscale(l, src, h), block_size * sizeof(float));
      std::memcpy(vscale(l, dst, h), vscale(l, src, h), block_size * sizeof(float));
    }
}

}  // namespace se
