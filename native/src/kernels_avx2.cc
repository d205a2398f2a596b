// AVX2 + FMA + F16C kernels (CPUs without AVX-512): int8 dot products through
// vpmaddubsw / vpmaddwd, one weight unpack shared by up to MAX_T activation rows.
#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#include <immintrin.h>
#include "kernels.h"
#include <algorithm>
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

size_t act32_bytes(int n) { return (size_t)(n / 32) * sizeof(ActQ8); }
void quant_act32(const float* x, int n, void* out) { quantize_act_q8(x, n, (ActQ8*)out); }

const Kernels K = {"avx2", act32_bytes, quant_act32, dot_q8_0, dot_q4_0, dot_q5_0, dot_q4_k, dot_q6_k, dot_f32, attn_scores, softmax_exp, attn_values, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};

}  // namespace

const Kernels* kernels_avx2() { return &K; }

}  // namespace se
#pragma GCC pop_options
#else
#include "kernels.h"
namespace se { const Kernels* kernels_avx2() { return nullptr; } }
#endif
