#include "quant.h"
#include <algorithm>
#include <cmath>

namespace se {

float g_fp16_table[65536];
void init_fp16_table() {
  for (uint32_t i = 0; i < 65536; i++) g_fp16_table[i] = fp16_to_f32((uint16_t)i);
}

// Symmetric int8 with range ±127 (never -128: the sign trick in the dot kernels negates it).
static inline float quant_block(const float* x, int n, int8_t* q) {
  float amax = 0;
  for (int i = 0; i < n; i++) amax = std::fmax(amax, std::fabs(x[i]));
  float d = amax / 127.f, id = d != 0 ? 1.f / d : 0.f;
  for (int i = 0; i < n; i++) q[i] = (int8_t)std::nearbyint(x[i] * id);
  return d;
}

void quantize_act_q8(const float* x, int n, ActQ8* out) {
  // one scale per group of ACT_GROUP values (the last group may be shorter), shared by its
  // 32-value blocks: lets the AVX-512 kernel apply it once per group instead of per block
  for (int g = 0; g < n; g += ACT_GROUP) {
    const int len = std::min(ACT_GROUP, n - g);
    int8_t q[ACT_GROUP];
    const float d = quant_block(x + g, len, q);
    for (int b = 0; b < len / 32; b++) {
      out[(g >> 5) + b].d = d;
      std::memcpy(out[(g >> 5) + b].qs, q + 32 * b, 32);
    }
  }
}

void quantize_act_q8k(const float* x, int n, ActQ8K* out) {
  for (int b = 0; b < n / 256; b++) {
    out[b].d = quant_block(x + 256 * b, 256, out[b].qs);
    for (int g = 0; g < 16; g++) {
      int s = 0;
      for (int l = 0; l < 16; l++) s += out[b].qs[16 * g + l];
      out[b].bsums[g] = (int16_t)s;
    }
  }
}

void dequantize_row(int type, const void* row, int n, float* y) {
  switch (type) {
    case T_F32: std::memcpy(y, row, sizeof(float) * n); return;
    case T_F16: for (int i = 0; i < n; i++) y[i] = h2f(((const uint16_t*)row)[i]); return;
    case T_BF16: for (int i = 0; i < n; i++) y[i] = bf16_to_f32(((const uint16_t*)row)[i]); return;
    case T_Q8_0: {
      auto* b = (const BlockQ8_0*)row;
      for (int i = 0; i < n / 32; i++) for (int j = 0; j < 32; j++) y[32 * i + j] = h2f(b[i].d) * b[i].qs[j];
      return;
    }
    case T_Q4_0: {
      auto* b = (const BlockQ4_0*)row;
      for (int i = 0; i < n / 32; i++) {
        float d = h2f(b[i].d);
        for (int j = 0; j < 16; j++) {
          y[32 * i + j] = d * ((b[i].qs[j] & 15) - 8);
          y[32 * i + j + 16] = d * ((b[i].qs[j] >> 4) - 8);
        }
      }
      return;
    }
    case T_Q5_0: {
      auto* b = (const BlockQ5_0*)row;
      for (int i = 0; i < n / 32; i++) {
        float d = h2f(b[i].d);
        uint32_t qh; std::memcpy(&qh, b[i].qh, 4);
        for (int j = 0; j < 16; j++) {
          // int: with qh unsigned, the − 16 would wrap to 2^32 − k
          y[32 * i + j] = d * ((int)((b[i].qs[j] & 15) | (((qh >> j) & 1) << 4)) - 16);
          y[32 * i + j + 16] = d * ((int)((b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16);
        }
      }
      return;
    }
    case T_Q4_K: {
      auto* b = (const BlockQ4_K*)row;
      for (int i = 0; i < n / 256; i++) {
        const uint8_t* s = b[i].scales;
        float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
        for (int j = 0; j < 8; j++) {
          int sc, m;
          if (j < 4) { sc = s[j] & 63; m = s[j + 4] & 63; }
          else { sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4); m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
          const uint8_t* q = b[i].qs + 32 * (j >> 1);
          for (int l = 0; l < 32; l++) y[256 * i + 32 * j + l] = d * sc * ((j & 1) ? (q[l] >> 4) : (q[l] & 15)) - dmin * m;
        }
      }
      return;
    }
    case T_Q6_K: {
      auto* b = (const BlockQ6_K*)row;
      for (int i = 0; i < n / 256; i++) {
        float d = h2f(b[i].d);
        for (int h = 0; h < 2; h++) {
          const uint8_t* ql = b[i].ql + 64 * h;
          const uint8_t* qh = b[i].qh + 32 * h;
          for (int l = 0; l < 32; l++) {
            int v[4] = {(ql[l] & 15) | ((qh[l] & 3) << 4), (ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4),
                        (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4), (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)};
            for (int k = 0; k < 4; k++) {
              int idx = 128 * h + l + 32 * k;
              y[256 * i + idx] = d * b[i].scales[idx >> 4] * (v[k] - 32);
            }
          }
        }
      }
      return;
    }
  }
}

}  // namespace se
