// Decoders on a tiny random model: whatever the draft, greedy speculative and n-gram output
// is byte-identical to plain greedy output; a good draft needs far fewer forward passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { GreedyProposer, NgramProposer, SpecEditsProposer, runSequence, type Proposer } from '../src/decode/index.js';
import { acceptSampled, probabilities, Rng } from '../src/decode/verify.js';
import { scriptDiff } from '../src/decode/edit-script.js';
import { applyPatch } from 'diff';
import { tinyModel, randomTokens } from './engine/helpers.js';

const engine = Engine.open(tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2'), { numBlocks: 128, threads: 2 });
afterAll(() => engine.close());
const tok = engine.tokenizer;
const prompt = tok.encode('export function add(a: number, b: number): number {\n  return a + b;\n}\n', { addBos: false });
const MAX = 96;

const run = (p: Proposer, extra = {}) => runSequence(engine, prompt, p, { maxTokens: MAX, ...extra });

// Random models emit invalid UTF-8 and token sequences no tokenizer would produce, so a
// draft written as text cannot line up with their output. For pass counts the proposer sees
// tokens through a one-character-per-token codec (what a trained model's canonical output
// gives through the real tokenizer); the forward passes and argmaxes are real.
const codec = {
  encode: (t: string) => Array.from(t, (c) => c.codePointAt(0)! - 0xe000),
  textOf: (ids: readonly number[]) => String.fromCodePoint(...ids.map((i) => 0xe000 + i)),
};
const specCodec = (drafts: string[]) => new SpecEditsProposer(codec, drafts, { textOf: codec.textOf });

/** Deterministic edits of a text: the draft diverges and must re-align. */
function mutate(text: string, seed: number): string {
  const r = randomTokens(12, 1 << 20, seed);
  let t = text;
  for (let i = 0; i < 2; i++) {
    const at = r[i * 3] % Math.max(1, t.length), len = 1 + (r[i * 3 + 1] % 12);
    const kind = r[i * 3 + 2] % 3;
    if (kind === 0) t = t.slice(0, at) + t.slice(at + len); // deletion
    else if (kind === 1) t = t.slice(0, at) + codec.textOf(randomTokens(len, 300, seed + i)) + t.slice(at); // insertion
    else t = t.slice(0, at) + codec.textOf(randomTokens(len, 300, seed + 9 * i)) + t.slice(at + len); // replacement
  }
  return t;
}

describe('decoders are lossless against plain greedy', () => {
  let greedy: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => { greedy = await run(new GreedyProposer()); });
  it('plain greedy: one forward pass per token', () => {
    expect(greedy.tokens.length).toBe(MAX);
    expect(greedy.stats.forward_passes).toBe(MAX);
  });

  it('n-gram lookup gives the same bytes', async () => {
    for (const [min, max, k] of [[1, 3, 4], [2, 4, 8], [3, 5, 16]]) {
      const r = await run(new NgramProposer({ min, max, k }));
      expect(r.tokens).toEqual(greedy.tokens);
      expect(r.text).toBe(greedy.text);
      expect(r.stats.forward_passes).toBeLessThanOrEqual(MAX);
    }
  });

  it('speculative edits with the exact output as draft: same bytes, a few passes', async () => {
    const r = await run(specCodec([codec.textOf(greedy.tokens)]));
    expect(r.text).toBe(greedy.text);
    expect(r.tokens).toEqual(greedy.tokens);
    expect(r.stats.forward_passes).toBeLessThan(MAX / 4);
    expect(r.stats.draft_tokens_accepted).toBeGreaterThan(MAX / 2);
  });

  it('speculative edits with drafts that diverge and re-align: same bytes, fewer passes', async () => {
    let div = 0, re = 0, passes = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const draft = mutate(codec.textOf(greedy.tokens), seed);
      const p = specCodec([draft, codec.textOf(randomTokens(30, tok.vocabSize, seed))]);
      const r = await run(p);
      expect(r.text).toBe(greedy.text);
      // each draft saves passes; together at least a third of plain decoding's (one draft's
      // edit can land in a repetitive stretch where re-alignment has no unique match for long)
      expect(r.stats.forward_passes).toBeLessThan(MAX);
      passes += r.stats.forward_passes;
      // the bookkeeping rebuilds the draft (kept + deleted) and the output (kept + inserted)
      const out = codec.textOf(r.tokens), script = p.edits.clip(draft.length, out.length, draft);
      expect(script.oldText()).toBe(draft);
      expect(script.newText()).toBe(out);
      div += p.counters.divergences;
      re += p.counters.realignments;
    }
    expect(passes).toBeLessThan((6 * MAX) / 3);
    expect(div).toBeGreaterThanOrEqual(6);
    expect(re).toBeGreaterThanOrEqual(5);
  });

  it('speculative edits with random drafts (nothing to agree with): same bytes', async () => {
    for (let seed = 1; seed <= 3; seed++) {
      const draft = tok.decode(randomTokens(80, tok.vocabSize, seed));
      const r = await run(new SpecEditsProposer(tok, [draft]));
      expect(r.text).toBe(greedy.text);
    }
  });

  it('the original file as second source, update snippet as main', async () => {
    const half = greedy.text.slice(greedy.text.length >> 1);
    const all = codec.textOf(greedy.tokens), mid = all.length >> 1;
    const r = await run(specCodec([all.slice(mid), all.slice(0, mid)]));
    expect(r.text).toBe(greedy.text);
    expect(r.stats.forward_passes).toBeLessThan(MAX / 3);
  });

  it('stops at the same place: max tokens, stop text (held back from the stream)', async () => {
    const stopText = greedy.text.slice(40, 46);
    const want = greedy.text.slice(0, greedy.text.indexOf(stopText));
    for (const p of [new GreedyProposer(), new NgramProposer(), specCodec([codec.textOf(greedy.tokens)])]) {
      let streamed = '';
      const r = await run(p, { stopText, onDelta: (d: string) => { streamed += d; } });
      expect(r.text).toBe(want);
      expect(streamed).toBe(want);
      expect(r.finishReason).toBe('stop');
      const s = await run(p.name === 'speculative' ? specCodec([codec.textOf(greedy.tokens)]) : p, { maxTokens: 17 });
      expect(s.tokens).toEqual(greedy.tokens.slice(0, 17));
    }
  });

  it('teacher forced to a real edit through the real tokenizer: the original as draft re-aligns after the edit', async () => {
    const original = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nexport function sub(a: number, b: number): number {\n  return a - b;\n}\n\nexport const zero = 0;\n';
    const edited = original.replace('return a - b;', 'const d = a - b;\n  return d;');
    const want = tok.encode(edited, { addBos: false });
    // the benchmark's teacher forcing: the target's choice comes from the expected file
    const o = { maxTokens: want.length, pick: (i: number) => want[i] };
    const g = await run(new GreedyProposer(), o);
    const p = new SpecEditsProposer(tok, [original]);
    const s = await run(p, o);
    expect(g.text).toBe(edited);
    expect(s.text).toBe(edited);
    expect(p.counters.realignments).toBeGreaterThan(0);
    expect(s.stats.forward_passes).toBeLessThan(g.stats.forward_passes / 3);
    // the bookkeeping is the diff: kept / inserted / deleted rebuild both files, and it applies
    const script = p.edits.clip(original.length, s.text.length, original);
    expect(script.oldText()).toBe(original);
    expect(script.newText()).toBe(edited);
    expect(applyPatch(original, scriptDiff('a.ts', script))).toBe(edited);
  });

  it('the runner frees its KV blocks', () => {
    expect(engine.blocks.numFree).toBe(engine.blocks.numBlocks);
  });
});

describe('speculative sampling (temperature > 0)', () => {
  it('accept/reject with a deterministic draft reproduces the target distribution', () => {
    const logits = [Float32Array.from([2, 1, 0.5, -1]), Float32Array.from([0, 0, 0, 0])];
    const p = probabilities(logits[0], 0.8), rng = new Rng(7), n = 40000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) counts[acceptSampled([1], logits, 0.8, rng).tokens[0]]++;
    counts.forEach((c, i) => expect(Math.abs(c / n - p[i])).toBeLessThan(0.01));
  });

  it('a sampled run with a draft completes and is reproducible from its seed', async () => {
    const a = await run(new SpecEditsProposer(tok, ['return a + b;\n}\n']), { temperature: 0.7, seed: 3, maxTokens: 24 });
    const b = await run(new SpecEditsProposer(tok, ['return a + b;\n}\n']), { temperature: 0.7, seed: 3, maxTokens: 24 });
    expect(a.tokens.length).toBe(24);
    expect(b.tokens).toEqual(a.tokens);
  });
});
