import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gguf as hfGguf } from '@huggingface/gguf';
import { parseGGUF, readGGUFHeader, readGGUFFile, writeGGUF, meta, GGUFError, tensorData } from '../../src/engine/gguf.js';
import { GGMLType } from '../../src/engine/ggml-types.js';
import { readConfig, modelTensors } from '../../src/engine/config.js';
import { buildModel, writeModel, writeModelPart } from '../../src/engine/generate.js';
import { Engine } from '../../src/engine/engine.js';
import { quantize } from '../../src/engine/quant.js';
import { tmp, tinyModel } from './helpers.js';

describe('GGUF v3 reader and writer', () => {
  it('round-trips metadata of every value type and tensor data, aligned', () => {
    const p = path.join(tmp, 'roundtrip.gguf');
    const data = quantize(GGMLType.Q8_0, new Float32Array(64).map((_, i) => i / 10 - 3));
    const f32 = quantize(GGMLType.F32, new Float32Array([1, 2, 3]));
    writeGGUF(p, [
      meta.str('general.architecture', 'llama'), meta.u32('a.u32', 7), meta.i32('a.i32', -5), meta.f32('a.f32', 0.5),
      meta.bool('a.bool', true), meta.strs('a.strs', ['x', 'ü', '']), meta.i32s('a.i32s', [1, -2]),
    ], [{ name: 'w', dims: [32, 2], type: GGMLType.Q8_0, data }, { name: 'b', dims: [3], type: GGMLType.F32, data: f32 }]);
    const { gguf, buf } = readGGUFFile(p);
    expect(gguf.version).toBe(3);
    expect(gguf.metadata.get('a.u32')!.value).toBe(7);
    expect(gguf.metadata.get('a.i32')!.value).toBe(-5);
    expect(gguf.metadata.get('a.f32')!.value).toBe(0.5);
    expect(gguf.metadata.get('a.bool')!.value).toBe(true);
    expect(gguf.metadata.get('a.strs')!.value).toEqual(['x', 'ü', '']);
    expect(gguf.metadata.get('a.i32s')!.value).toEqual([1, -2]);
    expect(gguf.dataOffset % 32).toBe(0);
    for (const t of gguf.tensors) expect(t.offset % 32).toBe(0);
    expect(Buffer.from(tensorData(gguf, buf, 'w')).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(tensorData(gguf, buf, 'b')).equals(Buffer.from(f32))).toBe(true);
  });

  it('writes models that @huggingface/gguf parses identically', async () => {
    for (const [arch, type] of [['qwen2', 'q4_k_m'], ['llama', 'q8_0']] as const) {
      const p = tinyModel({ arch, type });
      const ours = readGGUFHeader(p);
      const theirs = await hfGguf(p, { allowLocalFile: true });
      expect(theirs.metadata['general.architecture']).toBe(arch);
      expect(theirs.metadata[`${arch}.embedding_length`]).toBe(256);
      expect(theirs.metadata[`${arch}.block_count`]).toBe(2);
      expect((theirs.metadata['tokenizer.ggml.tokens'] as string[]).length).toBe((ours.metadata.get('tokenizer.ggml.tokens')!.value as string[]).length);
      expect(theirs.tensorInfos.length).toBe(ours.tensors.length);
      for (const [i, t] of theirs.tensorInfos.entries()) {
        expect(t.name).toBe(ours.tensors[i].name);
        expect(t.shape.map(Number)).toEqual(ours.tensors[i].dims);
        expect(Number(t.dtype)).toBe(ours.tensors[i].type);
        expect(Number(t.offset)).toBe(ours.tensors[i].offset);
      }
      // the data section starts where both say it does
      expect(theirs.tensorDataOffset !== undefined ? Number(theirs.tensorDataOffset) : ours.dataOffset).toBe(ours.dataOffset);
    }
  });

  it('generates the Q4_K_M mix with K-quant fallbacks for rows that are not whole 256-blocks', () => {
    const m = buildModel({ arch: 'qwen2', preset: 'qwen2.5-coder-0.5b', type: 'q4_k_m', vocab: 'tiny' });
    const types = new Map(m.tensors.map((t) => [t.name, t.type]));
    expect(types.get('token_embd.weight')).toBe(GGMLType.Q8_0); // 896 % 256 != 0: Q6_K → Q8_0
    expect(types.get('blk.0.attn_q.weight')).toBe(GGMLType.Q5_0);
    expect(types.get('blk.6.ffn_down.weight')).toBe(GGMLType.Q4_K); // 4864 = 19 × 256
    expect(types.get('blk.0.ffn_down.weight')).toBe(GGMLType.Q6_K);
    expect(types.get('blk.0.attn_norm.weight')).toBe(GGMLType.F32);
    const m15 = buildModel({ arch: 'qwen2', preset: 'qwen2.5-coder-1.5b', type: 'q4_k_m', vocab: 'tiny' });
    expect(m15.tensors.find((t) => t.name === 'blk.3.attn_q.weight')!.type).toBe(GGMLType.Q4_K);
  });
});

describe('clear errors for bad files', () => {
  const good = () => fs.readFileSync(tinyModel({ arch: 'qwen2', type: 'q8_0' }));
  const write = (name: string, b: Uint8Array) => { const p = path.join(tmp, name); fs.writeFileSync(p, b); return p; };

  it('bad magic', () => {
    const b = good(); b[0] = 0x58;
    const p = write('badmagic.gguf', b);
    expect(() => Engine.open(p)).toThrow(/bad magic: expected 47 47 55 46/);
  });

  it('truncated file: in the header and in the tensor data', () => {
    const b = good();
    expect(() => Engine.open(write('trunc1.gguf', b.subarray(0, 100)))).toThrow(/truncated file/);
    expect(() => Engine.open(write('trunc2.gguf', b.subarray(0, b.length - 1000)))).toThrow(/truncated file: tensor .* ends at byte/);
    expect(() => Engine.open(write('trunc3.gguf', b.subarray(0, 2)))).toThrow(/truncated file/);
  });

  const variant = (name: string, edit: (m: ReturnType<typeof buildModel>) => void) => {
    const m = buildModel({ arch: 'llama', preset: 'tiny', type: 'q8_0', vocab: 'tiny' });
    edit(m);
    const p = path.join(tmp, name);
    writeGGUF(p, m.metadata, m.tensors);
    return p;
  };

  it('unknown architecture', () => {
    const p = variant('arch.gguf', (m) => { m.metadata[0] = meta.str('general.architecture', 'mamba'); });
    expect(() => Engine.open(p)).toThrow(/unknown architecture "mamba"/);
  });

  it('missing tensor', () => {
    const p = variant('missing.gguf', (m) => { m.tensors = m.tensors.filter((t) => t.name !== 'blk.1.ffn_up.weight'); });
    expect(() => Engine.open(p)).toThrow(/missing tensor blk\.1\.ffn_up\.weight/);
  });

  it('unsupported tensor type', () => {
    const p = variant('q4_1.gguf', (m) => {
      const t = m.tensors.find((x) => x.name === 'blk.0.attn_q.weight')!;
      t.type = GGMLType.Q4_1;
      t.data = new Uint8Array((256 / 32) * 20 * 256);
    });
    expect(() => Engine.open(p)).toThrow(/blk\.0\.attn_q\.weight: unsupported tensor type Q4_1/);
  });

  it('shape mismatch and missing metadata', () => {
    const p = variant('shape.gguf', (m) => { m.tensors.find((x) => x.name === 'blk.0.attn_k.weight')!.dims = [256, 64]; m.tensors.find((x) => x.name === 'blk.0.attn_k.weight')!.data = quantize(GGMLType.Q8_0, new Float32Array(256 * 64)); });
    expect(() => Engine.open(p)).toThrow(/blk\.0\.attn_k\.weight: shape \[256,64\]/);
    const q = variant('nometa.gguf', (m) => { m.metadata = m.metadata.filter((e) => e.key !== 'llama.block_count'); });
    expect(() => Engine.open(q)).toThrow(/missing metadata key llama\.block_count/);
  });

  it('parses without reading tensor data and validates offsets', () => {
    const g = readGGUFHeader(tinyModel({ arch: 'qwen2', type: 'q8_0' }));
    const c = readConfig(g);
    expect(c).toMatchObject({ arch: 'qwen2', dim: 256, layers: 2, heads: 4, kvHeads: 2, headDim: 64, ropeNeox: true, qkvBias: true, tied: true });
    expect(modelTensors(g, c).length).toBe(2 + 2 * 12); // tied: no output.weight
    expect(() => parseGGUF(new Uint8Array([0x47, 0x47, 0x55, 0x46, 9, 0, 0, 0]))).toThrow(GGUFError);
  });
});

describe('a model written by several processes (make-model --jobs)', () => {
  it('header first, then each job its share of the tensors: the same bytes as one writer', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gguf-parts-'));
    try {
      const opts = { preset: 'tiny', type: 'q4_k_m' as const, seed: 3 };
      const whole = path.join(dir, 'whole.gguf'), parts = path.join(dir, 'parts.gguf');
      writeModel(whole, opts);
      writeModelPart(parts, opts, -1, 3);
      expect(fs.statSync(parts).size).toBe(fs.statSync(whole).size);
      expect(fs.readFileSync(parts).equals(fs.readFileSync(whole))).toBe(false);  // sized, data still zero
      for (const j of [2, 0, 1]) writeModelPart(parts, opts, j, 3);
      expect(fs.readFileSync(parts).equals(fs.readFileSync(whole))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
