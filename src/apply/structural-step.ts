// The structural merge as one self-contained step: plain data in, plain data out, so it can run in
// this thread (CLI, batch) or in a merge worker (server) with the same answer.
import { performance } from 'node:perf_hooks';
import { parserFor } from '../languages/parser.js';
import { genericFor, languages } from '../languages/registry.js';
import { mergeStructural, type MergeResult } from '../structural/merge.js';
import { MergeRefusal } from '../structural/refusal.js';
import { unifiedDiff } from './diff.js';

export interface StructuralTask {
  code: string;
  update: string;
  /** a registry id; unknown ids merge line-based (GENERIC, or its Markdown form by the path) */
  language: string;
  path?: string;
  lineHints?: number[];
}

export type StructuralOutcome =
  | { ok: true; merged: MergeResult; diff: string; mergeMs: number }
  | { ok: false; code: string; message: string; details?: Record<string, unknown> };

/** Runs a structural step somewhere (here, or in a worker); rejects only on cancellation or overload. */
export type StructuralRunner = (task: StructuralTask, signal?: AbortSignal) => Promise<StructuralOutcome>;

export async function runStructural(task: StructuralTask): Promise<StructuralOutcome> {
  const language = languages.get(task.language) ?? genericFor(task.path);
  const parser = await parserFor(language);
  const t0 = performance.now();
  try {
    const merged = mergeStructural({ original: task.code, update: task.update, language, parser, lineHints: task.lineHints });
    const mergeMs = performance.now() - t0;
    return { ok: true, merged, diff: unifiedDiff(task.path, task.code, merged.content), mergeMs };
  } catch (e) {
    if (!(e instanceof MergeRefusal)) throw e;
    return { ok: false, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  }
}

/** In this thread: no budget, nothing to queue (the CLI and batch do one merge at a time per file). */
export const inThread: StructuralRunner = (task) => runStructural(task);
