#include "matmul.h"
#include <algorithm>
#include "panels.h"
#include "quant.h"

namespace se {

// a buffer of the calling thread, grown as needed and 64-byte aligned
template <class T>
static T* thread_buffer(int slot, size_t n) {
  thread_local std::vector<uint8_t> bufs[4];
  std::vector<uint8_t>& b = bufs[slot];
  if (b.size() < n * sizeof(T) + 64) b.resize(n * sizeof(T) + 64);
  return (T*)(((uintptr_t)b.data() + 63) & ~(uintptr_t)63);
}

static void ensure_q8(ThreadPool& pool, const Kernels* K, Acts& a) {
  if (a.q8) return;
  a.q8_row = (K->act32_bytes(a.n) + 63) & ~(size_t)63;
  uint8_t* q = thread_buffer<uint8_t>(0, a.q8_row * a.N);
  pool.parallel_for(a.N, [&](int t) { K->quant_act32(a.x + (size_t)t * a.n, a.n, q + (size_t)t * a.q8_row); });
  a.q8 = q;
}

static void ensure_q8k(ThreadPool& pool, Acts& a) {
  if (a.q8k) return;
  const int nb = a.n / 256;
  ActQ8K* q = thread_buffer<ActQ8K>(1, (size_t)a.N * nb);
  pool.parallel_for(a.N, [&](int t) { quantize_act_q8k(a.x + (size_t)t * a.n, a.n, q + (size_t)t * nb); });
  a.q8k = q;
}

static void ensure_qp(ThreadPool& pool, const Kernels* K, Acts& a) {
  if (a.qp) return;
  a.qp_row = K->actp_bytes(a.n);
  uint8_t* q = thread_buffer<uint8_t>(2, a.qp_row * a.N);
  pool.parallel_for(a.N, [&](int t) { K->quant_actp(a.x + (size_t)t * a.n, a.n, q + (size_t)t * a.qp_row); });
  a.qp = q;
}

// panels [p0, p1) of one packed matmul: groups of GEMM_PANELS panels outer (they stay in L1/L2
// while every group of GEMM_ROWS activation rows passes over them), activation rows inner
static void run_panels(const Kernels* K, const MatmulJob& j, Acts& a, int p0, int p1) {
  const Tensor& W = *j.W;
  const int n = (int)W.ne0, rows = (int)W.ne1, N = a.N;
  PanelFormat f = panel_format(W.type);
  const size_t stride = panel_stride(f, n);
  // 5- and 6-bit panels that several row groups multiply: widened once per group of panels into the
  // int8 form, which the kernel then reads from cache for every row group (unpacking them per
  // group cost verification and prefill 5% on a 2-vCPU Xeon VM, Q4_K_M files)
  const bool widen = (f.q5 || f.q6) && K->widen_panel && N > 2 * GEMM_ROWS;
  const PanelFormat narrow = f;
  if (widen) f = int8_form(f);
  const size_t wide = panel_stride(f, n);
  uint8_t* wbuf = widen ? thread_buffer<uint8_t>(3, GEMM_PANELS * wide) : nullptr;
  const uint8_t* base = a.qp;
  alignas(64) float r[GEMM_ROWS * GEMM_LD], tile[TILE_ROWS * GEMM_LD];
  // the int8 forms and Q4_K's have tile kernels
  const bool tiles = K->gemm_tile && N >= TILE_ROWS && (f.q4k || !(f.nib || f.q5 || f.q6));
  for (int p = p0; p < p1; p += GEMM_PANELS) {
    const int C = std::min(GEMM_PANELS, p1 - p);
    const uint8_t *pw[GEMM_PANELS], *pf[GEMM_PANELS];
    for (int c = 0; c < C; c++) {
      pw[c] = W.panels + (p + c) * stride;
      if (widen) {
        K->widen_panel(narrow, pw[c], n, wbuf + c * wide);
        pw[c] = wbuf + c * wide;
      }
    }
    // with several row groups, the first prefetches this task's next panels: memory works ahead
    // while the later groups compute from cache (one row group streams at the bandwidth bound)
    const bool ahead = N > GEMM_ROWS && p + GEMM_PANELS < p1;
    for (int c = 0; c < C; c++) pf[c] = W.panels + std::min(p1 - 1, p + GEMM_PANELS + c) * stride;
    // widened panels: the next ones' narrow bytes, a share per row group (the kernel's prefetch
    // reads the int8 layout)
    const size_t next = ahead && (widen || tiles) ? (size_t)std::min(GEMM_PANELS, p1 - p - GEMM_PANELS) * stride : 0;
    const int o0 = p * PANEL, o1 = std::min(rows, (p + C) * PANEL);
    auto put = [&](int t, const float* ri, int ob, int oe) {  // row t's outputs o0 + [ob, oe), from ri
      float* y = j.y + (size_t)t * j.ldy + o0;
      for (int o = ob; o < oe; o++) y[o] = j.bias ? ri[o - ob] + j.bias[o0 + o] : ri[o - ob];
    };
    // whole groups of TILE_ROWS rows through AMX tiles where the kernel set has them, the rest in
    // register tiles
    const int tiled = tiles ? N / TILE_ROWS * TILE_ROWS : 0;
    const int groups = tiled / TILE_ROWS + (N - tiled + GEMM_ROWS - 1) / GEMM_ROWS;
    for (int t0 = 0, g = 0; t0 < N; g++) {
      if (next) {
        const size_t share = (next + groups - 1) / groups, from = g * share;
        if (from < next) prefetch_range(pf[0] + from, std::min(share, next - from));
      }
      if (t0 < tiled) {
        K->gemm_tile(f, pw, C, n, base + (size_t)t0 * a.qp_row, a.qp_row, tile);
        for (int i = 0; i < TILE_ROWS; i++) put(t0 + i, tile + i * GEMM_LD, 0, o1 - o0);
        t0 += TILE_ROWS;
        continue;
      }
      const int R = std::min(GEMM_ROWS, N - t0);
      const void* ap[GEMM_ROWS];
      for (int i = 0; i < R; i++) ap[i] = base + (size_t)(t0 + i) * a.qp_row;
      K->gemm_panels(f, pw, C, n, ap, R, r, ahead && !next && t0 == 0 ? pf : nullptr);
      for (int i = 0; i < R; i++) put(t0 + i, r + i * GEMM_LD, 0, o1 - o0);
      t0 += R;
    }
  }
}

// rows [o0, o1) of one matmul
static void run_rows(const Kernels* K, const MatmulJob& j, Acts& a, int o0, int o1) {
  const Tensor& W = *j.W;
  const int n = (int)W.ne0, N = a.N, nb = n / block_size(W.type);
  const bool k256 = W.type == T_Q4_K || W.type == T_Q6_K;
  const bool q32 = W.type == T_Q8_0 || W.type == T_Q4_0 || W.type == T_Q5_0;
  float* y = j.y;
  if (!k256 && !q32) {
    // float weights: dequantize the row once, then one dot per activation row
    thread_local std::vector<float> wrow;
    wrow.resize(n);
    for (int o = o0; o < o1; o++) {
      dequantize_row(W.type, W.row(o), n, wrow.data());
      const float b = j.bias ? j.bias[o] : 0.f;
      for (int t = 0; t < N; t++) y[(size_t)t * j.ldy + o] = K->dot_f32(wrow.data(), a.x + (size_t)t * n, n) + b;
    }
    return;
  }
  // token groups outer, rows inner: the chunk's weight rows and one group's activations
  // both stay in L1 (rows outer re-streamed every activation row from L2 for each weight row)
  float r[MAX_T];
  for (int t0 = 0; t0 < N; t0 += MAX_T) {
    const int T = std::min(MAX_T, N - t0);
    const void* ap[MAX_T];
    for (int i = 0; i < T; i++)
      ap[i] = k256 ? (const void*)&a.q8k[(size_t)(t0 + i) * nb] : (const void*)&a.q8[(size_t)(t0 + i) * a.q8_row];
    for (int o = o0; o < o1; o++) {
      const void* w = W.row(o);
      switch (W.type) {
        case T_Q4_K: K->dot_q4_k(w, (const ActQ8K* const*)ap, nb, T, r); break;
        case T_Q6_K: K->dot_q6_k(w, (const ActQ8K* const*)ap, nb, T, r); break;
        case T_Q8_0: K->dot_q8_0(w, ap, nb, T, r); break;
        case T_Q4_0: K->dot_q4_0(w, ap, nb, T, r); break;
        default: K->dot_q5_0(w, ap, nb, T, r); break;
      }
      const float b = j.bias ? j.bias[o] : 0.f;
      for (int i = 0; i < T; i++) y[(size_t)(t0 + i) * j.ldy + o] = r[i] + b;
    }
  }
}

void matmul_many(ThreadPool& pool, const Kernels* K, const MatmulJob* jobs, int count, Acts& a) {
  struct Range { int job, o0, o1; };
  std::vector<Range> tasks;
  for (int i = 0; i < count; i++) {
    const Tensor& W = *jobs[i].W;
    if (W.panels) {  // ranges of whole panel groups
      ensure_qp(pool, K, a);
      const int np = panel_count(W.ne1);
      // several panel groups per task when rows are many, so prefetching ahead stays in the task
      const int per = a.N > GEMM_ROWS ? 3 : 8;
      const int chunk = GEMM_PANELS * std::max(1, std::min(6, np / (pool.size() * per * GEMM_PANELS)));
      for (int p = 0; p < np; p += chunk) tasks.push_back({i, p, std::min(np, p + chunk)});
      continue;
    }
    if (W.type == T_Q4_K || W.type == T_Q6_K) ensure_q8k(pool, a);
    if (W.type == T_Q8_0 || W.type == T_Q4_0 || W.type == T_Q5_0) ensure_q8(pool, K, a);
    const int out = (int)W.ne1;
    // rows per task: small enough to balance threads, large enough to amortize task overhead
    const int chunk = std::max(1, std::min(16, out / (pool.size() * 8)));
    for (int o = 0; o < out; o += chunk) tasks.push_back({i, o, std::min(out, o + chunk)});
  }
  pool.parallel_for((int)tasks.size(), [&](int t) {
    const MatmulJob& j = jobs[tasks[t].job];
    if (j.W->panels) run_panels(K, j, a, tasks[t].o0, tasks[t].o1);
    else run_rows(K, j, a, tasks[t].o0, tasks[t].o1);
  });
}

void matmul(ThreadPool& pool, const Kernels* K, const Tensor& W, Acts& a, float* y, int ldy, const float* bias) {
  MatmulJob j{&W, y, ldy, bias};
  matmul_many(pool, K, &j, 1, a);
}

}  // namespace se
