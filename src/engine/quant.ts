// Quantize and dequantize ggml block formats in plain TypeScript. The dequantizers
// follow the block formulas literally (they are the reference the native kernels are
// checked against); the quantizers are simple round-to-nearest ones, good enough for
// generated test and benchmark models.
import { GGMLType, rowBytes, typeName } from './ggml-types.js';

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** float → IEEE half bits, round to nearest even. */
export function f32ToF16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float → bfloat16 bits (top half of the f32), round to nearest even. */
export function f32ToBF16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16ToF32(h: number): number {
  u32buf[0] = (h << 16) >>> 0;
  return f32buf[0];
}

const round = (x: number) => Math.round(x); // halves away from +inf are rare enough not to matter here

function checkLen(type: GGMLType, n: number, block: number) {
  if (n % block !== 0) throw new Error(`${typeName(type)}: ${n} values is not a multiple of ${block}`);
}

// ---------------------------------------------------------------- quantizers

function quantQ8_0(x: Float32Array, out: DataView) {
  const q = new Int8Array(out.buffer, out.byteOffset, out.byteLength);
  for (let b = 0; b < x.length / 32; b++) {
    const o = b * 34, xo = b * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) { const a = Math.abs(x[xo + j]); if (a > amax) amax = a; }
    const dh = f32ToF16(amax / 127);
    const d = f16ToF32(dh);
    out.setUint16(o, dh, true);
    const id = d === 0 ? 0 : 1 / d;
    for (let j = 0; j < 32; j++) {
      const v = Math.round(x[xo + j] * id);
      q[o + 2 + j] = v > 127 ? 127 : v < -127 ? -127 : v;
    }
  }
}

/** Q4_0 and Q5_0: scale from the signed value of largest magnitude, as ggml does. */
function quantQx_0(x: Float32Array, out: DataView, bits: 4 | 5) {
  const half = bits === 4 ? 8 : 16;
  const maxq = 2 * half - 1;
  const bb = bits === 4 ? 18 : 22;
  for (let b = 0; b < x.length / 32; b++) {
    const o = b * bb;
    let max = 0;
    for (let j = 0; j < 32; j++) if (Math.abs(x[b * 32 + j]) > Math.abs(max)) max = x[b * 32 + j];
    const dh = f32ToF16(max / -half);
    const d = f16ToF32(dh);
    out.setUint16(o, dh, true);
    const q = new Array<number>(32);
    for (let j = 0; j < 32; j++) q[j] = d === 0 ? half : Math.max(0, Math.min(maxq, round(x[b * 32 + j] / d + half)));
    const qsOff = bits === 4 ? o + 2 : o + 6;
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      out.setUint8(qsOff + j, (q[j] & 15) | ((q[j + 16] & 15) << 4));
    }
    if (bits === 5) {
      for (let j = 0; j < 32; j++) if (q[j] & 16) qh |= 1 << j;
      out.setUint32(o + 2, qh >>> 0, true);
    }
  }
}

function quantQ4_K(x: Float32Array, out: DataView) {
  for (let b = 0; b < x.length / 256; b++) {
    const o = b * 144;
    const xs = x.subarray(b * 256, b * 256 + 256);
    const scales = new Array<number>(8);
    const mins = new Array<number>(8);
    for (let j = 0; j < 8; j++) {
      let mn = Infinity, mx = -Infinity;
      for (let l = 0; l < 32; l++) { mn = Math.min(mn, xs[j * 32 + l]); mx = Math.max(mx, xs[j * 32 + l]); }
      mn = Math.min(mn, 0);
      scales[j] = (mx - mn) / 15;
      mins[j] = -mn;
    }
    const maxScale = Math.max(...scales), maxMin = Math.max(...mins);
    const dh = f32ToF16(maxScale / 63), dminh = f32ToF16(maxMin / 63);
    const d = f16ToF32(dh), dmin = f16ToF32(dminh);
    const sc = scales.map((s) => (d > 0 ? Math.min(63, round(s / d)) : 0));
    const m = mins.map((v) => (dmin > 0 ? Math.min(63, round(v / dmin)) : 0));
    out.setUint16(o, dh, true);
    out.setUint16(o + 2, dminh, true);
    for (let j = 0; j < 4; j++) {
      out.setUint8(o + 4 + j, (sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
      out.setUint8(o + 8 + j, (m[j] & 63) | ((m[j + 4] >> 4) << 6));
      out.setUint8(o + 12 + j, (sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
    }
    const q = new Uint8Array(256);
    for (let j = 0; j < 8; j++) {
      const ds = d * sc[j], dm = dmin * m[j];
      for (let l = 0; l < 32; l++) {
        q[j * 32 + l] = ds > 0 ? Math.max(0, Math.min(15, round((xs[j * 32 + l] + dm) / ds))) : 0;
      }
    }
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) out.setUint8(o + 16 + c * 32 + l, q[64 * c + l] | (q[64 * c + 32 + l] << 4));
    }
  }
}

function quantQ6_K(x: Float32Array, out: DataView) {
  for (let b = 0; b < x.length / 256; b++) {
    const o = b * 210;
    const xs = x.subarray(b * 256, b * 256 + 256);
    const gs = new Array<number>(16);
    for (let g = 0; g < 16; g++) {
      let max = 0;
      for (let l = 0; l < 16; l++) if (Math.abs(xs[g * 16 + l]) > Math.abs(max)) max = xs[g * 16 + l];
      gs[g] = max / -32;
    }
    let maxScale = 0;
    for (const s of gs) if (Math.abs(s) > Math.abs(maxScale)) maxScale = s;
    const dh = f32ToF16(maxScale / -128);
    const d = f16ToF32(dh);
    const sc = gs.map((s) => (d !== 0 ? Math.max(-128, Math.min(127, round(s / d))) : 0));
    const v = new Uint8Array(256);
    for (let i = 0; i < 256; i++) {
      const ds = d * sc[i >> 4];
      v[i] = ds !== 0 ? Math.max(0, Math.min(63, round(xs[i] / ds) + 32)) : 32;
    }
    for (let h = 0; h < 2; h++) {
      const ql = o + 64 * h, qh = o + 128 + 32 * h, vv = 128 * h;
      for (let l = 0; l < 32; l++) {
        out.setUint8(ql + l, (v[vv + l] & 15) | ((v[vv + l + 64] & 15) << 4));
        out.setUint8(ql + l + 32, (v[vv + l + 32] & 15) | ((v[vv + l + 96] & 15) << 4));
        out.setUint8(qh + l, (v[vv + l] >> 4) | ((v[vv + l + 32] >> 4) << 2) | ((v[vv + l + 64] >> 4) << 4) | ((v[vv + l + 96] >> 4) << 6));
      }
    }
    for (let g = 0; g < 16; g++) out.setInt8(o + 192 + g, sc[g]);
    out.setUint16(o + 208, dh, true);
  }
}

/** Quantize a flat array (rows concatenated; each row a whole number of blocks). */
export function quantize(type: GGMLType, x: Float32Array): Uint8Array {
  const out = new Uint8Array(rowBytes(type, x.length));
  const dv = new DataView(out.buffer);
  switch (type) {
    case GGMLType.F32: new Float32Array(out.buffer).set(x); break;
    case GGMLType.F16: for (let i = 0; i < x.length; i++) dv.setUint16(2 * i, f32ToF16(x[i]), true); break;
    case GGMLType.BF16: for (let i = 0; i < x.length; i++) dv.setUint16(2 * i, f32ToBF16(x[i]), true); break;
    case GGMLType.Q8_0: checkLen(type, x.length, 32); quantQ8_0(x, dv); break;
    case GGMLType.Q4_0: checkLen(type, x.length, 32); quantQx_0(x, dv, 4); break;
    case GGMLType.Q5_0: checkLen(type, x.length, 32); quantQx_0(x, dv, 5); break;
    case GGMLType.Q4_K: checkLen(type, x.length, 256); quantQ4_K(x, dv); break;
    case GGMLType.Q6_K: checkLen(type, x.length, 256); quantQ6_K(x, dv); break;
    default: throw new Error(`quantize: unsupported type ${typeName(type)}`);
  }
  return out;
}

// ---------------------------------------------------------------- dequantizers (the block formulas)

/** Dequantize n values into float64 (exact: every block formula is a product of a few small numbers). */
export function dequantize(type: GGMLType, bytes: Uint8Array, n: number): Float64Array {
  const y = new Float64Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = (o: number) => f16ToF32(dv.getUint16(o, true));
  switch (type) {
    case GGMLType.F32: for (let i = 0; i < n; i++) y[i] = dv.getFloat32(4 * i, true); break;
    case GGMLType.F16: for (let i = 0; i < n; i++) y[i] = h(2 * i); break;
    case GGMLType.BF16: for (let i = 0; i < n; i++) y[i] = bf16ToF32(dv.getUint16(2 * i, true)); break;
    case GGMLType.Q8_0:
      for (let b = 0; b < n / 32; b++) {
        const d = h(b * 34);
        for (let j = 0; j < 32; j++) y[b * 32 + j] = d * dv.getInt8(b * 34 + 2 + j);
      }
      break;
    case GGMLType.Q4_0:
      for (let b = 0; b < n / 32; b++) {
        const o = b * 18, d = h(o);
        for (let j = 0; j < 16; j++) {
          const q = bytes[o + 2 + j];
          y[b * 32 + j] = d * ((q & 15) - 8);
          y[b * 32 + j + 16] = d * ((q >> 4) - 8);
        }
      }
      break;
    case GGMLType.Q5_0:
      for (let b = 0; b < n / 32; b++) {
        const o = b * 22, d = h(o), qh = dv.getUint32(o + 2, true);
        for (let j = 0; j < 16; j++) {
          const q = bytes[o + 6 + j];
          y[b * 32 + j] = d * (((q & 15) | (((qh >>> j) & 1) << 4)) - 16);
          y[b * 32 + j + 16] = d * (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16);
        }
      }
      break;
    case GGMLType.Q4_K:
      for (let b = 0; b < n / 256; b++) {
        const o = b * 144, d = h(o), dmin = h(o + 2), s = (i: number) => bytes[o + 4 + i];
        for (let j = 0; j < 8; j++) {
          let sc: number, m: number;
          if (j < 4) { sc = s(j) & 63; m = s(j + 4) & 63; }
          else { sc = (s(j + 4) & 15) | ((s(j - 4) >> 6) << 4); m = (s(j + 4) >> 4) | ((s(j) >> 6) << 4); }
          const c = j >> 1, hi = j & 1;
          for (let l = 0; l < 32; l++) {
            const byte = bytes[o + 16 + 32 * c + l];
            const q = hi ? byte >> 4 : byte & 15;
            y[b * 256 + j * 32 + l] = d * sc * q - dmin * m;
          }
        }
      }
      break;
    case GGMLType.Q6_K:
      for (let b = 0; b < n / 256; b++) {
        const o = b * 210, d = h(o + 208);
        for (let hf = 0; hf < 2; hf++) {
          const ql = o + 64 * hf, qh = o + 128 + 32 * hf, base = b * 256 + 128 * hf;
          for (let l = 0; l < 32; l++) {
            const v = [
              (bytes[ql + l] & 15) | ((bytes[qh + l] & 3) << 4),
              (bytes[ql + l + 32] & 15) | (((bytes[qh + l] >> 2) & 3) << 4),
              (bytes[ql + l] >> 4) | (((bytes[qh + l] >> 4) & 3) << 4),
              (bytes[ql + l + 32] >> 4) | (((bytes[qh + l] >> 6) & 3) << 4),
            ];
            for (let k = 0; k < 4; k++) {
              const i = 128 * hf + l + 32 * k;
              y[base + l + 32 * k] = d * dv.getInt8(o + 192 + (i >> 4)) * (v[k] - 32);
            }
          }
        }
      }
      break;
    default: throw new Error(`dequantize: unsupported type ${typeName(type)}`);
  }
  return y;
}
