// Host-side repacking of GGUF matrices into the device layout (layout.h). Runs once per tensor
// at load, before the upload; compiled into every build so the layout is tested without a GPU.
#include <cstring>
#include <stdexcept>
#include <string>
#include "layout.h"

namespace se {

namespace {

// integer values of one block (before the −8/−16/−32 offsets and scales), into v[]
void block_q4_0(const BlockQ4_0& b, uint8_t* v) {
  for (int j = 0; j < 16; j++) { v[j] = b.qs[j] & 15; v[j + 16] = b.qs[j] >> 4; }
}
void block_q5_0(const BlockQ5_0& b, uint8_t* v) {  // low 4 bits only: the fifth is copied as qh
  for (int j = 0; j < 16; j++) { v[j] = b.qs[j] & 15; v[j + 16] = b.qs[j] >> 4; }
}
void block_q4_k(const BlockQ4_K& b, uint8_t* v, uint8_t* sub) {
  const uint8_t* s = b.scales;
  for (int j = 0; j < 8; j++) {
    int sc, m;
    if (j < 4) { sc = s[j] & 63; m = s[j + 4] & 63; }
    else { sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4); m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
    sub[2 * j] = (uint8_t)sc;
    sub[2 * j + 1] = (uint8_t)m;
    const uint8_t* q = b.qs + 32 * (j >> 1);
    for (int l = 0; l < 32; l++) v[32 * j + l] = (j & 1) ? (q[l] >> 4) : (q[l] & 15);
  }
}
void block_q6_k(const BlockQ6_K& b, uint8_t* v) {  // 6-bit values 0..63
  for (int h = 0; h < 2; h++) {
    const uint8_t* ql = b.ql + 64 * h;
    const uint8_t* qh = b.qh + 32 * h;
    for (int l = 0; l < 32; l++) {
      v[128 * h + l] = (ql[l] & 15) | ((qh[l] & 3) << 4);
      v[128 * h + l + 32] = (ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4);
      v[128 * h + l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
      v[128 * h + l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
    }
  }
}

// low nibbles of n values, two a byte (value 2i low)
void pack_nibbles(const uint8_t* v, int n, uint8_t* out) {
  for (int i = 0; i < n / 2; i++) out[i] = (uint8_t)((v[2 * i] & 15) | ((v[2 * i + 1] & 15) << 4));
}
// bits 4-5 of n values, four a byte (lowest value in the lowest bits)
void pack_high2(const uint8_t* v, int n, uint8_t* out) {
  for (int i = 0; i < n / 4; i++) {
    uint8_t b = 0;
    for (int j = 0; j < 4; j++) b |= (uint8_t)(((v[4 * i + j] >> 4) & 3) << (2 * j));
    out[i] = b;
  }
}

}  // namespace

void gpu_repack(int type, int64_t rows, int64_t cols, const uint8_t* gguf, uint8_t* out) {
  const GpuLayout l = gpu_layout(type, rows, cols);
  std::memset(out, 0, l.bytes);
  const size_t src_row = row_bytes(type, cols), qr = gpu_q_row(type, cols), hr = gpu_hi_row(type, cols),
               sr = gpu_sub_row(type, cols), dr = gpu_d_row(type, cols);
  uint8_t v[256];
  for (int64_t r = 0; r < rows; r++) {
    const uint8_t* src = gguf + r * src_row;
    uint8_t *q = out + l.q + r * qr, *hi = out + l.hi + r * hr, *sub = out + l.sub + r * sr, *d = out + l.d + r * dr;
    switch (type) {
      case G_F32: case G_F16: case G_BF16: std::memcpy(q, src, src_row); break;
      case G_Q8_0:
        for (int64_t b = 0; b < cols / 32; b++) {
          BlockQ8_0 blk; std::memcpy(&blk, src + b * sizeof blk, sizeof blk);
          std::memcpy(d + 2 * b, &blk.d, 2);
          std::memcpy(q + 32 * b, blk.qs, 32);
        }
        break;
      case G_Q4_0: case G_Q5_0:
        for (int64_t b = 0; b < cols / 32; b++) {
          if (type == G_Q4_0) {
            BlockQ4_0 blk; std::memcpy(&blk, src + b * sizeof blk, sizeof blk);
            std::memcpy(d + 2 * b, &blk.d, 2);
            block_q4_0(blk, v);
          } else {
            BlockQ5_0 blk; std::memcpy(&blk, src + b * sizeof blk, sizeof blk);
            std::memcpy(d + 2 * b, &blk.d, 2);
            std::memcpy(hi + 4 * b, blk.qh, 4);  // bit j of the little-endian word is value j: already our order
            block_q5_0(blk, v);
          }
          pack_nibbles(v, 32, q + 16 * b);
        }
        break;
      case G_Q4_K:
        for (int64_t b = 0; b < cols / 256; b++) {
          BlockQ4_K blk; std::memcpy(&blk, src + b * sizeof blk, sizeof blk);
          std::memcpy(d + 4 * b, &blk.d, 2);
          std::memcpy(d + 4 * b + 2, &blk.dmin, 2);
          block_q4_k(blk, v, sub + 16 * b);
          pack_nibbles(v, 256, q + 128 * b);
        }
        break;
      case G_Q6_K:
        for (int64_t b = 0; b < cols / 256; b++) {
          BlockQ6_K blk; std::memcpy(&blk, src + b * sizeof blk, sizeof blk);
          std::memcpy(d + 2 * b, &blk.d, 2);
          std::memcpy(sub + 16 * b, blk.scales, 16);
          block_q6_k(blk, v);
          pack_nibbles(v, 256, q + 128 * b);
          pack_high2(v, 256, hi + 64 * b);
        }
        break;
      default: throw std::runtime_error(std::string("no device layout for tensor type ") + type_name(type));
    }
  }
}

}  // namespace se
