// Continuous batching stays lossless: every sequence's greedy output equals its output alone,
// whatever it was batched with, when prefills are chunked, when it was preempted and
// recomputed, and when its prefix came from the cache. Cancellation frees blocks; the queue
// is bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { BlockManager } from '../src/engine/block-manager.js';
import { Scheduler, QueueFullError, CancelledError } from '../src/decode/scheduler.js';
import { GreedyProposer, NgramProposer, SpecEditsProposer, runSequence, type Proposer } from '../src/decode/index.js';
import { tinyModel, randomTokens } from './engine/helpers.js';

const model = tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2');
const engines: Engine[] = [];
const open = (numBlocks: number) => { const e = Engine.open(model, { numBlocks, threads: 2 }); engines.push(e); return e; };
afterAll(async () => { for (const e of engines) await e.close(); });

// one character per token, as in decode.test.ts: random models' output is not canonical text
const codec = {
  encode: (t: string) => Array.from(t, (c) => c.codePointAt(0)! - 0xe000),
  textOf: (ids: readonly number[]) => String.fromCodePoint(...ids.map((i) => 0xe000 + i)),
};

const MAX = 40;
const prompts = [5, 60, 17, 33, 48, 9].map((n, i) => randomTokens(n, 300, 100 + i));
let want: number[][];
const ref = open(64);
beforeAll(async () => {
  want = [];
  for (const p of prompts) want.push((await runSequence(ref, p, new GreedyProposer(), { maxTokens: MAX })).tokens);
});

function proposer(i: number): Proposer {
  switch (i % 3) {
    case 0: return new GreedyProposer();
    case 1: return new NgramProposer({ min: 1, max: 3, k: 6 });
    default: {
      // the true output with a hole in it: diverges, re-aligns
      const t = codec.textOf(want[i]);
      return new SpecEditsProposer(codec, [t.slice(0, 10) + t.slice(16)], { textOf: codec.textOf });
    }
  }
}

async function runAll(s: Scheduler) {
  return Promise.all(prompts.map((p, i) => s.submit(p, proposer(i), { maxTokens: MAX })));
}

describe('scheduler', () => {
  it('batched with others, mixed decoders: same tokens as alone, fewer forward calls', async () => {
    const s = new Scheduler(open(128));
    const got = await runAll(s);
    got.forEach((r, i) => expect(r.tokens).toEqual(want[i]));
    const alone = got.reduce((a, r) => a + r.stats.forward_passes, 0);
    expect(s.counters.steps).toBeLessThan(alone / 3);
    expect(s.blocks.numFree).toBe(128);
  });

  it('chunked prefill under a small token budget: same tokens', async () => {
    const s = new Scheduler(open(128), { maxBatchTokens: 16 });
    const got = await runAll(s);
    got.forEach((r, i) => expect(r.tokens).toEqual(want[i]));
  });

  it('preempted and recomputed when blocks run out: same tokens', async () => {
    // 8 blocks of 16 = 128 positions for six sequences of up to 100
    const s = new Scheduler(open(8));
    const got = await runAll(s);
    expect(s.counters.preemptions).toBeGreaterThan(0);
    got.forEach((r, i) => expect(r.tokens).toEqual(want[i]));
    expect(s.blocks.numFree).toBe(8);
  });

  it('prefix cache: a repeated prompt maps its blocks and decodes the same', async () => {
    const s = new Scheduler(open(64));
    const first = await s.submit(prompts[1], new GreedyProposer(), { maxTokens: MAX });
    const again = await s.submit(prompts[1], new GreedyProposer(), { maxTokens: MAX });
    expect(first.stats.prefix_cache_hit_tokens).toBe(0);
    expect(again.stats.prefix_cache_hit_tokens).toBe(48); // three full blocks of the 60-token prompt
    expect(again.tokens).toEqual(want[1]);
    // the prompt followed by its own output: the output's blocks were cached too
    const longer = prompts[1].concat(want[1].slice(0, 20));
    const cont = await s.submit(longer, new NgramProposer(), { maxTokens: 8 });
    expect(cont.stats.prefix_cache_hit_tokens).toBe(64);
    expect(cont.tokens).toEqual(want[1].slice(20, 28));
  });

  it('cancellation frees the blocks at once; the others finish unchanged', async () => {
    const e = open(64);
    const s = new Scheduler(e);
    const ac = new AbortController();
    let deltas = 0;
    const doomed = s.submit(prompts[4], new GreedyProposer(), {
      maxTokens: MAX, signal: ac.signal, onDelta: () => { if (++deltas === 3) ac.abort(); },
    });
    const other = s.submit(prompts[0], new GreedyProposer(), { maxTokens: MAX });
    await expect(doomed).rejects.toBeInstanceOf(CancelledError);
    expect(s.active).toBe(1);
    expect(s.blocks.numFree).toBeGreaterThanOrEqual(64 - s.blocks.blocksFor(prompts[0].length + MAX));
    expect((await other).tokens).toEqual(want[0]);
    expect(s.blocks.numFree).toBe(64);
  });

  it('temperature > 0: a seeded sampled run gives the same tokens alone and batched with others', async () => {
    const o = { maxTokens: 16, temperature: 0.8, seed: 11 };
    const aloneR = await runSequence(ref, prompts[3], new NgramProposer({ min: 1, max: 2, k: 4 }), o);
    const s = new Scheduler(open(64));
    const [batched] = await Promise.all([
      s.submit(prompts[3], new NgramProposer({ min: 1, max: 2, k: 4 }), o),
      s.submit(prompts[1], new GreedyProposer(), { maxTokens: MAX }),
    ]);
    expect(batched.tokens).toEqual(aloneR.tokens);
  });

  it('a full queue refuses with a retry hint', async () => {
    const s = new Scheduler(open(64), { maxQueue: 2 });
    const a = s.submit(prompts[0], new GreedyProposer(), { maxTokens: 4 });
    // the first is admitted at once; two wait; the fourth finds the queue full
    const b = s.submit(prompts[2], new GreedyProposer(), { maxTokens: 4 });
    const c = s.submit(prompts[3], new GreedyProposer(), { maxTokens: 4 });
    let err: unknown;
    try { void s.submit(prompts[4], new GreedyProposer(), { maxTokens: 4 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(QueueFullError);
    expect((err as QueueFullError).retryAfterS).toBeGreaterThanOrEqual(1);
    await Promise.all([a, b, c]);
  });

  it('a request larger than the KV pool is refused up front', () => {
    const s = new Scheduler(open(4));
    expect(() => s.submit(prompts[1], new GreedyProposer(), { maxTokens: 100 })).toThrow(/exceed the KV cache/);
  });
});

describe('block manager', () => {
  it('reference counts, chained prefix hashes, oldest freed block reused first', () => {
    const m = new BlockManager(4, 2);
    const a = { blockTable: [] as number[], blockHashes: [] as string[] };
    expect(m.ensure(a, 5)).toBe(true);
    m.register(a, [1, 2, 3, 4, 5], 5); // two full blocks
    const b = { blockTable: [] as number[], blockHashes: [] as string[] };
    expect(m.matchPrefix(b, [1, 2, 3, 4, 9], 4)).toBe(4);
    expect(m.refCount(a.blockTable[0])).toBe(2);
    const c = { blockTable: [] as number[], blockHashes: [] as string[] };
    expect(m.matchPrefix(c, [7, 2, 3, 4], 4)).toBe(0); // same second block, other prefix: no hit
    expect(m.ensure(c, 4)).toBe(false); // one block free, two needed: nothing taken
    expect(m.numFree).toBe(1);
    m.release(a); m.release(b);
    expect(m.numFree).toBe(4);
    // the cached blocks survive until reused; fresh blocks are taken first (oldest freed first)
    const d = { blockTable: [] as number[], blockHashes: [] as string[] };
    expect(m.matchPrefix(d, [1, 2, 3, 4], 4)).toBe(4);
    expect(() => m.release({ blockTable: [d.blockTable[0], d.blockTable[0]], blockHashes: [] })).toThrow(/freed twice/);
  });
});
