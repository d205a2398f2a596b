// AVX2 + FMA + F16C kernels (CPUs without AVX-512): int8 dot products through
// vpmaddubsw / vpmaddwd, one weight unpack shared by up to MAX_T activation rows, and the
// packed-panel GEMM (panels.h) for every type that has a panel form.
#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#include <immintrin.h>
#include "kernels.h"
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include "panels.h"
#include "quant.h"

namespace se {
namespace {

inline float f16c(uint16_t h) { return _cvtsh_ss(h); }

inline float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline int hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

template <int T, class Unpack, class Scale>
inline void dot_32blocks(Unpack unpack, Scale scale, const void* const* av, int nb, float* out) {
  auto a = (const ActQ8* const*)av;
  __m256 acc[T];
  for (int t = 0; t < T; t++) acc[t] = _mm256_setzero_ps();
  const __m256i ones = _mm256_set1_epi16(1);
  for (int b = 0; b < nb; b++) {
    __m256i wq = unpack(b), wabs = _mm256_sign_epi8(wq, wq);
    float d = scale(b);
    for (int t = 0; t < T; t++) {
      __m256i aq = _mm256_loadu_si256((const __m256i*)a[t][b].qs);
      __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(aq, wq)), ones);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(d * a[t][b].d), acc[t]);
    }
  }
  for (int t = 0; t < T; t++) out[t] = hsum_ps(acc[t]);
}

inline __m256i unpack_nibbles(const uint8_t* qs) {
  __m128i x = _mm_loadu_si128((const __m128i*)qs), m = _mm_set1_epi8(15);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(x, 4), m), _mm_and_si128(x, m));
}

template <int T> void q8_0_t(const void* w, const void* const* a, int nb, float* out) {
  auto* blk = (const BlockQ8_0*)w;
  dot_32blocks<T>([&](int b) { return _mm256_loadu_si256((const __m256i*)blk[b].qs); },
                  [&](int b) { return f16c(blk[b].d); }, a, nb, out);
}
template <int T> void q4_0_t(const void* w, const void* const* a, int nb, float* out) {
  auto* blk = (const BlockQ4_0*)w;
  dot_32blocks<T>([&](int b) { return _mm256_sub_epi8(unpack_nibbles(blk[b].qs), _mm256_set1_epi8(8)); },
                  [&](int b) { return f16c(blk[b].d); }, a, nb, out);
}
template <int T> void q5_0_t(const void* w, const void* const* a, int nb, float* out) {
  auto* blk = (const BlockQ5_0*)w;
  // spread the 32 high bits to bytes: byte j tests bit j
  const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
  const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
  dot_32blocks<T>(
      [&](int b) {
        uint32_t qh; std::memcpy(&qh, blk[b].qh, 4);
        __m256i x = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), shuf);
        __m256i hi = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(x, bit), bit), _mm256_set1_epi8(16));
        return _mm256_sub_epi8(_mm256_or_si256(unpack_nibbles(blk[b].qs), hi), _mm256_set1_epi8(16));
      },
      [&](int b) { return f16c(blk[b].d); }, a, nb, out);
}

template <int T> void q4_k_t(const void* wv, const ActQ8K* const* a, int nb, float* out) {
  auto* w = (const BlockQ4_K*)wv;
  for (int t = 0; t < T; t++) out[t] = 0;
  const __m256i m4 = _mm256_set1_epi8(15);
  for (int b = 0; b < nb; b++) {
    const uint8_t* s = w[b].scales;
    int sc[8], mn[8];
    for (int j = 0; j < 8; j++) {
      if (j < 4) { sc[j] = s[j] & 63; mn[j] = s[j + 4] & 63; }
      else { sc[j] = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4); mn[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
    }
    __m256i acc[T];
    for (int t = 0; t < T; t++) acc[t] = _mm256_setzero_si256();
    for (int c = 0; c < 4; c++) {
      __m256i x = _mm256_loadu_si256((const __m256i*)(w[b].qs + 32 * c));
      __m256i lo = _mm256_and_si256(x, m4), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), m4);
      __m256i s0 = _mm256_set1_epi16((short)sc[2 * c]), s1 = _mm256_set1_epi16((short)sc[2 * c + 1]);
      for (int t = 0; t < T; t++) {
        const int8_t* aq = a[t][b].qs + 64 * c;
        __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i*)aq)), s0);
        __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i*)(aq + 32))), s1);
        acc[t] = _mm256_add_epi32(acc[t], _mm256_add_epi32(p0, p1));
      }
    }
    float d = f16c(w[b].d), dmin = f16c(w[b].dmin);
    for (int t = 0; t < T; t++) {
      int sumi = hsum_epi32(acc[t]), summ = 0;
      for (int j = 0; j < 8; j++) summ += mn[j] * (a[t][b].bsums[2 * j] + a[t][b].bsums[2 * j + 1]);
      out[t] += a[t][b].d * (d * (float)sumi) - a[t][b].d * (dmin * (float)summ);
    }
  }
}

template <int T> void q6_k_t(const void* wv, const ActQ8K* const* a, int nb, float* out) {
  auto* w = (const BlockQ6_K*)wv;
  for (int t = 0; t < T; t++) out[t] = 0;
  const __m256i m4 = _mm256_set1_epi8(15), m30 = _mm256_set1_epi8(0x30);
  for (int b = 0; b < nb; b++) {
    __m256i acc[T];
    for (int t = 0; t < T; t++) acc[t] = _mm256_setzero_si256();
    const int8_t* scl = w[b].scales;
    for (int h = 0; h < 2; h++) {
      __m256i ql0 = _mm256_loadu_si256((const __m256i*)(w[b].ql + 64 * h));
      __m256i ql1 = _mm256_loadu_si256((const __m256i*)(w[b].ql + 64 * h + 32));
      __m256i qh = _mm256_loadu_si256((const __m256i*)(w[b].qh + 32 * h));
      __m256i v[4] = {
          _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30)),
          _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m30)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30))};
      for (int k = 0; k < 4; k++) {
        int g = 8 * h + 2 * k;
        __m256i sv = _mm256_set_m128i(_mm_set1_epi16(scl[g + 1]), _mm_set1_epi16(scl[g]));
        for (int t = 0; t < T; t++) {
          __m256i av = _mm256_loadu_si256((const __m256i*)(a[t][b].qs + 128 * h + 32 * k));
          acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(_mm256_maddubs_epi16(v[k], av), sv));
        }
      }
    }
    float d = f16c(w[b].d);
    for (int t = 0; t < T; t++) {
      int off = 0;
      for (int g = 0; g < 16; g++) off += scl[g] * a[t][b].bsums[g];
      out[t] += d * a[t][b].d * (float)(hsum_epi32(acc[t]) - 32 * off);
    }
  }
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

float dot_f32(const float* a, const float* b, int n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  float s = hsum_ps(_mm256_add_ps(acc0, acc1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

inline __m256 exp256(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504089f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
  __m256 p = _mm256_set1_ps(1.f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

void attn_scores(const float* q, int n, const void* const* kblk, const float* const* kscale, bool i8, int bs, int hd,
                 float* s) {
  if (bs % 8 || hd % 4) return kernels_scalar()->attn_scores(q, n, kblk, kscale, i8, bs, hd, s);
  for (int j0 = 0; j0 < n; j0 += 8) {
    int b = j0 / bs, l0 = j0 % bs;
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    if (i8) {
      auto* k = (const int8_t*)kblk[b] + l0;
      for (int d = 0; d < hd; d += 4)
        for (int u = 0; u < 4; u++)
          acc[u] = _mm256_fmadd_ps(_mm256_set1_ps(q[d + u]),
                                   _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)(k + (size_t)(d + u) * bs)))), acc[u]);
    } else {
      auto* k = (const uint16_t*)kblk[b] + l0;
      for (int d = 0; d < hd; d += 4)
        for (int u = 0; u < 4; u++)
          acc[u] = _mm256_fmadd_ps(_mm256_set1_ps(q[d + u]), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(k + (size_t)(d + u) * bs))), acc[u]);
    }
    __m256 r = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    if (i8) r = _mm256_mul_ps(r, _mm256_loadu_ps(kscale[b] + l0));
    alignas(32) float tmp[8];
    _mm256_store_ps(tmp, r);
    int m = std::min(8, n - j0);
    for (int i = 0; i < m; i++) s[j0 + i] = tmp[i];
  }
}

float softmax_exp(float* s, int n, float max) {
  __m256 sum = _mm256_setzero_ps(), mx = _mm256_set1_ps(max);
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(s + j), mx));
    _mm256_storeu_ps(s + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  if (j < n) {
    alignas(32) float tmp[8] = {0};
    for (int i = 0; i < n - j; i++) tmp[i] = s[j + i] - max;
    __m256 e = exp256(_mm256_load_ps(tmp));
    _mm256_store_ps(tmp, e);
    for (int i = n - j; i < 8; i++) tmp[i] = 0;
    for (int i = 0; i < n - j; i++) s[j + i] = tmp[i];
    sum = _mm256_add_ps(sum, _mm256_load_ps(tmp));
  }
  return hsum_ps(sum);
}

void attn_values(const float* p, int n, const void* const* vblk, const float* const* vscale, bool i8, int bs, int hd,
                 float* out) {
  if (hd % 8 || hd > 256) return kernels_scalar()->attn_values(p, n, vblk, vscale, i8, bs, hd, out);
  __m256 acc[32];
  const int nv = hd / 8;
  for (int v = 0; v < nv; v++) acc[v] = _mm256_setzero_ps();
  for (int j = 0; j < n; j++) {
    int b = j / bs, l = j % bs;
    if (i8) {
      auto* vr = (const int8_t*)vblk[b] + (size_t)l * hd;
      __m256 pj = _mm256_set1_ps(p[j] * vscale[b][l]);
      for (int v = 0; v < nv; v++)
        acc[v] = _mm256_fmadd_ps(pj, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)(vr + 8 * v)))), acc[v]);
    } else {
      auto* vr = (const uint16_t*)vblk[b] + (size_t)l * hd;
      __m256 pj = _mm256_set1_ps(p[j]);
      for (int v = 0; v < nv; v++)
        acc[v] = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(vr + 8 * v))), acc[v]);
    }
  }
  for (int v = 0; v < nv; v++) _mm256_storeu_ps(out + 8 * v, acc[v]);
}

// g[i] = silu(g[i]) · u[i]; sigmoid from exp(−|g|) (never overflows), 8 values per step, the tail
// through a zero-padded buffer so every value sees the same operations
void swiglu(float* g, const float* u, int n) {
  const __m256 one = _mm256_set1_ps(1.f), zero = _mm256_setzero_ps();
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  auto step = [&](__m256 gv, __m256 uv) {
    const __m256 e = exp256(_mm256_sub_ps(zero, _mm256_and_ps(gv, absmask)));
    const __m256 num = _mm256_blendv_ps(e, one, _mm256_cmp_ps(gv, zero, _CMP_GE_OQ));
    return _mm256_mul_ps(_mm256_mul_ps(gv, _mm256_div_ps(num, _mm256_add_ps(one, e))), uv);
  };
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(g + i, step(_mm256_loadu_ps(g + i), _mm256_loadu_ps(u + i)));
  if (i < n) {
    alignas(32) float gt[8] = {0}, ut[8] = {0};
    std::copy_n(g + i, n - i, gt);
    std::copy_n(u + i, n - i, ut);
    _mm256_store_ps(gt, step(_mm256_load_ps(gt), _mm256_load_ps(ut)));
    std::copy_n(gt, n - i, g + i);
  }
}

// index of the largest value, the lowest index among equals
int argmax(const float* x, int n) {
  int i = 0, best = 0;
  float mx = n > 0 ? x[0] : 0.f;
  if (n >= 8) {
    __m256 m = _mm256_loadu_ps(x);
    for (i = 8; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    mx = _mm_cvtss_f32(h);
  }
  for (int j = i; j < n; j++) mx = std::max(mx, x[j]);
  // the first index holding it, 8 compares at a time
  const __m256 mv = _mm256_set1_ps(mx);
  for (best = 0; best + 8 <= n; best += 8)
    if (const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + best), mv, _CMP_EQ_OQ))) return best + __builtin_ctz(hit);
  for (; best < n && !(x[best] == mx); best++) {}
  return best < n ? best : 0;
}

// ---- attention for the G query heads that share one kv head ----
// Each K/V vector is loaded and converted once for all G heads (the per-head kernels above did it G
// times: 7 with Qwen2.5-0.5B's 14 heads over 2 kv heads). Each head's arithmetic does not depend on G.

// bytes of one kv head's K (or V) in one cache block
inline size_t kv_block_bytes(int hd, int bs, bool i8) { return (size_t)hd * bs * (i8 ? 1 : 2); }

inline __m256 load_k8(const void* base, bool i8, size_t off) {
  return i8 ? _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)((const int8_t*)base + off))))
            : _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)((const uint16_t*)base + off)));
}

// Up to 7 heads × 16 keys per step: 14 accumulators (Zen 2 needs 10 FMA chains in flight to use
// both FMA pipes) and the two key vectors fill the 16 registers, so each head's query value comes
// from memory, broadcast beforehand (`qb`: 8 copies of q[g][d]), as the FMA's memory operand. One
// chain over dimensions per (head, key), whatever the tile: the same bits.
template <int G>
void scores16_g(const float* qb, int n, const void* const* kblk, const float* const* kscale, bool i8, int bs, int hd, float* s,
                size_t ss) {
  for (int j0 = 0; j0 < n; j0 += 16) {
    const int b = j0 / bs, l0 = j0 % bs;
    // the next block's keys, requested while this one computes: blocks lie apart in the cache pool,
    // so the hardware prefetcher starts over at each
    if (l0 == 0 && j0 + bs < n)
      prefetch_range(kblk[b + 1], kv_block_bytes(hd, bs, i8));
    __m256 a0[G], a1[G];
    for (int g = 0; g < G; g++) a0[g] = a1[g] = _mm256_setzero_ps();
    for (int d = 0; d < hd; d++) {
      const size_t off = (size_t)d * bs + l0;
      const __m256 k0 = load_k8(kblk[b], i8, off), k1 = load_k8(kblk[b], i8, off + 8);
      const float* qd = qb + (size_t)d * G * 8;
      for (int g = 0; g < G; g++) {
        a0[g] = _mm256_fmadd_ps(_mm256_loadu_ps(qd + 8 * g), k0, a0[g]);
        a1[g] = _mm256_fmadd_ps(_mm256_loadu_ps(qd + 8 * g), k1, a1[g]);
      }
    }
    const int m = std::min(16, n - j0);
    for (int g = 0; g < G; g++) {
      __m256 r0 = a0[g], r1 = a1[g];
      if (i8) r0 = _mm256_mul_ps(r0, _mm256_loadu_ps(kscale[b] + l0)), r1 = _mm256_mul_ps(r1, _mm256_loadu_ps(kscale[b] + l0 + 8));
      if (m == 16) {
        _mm256_storeu_ps(s + g * ss + j0, r0);
        _mm256_storeu_ps(s + g * ss + j0 + 8, r1);
        continue;
      }
      alignas(32) float tmp[16];
      _mm256_store_ps(tmp, r0);
      _mm256_store_ps(tmp + 8, r1);
      std::copy_n(tmp, m, s + g * ss + j0);
    }
  }
}

constexpr int SCORE_HEADS = 7;

void attn_scores_g(const float* q, int G, int n, const void* const* kblk, const float* const* kscale, bool i8, int bs, int hd,
                   float* s, size_t ss) {
  if (bs % 16) {
    for (int g = 0; g < G; g++) kernels_scalar()->attn_scores(q + (size_t)g * hd, n, kblk, kscale, i8, bs, hd, s + g * ss);
    return;
  }
  thread_local std::vector<float> qb;
  for (int g0 = 0; g0 < G; g0 += SCORE_HEADS) {
    const int h = std::min(SCORE_HEADS, G - g0);
    qb.resize((size_t)hd * h * 8);
    for (int d = 0; d < hd; d++)
      for (int g = 0; g < h; g++) _mm256_storeu_ps(&qb[((size_t)d * h + g) * 8], _mm256_set1_ps(q[(size_t)(g0 + g) * hd + d]));
    with_count<SCORE_HEADS>(h, [&]<int N>() { scores16_g<N>(qb.data(), n, kblk, kscale, i8, bs, hd, s + g0 * ss, ss); });
  }
}

// 16 output dimensions of up to 7 heads per pass over keys j0..j1: 14 accumulators and the two value
// vectors fill the registers, and each head's weight comes from memory, broadcast beforehand (`pb`:
// 8 copies of p[g][j], times the value's scale for an int8 cache) as the FMA's memory operand. The
// accumulators start at zero for the first keys and from `out` after (a float stored and loaded back
// is the same float: one chain per output, in key order, however the keys are cut).
template <int G>
void values16_g(const float* pb, int j0, int j1, const void* const* vblk, bool i8, int bs, int hd, float* out, size_t os) {
  for (int c = 0; c < hd; c += 16) {
    __m256 a0[G], a1[G];
    for (int g = 0; g < G; g++) {
      a0[g] = j0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(out + g * os + c);
      a1[g] = j0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(out + g * os + c + 8);
    }
    // block by block: a division per key costs more than the key's FMAs
    for (int j = j0; j < j1;) {
      const int b = j / bs, l0 = j % bs, l1 = std::min(bs, l0 + (j1 - j));
      const void* vb = vblk[b];
      const float* pj = pb + (size_t)(j - j0) * G * 8;
      for (int l = l0; l < l1; l++, pj += G * 8) {
        const size_t off = (size_t)l * hd + c;
        const __m256 v0 = load_k8(vb, i8, off), v1 = load_k8(vb, i8, off + 8);
        for (int g = 0; g < G; g++) {
          a0[g] = _mm256_fmadd_ps(_mm256_loadu_ps(pj + 8 * g), v0, a0[g]);
          a1[g] = _mm256_fmadd_ps(_mm256_loadu_ps(pj + 8 * g), v1, a1[g]);
        }
      }
      j += l1 - l0;
    }
    for (int g = 0; g < G; g++) {
      _mm256_storeu_ps(out + g * os + c, a0[g]);
      _mm256_storeu_ps(out + g * os + c + 8, a1[g]);
    }
  }
}

// Keys per round of passes: every pass (16 dimensions of up to 7 heads) over a round's values reads
// them, and the round's broadcast weights (64 keys × 7 heads × 32 bytes), from L1.
constexpr int VALUE_KEYS = 64, VALUE_HEADS = 7;

void attn_values_g(const float* p, size_t ps, int G, int n, const void* const* vblk, const float* const* vscale, bool i8, int bs,
                   int hd, float* out, size_t os) {
  if (hd % 16) {
    for (int g = 0; g < G; g++) kernels_scalar()->attn_values(p + g * ps, n, vblk, vscale, i8, bs, hd, out + g * os);
    return;
  }
  if (n <= 0) {
    for (int g = 0; g < G; g++) std::fill_n(out + g * os, hd, 0.f);
    return;
  }
  thread_local std::vector<float> pb;
  for (int j0 = 0; j0 < n; j0 += VALUE_KEYS) {
    const int j1 = std::min(n, j0 + VALUE_KEYS);
    // the next round's values, requested while this one computes (as the scores' next block)
    for (int j = j1; j < std::min(n, j1 + VALUE_KEYS); j += bs)
      prefetch_range(vblk[j / bs], kv_block_bytes(hd, bs, i8));
    for (int g0 = 0; g0 < G; g0 += VALUE_HEADS) {
      const int h = std::min(VALUE_HEADS, G - g0);
      pb.resize((size_t)VALUE_KEYS * h * 8);
      for (int j = j0; j < j1; j++) {
        const float vs = i8 ? vscale[j / bs][j % bs] : 1.f;
        for (int g = 0; g < h; g++) {
          const float w = p[(g0 + g) * ps + j];
          _mm256_storeu_ps(&pb[((size_t)(j - j0) * h + g) * 8], _mm256_set1_ps(i8 ? w * vs : w));
        }
      }
      with_count<VALUE_HEADS>(h, [&]<int N>() { values16_g<N>(pb.data(), j0, j1, vblk, i8, bs, hd, out + g0 * os, os); });
    }
  }
}

// ---- packed-panel GEMM ----
// Activations in panels.h's layout (actp_bytes), the values the row-major kernels'
// (quantize_act_q8): same rounding.

void quant_actp(const float* x, int n, void* out) {  // n % 32 == 0
  int8_t* q = (int8_t*)out;
  int32_t* corr = (int32_t*)((uint8_t*)out + actp_corr_off(n));
  float* ds = (float*)((uint8_t*)out + actp_scale_off(n));
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int g = 0; g < n; g += ACT_GROUP) {  // quant.cc's quant_block rounding (nearest even, ±127), 32 values per step
    const int len = std::min(ACT_GROUP, n - g);
    __m256 mx = _mm256_setzero_ps();
    for (int i = 0; i < len; i += 8) mx = _mm256_max_ps(mx, _mm256_and_ps(_mm256_loadu_ps(x + g + i), absmask));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float d = _mm_cvtss_f32(m4) / 127.f, id = d != 0 ? 1.f / d : 0.f;
    const __m256 idv = _mm256_set1_ps(id);
    for (int i = 0; i < len; i += 32) {
      __m256i v[4];
      for (int j = 0; j < 4; j++)
        v[j] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + g + i + 8 * j), idv),
                                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      corr[(g + i) / 16] = -128 * hsum_epi32(_mm256_add_epi32(v[0], v[1]));
      corr[(g + i) / 16 + 1] = -128 * hsum_epi32(_mm256_add_epi32(v[2], v[3]));
      // |v| ≤ 127: the packs never saturate; they interleave 128-bit lanes, the permute restores order
      const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
      _mm256_storeu_si256((__m256i*)(q + g + i), _mm256_permutevar8x32_epi32(b, order));
    }
    ds[g / ACT_GROUP] = d;
  }
}

inline __m256i bcast32(const void* p) { int32_t v; std::memcpy(&v, p, 4); return _mm256_set1_epi32(v); }

// Without vpdpbusd, a 256-bit register holds half a panel: 8 output rows × 4 values. The kernels
// below compute R activation rows against one half panel (h = 0, 1; the int8 kernels H halves
// from h) so that the weights loaded and unpacked once serve all R rows from registers. Each output lane sees the same operations
// whatever R is (batch invariance), and the integer sums per block are exact, so results equal
// the AVX-512 kernels' bit for bit.

// int8 panels (Q8_0: 32-value blocks, f16 scales). The stored bytes are q + 128: xor 0x80 gives q
// back; vpmaddubsw then takes |q| unsigned and the activation with q's sign (|q| ≤ 128, |a| ≤ 127:
// a pair's sum never saturates 16 bits), one vpmaddwd per step widens them.
template <int R, int H>
void gemm_i8_t(const uint8_t* pw, int h0, int n, const uint8_t* const* ar, float* out, const uint8_t* pf) {
  const int nblk = n / 32;
  const size_t soff = actp_scale_off(n), wbytes = (size_t)nblk * 16 * 32;
  const __m256i flip = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
  __m256 acc[R][H];
  for (int r = 0; r < R; r++)
    for (int h = 0; h < H; h++) acc[r][h] = _mm256_setzero_ps();
  for (int b = 0; b < nblk; b++) {
    const uint8_t* wb = pw + (size_t)b * 16 * 32 + 32 * h0;
    if (pf)
      prefetch_range(pf + (size_t)b * 16 * 32, 16 * 32);
    __m256i id[R][H];
    for (int r = 0; r < R; r++)
      for (int h = 0; h < H; h++) id[r][h] = _mm256_setzero_si256();
    for (int k = 0; k < 8; k++) {
      __m256i w[H], wa[H];
      for (int h = 0; h < H; h++) {
        w[h] = _mm256_xor_si256(_mm256_load_si256((const __m256i*)(wb + 64 * k + 32 * h)), flip);
        wa[h] = _mm256_sign_epi8(w[h], w[h]);
      }
      for (int r = 0; r < R; r++) {
        const __m256i av = bcast32(ar[r] + 32 * b + 4 * k);
        for (int h = 0; h < H; h++)
          id[r][h] = _mm256_add_epi32(id[r][h], _mm256_madd_epi16(_mm256_maddubs_epi16(wa[h], _mm256_sign_epi8(av, w[h])), ones));
      }
    }
    __m256 ws[H];
    for (int h = 0; h < H; h++) ws[h] = _mm256_cvtph_ps(_mm_load_si128((const __m128i*)(pw + wbytes + 32 * b + 16 * (h0 + h))));
    for (int r = 0; r < R; r++) {
      float da;
      std::memcpy(&da, ar[r] + soff + 4 * (b * 32 / ACT_GROUP), 4);
      const __m256 dv = _mm256_set1_ps(da);
      for (int h = 0; h < H; h++) acc[r][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(id[r][h]), _mm256_mul_ps(ws[h], dv), acc[r][h]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int h = 0; h < H; h++) _mm256_storeu_ps(out + r * GEMM_LD + 8 * h, acc[r][h]);
}

// two steps of 4 values from one load of nibbles (values 4k.. low, 16+4k.. high), unsigned 0..15:
// vpmaddubsw needs no sign trick. A pair's sum is at most 2·15·127, so a whole block's four
// chunks (eight steps) add in 16 bits and one vpmaddwd widens them (the multiplier port is the
// bound: one widening per chunk took a third of its work).
// two steps' 16-bit sums: the low nibbles' values against activations a0, the high ones' against a1
inline __m256i pair16(__m256i lo, __m256i hi, __m256i a0, __m256i a1) {
  return _mm256_add_epi16(_mm256_maddubs_epi16(lo, a0), _mm256_maddubs_epi16(hi, a1));
}
inline __m256i nib_step16(__m256i x, __m256i a0, __m256i a1) {
  const __m256i m4 = _mm256_set1_epi8(15);
  return pair16(_mm256_and_si256(x, m4), _mm256_and_si256(_mm256_srli_epi16(x, 4), m4), a0, a1);
}
// The 5- and 6-bit forms: a chunk's low and high nibbles, each with the high bits its plane holds
// (already shifted into place; `mask` keeps them): the type's unsigned q.
inline void unpack_chunk(__m256i x, __m256i lo_bits, __m256i hi_bits, __m256i mask, __m256i& lo, __m256i& hi) {
  const __m256i m4 = _mm256_set1_epi8(15);
  lo = _mm256_or_si256(_mm256_and_si256(x, m4), _mm256_and_si256(lo_bits, mask));
  hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x, 4), m4), _mm256_and_si256(hi_bits, mask));
}
inline __m256i widen16(__m256i s16) { return _mm256_madd_epi16(s16, _mm256_set1_epi16(1)); }

// id[r] += one 32-value block of nibbles (4 chunks from q, a half panel's) against rows ar[r] at
// value v. Several rows share one widening per block; a single row (decode) widens per chunk:
// measured on Zen 2, decode ran 7% slower with the sums held in 16 bits (verification 3% faster).
template <int R>
inline void nib_block(const uint8_t* q, const uint8_t* const* ar, int v, __m256i* id) {
  constexpr int G = R == 1 ? 1 : 4;
  __m256i s16[R];
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    const __m256i x = _mm256_load_si256((const __m256i*)(q + 64 * k));
    for (int r = 0; r < R; r++) {
      const __m256i p = nib_step16(x, bcast32(ar[r] + v + 4 * k), bcast32(ar[r] + v + 16 + 4 * k));
      s16[r] = k % G == 0 ? p : _mm256_add_epi16(s16[r], p);
    }
    if ((k + 1) % G == 0)
      for (int r = 0; r < R; r++) id[r] = _mm256_add_epi32(id[r], widen16(s16[r]));
  }
}

// id[r] = −bias·Σa over 32-value block b of row r (the activations' sums per 16 values are stored
// as −128·Σa): the start of a block's sums when the weights are the type's unsigned q = q + bias.
template <int R>
inline void offset_sums(const uint8_t* const* ar, size_t coff, int b, int bias, __m256i* id) {
  for (int r = 0; r < R; r++) {
    const int32_t* c16 = (const int32_t*)(ar[r] + coff) + 2 * b;
    id[r] = _mm256_set1_epi32((c16[0] + c16[1]) / 128 * bias);
  }
}

// acc[r] += id[r] (a block's exact sums) · ws (its weight scales) · row r's activation scale for
// value v: one convert and one FMA per block, the same for every kernel and every row count.
template <int R>
inline void add_block(const __m256i* id, __m256 ws, const uint8_t* const* ar, size_t soff, int v, __m256* acc) {
  for (int r = 0; r < R; r++) {
    float da;
    std::memcpy(&da, ar[r] + soff + 4 * (v / ACT_GROUP), 4);
    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(id[r]), _mm256_mul_ps(ws, _mm256_set1_ps(da)), acc[r]);
  }
}

// Q4_0 panels in the nibble form: the int32 sums start at −8·Σa of the block (the nibbles are the
// type's unsigned q), then as the int8 form.
template <int R>
void gemm_nib_t(const uint8_t* pw, int h, int n, const uint8_t* const* ar, float* out, const uint8_t* pf) {
  const int nblk = n / 32;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  __m256 acc[R];
  for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
  for (int b = 0; b < nblk; b++) {
    const int cnt = std::min(2, nblk - (b & ~1)), i = b & 1;
    const size_t pair = (size_t)(b & ~1) * NIB_BLOCK, qo = pair + 256 * i, so = pair + 256 * cnt + 32 * i;
    if (pf && i == 0)
      prefetch_range(pf + pair, cnt * NIB_BLOCK);
    __m256i id[R];
    offset_sums<R>(ar, coff, b, 8, id);
    nib_block<R>(pw + qo + 32 * h, ar, 32 * b, id);
    const __m256 ws = _mm256_cvtph_ps(_mm_load_si128((const __m128i*)(pw + so + 16 * h)));
    add_block<R>(id, ws, ar, soff, 32 * b, acc);
  }
  for (int r = 0; r < R; r++) _mm256_storeu_ps(out + r * GEMM_LD, acc[r]);
}

// Q5_0 panels at 5 bits: each chunk's nibbles get their fifth bit from the plane (one 16-bit
// shift brings step k's bits to bit 4 of every byte), giving the type's unsigned q (0..31); the
// int32 sums start at −16·Σa of the block, then as the int8 form. vpmaddubsw needs no sign trick,
// and a pair's sum is at most 2·31·127, so two chunks (four steps) add in 16 bits before vpmaddwd.
template <int R>
void gemm_q5_t(const uint8_t* pw, int h, int n, const uint8_t* const* ar, float* out, const uint8_t* pf) {
  const int nblk = n / 32;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  const __m256i bit4 = _mm256_set1_epi8(16);
  __m256 acc[R];
  for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
  for (int b = 0; b < nblk; b++) {
    const uint8_t* blk = pw + (size_t)b * Q5_BLOCK;
    if (pf)
      prefetch_range(pf + (size_t)b * Q5_BLOCK, Q5_BLOCK);
    __m256i id[R];
    offset_sums<R>(ar, coff, b, 16, id);
    const __m256i plane = _mm256_load_si256((const __m256i*)(blk + 256 + 32 * h));
    const auto step2 = [&](int k, const __m256i lo5, const __m256i hi5, __m256i* s16, bool first) {
      __m256i lo, hi;
      unpack_chunk(_mm256_load_si256((const __m256i*)(blk + 64 * k + 32 * h)), lo5, hi5, bit4, lo, hi);
      for (int r = 0; r < R; r++) {
        const __m256i p = pair16(lo, hi, bcast32(ar[r] + 32 * b + 4 * k), bcast32(ar[r] + 32 * b + 16 + 4 * k));
        s16[r] = first ? p : _mm256_add_epi16(s16[r], p);
      }
    };
    __m256i s16[R];
    step2(0, _mm256_slli_epi16(plane, 4), plane, s16, true);
    step2(1, _mm256_slli_epi16(plane, 3), _mm256_srli_epi16(plane, 1), s16, false);
    for (int r = 0; r < R; r++) id[r] = _mm256_add_epi32(id[r], widen16(s16[r]));
    step2(2, _mm256_slli_epi16(plane, 2), _mm256_srli_epi16(plane, 2), s16, true);
    step2(3, _mm256_slli_epi16(plane, 1), _mm256_srli_epi16(plane, 3), s16, false);
    for (int r = 0; r < R; r++) id[r] = _mm256_add_epi32(id[r], widen16(s16[r]));
    const __m256 ws = _mm256_cvtph_ps(_mm_load_si128((const __m128i*)(blk + 320 + 16 * h)));
    add_block<R>(id, ws, ar, soff, 32 * b, acc);
  }
  for (int r = 0; r < R; r++) _mm256_storeu_ps(out + r * GEMM_LD, acc[r]);
}

// Q6_K panels at 6 bits: each chunk's nibbles get their high bit pairs from the sub-block's plane
// (bits 2t, 2t+1 for step t, brought to bits 4, 5 by one 16-bit shift), giving the type's unsigned
// q (0..63); the int32 sums start at −32·Σa of the 16 values, the scales are d·sc as the int8 form
// stores them. A pair's sum is at most 2·63·127: one chunk (two steps) per vpmaddwd.
template <int R>
void gemm_q6_t(const uint8_t* pw, int h, int n, const uint8_t* const* ar, float* out, const uint8_t* pf) {
  const int nsb = n / 256;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  __m256 acc[R];
  for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
  for (int s = 0; s < nsb; s++) {
    const uint8_t* sp = pw + (size_t)s * Q6_SUPER;
    const __m256 dv = _mm256_load_ps((const float*)(sp + Q6_D + 32 * h));
    if (pf)  // the next panels' header of this super-block
      prefetch_range(pf + (size_t)s * Q6_SUPER, Q6_Q);
    for (int j = 0; j < 16; j++) {
      const uint8_t* sub = sp + Q6_Q + 192 * j;
      const int b = 16 * s + j;  // 16-value block of the row
      if (pf)
        prefetch_range(pf + (size_t)s * Q6_SUPER + Q6_Q + 192 * j, 192);
      __m256i id[R];
      for (int r = 0; r < R; r++) id[r] = _mm256_set1_epi32(((const int32_t*)(ar[r] + coff))[b] / 4);  // −32·Σa
      const __m256i plane = _mm256_load_si256((const __m256i*)(sub + 128 + 32 * h));
      const auto chunk = [&](int m, const __m256i lo2, const __m256i hi2s) {
        __m256i lo, hi;
        unpack_chunk(_mm256_load_si256((const __m256i*)(sub + 64 * m + 32 * h)), lo2, hi2s, bits45, lo, hi);
        for (int r = 0; r < R; r++)
          id[r] = _mm256_add_epi32(id[r], widen16(pair16(lo, hi, bcast32(ar[r] + 16 * b + 4 * m), bcast32(ar[r] + 16 * b + 8 + 4 * m))));
      };
      chunk(0, _mm256_slli_epi16(plane, 4), plane);
      chunk(1, _mm256_slli_epi16(plane, 2), _mm256_srli_epi16(plane, 2));
      const __m256 ws = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)(sp + Q6_SC + 16 * j + 8 * h)))), dv);
      add_block<R>(id, ws, ar, soff, 16 * b, acc);
    }
  }
  for (int r = 0; r < R; r++) _mm256_storeu_ps(out + r * GEMM_LD, acc[r]);
}

// Q4_K panels at 4 bits: sums from zero, FMA by (d·sc × activation scale), FNMA by (dmin·m ×
// activation scale × Σa of the block), as the AVX-512 kernel.
template <int R>
void gemm_q4k_t(const uint8_t* pw, int h, int n, const uint8_t* const* ar, float* out, const uint8_t* pf) {
  const int nsb = n / 256;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n);
  __m256 acc[R];
  for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_ps();
  for (int s = 0; s < nsb; s++) {
    const uint8_t* sp = pw + (size_t)s * Q4K_SUPER;
    const __m256 dv = _mm256_load_ps((const float*)(sp + Q4K_D + 32 * h));
    const __m256 dmv = _mm256_load_ps((const float*)(sp + Q4K_D + 64 + 32 * h));
    if (pf)  // the next panels' header of this super-block
      prefetch_range(pf + (size_t)s * Q4K_SUPER, Q4K_Q);
    float da[R];
    for (int r = 0; r < R; r++) std::memcpy(&da[r], ar[r] + soff + 4 * s, 4);
    for (int j = 0; j < 8; j++) {
      const int b = 8 * s + j;
      const size_t qo = (size_t)s * Q4K_SUPER + Q4K_Q + 256 * j;
      if (pf)
        prefetch_range(pf + qo, 256);
      __m256i id[R];
      for (int r = 0; r < R; r++) id[r] = _mm256_setzero_si256();
      nib_block<R>(pw + qo + 32 * h, ar, 32 * b, id);
      const uint8_t* sc = sp + Q4K_SC + 32 * j + 8 * h;
      const __m256 ws = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)sc))), dv);
      const __m256 wm = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i*)(sc + 16)))), dmv);
      for (int r = 0; r < R; r++) {
        const int32_t* c16 = (const int32_t*)(ar[r] + coff) + 2 * b;
        const __m256 sa = _mm256_set1_ps(da[r] * (float)((c16[0] + c16[1]) / -128));  // activation scale × Σq
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(id[r]), _mm256_mul_ps(ws, _mm256_set1_ps(da[r])), acc[r]);
        acc[r] = _mm256_fnmadd_ps(wm, sa, acc[r]);
      }
    }
  }
  for (int r = 0; r < R; r++) _mm256_storeu_ps(out + r * GEMM_LD, acc[r]);
}

using HalfFn = void (*)(const uint8_t*, int, int, const uint8_t* const*, float*, const uint8_t*);
template <template <int> class Kind, int... Rs>
constexpr std::array<HalfFn, sizeof...(Rs)> half_table(std::integer_sequence<int, Rs...>) { return {Kind<Rs + 1>::fn...}; }
// int8 kernels: both halves of a panel per pass for 2 rows (measured on Zen 2: verify k=2 x0.84;
// one row was 1.35x slower that way, 3-4 rows run out of registers)
constexpr int i8_halves(int R) { return R == 2 ? 2 : 1; }
template <int R> struct I8_32 { static constexpr HalfFn fn = gemm_i8_t<R, i8_halves(R)>; };
template <int R> struct Nib { static constexpr HalfFn fn = gemm_nib_t<R>; };
template <int R> struct Q4K { static constexpr HalfFn fn = gemm_q4k_t<R>; };
template <int R> struct Q5P { static constexpr HalfFn fn = gemm_q5_t<R>; };
template <int R> struct Q6P { static constexpr HalfFn fn = gemm_q6_t<R>; };
constexpr auto kRows = std::make_integer_sequence<int, GEMM_ROWS>();
constexpr auto kHalfQ8 = half_table<I8_32>(kRows);
constexpr auto kHalfNib = half_table<Nib>(kRows), kHalfQ4K = half_table<Q4K>(kRows), kHalfQ5P = half_table<Q5P>(kRows), kHalfQ6P = half_table<Q6P>(kRows);

// R rows × C panels: each panel's halves in turn (the panel stays in cache between them), or
// both in one pass; the pass from the first half prefetches the next panels' bytes.
void gemm_panels(const PanelFormat& f, const uint8_t* const* pw, int C, int n, const void* const* a, int R, float* out,
                 const uint8_t* const* prefetch) {
  const auto& t = f.q4k ? kHalfQ4K : f.nib ? kHalfNib : f.q5 ? kHalfQ5P : f.q6 ? kHalfQ6P : kHalfQ8;
  const HalfFn fn = t[R - 1];
  const int step = f.q4k || f.nib || f.q5 || f.q6 ? 1 : i8_halves(R);
  for (int c = 0; c < C; c++)
    for (int h = 0; h < 2; h += step) fn(pw[c], h, n, (const uint8_t* const*)a, out + 16 * c + 8 * h, prefetch && h == 0 ? prefetch[c] : nullptr);
}

size_t act32_bytes(int n) { return (size_t)(n / 32) * sizeof(ActQ8); }
void quant_act32(const float* x, int n, void* out) { quantize_act_q8(x, n, (ActQ8*)out); }

const Kernels K = {"avx2", act32_bytes, quant_act32, dot_q8_0, dot_q4_0, dot_q5_0, dot_q4_k, dot_q6_k, dot_f32, attn_scores, softmax_exp, attn_values, attn_scores_g, attn_values_g,
                   actp_bytes, quant_actp, gemm_panels, swiglu, argmax};

}  // namespace

const Kernels* kernels_avx2() { return &K; }

}  // namespace se
#pragma GCC pop_options
#else
#include "kernels.h"
namespace se { const Kernels* kernels_avx2() { return nullptr; } }
#endif
