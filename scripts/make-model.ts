// npm run make-model -- --arch llama|qwen2 --preset tiny|qwen2.5-coder-0.5b|qwen2.5-coder-1.5b
//                       --type f32|f16|bf16|q8_0|q4_0|q4_k_m --vocab tiny|qwen --out FILE [--seed N]
import { parseArgs } from 'node:util';
import { writeModel, FILE_TYPES, PRESETS, type FileType, type VocabKind } from '../src/engine/generate.js';
import type { Arch } from '../src/engine/config.js';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'qwen2' },
    preset: { type: 'string', default: 'tiny' },
    type: { type: 'string', default: 'q8_0' },
    vocab: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const fail = (m: string): never => { console.error(`make-model: ${m}`); process.exit(2); };
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
