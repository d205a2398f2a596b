// npm run bench:peers [-- --quick] [--json FILE] [--rounds N] [--types LIST] [--presets LIST] [--threads N] [--models DIR] [--cache DIR]
//
// specedit's engine beside llama.cpp (through node-llama-cpp, pinned, installed on demand into a
// cache outside the repo: it is large and no part of the service) on the same generated GGUF
// files, the same thread count, each side in its own child process so that neither's memory or
// thread pool is warm for the other; the sides alternate, and each ratio is the median over
// rounds of (llama.cpp time / specedit time) taken within one round.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scriptFlags } from '../src/args.js';
import { Engine } from '../src/engine/engine.js';
import { type FileType } from '../src/engine/generate.js';
import { loadAddon } from '../src/engine/native.js';
import { benchPrompt, DEFAULT_MODELS_DIR, modelPath, stat } from './models.js';

const NLC_VERSION = '3.21.1';
const USAGE = `Usage: npm run bench:peers [-- --quick] [--json FILE] [--rounds N] [--types LIST] [--presets LIST] [--threads N] [--models DIR] [--cache DIR]

specedit's engine and llama.cpp (node-llama-cpp@${NLC_VERSION}, CPU build, installed on demand into
--cache) on the same generated Qwen2.5-Coder-shaped GGUF files, alternated in separate processes:
decode after a 512-token prompt (and 4096), verification of k = 8/32/64 rows with logits for
every row, prefill of 512 tokens. Ratio = llama.cpp time / specedit time, median of paired rounds.
  --quick          0.5B Q8_0 only, 3 rounds, context 512 only
  --json FILE      also write {rows: [{model, type, step, ctx, specedit_ms, llamacpp_ms, ratio}]}
  --rounds N       rounds per model (default 3 quick, 5 full)
  --types LIST     weight types (default q8_0,q4_k_m; quick q8_0)
  --presets LIST   model shapes (default qwen2.5-coder-0.5b,qwen2.5-coder-1.5b; quick the 0.5b)
  --threads N      threads on both sides (default: all cores)
  --models DIR     where generated models are kept (default $TMPDIR/specedit-bench-models)
  --cache DIR      where node-llama-cpp is installed (default $TMPDIR/specedit-peers-cache)
`;

const { values } = scriptFlags('bench:peers', USAGE, {
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    rounds: { type: 'string' },
    threads: { type: 'string' },
    models: { type: 'string', default: DEFAULT_MODELS_DIR },
    cache: { type: 'string', default: path.join(os.tmpdir(), 'specedit-peers-cache') },
    types: { type: 'string' },
    presets: { type: 'string' },
    // internal: one side's measurements in a child process
    worker: { type: 'string' },
    model: { type: 'string' },
    ctxs: { type: 'string' },
    reps: { type: 'string' },
  },
});
const threads = Number(values.threads ?? os.availableParallelism());
const KS = [8, 32, 64];
const PREFILL = 512;

/** One side's medians (ms) within one process; keys are step names, with '@ctx' for decode beyond 512. */
type Timings = Record<string, number>;

// Within a child: a warm-up of each step, then `reps` repetitions with the steps interleaved (so a
// neighbour's burst touches every step alike); the child reports each step's median.
async function measure(reps: number, steps: [string, () => Promise<unknown>][]): Promise<Timings> {
  for (const [, f] of steps) await f();
  const xs: Record<string, number[]> = Object.fromEntries(steps.map(([n]) => [n, []]));
  for (let i = 0; i < reps; i++)
    for (const [n, f] of steps) {
      const t0 = performance.now();
      await f();
      xs[n].push(performance.now() - t0);
    }
  return Object.fromEntries(Object.entries(xs).map(([n, v]) => [n, stat(v).median]));
}

// specedit: the same calls bench:engine times. Decode and verification write at position 512
// (after a 512-token prompt) and ask for every row's logits (argmax per row is returned); each
// repetition overwrites the same positions, so the context stays at 512 (or 4096).
async function specedit(file: string, ctxs: number[], reps: number): Promise<Timings> {
  const ctxMax = Math.max(...ctxs), bs = 16;
  const nBlocks = Math.ceil((ctxMax + 80) / bs);
  const e = Engine.open(file, { numBlocks: nBlocks + 8, blockSize: bs, threads });
  const prompt = benchPrompt(ctxMax + 64);
  const table = e.blocks.allocate(nBlocks);
  const chunk = (start: number, n: number) => e.forward({ seqs: [{ tokens: prompt.slice(start, start + n), pos: start, blockTable: table }] });
  const step = (pos: number, k: number) =>
    e.forward({ seqs: [{ tokens: prompt.slice(pos, pos + k), pos, blockTable: table, outputRows: Array.from({ length: k }, (_, i) => i) }] });
  const out = await measure(reps, [['prefill512', () => chunk(0, PREFILL)]]);
  Object.assign(out, await measure(reps, [['decode', () => step(512, 1)], ...KS.map((k): [string, () => Promise<unknown>] => [`verify${k}`, () => step(512, k)])]));
  for (const ctx of ctxs.filter((c) => c > 512)) {
    for (let s = 512; s < ctx; s += 512) await chunk(s, Math.min(512, ctx - s));
    Object.assign(out, await measure(reps, [[`decode@${ctx}`, () => step(ctx, 1)]]));
  }
  await e.close();
  return out;
}

// llama.cpp through node-llama-cpp: the CPU build (gpu: false), weights read into memory rather
// than mmapped (as specedit reads them), one sequence, batch 512 so the prefill is one batch.
// Decode and verification go through controlledEvaluate with generateNext.token on every row:
// llama.cpp computes each row's logits and samples it greedily (temperature 0 = argmax), the same
// work specedit's rows do; the rows are then erased so every repetition starts at 512 (or 4096).
async function llamacpp(file: string, ctxs: number[], reps: number): Promise<Timings> {
  const nlc = await import(pathToFileURL(path.join(values.cache!, 'node_modules', 'node-llama-cpp', 'dist', 'index.js')).href);
  const llama = await nlc.getLlama({ gpu: false, build: 'never', maxThreads: threads, logLevel: 'error' });
  const model = await llama.loadModel({ modelPath: file, useMmap: false, gpuLayers: 0 });
  const ctxMax = Math.max(...ctxs);
  const context = await model.createContext({ contextSize: ctxMax + 128, batchSize: PREFILL, threads, sequences: 1 });
  const seq = context.getSequence();
  const prompt = benchPrompt(ctxMax + 64);
  const prefill = async () => { await seq.clearHistory(); await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, PREFILL)); };
  const out = await measure(reps, [['prefill512', prefill]]);
  await prefill();
  const step = async (pos: number, k: number) => {
    if (seq.nextTokenIndex !== pos) throw new Error(`llama.cpp sequence at ${seq.nextTokenIndex}, expected ${pos}`);
    await seq.controlledEvaluate(prompt.slice(pos, pos + k).map((t) => [t, { generateNext: { token: true } }]));
    await seq.eraseContextTokenRanges([{ start: pos, end: pos + k }]);
  };
  Object.assign(out, await measure(reps, [['decode', () => step(512, 1)], ...KS.map((k): [string, () => Promise<unknown>] => [`verify${k}`, () => step(512, k)])]));
  for (const ctx of ctxs.filter((c) => c > 512)) {
    await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(seq.nextTokenIndex, ctx));
    Object.assign(out, await measure(reps, [[`decode@${ctx}`, () => step(ctx, 1)]]));
  }
  // which CPU kernels the prebuilt binary picked (llama_print_system_info), so a reader can see
  // that llama.cpp was not handicapped by a generic build
  const info = `${llama.buildType} build, gpu ${llama.gpu}, ${context.currentThreads ?? threads} threads; ${String(llama.systemInfo).trim()}`;
  await context.dispose(); await model.dispose(); await llama.dispose();
  return { ...out, info } as unknown as Timings;
}

if (values.worker) {
  const ctxs = values.ctxs!.split(',').map(Number), reps = Number(values.reps);
  const r = values.worker === 'specedit' ? await specedit(values.model!, ctxs, reps) : await llamacpp(values.model!, ctxs, reps);
  process.stdout.write('\nRESULT ' + JSON.stringify(r) + '\n');
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// the parent: install the peer, generate the models, alternate the sides, pair the rounds

function ensurePeer(cache: string): void {
  const pkg = path.join(cache, 'node_modules', 'node-llama-cpp', 'package.json');
  if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).version === NLC_VERSION) return;
  console.log(`installing node-llama-cpp@${NLC_VERSION} into ${cache} (once; prebuilt binaries, a few hundred MB) ...`);
  fs.mkdirSync(cache, { recursive: true });
  // its postinstall only offers to build from source; the prebuilt CPU binary needs none of it
  execFileSync('npm', ['install', '--prefix', cache, `node-llama-cpp@${NLC_VERSION}`, '--no-audit', '--no-fund', '--ignore-scripts'], { stdio: 'inherit' });
}

function runSide(side: string, file: string, ctxs: number[], reps: number): Promise<Timings & { info?: string }> {
  return new Promise((resolve, reject) => {
    // the same node with the same loader flags (tsx's), so the child runs this file as TypeScript
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url),
      '--worker', side, '--model', file, '--ctxs', ctxs.join(','), '--reps', String(reps), '--threads', String(threads), '--cache', values.cache!],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)));
      else reject(new Error(`${side} worker exited with ${code}:\n${(out + err).trim().split('\n').slice(-20).join('\n')}`));
    });
  });
}

const quick = values.quick!;
const rounds = Number(values.rounds ?? (quick ? 3 : 5));
const reps = quick ? 3 : 5;
const ctxs = quick ? [512] : [512, 4096];
const presets = (values.presets ?? (quick ? 'qwen2.5-coder-0.5b' : 'qwen2.5-coder-0.5b,qwen2.5-coder-1.5b')).split(',');
const types = (values.types ?? (quick ? 'q8_0' : 'q8_0,q4_k_m')).split(',') as FileType[];
const models: [string, FileType][] = presets.flatMap((p) => types.map((t): [string, FileType] => [p, t]));

ensurePeer(values.cache!);
const addon = loadAddon();
console.log(`# specedit vs llama.cpp (node-llama-cpp@${NLC_VERSION})${quick ? ' (quick)' : ''}: ${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism()} cpus, features: ${addon.cpuFeatures}`);
const ceil = addon.probeCeilings(threads, 'auto');
console.log(`ceilings (${threads} threads): streaming read ${ceil.bandwidthGBs.toFixed(1)} GB/s, int8 multiply-add (${ceil.isa}) ${ceil.int8GMACs.toFixed(0)} GMAC/s`);
console.log(`each side: its own process per round, ${threads} threads, weights read into memory (not mmapped); per step a warm-up, then the median of ${reps} repetitions;
  decode = 1 token at position 512 (or 4096) after a prompt of that length, its logits computed and argmax taken;
  verifyK = K tokens at position 512 in one batch, logits for every one of the K rows, argmax per row
    (llama.cpp: controlledEvaluate with generateNext.token on each row, greedy sampling; the rows are erased after);
  prefill512 = 512 tokens from an empty context in one batch (specedit computes the last row's logits; llama.cpp's
    evaluateWithoutGeneratingNewTokens asks for none: one output-head row, well under 1% of a 512-token prefill).
${rounds} round${rounds === 1 ? '' : 's'}, alternating which side runs first; ratio = llama.cpp / specedit, median over the rounds' paired ratios.`);

interface Row { model: string; type: FileType; step: string; ctx: number; specedit_ms: number; llamacpp_ms: number; ratio: number; specedit_p95_ms: number; llamacpp_p95_ms: number }
const rows: Row[] = [];
let llamaInfo = '';
for (const [preset, type] of models) {
  const file = modelPath(values.models!, preset, type);
  const bytes = fs.statSync(file).size;
  const per: { s: Timings; l: Timings }[] = [];
  for (let r = 0; r < rounds; r++) {
    // alternate who runs first: the second process of a round may find the file in the page cache
    // and the CPU warmer, so neither side gets that every time
    const order = r % 2 === 0 ? ['specedit', 'llamacpp'] : ['llamacpp', 'specedit'];
    const res: Record<string, Timings & { info?: string }> = {};
    for (const side of order) res[side] = await runSide(side, file, ctxs, reps);
    llamaInfo = String(res.llamacpp.info ?? '');
    per.push({ s: res.specedit, l: res.llamacpp });
    process.stdout.write(`  ${preset} ${type}: round ${r + 1}/${rounds} done\n`);
  }
  const steps = ['decode', ...ctxs.filter((c) => c > 512).map((c) => `decode@${c}`), ...KS.map((k) => `verify${k}`), 'prefill512'];
  console.log(`\n## ${preset} ${type} (${(bytes / 2 ** 20).toFixed(0)} MiB; decode's bandwidth bound ${((bytes / (ceil.bandwidthGBs * 1e9)) * 1e3).toFixed(1)} ms)`);
  console.log('| step | specedit ms (median, p95 of rounds) | llama.cpp ms (median, p95) | ratio (llama.cpp / specedit) |\n|---|---|---|---|');
  for (const st of steps) {
    const s = stat(per.map((p) => p.s[st])), l = stat(per.map((p) => p.l[st]));
    const ratio = stat(per.map((p) => p.l[st] / p.s[st])).median;
    const [step, ctx] = st.includes('@') ? [st.split('@')[0], Number(st.split('@')[1])] : [st, 512];
    rows.push({ model: preset, type, step, ctx, specedit_ms: s.median, llamacpp_ms: l.median, ratio, specedit_p95_ms: s.p95, llamacpp_p95_ms: l.p95 });
    const label = step === 'decode' ? `decode, ctx ${ctx}` : step === 'prefill512' ? 'prefill 512 tokens' : `verify k=${step.slice(6)}`;
    const extra = step === 'prefill512' ? ` (${(512_000 / s.median).toFixed(0)} vs ${(512_000 / l.median).toFixed(0)} tok/s)` : '';
    console.log(`| ${label} | ${s.median.toFixed(1)} (${s.p95.toFixed(1)}) | ${l.median.toFixed(1)} (${l.p95.toFixed(1)}) | ${ratio.toFixed(2)}×${ratio < 1 ? ' (llama.cpp faster)' : ''}${extra} |`);
  }
}
if (llamaInfo) console.log(`\nllama.cpp side: ${llamaInfo}`);
const after = addon.probeCeilings(threads, 'auto');
console.log(`ceilings re-measured after the run: ${after.bandwidthGBs.toFixed(1)} GB/s, ${after.int8GMACs.toFixed(0)} GMAC/s (a large change means the machine was busy)`);
if (values.json) {
  fs.writeFileSync(values.json, JSON.stringify({ threads, rounds, node_llama_cpp: NLC_VERSION, ceilings: { before: ceil, after }, rows }, null, 2));
  console.log(`wrote ${values.json}`);
}
