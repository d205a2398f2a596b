// The CUDA backend: the engine conformance suite (test/engine/conformance.ts) on the GPU, and
// the GPU's logits beside the CPU engine's. `npm run test:gpu` runs this file alone, with
// SPECEDIT_REQUIRE_GPU=1: there a missing GPU fails instead of skipping. Elsewhere (no GPU, as in
// CI) every case is skipped under a title that says why, and one line on stdout says it too.
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { loadAddon } from '../../src/engine/native.js';
import { allRows, engineConformance } from '../engine/conformance.js';
import { maxAbs, maxDiff, randomTokens, tinyModel } from '../engine/helpers.js';

const probe = loadAddon().cudaProbe(0);
const required = process.env.SPECEDIT_REQUIRE_GPU === '1';
const title = probe.usable
  ? `CUDA on ${probe.name} (${probe.capability})`
  : `CUDA: no GPU (${probe.reason}) — CUDA conformance cases skipped`;
if (!probe.usable) console.log(`${title}: ${probe.detail}`);

if (required) {
  it('a usable CUDA GPU is present (SPECEDIT_REQUIRE_GPU=1)', () => {
    expect(probe.usable, `${probe.reason}: ${probe.detail}`).toBe(true);
  });
}

describe.skipIf(!probe.usable)(title, () => {
  engineConformance({ device: 'cuda', base: { device: 'cuda' }, variants: [{ label: 'cuda', opts: {} }] });

  describe('cuda graphs', () => {
    const engines: Engine[] = [];
    afterAll(async () => { for (const e of engines) await e.close(); });
    it('decode and verification steps replayed from captured graphs give the bits of direct launches', async () => {
      const p = tinyModel({ arch: 'qwen2', type: 'q8_0' });
      const open = (graphs: boolean) => {
        const was = process.env.SPECEDIT_CUDA_GRAPHS;
        process.env.SPECEDIT_CUDA_GRAPHS = graphs ? '1' : '0';
        try {
          const e = Engine.open(p, { numBlocks: 40, device: 'cuda' });
          engines.push(e);
          return e;
        } finally {
          if (was === undefined) delete process.env.SPECEDIT_CUDA_GRAPHS;
          else process.env.SPECEDIT_CUDA_GRAPHS = was;
        }
      };
      const [graphed, direct] = [open(true), open(false)];
      const prompt = randomTokens(40, 300, 5);
      // the same steps on both: a prompt, 30 decode steps (one shape: direct, captured, replayed),
      // then verification steps of 4 rows, each step a different table length and position
      const steps = async (e: Engine) => {
        const table = e.blocks.allocate(8);
        const out: number[][] = [];
        const first = await e.forward({ seqs: [{ tokens: prompt, pos: 0, blockTable: table, outputRows: [prompt.length - 1], wantLogits: true }] });
        out.push([...first.seqs[0][0].logits!]);
        let tok = first.seqs[0][0].argmax, pos = prompt.length;
        for (let i = 0; i < 30; i++, pos++) {
          const r = await e.forward({ seqs: [{ tokens: [tok], pos, blockTable: table, outputRows: [0], wantLogits: true }] });
          out.push([...r.seqs[0][0].logits!]);
          tok = r.seqs[0][0].argmax;
        }
        for (let i = 0; i < 6; i++, pos += 4) {
          const r = await e.forward({ seqs: [{ tokens: prompt.slice(i, i + 4), pos, blockTable: table, outputRows: [0, 1, 2, 3], wantLogits: true }] });
          for (const row of r.seqs[0]) out.push([...row.logits!]);
        }
        // a larger batch reallocates the buffers the graphs were captured with (possibly at the same
        // addresses: a replay of a stale graph crashed the driver); then decode again
        const big = await e.forward({ seqs: [{ tokens: prompt, pos: 0, blockTable: e.blocks.allocate(8), outputRows: prompt.map((_, j) => j), wantLogits: true }] });
        out.push([...big.seqs[0][39].logits!]);
        for (let i = 0; i < 5; i++, pos++) {
          const r = await e.forward({ seqs: [{ tokens: [tok], pos, blockTable: table, outputRows: [0], wantLogits: true }] });
          out.push([...r.seqs[0][0].logits!]);
          tok = r.seqs[0][0].argmax;
        }
        return out;
      };
      const [a, b] = [await steps(graphed), await steps(direct)];
      expect(a.length).toBe(b.length);
      a.forEach((row, i) => expect(maxDiff(row, b[i]), `step ${i}`).toBe(0));
    });
  });

  describe('cuda beside the cpu engine', () => {
    const engines: Engine[] = [];
    afterAll(async () => { for (const e of engines) await e.close(); });
    for (const type of ['q8_0', 'q4_k_m', 'f16'] as const) {
      it(`${type}: the same argmax wherever the CPU's margin is clear, logits within 3%`, async () => {
        const p = tinyModel({ arch: 'qwen2', type });
        const toks = randomTokens(40, 300, 21);
        const [gpu, cpu] = ['cuda', 'cpu'].map((device) => {
          const e = Engine.open(p, { numBlocks: 16, threads: 2, device: device as 'cuda' | 'cpu' });
          engines.push(e);
          return e;
        });
        expect(gpu.device.kind).toBe('cuda');
        const g = await allRows(gpu, toks, [0, 1, 2]), c = await allRows(cpu, toks, [0, 1, 2]);
        let worst = 0, scale = 0;
        g.forEach((row, i) => { worst = Math.max(worst, maxDiff(row, c[i])); scale = Math.max(scale, maxAbs(c[i])); });
        expect(worst / scale).toBeLessThan(3e-2);
      });
    }
  });
});
