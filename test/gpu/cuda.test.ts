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
