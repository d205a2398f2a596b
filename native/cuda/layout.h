// The device layout of a weight matrix, and the one function that reads it (load8), shared by
// the host repacker's tests (compiled by the C++ compiler) and the CUDA kernels (nvcc): what the
// test checks is exactly what the kernels run.
//
// Why repack: GGUF blocks interleave scales and quants in 18..210-byte records that are not
// aligned for vector loads, and K-quant scales are bit-packed. On the device every matrix is
// split into sections, each [rows][row_bytes] and aligned, so a warp reading one row reads
// consecutive words, and each lane takes 8 consecutive values with one 2..32-byte load:
//   q    the values: f32 / f16 / bf16 as stored; int8 for Q8_0; 4-bit for Q4_0, Q5_0, Q4_K, Q6_K
//        (their low 4 bits), two values a byte, value 2i in the low nibble of byte i
//   hi   the bits above the low 4: Q5_0 one bit a value (byte i: values 8i..8i+7, bit j = value
//        8i+j); Q6_K two bits a value (byte i: values 4i..4i+3, 2 bits each, lowest first)
//   sub  K-quant sub-block scales, decoded from their 6-bit packing: Q4_K (scale, min) bytes per
//        32 values; Q6_K one int8 scale per 16 values
//   d    f16 block scales as stored: one per 32 values (Q8_0, Q4_0, Q5_0), (d, dmin) per 256 (Q4_K),
//        one per 256 (Q6_K)
// Nothing is rounded: the values load8 produces are bit-identical to se::dequantize_row's
// (checked by test/engine/gpu-layout.test.ts), including Q4_K's d·sc·q − dmin·m order.
#pragma once
#include <cstddef>
#include <cstdint>

#include <cstring>
#include "common.h"
#if defined(__CUDACC__)
#include <cuda_fp16.h>
#define SE_HD __host__ __device__ __forceinline__
#else
#define SE_HD inline
#endif

namespace se {

enum GpuType : int { G_F32 = 0, G_F16 = 1, G_Q4_0 = 2, G_Q5_0 = 6, G_Q8_0 = 8, G_Q4_K = 12, G_Q6_K = 14, G_BF16 = 30 };

// bytes per row of each section (cols is a multiple of the type's block size)
SE_HD size_t gpu_q_row(int type, int64_t cols) {
  switch (type) {
    case G_F32: return 4 * cols;
    case G_F16: case G_BF16: return 2 * cols;
    case G_Q8_0: return cols;
    default: return cols / 2;
  }
}
SE_HD size_t gpu_hi_row(int type, int64_t cols) { return type == G_Q5_0 ? cols / 8 : type == G_Q6_K ? cols / 4 : 0; }
SE_HD size_t gpu_sub_row(int type, int64_t cols) { return type == G_Q4_K ? cols / 16 : type == G_Q6_K ? cols / 16 : 0; }
SE_HD size_t gpu_d_row(int type, int64_t cols) {  // bytes
  switch (type) {
    case G_Q8_0: case G_Q4_0: case G_Q5_0: return cols / 32 * 2;
    case G_Q4_K: return cols / 256 * 4;
    case G_Q6_K: return cols / 256 * 2;
    default: return 0;
  }
}

constexpr size_t GPU_SECTION_ALIGN = 256;
SE_HD size_t gpu_align(size_t n) { return (n + GPU_SECTION_ALIGN - 1) & ~(GPU_SECTION_ALIGN - 1); }

// Section offsets of one matrix inside its buffer (which starts GPU_SECTION_ALIGN-aligned).
struct GpuLayout {
  size_t q = 0, hi = 0, sub = 0, d = 0, bytes = 0;
};
SE_HD GpuLayout gpu_layout(int type, int64_t rows, int64_t cols) {
  GpuLayout l;
  size_t at = 0;
  l.q = at; at = gpu_align(at + gpu_q_row(type, cols) * rows);
  l.hi = at; at = gpu_align(at + gpu_hi_row(type, cols) * rows);
  l.sub = at; at = gpu_align(at + gpu_sub_row(type, cols) * rows);
  l.d = at; at = gpu_align(at + gpu_d_row(type, cols) * rows);
  l.bytes = at;
  return l;
}

// A matrix in the device layout: base pointers of its sections (device memory in kernels,
// host memory in the repacker's tests).
struct GpuMat {
  int type = -1;
  int rows = 0, cols = 0;
  const uint8_t *q = nullptr, *hi = nullptr, *sub = nullptr, *d = nullptr;
};
inline GpuMat gpu_mat(int type, int rows, int cols, const uint8_t* base) {
  const GpuLayout l = gpu_layout(type, rows, cols);
  GpuMat m;
  m.type = type; m.rows = rows; m.cols = cols;
  m.q = base + l.q; m.hi = base + l.hi; m.sub = base + l.sub; m.d = base + l.d;
  return m;
}

// --- primitives that behave the same on host and device ---
#if defined(__CUDA_ARCH__)
SE_HD float f16_bits(uint16_t h) { return __half2float(__ushort_as_half(h)); }
template <class T> SE_HD T ld(const uint8_t* p) { return *reinterpret_cast<const T*>(p); }
// explicit roundings: nvcc would otherwise fuse a·b − c·d into an FMA and differ from the CPU
SE_HD float mul_rn(float a, float b) { return __fmul_rn(a, b); }
SE_HD float sub_rn(float a, float b) { return __fsub_rn(a, b); }
#else
SE_HD float f16_bits(uint16_t h) { return fp16_to_f32(h); }
template <class T> SE_HD T ld(const uint8_t* p) { T v; std::memcpy(&v, p, sizeof v); return v; }
SE_HD float mul_rn(float a, float b) { return a * b; }  // the addon is compiled with -ffp-contract=off
SE_HD float sub_rn(float a, float b) { return a - b; }
#endif
SE_HD float bf16_bits(uint16_t h) {
  const uint32_t u = (uint32_t)h << 16;
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f; std::memcpy(&f, &u, 4); return f;
#endif
}

// Values [c, c + 8) of row r (c a multiple of 8) of a matrix of type TYPE: one vector load of
// quants, and the scales of the one block these 8 values lie in (blocks are 16, 32 or 256 values:
// 8 never straddle two). The kernels instantiate it per type; load8 picks at run time.
template <int TYPE>
SE_HD void load8_t(const GpuMat& m, int r, int c, float w[8]) {
  const size_t e = (size_t)r * m.cols + c;  // element index
  if constexpr (TYPE == G_F32) {
    for (int j = 0; j < 8; j++) w[j] = ld<float>(m.q + 4 * (e + j));
  } else if constexpr (TYPE == G_F16 || TYPE == G_BF16) {
    for (int j = 0; j < 8; j++) {
      const uint16_t h = ld<uint16_t>(m.q + 2 * (e + j));
      w[j] = TYPE == G_F16 ? f16_bits(h) : bf16_bits(h);
    }
  } else if constexpr (TYPE == G_Q8_0) {
    const float d = f16_bits(ld<uint16_t>(m.d + 2 * (e / 32)));
    const uint64_t q = ld<uint64_t>(m.q + e);
    for (int j = 0; j < 8; j++) w[j] = mul_rn(d, (float)(int8_t)(q >> (8 * j)));
  } else if constexpr (TYPE == G_Q4_0 || TYPE == G_Q5_0) {
    const float d = f16_bits(ld<uint16_t>(m.d + 2 * (e / 32)));
    const uint32_t q = ld<uint32_t>(m.q + e / 2);
    const uint32_t h = TYPE == G_Q5_0 ? m.hi[e / 8] : 0;
    constexpr int off = TYPE == G_Q5_0 ? 16 : 8;
    for (int j = 0; j < 8; j++) w[j] = mul_rn(d, (float)((int)(((q >> (4 * j)) & 15) | (((h >> j) & 1) << 4)) - off));
  } else if constexpr (TYPE == G_Q4_K) {
    const float d = f16_bits(ld<uint16_t>(m.d + 4 * (e / 256))), dmin = f16_bits(ld<uint16_t>(m.d + 4 * (e / 256) + 2));
    const uint8_t* sm = m.sub + 2 * (e / 32);
    const float s = mul_rn(d, (float)sm[0]), mn = mul_rn(dmin, (float)sm[1]);
    const uint32_t q = ld<uint32_t>(m.q + e / 2);
    for (int j = 0; j < 8; j++) w[j] = sub_rn(mul_rn(s, (float)((q >> (4 * j)) & 15)), mn);
  } else if constexpr (TYPE == G_Q6_K) {
    const float d = f16_bits(ld<uint16_t>(m.d + 2 * (e / 256)));
    const float s = mul_rn(d, (float)(int8_t)m.sub[e / 16]);
    const uint32_t q = ld<uint32_t>(m.q + e / 2);
    const uint32_t h = ld<uint16_t>(m.hi + e / 4);
    for (int j = 0; j < 8; j++) w[j] = mul_rn(s, (float)((int)(((q >> (4 * j)) & 15) | (((h >> (2 * j)) & 3) << 4)) - 32));
  }
}

SE_HD bool gpu_type_known(int type) {
  return type == G_F32 || type == G_F16 || type == G_BF16 || type == G_Q8_0 || type == G_Q4_0 || type == G_Q5_0 ||
         type == G_Q4_K || type == G_Q6_K;
}

SE_HD void load8(const GpuMat& m, int r, int c, float w[8]) {
  switch (m.type) {
    case G_F32: load8_t<G_F32>(m, r, c, w); return;
    case G_F16: load8_t<G_F16>(m, r, c, w); return;
    case G_BF16: load8_t<G_BF16>(m, r, c, w); return;
    case G_Q8_0: load8_t<G_Q8_0>(m, r, c, w); return;
    case G_Q4_0: load8_t<G_Q4_0>(m, r, c, w); return;
    case G_Q5_0: load8_t<G_Q5_0>(m, r, c, w); return;
    case G_Q4_K: load8_t<G_Q4_K>(m, r, c, w); return;
    case G_Q6_K: load8_t<G_Q6_K>(m, r, c, w); return;
  }
}

// Host side (repack.cc): the device layout of one GGUF matrix, written into `out` (gpu_layout's
// `bytes`, GPU_SECTION_ALIGN-aligned, padding zeroed). Throws on a type it does not know.
void gpu_repack(int type, int64_t rows, int64_t cols, const uint8_t* gguf, uint8_t* out);

}  // namespace se
