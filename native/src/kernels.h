// Per-ISA kernel table. Each implementation (scalar, AVX2, AVX-512 VNNI) computes a given
// output with a fixed operation order that depends only on that output's own inputs, never
// on how many rows are processed together: this is what makes the forward batch-invariant.
#pragma once
#include <utility>
#include "common.h"

namespace se { struct PanelFormat; }

namespace se {

constexpr int MAX_T = 8;  // activation rows sharing one pass over a weight row
// Register tile of the packed-panel GEMM: activation rows × panels of 16 outputs per call
constexpr int GEMM_ROWS = 4, GEMM_PANELS = 3, GEMM_LD = GEMM_PANELS * 16;

struct Kernels {
  const char* name;
  // Activation rows for the 32-value block types, in a layout of the kernel set's choosing
  // (scalar/AVX2: ActQ8 blocks; AVX-512: unsigned bytes plus pre-broadcast scales).
  size_t (*act32_bytes)(int n);
  void (*quant_act32)(const float* x, int n, void* out);
  // out[t] = <weight row, activation row t> for t < T (1..MAX_T); nb = blocks in the row
  void (*dot_q8_0)(const void* w, const void* const* a, int nb, int T, float* out);
  void (*dot_q4_0)(const void* w, const void* const* a, int nb, int T, float* out);
  void (*dot_q5_0)(const void* w, const void* const* a, int nb, int T, float* out);
  void (*dot_q4_k)(const void* w, const ActQ8K* const* a, int nb, int T, float* out);
  void (*dot_q6_k)(const void* w, const ActQ8K* const* a, int nb, int T, float* out);
  float (*dot_f32)(const float* a, const float* b, int n);
  // Attention over n cached keys of one kv head. K blocks are [hd][bs] (keys contiguous per
  // dimension), V blocks [bs][hd]; i8 caches carry one scale per key (scales non-null).
  void (*attn_scores)(const float* q, int n, const void* const* kblk, const float* const* kscale, bool i8,
                      int bs, int hd, float* s);
  // s[j] = exp(s[j] - max) for j < n; returns the sum
  float (*softmax_exp)(float* s, int n, float max);
  // out[d] = sum_j p[j] * v_j[d]
  void (*attn_values)(const float* p, int n, const void* const* vblk, const float* const* vscale, bool i8,
                      int bs, int hd, float* out);
  // The same for the G query heads sharing one kv head (q, s, p, out: G rows with the given
  // strides), so each K/V vector is loaded and converted once for all of them. Optional
  // (nullptr: per head); each head's arithmetic must not depend on G.
  void (*attn_scores_g)(const float* q, int G, int n, const void* const* kblk, const float* const* kscale, bool i8,
                        int bs, int hd, float* s, size_t s_stride);
  void (*attn_values_g)(const float* p, size_t p_stride, int G, int n, const void* const* vblk, const float* const* vscale,
                        bool i8, int bs, int hd, float* out, size_t out_stride);
  // Optional (nullptr: the row-major dot kernels): weights repacked into panels (panels.h),
  // R (1..GEMM_ROWS) activation rows × C (1..GEMM_PANELS) panels per call, rows of n values,
  // out[r * GEMM_LD + 16 * c + i]. Activations in this kernel's own layout (actp_bytes /
  // quant_actp), one scale per ACT_GROUP as in the row-major kernels.
  size_t (*actp_bytes)(int n);
  void (*quant_actp)(const float* x, int n, void* out);
  // prefetch (or nullptr): GEMM_PANELS panels to bring in while these are computed.
  void (*gemm_panels)(const PanelFormat& f, const uint8_t* const* panels, int C, int n, const void* const* a, int R, float* out,
                      const uint8_t* const* prefetch);
  // Optional (nullptr: the plain loops in forward.cc): g[i] = silu(g[i]) * u[i]; index of the
  // largest of n values (lowest index among equals).
  void (*swiglu)(float* g, const float* u, int n);
  int (*argmax)(const float* x, int n);
  // Optional: one panel of a narrow form (f.q5 or f.q6) rewritten in the type's int8 form (dst:
  // panel_stride of int8_form(f)), for calls whose several row groups would each unpack it again
  void (*widen_panel)(const PanelFormat& f, const uint8_t* panel, int n, uint8_t* dst) = nullptr;
  // Optional: TILE_ROWS activation rows (a: the first, rows lda bytes apart, quant_actp's layout) ×
  // C (1..GEMM_PANELS) panels in the int8 form or Q4_K's, out as gemm_panels'; the same bits.
  void (*gemm_tile)(const PanelFormat& f, const uint8_t* const* panels, int C, int n, const uint8_t* a, size_t lda, float* out) = nullptr;
};

constexpr int TILE_ROWS = 16;

// Requests `bytes` from p on into the cache, one 64-byte line at a time (prefetcht0): weights or KV
// blocks on their way from memory while the current ones are computed.
inline void prefetch_range(const void* p, size_t bytes) {
  for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch((const char*)p + o, 0, 3);
}

// Calls f.template operator()<N>() for the N in 1..Max equal to n: a run-time count (of query
// heads) to the template argument a kernel's register tile is built for.
template <int Max, class F>
inline void with_count(int n, F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) { (void)((n == I + 1 && (f.template operator()<I + 1>(), true)) || ...); }(std::make_integer_sequence<int, Max>());
}

const Kernels* kernels_scalar();
const Kernels* kernels_avx2();    // nullptr when not compiled in
const Kernels* kernels_avx512();  // nullptr when not compiled in
const Kernels* kernels_amx();     // the AVX-512 set with AMX tiles; nullptr without them

}  // namespace se
