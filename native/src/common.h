// Shared definitions: ggml type ids, block layouts, half-precision conversion.
#pragma once
#include <cstdint>
#include <cstring>
#include <cmath>

namespace se {

enum GgmlType : int {
  T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q5_0 = 6, T_Q8_0 = 8, T_Q4_K = 12, T_Q6_K = 14, T_BF16 = 30,
};

inline const char* type_name(int t) {
  switch (t) {
    case T_F32: return "F32"; case T_F16: return "F16"; case T_BF16: return "BF16";
    case T_Q4_0: return "Q4_0"; case T_Q5_0: return "Q5_0"; case T_Q8_0: return "Q8_0";
    case T_Q4_K: return "Q4_K"; case T_Q6_K: return "Q6_K"; default: return "unsupported";
  }
}
inline int block_size(int t) { return (t == T_Q4_K || t == T_Q6_K) ? 256 : (t == T_Q4_0 || t == T_Q5_0 || t == T_Q8_0) ? 32 : 1; }
inline int block_bytes(int t) {
  switch (t) {
    case T_F32: return 4; case T_F16: case T_BF16: return 2;
    case T_Q4_0: return 18; case T_Q5_0: return 22; case T_Q8_0: return 34;
    case T_Q4_K: return 144; case T_Q6_K: return 210; default: return 0;
  }
}
inline size_t row_bytes(int t, int64_t n) { return (size_t)(n / block_size(t)) * block_bytes(t); }

// Weight blocks as stored in GGUF (packed: sizes are not multiples of 4).
#pragma pack(push, 1)
struct BlockQ8_0 { uint16_t d; int8_t qs[32]; };
struct BlockQ4_0 { uint16_t d; uint8_t qs[16]; };
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; };
struct BlockQ4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; };
struct BlockQ6_K { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; };
#pragma pack(pop)
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ6_K) == 210);

// Activations quantized once per matmul input row: 32-value blocks (against Q8_0/Q4_0/Q5_0)
// and 256-value blocks with 16-value sums (against K-quants, whose mins and offsets need them).
struct ActQ8 { float d; int8_t qs[32]; };
struct ActQ8K { float d; int16_t bsums[16]; int8_t qs[256]; };

inline float fp16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) bits = sign;
    else {  // subnormal: renormalise
      int e = -1;
      do { e++; mant <<= 1; } while (!(mant & 0x400));
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) bits = sign | 0x7f800000 | (mant << 13);
  else bits = sign | ((exp + 112) << 23) | (mant << 13);
  float f; std::memcpy(&f, &bits, 4); return f;
}

inline uint16_t f32_to_fp16(float f) {
  uint32_t x; std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    int shift = 14 - e;
    uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return sign | h;
  }
  uint32_t h = ((uint32_t)e << 10) | (mant >> 13), rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return sign | h;
}

inline float bf16_to_f32(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; std::memcpy(&f, &b, 4); return f; }

// Fast table lookup for the hot paths (weights' block scales).
extern float g_fp16_table[65536];
inline float h2f(uint16_t h) { return g_fp16_table[h]; }

}  // namespace se
