#include "forward.h"
#include <algorithm>
#include <cmath>
#include <numeric>
#include "matmul.h"
#include "quant.h"

namespace se {

// y = x / rms(x) * w, per row; the sum of squares in double, in index order
static void rmsnorm(ThreadPool& pool, const float* x, const float* w, int N, int n, float eps, float* y) {
  pool.parallel_for(N, [&](int t) {
    const float* xr = x + (size_t)t * n;
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
    const float r = (float)(1.0 / std::sqrt(ss / n + eps));
    float* yr = y + (size_t)t * n;
    for (int i = 0; i < n; i++) yr[i] = xr[i] * r * w[i];
  });
}

// rotate pairs (2j, 2j+1) (normal) or (j, j+d/2) (neox) of each head by pos·θ_j
static void rope(float* x, int heads, int hd, int rd, bool neox, const float* cs, const float* sn) {
  for (int h = 0; h < heads; h++) {
    float* v = x + (size_t)h * hd;
    for (int j = 0; j < rd / 2; j++) {
      const int i0 = neox ? j : 2 * j, i1 = neox ? j + rd / 2 : 2 * j + 1;
      const float a = v[i0], b = v[i1];
      v[i0] = a * cs[j] - b * sn[j];
      v[i1] = a * sn[j] + b * cs[j];
    }
  }
}

void forward(const Model& m, KVCache& kv, ThreadPool& pool, const Kernels* K, Workspace& ws, const std::vector<int32_t>& tokens,
             const std::vector<SeqIn>& seqs, const std::vector<OutReq>& outs, ForwardOut& res) {
  const Config& c = m.cfg;
  const int N = (int)tokens.size(), D = c.dim, hd = c.head_dim, qd = c.heads * hd, kvd = c.kv_heads * hd, F = c.ffn;
  const int bs = kv.block_size, rd = c.rope_dim;

  std::vector<SeqSpan> spans;
  std::vector<int> pos(N), seq_of(N);
  for (int s = 0; s < (int)seqs.size(); s++) {
    const SeqIn& si = seqs[s];
    spans.push_back({si.start, si.n, si.pos0, si.blocks.data(), (int)si.blocks.size()});
    for (int i = 0; i < si.n; i++) { pos[si.start + i] = si.pos0 + i; seq_of[si.start + i] = s; }
  }
  // rope angles per token, in double so they do not drift at long positions
  std::vector<float> cs((size_t)N * (rd / 2)), sn((size_t)N * (rd / 2));
  for (int t = 0; t < N; t++)
    for (int j = 0; j < rd / 2; j++) {
      const double th = pos[t] * std::pow(c.rope_base, -2.0 * j / rd);
      cs[(size_t)t * (rd / 2) + j] = (float)std::cos(th);
      sn[(size_t)t * (rd / 2) + j] = (float)std::sin(th);
    }

  float *x = ws.get(0, (size_t)N * D), *xn = ws.get(1, (size_t)N * D), *tmp = ws.get(2, (size_t)N * D);
  float *q = ws.get(3, (size_t)N * qd), *k = ws.get(4, (size_t)N * kvd), *v = ws.get(5, (size_t)N * kvd);
  float *att = ws.get(6, (size_t)N * qd), *g = ws.get(7, (size_t)N * F), *u = ws.get(8, (size_t)N * F);
  const size_t nx = (size_t)N * D;
  pool.parallel_for(N, [&](int t) { dequantize_row(m.tok_embd.type, m.tok_embd.row(tokens[t]), D, &x[(size_t)t * D]); });

  for (int l = 0; l < c.layers; l++) {
    const Layer& L = m.layers[l];
    rmsnorm(pool, x, L.attn_norm.data(), N, D, c.eps, xn);
    {
      Acts a(xn, N, D);
      const MatmulJob jobs[3] = {{&L.wq, q, qd, c.qkv_bias ? L.bq.data() : nullptr},
                                 {&L.wk, k, kvd, c.qkv_bias ? L.bk.data() : nullptr},
                                 {&L.wv, v, kvd, c.qkv_bias ? L.bv.data() : nullptr}};
      matmul_many(pool, K, jobs, 3, a);
    }
    pool.parallel_for(N, [&](int t) {
      const float* ct = &cs[(size_t)t * (rd / 2)];
      const float* st = &sn[(size_t)t * (rd / 2)];
      rope(&q[(size_t)t * qd], c.heads, hd, rd, c.neox, ct, st);
      rope(&k[(size_t)t * kvd], c.kv_heads, hd, rd, c.neox, ct, st);
      const SeqIn& si = seqs[seq_of[t]];
      kv.write(l, si.blocks[pos[t] / bs], pos[t] % bs, &k[(size_t)t * kvd], &v[(size_t)t * kvd]);
    });
    attention(pool, K, c, kv, l, spans, q, att);
    {
      Acts a(att, N, qd);
      matmul(pool, K, L.wo, a, tmp, D, nullptr);
    }
    for (size_t i = 0; i < nx; i++) x[i] += tmp[i];
    rmsnorm(pool, x, L.ffn_norm.data(), N, D, c.eps, xn);
    {
      Acts a(xn, N, D);
      const MatmulJob jobs[2] = {{&L.wgate, g, F, nullptr}, {&L.wup, u, F, nullptr}};
      matmul_many(pool, K, jobs, 2, a);
    }
    pool.parallel_for(N, [&](int t) {
      float* gr = &g[(size_t)t * F];
      const float* ur = &u[(size_t)t * F];
      if (K->swiglu) K->swiglu(gr, ur, F);
      else for (int i = 0; i < F; i++) gr[i] = gr[i] / (1.f + std::exp(-gr[i])) * ur[i];
    });
    {
      Acts a(g, N, F);
      matmul(pool, K, L.wdown, a, tmp, D, nullptr);
    }
    for (size_t i = 0; i < nx; i++) x[i] += tmp[i];
  }

  // final norm and logits only for the requested rows
  const int R = (int)outs.size(), V = c.vocab;
  float *xo = ws.get(9, (size_t)R * D), *xr = ws.get(10, (size_t)R * D), *logits = ws.get(11, (size_t)R * V);
  for (int r = 0; r < R; r++) std::copy_n(&x[(size_t)outs[r].row * D], D, &xo[(size_t)r * D]);
  rmsnorm(pool, xo, m.out_norm.data(), R, D, c.eps, xr);
  {
    Acts a(xr, R, D);
    matmul(pool, K, m.output, a, logits, V, nullptr);
  }
  res.argmax.assign(R, 0);
  size_t nk = 0, nl = 0;
  for (auto& o : outs) { nk += o.topk; nl += o.logits ? V : 0; }
  res.topk_ids.assign(nk, 0);
  res.topk_logits.assign(nk, 0);
  res.logits.resize(nl);
  std::vector<size_t> koff(R), loff(R);
  for (int r = 0, ko = 0, lo = 0; r < R; r++) { koff[r] = ko; loff[r] = lo; ko += outs[r].topk; lo += outs[r].logits ? V : 0; }
  pool.parallel_for(R, [&](int r) {
    const float* lr = &logits[(size_t)r * V];
    int best = 0;
    if (K->argmax) best = K->argmax(lr, V);
    else for (int i = 1; i < V; i++) if (lr[i] > lr[best]) best = i;  // ties: lowest id
    res.argmax[r] = best;
    if (outs[r].topk > 0) {
      std::vector<int32_t> idx(V);
      std::iota(idx.begin(), idx.end(), 0);
      const int k = outs[r].topk;
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                        [&](int a, int b) { return lr[a] > lr[b] || (lr[a] == lr[b] && a < b); });
      for (int i = 0; i < k; i++) { res.topk_ids[koff[r] + i] = idx[i]; res.topk_logits[koff[r] + i] = lr[idx[i]]; }
    }
    if (outs[r].logits) std::copy_n(lr, V, &res.logits[loff[r]]);
  });
}

}  // namespace se
