// The engine conformance suite, run for every backend present (forward.test.ts: the CPU with
// each kernel set; test/gpu/cuda.test.ts: CUDA when a GPU is usable): logits against the float64
// TypeScript reference for every weight type, paged = contiguous, batch invariance (a row's bits
// do not depend on the batch, on k, or on how the sequence was split into calls), argmax/top-k,
// copied KV blocks, the int8 cache, batch validation, and the decoders byte-identical to greedy.
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, type EngineOptions, type SeqInput } from '../../src/engine/engine.js';
import { ReferenceModel } from '../../src/engine/reference.js';
import { GGMLType } from '../../src/engine/ggml-types.js';
import type { FileType } from '../../src/engine/generate.js';
import { GreedyProposer, NgramProposer, SpecEditsProposer, runSequence } from '../../src/decode/index.js';
import { argmax, maxAbs, maxDiff, randomTokens, sameBits, tinyModel } from './helpers.js';

export interface Backend {
  /** engine.info().device of this backend */
  device: 'cpu' | 'cuda';
  /** options every engine of this backend is opened with */
  base: EngineOptions;
  /** the configurations whose bits must each be invariant (CPU: one per kernel set) */
  variants: { label: string; opts: EngineOptions }[];
}

// Tolerance on max |engine − reference| relative to the largest reference logit: float weights
// only differ by f32 arithmetic and the f16 KV cache; int8 activations (CPU) add about 1% over 2 layers.
const TOL: Record<FileType, number> = { f32: 2e-3, f16: 2e-3, bf16: 2e-3, q8_0: 3e-2, q4_0: 4e-2, q4_k_m: 4e-2 };

/** all rows of one sequence processed from position 0 in one call */
export async function allRows(e: Engine, tokens: number[], blockTable: number[], extra: Partial<SeqInput> = {}) {
  const r = await e.forward({ seqs: [{ tokens, pos: 0, blockTable, outputRows: tokens.map((_, i) => i), wantLogits: true, ...extra }] });
  return r.seqs[0].map((x) => x.logits!);
}

export function engineConformance(b: Backend): void {
  const engines: Engine[] = [];
  const open = (path: string, o: EngineOptions = {}): Engine => {
    const e = Engine.open(path, { numBlocks: 64, threads: 2, ...b.base, ...o });
    engines.push(e);
    return e;
  };
  afterAll(async () => { for (const e of engines) await e.close(); });

  describe(`${b.device}: forward vs float64 reference`, () => {
    const tokens = randomTokens(37, 300, 5);
    for (const arch of ['llama', 'qwen2'] as const) {
      for (const type of Object.keys(TOL) as FileType[]) {
        it(`${arch} ${type}`, async () => {
          const p = tinyModel({ arch, type });
          const ref = ReferenceModel.fromFile(p).forward(tokens);
          const e = open(p);
          expect(e.info().device).toBe(b.device);
          const got = await allRows(e, tokens, [5, 0, 9]);
          let worst = 0, scale = 0, agree = 0, decided = 0;
          got.forEach((row, i) => {
            const d = maxDiff(row, ref[i]);
            worst = Math.max(worst, d);
            scale = Math.max(scale, maxAbs(ref[i]));
            const sorted = Array.from(ref[i]).sort((x, y) => y - x);
            if (sorted[0] - sorted[1] > 2 * d) { decided++; if (argmax(row) === argmax(ref[i])) agree++; }
          });
          expect(worst / scale).toBeLessThan(TOL[type]);
          expect(agree).toBe(decided); // wherever the margin exceeds the error, the argmax agrees
          expect(decided).toBeGreaterThan(tokens.length / 2);
        });
      }
    }

    it(`every weight type in one model (Q5_0, Q4_K, Q6_K, BF16, F16 mixed), ${b.variants.map((v) => v.label).join(', ')}`, async () => {
      const mix: Record<string, GGMLType> = {
        attn_q: GGMLType.Q5_0, attn_k: GGMLType.Q4_0, attn_v: GGMLType.Q6_K, attn_output: GGMLType.Q4_K,
        ffn_gate: GGMLType.Q4_K, ffn_up: GGMLType.BF16, ffn_down: GGMLType.Q6_K,
      };
      const p = tinyModel({
        arch: 'qwen2', type: 'q8_0', tied: false,
        typeOf: (name, d) => name === 'output.weight' ? GGMLType.F16 : name === 'token_embd.weight' ? GGMLType.Q6_K : name.endsWith('.weight') ? mix[name.split('.')[2]] ?? d : d,
      }, '-mixed');
      const toks = randomTokens(20, 300, 9);
      const ref = ReferenceModel.fromFile(p).forward(toks);
      for (const v of b.variants) {
        const got = await allRows(open(p, v.opts), toks, [1, 2]);
        let worst = 0, scale = 0;
        got.forEach((row, i) => { worst = Math.max(worst, maxDiff(row, ref[i])); scale = Math.max(scale, maxAbs(ref[i])); });
        expect(worst / scale, v.label).toBeLessThan(4e-2);
      }
    });

    it('int8 KV cache stays within tolerance of the reference and of the f16 cache', async () => {
      const p = tinyModel({ arch: 'qwen2', type: 'f16' });
      const ref = ReferenceModel.fromFile(p).forward(tokens);
      const i8 = await allRows(open(p, { kvType: 'int8' }), tokens, [3, 4, 5]);
      const f16 = await allRows(open(p), tokens, [3, 4, 5]);
      let worst = 0, vsF16 = 0, scale = 0;
      i8.forEach((row, i) => { worst = Math.max(worst, maxDiff(row, ref[i])); vsF16 = Math.max(vsF16, maxDiff(row, f16[i])); scale = Math.max(scale, maxAbs(ref[i])); });
      expect(worst / scale).toBeLessThan(2e-2);
      expect(vsF16 / scale).toBeLessThan(2e-2);
      expect(vsF16).toBeGreaterThan(0); // it really is a different cache
    });
  });

  describe(`${b.device}: paging and batch invariance (bit-identical rows)`, () => {
    for (const type of ['q8_0', 'q4_k_m', 'f16'] as const) {
      for (const v of b.variants) {
        it(`${type} ${v.label}`, async () => {
          const p = tinyModel({ arch: type === 'f16' ? 'llama' : 'qwen2', type });
          const e = open(p, v.opts);
          const A = randomTokens(45, 300, 1), B = randomTokens(17, 300, 2), C = randomTokens(21, 300, 3);
          // reference run: A alone, contiguous blocks
          const alone = await allRows(e, A, [0, 1, 2]);
          // paged: scattered blocks give the same bits
          const paged = await allRows(e, A, [40, 7, 23]);
          paged.forEach((r, i) => expect(sameBits(r, alone[i]), `paged row ${i}`).toBe(true));

          // A in one batch with a prefill of B and a decode step of C
          await e.forward({ seqs: [{ tokens: C.slice(0, 20), pos: 0, blockTable: [30, 31] }] });
          const mixed = await e.forward({
            seqs: [
              { tokens: B, pos: 0, blockTable: [10, 11], wantLogits: true },
              { tokens: A, pos: 0, blockTable: [3, 4, 5], outputRows: A.map((_, i) => i), wantLogits: true },
              { tokens: C.slice(20), pos: 20, blockTable: [30, 31], wantLogits: true },
            ],
          });
          mixed.seqs[1].forEach((r, i) => expect(sameBits(r.logits!, alone[i]), `batched row ${i}`).toBe(true));

          // A in chunks: prefill 13, decode 1, verify 16, then the rest
          const table = [12, 13, 14];
          const got: Float32Array[] = [];
          for (const [s, n] of [[0, 13], [13, 1], [14, 16], [30, 15]]) {
            const r = await e.forward({ seqs: [{ tokens: A.slice(s, s + n), pos: s, blockTable: table, outputRows: Array.from({ length: n }, (_, i) => i), wantLogits: true }] });
            got.push(...r.seqs[0].map((x) => x.logits!));
          }
          got.forEach((r, i) => expect(sameBits(r, alone[i]), `chunked row ${i}`).toBe(true));
        });
      }
    }

    it('long contexts, 8 query heads per kv head, f16 and int8 caches: chunked rows = one call, near the reference', async () => {
      // 150 keys: several rounds of the kernels' key tiles and a partial last one; 8 heads: more
      // than one group of query heads per kv head
      const p = tinyModel({ arch: 'qwen2', type: 'f16', preset: 'tiny-gqa' });
      const toks = randomTokens(150, 300, 11);
      const ref = ReferenceModel.fromFile(p).forward(toks);
      for (const v of b.variants) {
        for (const kvType of ['f16', 'int8'] as const) {
          const e = open(p, { ...v.opts, kvType });
          const one = await allRows(e, toks, Array.from({ length: 10 }, (_, i) => 20 + i));
          let worst = 0, scale = 0;
          one.forEach((row, i) => { worst = Math.max(worst, maxDiff(row, ref[i])); scale = Math.max(scale, maxAbs(ref[i])); });
          expect(worst / scale, `${v.label} ${kvType}`).toBeLessThan(kvType === 'f16' ? TOL.f16 : 2e-2);
          const table = Array.from({ length: 10 }, (_, i) => 40 + ((i * 7) % 10));
          const got: Float32Array[] = [];
          for (const [s, n] of [[0, 70], [70, 1], [71, 40], [111, 39]]) {
            const r = await e.forward({ seqs: [{ tokens: toks.slice(s, s + n), pos: s, blockTable: table, outputRows: Array.from({ length: n }, (_, i) => i), wantLogits: true }] });
            got.push(...r.seqs[0].map((x) => x.logits!));
          }
          got.forEach((r, i) => expect(sameBits(r, one[i]), `${v.label} ${kvType} chunked row ${i}`).toBe(true));
        }
      }
    });

    it('argmax and top-k agree with the full logits; ties break to the lowest id; small and large k', async () => {
      const e = open(tinyModel({ arch: 'qwen2', type: 'q8_0' }));
      const toks = randomTokens(9, 300, 4);
      for (const k of [5, 100]) { // 100: past the CUDA backend's device top-k (64), done on the host there
        const r = await e.forward({ seqs: [{ tokens: toks, pos: 0, blockTable: [0], outputRows: [2, 8], topK: k, wantLogits: true }] });
        for (const row of r.seqs[0]) {
          expect(row.argmax).toBe(argmax(row.logits!));
          const order = Array.from(row.logits!.keys()).sort((x, y) => row.logits![y] - row.logits![x] || x - y).slice(0, k);
          expect(Array.from(row.topK!.ids)).toEqual(order);
          expect(Array.from(row.topK!.logits)).toEqual(order.map((i) => row.logits![i]));
        }
      }
    });

    it('copyBlocks: a copied prefix continues exactly like the original', async () => {
      const e = open(tinyModel({ arch: 'llama', type: 'q4_0' }));
      const toks = randomTokens(33, 300, 6);
      const [a, bb, c] = e.blocks.allocate(3);
      await e.forward({ seqs: [{ tokens: toks.slice(0, 32), pos: 0, blockTable: [a, bb] }] });
      const [d, f] = e.blocks.allocate(2);
      await e.copyBlocks([[a, d], [bb, f]]);
      const x = await e.forward({ seqs: [{ tokens: toks.slice(32), pos: 32, blockTable: [a, bb, c], wantLogits: true }] });
      const y = await e.forward({ seqs: [{ tokens: toks.slice(32), pos: 32, blockTable: [d, f, c], wantLogits: true }] });
      expect(sameBits(x.seqs[0][0].logits!, y.seqs[0][0].logits!)).toBe(true);
      e.freeBlocks([a, bb, c, d, f]);
      expect(e.blocks.numFree).toBe(64);
    });
  });

  describe(`${b.device}: engine behaviour`, () => {
    it('rejects bad batches with messages naming the problem', async () => {
      const e = open(tinyModel({ arch: 'qwen2', type: 'q8_0' }));
      await expect(e.forward({ seqs: [{ tokens: [1, 999], pos: 0, blockTable: [0] }] })).rejects.toThrow(/token id 999 out of range/);
      await expect(e.forward({ seqs: [{ tokens: [1, 2], pos: 15, blockTable: [0] }] })).rejects.toThrow(/needs 2 blocks/);
      await expect(e.forward({ seqs: [{ tokens: [1], pos: 0, blockTable: [64] }] })).rejects.toThrow(/block id 64 out of range/);
      expect(() => e.forward({ seqs: [{ tokens: [1], pos: 0, blockTable: [0], outputRows: [1] }] })).toThrow(/output row 1 out of range/);
      // still usable afterwards
      const r = await e.forward({ seqs: [{ tokens: [1, 2], pos: 0, blockTable: [0] }] });
      expect(r.seqs[0][0].argmax).toBeGreaterThanOrEqual(0);
    });

    it('greedy, n-gram and speculative decoding give the same tokens', async () => {
      const e = open(tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2'), { numBlocks: 128 });
      const prompt = randomTokens(24, 300, 11);
      const run = (p: Parameters<typeof runSequence>[2]) => runSequence(e, prompt, p, { maxTokens: 64 });
      const greedy = await run(new GreedyProposer());
      expect(greedy.tokens.length).toBe(64);
      // one character a token, so the greedy output itself can be the speculative draft
      const codec = {
        encode: (t: string) => Array.from(t, (ch) => ch.codePointAt(0)! - 0xe000),
        textOf: (ids: readonly number[]) => String.fromCodePoint(...ids.map((i) => 0xe000 + i)),
      };
      const spec = await run(new SpecEditsProposer(codec, [codec.textOf(greedy.tokens)], { textOf: codec.textOf }));
      const ngram = await run(new NgramProposer({ min: 1, max: 3, k: 8 }));
      expect(spec.tokens).toEqual(greedy.tokens);
      expect(ngram.tokens).toEqual(greedy.tokens);
      expect(spec.stats.forward_passes).toBeLessThan(greedy.stats.forward_passes / 4); // verification of long spans really ran
    });
  });
}
