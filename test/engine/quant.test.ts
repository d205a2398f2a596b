import { describe, expect, it } from 'vitest';
import { GGMLType, typeName } from '../../src/engine/ggml-types.js';
import { quantize, dequantize, f32ToF16, f16ToF32, f32ToBF16, bf16ToF32 } from '../../src/engine/quant.js';
import { loadAddon } from '../../src/engine/native.js';
import { availableIsas } from './helpers.js';

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return new Float32Array(n).map(() => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

describe('half and bfloat16 conversions', () => {
  it('convert exactly representable values and round to nearest even', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8]) expect(f16ToF32(f32ToF16(v))).toBe(v);
    expect(f32ToF16(1 + 2 ** -11)).toBe(f32ToF16(1)); // tie → even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(f32ToF16(1 + 2 ** -9));
    expect(f16ToF32(f32ToF16(1e6))).toBe(Infinity);
    expect(bf16ToF32(f32ToBF16(1.5))).toBe(1.5);
    expect(bf16ToF32(f32ToBF16(1 + 2 ** -8))).toBe(1); // tie → even
  });
});

describe('block formats against their formulas', () => {
  it('Q8_0: d as f16 then 32 int8', () => {
    const b = new Uint8Array(34), dv = new DataView(b.buffer);
    dv.setUint16(0, f32ToF16(0.5), true);
    for (let j = 0; j < 32; j++) dv.setInt8(2 + j, j - 16);
    expect(Array.from(dequantize(GGMLType.Q8_0, b, 32))).toEqual(Array.from({ length: 32 }, (_, j) => 0.5 * (j - 16)));
  });

  it('Q4_0 and Q5_0: low nibbles first, then high nibbles; Q5_0 fifth bit from qh', () => {
    const b = new Uint8Array(18), dv = new DataView(b.buffer);
    dv.setUint16(0, f32ToF16(2), true);
    for (let j = 0; j < 16; j++) b[2 + j] = (j & 15) | ((15 - j) << 4);
    const y = dequantize(GGMLType.Q4_0, b, 32);
    for (let j = 0; j < 16; j++) { expect(y[j]).toBe(2 * (j - 8)); expect(y[j + 16]).toBe(2 * (15 - j - 8)); }
    const c = new Uint8Array(22), cv = new DataView(c.buffer);
    cv.setUint16(0, f32ToF16(1), true);
    cv.setUint32(2, 0x80000001, true); // value 0 and value 31 get bit 4
    for (let j = 0; j < 16; j++) c[6 + j] = 3 | (5 << 4);
    const z = dequantize(GGMLType.Q5_0, c, 32);
    expect(z[0]).toBe(3 + 16 - 16);
    expect(z[1]).toBe(3 - 16);
    expect(z[16]).toBe(5 - 16);
    expect(z[31]).toBe(5 + 16 - 16);
  });

  it('Q4_K: 6-bit scales and mins packed in 12 bytes, sub-block pairs share 32 bytes', () => {
    const b = new Uint8Array(144), dv = new DataView(b.buffer);
    dv.setUint16(0, f32ToF16(0.25), true);
    dv.setUint16(2, f32ToF16(0.125), true);
    const sc = [1, 2, 3, 4, 63, 40, 17, 33], m = [5, 6, 7, 8, 62, 41, 18, 34];
    for (let j = 0; j < 4; j++) {
      b[4 + j] = sc[j] | ((sc[j + 4] >> 4) << 6);
      b[8 + j] = m[j] | ((m[j + 4] >> 4) << 6);
      b[12 + j] = (sc[j + 4] & 15) | ((m[j + 4] & 15) << 4);
    }
    for (let i = 0; i < 128; i++) b[16 + i] = (i % 16) | (((i * 7) % 16) << 4);
    const y = dequantize(GGMLType.Q4_K, b, 256);
    for (let j = 0; j < 8; j++)
      for (let l = 0; l < 32; l++) {
        const byte = b[16 + 32 * (j >> 1) + l], q = j & 1 ? byte >> 4 : byte & 15;
        expect(y[32 * j + l]).toBe(0.25 * sc[j] * q - 0.125 * m[j]);
      }
  });

  it('Q6_K: ql/qh halves, int8 scales per 16 values, d last', () => {
    const b = new Uint8Array(210), dv = new DataView(b.buffer);
    const v = Array.from({ length: 256 }, (_, i) => (i * 37) % 64);
    for (let h = 0; h < 2; h++)
      for (let l = 0; l < 32; l++) {
        const o = 128 * h;
        b[64 * h + l] = (v[o + l] & 15) | ((v[o + l + 64] & 15) << 4);
        b[64 * h + l + 32] = (v[o + l + 32] & 15) | ((v[o + l + 96] & 15) << 4);
        b[128 + 32 * h + l] = (v[o + l] >> 4) | ((v[o + l + 32] >> 4) << 2) | ((v[o + l + 64] >> 4) << 4) | ((v[o + l + 96] >> 4) << 6);
      }
    for (let g = 0; g < 16; g++) dv.setInt8(192 + g, g * 9 - 70);
    dv.setUint16(208, f32ToF16(0.5), true);
    const y = dequantize(GGMLType.Q6_K, b, 256);
    for (let i = 0; i < 256; i++) expect(y[i]).toBe(0.5 * ((i >> 4) * 9 - 70) * (v[i] - 32));
  });

  // error bound of round-to-nearest quantization, relative to each block's range
  const bounds: [GGMLType, number][] = [
    [GGMLType.F16, 1e-3], [GGMLType.BF16, 8e-3], [GGMLType.Q8_0, 1 / 127], [GGMLType.Q5_0, 1 / 15],
    [GGMLType.Q4_0, 1 / 7], [GGMLType.Q4_K, 0.1], [GGMLType.Q6_K, 1 / 31],
  ];
  for (const [t, tol] of bounds) {
    it(`${typeName(t)} round trip stays within its step`, () => {
      const x = rand(1024, 7 + t);
      const y = dequantize(t, quantize(t, x), x.length);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
      expect(worst).toBeLessThanOrEqual(tol * 1.01);
      // re-quantizing dequantized values is exact for block formats (a fixed point)
      if (t !== GGMLType.F16 && t !== GGMLType.BF16 && t !== GGMLType.Q4_K) {
        expect(Array.from(dequantize(t, quantize(t, Float32Array.from(y)), x.length))).toEqual(Array.from(y));
      }
    });
  }
});

/** Activation quantization as the native side does it: one float32 d = amax/127 per 256 values (the last group may be shorter), q = rne(x · (1/d)). */
function quantAct(x: Float32Array, block: number): Float64Array {
  const out = new Float64Array(x.length);
  const rne = (v: number) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };
  for (let b = 0; b < x.length; b += block) {
    const end = Math.min(x.length, b + block);
    let amax = 0;
    for (let i = b; i < end; i++) amax = Math.max(amax, Math.abs(x[i]));
    const d = Math.fround(amax / 127), id = d ? Math.fround(1 / d) : 0;
    for (let i = b; i < end; i++) out[i] = d * rne(Math.fround(x[i] * id));
  }
  return out;
}

describe('native matmul kernels vs float64 reference', () => {
  const { kernelMatmul } = loadAddon();
  const types = [GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q5_0, GGMLType.Q4_K, GGMLType.Q6_K];
  // y = W·x for N rows of x through one kernel set, each output against float64 on the dequantized
  // weights and the quantized activations; and each row alone gives the same bits (batch invariance)
  function check(isa: ReturnType<typeof availableIsas>[number], t: GGMLType, w: Float32Array, rows: number, cols: number, x: Float32Array) {
    const N = x.length / cols;
    const wq = quantize(t, w);
    const wd = dequantize(t, wq, rows * cols);
    const y = kernelMatmul(isa, t, wq, rows, cols, x);
    const blk = t === GGMLType.F32 || t === GGMLType.F16 || t === GGMLType.BF16 ? 0 : 256;
    for (let n = 0; n < N; n++) {
      const xr = x.subarray(n * cols, (n + 1) * cols);
      const xa = blk ? quantAct(xr, blk) : Float64Array.from(xr);
      for (let o = 0; o < rows; o++) {
        let ref = 0, mag = 0;
        for (let i = 0; i < cols; i++) { ref += wd[o * cols + i] * xa[i]; mag += Math.abs(wd[o * cols + i] * xa[i]); }
        expect(Math.abs(y[n * rows + o] - ref)).toBeLessThanOrEqual(2e-6 * mag + 1e-6);
      }
      const alone = kernelMatmul(isa, t, wq, rows, cols, Float32Array.from(xr));
      expect(Array.from(alone)).toEqual(Array.from(y.subarray(n * rows, (n + 1) * rows)));
    }
  }
  for (const isa of availableIsas()) {
    for (const t of types) {
      const k256 = t === GGMLType.Q4_K || t === GGMLType.Q6_K;
      // odd block counts exercise the kernels' tails
      for (const cols of k256 ? [256, 768] : [96, 512]) {
        it(`${isa} ${typeName(t)} ${cols} columns`, () => {
          // 40 rows: two panels and a padded one for the packed GEMM; 9, 6 and 3 activation rows: its
          // 4-row groups with a tail of 1, 2 and 3 (each tile shape has its own kernel); 35: two
          // groups of 16 through AMX tiles where the set has them, then a tail of 3
          const rows = 40, w = rand(rows * cols, 3 + cols, 0.5);
          for (const N of [9, 6, 3, 35]) check(isa, t, w, rows, cols, rand(N * cols, 11 + t + N, 2));
        });
      }
      // every weight at its type's largest |q| and every activation at ±127, signs agreeing or not:
      // the largest sums any 16-bit step of an int8 kernel can see (a saturation shows here); every
      // third row has one value per 32 at -0.8 and the rest at 0.75: Q5_0's q = 15 against the
      // block's -16, the largest unsigned value (31) of its 5-bit panels
      it(`${isa} ${typeName(t)} at the extremes of q and activations`, () => {
        const rows = 24, cols = 512;
        const w = new Float32Array(rows * cols).map((_, i) => [0.75, -0.75, i % 32 === 0 ? -0.8 : 0.75][Math.floor(i / cols) % 3]);
        const x = new Float32Array(20 * cols).map((_, i) => [1.5, -1.5, (i & 1 ? 1 : -1) * 1.5, (i & 2 ? 1 : -1) * 1.5, -1.5][Math.floor(i / cols) % 5]);
        check(isa, t, w, rows, cols, x);
      });
    }
  }
});
