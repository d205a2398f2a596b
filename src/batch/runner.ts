// Runs a batch: N files at a time, each file's edits in order, then (with write) an atomic write
// that happens only if the file still holds the bytes that were read. Jobs whose paths name one
// file (a path and a symlink to it, `a/../a.ts`) run one after another, each on the other's result.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { countLines, unifiedDiff } from '../apply/diff.js';
import { replaceIfUnchanged } from '../atomic-write.js';
import { decodeFile, encodeFile, UnencodableError } from '../file-text.js';
import type { ApplyMode } from '../client/apply-client.js';
import type { Applier } from './appliers.js';
import type { BatchJob } from './edits.js';
import { OneAtATime } from '../one-at-a-time.js';
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
  /** read files that are not UTF-8 as Latin-1 (and write them back so) */
  latin1?: boolean;
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

/** A dry run writes nothing: what it merged per real path, for the next job on that file. */
type DryRun = Map<string, Buffer>;

async function runJob(job: BatchJob, opts: RunOptions, signal: AbortSignal, dryRun: DryRun): Promise<FileResult> {
  const t0 = Date.now();
  const base = { path: job.path, written: false, lines_added: 0, lines_deleted: 0, merges: [] as FileResult['merges'], diff: '' };
  const done = (r: Partial<FileResult> & { outcome: FileOutcome }): FileResult => ({ ...base, ...r, duration_ms: Date.now() - t0 });

  const where = await resolveInRoot(opts.root, job.path);
  if (!where.ok) return done({ outcome: where.code === 'path_escape' ? 'refused' : 'error', code: where.code, message: where.message });
  base.path = where.rel;
  return perFile.run(where.real, () => mergeFile(job, where, opts, signal, dryRun, base, done));
}

/** Jobs on one real file run in order; others run freely. */
const perFile = new OneAtATime();

async function mergeFile(
  job: BatchJob,
  where: { real: string; rel: string },
  opts: RunOptions,
  signal: AbortSignal,
  dryRun: DryRun,
  base: Omit<FileResult, 'outcome' | 'duration_ms'>,
  done: (r: Partial<FileResult> & { outcome: FileOutcome }) => FileResult,
): Promise<FileResult> {
  // A dry run writes nothing, so a second job on the same file starts from the first one's result.
  const bytes = (!opts.write && dryRun.get(where.real)) || (await readFile(where.real));
  const before = sha256(bytes);
  const decoded = decodeFile(bytes, { latin1: opts.latin1 });
  if (!decoded.ok) return done({ outcome: decoded.code === 'binary_file' ? 'error' : 'refused', code: decoded.code, message: decoded.message, sha256_before: before });
  const original = decoded.text;
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
  let out: Buffer;
  try {
    out = encodeFile(current, decoded.encoding);
  } catch (e) {
    if (!(e instanceof UnencodableError)) throw e;
    return done({ outcome: 'refused', code: e.code, message: e.message, sha256_before: before });
  }
  const after = sha256(out);
  if (!opts.write) {
    dryRun.set(where.real, out);
    return done({ outcome: 'changed', sha256_before: before, sha256_after: after });
  }

  if (signal.aborted) return done({ outcome: 'cancelled', code: 'cancelled', message: 'interrupted after the merge, before writing: not written', sha256_before: before, sha256_after: after });
  const r = await replaceIfUnchanged(where.real, out, bytes);
  if (!r.written) {
    return done({
      outcome: 'skipped',
      code: 'modified_during_run',
      message:
        (r.reason === 'missing' ? 'the file disappeared while the batch ran: not written' : 'the file changed on disk while the batch ran: not written') +
        (r.kept ? ` (a concurrent version was kept at ${r.kept})` : ''),
      sha256_before: before,
      sha256_after: after,
    });
  }
  return done({ outcome: 'changed', written: true, sha256_before: before, sha256_after: after });
}

/** Run every job; results come back in job order. Nothing new starts once the signal fires. */
export async function runBatch(opts: RunOptions): Promise<BatchRun> {
  const started = new Date().toISOString();
  const dryRun: DryRun = new Map();
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
        r = await runJob(job, opts, signal, dryRun);
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
