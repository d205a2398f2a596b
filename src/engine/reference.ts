// Plain float64 forward pass of the llama / qwen2 architectures, written for clarity:
// weights dequantized by the block formulas, full recomputation over the sequence.
// The native engine is checked against it on tiny generated models.
import { readGGUFFile, tensorData } from './gguf.js';
import { readConfig, modelTensors, type ModelConfig } from './config.js';
import { dequantize } from './quant.js';

export class ReferenceModel {
  constructor(readonly config: ModelConfig, private w: Map<string, Float64Array>) {}

  static fromFile(path: string): ReferenceModel {
    const { gguf, buf } = readGGUFFile(path);
    const c = readConfig(gguf);
    const w = new Map<string, Float64Array>();
    for (const t of modelTensors(gguf, c)) {
      const n = t.dims.reduce((a, b) => a * b, 1);
      w.set(t.name, dequantize(t.type, tensorData(gguf, buf, t.name), n));
    }
    return new ReferenceModel(c, w);
  }

  private get(name: string): Float64Array {
    const t = this.w.get(name);
    if (!t) throw new Error(`reference: missing ${name}`);
    return t;
  }

  /** y = W x for W stored row-major [out][in] (GGUF ne0 = in). */
  private matvec(name: string, x: Float64Array, out: number): Float64Array {
    const W = this.get(name), n = x.length, y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += W[o * n + i] * x[i];
      y[o] = s;
    }
    return y;
  }

  private rmsnorm(x: Float64Array, name: string): Float64Array {
    const w = this.get(name);
    let ss = 0;
    for (const v of x) ss += v * v;
    const r = 1 / Math.sqrt(ss / x.length + this.config.eps);
    return x.map((v, i) => v * r * w[i]);
  }

  private rope(x: Float64Array, heads: number, pos: number): void {
    const { headDim: hd, ropeDim: d, ropeBase, ropeNeox } = this.config;
    for (let h = 0; h < heads; h++) {
      for (let j = 0; j < d / 2; j++) {
        const theta = pos * Math.pow(ropeBase, (-2 * j) / d);
        const c = Math.cos(theta), s = Math.sin(theta);
        const i0 = h * hd + (ropeNeox ? j : 2 * j), i1 = h * hd + (ropeNeox ? j + d / 2 : 2 * j + 1);
        const a = x[i0], b = x[i1];
        x[i0] = a * c - b * s;
        x[i1] = a * s + b * c;
      }
    }
  }

  /** Logits for every position of `tokens` (a sequence starting at position 0). */
  forward(tokens: number[]): Float64Array[] {
    const c = this.config, T = tokens.length, hd = c.headDim;
    const qDim = c.heads * hd, kvDim = c.kvHeads * hd, group = c.heads / c.kvHeads;
    const emb = this.get('token_embd.weight');
    let xs = tokens.map((t) => emb.slice(t * c.dim, (t + 1) * c.dim));
    for (let l = 0; l < c.layers; l++) {
      const p = `blk.${l}.`;
      const qs: Float64Array[] = [], ks: Float64Array[] = [], vs: Float64Array[] = [];
      for (let t = 0; t < T; t++) {
        const n1 = this.rmsnorm(xs[t], p + 'attn_norm.weight');
        const q = this.matvec(p + 'attn_q.weight', n1, qDim);
        const k = this.matvec(p + 'attn_k.weight', n1, kvDim);
        const v = this.matvec(p + 'attn_v.weight', n1, kvDim);
        if (c.qkvBias) {
          const bq = this.get(p + 'attn_q.bias'), bk = this.get(p + 'attn_k.bias'), bv = this.get(p + 'attn_v.bias');
          q.forEach((_, i) => (q[i] += bq[i]));
          k.forEach((_, i) => (k[i] += bk[i]));
          v.forEach((_, i) => (v[i] += bv[i]));
        }
        this.rope(q, c.heads, t);
        this.rope(k, c.kvHeads, t);
        qs.push(q); ks.push(k); vs.push(v);
      }
      xs = xs.map((x, t) => {
        const att = new Float64Array(qDim);
        for (let h = 0; h < c.heads; h++) {
          const kh = Math.floor(h / group);
          const scores = new Float64Array(t + 1);
          let max = -Infinity;
          for (let j = 0; j <= t; j++) {
            let s = 0;
            for (let i = 0; i < hd; i++) s += qs[t][h * hd + i] * ks[j][kh * hd + i];
            scores[j] = s / Math.sqrt(hd);
            max = Math.max(max, scores[j]);
          }
          let sum = 0;
          for (let j = 0; j <= t; j++) { scores[j] = Math.exp(scores[j] - max); sum += scores[j]; }
          for (let j = 0; j <= t; j++) {
            const pj = scores[j] / sum;
            for (let i = 0; i < hd; i++) att[h * hd + i] += pj * vs[j][kh * hd + i];
          }
        }
        const o = this.matvec(p + 'attn_output.weight', att, c.dim);
        const h = x.map((v, i) => v + o[i]);
        const n2 = this.rmsnorm(h, p + 'ffn_norm.weight');
        const g = this.matvec(p + 'ffn_gate.weight', n2, c.ffn);
        const u = this.matvec(p + 'ffn_up.weight', n2, c.ffn);
        const a = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
        const d = this.matvec(p + 'ffn_down.weight', a, c.dim);
        return h.map((v, i) => v + d[i]);
      });
    }
    const outName = c.tied ? 'token_embd.weight' : 'output.weight';
    return xs.map((x) => this.matvec(outName, this.rmsnorm(x, 'output_norm.weight'), c.vocab));
  }
}
