// Shared by bench:engine and bench:peers: the generated models (random weights, real Qwen
// vocabulary) both benchmarks read, and the statistics they report.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeModel, type FileType } from '../src/engine/generate.js';

export const DEFAULT_MODELS_DIR = path.join(os.tmpdir(), 'specedit-bench-models');

export interface Stat { median: number; p95: number; n: number }
export function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor((s.length - 1) / 2)], p95: s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)], n: s.length };
}

/** The generated model of `preset` and `type` in `dir`, written once and reused by later runs. */
export function modelPath(dir: string, preset: string, type: FileType): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, `${preset}-${type}-qwenvocab.gguf`);
  if (!fs.existsSync(p)) {
    const t0 = performance.now();
    process.stdout.write(`generating ${p} ... `);
    // written under another name and renamed, so an interrupted run leaves no half file to reuse
    writeModel(p + '.tmp', { arch: 'qwen2', preset, type, vocab: 'qwen' });
    fs.renameSync(p + '.tmp', p);
    console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return p;
}

/** A prompt of n deterministic pseudo-random token ids (the same on every side of a comparison). */
export function benchPrompt(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + 13) % 150000);
}
