// AMX tiles (Sapphire Rapids and later Intel CPUs) for the panel GEMM's many-row calls: one
// tdpbsud multiplies 16 activation rows by a block of one panel (16 outputs × 32 values) into a
// 16×16 int32 tile, the work of 128 vpdpbusd. Scales differ per 32-value block, so every block's
// tile goes through the same float epilogue as the AVX-512 kernels' (add_blocks: convert, FMA by
// weight scales × activation scale), row by row: the output bits equal the register kernels', so
// decoding one row and verifying sixteen stay batch-invariant. Everything else is the AVX-512 set.
#if defined(__x86_64__) && defined(__linux__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c,amx-tile,amx-int8")
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cstring>
#include "kernels.h"
#include "panels.h"
#include "quant.h"

namespace se {
namespace {

// The CPU has AMX-TILE and AMX-INT8, and Linux lets this process use the tile data state (it is
// off until asked for, since it adds 8 KB to every context switch's save area).
bool amx_usable() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 25))) return false;
  constexpr long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
  return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

// Tile 0: activations (16 rows × BL bytes); 1..3: weights of up to three panels (BL/4 rows × 64
// bytes, the panel layout as it is); 4..6: their int32 sums. Loaded once per thread and block length.
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0, reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
// GCC 12's intrinsics tell the compiler too little: as far as it knows ldtilecfg reads 8 bytes of
// the config and tileloadd no memory at all, so it drops or sinks the stores they depend on (the
// tile shapes: an illegal-instruction fault). Our own statements name the memory.
#define TILE_LOAD(t, p, stride) __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #t ::"r"(p), "r"((long)(stride)) : "memory")
thread_local int shaped_for = 0;  // the block length this thread's tiles are configured for
template <int BL>
void configure() {
  if (shaped_for == BL) return;
  TileConfig c;
  c.rows[0] = 16, c.colsb[0] = BL;
  for (int t = 1; t <= 3; t++) c.rows[t] = BL / 4, c.colsb[t] = 64;
  for (int t = 4; t <= 6; t++) c.rows[t] = 16, c.colsb[t] = 64;
  __asm__ volatile("ldtilecfg %0" ::"m"(c));
  shaped_for = BL;
}

// Q4_K's block j of super-block s as the tile wants it: row k of the int8 form's steps (values
// 4k..4k+3 of the 16 rows) from the low nibbles of chunk k < 4, the high ones for k ≥ 4.
inline void q4k_block_bytes(const uint8_t* q, uint8_t* dst) {
  const __m512i m4 = _mm512_set1_epi8(15);
  for (int k = 0; k < 4; k++) {
    const __m512i x = _mm512_load_si512((const void*)(q + 64 * k));
    _mm512_store_si512((void*)(dst + 64 * k), _mm512_and_si512(x, m4));
    _mm512_store_si512((void*)(dst + 64 * (4 + k)), _mm512_and_si512(_mm512_srli_epi16(x, 4), m4));
  }
}

// 16 activation rows (a, rows lda bytes apart, actp layout) × C panels: out[r * GEMM_LD + 16 c + i].
// I8: the int8 form (blocks of BL values, f16 or f32 scales); else Q4_K's form.
template <int C, int BL, bool F16S, bool Q4K>
void tile_t(const uint8_t* const* pw, int n, const uint8_t* a, size_t lda, float* out) {
  configure<BL>();
  const int nblk = n / BL;
  const size_t coff = actp_corr_off(n), soff = actp_scale_off(n), wbytes = (size_t)nblk * 16 * BL;
  alignas(64) int32_t sums[C][256];
  alignas(64) uint8_t wq[C][512];
  for (int i = 0; i < 16 * GEMM_LD; i++) out[i] = 0.f;
  __m512 dv[C], dmv[C];
  for (int b = 0; b < nblk; b++) {
    // the products, then the stores that wait for them (issuing the next block's products ahead of
    // this one's float work measured no faster: the tile unit and the vector units took turns)
    TILE_LOAD(0, a + BL * b, lda);
    const uint8_t* w[3];
    for (int c = 0; c < C; c++) {
      w[c] = pw[c] + (size_t)b * 16 * BL;
      if (Q4K) q4k_block_bytes(pw[c] + (size_t)(b / 8) * Q4K_SUPER + Q4K_Q + 256 * (b % 8), wq[c]), w[c] = wq[c];
    }
    TILE_LOAD(1, w[0], 64);
    _tile_zero(4);
    _tile_dpbsud(4, 0, 1);
    if constexpr (C > 1) { TILE_LOAD(2, w[1], 64); _tile_zero(5); _tile_dpbsud(5, 0, 2); }
    if constexpr (C > 2) { TILE_LOAD(3, w[2], 64); _tile_zero(6); _tile_dpbsud(6, 0, 3); }
    _tile_stored(4, sums[0], 64);
    if constexpr (C > 1) _tile_stored(5, sums[1], 64);
    if constexpr (C > 2) _tile_stored(6, sums[2], 64);
    __m512 ws[C], wm[C];
    const int sb = b / 8;
    for (int c = 0; c < C; c++) {
      if (!Q4K) {
        ws[c] = F16S ? _mm512_cvtph_ps(_mm256_load_si256((const __m256i*)(pw[c] + wbytes + 32 * b)))
                     : _mm512_load_ps((const float*)(pw[c] + wbytes + 64 * b));
        continue;
      }
      const uint8_t* sp = pw[c] + (size_t)sb * Q4K_SUPER;
      if (b % 8 == 0) dv[c] = _mm512_load_ps((const float*)(sp + Q4K_D)), dmv[c] = _mm512_load_ps((const float*)(sp + Q4K_D + 64));
      const uint8_t* sc = sp + Q4K_SC + 32 * (b % 8);
      ws[c] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128((const __m128i*)sc))), dv[c]);
      wm[c] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128((const __m128i*)(sc + 16)))), dmv[c]);
    }
#pragma GCC unroll 4
    for (int r = 0; r < 16; r++) {
      const uint8_t* ar = a + r * lda;
      const int32_t* c16 = (const int32_t*)(ar + coff) + b * (BL / 16);
      float da;
      std::memcpy(&da, ar + soff + 4 * (b * BL / ACT_GROUP), 4);
      const __m512 dav = _mm512_set1_ps(da);
      if (!Q4K) {  // as add_blocks: the block's sums from −128·Σa, convert, FMA by weight scale × da
        const __m512i corr = _mm512_set1_epi32(BL == 32 ? c16[0] + c16[1] : c16[0]);
        for (int c = 0; c < C; c++) {
          float* o = out + r * GEMM_LD + 16 * c;
          const __m512i id = _mm512_add_epi32(_mm512_load_si512((const void*)(sums[c] + 16 * r)), corr);
          _mm512_store_ps(o, _mm512_fmadd_ps(_mm512_cvtepi32_ps(id), _mm512_mul_ps(ws[c], dav), _mm512_load_ps(o)));
        }
      } else {  // as gemm_q4k_t: FMA by d·sc × da, FNMA by dmin·m × da·Σq
        const __m512 sa = _mm512_set1_ps(da * (float)((c16[0] + c16[1]) / -128));
        for (int c = 0; c < C; c++) {
          float* o = out + r * GEMM_LD + 16 * c;
          const __m512 id = _mm512_cvtepi32_ps(_mm512_load_si512((const void*)(sums[c] + 16 * r)));
          _mm512_store_ps(o, _mm512_fnmadd_ps(wm[c], sa, _mm512_fmadd_ps(id, _mm512_mul_ps(ws[c], dav), _mm512_load_ps(o))));
        }
      }
    }
  }
}

template <int C>
void gemm_tile_c(const PanelFormat& f, const uint8_t* const* pw, int n, const uint8_t* a, size_t lda, float* out) {
  if (f.q4k) tile_t<C, 32, false, true>(pw, n, a, lda, out);
  else if (f.bl == 32) tile_t<C, 32, true, false>(pw, n, a, lda, out);
  else tile_t<C, 16, false, false>(pw, n, a, lda, out);
}

void gemm_tile(const PanelFormat& f, const uint8_t* const* pw, int C, int n, const uint8_t* a, size_t lda, float* out) {
  if (C == 3) gemm_tile_c<3>(f, pw, n, a, lda, out);
  else if (C == 2) gemm_tile_c<2>(f, pw, n, a, lda, out);
  else gemm_tile_c<1>(f, pw, n, a, lda, out);
}

Kernels make_amx() {
  Kernels k = *kernels_avx512();
  k.name = "avx512-amx";
  k.gemm_tile = gemm_tile;
  return k;
}

}  // namespace

const Kernels* kernels_amx() {
  if (!kernels_avx512()) return nullptr;
  static const bool usable = amx_usable();
  static const Kernels K = make_amx();
  return usable ? &K : nullptr;
}

}  // namespace se
#pragma GCC pop_options
#else
#include "kernels.h"
namespace se { const Kernels* kernels_amx() { return nullptr; } }
#endif
