// Q8_0 weights repacked for a GEMM kernel: 16 output rows form a panel whose values are
// interleaved 4 at a time, so one 64-byte load feeds one vpdpbusd for all 16 outputs and the
// loaded weights serve several activation rows from registers. Row-major Q8_0 (one dot per
// output row) spent most of its time on per-row horizontal work instead of multiply-adds.
#pragma once
#include "model.h"
#include "threadpool.h"

namespace se {

constexpr int PANEL = 16;  // output rows per panel

// Panel layout, for nb 32-value blocks: nb × 512 bytes of weights (block b, step k: the 4 values
// 4k..4k+3 of each of the 16 rows, +128 as unsigned bytes), then nb × 16 f16 scales; rows past
// the matrix's end are zero. Panels are 64-byte aligned.
inline size_t panel_stride(int nb) { return ((size_t)nb * (512 + 32) + 63) & ~(size_t)63; }
inline int panel_count(int64_t rows) { return (int)((rows + PANEL - 1) / PANEL); }

void pack_q8_0_panel(const Tensor& W, int p, uint8_t* dst);

// Pack every Q8_0 matrix of the model that a kernel multiplies (not the embedding rows), into
// one arena; returns it (caller frees) and sets each tensor's `panels`.
uint8_t* pack_model_panels(Model& m, ThreadPool& pool, size_t* bytes);

}  // namespace se
