// Shared test helpers: tiny generated models in a temp dir, comparison utilities.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeModel, type GenerateOptions } from '../../src/engine/generate.js';
import { loadAddon } from '../../src/engine/native.js';

export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'specedit-engine-'));

const made = new Map<string, string>();
/** Generate (once per process) a tiny model and return its path. */
export function tinyModel(o: Partial<GenerateOptions> & Pick<GenerateOptions, 'arch' | 'type'>, tag = ''): string {
  const key = JSON.stringify({ ...o, typeOf: undefined }) + tag;
  let p = made.get(key);
  if (!p) {
    p = path.join(tmp, `m${made.size}-${o.arch}-${o.type}${tag}.gguf`);
    writeModel(p, { preset: 'tiny', vocab: 'tiny', ...o });
    made.set(key, p);
  }
  return p;
}

/** Kernel sets this CPU can run. */
export function availableIsas(): ('scalar' | 'avx2' | 'avx512' | 'amx')[] {
  const f = loadAddon().cpuFeatures;
  const out: ('scalar' | 'avx2' | 'avx512' | 'amx')[] = ['scalar'];
  if (f.includes('avx2')) out.push('avx2');
  if (f.includes('avx512')) out.push('avx512');
  if (f.split(' ').includes('amx')) out.push('amx');
  return out;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Byte-exact equality of float arrays (bit-identical, NaN-safe). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Deterministic pseudo-random token ids. */
export function randomTokens(n: number, vocab: number, seed: number): number[] {
  let s = seed * 2654435761 >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out.push(s % vocab);
  }
  return out;
}
