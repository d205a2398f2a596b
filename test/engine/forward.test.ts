// The CPU engine: the conformance suite (conformance.ts) with every kernel set this CPU runs,
// then what only the CPU has: the kernel set asked for is the one used, thread count and the
// weights' memory (mmap or huge pages) do not change a bit, forward runs off the event loop.
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { allRows, engineConformance } from './conformance.js';
import { availableIsas, randomTokens, sameBits, tinyModel } from './helpers.js';

engineConformance({
  device: 'cpu',
  base: { device: 'cpu' },
  variants: availableIsas().map((isa) => ({ label: isa, opts: { isa } })),
});

const engines: Engine[] = [];
function open(path: string, o: Parameters<typeof Engine.open>[1] = {}): Engine {
  const e = Engine.open(path, { numBlocks: 64, threads: 2, device: 'cpu', ...o });
  engines.push(e);
  return e;
}
afterAll(async () => { for (const e of engines) await e.close(); });

describe('cpu only', () => {
  it('each kernel set asked for is the one that runs', () => {
    const p = tinyModel({ arch: 'qwen2', type: 'q8_0' });
    for (const isa of availableIsas()) expect(open(p, { isa }).info().isa).toContain(isa);
  });

  it('thread count does not change a bit, on any kernel set', async () => {
    for (const type of ['q8_0', 'q4_k_m', 'f16'] as const) {
      const p = tinyModel({ arch: type === 'f16' ? 'llama' : 'qwen2', type });
      const A = randomTokens(45, 300, 1);
      for (const isa of availableIsas()) {
        const two = await allRows(open(p, { isa }), A, [0, 1, 2]);
        const one = await allRows(open(p, { isa, threads: 1 }), A, [0, 1, 2]);
        one.forEach((r, i) => expect(sameBits(r, two[i]), `${type} ${isa} 1-thread row ${i}`).toBe(true));
      }
    }
  });

  it('forward runs off the JavaScript thread (the event loop keeps ticking)', async () => {
    const e = open(tinyModel({ arch: 'qwen2', type: 'q8_0' }), { numBlocks: 256 });
    const toks = randomTokens(2048, 300, 8);
    let ticks = 0, maxGap = 0, last = performance.now();
    const timer = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; ticks++; }, 1);
    const t0 = performance.now();
    await e.forward({ seqs: [{ tokens: toks, pos: 0, blockTable: Array.from({ length: 128 }, (_, i) => i) }] });
    const took = performance.now() - t0;
    clearInterval(timer);
    expect(took).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThan(took / 20);
    expect(maxGap).toBeLessThan(Math.max(50, took / 2));
  });

  it('weights used in place from the mapping give the same bits as the huge-page copy', async () => {
    const p = tinyModel({ arch: 'qwen2', type: 'q4_k_m' });
    const toks = randomTokens(19, 300, 12);
    const a = await allRows(open(p, { weights: 'mmap' }), toks, [0, 1]);
    const b = await allRows(open(p), toks, [0, 1]);
    a.forEach((r, i) => expect(sameBits(r, b[i])).toBe(true));
  });
});
