#include "panels.h"
#include <sys/mman.h>
#include <cstdlib>
#include <stdexcept>

namespace se {

void pack_q8_0_panel(const Tensor& W, int p, uint8_t* dst) {
  const int nb = (int)(W.ne0 / 32);
  uint8_t* scales = dst + (size_t)nb * 512;
  for (int c = 0; c < PANEL; c++) {
    const int64_t o = (int64_t)p * PANEL + c;
    const BlockQ8_0* row = o < W.ne1 ? (const BlockQ8_0*)W.row(o) : nullptr;
    for (int b = 0; b < nb; b++) {
      uint16_t d = row ? row[b].d : 0;
      std::memcpy(scales + (size_t)b * 32 + 2 * c, &d, 2);
      for (int k = 0; k < 8; k++)
        for (int j = 0; j < 4; j++)
          dst[(size_t)b * 512 + 64 * k + 4 * c + j] = (uint8_t)((row ? row[b].qs[4 * k + j] : 0) + 128);
    }
  }
}

uint8_t* pack_model_panels(Model& m, ThreadPool& pool, size_t* bytes) {
  std::vector<Tensor*> ts;
  for (auto& L : m.layers)
    for (Tensor* t : {&L.wq, &L.wk, &L.wv, &L.wo, &L.wgate, &L.wup, &L.wdown}) ts.push_back(t);
  ts.push_back(&m.output);
  std::vector<size_t> off;
  size_t total = 0;
  for (Tensor* t : ts) {
    off.push_back(total);
    if (t->type == T_Q8_0) total += panel_stride((int)(t->ne0 / 32)) * panel_count(t->ne1);
  }
  *bytes = total;
  if (!total) return nullptr;
  const size_t huge = (size_t)1 << 21, len = (total + huge - 1) & ~(huge - 1);
  auto* arena = (uint8_t*)aligned_alloc(huge, len);
  if (!arena) throw std::runtime_error("cannot allocate " + std::to_string(total >> 20) + " MiB for packed weights");
  madvise(arena, len, MADV_HUGEPAGE);
  struct Job { Tensor* t; uint8_t* base; int p; };
  std::vector<Job> jobs;
  for (size_t i = 0; i < ts.size(); i++)
    if (ts[i]->type == T_Q8_0)
      for (int p = 0; p < panel_count(ts[i]->ne1); p += 64) jobs.push_back({ts[i], arena + off[i], p});
  pool.parallel_for((int)jobs.size(), [&](int j) {
    const Tensor& t = *jobs[j].t;
    const size_t stride = panel_stride((int)(t.ne0 / 32));
    for (int p = jobs[j].p; p < std::min(panel_count(t.ne1), jobs[j].p + 64); p++) pack_q8_0_panel(t, p, jobs[j].base + p * stride);
  });
  for (size_t i = 0; i < ts.size(); i++) {
    Tensor& t = *ts[i];
    if (t.type != T_Q8_0) continue;
    t.panels = arena + off[i];
    // the row-major copy is never read again (except the embedding rows): give its pages back
    if (t.data != m.tok_embd.data) {
      const size_t pg = 4096, a = ((uintptr_t)t.data + pg - 1) & ~(pg - 1), e = ((uintptr_t)t.data + t.row_bytes * t.ne1) & ~(pg - 1);
      if (e > a) madvise((void*)a, e - a, MADV_DONTNEED);
    }
  }
  return arena;
}

}  // namespace se
