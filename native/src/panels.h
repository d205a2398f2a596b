// Quantized weights repacked for a GEMM kernel: 16 output rows form a panel whose values are
// interleaved 4 at a time, so one 64-byte load feeds one vpdpbusd for all 16 outputs and the
// loaded weights serve several activation rows from registers. Row-major blocks (one dot per
// output row) spent most of their time on per-row horizontal work instead of multiply-adds.
//
// Q8_0 becomes int8 values with a scale per block of 32: value = scale · q, exactly as the type
// defines it. The other types keep their width, unpacked in registers: Q4_0 as nibbles with the
// type's f16 scale, value = d · (q − 8); Q4_K as nibbles with its sub-block scales and mins as bytes
// and d, dmin per 256 values: value = d·sc · q − dmin·m; Q5_0 as nibbles plus a plane of fifth
// bits; Q6_K as nibbles plus a plane of high bit pairs with the type's own scales. Unpacking costs
// about what one activation row's multiply-adds do, so a call with many row groups widens each
// panel of the 5- and 6-bit forms once into their int8 form (int8_form: value = scale · q, Q6_K's
// d·sc per 16 values exact in float) where the kernel set can (Kernels::widen_panel). Measured on
// a 2-vCPU Intel Xeon VM (AVX-512 VNNI) against int8 panels in memory: decode 14% (0.5B Q4_K_M:
// Q5_0 and Q8_0 for its 896-wide rows) and 7% (1.5B Q4_K_M) faster, verification and prefill
// within 2%.
#pragma once
#include "kernels.h"
#include "model.h"
#include "quant.h"
#include "threadpool.h"

namespace se {

constexpr int PANEL = 16;  // output rows per panel

struct PanelFormat {
  int bl = 0;               // values per block (32, or 16 for Q6_K); 0: the type has no panel form
  bool f16_scales = false;  // scales as f16 (the type's own), else f32
  bool q4k = false;         // Q4_K's 4-bit layout (below) instead of int8 values
  bool nib = false;         // Q4_0's nibble layout (below) instead of int8 values
  bool q5 = false;          // Q5_0's nibbles plus a fifth-bit plane (below) instead of int8 values
  bool q6 = false;          // Q6_K's nibbles plus a plane of high bit pairs (below) instead of int8 values
};
// The layout the kernels' gemm_panels read a type in
PanelFormat panel_format(int type);
// The int8 form of a narrow (5- or 6-bit) format's type: what Kernels::widen_panel writes
inline PanelFormat int8_form(PanelFormat f) { f.q5 = f.q6 = false; return f; }

// Panel layout for rows of n values, int8 form: for each block b and step k < bl/4, 64 bytes
// holding values 4k..4k+3 of block b of each of the 16 rows, +128 as unsigned bytes; then the
// 16 rows' scales per block. Rows past the matrix's end are zero. Panels are 64-byte aligned.
//
// Nibble form (Q4_0), per pair of 32-value blocks (the last "pair" of an odd count holds one
// block; cnt = blocks in the pair):
//   - for each block, 4 chunks of 64 bytes as Q4_K's below (the type's unsigned q, 0..15);
//   - for each block, the 16 rows' f16 scales.
// A pair takes cnt · NIB_BLOCK bytes: 64-byte aligned for whole pairs.
//
// Q5_0 form, per 32-value block (Q5_BLOCK bytes, 32-byte aligned):
//   - 4 chunks of 64 bytes as the nibble form's: the low 4 bits of the type's unsigned q (0..31);
//   - a plane of 64 bytes: row c's fifth bits at bytes 4c..4c+3, byte j holding in bit k that of
//     value 4k+j and in bit 4+k that of value 16+4k+j (k < 4), so one 16-bit shift per chunk
//     brings a step's fifth bits to bit 4 of every byte;
//   - the 16 rows' f16 scales.
//
// Q6_K form, per 256-value super-block (Q6_SUPER bytes, 64-byte aligned, its
// header first as Q4_K's):
//   - the 16 sub-blocks' scales as the type's int8, 16 rows each (sub-block j at Q6_SC + 16j);
//   - the 16 rows' d as f32 (Q6_D);
//   - for each 16-value sub-block j, 192 bytes from Q6_Q: 2 chunks of 64 bytes, chunk m holding for row c at
//     bytes 4c..4c+3 the low 4 bits of values 4m..4m+3 of the sub-block (low nibbles) and
//     8+4m..8+4m+3 (high nibbles), then a 64-byte plane whose byte 4c+i holds in bits 2t, 2t+1 the
//     high 2 bits of value 4t+i (the type's unsigned q, 0..63).
// d·sc is exact in float (11-bit times 8-bit factors): the kernel forms the int8 form's scales.
//
// Q4_K form, per 256-value super-block s (Q4K_SUPER bytes, in this order, its header first):
//   - for each of its 8 blocks of 32 values, the 16 rows' sub-block scales sc (16 bytes), then
//     their mins m (16 bytes), from Q4K_SC;
//   - the 16 rows' d as f32, then their dmin as f32, from Q4K_D;
//   - for each block, 4 chunks of 64 bytes from Q4K_Q: chunk j holds, for row c at bytes
//     4c..4c+3, values 4j..4j+3 of the block in the low nibbles and values 16+4j..16+4j+3 in the
//     high nibbles (the type's q, 0..15).
// The header comes first so that a decode, reading it before the values, walks each panel
// forward: with it after the values, the AVX2 decode of the 1.5B Q4_K_M shape took 79.9 ms instead
// of 57.3 side by side (the hardware prefetcher loses a stream that jumps back 2 KB every
// super-block).
// d·sc and dmin·m are exact in float (11-bit and 6-bit factors), so the kernel's products equal
// the dequantized scales.
constexpr size_t NIB_BLOCK = 256 + 32, Q5_BLOCK = 256 + 64 + 32;
constexpr size_t Q6_SC = 0, Q6_D = 16 * 16, Q6_Q = Q6_D + 64, Q6_SUPER = Q6_Q + 16 * 192;
constexpr size_t Q4K_SC = 0, Q4K_D = 8 * 32, Q4K_Q = Q4K_D + 128, Q4K_SUPER = Q4K_Q + 8 * 256;
size_t panel_stride(const PanelFormat& f, int n);
inline int panel_count(int64_t rows) { return (int)((rows + PANEL - 1) / PANEL); }

// Bytes of W's panels (0 when its type has no panel form), and panels [p0, p1) of W packed at
// dst (dst: 64-byte aligned, panel p at dst + p · panel_stride).
size_t panel_bytes(const Tensor& W, const Kernels& K);
void pack_panels(const Tensor& W, const Kernels& K, uint8_t* dst, int p0, int p1);

// Activation rows for the panel GEMM, as the AVX2 and AVX-512 kernels' quant_actp write them:
// n signed bytes (padded to 64), then per 16 values −128·Σq as int32 (the int8 panels' accumulator
// start, cancelling their +128; also the sums that Q4_0's and Q4_K's offsets need), then one float
// scale per ACT_GROUP values.
inline size_t actp_corr_off(int n) { return ((size_t)n + 63) & ~(size_t)63; }
inline size_t actp_scale_off(int n) { return actp_corr_off(n) + (size_t)(n / 16) * 4; }
inline size_t actp_bytes(int n) { return (actp_scale_off(n) + (size_t)(n / ACT_GROUP + 1) * 4 + 63) & ~(size_t)63; }

// Pack every matrix of the model that a kernel multiplies (not the embedding rows) and has a
// panel form, into one arena the model owns (panel_arena, panel_bytes); sets each `panels`.
void pack_model_panels(Model& m, const Kernels& K, ThreadPool& pool);

}  // namespace se
