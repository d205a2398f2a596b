// Runs a batch: N files at a time, each file's edits in order, then (with write) an atomic write
// that happens only if the file still holds the bytes that were read.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { unifiedDiff } from '../apply/diff.js';
import { writeFileAtomic } from '../atomic-write.js';
import type { ApplyMode } from '../client/apply-client.js';
import type { Applier } from './appliers.js';
import type { BatchJob } from './edits.js';
import { resolveInRoot } from './paths.js';

export type FileOutcome =
  | 'changed' // merged (and written with --write)
  | 'unchanged' // merged to the same bytes
  | 'refused' // the service refused the merge (422), or the path is outside the root
  | 'skipped' // changed on disk while the batch ran: not written
  | 'error' // anything else: missing file, model unavailable, server error, ...
  | 'cancelled'; // interrupted before it finished (nothing written)

export interface FileResult {
  path: string;
  outcome: FileOutcome;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
  /** 1-based line of the edits file whose edit failed. */
  edit_line?: number;
  written: boolean;
  lines_added: number;
  lines_deleted: number;
  sha256_before?: string;
  sha256_after?: string;
  /** One entry per edit applied: mode, language and the service's stats. */
  merges: { mode: string; language: string; stats: Record<string, unknown> }[];
  diff: string;
  duration_ms: number;
}

export interface RunOptions {
  /** Real path of the root (see realRoot). */
  root: string;
  jobs: BatchJob[];
  applier: Applier;
  concurrency: number;
  mode?: ApplyMode;
  write: boolean;
  signal?: AbortSignal;
  onStart?(path: string): void;
  onResult?(result: FileResult, done: number, total: number): void;
}

export interface BatchRun {
  results: FileResult[];
  interrupted: boolean;
  started_at: string;
  finished_at: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function countLines(diff: string): { added: number; deleted: number } {
  let added = 0;
  let deleted = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) added++;
    else if (line.startsWith('-') && !line.startsWith('---')) deleted++;
  }
  return { added, deleted };
}

async function runJob(job: BatchJob, opts: RunOptions, signal: AbortSignal): Promise<FileResult> {
  const t0 = Date.now();
  const base = { path: job.path, written: false, lines_added: 0, lines_deleted: 0, merges: [] as FileResult['merges'], diff: '' };
  const done = (r: Partial<FileResult> & { outcome: FileOutcome }): FileResult => ({ ...base, ...r, duration_ms: Date.now() - t0 });

  const where = await resolveInRoot(opts.root, job.path);
  if (!where.ok) return done({ outcome: where.code === 'path_escape' ? 'refused' : 'error', code: where.code, message: where.message });
  base.path = where.rel;

  const bytes = await readFile(where.real);
  const before = sha256(bytes);
  if (bytes.includes(0)) return done({ outcome: 'error', code: 'binary_file', message: 'binary file (contains NUL bytes)', sha256_before: before });
  const original = bytes.toString('utf8');
  let current = original;

  for (const edit of job.edits) {
    if (signal.aborted) return done({ outcome: 'cancelled', code: 'cancelled', message: 'interrupted before this file was merged', sha256_before: before });
    const out = await opts.applier(
      {
        code: current,
        path: where.rel,
        ...(edit.update !== undefined ? { update: edit.update } : {}),
        ...(edit.instruction !== undefined ? { instruction: edit.instruction } : {}),
        ...(edit.line_hints ? { line_hints: edit.line_hints } : {}),
        ...(opts.mode ? { mode: opts.mode } : {}),
      },
      signal,
    );
    if (!out.ok) {
      const outcome: FileOutcome = out.kind === 'cancelled' ? 'cancelled' : out.kind === 'refused' ? 'refused' : 'error';
      return done({
        outcome,
        code: out.code,
        message: out.message,
        ...(out.details ? { details: out.details } : {}),
        ...(edit.line !== undefined ? { edit_line: edit.line } : {}),
        sha256_before: before,
      });
    }
    base.merges.push({ mode: out.mode, language: out.language, stats: out.stats });
    current = out.content;
  }

  if (current === original) return done({ outcome: 'unchanged', sha256_before: before, sha256_after: before });
  const diff = unifiedDiff(where.rel, original, current);
  const { added, deleted } = countLines(diff);
  Object.assign(base, { diff, lines_added: added, lines_deleted: deleted });
  const after = sha256(Buffer.from(current, 'utf8'));
  if (!opts.write) return done({ outcome: 'changed', sha256_before: before, sha256_after: after });

  if (signal.aborted) return done({ outcome: 'cancelled', code: 'cancelled', message: 'interrupted after the merge, before writing: not written', sha256_before: before, sha256_after: after });
  const now = await readFile(where.real).catch(() => null);
  if (now === null || sha256(now) !== before) {
    return done({
      outcome: 'skipped',
      code: 'modified_during_run',
      message: now === null ? 'the file disappeared while the batch ran: not written' : 'the file changed on disk while the batch ran: not written',
      sha256_before: before,
      sha256_after: after,
    });
  }
  await writeFileAtomic(where.real, current);
  return done({ outcome: 'changed', written: true, sha256_before: before, sha256_after: after });
}

/** Run every job; results come back in job order. Nothing new starts once the signal fires. */
export async function runBatch(opts: RunOptions): Promise<BatchRun> {
  const started = new Date().toISOString();
  const signal = opts.signal ?? new AbortController().signal;
  const total = opts.jobs.length;
  const results: (FileResult | undefined)[] = new Array(total);
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < total && !signal.aborted) {
      const i = next++;
      const job = opts.jobs[i];
      opts.onStart?.(job.path);
      let r: FileResult;
      try {
        r = await runJob(job, opts, signal);
      } catch (e) {
        r = { path: job.path, outcome: 'error', code: (e as NodeJS.ErrnoException).code ?? 'error', message: (e as Error).message, written: false, lines_added: 0, lines_deleted: 0, merges: [], diff: '', duration_ms: 0 };
      }
      results[i] = r;
      opts.onResult?.(r, ++finished, total);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency, total));
  await Promise.all(Array.from({ length: n }, worker));
  const all = Array.from(
    results,
    (r, i): FileResult =>
      r ?? { path: opts.jobs[i].path, outcome: 'cancelled', code: 'cancelled', message: 'interrupted before this file was started', written: false, lines_added: 0, lines_deleted: 0, merges: [], diff: '', duration_ms: 0 },
  );
  return { results: all, interrupted: signal.aborted, started_at: started, finished_at: new Date().toISOString() };
}
