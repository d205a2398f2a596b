// What a batch tells its user: the combined patch, the JSON report, and the summary text.
import type { BatchRun, FileOutcome, FileResult } from './runner.js';

export const OUTCOMES: FileOutcome[] = ['changed', 'unchanged', 'refused', 'skipped', 'error', 'cancelled'];

/** One unified patch for every changed file (apply with `git apply` or `patch -p1` in the root). */
export function combinedPatch(results: FileResult[]): string {
  return results
    .filter((r) => r.outcome === 'changed')
    .map((r) => r.diff)
    .join('');
}

export interface BatchReport {
  tool: 'specedit batch';
  version: string;
  root: string;
  via: string;
  mode: string;
  dry_run: boolean;
  interrupted: boolean;
  started_at: string;
  finished_at: string;
  summary: Record<FileOutcome, number> & { total: number; written: number; lines_added: number; lines_deleted: number };
  files: Omit<FileResult, 'diff'>[];
}

export function buildReport(run: BatchRun, meta: { version: string; root: string; via: string; mode: string; dryRun: boolean }): BatchReport {
  const summary = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as BatchReport['summary'];
  summary.total = run.results.length;
  summary.written = 0;
  summary.lines_added = 0;
  summary.lines_deleted = 0;
  for (const r of run.results) {
    summary[r.outcome] += 1;
    if (r.written) summary.written += 1;
    if (r.outcome === 'changed') {
      summary.lines_added += r.lines_added;
      summary.lines_deleted += r.lines_deleted;
    }
  }
  return {
    tool: 'specedit batch',
    version: meta.version,
    root: meta.root,
    via: meta.via,
    mode: meta.mode,
    dry_run: meta.dryRun,
    interrupted: run.interrupted,
    started_at: run.started_at,
    finished_at: run.finished_at,
    summary,
    files: run.results.map(({ diff: _diff, ...rest }) => rest),
  };
}

/** A one-line reason for a file that did not merge, with the service's details where they help. */
export function reason(r: Pick<FileResult, 'code' | 'message' | 'details' | 'edit_line'>): string {
  let s = `${r.code ?? 'error'}: ${r.message ?? ''}`.trim();
  const d = r.details;
  if (r.code === 'no_anchor' && d && Array.isArray(d.lines)) {
    const lines = (d.lines as unknown[]).slice(0, 3).map((l) => JSON.stringify(typeof l === 'string' ? l : (l as { text?: string }).text ?? l));
    s += ` (did not anchor: ${lines.join(', ')}${(d.lines as unknown[]).length > 3 ? ', ...' : ''})`;
  } else if (r.code === 'ambiguous_anchor' && d && Array.isArray(d.candidates)) {
    s += ` (candidates: ${JSON.stringify(d.candidates).slice(0, 120)})`;
  }
  if (r.edit_line !== undefined) s += ` [edits line ${r.edit_line}]`;
  return s;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

export function formatSummary(report: BatchReport, extra: { patch?: string; reportPath?: string } = {}): string {
  const s = report.summary;
  const out: string[] = [];
  const head = report.dry_run ? 'dry run (nothing written)' : `${plural(s.written, 'file')} written`;
  out.push(`specedit batch: ${plural(s.total, 'file')}${report.interrupted ? ', INTERRUPTED' : ''}: ${head}`);
  out.push(
    `  changed ${s.changed} (+${s.lines_added} -${s.lines_deleted}), unchanged ${s.unchanged}, refused ${s.refused}, skipped ${s.skipped}, errors ${s.error}${s.cancelled ? `, cancelled ${s.cancelled}` : ''}`,
  );
  const problems = report.files.filter((f) => f.outcome === 'refused' || f.outcome === 'error' || f.outcome === 'skipped');
  for (const f of problems.slice(0, 50)) out.push(`  ${f.outcome.padEnd(8)} ${f.path}: ${reason(f)}`);
  if (problems.length > 50) out.push(`  ... and ${problems.length - 50} more (see --report)`);
  const needModel = report.files.filter((f) => f.code === 'model_unavailable').length;
  if (needModel > 0) {
    out.push(
      `  ${plural(needModel, 'file')} ${needModel === 1 ? 'needs' : 'need'} a model (instruction edits cannot be merged structurally) and ${report.via === 'in-process' ? 'none runs in-process: give --model FILE.gguf, or --server with a server that has one' : `the server at ${report.via} has none configured`}.`,
    );
  }
  if (report.interrupted) out.push(`  interrupted: in-flight requests were cancelled; ${plural(s.written, 'file')} had been written whole, no file was half-written.`);
  if (extra.patch) out.push(`  patch: ${extra.patch}`);
  if (extra.reportPath) out.push(`  report: ${extra.reportPath}`);
  if (report.dry_run && s.changed > 0 && !extra.patch) out.push('  (dry run: --patch FILE saves the combined diff, --write applies it)');
  return `${out.join('\n')}\n`;
}
