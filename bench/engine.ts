// npm run bench:engine [-- --quick] [--json FILE] [--types q8_0,q4_k_m] [--threads N] [--models DIR]
//                       [--device auto|cpu|cuda] [--preset NAME]
//
// Engine benchmark on generated models with the shape of Qwen2.5-Coder-0.5B (or --preset; random
// weights, the real Qwen vocabulary): decode, verification of k tokens, prefill, a batch of 8
// sequences, paged vs contiguous attention; each next to the ceilings measured in the same run
// (CPU: streaming read and int8 multiply-add; CUDA: the device's streaming read from HBM).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { scriptFlags } from '../src/args.js';
import { Engine } from '../src/engine/engine.js';
import { type FileType } from '../src/engine/generate.js';
import { loadAddon } from '../src/engine/native.js';
import { chooseDevice, defaultDevice, describeDevice, parseDevice } from '../src/engine/device.js';
import { benchPrompt, DEFAULT_MODELS_DIR, modelPath, stat, type Stat } from './models.js';

const USAGE = `Usage: npm run bench:engine [-- --quick] [--json FILE] [--types q8_0,q4_k_m] [--threads N] [--models DIR]
                               [--device auto|cpu|cuda] [--preset NAME]

Engine benchmark on generated Qwen2.5-Coder-0.5B-shaped models (random weights, real vocabulary):
decode, verification of k tokens, prefill, batches, paged vs contiguous attention, beside this
machine's measured ceilings.
  --quick          fewer repetitions, q8_0 only
  --json FILE      also write the results as JSON
  --types LIST     weight types to measure (default q8_0,q4_k_m)
  --threads N      engine threads (default: all cores)
  --models DIR     where generated models are kept (default $TMPDIR/specedit-bench-models)
  --device D       auto (default, or SPECEDIT_DEVICE: a usable CUDA GPU, else the CPU), cpu or cuda
  --preset P       model shape (default qwen2.5-coder-0.5b; e.g. qwen2.5-coder-7b)
`;

const { values } = scriptFlags('bench:engine', USAGE, {
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    types: { type: 'string' },
    threads: { type: 'string' },
    models: { type: 'string', default: DEFAULT_MODELS_DIR },
    device: { type: 'string' },
    preset: { type: 'string', default: 'qwen2.5-coder-0.5b' },
  },
});
const quick = values.quick!;
const threads = Number(values.threads ?? os.availableParallelism());
const types = (values.types ?? (quick ? 'q8_0' : 'q8_0,q4_k_m')).split(',') as FileType[];
const PRESET = values.preset!;
const device = values.device ? parseDevice(values.device, '--device') : defaultDevice();

async function time(reps: number, f: () => Promise<unknown>): Promise<Stat> {
  await f(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    xs.push(performance.now() - t0);
  }
  return stat(xs);
}
const fmt = (s: Stat) => `${s.median.toFixed(1)} ms (p95 ${s.p95.toFixed(1)})`;

interface Ceilings { bandwidthGBs: number; int8GMACs?: number }

async function benchModel(type: FileType, ceil: Ceilings) {
  const file = modelPath(values.models!, PRESET, type);
  const bytes = fs.statSync(file).size;
  const ctxMax = quick ? 512 : 4096;
  const bs = 16;
  const nSeqBlocks = Math.ceil((ctxMax + 80) / bs);
  const e = Engine.open(file, { numBlocks: nSeqBlocks * 2 + 8 * Math.ceil(600 / bs), blockSize: bs, threads, device });
  const c = e.config;
  const reps = quick ? 5 : 15;
  // a prompt of random tokens; prefill in 512-token chunks (the first chunk is the prefill timing)
  const prompt = benchPrompt(ctxMax);
  const seqTable = e.blocks.allocate(nSeqBlocks);
  const prefillOne = (start: number, n: number) =>
    e.forward({ seqs: [{ tokens: prompt.slice(start, start + n), pos: start, blockTable: seqTable }] });
  const prefill = await time(quick ? 1 : 3, () => prefillOne(0, 512));
  for (let s = 512; s < ctxMax; s += 512) await prefillOne(s, 512);

  const step = (pos: number, k: number, table = seqTable) =>
    e.forward({ seqs: [{ tokens: prompt.slice(0, k), pos, blockTable: table, outputRows: Array.from({ length: k }, (_, i) => i) }] });
  // decode and the verifications interleaved, one of each per round, and each verification's cost
  // relative to decode taken per round (median of the paired ratios): a neighbour's burst on this
  // shared machine then slows both sides of a ratio instead of one
  const ks = quick ? [8, 32] : [8, 16, 32, 64];
  for (const k of [1, ...ks]) await step(512, k); // warm-up
  const rounds: Record<string, number[]> = Object.fromEntries([1, ...ks].map((k) => [k, []]));
  for (let i = 0; i < reps; i++)
    for (const k of [1, ...ks]) {
      const t0 = performance.now();
      await step(512, k);
      rounds[k].push(performance.now() - t0);
    }
  const decode512 = stat(rounds[1]);
  const decode4096 = quick ? undefined : await time(reps, () => step(4096, 1));
  const verify: Record<string, Stat> = {};
  const ratio: Record<string, number> = {};
  for (const k of ks) {
    verify[k] = stat(rounds[k]);
    ratio[k] = stat(rounds[k].map((ms, i) => ms / rounds[1][i])).median;
  }

  // batch of 8 sequences decoding at context 512 (their prompts prefilled first)
  const tables = Array.from({ length: 8 }, () => e.blocks.allocate(Math.ceil(520 / bs)));
  for (const t of tables) await e.forward({ seqs: [{ tokens: prompt.slice(0, 512), pos: 0, blockTable: t }] });
  const batch8 = await time(reps, () =>
    e.forward({ seqs: tables.map((t, i) => ({ tokens: [prompt[i]], pos: 512, blockTable: t })) }));

  // paged vs contiguous: the same decode step through a shuffled block table
  let paged: Stat | undefined, contiguous: Stat | undefined;
  if (!quick) {
    const other = e.blocks.allocate(nSeqBlocks);
    const shuffled = [...other];
    for (let i = shuffled.length - 1; i > 0; i--) { const j = (i * 48271) % (i + 1); [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]; }
    const sorted = [...other].sort((a, b) => a - b);
    for (const t of [shuffled, sorted]) for (let s = 0; s < 4096; s += 512) await e.forward({ seqs: [{ tokens: prompt.slice(s, s + 512), pos: s, blockTable: t }] });
    contiguous = await time(reps, () => step(4096, 1, sorted));
    paged = await time(reps, () => step(4096, 1, shuffled));
  }
  const info = e.info();
  await e.close();

  const macsPerToken = (c.layers * (c.dim * (c.heads + 2 * c.kvHeads) * c.headDim + c.heads * c.headDim * c.dim + 3 * c.dim * c.ffn) + c.dim * c.vocab);
  // the bytes one decode step must stream: the file's weights on the CPU, the repacked device copy on a GPU
  const streamed = e.device.kind === 'cuda' ? info.deviceWeightBytes : bytes;
  const decodeBoundMs = (streamed / (ceil.bandwidthGBs * 1e9)) * 1e3;
  const r = {
    model: `${PRESET} (random weights, Qwen vocabulary) ${type}`,
    weight_type: type,
    file_bytes: bytes,
    device: e.device,
    isa: info.isa,
    threads: info.threads,
    cuda_matmul: info.cudaMatmul || undefined,
    cuda_graphs: e.device.kind === 'cuda' ? info.cudaGraphs : undefined,
    streamed_bytes: streamed,
    decode_tok_s: 1000 / decode512.median,
    decode_ms: decode512.median,
    decode_p95_ms: decode512.p95,
    decode_4096_ms: decode4096?.median,
    verify_ms: Object.fromEntries(Object.entries(verify).map(([k, s]) => [k, s.median])),
    verify_p95_ms: Object.fromEntries(Object.entries(verify).map(([k, s]) => [k, s.p95])),
    verify_vs_decode: ratio,
    verify_tok_s: Object.fromEntries(Object.entries(verify).map(([k, s]) => [k, (Number(k) * 1000) / s.median])),
    prefill_tok_s: 512_000 / prefill.median,
    batch8_tok_s: 8000 / batch8.median,
    paged_ms: paged?.median,
    contiguous_ms: contiguous?.median,
    mem_bandwidth_gb_s: ceil.bandwidthGBs,
    int8_gmac_s: ceil.int8GMACs,
    verify64_vs_decode: ratio[64],
    decode_bound_ms: decodeBoundMs,
    decode_bandwidth_fraction: decodeBoundMs / decode512.median,
    verify32_gmac_s: verify[32] ? (32 * macsPerToken) / (verify[32].median * 1e6) : undefined,
  };
  console.log(`\n## ${r.model} — ${e.device.kind === 'cuda' ? `${describeDevice(e.device)}, ${info.cudaMatmul} matmul, graphs ${info.cudaGraphs ? 'on' : 'off'}` : `${info.isa}, ${info.threads} threads`}`);
  console.log(`| measure | value |\n|---|---|`);
  console.log(`| decode, context 512 | ${fmt(decode512)} = ${r.decode_tok_s.toFixed(1)} tok/s; ${(r.decode_bandwidth_fraction * 100).toFixed(0)}% of the bandwidth bound (${decodeBoundMs.toFixed(1)} ms) |`);
  if (decode4096) console.log(`| decode, context 4096 | ${fmt(decode4096)} = ${(1000 / decode4096.median).toFixed(1)} tok/s |`);
  for (const [k, s] of Object.entries(verify))
    console.log(`| verify k=${k} | ${fmt(s)} = ${ratio[k].toFixed(2)}× decode (median of paired rounds), ${((Number(k) * 1000) / s.median).toFixed(0)} tok/s |`);
  console.log(`| prefill (512-token chunk) | ${fmt(prefill)} = ${r.prefill_tok_s.toFixed(0)} tok/s |`);
  console.log(`| batch of 8 sequences, 1 token each, context 512 | ${fmt(batch8)} = ${r.batch8_tok_s.toFixed(1)} tok/s |`);
  if (paged && contiguous) console.log(`| decode at 4096: shuffled (paged) vs sorted block table | ${fmt(paged)} vs ${fmt(contiguous)} = ${(paged.median / contiguous.median).toFixed(3)}× |`);
  if (r.verify32_gmac_s && ceil.int8GMACs) console.log(`| int8 rate in verify k=32 | ${r.verify32_gmac_s.toFixed(0)} GMAC/s of ${ceil.int8GMACs.toFixed(0)} peak (${((r.verify32_gmac_s / ceil.int8GMACs) * 100).toFixed(0)}%) |`);
  else if (r.verify32_gmac_s) console.log(`| multiply-add rate in verify k=32 | ${r.verify32_gmac_s.toFixed(0)} GMAC/s |`);
  return r;
}

const addon = loadAddon();
console.log(`# specedit engine benchmark${quick ? ' (quick)' : ''}: ${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism()} cpus, features: ${addon.cpuFeatures}`);
// the device the engines will get (the same choice Engine.open makes), and its ceilings
const choice = chooseDevice(device, () => addon.cudaProbe(0));
const onGpu = choice.backend === 'cuda';
if (!onGpu && device === 'auto') console.log(`device: cpu (GPU not used: ${choice.reason})`);
const ceilings = (): Ceilings & { isa?: string } => onGpu ? { bandwidthGBs: addon.cudaBandwidth(0, 2 ** 31) } : addon.probeCeilings(threads, 'auto');
const ceil = ceilings();
if (onGpu) console.log(`ceiling (${addon.cudaProbe(0).name}): HBM streaming read ${ceil.bandwidthGBs.toFixed(0)} GB/s`);
else console.log(`ceilings (${threads} threads): streaming read ${ceil.bandwidthGBs.toFixed(1)} GB/s, int8 multiply-add (${ceil.isa}) ${ceil.int8GMACs!.toFixed(0)} GMAC/s`);
const results = [];
for (const t of types) results.push(await benchModel(t, ceil));
const after = ceilings();
console.log(`\nceilings re-measured after the run: ${after.bandwidthGBs.toFixed(1)} GB/s${after.int8GMACs ? `, ${after.int8GMACs.toFixed(0)} GMAC/s` : ''} (a large change means the machine was busy)`);
if (values.json) {
  const out = results.length === 1 ? results[0] : { ...results[0], runs: results };
  fs.writeFileSync(values.json, JSON.stringify(out, null, 2));
  console.log(`wrote ${values.json}`);
}
