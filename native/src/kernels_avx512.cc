// AVX-512 (F, BW, VL, DQ) + VNNI kernels: int8 dot products through vpdpbusd / vpdpwssd,
// two 32-value blocks or one 64-value chunk per instruction, one weight unpack shared by
// up to MAX_T activation rows. Selected at run time only when the CPU has these features.
#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")
#include <immintrin.h>
#include "kernels.h"
#include "panels.h"
#include "quant.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace se {
namespace {

// F16C conversion instead of the 256 KiB lookup table: the table's misses stalled the int8 loop
inline float f16c(uint16_t h) { return _cvtsh_ss(h); }

inline __m512i load2x256(const void* a, const void* b) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i*)a)),
                            _mm256_loadu_si256((const __m256i*)b), 1);
}
inline int hsum256_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// Activation rows for the 32-value block types: bytes q+128 (unsigned, so vpdpbusd takes them
// against signed weights without a sign trick; the +128 is removed through the weight block
// sums), then one float scale per ACT_GROUP values.
inline size_t a32_scales_off(int n) { return ((size_t)n + 63) & ~(size_t)63; }
size_t act32_bytes(int n) { return a32_scales_off(n) + (size_t)(n / ACT_GROUP + 1) * sizeof(float); }

void quant_act32(const float* x, int n, void* out) {
  uint8_t* q = (uint8_t*)out;
  float* ds = (float*)(q + a32_scales_off(n));
  for (int g = 0; g < n; g += ACT_GROUP) {
    const int len = std::min(ACT_GROUP, n - g);
    float amax = 0;
    for (int i = 0; i < len; i++) amax = std::fmax(amax, std::fabs(x[g + i]));
    const float d = amax / 127.f, id = d != 0 ? 1.f / d : 0.f;
    for (int i = 0; i < len; i++) q[g + i] = (uint8_t)((int)std::nearbyint(x[g + i] * id) + 128);
    ds[g / ACT_GROUP] = d;
  }
}

// Shared body for the 32-value block formats: `unpack(b)` yields block b as 32 signed bytes.
// Per pair of blocks and activation row: one load, vpdpbusd, convert, FMA by the weight scales;
// the activation scale is applied once per group.
template <int T, class Unpack>
inline void dot_32blocks(Unpack unpack, const uint16_t* (*scale_of)(const void*, int), const void* w,
                         const void* const* a, int nb, float* out) {
  const size_t soff = a32_scales_off(nb * 32);
  constexpr int GB = ACT_GROUP / 32;  // blocks per activation group (even)
  __m512 acc[T];
  for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
  const __m512i k128 = _mm512_set1_epi8((char)0x80);
  int b = 0;
  for (int g0 = 0; g0 + 1 < nb; g0 += GB) {
    const int g1 = std::min(nb & ~1, g0 + GB);
    __m512 gacc[T];
    for (int t = 0; t < T; t++) gacc[t] = _mm512_setzero_ps();
    for (b = g0; b < g1; b += 2) {
      const __m512i wq = _mm512_inserti64x4(_mm512_castsi256_si512(unpack(b)), unpack(b + 1), 1);
      // -128 * (sum of each 4 weights): starting value that cancels the activations' +128
      const __m512i corr = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), k128, wq));
      const __m512 wsv = _mm512_insertf32x8(_mm512_set1_ps(f16c(*scale_of(w, b))), _mm256_set1_ps(f16c(*scale_of(w, b + 1))), 1);
      for (int t = 0; t < T; t++) {
        __m512i dp = _mm512_dpbusd_epi32(corr, _mm512_loadu_si512((const void*)((const uint8_t*)a[t] + 32 * b)), wq);
        gacc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dp), wsv, gacc[t]);
      }
    }
    for (int t = 0; t < T; t++) {
      const float da = ((const float*)((const uint8_t*)a[t] + soff))[g0 / GB];
      acc[t] = _mm512_fmadd_ps(gacc[t], _mm512_set1_ps(da), acc[t]);
    }
  }
  b = nb & ~1;
  for (int t = 0; t < T; t++) out[t] = _mm512_reduce_add_ps(acc[t]);
  if (b < nb) {  // odd block count: the last block alone
    const __m256i wq = unpack(b);
    const __m256i corr = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8((char)0x80), wq));
    const float d0 = f16c(*scale_of(w, b));
    for (int t = 0; t < T; t++) {
      const uint8_t* aq = (const uint8_t*)a[t];
      const float da = ((const float*)(aq + soff))[b / GB];
      __m256i dp = _mm256_dpbusd_epi32(corr, _mm256_loadu_si256((const __m256i*)(aq + 32 * b)), wq);
      out[t] += d0 * da * (float)hsum256_epi32(dp);
    }
  }
}

template <class B> const uint16_t* scale_d(const void* w, int b) { return &((const B*)w)[b].d; }

template <int T> void q8_0_t(const void* w, const void* const* a, int nb, float* out) {
  auto* blk = (const BlockQ8_0*)w;
  dot_32blocks<T>([&](int b) { return _mm256_loadu_si256((const __m256i*)blk[b].qs); }, scale_d<BlockQ8_0>, w, a, nb, out);
}

inline __m256i unpack_nibbles(const uint8_t* qs) {
  __m128i x = _mm_loadu_si128((const __m128i*)qs), m = _mm_set1_epi8(15);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(x, 4), m), _mm_and_si128(x, m));
}

template <int T> void q4_0_t(const void* w, const void* const* a, int nb, float* out) {
  auto* blk = (const BlockQ4_0*)w;
  dot_32blocks<T>([&](int b) { return _mm256_sub_epi8(unpack_nibbles(blk[b].qs), _mm256_set1_epi8(8)); },
                  scale_d<BlockQ4_0>, w, a, nb, out);
}

template <int T> void q5_0_t(const void* w, const void* const* a, int nb, float* out) {
  auto* blk = (const BlockQ5_0*)w;
  dot_32blocks<T>(
      [&](int b) {
        uint32_t qh; std::memcpy(&qh, blk[b].qh, 4);
        __m256i hi = _mm256_and_si256(_mm256_movm_epi8(qh), _mm256_set1_epi8(16));
        return _mm256_sub_epi8(_mm256_or_si256(unpack_nibbles(blk[b].qs), hi), _mm256_set1_epi8(16));
      },
      scale_d<BlockQ5_0>, w, a, nb, out);
}

// K-quants: integer sums per super-block (maddubs + dpwssd with the sub-block scales), then
// converted and scaled into a float vector per activation row; the mins / offsets go through
// the activation's 16-value sums in a second vector. No horizontal sum until the row ends.
template <int T> void q4_k_t(const void* wv, const ActQ8K* const* a, int nb, float* out) {
  auto* w = (const BlockQ4_K*)wv;
  const __m256i m4 = _mm256_set1_epi8(15);
  __m512 accf[T];
  __m256 accm[T];
  for (int t = 0; t < T; t++) { accf[t] = _mm512_setzero_ps(); accm[t] = _mm256_setzero_ps(); }
  for (int b = 0; b < nb; b++) {
    const uint8_t* s = w[b].scales;
    int sc[8];
    alignas(32) int16_t mn[16];
    for (int j = 0; j < 8; j++) {
      int m;
      if (j < 4) { sc[j] = s[j] & 63; m = s[j + 4] & 63; }
      else { sc[j] = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4); m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
      mn[2 * j] = mn[2 * j + 1] = (int16_t)m;
    }
    const __m256i mnv = _mm256_load_si256((const __m256i*)mn);
    __m512i acc[T];
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_si512();
    for (int c = 0; c < 4; c++) {
      __m256i x = _mm256_loadu_si256((const __m256i*)(w[b].qs + 32 * c));
      __m512i wq = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(x, m4)),
                                      _mm256_and_si256(_mm256_srli_epi16(x, 4), m4), 1);
      __m512i scv = _mm512_inserti64x4(_mm512_set1_epi16((short)sc[2 * c]), _mm256_set1_epi16((short)sc[2 * c + 1]), 1);
      for (int t = 0; t < T; t++) {
        __m512i av = _mm512_loadu_si512((const void*)(a[t][b].qs + 64 * c));
        acc[t] = _mm512_dpwssd_epi32(acc[t], _mm512_maddubs_epi16(wq, av), scv);
      }
    }
    const float d = f16c(w[b].d), dmin = f16c(w[b].dmin);
    for (int t = 0; t < T; t++) {
      const __m256i mins = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i*)a[t][b].bsums), mnv);
      accf[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[t]), _mm512_set1_ps(a[t][b].d * d), accf[t]);
      accm[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_set1_ps(-a[t][b].d * dmin), accm[t]);
    }
  }
  for (int t = 0; t < T; t++) out[t] = _mm512_reduce_add_ps(accf[t]) + _mm512_reduce_add_ps(_mm512_zextps256_ps512(accm[t]));
}

template <int T> void q6_k_t(const void* wv, const ActQ8K* const* a, int nb, float* out) {
  auto* w = (const BlockQ6_K*)wv;
  const __m256i m4 = _mm256_set1_epi8(15), m30 = _mm256_set1_epi8(0x30);
  // int16 lane i of a 64-value chunk belongs to 16-value group i / 8
  static const __m512i idx[4] = {
      _mm512_set_epi16(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
      _mm512_set_epi16(7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4),
      _mm512_set_epi16(11, 11, 11, 11, 11, 11, 11, 11, 10, 10, 10, 10, 10, 10, 10, 10, 9, 9, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8),
      _mm512_set_epi16(15, 15, 15, 15, 15, 15, 15, 15, 14, 14, 14, 14, 14, 14, 14, 14, 13, 13, 13, 13, 13, 13, 13, 13, 12, 12, 12, 12, 12, 12, 12, 12)};
  __m512 accf[T];
  __m256 accm[T];
  for (int t = 0; t < T; t++) { accf[t] = _mm512_setzero_ps(); accm[t] = _mm256_setzero_ps(); }
  for (int b = 0; b < nb; b++) {
    const __m256i sc16y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)w[b].scales));
    const __m512i sc16 = _mm512_castsi256_si512(sc16y);
    __m512i acc[T];
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_si512();
    for (int h = 0; h < 2; h++) {
      __m256i ql0 = _mm256_loadu_si256((const __m256i*)(w[b].ql + 64 * h));
      __m256i ql1 = _mm256_loadu_si256((const __m256i*)(w[b].ql + 64 * h + 32));
      __m256i qh = _mm256_loadu_si256((const __m256i*)(w[b].qh + 32 * h));
      __m256i v0 = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
      __m256i v1 = _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
      __m256i v2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m30));
      __m256i v3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
      __m512i c0 = _mm512_inserti64x4(_mm512_castsi256_si512(v0), v1, 1);
      __m512i c1 = _mm512_inserti64x4(_mm512_castsi256_si512(v2), v3, 1);
      __m512i s0 = _mm512_permutexvar_epi16(idx[2 * h], sc16), s1 = _mm512_permutexvar_epi16(idx[2 * h + 1], sc16);
      for (int t = 0; t < T; t++) {
        const int8_t* aq = a[t][b].qs + 128 * h;
        acc[t] = _mm512_dpwssd_epi32(acc[t], _mm512_maddubs_epi16(c0, _mm512_loadu_si512((const void*)aq)), s0);
        acc[t] = _mm512_dpwssd_epi32(acc[t], _mm512_maddubs_epi16(c1, _mm512_loadu_si512((const void*)(aq + 64))), s1);
      }
    }
    const float d = f16c(w[b].d);
    for (int t = 0; t < T; t++) {
      // values are stored +32: subtract 32 · Σ_g scale_g · (sum of the group's activations)
      const __m256i off = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i*)a[t][b].bsums), sc16y);
      accf[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[t]), _mm512_set1_ps(d * a[t][b].d), accf[t]);
      accm[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(off), _mm256_set1_ps(-32.f * d * a[t][b].d), accm[t]);
    }
  }
  for (int t = 0; t < T; t++) out[t] = _mm512_reduce_add_ps(accf[t]) + _mm512_reduce_add_ps(_mm512_zextps256_ps512(accm[t]));
}

#define DISPATCH_T(fn, ...)            \
  switch (T) {                         \
    case 1: fn<1>(__VA_ARGS__); break; \
    case 2: fn<2>(__VA_ARGS__); break; \
    case 3: fn<3>(__VA_ARGS__); break; \
    case 4: fn<4>(__VA_ARGS__); break; \
    case 5: fn<5>(__VA_ARGS__); break; \
    case 6: fn<6>(__VA_ARGS__); break; \
    case 7: fn<7>(__VA_ARGS__); break; \
    default: fn<8>(__VA_ARGS__); break; \
  }

void dot_q8_0(const void* w, const void* const* a, int nb, int T, float* out) { DISPATCH_T(q8_0_t, w, a, nb, out) }
void dot_q4_0(const void* w, const void* const* a, int nb, int T, float* out) { DISPATCH_T(q4_0_t, w, a, nb, out) }
void dot_q5_0(const void* w, const void* const* a, int nb, int T, float* out) { DISPATCH_T(q5_0_t, w, a, nb, out) }
void dot_q4_k(const void* w, const ActQ8K* const* a, int nb, int T, float* out) { DISPATCH_T(q4_k_t, w, a, nb, out) }
void dot_q6_k(const void* w, const ActQ8K* const* a, int nb, int T, float* out) { DISPATCH_T(q6_k_t, w, a, nb, out) }

// Activations for the panel GEMM in panels.h's layout (actp_bytes), one scale per ACT_GROUP
// values as in quant_act32.
void quant_actp(const float* x, int n, void* out) {  // n % 32 == 0
  int8_t* q = (int8_t*)out;
  int32_t* corr = (int32_t*)((uint8_t*)out + actp_corr_off(n));
  float* ds = (float*)((uint8_t*)out + actp_scale_off(n));
  for (int g = 0; g < n; g += ACT_GROUP) {
    const int len = std::min(ACT_GROUP, n - g);
    __m512 mx = _mm512_setzero_ps();
    for (int i = 0; i < len; i += 16) mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(x + g + i)));
    const float d = _mm512_reduce_max_ps(mx) / 127.f, id = d != 0 ? 1.f / d : 0.f;
    const __m512 idv = _mm512_set1_ps(id);
    for (int i = 0; i < len; i += 16) {  // 16 values: their bytes and −128·Σq
      const __m512i qi = _mm512_cvtps_epi32(
          _mm512_roundscale_ps(_mm512_mul_ps(_mm512_loadu_ps(x + g + i), idv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      _mm_storeu_si128((__m128i*)(q + g + i), _mm512_cvtepi32_epi8(qi));
      corr[(g + i) / 16] = -128 * _mm512_reduce_add_epi32(qi);
    }
    ds[g / ACT_GROUP] = d;
  }
}

inline __m512i bcast32(const void* p) { return _mm512_set1_epi32(_mm_cvtsi128_si32(_mm_loadu_si32(p))); }

// acc[r][c] += id[r][c] (a block's exact sums) · ws[c] (its weight scales) · row r's activation
// scale for value v: one convert and one FMA per (row, panel), the same in every kernel and for
// every tile shape.
template <int R, int C>
inline void add_blocks(const __m512i (&id)[R][C], const __m512* ws, const uint8_t* const* ar, size_t soff, int v, __m512 (&acc)[R][C]) {
  for (int r = 0; r < R; r++) {
    float da;
    std::memcpy(&da, ar[r] + soff + 4 * (v / ACT_GROUP), 4);
    const __m512 dv = _mm512_set1_ps(da);
    for (int c = 0; c < C; c++) acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(id[r][c]), _mm512_mul_ps(ws[c], dv), acc[r][c]);
  }
}

// R activation rows × C panels, blocks of BL values: BL/4 vpdpbusd per (row, panel) into an
// int32 accumulator, then one convert and one FMA by (weight scales × activation scale). Each
// output lane sees the same operations whatever R and C are: batch invariance.
template <int R, int C, int BL, bool F16S>
void gemm_panels_t(const uint8_t* const* pw, int n, const void* const* a, float* out, const uint8_t* const* pf) {
  const int nblk = n / BL;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  const size_t wbytes = (size_t)nblk * 16 * BL;
  const uint8_t* ar[R];
  for (int r = 0; r < R; r++) ar[r] = (const uint8_t*)a[r];
  __m512 acc[R][C];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
  for (int b = 0; b < nblk; b++) {
    __m512i id[R][C];
    for (int r = 0; r < R; r++) {
      const int32_t* c16 = (const int32_t*)(ar[r] + coff) + b * (BL / 16);
      const __m512i c0 = _mm512_set1_epi32(BL == 32 ? c16[0] + c16[1] : c16[0]);
      for (int c = 0; c < C; c++) id[r][c] = c0;
    }
    if (pf)  // the next panels' block b, on its way from memory while these rows are computed
      for (int c = 0; c < C; c++)
        prefetch_range(pf[c] + (size_t)b * 16 * BL, 16 * BL);
    for (int k = 0; k < BL / 4; k++) {
      __m512i w[C];
      for (int c = 0; c < C; c++) w[c] = _mm512_load_si512((const void*)(pw[c] + (size_t)b * 16 * BL + 64 * k));
      for (int r = 0; r < R; r++) {
        const __m512i av = bcast32(ar[r] + BL * b + 4 * k);
        for (int c = 0; c < C; c++) id[r][c] = _mm512_dpbusd_epi32(id[r][c], w[c], av);
      }
    }
    __m512 ws[C];
    for (int c = 0; c < C; c++)
      ws[c] = F16S ? _mm512_cvtph_ps(_mm256_load_si256((const __m256i*)(pw[c] + wbytes + 32 * b)))
                   : _mm512_load_ps((const float*)(pw[c] + wbytes + 64 * b));
    add_blocks<R, C>(id, ws, ar, soff, b * BL, acc);
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) _mm512_storeu_ps(out + r * GEMM_LD + 16 * c, acc[r][c]);
}

// Q4_0 panels in the nibble form (panels.h): per 32-value block, 4 loads of 64 bytes per panel,
// split into low and high nibbles (two 4-value steps for 16 rows); the int32 sums start at
// −8·Σa of the block (the nibbles are the type's unsigned q), so they equal the int8 form's, and
// the float part is the same: convert, FMA by (f16 scale × activation scale). Bit-identical to
// the int8 panels.
template <int R, int C>
void gemm_nib_t(const uint8_t* const* pw, int n, const void* const* a, float* out, const uint8_t* const* pf) {
  const int nblk = n / 32;
  const size_t bb = NIB_BLOCK;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  const uint8_t* ar[R];
  for (int r = 0; r < R; r++) ar[r] = (const uint8_t*)a[r];
  const __m512i m4 = _mm512_set1_epi8(15);
  __m512 acc[R][C];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
  for (int b = 0; b < nblk; b++) {
    const int cnt = std::min(2, nblk - (b & ~1)), i = b & 1;
    const size_t pair = (size_t)(b & ~1) * bb, qo = pair + 256 * i, so = pair + 256 * cnt + 32 * i;
    if (pf && i == 0)  // the next panels' pair of blocks, on its way while these rows are computed
      for (int c = 0; c < C; c++)
        prefetch_range(pf[c] + pair, cnt * bb);
    __m512i id[R][C];
    for (int r = 0; r < R; r++) {
      const int32_t* c16 = (const int32_t*)(ar[r] + coff) + 2 * b;
      const __m512i c0 = _mm512_set1_epi32((c16[0] + c16[1]) / 16);  // −8·Σa
      for (int c = 0; c < C; c++) id[r][c] = c0;
    }
    for (int k = 0; k < 4; k++) {
      __m512i lo[C], hi[C];
      for (int c = 0; c < C; c++) {
        const __m512i x = _mm512_load_si512((const void*)(pw[c] + qo + 64 * k));
        lo[c] = _mm512_and_si512(x, m4);
        hi[c] = _mm512_and_si512(_mm512_srli_epi16(x, 4), m4);
      }
      for (int r = 0; r < R; r++) {
        const __m512i a0 = bcast32(ar[r] + 32 * b + 4 * k), a1 = bcast32(ar[r] + 32 * b + 16 + 4 * k);
        for (int c = 0; c < C; c++) id[r][c] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(id[r][c], lo[c], a0), hi[c], a1);
      }
    }
    __m512 ws[C];
    for (int c = 0; c < C; c++) ws[c] = _mm512_cvtph_ps(_mm256_load_si256((const __m256i*)(pw[c] + so)));
    add_blocks<R, C>(id, ws, ar, soff, b * 32, acc);
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) _mm512_storeu_ps(out + r * GEMM_LD + 16 * c, acc[r][c]);
}

// Q4_K panels at 4 bits (panels.h): per 32-value block, 4 loads of 64 bytes per panel, each
// split into its low and high nibbles (two steps of 4 values for 16 rows), 8 vpdpbusd per (row,
// panel) from zero (the nibbles are unsigned: no +128 to cancel), then as the int8 form:
// convert, FMA by (d·sc × activation scale), and FNMA by (dmin·m × activation scale × Σa of the
// block). d·sc and dmin·m are exact products, so the result is the same as from int8 values.
template <int R, int C>
void gemm_q4k_t(const uint8_t* const* pw, int n, const void* const* a, float* out, const uint8_t* const* pf) {
  const int nsb = n / 256;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  const uint8_t* ar[R];
  for (int r = 0; r < R; r++) ar[r] = (const uint8_t*)a[r];
  const __m512i m4 = _mm512_set1_epi8(15);
  __m512 acc[R][C];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
  for (int s = 0; s < nsb; s++) {
    __m512 dv[C], dmv[C];
    for (int c = 0; c < C; c++) {
      const uint8_t* sp = pw[c] + (size_t)s * Q4K_SUPER + Q4K_D;
      dv[c] = _mm512_load_ps((const float*)sp);
      dmv[c] = _mm512_load_ps((const float*)(sp + 64));
    }
    if (pf)  // the next panels' header of this super-block
      for (int c = 0; c < C; c++)
        prefetch_range(pf[c] + (size_t)s * Q4K_SUPER, Q4K_Q);
    float da[R];
    for (int r = 0; r < R; r++) std::memcpy(&da[r], ar[r] + soff + 4 * s, 4);
    for (int j = 0; j < 8; j++) {
      const int b = 8 * s + j;  // block index in the row
      const size_t qo = (size_t)s * Q4K_SUPER + Q4K_Q + 256 * j;
      __m512i id[R][C];
      for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) id[r][c] = _mm512_setzero_si512();
      if (pf)
        for (int c = 0; c < C; c++)
          prefetch_range(pf[c] + qo, 256);
      for (int k = 0; k < 4; k++) {
        __m512i lo[C], hi[C];
        for (int c = 0; c < C; c++) {
          const __m512i x = _mm512_load_si512((const void*)(pw[c] + qo + 64 * k));
          lo[c] = _mm512_and_si512(x, m4);
          hi[c] = _mm512_and_si512(_mm512_srli_epi16(x, 4), m4);
        }
        for (int r = 0; r < R; r++) {
          const __m512i a0 = bcast32(ar[r] + 32 * b + 4 * k), a1 = bcast32(ar[r] + 32 * b + 16 + 4 * k);
          for (int c = 0; c < C; c++) id[r][c] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(id[r][c], lo[c], a0), hi[c], a1);
        }
      }
      __m512 ws[C], wm[C];
      for (int c = 0; c < C; c++) {
        const uint8_t* sc = pw[c] + (size_t)s * Q4K_SUPER + Q4K_SC + 32 * j;
        ws[c] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128((const __m128i*)sc))), dv[c]);
        wm[c] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128((const __m128i*)(sc + 16)))), dmv[c]);
      }
      for (int r = 0; r < R; r++) {
        const int32_t* c16 = (const int32_t*)(ar[r] + coff) + 2 * b;
        const __m512 dav = _mm512_set1_ps(da[r]);
        const __m512 sa = _mm512_set1_ps(da[r] * (float)((c16[0] + c16[1]) / -128));  // activation scale × Σq
        for (int c = 0; c < C; c++) {
          acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(id[r][c]), _mm512_mul_ps(ws[c], dav), acc[r][c]);
          acc[r][c] = _mm512_fnmadd_ps(wm[c], sa, acc[r][c]);
        }
      }
    }
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) _mm512_storeu_ps(out + r * GEMM_LD + 16 * c, acc[r][c]);
}

// Q5_0 panels at 5 bits (panels.h; blocks of Q5_BLOCK bytes, 32-byte aligned): chunk k's low and
// high nibbles take bit 4 from the block's plane (bit k and 4 + k of each byte, brought there by
// one 16-bit shift): steps k and 4 + k of the block as the type's unsigned q (0..31).
inline void q5_steps(const uint8_t* blk, int k, __m512i& lo, __m512i& hi) {
  const __m512i m4 = _mm512_set1_epi8(15), bit4 = _mm512_set1_epi8(16);
  const __m512i x = _mm512_loadu_si512((const void*)(blk + 64 * k)), plane = _mm512_loadu_si512((const void*)(blk + 256));
  const __m512i lo5 = k == 0 ? _mm512_slli_epi16(plane, 4) : k == 1 ? _mm512_slli_epi16(plane, 3) : k == 2 ? _mm512_slli_epi16(plane, 2) : _mm512_slli_epi16(plane, 1);
  const __m512i hi5 = k == 0 ? plane : k == 1 ? _mm512_srli_epi16(plane, 1) : k == 2 ? _mm512_srli_epi16(plane, 2) : _mm512_srli_epi16(plane, 3);
  lo = _mm512_ternarylogic_epi32(_mm512_and_si512(x, m4), lo5, bit4, 0xf8);  // a | (b & c)
  hi = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(x, 4), m4), hi5, bit4, 0xf8);
}

// Q5_0 panels at 5 bits: 8 vpdpbusd per (row, panel) and block from −16·Σa of its 32 values,
// then as the int8 form: convert, FMA by (f16 scale × activation scale); the same bits as the
// int8 panels, from 5.5 bits per weight instead of 9. Calls with several row groups widen each
// panel once instead (widen_panel).
template <int R, int C>
void gemm_q5_t(const uint8_t* const* pw, int n, const void* const* a, float* out, const uint8_t* const* pf) {
  const int nblk = n / 32;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  const uint8_t* ar[R];
  for (int r = 0; r < R; r++) ar[r] = (const uint8_t*)a[r];
  __m512 acc[R][C];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
  for (int b = 0; b < nblk; b++) {
    const size_t bo = (size_t)b * Q5_BLOCK;
    if (pf)  // the next panels' block b, on its way from memory while these rows are computed
      for (int c = 0; c < C; c++)
        prefetch_range(pf[c] + bo, Q5_BLOCK);
    __m512i id[R][C];
    for (int r = 0; r < R; r++) {
      const int32_t* c16 = (const int32_t*)(ar[r] + coff) + 2 * b;
      const __m512i c0 = _mm512_set1_epi32((c16[0] + c16[1]) / 8);  // −16·Σa
      for (int c = 0; c < C; c++) id[r][c] = c0;
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      __m512i lo[C], hi[C];
      for (int c = 0; c < C; c++) q5_steps(pw[c] + bo, k, lo[c], hi[c]);
      for (int r = 0; r < R; r++) {
        const __m512i a0 = bcast32(ar[r] + 32 * b + 4 * k), a1 = bcast32(ar[r] + 32 * b + 16 + 4 * k);
        for (int c = 0; c < C; c++) id[r][c] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(id[r][c], lo[c], a0), hi[c], a1);
      }
    }
    __m512 ws[C];
    for (int c = 0; c < C; c++) ws[c] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(pw[c] + bo + 320)));
    add_blocks<R, C>(id, ws, ar, soff, b * 32, acc);
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) _mm512_storeu_ps(out + r * GEMM_LD + 16 * c, acc[r][c]);
}

// One Q5_0 panel rewritten from the 5-bit form into the int8 form: step k of each block as
// q + 112 = (q − 16) + 128, then the f16 scales.
void widen_q5(const uint8_t* pw, int n, uint8_t* dst) {
  const int nblk = n / 32;
  const size_t wbytes = (size_t)nblk * 512;
  const __m512i bias = _mm512_set1_epi8(112);
  for (int b = 0; b < nblk; b++) {
    const uint8_t* blk = pw + (size_t)b * Q5_BLOCK;
    for (int k = 0; k < 4; k++) {
      __m512i lo, hi;
      q5_steps(blk, k, lo, hi);
      _mm512_store_si512((void*)(dst + 512 * b + 64 * k), _mm512_add_epi8(lo, bias));
      _mm512_store_si512((void*)(dst + 512 * b + 64 * (4 + k)), _mm512_add_epi8(hi, bias));
    }
    std::memcpy(dst + wbytes + 32 * b, blk + 320, 32);
  }
}

// Q6_K panels at 6 bits (panels.h): per 16-value sub-block, 2 chunks of 64 bytes and a plane of
// high bit pairs per panel. Chunk m's low and high nibbles take bits 4, 5 from the plane (bits
// 2t, 2t+1 for step t, brought there by one 16-bit shift): steps m and 2 + m of the sub-block as
// the type's unsigned q (0..63), 4 values of each of the 16 rows.
inline void q6_steps(const uint8_t* sub, int m, __m512i& lo, __m512i& hi) {
  const __m512i m4 = _mm512_set1_epi8(15), bits45 = _mm512_set1_epi8(0x30);
  const __m512i x = _mm512_load_si512((const void*)(sub + 64 * m)), plane = _mm512_load_si512((const void*)(sub + 128));
  const __m512i lo2 = m == 0 ? _mm512_slli_epi16(plane, 4) : _mm512_slli_epi16(plane, 2);
  const __m512i hi2 = m == 0 ? plane : _mm512_srli_epi16(plane, 2);
  lo = _mm512_ternarylogic_epi32(_mm512_and_si512(x, m4), lo2, bits45, 0xf8);  // a | (b & c)
  hi = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(x, 4), m4), hi2, bits45, 0xf8);
}
// the 16 rows' scales of sub-block j of super-block sp: d·sc, exact in float (the int8 form's)
inline __m512 q6_scales(const uint8_t* sp, int j) {
  return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128((const __m128i*)(sp + Q6_SC + 16 * j)))),
                       _mm512_load_ps((const float*)(sp + Q6_D)));
}

// Q6_K panels at 6 bits: 4 vpdpbusd per (row, panel) and sub-block from −32·Σa of its 16 values,
// then as the int8 form: convert, FMA by (d·sc × activation scale); the same bits as the int8
// panels, from 6.6 bits per weight instead of 10. The unpack costs about what the multiply-adds
// of one row do, so calls with several row groups widen each panel once instead (widen_q6).
template <int R, int C>
void gemm_q6_t(const uint8_t* const* pw, int n, const void* const* a, float* out, const uint8_t* const* pf) {
  const int nsb = n / 256;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  const uint8_t* ar[R];
  for (int r = 0; r < R; r++) ar[r] = (const uint8_t*)a[r];
  __m512 acc[R][C];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
  for (int s = 0; s < nsb; s++) {
    const size_t so = (size_t)s * Q6_SUPER;
    if (pf)  // the next panels' header of this super-block
      for (int c = 0; c < C; c++)
        prefetch_range(pf[c] + so, Q6_Q);
    for (int j = 0; j < 16; j++) {
      const int b = 16 * s + j;  // 16-value block of the row
      const size_t qo = so + Q6_Q + 192 * j;
      if (pf)
        for (int c = 0; c < C; c++)
          prefetch_range(pf[c] + qo, 192);
      __m512i id[R][C];
      for (int r = 0; r < R; r++) {
        const __m512i c0 = _mm512_set1_epi32(((const int32_t*)(ar[r] + coff))[b] / 4);  // −32·Σa
        for (int c = 0; c < C; c++) id[r][c] = c0;
      }
#pragma GCC unroll 2
      for (int m = 0; m < 2; m++) {
        __m512i lo[C], hi[C];
        for (int c = 0; c < C; c++) q6_steps(pw[c] + qo, m, lo[c], hi[c]);
        for (int r = 0; r < R; r++) {
          const __m512i a0 = bcast32(ar[r] + 16 * b + 4 * m), a1 = bcast32(ar[r] + 16 * b + 8 + 4 * m);
          for (int c = 0; c < C; c++) id[r][c] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(id[r][c], lo[c], a0), hi[c], a1);
        }
      }
      __m512 ws[C];
      for (int c = 0; c < C; c++) ws[c] = q6_scales(pw[c] + so, j);
      add_blocks<R, C>(id, ws, ar, soff, 16 * b, acc);
    }
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < C; c++) _mm512_storeu_ps(out + r * GEMM_LD + 16 * c, acc[r][c]);
}

// One Q6_K panel of n values per row rewritten from the 6-bit form into the int8 form (panels.h):
// step k of each sub-block as q + 96 = (q − 32) + 128, then the f32 scales d·sc.
void widen_q6(const uint8_t* pw, int n, uint8_t* dst) {
  const int nsb = n / 256;
  const size_t wbytes = (size_t)(n / 16) * 256;
  const __m512i bias = _mm512_set1_epi8(96);
  for (int s = 0; s < nsb; s++) {
    const uint8_t* sp = pw + (size_t)s * Q6_SUPER;
    for (int j = 0; j < 16; j++) {
      uint8_t* d = dst + (size_t)(16 * s + j) * 256;
      for (int m = 0; m < 2; m++) {
        __m512i lo, hi;
        q6_steps(sp + Q6_Q + 192 * j, m, lo, hi);
        _mm512_store_si512((void*)(d + 64 * m), _mm512_add_epi8(lo, bias));
        _mm512_store_si512((void*)(d + 64 * (2 + m)), _mm512_add_epi8(hi, bias));
      }
      _mm512_store_ps((float*)(dst + wbytes + 64 * (16 * s + j)), q6_scales(sp, j));
    }
  }
}

void widen_panel(const PanelFormat& f, const uint8_t* pw, int n, uint8_t* dst) {
  if (f.q6) widen_q6(pw, n, dst);
  else widen_q5(pw, n, dst);
}

using GemmFn = void (*)(const uint8_t* const*, int, const void* const*, float*, const uint8_t* const*);
// kernel tables [R − 1][C − 1]; Kind<R, C>::fn is a kernel for R rows × C panels
template <template <int, int> class Kind, int R, int... Cs>
constexpr auto gemm_row(std::integer_sequence<int, Cs...>) {
  return std::array<GemmFn, sizeof...(Cs)>{Kind<R, Cs + 1>::fn...};
}
template <template <int, int> class Kind, int... Rs>
constexpr auto gemm_table(std::integer_sequence<int, Rs...>) {
  return std::array{gemm_row<Kind, Rs + 1>(std::make_integer_sequence<int, GEMM_PANELS>())...};
}
template <int R, int C> struct I8_32 { static constexpr GemmFn fn = gemm_panels_t<R, C, 32, true>; };  // Q8_0, widened Q5_0
template <int R, int C> struct I8_16 { static constexpr GemmFn fn = gemm_panels_t<R, C, 16, false>; };  // widened Q6_K
template <int R, int C> struct Nib { static constexpr GemmFn fn = gemm_nib_t<R, C>; };
template <int R, int C> struct Q4K { static constexpr GemmFn fn = gemm_q4k_t<R, C>; };
template <int R, int C> struct Q5P { static constexpr GemmFn fn = gemm_q5_t<R, C>; };
template <int R, int C> struct Q6P { static constexpr GemmFn fn = gemm_q6_t<R, C>; };
constexpr auto kRows = std::make_integer_sequence<int, GEMM_ROWS>();
constexpr auto kGemmQ8 = gemm_table<I8_32>(kRows), kGemmI16 = gemm_table<I8_16>(kRows), kGemmQ4_0 = gemm_table<Nib>(kRows);
constexpr auto kGemmQ4K = gemm_table<Q4K>(kRows), kGemmQ5 = gemm_table<Q5P>(kRows), kGemmQ6 = gemm_table<Q6P>(kRows);

void gemm_panels(const PanelFormat& f, const uint8_t* const* pw, int C, int n, const void* const* a, int R, float* out,
                 const uint8_t* const* prefetch) {
  const auto& t = f.q4k ? kGemmQ4K : f.nib ? kGemmQ4_0 : f.q6 ? kGemmQ6 : f.q5 ? kGemmQ5 : f.bl == 16 ? kGemmI16 : kGemmQ8;
  t[R - 1][C - 1](pw, n, a, out, prefetch);
}

// index of the largest value, the lowest index among equals
int argmax(const float* x, int n) {
  __m512 mx = _mm512_set1_ps(-INFINITY);
  for (int i = 0; i < n; i += 16) {
    const __mmask16 m = (__mmask16)((1u << std::min(16, n - i)) - 1);
    mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, x + i));
  }
  const __m512 best = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
  for (int i = 0; i < n; i += 16) {
    const __mmask16 m = (__mmask16)((1u << std::min(16, n - i)) - 1);
    const __mmask16 eq = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, x + i), best, _CMP_EQ_OQ);
    if (eq) return i + __builtin_ctz(eq);
  }
  return 0;
}

float dot_f32(const float* a, const float* b, int n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  if (i + 16 <= n) { acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0); i += 16; }
  if (i < n) {
    __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// exp(x) for x <= 0 (softmax arguments): 2^n * p(r), r in [-ln2/2, ln2/2], degree-6 polynomial.
inline __m512 exp512(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504089f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
  __m512 p = _mm512_set1_ps(1.f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

// g[i] = silu(g[i]) * u[i], with e = exp(-|g|) so the exponential never overflows:
// sigmoid(g) = 1/(1+e) for g >= 0, e/(1+e) otherwise
void swiglu(float* g, const float* u, int n) {
  for (int i = 0; i < n; i += 16) {
    const __mmask16 m = (__mmask16)((1u << std::min(16, n - i)) - 1);
    const __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
    const __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(gv)));
    const __mmask16 pos = _mm512_cmp_ps_mask(gv, _mm512_setzero_ps(), _CMP_GE_OQ);
    const __m512 num = _mm512_mask_blend_ps(pos, e, _mm512_set1_ps(1.f));
    const __m512 sig = _mm512_div_ps(num, _mm512_add_ps(_mm512_set1_ps(1.f), e));
    _mm512_mask_storeu_ps(g + i, m, _mm512_mul_ps(_mm512_mul_ps(gv, sig), _mm512_maskz_loadu_ps(m, u + i)));
  }
}

void attn_scores(const float* q, int n, const void* const* kblk, const float* const* kscale, bool i8, int bs, int hd,
                 float* s) {
  if (bs % 16 || hd % 4) return kernels_scalar()->attn_scores(q, n, kblk, kscale, i8, bs, hd, s);
  for (int j0 = 0; j0 < n; j0 += 16) {
    int b = j0 / bs, l0 = j0 % bs;
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    if (i8) {
      auto* k = (const int8_t*)kblk[b] + l0;
      for (int d = 0; d < hd; d += 4)
        for (int u = 0; u < 4; u++)
          acc[u] = _mm512_fmadd_ps(_mm512_set1_ps(q[d + u]),
                                   _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)(k + (size_t)(d + u) * bs)))), acc[u]);
    } else {
      auto* k = (const uint16_t*)kblk[b] + l0;
      for (int d = 0; d < hd; d += 4)
        for (int u = 0; u < 4; u++)
          acc[u] = _mm512_fmadd_ps(_mm512_set1_ps(q[d + u]),
                                   _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(k + (size_t)(d + u) * bs))), acc[u]);
    }
    __m512 r = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    if (i8) r = _mm512_mul_ps(r, _mm512_loadu_ps(kscale[b] + l0));
    int m = std::min(16, n - j0);
    _mm512_mask_storeu_ps(s + j0, (__mmask16)((1u << m) - 1), r);
  }
}

float softmax_exp(float* s, int n, float max) {
  __m512 sum = _mm512_setzero_ps(), mx = _mm512_set1_ps(max);
  for (int j = 0; j < n; j += 16) {
    __mmask16 m = (__mmask16)((1u << std::min(16, n - j)) - 1);
    __m512 e = _mm512_maskz_mov_ps(m, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), mx)));
    _mm512_mask_storeu_ps(s + j, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  return _mm512_reduce_add_ps(sum);
}

void attn_values(const float* p, int n, const void* const* vblk, const float* const* vscale, bool i8, int bs, int hd,
                 float* out) {
  if (hd % 16 || hd > 256) return kernels_scalar()->attn_values(p, n, vblk, vscale, i8, bs, hd, out);
  __m512 acc[16];
  const int nv = hd / 16;
  for (int v = 0; v < nv; v++) acc[v] = _mm512_setzero_ps();
  for (int j = 0; j < n; j++) {
    int b = j / bs, l = j % bs;
    if (i8) {
      auto* vr = (const int8_t*)vblk[b] + (size_t)l * hd;
      __m512 pj = _mm512_set1_ps(p[j] * vscale[b][l]);
      for (int v = 0; v < nv; v++)
        acc[v] = _mm512_fmadd_ps(pj, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)(vr + 16 * v)))), acc[v]);
    } else {
      auto* vr = (const uint16_t*)vblk[b] + (size_t)l * hd;
      __m512 pj = _mm512_set1_ps(p[j]);
      for (int v = 0; v < nv; v++)
        acc[v] = _mm512_fmadd_ps(pj, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(vr + 16 * v))), acc[v]);
    }
  }
  for (int v = 0; v < nv; v++) _mm512_storeu_ps(out + 16 * v, acc[v]);
}

// G heads at once: one chain over dimensions per head (independent across heads, so G chains
// hide the FMA latency); K columns are converted once per 16 keys for all heads.
template <int G>
void scores_g(const float* q, int n, const void* const* kblk, const float* const* kscale, bool i8, int bs, int hd, float* s,
              size_t ss) {
  for (int j0 = 0; j0 < n; j0 += 16) {
    const int b = j0 / bs, l0 = j0 % bs;
    __m512 acc[G];
    for (int g = 0; g < G; g++) acc[g] = _mm512_setzero_ps();
    if (i8) {
      auto* k = (const int8_t*)kblk[b] + l0;
      for (int d = 0; d < hd; d++) {
        const __m512 kv = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)(k + (size_t)d * bs))));
        for (int g = 0; g < G; g++) acc[g] = _mm512_fmadd_ps(_mm512_set1_ps(q[(size_t)g * hd + d]), kv, acc[g]);
      }
    } else {
      auto* k = (const uint16_t*)kblk[b] + l0;
      for (int d = 0; d < hd; d++) {
        const __m512 kv = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(k + (size_t)d * bs)));
        for (int g = 0; g < G; g++) acc[g] = _mm512_fmadd_ps(_mm512_set1_ps(q[(size_t)g * hd + d]), kv, acc[g]);
      }
    }
    const __mmask16 m = (__mmask16)((1u << std::min(16, n - j0)) - 1);
    const __m512 sc = i8 ? _mm512_loadu_ps(kscale[b] + l0) : _mm512_set1_ps(1.f);
    for (int g = 0; g < G; g++) _mm512_mask_storeu_ps(s + g * ss + j0, m, i8 ? _mm512_mul_ps(acc[g], sc) : acc[g]);
  }
}

void attn_scores_g(const float* q, int G, int n, const void* const* kblk, const float* const* kscale, bool i8, int bs, int hd,
                   float* s, size_t ss) {
  if (bs % 16) {
    for (int g = 0; g < G; g++) kernels_scalar()->attn_scores(q + (size_t)g * hd, n, kblk, kscale, i8, bs, hd, s + g * ss);
    return;
  }
  for (int g0 = 0; g0 < G; g0 += 8) {
    const float* qg = q + (size_t)g0 * hd;
    float* sg = s + g0 * ss;
    with_count<8>(std::min(8, G - g0), [&]<int N>() { scores_g<N>(qg, n, kblk, kscale, i8, bs, hd, sg, ss); });
  }
}

// 32 output dimensions of G heads per pass over the keys: 2G accumulators stay in registers.
template <int G>
void values_g(const float* p, size_t ps, int n, const void* const* vblk, const float* const* vscale, bool i8, int bs, int hd,
              float* out, size_t os) {
  for (int c = 0; c < hd; c += 32) {
    __m512 a0[G], a1[G];
    for (int g = 0; g < G; g++) a0[g] = a1[g] = _mm512_setzero_ps();
    // block by block: a division per key costs about as much as the key's FMAs
    for (int b = 0, j = 0; j < n; b++) {
      for (int l = 0; l < bs && j < n; l++, j++) {
        __m512 v0, v1;
        float vs = 1.f;
        if (i8) {
          auto* vr = (const int8_t*)vblk[b] + (size_t)l * hd + c;
          v0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)vr)));
          v1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)(vr + 16))));
          vs = vscale[b][l];
        } else {
          auto* vr = (const uint16_t*)vblk[b] + (size_t)l * hd + c;
          v0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)vr));
          v1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(vr + 16)));
        }
        for (int g = 0; g < G; g++) {
          const __m512 pj = _mm512_set1_ps(i8 ? p[g * ps + j] * vs : p[g * ps + j]);
          a0[g] = _mm512_fmadd_ps(pj, v0, a0[g]);
          a1[g] = _mm512_fmadd_ps(pj, v1, a1[g]);
        }
      }
    }
    for (int g = 0; g < G; g++) {
      _mm512_storeu_ps(out + g * os + c, a0[g]);
      _mm512_storeu_ps(out + g * os + c + 16, a1[g]);
    }
  }
}

void attn_values_g(const float* p, size_t ps, int G, int n, const void* const* vblk, const float* const* vscale, bool i8, int bs,
                   int hd, float* out, size_t os) {
  if (hd % 32) {
    for (int g = 0; g < G; g++) kernels_scalar()->attn_values(p + g * ps, n, vblk, vscale, i8, bs, hd, out + g * os);
    return;
  }
  for (int g0 = 0; g0 < G; g0 += 8) {
    const float* pg = p + g0 * ps;
    float* og = out + g0 * os;
    with_count<8>(std::min(8, G - g0), [&]<int N>() { values_g<N>(pg, ps, n, vblk, vscale, i8, bs, hd, og, os); });
  }
}

const Kernels K = {"avx512-vnni", act32_bytes, quant_act32, dot_q8_0, dot_q4_0, dot_q5_0, dot_q4_k, dot_q6_k, dot_f32, attn_scores, softmax_exp, attn_values, attn_scores_g, attn_values_g,
                   actp_bytes, quant_actp, gemm_panels, swiglu, argmax, widen_panel};

}  // namespace

const Kernels* kernels_avx512() { return &K; }

}  // namespace se
#pragma GCC pop_options
#else
#include "kernels.h"
namespace se { const Kernels* kernels_avx512() { return nullptr; } }
#endif
