// The CUDA backend's weight layout, checked on the host: every matrix type repacked by
// cuda/repack.cc and read back through load8 (cuda/layout.h, the loader its kernels run) gives
// bit-for-bit the values the CPU engine dequantizes, and takes the bytes the layout promises.
// Runs in every build (the repacker is host code), with or without a GPU.
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../src/engine/native.js';
import { GGMLType, typeName } from '../../src/engine/ggml-types.js';
import { dequantize, quantize } from '../../src/engine/quant.js';
import { randomTokens, sameBits } from './helpers.js';

const addon = loadAddon();
const ROWS = 5, COLS = 768; // three K-quant blocks a row, 24 blocks of 32

/** rows × cols values with a spread of magnitudes (and some exact zeros), quantized to `type` */
function matrix(type: GGMLType, seed: number): Uint8Array {
  const r = randomTokens(ROWS * COLS, 1 << 16, seed);
  const x = new Float32Array(ROWS * COLS);
  for (let i = 0; i < x.length; i++) x[i] = i % 97 === 0 ? 0 : ((r[i] / 32768 - 1) * (1 + (i % 7))) / 8;
  return quantize(type, x);
}

// device bytes a row of COLS values takes, section by section (before 256-byte alignment):
// values, high bits, sub-block scales, block scales
const PER_ROW: Record<number, number> = {
  [GGMLType.F32]: 4 * COLS,
  [GGMLType.F16]: 2 * COLS,
  [GGMLType.BF16]: 2 * COLS,
  [GGMLType.Q8_0]: COLS + (COLS / 32) * 2,
  [GGMLType.Q4_0]: COLS / 2 + (COLS / 32) * 2,
  [GGMLType.Q5_0]: COLS / 2 + COLS / 8 + (COLS / 32) * 2,
  [GGMLType.Q4_K]: COLS / 2 + COLS / 16 + (COLS / 256) * 4,
  [GGMLType.Q6_K]: COLS / 2 + COLS / 4 + COLS / 16 + (COLS / 256) * 2,
};

describe('CUDA weight layout (host-side repack, read through the kernels\' loader)', () => {
  for (const type of Object.keys(PER_ROW).map(Number) as GGMLType[]) {
    it(`${typeName(type)}: bit-identical to the CPU engine's dequantization`, () => {
      const w = matrix(type, type + 1);
      const cpu = addon.dequantize(type, w, ROWS, COLS);
      const gpu = addon.gpuLayoutDequant(type, w, ROWS, COLS);
      expect(sameBits(gpu.values, cpu)).toBe(true);
      // and both agree with the TypeScript reference's float64 block formulas
      const ref = dequantize(type, w, ROWS * COLS);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(gpu.values[i] - ref[i]));
      expect(worst).toBeLessThan(1e-6);
      // the sections are each padded to 256 bytes, nothing more
      const sections = PER_ROW[type] * ROWS;
      expect(gpu.bytes).toBeGreaterThanOrEqual(sections);
      expect(gpu.bytes).toBeLessThan(sections + 4 * 256);
    });
  }

  it('a changed byte in the GGUF block changes the repacked values (the comparison can fail)', () => {
    const w = matrix(GGMLType.Q6_K, 3);
    const before = addon.gpuLayoutDequant(GGMLType.Q6_K, w, ROWS, COLS).values;
    w[130] ^= 0x10; // a high-bit byte (qh) of the first block
    const after = addon.gpuLayoutDequant(GGMLType.Q6_K, w, ROWS, COLS).values;
    expect(sameBits(after, before)).toBe(false);
    expect(sameBits(after, addon.dequantize(GGMLType.Q6_K, w, ROWS, COLS))).toBe(true);
  });

  it('rejects sizes that do not match the type', () => {
    expect(() => addon.gpuLayoutDequant(GGMLType.Q4_K, new Uint8Array(10), 1, 256)).toThrow(/size mismatch/);
    expect(() => addon.gpuLayoutDequant(GGMLType.Q8_0, new Uint8Array(34), 1, 16)).toThrow(/size mismatch/);
  });
});
