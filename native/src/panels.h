// Quantized weights repacked for a GEMM kernel: 16 output rows form a panel whose int8 values
// are interleaved 4 at a time, so one 64-byte load feeds one vpdpbusd for all 16 outputs and
// the loaded weights serve several activation rows from registers. Row-major blocks (one dot
// per output row) spent most of their time on per-row horizontal work instead of multiply-adds.
//
// Every block type becomes int8 values with a scale (and for Q4_K an offset) per block of
// `bl` values: value = scale · q − offset, exactly as the type defines it (Q4_0/Q5_0 nibbles
// recentred, Q4_K's d·sc and dmin·m, Q6_K's d·sc per 16 values are exact in float).
#pragma once
#include "model.h"
#include "threadpool.h"

namespace se {

constexpr int PANEL = 16;  // output rows per panel

struct PanelFormat {
  int bl = 0;               // values per block (32, or 16 for Q6_K); 0: the type has no panel form
  bool f16_scales = false;  // scales as f16 (the type's own), else f32
  bool offsets = false;     // f32 offsets per block (Q4_K's mins)
};
PanelFormat panel_format(int type);

// Panel layout for rows of n values: for each block b and step k < bl/4, 64 bytes holding
// values 4k..4k+3 of block b of each of the 16 rows, +128 as unsigned bytes; then the 16 rows'
// scales per block; then their offsets per block. Rows past the matrix's end are zero.
// Panels are 64-byte aligned.
size_t panel_stride(const PanelFormat& f, int n);
inline int panel_count(int64_t rows) { return (int)((rows + PANEL - 1) / PANEL); }

// Bytes of W's panels (0 when its type has no panel form), and panels [p0, p1) of W packed at
// dst (dst: 64-byte aligned, panel p at dst + p · panel_stride).
size_t panel_bytes(const Tensor& W);
void pack_panels(const Tensor& W, uint8_t* dst, int p0, int p1);

// Pack every matrix of the model that a kernel multiplies (not the embedding rows) and has a
// panel form, into one arena the model owns (panel_arena, panel_bytes); sets each `panels`.
void pack_model_panels(Model& m, ThreadPool& pool);

}  // namespace se
