// Progress on stderr: a redrawn bar on a terminal (files done / total, rate, ETA), or one plain line
// per finished file otherwise (logs, CI, pipes).
import type { FileResult } from './runner.js';
import { reason } from './report.js';

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface Progress {
  start(total: number): void;
  fileDone(r: FileResult, done: number, total: number): void;
  note(line: string): void;
  finish(): void;
}

const fmtTime = (s: number) => {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return `${m}:${String(sec).padStart(2, '0')}`;
};

export function describe(r: FileResult): string {
  if (r.outcome === 'changed') return `${r.written ? 'written' : 'changed'}  ${r.path} (+${r.lines_added} -${r.lines_deleted})`;
  if (r.outcome === 'unchanged' || r.outcome === 'cancelled') return `${r.outcome.padEnd(8)} ${r.path}`;
  return `${r.outcome.padEnd(8)} ${r.path}: ${reason(r)}`;
}

export function createProgress(sink: ProgressSink, now: () => number = Date.now): Progress {
  let t0 = now();
  let total = 0;
  let done = 0;
  let lastDraw = 0;
  let drawn = false;
  const tty = !!sink.isTTY;

  const bar = () => {
    const elapsed = (now() - t0) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const width = Math.max(10, Math.min(30, (sink.columns || 80) - 50));
    const fill = total ? Math.round((done / total) * width) : 0;
    return `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${total} ${total ? Math.floor((done / total) * 100) : 0}%  ${rate.toFixed(1)} files/s  ETA ${done === total ? '0:00' : fmtTime(eta)}`;
  };
  const draw = (force = false) => {
    if (!tty) return;
    const t = now();
    if (!force && t - lastDraw < 100) return;
    lastDraw = t;
    sink.write(`\r\x1b[K${bar()}`);
    drawn = true;
  };
  const clear = () => {
    if (tty && drawn) sink.write('\r\x1b[K');
  };

  return {
    start(n) {
      total = n;
      t0 = now();
      if (!tty) sink.write(`specedit batch: ${n} file${n === 1 ? '' : 's'}\n`);
      draw(true);
    },
    fileDone(r, d, n) {
      done = d;
      total = n;
      if (tty) {
        // Problems stay on screen above the bar; successes only move the bar.
        if (r.outcome !== 'changed' && r.outcome !== 'unchanged' && r.outcome !== 'cancelled') {
          clear();
          sink.write(`${describe(r)}\n`);
          draw(true);
        } else draw(d === n);
      } else {
        sink.write(`[${d}/${n}] ${describe(r)}\n`);
      }
    },
    note(line) {
      clear();
      sink.write(`${line}\n`);
      draw(true);
    },
    finish() {
      if (tty && drawn) sink.write(`\r\x1b[K${bar()}\n`);
      drawn = false;
    },
  };
}
