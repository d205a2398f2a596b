// Structural merges off the event loop: a few worker threads (merge-worker.ts), a bounded queue in
// front of them, and a time budget per merge. A merge is synchronous CPU work that cannot be
// interrupted from inside, so a merge past its budget (or abandoned by its client) ends by
// terminating its thread; a fresh one takes its place.
import { Worker } from 'node:worker_threads';
import { ApplyError } from './errors.js';
import type { StructuralOutcome, StructuralRunner, StructuralTask } from './structural-step.js';
import { DrainRate } from '../drain-rate.js';

export interface MergePoolOptions {
  /** worker threads (each holds every grammar: ~60 MB) */
  threads: number;
  /** a merge still running after this many ms (plus MS_PER_MB of its input) is refused as merge_too_complex */
  budgetMs: number;
  /** merges waiting for a thread; beyond it run() answers 429 overloaded */
  maxQueued: number;
}

interface Job {
  id: number;
  task: StructuralTask;
  resolve(o: StructuralOutcome): void;
  reject(e: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
  settled?: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  timer?: NodeJS.Timeout;
}

/** A merge's budget grows with its input: a big file is slow, not pathological; superlinear work is. */
export const MS_PER_MB = 2000;
export const budgetFor = (base: number, task: StructuralTask) =>
  Math.round(base + ((task.code.length + task.update.length) / (1 << 20)) * MS_PER_MB);

const abortError = () => new DOMException('The merge was abandoned: its client has gone.', 'AbortError');

export class MergePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly drain = new DrainRate();
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: MergePoolOptions) {}

  /** The pool as a StructuralRunner for applyEdit. */
  readonly runner: StructuralRunner = (task, signal) => this.run(task, signal);

  get queued(): number {
    return this.queue.length;
  }
  get running(): number {
    return this.slots.filter((s) => s.job).length;
  }

  run(task: StructuralTask, signal?: AbortSignal): Promise<StructuralOutcome> {
    if (this.closed) return Promise.reject(new ApplyError(503, 'shutting_down', 'The server is shutting down.'));
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.running + this.queue.length >= this.opts.threads + this.opts.maxQueued) {
      const wait = this.retryAfterS();
      return Promise.reject(
        new ApplyError(429, 'overloaded', `The server is at its limit of ${this.opts.threads} running and ${this.opts.maxQueued} waiting merges; retry in ${Math.ceil(wait)} s.`, { retry_after_s: wait }),
      );
    }
    return new Promise<StructuralOutcome>((resolve, reject) => {
      const job: Job = { id: this.nextId++, task, resolve, reject, signal };
      if (signal) {
        job.onAbort = () => this.abandon(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Start every thread now and resolve once they are ready (a server does this before listening). */
  async warm(): Promise<void> {
    while (this.slots.length < this.opts.threads) this.spawn();
    // (a thread that dies while starting ends its wait too; run() reports the failure)
    await Promise.all(this.slots.map((s) => s.ready || new Promise<void>((r) => s.worker.once('message', () => r()).once('exit', () => r()))));
  }

  /** How long until a new merge would get a thread, from the measured drain rate (≥ 1 s). */
  retryAfterS(): number {
    const waiting = this.queue.length + 1;
    const measured = this.drain.secondsFor(waiting);
    const bound = (waiting * this.opts.budgetMs) / 1000 / this.opts.threads;
    return Math.max(1, Math.ceil(Math.min(measured ?? bound, bound)));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, () => job.reject(new ApplyError(503, 'shutting_down', 'The server is shutting down.')));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.ready && !s.job);
      if (!slot) {
        if (this.slots.length < this.opts.threads) this.spawn();
        return;
      }
      this.dispatch(slot, this.queue.shift()!);
    }
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    const budget = budgetFor(this.opts.budgetMs, job.task);
    slot.timer = setTimeout(() => {
      this.retire(slot);
      this.settle(job, () =>
        job.resolve({
          ok: false,
          code: 'merge_too_complex',
          message: `The structural merge did not finish within its budget of ${budget} ms; split the edit into smaller snippets.`,
          details: { budget_ms: budget },
        }),
      );
      this.pump();
    }, budget);
    slot.worker.postMessage({ id: job.id, task: job.task });
  }

  private spawn(): void {
    // Built, this module and its worker are JavaScript; under vitest they are TypeScript, and the
    // worker first registers tsx's loader (hooks are not inherited by worker threads).
    const ts = import.meta.url.endsWith('.ts');
    const entry = new URL(`./merge-worker.${ts ? 'ts' : 'js'}`, import.meta.url);
    const worker = new Worker(ts ? `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })` : entry, {
      eval: ts,
      // A merge that balloons is ended like a slow one, not allowed to take the process's memory.
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    worker.unref();
    const slot: Slot = { worker, ready: false, job: null };
    this.slots.push(slot);
    worker.on('message', (m: { ready?: true; id?: number; outcome?: StructuralOutcome; error?: string }) => {
      if (m.ready) {
        slot.ready = true;
        this.pump();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      clearTimeout(slot.timer);
      slot.job = null;
      this.drain.completed();
      this.settle(job, () => (m.outcome ? job.resolve(m.outcome) : job.reject(new Error(`structural merge failed: ${m.error}`))));
      this.pump();
    });
    const died = (err: Error) => {
      if (!this.slots.includes(slot)) return;
      this.retire(slot);
      const job = slot.job;
      if (job) {
        const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        this.settle(job, () =>
          oom
            ? job.resolve({ ok: false, code: 'merge_too_complex', message: 'The structural merge ran out of its memory budget; split the edit into smaller snippets.' })
            : job.reject(err),
        );
      } else if (!slot.ready) {
        // It could not even start (a broken install): fail what waits rather than respawn forever.
        for (const j of this.queue.splice(0)) this.settle(j, () => j.reject(err));
      }
      this.pump();
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`merge worker exited with code ${code}`)));
  }

  /** Take a slot out of service and end its thread (a replacement is spawned when work waits). */
  private retire(slot: Slot): void {
    clearTimeout(slot.timer);
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.worker.terminate();
  }

  private abandon(job: Job): void {
    const q = this.queue.indexOf(job);
    if (q >= 0) this.queue.splice(q, 1);
    const slot = this.slots.find((s) => s.job === job);
    if (slot) {
      this.retire(slot);
      this.pump();
    }
    this.settle(job, () => job.reject(abortError()));
  }

  /** Settle a job once, and stop listening to its signal. */
  private settle(job: Job, how: () => void): void {
    if (job.settled) return;
    job.settled = true;
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    how();
  }
}
