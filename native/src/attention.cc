#include "attention.h"
#include <algorithm>
#include <cmath>

namespace se {

constexpr int TOKENS_PER_TASK = 8;

void attention(ThreadPool& pool, const Kernels* K, const Config& c, KVCache& kv, int layer,
               const std::vector<SeqSpan>& seqs, const float* q, float* out) {
  struct Task { int seq, head, i0, i1; };
  std::vector<Task> tasks;
  for (int s = 0; s < (int)seqs.size(); s++)
    for (int h = 0; h < c.kv_heads; h++)
      for (int i = 0; i < seqs[s].n; i += TOKENS_PER_TASK) tasks.push_back({s, h, i, std::min(seqs[s].n, i + TOKENS_PER_TASK)});
  const int hd = c.head_dim, qd = c.heads * hd, group = c.heads / c.kv_heads, bs = kv.block_size;
  const float scale = 1.f / std::sqrt((float)hd);

  pool.parallel_for((int)tasks.size(), [&](int ti) {
    const Task& t = tasks[ti];
    const SeqSpan& sp = seqs[t.seq];
    const int ctx = sp.pos0 + t.i1;  // keys visible to the last query of this task
    const int nblk = (ctx + bs - 1) / bs;
    thread_local std::vector<const void*> kb, vb;
    thread_local std::vector<const float*> ks, vs;
    thread_local std::vector<float> s;
    kb.resize(nblk); vb.resize(nblk); ks.resize(nblk); vs.resize(nblk);
    s.resize((size_t)nblk * bs + 16);
    for (int b = 0; b < nblk; b++) {
      int blk = sp.blocks[b];
      kb[b] = kv.k(layer, blk, t.head); vb[b] = kv.v(layer, blk, t.head);
      ks[b] = kv.kscale(layer, blk, t.head); vs[b] = kv.vscale(layer, blk, t.head);
    }
    thread_local std::vector<float> qg, sg;
    const size_t ss = s.size();
    qg.resize((size_t)group * hd);
    sg.resize((size_t)group * ss);
    for (int i = t.i0; i < t.i1; i++) {
      const int n = sp.pos0 + i + 1;  // causal: keys 0..pos
      const float* qrow = q + (size_t)(sp.start + i) * qd + (size_t)t.head * group * hd;
      float* orow = out + (size_t)(sp.start + i) * qd + (size_t)t.head * group * hd;
      for (size_t d = 0; d < (size_t)group * hd; d++) qg[d] = qrow[d] * scale;
      if (K->attn_scores_g) K->attn_scores_g(qg.data(), group, n, kb.data(), ks.data(), kv.i8, bs, hd, sg.data(), ss);
      else for (int g = 0; g < group; g++) K->attn_scores(&qg[(size_t)g * hd], n, kb.data(), ks.data(), kv.i8, bs, hd, &sg[g * ss]);
      // softmax without its division: the weighted sum of values is scaled by 1/Σ once per
      // output dimension instead of once per key
      thread_local std::vector<float> inv;
      inv.resize(group);
      for (int g = 0; g < group; g++) {
        float* sr = &sg[g * ss];
        float mx = -INFINITY;
        if (K->argmax) mx = sr[K->argmax(sr, n)];
        else for (int j = 0; j < n; j++) mx = std::max(mx, sr[j]);
        inv[g] = 1.f / K->softmax_exp(sr, n, mx);
      }
      if (K->attn_values_g) K->attn_values_g(sg.data(), ss, group, n, vb.data(), vs.data(), kv.i8, bs, hd, orow, hd);
      else for (int g = 0; g < group; g++) K->attn_values(&sg[g * ss], n, vb.data(), vs.data(), kv.i8, bs, hd, orow + (size_t)g * hd);
      for (int g = 0; g < group; g++)
        for (int d = 0; d < hd; d++) orow[(size_t)g * hd + d] *= inv[g];
    }
  });
}

}  // namespace se
