// Portable kernels: the fallback on CPUs without AVX2 (and on arm64), and the plainest
// statement of what each kernel computes.
#include "kernels.h"
#include <algorithm>
#include "quant.h"

namespace se {
namespace {

void dot_q8_0(const void* wv, const void* const* av, int nb, int T, float* out) {
  auto a = (const ActQ8* const*)av;
  auto* w = (const BlockQ8_0*)wv;
  for (int t = 0; t < T; t++) {
    float acc = 0;
    for (int b = 0; b < nb; b++) {
      int s = 0;
      for (int j = 0; j < 32; j++) s += w[b].qs[j] * a[t][b].qs[j];
      acc += h2f(w[b].d) * a[t][b].d * (float)s;
    }
    out[t] = acc;
  }
}

void dot_q4_0(const void* wv, const void* const* av, int nb, int T, float* out) {
  auto a = (const ActQ8* const*)av;
  auto* w = (const BlockQ4_0*)wv;
  for (int t = 0; t < T; t++) {
    float acc = 0;
    for (int b = 0; b < nb; b++) {
      int s = 0;
      for (int j = 0; j < 16; j++) {
        s += ((w[b].qs[j] & 15) - 8) * a[t][b].qs[j];
        s += ((w[b].qs[j] >> 4) - 8) * a[t][b].qs[j + 16];
      }
      acc += h2f(w[b].d) * a[t][b].d * (float)s;
    }
    out[t] = acc;
  }
}

void dot_q5_0(const void* wv, const void* const* av, int nb, int T, float* out) {
  auto a = (const ActQ8* const*)av;
  auto* w = (const BlockQ5_0*)wv;
  for (int t = 0; t < T; t++) {
    float acc = 0;
    for (int b = 0; b < nb; b++) {
      uint32_t qh; std::memcpy(&qh, w[b].qh, 4);
      int s = 0;
      for (int j = 0; j < 16; j++) {
        int lo = (w[b].qs[j] & 15) | (((qh >> j) & 1) << 4);
        int hi = (w[b].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
        s += (lo - 16) * a[t][b].qs[j] + (hi - 16) * a[t][b].qs[j + 16];
      }
      acc += h2f(w[b].d) * a[t][b].d * (float)s;
    }
    out[t] = acc;
  }
}

void dot_q4_k(const void* wv, const ActQ8K* const* a, int nb, int T, float* out) {
  auto* w = (const BlockQ4_K*)wv;
  for (int t = 0; t < T; t++) {
    float acc = 0;
    for (int b = 0; b < nb; b++) {
      const uint8_t* s = w[b].scales;
      int sumi = 0, summ = 0;
      for (int j = 0; j < 8; j++) {
        int sc, m;
        if (j < 4) { sc = s[j] & 63; m = s[j + 4] & 63; }
        else { sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4); m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
        const uint8_t* q = w[b].qs + 32 * (j >> 1);
        int isum = 0;
        for (int l = 0; l < 32; l++) isum += ((j & 1) ? (q[l] >> 4) : (q[l] & 15)) * a[t][b].qs[32 * j + l];
        sumi += sc * isum;
        summ += m * (a[t][b].bsums[2 * j] + a[t][b].bsums[2 * j + 1]);
      }
      acc += a[t][b].d * (h2f(w[b].d) * (float)sumi) - a[t][b].d * (h2f(w[b].dmin) * (float)summ);
    }
    out[t] = acc;
  }
}

void dot_q6_k(const void* wv, const ActQ8K* const* a, int nb, int T, float* out) {
  auto* w = (const BlockQ6_K*)wv;
  for (int t = 0; t < T; t++) {
    float acc = 0;
    for (int b = 0; b < nb; b++) {
      int sumi = 0;
      for (int h = 0; h < 2; h++) {
        const uint8_t* ql = w[b].ql + 64 * h;
        const uint8_t* qh = w[b].qh + 32 * h;
        for (int l = 0; l < 32; l++) {
          int v[4] = {(ql[l] & 15) | ((qh[l] & 3) << 4), (ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4),
                      (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4), (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)};
          for (int k = 0; k < 4; k++) {
            int i = 128 * h + l + 32 * k;
            sumi += w[b].scales[i >> 4] * (v[k] - 32) * a[t][b].qs[i];
          }
        }
      }
      acc += h2f(w[b].d) * a[t][b].d * (float)sumi;
    }
    out[t] = acc;
  }
}

float dot_f32(const float* a, const float* b, int n) {
  float s = 0;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

void attn_scores(const float* q, int n, const void* const* kblk, const float* const* kscale, bool i8, int bs, int hd,
                 float* s) {
  for (int j = 0; j < n; j++) {
    int b = j / bs, l = j % bs;
    float acc = 0;
    if (i8) {
      auto* k = (const int8_t*)kblk[b];
      for (int d = 0; d < hd; d++) acc += q[d] * (float)k[d * bs + l];
      acc *= kscale[b][l];
    } else {
      auto* k = (const uint16_t*)kblk[b];
      for (int d = 0; d < hd; d++) acc += q[d] * h2f(k[d * bs + l]);
    }
    s[j] = acc;
  }
}

float softmax_exp(float* s, int n, float max) {
  float sum = 0;
  for (int j = 0; j < n; j++) { s[j] = std::exp(s[j] - max); sum += s[j]; }
  return sum;
}

void attn_values(const float* p, int n, const void* const* vblk, const float* const* vscale, bool i8, int bs, int hd,
                 float* out) {
  std::fill(out, out + hd, 0.f);
  for (int j = 0; j < n; j++) {
    int b = j / bs, l = j % bs;
    if (i8) {
      auto* v = (const int8_t*)vblk[b] + (size_t)l * hd;
      float pj = p[j] * vscale[b][l];
      for (int d = 0; d < hd; d++) out[d] += pj * (float)v[d];
    } else {
      auto* v = (const uint16_t*)vblk[b] + (size_t)l * hd;
      for (int d = 0; d < hd; d++) out[d] += p[j] * h2f(v[d]);
    }
  }
}

size_t act32_bytes(int n) { return (size_t)(n / 32) * sizeof(ActQ8); }
void quant_act32(const float* x, int n, void* out) { quantize_act_q8(x, n, (ActQ8*)out); }

const Kernels K = {"scalar", act32_bytes, quant_act32, dot_q8_0, dot_q4_0, dot_q5_0, dot_q4_k, dot_q6_k, dot_f32, attn_scores, softmax_exp, attn_values, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};

}  // namespace

const Kernels* kernels_scalar() { return &K; }

}  // namespace se
