#include "panels.h"
#include <sys/mman.h>
#include <cstdlib>
#include <stdexcept>
#include "quant.h"

namespace se {

PanelFormat panel_format(int type) {
  switch (type) {
    case T_Q8_0: return {32, true};
    case T_Q5_0: return {32, true, false, false, true};
    case T_Q4_0: return {32, true, false, true};
    case T_Q4_K: return {32, false, true};
    case T_Q6_K: return {16, false, false, false, false, true};
    default: return {};
  }
}

size_t panel_stride(const PanelFormat& f, int n) {
  if (f.q4k) return (size_t)(n / 256) * Q4K_SUPER;
  if (f.nib) return ((size_t)(n / 32) * NIB_BLOCK + 63) & ~(size_t)63;
  if (f.q5) return ((size_t)(n / 32) * Q5_BLOCK + 63) & ~(size_t)63;
  if (f.q6) return (size_t)(n / 256) * Q6_SUPER;
  const size_t nblk = n / f.bl;
  return (nblk * (16 * f.bl + 16 * (f.f16_scales ? 2 : 4)) + 63) & ~(size_t)63;
}

// One row as int8 blocks: value i = scale[i / bl] · q[i]. The scale is kept
// as the type's f16 bits when the format says so (sc16), else as a float.
static void row_blocks(int type, const uint8_t* row, int n, int8_t* q, uint16_t* sc16, float* sc) {
  switch (type) {
    case T_Q8_0: {
      auto* b = (const BlockQ8_0*)row;
      for (int i = 0; i < n / 32; i++) { sc16[i] = b[i].d; std::memcpy(q + 32 * i, b[i].qs, 32); }
      return;
    }
    case T_Q4_0: {
      auto* b = (const BlockQ4_0*)row;
      for (int i = 0; i < n / 32; i++) {
        sc16[i] = b[i].d;
        for (int j = 0; j < 16; j++) { q[32 * i + j] = (int8_t)((b[i].qs[j] & 15) - 8); q[32 * i + j + 16] = (int8_t)((b[i].qs[j] >> 4) - 8); }
      }
      return;
    }
    case T_Q5_0: {
      auto* b = (const BlockQ5_0*)row;
      for (int i = 0; i < n / 32; i++) {
        sc16[i] = b[i].d;
        uint32_t qh; std::memcpy(&qh, b[i].qh, 4);
        for (int j = 0; j < 16; j++) {
          q[32 * i + j] = (int8_t)(((b[i].qs[j] & 15) | (((qh >> j) & 1) << 4)) - 16);
          q[32 * i + j + 16] = (int8_t)(((b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16);
        }
      }
      return;
    }
    case T_Q6_K: {
      auto* b = (const BlockQ6_K*)row;
      for (int i = 0; i < n / 256; i++) {
        const float d = h2f(b[i].d);
        for (int j = 0; j < 16; j++) sc[16 * i + j] = d * b[i].scales[j];
        for (int h = 0; h < 2; h++) {
          const uint8_t* ql = b[i].ql + 64 * h;
          const uint8_t* qh = b[i].qh + 32 * h;
          for (int l = 0; l < 32; l++) {
            const int v[4] = {(ql[l] & 15) | ((qh[l] & 3) << 4), (ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4),
                              (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4), (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)};
            for (int k = 0; k < 4; k++) q[256 * i + 128 * h + l + 32 * k] = (int8_t)(v[k] - 32);
          }
        }
      }
      return;
    }
  }
  throw std::runtime_error(std::string("no panel form for ") + type_name(type));
}

// Panel p of a Q4_K matrix in the 4-bit form (panels.h)
static void pack_panel_q4k(const Tensor& W, int p, uint8_t* dst) {
  const int nsb = (int)W.ne0 / 256;
  std::memset(dst, 0, (size_t)nsb * Q4K_SUPER);
  for (int c = 0; c < PANEL; c++) {
    const int64_t o = (int64_t)p * PANEL + c;
    if (o >= W.ne1) continue;  // rows past the end stay zero
    auto* blk = (const BlockQ4_K*)W.row(o);
    for (int s = 0; s < nsb; s++) {
      uint8_t* sb = dst + (size_t)s * Q4K_SUPER;
      const BlockQ4_K& B = blk[s];
      const float d = h2f(B.d), dmin = h2f(B.dmin);
      std::memcpy(sb + Q4K_D + 4 * c, &d, 4);
      std::memcpy(sb + Q4K_D + 64 + 4 * c, &dmin, 4);
      for (int j = 0; j < 8; j++) {
        int scj, m;
        const uint8_t* sc = B.scales;
        if (j < 4) { scj = sc[j] & 63; m = sc[j + 4] & 63; }
        else { scj = (sc[j + 4] & 15) | ((sc[j - 4] >> 6) << 4); m = (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4); }
        sb[Q4K_SC + 32 * j + c] = (uint8_t)scj;
        sb[Q4K_SC + 32 * j + 16 + c] = (uint8_t)m;
        // the block's 32 values (low nibbles of qs[32·(j/2)..] for even j, high for odd)
        uint8_t v[32];
        const uint8_t* qs = B.qs + 32 * (j >> 1);
        for (int l = 0; l < 32; l++) v[l] = (j & 1) ? (qs[l] >> 4) : (qs[l] & 15);
        uint8_t* blkdst = sb + Q4K_Q + 256 * j;
        for (int k = 0; k < 4; k++)
          for (int i = 0; i < 4; i++) blkdst[64 * k + 4 * c + i] = (uint8_t)(v[4 * k + i] | (v[16 + 4 * k + i] << 4));
      }
    }
  }
}

// Panel p of a Q4_0 matrix in the nibble form, or of a Q5_0 matrix in the 5-bit form (panels.h):
// the type's unsigned q, its low 4 bits as nibbles and Q5_0's fifth bits in the block's plane
static void pack_panel_nibbles(const Tensor& W, const PanelFormat& f, int p, uint8_t* dst) {
  const int n = (int)W.ne0, nblk = n / 32, bias = f.q5 ? 16 : 8;
  std::memset(dst, 0, panel_stride(f, n));
  std::vector<int8_t> q(n);
  std::vector<uint16_t> sc16(nblk);
  for (int c = 0; c < PANEL; c++) {
    const int64_t o = (int64_t)p * PANEL + c;
    if (o >= W.ne1) continue;  // rows past the end stay zero
    row_blocks(W.type, W.row(o), n, q.data(), sc16.data(), nullptr);
    for (int b = 0; b < nblk; b++) {
      uint8_t *nib, *plane = nullptr, *scl;
      if (f.q5) {
        nib = dst + (size_t)b * Q5_BLOCK, plane = nib + 256, scl = nib + 320;
      } else {
        const int cnt = std::min(2, nblk - (b & ~1)), i = b & 1;
        uint8_t* pair = dst + (size_t)(b & ~1) * NIB_BLOCK;
        nib = pair + 256 * i, scl = pair + 256 * cnt + 32 * i;
      }
      for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++) {
          const int lo = q[32 * b + 4 * k + j] + bias, hi = q[32 * b + 16 + 4 * k + j] + bias;
          nib[64 * k + 4 * c + j] = (uint8_t)((lo & 15) | ((hi & 15) << 4));
          if (plane) plane[4 * c + j] |= (uint8_t)(((lo >> 4) << k) | ((hi >> 4) << (4 + k)));
        }
      std::memcpy(scl + 2 * c, &sc16[b], 2);
    }
  }
}

// Panel p of a Q6_K matrix in the 6-bit form (panels.h)
static void pack_panel_q6(const Tensor& W, const PanelFormat& f, int p, uint8_t* dst) {
  const int n = (int)W.ne0, nsb = n / 256;
  std::memset(dst, 0, panel_stride(f, n));
  std::vector<int8_t> q(n);
  std::vector<float> sc(n / 16);
  for (int c = 0; c < PANEL; c++) {
    const int64_t o = (int64_t)p * PANEL + c;
    if (o >= W.ne1) continue;  // rows past the end stay zero
    row_blocks(W.type, W.row(o), n, q.data(), nullptr, sc.data());
    auto* blk = (const BlockQ6_K*)W.row(o);  // (its own int8 scales and d: row_blocks gives their products)
    for (int s = 0; s < nsb; s++) {
      const BlockQ6_K& B = blk[s];
      uint8_t* sb = dst + (size_t)s * Q6_SUPER;
      const float d = h2f(B.d);
      std::memcpy(sb + Q6_D + 4 * c, &d, 4);
      for (int j = 0; j < 16; j++) {
        sb[Q6_SC + 16 * j + c] = (uint8_t)B.scales[j];
        uint8_t* sub = sb + Q6_Q + 192 * j;
        uint8_t v[16];  // the type's unsigned q
        for (int l = 0; l < 16; l++) v[l] = (uint8_t)(q[256 * s + 16 * j + l] + 32);
        for (int i = 0; i < 4; i++) {
          for (int m = 0; m < 2; m++) sub[64 * m + 4 * c + i] = (uint8_t)((v[4 * m + i] & 15) | ((v[8 + 4 * m + i] & 15) << 4));
          for (int t = 0; t < 4; t++) sub[128 + 4 * c + i] |= (uint8_t)((v[4 * t + i] >> 4) << (2 * t));
        }
      }
    }
  }
}

static void pack_panel(const Tensor& W, const PanelFormat& f, int p, uint8_t* dst) {
  if (f.q4k) return pack_panel_q4k(W, p, dst);
  if (f.nib || f.q5) return pack_panel_nibbles(W, f, p, dst);
  if (f.q6) return pack_panel_q6(W, f, p, dst);
  const int n = (int)W.ne0, bl = f.bl, nblk = n / bl;
  uint8_t* scales = dst + (size_t)nblk * 16 * bl;
  std::vector<int8_t> q(n);
  std::vector<uint16_t> sc16(nblk);
  std::vector<float> sc(nblk);
  for (int c = 0; c < PANEL; c++) {
    const int64_t o = (int64_t)p * PANEL + c;
    if (o < W.ne1) row_blocks(W.type, W.row(o), n, q.data(), sc16.data(), sc.data());
    else { std::fill(q.begin(), q.end(), 0); std::fill(sc16.begin(), sc16.end(), 0); std::fill(sc.begin(), sc.end(), 0.f); }
    for (int b = 0; b < nblk; b++) {
      for (int k = 0; k < bl / 4; k++)
        for (int j = 0; j < 4; j++) dst[(size_t)b * 16 * bl + 64 * k + 4 * c + j] = (uint8_t)(q[b * bl + 4 * k + j] + 128);
      if (f.f16_scales) std::memcpy(scales + ((size_t)b * 16 + c) * 2, &sc16[b], 2);
      else std::memcpy(scales + ((size_t)b * 16 + c) * 4, &sc[b], 4);
    }
  }
}

size_t panel_bytes(const Tensor& W, const Kernels& K) {
  const PanelFormat f = panel_format(W.type);
  return f.bl ? panel_stride(f, (int)W.ne0) * panel_count(W.ne1) : 0;
}

void pack_panels(const Tensor& W, const Kernels& K, uint8_t* dst, int p0, int p1) {
  const PanelFormat f = panel_format(W.type);
  const size_t stride = panel_stride(f, (int)W.ne0);
  for (int p = p0; p < p1; p++) pack_panel(W, f, p, dst + p * stride);
}

void pack_model_panels(Model& m, const Kernels& K, ThreadPool& pool) {
  std::vector<Tensor*> ts;
  for (auto& L : m.layers)
    for (Tensor* t : {&L.wq, &L.wk, &L.wv, &L.wo, &L.wgate, &L.wup, &L.wdown}) ts.push_back(t);
  ts.push_back(&m.output);
  std::vector<size_t> off;
  size_t total = 0;
  for (Tensor* t : ts) {
    off.push_back(total);
    total += panel_bytes(*t, K);
  }
  if (!total) return;
  const size_t huge = (size_t)1 << 21, len = (total + huge - 1) & ~(huge - 1);
  auto* arena = (uint8_t*)aligned_alloc(huge, len);
  if (!arena) throw std::runtime_error("cannot allocate " + std::to_string(total >> 20) + " MiB for packed weights");
  madvise(arena, len, MADV_HUGEPAGE);
  m.panel_arena = arena;
  m.panel_bytes = total;
  struct Job { Tensor* t; uint8_t* base; int p; };
  std::vector<Job> jobs;
  for (size_t i = 0; i < ts.size(); i++)
    if (panel_bytes(*ts[i], K))
      for (int p = 0; p < panel_count(ts[i]->ne1); p += 64) jobs.push_back({ts[i], arena + off[i], p});
  pool.parallel_for((int)jobs.size(), [&](int j) {
    const Job& job = jobs[j];
    pack_panels(*job.t, K, job.base, job.p, std::min(panel_count(job.t->ne1), job.p + 64));
  });
  for (size_t i = 0; i < ts.size(); i++) {
    Tensor& t = *ts[i];
    if (!panel_bytes(t, K)) continue;
    t.panels = arena + off[i];
    // the row-major copy is never read again (except the embedding rows): give its pages back
    if (t.data != m.tok_embd.data) {
      const size_t pg = 4096, a = ((uintptr_t)t.data + pg - 1) & ~(pg - 1), e = ((uintptr_t)t.data + t.row_bytes * t.ne1) & ~(pg - 1);
      if (e > a) madvise((void*)a, e - a, MADV_DONTNEED);
    }
  }
}

}  // namespace se
