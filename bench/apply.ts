// npm run bench:apply [-- --quick] [--json FILE] [--cases N] [--max-chars C] [--eval DIR] [--models DIR] [--threads N]
//                      [--device auto|cpu|cuda] [--preset NAME]
//
// Speculative edits vs n-gram lookup vs plain greedy on the same engine and model, side by side
// in one run. Random weights cannot write a real edit, so the token the target "chooses" at each
// step is the expected file's (TEACHER FORCING, labelled in the output; not a product option):
// every forward pass is real and verifies exactly what a trained apply model would verify.
// Cases: the structural fixtures with an expected file, then the shared real-edit set.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scriptFlags } from '../src/args.js';
import { Engine } from '../src/engine/engine.js';
import { describeDevice, parseDevice } from '../src/engine/device.js';
import { writeModel } from '../src/engine/generate.js';
import { Scheduler } from '../src/engine/scheduler.js';
import { makeProposer, type DecoderName, type RunResult } from '../src/decode/index.js';
import { buildPrompt, CLOSE_TAG, draftAnswer } from '../src/apply/prompt.js';
import { mergeStructural } from '../src/structural/merge.js';
import { parserFor } from '../src/languages/parser.js';
import { detectLanguage, GENERIC } from '../src/languages/registry.js';
import { loadFixtureCases } from '../test/fixture-cases.js';

const USAGE = `Usage: npm run bench:apply [-- --quick] [--json FILE] [--cases N] [--max-chars C] [--concurrency 1,4,16]
                             [--k-max K] [--eval DIR] [--models DIR] [--threads N] [--device D] [--preset P]

Speculative edits vs n-gram lookup vs greedy decoding on one engine and model (random weights,
teacher-forced to the expected file), then continuous batching vs one at a time.
  --quick          tiny model, 4 cases, concurrency 1,4
  --json FILE      also write the results as JSON
  --cases N        cases to run (default 12, --quick 4); --max-chars C: skip larger files
  --concurrency L  comma-separated levels (default 1,4,16)
  --k-max K        largest speculation window (default 64)
  --eval DIR       the real-edit eval cases (default $TMPDIR/specedit-eval/cases, used when present)
  --models DIR     where generated models are kept (default $TMPDIR/specedit-bench-models)
  --threads N      engine threads (default: all cores)
  --device D       auto (default: a usable CUDA GPU, else the CPU), cpu or cuda
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
    device: { type: 'string', default: 'auto' },
    preset: { type: 'string' },
    concurrency: { type: 'string' },
    'k-max': { type: 'string', default: '64' },
  },
});
const quick = values.quick!;
const nCases = Number(values.cases ?? (quick ? 4 : 12));
const maxChars = Number(values['max-chars'] ?? (quick ? 1500 : 4000));
const levels = (values.concurrency ?? (quick ? '1,4' : '1,4,16')).split(',').map(Number);
const PRESET = values.preset ?? (quick ? 'tiny' : 'qwen2.5-coder-0.5b');
const device = parseDevice(values.device!, '--device');

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

interface Case { id: string; path: string; original: string; update: string; instruction?: string; expected: string; candidate?: string }

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
  // half fixtures, half real edits (spread over the sorted list), as many as asked
  const half = Math.ceil(nCases / 2), fx = out.slice(0, half), step = Math.max(1, Math.floor(evalCases.length / (nCases - fx.length || 1)));
  const ev = evalCases.filter((_, i) => i % step === 0).slice(0, nCases - fx.length);
  return [...fx, ...ev];
}

async function withCandidates(cases: Case[]): Promise<void> {
  for (const c of cases) {
    const language = detectLanguage({ path: c.path, code: c.original } as never) ?? GENERIC;
    try { c.candidate = mergeStructural({ original: c.original, update: c.update, language, parser: await parserFor(language) }).content; } catch { /* refused: original as draft */ }
  }
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
