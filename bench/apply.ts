// npm run bench:apply [-- --quick] [--repeat] [--json FILE] [--cases N] [--max-chars C] [--eval DIR] [--models DIR] [--threads N]
//                      [--device auto|cpu|cuda] [--preset NAME]
//
// Speculative edits vs n-gram lookup vs plain greedy on the same engine and model, side by side
// in one run. Random weights cannot write a real edit, so the token the target "chooses" at each
// step is the expected file's (TEACHER FORCING, labelled in the output; not a product option):
// every forward pass is real and verifies exactly what a trained apply model would verify.
// Cases: the structural fixtures with an expected file, then the shared real-edit set.
// --repeat: a second edit of each case's file after the first (bench/repeat-edits.ts), on the
// same scheduler, and the second request's TTFT against the first's (the prefix cache at work).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scriptFlags } from '../src/args.js';
import { Engine } from '../src/engine/engine.js';
import { defaultDevice, describeDevice, parseDevice } from '../src/engine/device.js';
import { writeModel } from '../src/engine/generate.js';
import { Scheduler } from '../src/decode/scheduler.js';
import { makeProposer, type DecoderName, type RunResult } from '../src/decode/index.js';
import { buildPrompt, CLOSE_TAG, draftAnswer } from '../src/apply/prompt.js';
import { mergeStructural } from '../src/structural/merge.js';
import { parserFor } from '../src/languages/parser.js';
import { detectLanguage, GENERIC } from '../src/languages/registry.js';
import { loadFixtureCases } from '../test/fixture-cases.js';
import { derivedEdit, firstDifference, type SecondEdit } from './repeat-edits.js';

const USAGE = `Usage: npm run bench:apply [-- --quick] [--repeat] [--json FILE] [--cases N] [--max-chars C] [--concurrency 1,4,16]
                             [--k-max K] [--rounds R] [--eval DIR] [--models DIR] [--threads N] [--device D] [--preset P]

Speculative edits vs n-gram lookup vs greedy decoding on one engine and model (random weights,
teacher-forced to the expected file), then continuous batching vs one at a time.
  --quick          tiny model, 4 cases, concurrency 1,4
  --repeat         only the repeated-edit measurement: per case, the first edit then a second edit of
                   its result on the same scheduler; TTFT of the second / TTFT of the first
                   (JSON: repeat_ttft_ratio, median over cases, and repeat_ttft_ratio_p95)
  --rounds R       --repeat: rounds per case, the case's median taken (default 3, --quick 1)
  --json FILE      also write the results as JSON
  --cases N        cases to run (default 12, --quick 4); --max-chars C: skip larger files
  --concurrency L  comma-separated levels (default 1,4,16)
  --k-max K        largest speculation window (default 64)
  --eval DIR       the real-edit eval cases (default $TMPDIR/specedit-eval/cases, used when present)
  --models DIR     where generated models are kept (default $TMPDIR/specedit-bench-models)
  --threads N      engine threads (default: all cores)
  --device D       auto (default, or SPECEDIT_DEVICE: a usable CUDA GPU, else the CPU), cpu or cuda
  --preset P       model shape (default qwen2.5-coder-0.5b, --quick tiny; e.g. qwen2.5-coder-7b)
`;

const { values } = scriptFlags('bench:apply', USAGE, {
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    cases: { type: 'string' },
    'max-chars': { type: 'string' },
    eval: { type: 'string', default: path.join(os.tmpdir(), 'specedit-eval', 'cases') },
    models: { type: 'string', default: path.join(os.tmpdir(), 'specedit-bench-models') },
    threads: { type: 'string' },
    device: { type: 'string' },
    preset: { type: 'string' },
    concurrency: { type: 'string' },
    'k-max': { type: 'string', default: '64' },
    repeat: { type: 'boolean', default: false },
    rounds: { type: 'string' },
  },
});
const quick = values.quick!;
const nCases = Number(values.cases ?? (quick ? 4 : 12));
const maxChars = Number(values['max-chars'] ?? (quick ? 1500 : 4000));
const levels = (values.concurrency ?? (quick ? '1,4' : '1,4,16')).split(',').map(Number);
const PRESET = values.preset ?? (quick ? 'tiny' : 'qwen2.5-coder-0.5b');
const device = values.device ? parseDevice(values.device, '--device') : defaultDevice();

function modelPath(): string {
  fs.mkdirSync(values.models!, { recursive: true });
  const p = path.join(values.models!, `${PRESET}-q8_0-qwenvocab.gguf`);
  if (!fs.existsSync(p)) {
    console.error(`generating ${p} ...`);
    writeModel(p + '.tmp', { arch: 'qwen2', preset: PRESET, type: 'q8_0', vocab: 'qwen' });
    fs.renameSync(p + '.tmp', p);
  }
  return p;
}

/** --repeat: every real-edit case with the same file's next edit in the set, and that edit */
const chained: [Case, Case][] = [];

interface Case { id: string; path: string; original: string; update: string; instruction?: string; expected: string; candidate?: string; second?: SecondEdit }

function loadCases(): Case[] {
  const out: Case[] = [];
  for (const f of loadFixtureCases()) {
    if (f.expected && !f.meta.known_failure && f.original.length <= maxChars) out.push({ id: `fixture/${f.name}`, path: f.path, original: f.original, update: f.update, instruction: f.meta.instruction, expected: f.expected });
  }
  const evalCases: Case[] = [];
  if (fs.existsSync(values.eval!)) {
    for (const id of fs.readdirSync(values.eval!).sort()) {
      const d = path.join(values.eval!, id);
      if (!fs.existsSync(path.join(d, 'meta.json'))) continue;
      const m = JSON.parse(fs.readFileSync(path.join(d, 'meta.json'), 'utf8'));
      if (m.original_chars > maxChars || m.expected_chars > maxChars) continue;
      const read = (k: string) => fs.readFileSync(path.join(d, m.files[k]), 'utf8');
      evalCases.push({ id: `eval/${id}`, path: m.path, original: read('original'), update: read('update'), instruction: m.instruction, expected: read('expected') });
    }
  }
  if (values.repeat) {
    // a real second edit where the set has one: the same file's next published edit (its
    // original is this case's expected file); only those real-edit cases are used, so every
    // eval case in --repeat has a real second edit; fixtures get a derived one
    const byOriginal = new Map<string, Case>();
    for (const e of evalCases) if (!byOriginal.has(e.path + '\0' + e.original)) byOriginal.set(e.path + '\0' + e.original, e);
    for (const e of evalCases) {
      const n = byOriginal.get(e.path + '\0' + e.expected);
      if (n && n !== e) e.second = { source: 'next-version', id: n.id, update: n.update, instruction: n.instruction, expected: n.expected };
    }
    for (const e of evalCases) if (e.second) chained.push([e, byOriginal.get(e.path + '\0' + e.expected)!]);
    evalCases.splice(0, evalCases.length, ...evalCases.filter((e) => e.second));
    for (const f of out) f.second = derivedEdit(f.path, f.original, f.expected);
    out.splice(0, out.length, ...out.filter((f) => f.second));
  }
  // half fixtures, half real edits (spread over the sorted list), as many as asked
  const half = Math.ceil(nCases / 2), fx = out.slice(0, half), step = Math.max(1, Math.floor(evalCases.length / (nCases - fx.length || 1)));
  const ev = evalCases.filter((_, i) => i % step === 0).slice(0, nCases - fx.length);
  return [...fx, ...ev];
}

async function structuralCandidate(path: string, original: string, update: string): Promise<string | undefined> {
  const language = detectLanguage({ path, code: original } as never) ?? GENERIC;
  try { return mergeStructural({ original, update, language, parser: await parserFor(language) }).content; } catch { return undefined; /* refused: original as draft */ }
}

async function withCandidates(cases: Case[]): Promise<void> {
  for (const c of cases) c.candidate = await structuralCandidate(c.path, c.original, c.update);
}

type Variant = DecoderName | 'speculative_structural';
const VARIANTS: Variant[] = ['greedy', 'ngram', 'speculative', 'speculative_structural'];

function q(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : NaN;
}

const engine = Engine.open(modelPath(), { numBlocks: Math.ceil(65536 / 16), threads: values.threads ? Number(values.threads) : undefined, device });
const tok = engine.tokenizer;

function job(c: Case, v: Variant) {
  const prompt = buildPrompt(tok, { code: c.original, update: c.update, instruction: c.instruction }).tokens;
  const teacher = tok.encode(c.expected + CLOSE_TAG, { special: false, addBos: false });
  const decoder: DecoderName = v === 'speculative_structural' ? 'speculative' : v;
  const drafts = [draftAnswer(v === 'speculative_structural' && c.candidate !== undefined ? c.candidate : c.original), c.update];
  // teacher forcing: the target's choice is the expected file's next token
  const opts = { maxTokens: teacher.length, stopText: CLOSE_TAG, pick: (i: number) => teacher[i] };
  return { prompt, opts, proposer: () => makeProposer({ decoder, tokenizer: tok, drafts, ngram: { min: 2, max: 4, k: 8 }, spec: { kMax: Number(values['k-max']) } }) };
}

/** one request alone on a fresh scheduler (no prefix cache carried between runs) */
async function alone(c: Case, v: Variant): Promise<{ r: RunResult; ms: number }> {
  const j = job(c, v), s = new Scheduler(engine);
  const t0 = performance.now();
  const r = await s.submit(j.prompt, j.proposer(), j.opts);
  if (r.text !== c.expected) throw new Error(`${c.id} ${v}: output differs from the expected file`);
  return { r, ms: performance.now() - t0 };
}

const cases = loadCases();
await withCandidates(cases);
console.log(`model: ${path.basename(modelPath())} (random weights) on ${describeDevice(engine.device)}${engine.device.kind === 'cpu' ? `, threads ${engine.info().threads}` : ''}`);
console.log(`cases: ${cases.length} (≤ ${maxChars} chars): ${cases.map((c) => c.id).join(', ')}`);
console.log('TEACHER FORCING: the target\'s token is taken from the expected file; forward passes are real.\n');
if (values.repeat) {
  await repeated();
  await engine.close();
  process.exit(0);
}

const perDecoder: Record<string, unknown> = {};
const rows: string[][] = [];
// cases outer, decoders inner: every case runs under all decoders back to back, so a slow spell
// on this shared machine lands on all of them instead of on whichever decoder was running
const sums = Object.fromEntries(VARIANTS.map((v) => [v, { outTok: 0, secs: 0, decodeSecs: 0, passes: 0, prop: 0, acc: 0, ttft: [] as number[], lat: [] as number[] }]));
for (const c of cases) {
  for (const v of VARIANTS) {
    const { r, ms } = await alone(c, v);
    const a = sums[v];
    a.outTok += r.stats.completion_tokens; a.secs += ms / 1000; a.passes += r.stats.forward_passes;
    // after the first token: the decoding the decoders differ in, without the shared prefill
    a.decodeSecs += (ms - r.stats.ttft_ms) / 1000;
    a.prop += r.stats.draft_tokens_proposed; a.acc += r.stats.draft_tokens_accepted;
    a.ttft.push(r.stats.ttft_ms); a.lat.push(ms);
  }
}
for (const v of VARIANTS) {
  const { outTok, secs, decodeSecs, passes, prop, acc, ttft, lat } = sums[v];
  const d = {
    tokens_per_s: outTok / secs, decode_tokens_per_s: outTok / decodeSecs, forward_passes_per_token: passes / outTok, acceptance_rate: prop ? acc / prop : 0,
    ttft_ms_p50: q(ttft, 0.5), latency_ms: { p50: q(lat, 0.5), p95: q(lat, 0.95), p99: q(lat, 0.99) },
  };
  perDecoder[v] = d;
  rows.push([v, d.tokens_per_s.toFixed(1), d.decode_tokens_per_s.toFixed(1), d.forward_passes_per_token.toFixed(3), d.acceptance_rate.toFixed(2), d.ttft_ms_p50.toFixed(0), d.latency_ms.p50.toFixed(0), d.latency_ms.p95.toFixed(0), d.latency_ms.p99.toFixed(0)]);
  console.error(`  ${v} done`);
}
const table = (head: string[], body: string[][]) => [head, head.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
console.log('Concurrency 1, per decoder (out tok/s: output tokens over whole requests, prefill included; decode tok/s: after the first token; latency per request):\n');
console.log(table(['decoder', 'out tok/s', 'decode tok/s', 'passes/token', 'acceptance', 'TTFT p50 ms', 'p50 ms', 'p95 ms', 'p99 ms'], rows));

// continuous batching vs one at a time: n requests (cases repeated), speculative edits
const conc: Record<string, unknown> = {};
const crow: string[][] = [];
for (const n of levels) {
  const list = Array.from({ length: n }, (_, i) => cases[i % cases.length]);
  let t0 = performance.now(), toks = 0;
  const seqLat: number[] = [];
  for (const c of list) { const { r, ms } = await alone(c, 'speculative'); toks += r.stats.completion_tokens; seqLat.push(ms); }
  const seqSecs = (performance.now() - t0) / 1000;
  const s = new Scheduler(engine);
  t0 = performance.now();
  const lat: number[] = [];
  let btoks = 0;
  await Promise.all(list.map(async (c) => {
    const j = job(c, 'speculative'), t = performance.now();
    const r = await s.submit(j.prompt, j.proposer(), j.opts);
    if (r.text !== c.expected) throw new Error(`${c.id}: batched output differs`);
    btoks += r.stats.completion_tokens; lat.push(performance.now() - t);
  }));
  const bSecs = (performance.now() - t0) / 1000;
  conc[String(n)] = { batched_tokens_per_s: btoks / bSecs, sequential_tokens_per_s: toks / seqSecs, p95_ms: q(lat, 0.95) };
  crow.push([String(n), (btoks / bSecs).toFixed(1), (toks / seqSecs).toFixed(1), ((btoks / bSecs) / (toks / seqSecs)).toFixed(2), q(lat, 0.95).toFixed(0), q(seqLat, 0.5).toFixed(0)]);
  console.error(`  concurrency ${n} done`);
}
console.log('\nSpeculative edits, continuous batching vs one at a time (same requests):\n');
console.log(table(['concurrency', 'batched tok/s', 'sequential tok/s', 'speedup', 'batched p95 ms', 'single p50 ms'], crow));
if (values.json) {
  fs.writeFileSync(values.json, JSON.stringify({ model: path.basename(modelPath()), device: engine.device, teacher_forcing: true, cases: cases.map((c) => c.id), decoders: perDecoder, concurrency: conc }, null, 2));
}
await engine.close();

/** A speculative request as /apply makes it: the structural candidate as the draft when there is one. */
function applyJob(code: string, update: string, instruction: string | undefined, expected: string, candidate: string | undefined) {
  const prompt = buildPrompt(tok, { code, update, instruction }).tokens;
  const teacher = tok.encode(expected + CLOSE_TAG, { special: false, addBos: false });
  const drafts = [draftAnswer(candidate ?? code), update];
  const opts = { maxTokens: teacher.length, stopText: CLOSE_TAG, pick: (i: number) => teacher[i] };
  return { prompt, opts, proposer: () => makeProposer({ decoder: 'speculative', tokenizer: tok, drafts, spec: { kMax: Number(values['k-max']) } }) };
}

async function repeated(): Promise<void> {
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  const med = (xs: number[]) => q(xs, 0.5);
  const per: Record<string, unknown>[] = [];
  const rows: string[][] = [];
  for (const c of cases) {
    const e = c.second!;
    const cand2 = await structuralCandidate(c.path, c.expected, e.update);
    if (e.source === 'derived' && cand2 !== e.expected) {
      // a derived snippet must be a well-formed lazy edit: the structural merge reads it as meant
      console.error(`  ${c.id}: skipped (the structural merge does not read the derived second edit as meant)`);
      continue;
    }
    const j1 = applyJob(c.original, c.update, c.instruction, c.expected, c.candidate);
    const j2 = applyJob(c.expected, e.update, e.instruction, e.expected, cand2);
    // only the first pass matters for a TTFT: the same first pass (prefill + a draft of kInit
    // tokens), then stop
    const ttftOnly = { ...j2.opts, maxTokens: Math.min(j2.opts.maxTokens, 17) };
    const t1: number[] = [], t2: number[] = [], t2cold: number[] = [], t2cont: number[] = [];
    let hit = 0, hitCold = 0, hitCont = 0, contLen = 0;
    for (let r = 0; r < rounds; r++) {
      // a fresh scheduler per round, as a server that has answered other files: the fixed system
      // text is cached, nothing of this file is
      const s = new Scheduler(engine);
      await s.submit(buildPrompt(tok, { code: '' }).tokens, makeProposer({ decoder: 'greedy', tokenizer: tok }), { maxTokens: 1 });
      const r1 = await s.submit(j1.prompt, j1.proposer(), j1.opts);
      if (r1.text !== c.expected) throw new Error(`${c.id}: first edit's output differs from the expected file`);
      // the IDE's next edit, on the file the first one wrote: the same scheduler, its prefix cache
      const r2 = await s.submit(j2.prompt, j2.proposer(), j2.opts);
      if (r2.text !== e.expected) throw new Error(`${c.id}: second edit's output differs from its expected file`);
      // the same second request on a cold scheduler (system text cached): what the cache saved
      const cold = new Scheduler(engine);
      await cold.submit(buildPrompt(tok, { code: '' }).tokens, makeProposer({ decoder: 'greedy', tokenizer: tok }), { maxTokens: 1 });
      const r2c = await cold.submit(j2.prompt, j2.proposer(), ttftOnly);
      t1.push(r1.stats.ttft_ms); t2.push(r2.stats.ttft_ms); t2cold.push(r2c.stats.ttft_ms);
      hit = r2.stats.prefix_cache_hit_tokens; hitCold = r2c.stats.prefix_cache_hit_tokens;
      // NOT the product's prompt: a conversation layout (first prompt, its answer as generated,
      // then the second snippet as the next user turn) on the same scheduler, to show what
      // reusing the first answer's KV would give. A trained apply model is not asked this way.
      const cont = continuationPrompt(j1.prompt, r1.tokens, e.update, e.instruction);
      if (cont) {
        contLen = cont.length;
        const r2x = await s.submit(cont, j2.proposer(), ttftOnly);
        t2cont.push(r2x.stats.ttft_ms); hitCont = r2x.stats.prefix_cache_hit_tokens;
      }
    }
    const ratios = t1.map((x, i) => t2[i] / x), ratio = med(ratios);
    // where the first edit changed the file: every prompt token after it must be prefilled
    // again (its KV depends on every earlier token, positions included)
    const at = firstDifference(c.original, c.expected);
    const common = commonPrefix(j1.prompt, j2.prompt);
    // tokenization is stable up to the edit when the prompts share the tokens of the text before it
    const before = commonPrefix(buildPrompt(tok, { code: c.original.slice(0, at), update: c.update, instruction: c.instruction }).tokens, j1.prompt);
    const bs = engine.blockSize;
    const d = {
      id: c.id, second_edit: e.source, second_edit_id: e.id,
      prompt_tokens_first: j1.prompt.length, prompt_tokens_second: j2.prompt.length,
      first_edit_at: at / Math.max(1, c.original.length), tokens_before_first_edit: before, common_prefix_tokens: common,
      prefix_cache_hit_tokens: hit, prefix_cache_hit_tokens_cold: hitCold,
      // the second prompt's tokens that must be computed at best (after the last full block it
      // shares with the first), over the first prompt's
      prefill_floor: (j2.prompt.length - Math.floor(common / bs) * bs) / j1.prompt.length,
      ttft_ms_first: med(t1), ttft_ms_second: med(t2), ttft_ms_second_cold: med(t2cold),
      repeat_ttft_ratio: ratio, cache_ttft_ratio: med(t2.map((x, i) => x / t2cold[i])),
      continuation: t2cont.length ? { prompt_tokens: contLen, prefix_cache_hit_tokens: hitCont, ttft_ms: med(t2cont), ttft_ratio: med(t2cont.map((x, i) => x / t1[i])) } : undefined,
    };
    per.push(d);
    rows.push([c.id, e.source, `${(d.first_edit_at * 100).toFixed(0)}%`, String(d.prompt_tokens_first), String(d.prompt_tokens_second), String(hit),
      d.prefill_floor.toFixed(2), d.ttft_ms_first.toFixed(0), d.ttft_ms_second.toFixed(0), d.ttft_ms_second_cold.toFixed(0), ratio.toFixed(2), d.cache_ttft_ratio.toFixed(2),
      d.continuation ? d.continuation.ttft_ratio.toFixed(2) : '-']);
    console.error(`  ${c.id} done`);
  }
  const all = per.map((d) => d.repeat_ttft_ratio as number);
  const table = (head: string[], body: string[][]) => [head, head.map(() => '---'), ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
  console.log(`Repeated edits of one file (speculative edits, ${rounds} round(s) per case, medians): the second edit applies to the first's result on the same scheduler.`);
  console.log('first edit at: where the first edit changed the file (share of its characters); floor: prompt tokens after the last block shared with the first prompt, over the first prompt\'s tokens; ratio: TTFT second / first; cache: TTFT second / the same second request on a cold scheduler; conv.: TTFT of a conversation layout (NOT the product prompt: first prompt + its answer + the second snippet as a new turn) / TTFT first.\n');
  console.log(table(['case', 'second edit', 'first edit at', 'prompt 1', 'prompt 2', 'cache hit', 'floor', 'TTFT 1 ms', 'TTFT 2 ms', 'TTFT 2 cold ms', 'ratio', 'cache', 'conv.'], rows));
  const conv = per.flatMap((d) => (d.continuation ? [(d.continuation as { ttft_ratio: number }).ttft_ratio] : []));
  const summary = {
    repeat_ttft_ratio: q(all, 0.5), repeat_ttft_ratio_p95: q(all, 0.95),
    prefill_floor_p50: q(per.map((d) => d.prefill_floor as number), 0.5), prefill_floor_p95: q(per.map((d) => d.prefill_floor as number), 0.95),
    cache_ttft_ratio_p50: q(per.map((d) => d.cache_ttft_ratio as number), 0.5),
    conversation_layout_ttft_ratio_p50: conv.length ? q(conv, 0.5) : undefined, conversation_layout_ttft_ratio_p95: conv.length ? q(conv, 0.95) : undefined,
  };
  if (per.length) console.log(`\nrepeat_ttft_ratio (second / first, median over ${per.length} cases): ${summary.repeat_ttft_ratio.toFixed(3)}, p95 ${summary.repeat_ttft_ratio_p95.toFixed(3)}`);
  if (per.length) console.log(`prefill floor (product prompt): p50 ${summary.prefill_floor_p50.toFixed(3)}, p95 ${summary.prefill_floor_p95.toFixed(3)}; cached vs cold second request p50 ${summary.cache_ttft_ratio_p50.toFixed(3)}`);
  if (conv.length) console.log(`conversation layout (not the product prompt): TTFT ratio p50 ${q(conv, 0.5).toFixed(3)}, p95 ${q(conv, 0.95).toFixed(3)}`);
  // the floor over every real second edit in the set (tokens only, no forward passes)
  if (chained.length) {
    const bs = engine.blockSize, floors: number[] = [], convFloors: number[] = [];
    for (const [a, b] of chained) {
      const p1 = buildPrompt(tok, { code: a.original, update: a.update, instruction: a.instruction }).tokens;
      const p2 = buildPrompt(tok, { code: b.original, update: b.update, instruction: b.instruction }).tokens;
      floors.push((p2.length - Math.floor(commonPrefix(p1, p2) / bs) * bs) / p1.length);
      // the conversation layout: the new turn, and the first answer's last partial block
      const answer = tok.encode(a.expected + CLOSE_TAG, { special: false, addBos: false });
      const cont = continuationPrompt(p1, answer, b.update, b.instruction);
      if (cont) convFloors.push((cont.length - Math.floor((p1.length + answer.length - 1) / bs) * bs) / p1.length);
    }
    const share = (xs: number[]) => xs.filter((f) => f <= 0.25).length / xs.length;
    const at = chained.map(([a]) => firstDifference(a.original, a.expected) / Math.max(1, a.original.length));
    const early = at.filter((x) => x < 0.1).length / at.length;
    Object.assign(summary, { set_first_edit_at_p50: q(at, 0.5), set_first_edit_in_first_tenth: early });
    console.log(`all ${at.length} real first edits with a second one in the set: the first change at p50 ${(q(at, 0.5) * 100).toFixed(0)}% of the file, ${(early * 100).toFixed(0)}% of them in its first tenth`);
    Object.assign(summary, { set_floor_pairs: floors.length, set_floor_p50: q(floors, 0.5), set_floor_p95: q(floors, 0.95), set_floor_share_at_most_25pct: share(floors) });
    console.log(`all ${floors.length} real second edits in the set (≤ ${maxChars} chars): prefill floor p50 ${q(floors, 0.5).toFixed(3)}, p95 ${q(floors, 0.95).toFixed(3)}; ${(share(floors) * 100).toFixed(0)}% of them at or under 0.25`);
    if (convFloors.length) {
      Object.assign(summary, { set_conversation_floor_p50: q(convFloors, 0.5), set_conversation_floor_p95: q(convFloors, 0.95), set_conversation_floor_share_at_most_25pct: share(convFloors) });
      console.log(`  the same with the conversation layout (not the product prompt): p50 ${q(convFloors, 0.5).toFixed(3)}, p95 ${q(convFloors, 0.95).toFixed(3)}; ${(share(convFloors) * 100).toFixed(0)}% at or under 0.25`);
    }
  }
  if (values.json) {
    fs.writeFileSync(values.json, JSON.stringify({ model: path.basename(modelPath()), teacher_forcing: true, rounds, ...summary, cases: per }, null, 2));
  }
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The conversation layout (ChatML only; not what /apply sends): the first prompt, the first answer
 * as it was generated, then the second snippet as the next user turn. Its prefix is exactly the
 * first request's sequence, so the first answer's KV is reused.
 */
function continuationPrompt(first: readonly number[], answer: readonly number[], update: string, instruction?: string): number[] | undefined {
  if (buildPrompt(tok, { code: '' }).kind !== 'chatml') return undefined;
  const sp = (t: string) => tok.encode(t, { special: true, addBos: false }), tx = (t: string) => tok.encode(t, { special: false, addBos: false });
  return [...first, ...answer, ...sp('<|im_end|>\n<|im_start|>user\n'), ...tx(`<update>${update}</update>\n<instruction>${instruction ?? 'Apply the update to the code.'}</instruction>\n`), ...sp('<|im_end|>\n<|im_start|>assistant\n'), ...tx('<updated-code>\n')];
}
