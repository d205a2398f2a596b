// Model hyper-parameters and tensor table read from GGUF metadata, validated against
// what the engine supports, so a bad file fails here with a message naming the problem.
import { GGUFError, type GGUFFile, getMeta } from './gguf.js';
import { GGMLType, SUPPORTED_TYPES, typeInfo, typeName } from './ggml-types.js';

export type Arch = 'llama' | 'qwen2';
export const ARCHS: readonly Arch[] = ['llama', 'qwen2'];

export interface ModelConfig {
  arch: Arch;
  vocab: number;
  contextLength: number;
  dim: number;
  layers: number;
  ffn: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  eps: number;
  ropeBase: number;
  /** rope dimensions rotated (≤ headDim) */
  ropeDim: number;
  /** neox rope rotates (j, j + d/2); normal rope rotates adjacent pairs */
  ropeNeox: boolean;
  /** q/k/v carry biases (qwen2) */
  qkvBias: boolean;
  /** output matrix is token_embd (no output.weight) */
  tied: boolean;
}

export interface ModelTensor {
  name: string;
  type: GGMLType;
  dims: number[];
  /** absolute offset in the file */
  offset: number;
  size: number;
}

function num(g: GGUFFile, key: string, dflt?: number): number {
  const v = getMeta(g, key);
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw new GGUFError(`missing metadata key ${key}`);
  }
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new GGUFError(`metadata ${key} should be a number`);
  return Number(v);
}

export function readConfig(g: GGUFFile): ModelConfig {
  const arch = getMeta(g, 'general.architecture');
  if (arch === undefined) throw new GGUFError('missing metadata key general.architecture');
  if (!ARCHS.includes(arch as Arch)) throw new GGUFError(`unknown architecture "${String(arch)}" (supported: ${ARCHS.join(', ')})`);
  const a = arch as Arch;
  const dim = num(g, `${a}.embedding_length`);
  const heads = num(g, `${a}.attention.head_count`);
  const headDim = num(g, `${a}.attention.key_length`, dim / heads);
  const emb = g.tensors.find((t) => t.name === 'token_embd.weight');
  if (!emb) throw new GGUFError('missing tensor token_embd.weight');
  const cfg: ModelConfig = {
    arch: a,
    vocab: emb.dims[1],
    contextLength: num(g, `${a}.context_length`),
    dim,
    layers: num(g, `${a}.block_count`),
    ffn: num(g, `${a}.feed_forward_length`),
    heads,
    kvHeads: num(g, `${a}.attention.head_count_kv`, heads),
    headDim,
    eps: num(g, `${a}.attention.layer_norm_rms_epsilon`),
    ropeBase: num(g, `${a}.rope.freq_base`, 10000),
    ropeDim: num(g, `${a}.rope.dimension_count`, headDim),
    ropeNeox: a === 'qwen2',
    qkvBias: a === 'qwen2',
    tied: !g.tensors.some((t) => t.name === 'output.weight'),
  };
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new GGUFError(`bad head dimension ${headDim}`);
  if (cfg.heads % cfg.kvHeads !== 0) throw new GGUFError(`head_count ${cfg.heads} not a multiple of head_count_kv ${cfg.kvHeads}`);
  if (cfg.ropeDim > headDim || cfg.ropeDim % 2) throw new GGUFError(`bad rope.dimension_count ${cfg.ropeDim}`);
  return cfg;
}

/** Expected [ne0, ne1] of every tensor the forward pass reads. */
export function expectedTensors(c: ModelConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  m.set('token_embd.weight', [c.dim, c.vocab]);
  m.set('output_norm.weight', [c.dim]);
  if (!c.tied) m.set('output.weight', [c.dim, c.vocab]);
  for (let i = 0; i < c.layers; i++) {
    const p = `blk.${i}.`;
    m.set(p + 'attn_norm.weight', [c.dim]);
    m.set(p + 'attn_q.weight', [c.dim, q]);
    m.set(p + 'attn_k.weight', [c.dim, kv]);
    m.set(p + 'attn_v.weight', [c.dim, kv]);
    if (c.qkvBias) {
      m.set(p + 'attn_q.bias', [q]);
      m.set(p + 'attn_k.bias', [kv]);
      m.set(p + 'attn_v.bias', [kv]);
    }
    m.set(p + 'attn_output.weight', [q, c.dim]);
    m.set(p + 'ffn_norm.weight', [c.dim]);
    m.set(p + 'ffn_gate.weight', [c.dim, c.ffn]);
    m.set(p + 'ffn_up.weight', [c.dim, c.ffn]);
    m.set(p + 'ffn_down.weight', [c.ffn, c.dim]);
  }
  return m;
}

/** The tensors the forward pass needs, checked for presence, shape and type. */
export function modelTensors(g: GGUFFile, c: ModelConfig): ModelTensor[] {
  const out: ModelTensor[] = [];
  for (const [name, dims] of expectedTensors(c)) {
    const t = g.tensors.find((x) => x.name === name);
    if (!t) throw new GGUFError(`missing tensor ${name}`);
    const got = t.dims.filter((d, i) => i < 2 || d !== 1);
    if (got.length !== dims.length || got.some((d, i) => d !== dims[i])) {
      throw new GGUFError(`tensor ${name}: shape [${t.dims}] but the config implies [${dims}]`);
    }
    if (!SUPPORTED_TYPES.includes(t.type)) {
      throw new GGUFError(`tensor ${name}: unsupported tensor type ${typeName(t.type)} (supported: ${SUPPORTED_TYPES.map(typeName).join(', ')})`);
    }
    // 1-D tensors (norms, biases) are read as plain floats by the kernels
    if (dims.length === 1 && t.type !== GGMLType.F32 && t.type !== GGMLType.F16 && t.type !== GGMLType.BF16) {
      throw new GGUFError(`tensor ${name}: 1-D tensors must be F32/F16/BF16, got ${typeName(t.type)}`);
    }
    if (!typeInfo(t.type)) throw new GGUFError(`tensor ${name}: unknown type`);
    out.push({ name, type: t.type, dims: t.dims, offset: g.dataOffset + t.offset, size: t.size });
  }
  return out;
}
