// Continuous batching (nano-vllm's scheduler + runner in one loop): each step packs a token
// budget with the running sequences' decode/verification inputs (oldest first) and chunks of
// waiting sequences' prefills, and runs them as one batched forward. Blocks short: the newest
// running sequence is preempted (blocks freed, tokens kept) and recomputed later. Greedy
// output is the same as alone, because each row's result does not depend on the batch.
// It lives with the decoders, beside the single-sequence runner (run.ts) whose step logic it
// shares: it drives proposers and verification, and uses the engine only for forward passes
// and KV blocks, so the layers read apply -> decode -> engine without a loop.
import type { Engine, SeqInput } from '../engine/engine.js';
import { BlockManager } from '../engine/block-manager.js';
import { Sequence, type SequenceOptions } from './sequence.js';
import type { Proposer } from './types.js';
import { finishStats, type RunResult } from './run.js';
import { DrainRate } from '../drain-rate.js';
import { planVerify, verifyRows, type VerifyPlan } from './step.js';

export interface SchedulerOptions {
  /** tokens per batched forward (default 512) */
  maxBatchTokens?: number;
  /** sequences holding KV at once (default 16) */
  maxRunning?: number;
  /** waiting requests beyond which submit refuses (default 64) */
  maxQueue?: number;
}

export class QueueFullError extends Error {
  constructor(readonly retryAfterS: number) {
    super('the engine queue is full');
  }
}

export class CancelledError extends Error {
  constructor() { super('request cancelled'); }
}

interface Pending {
  seq: Sequence;
  resolve: (r: RunResult) => void;
  reject: (e: unknown) => void;
}

interface Scheduled { p: Pending; plan: VerifyPlan; final: boolean; chunk: number }

export interface SchedulerCounters {
  steps: number;
  preemptions: number;
  prefixCacheHitTokens: number;
  /** requests whose client went away before they finished */
  cancelled: number;
}

export class Scheduler {
  readonly blocks: BlockManager;
  readonly counters: SchedulerCounters = { steps: 0, preemptions: 0, prefixCacheHitTokens: 0, cancelled: 0 };
  private waiting: Pending[] = [];
  private running: Pending[] = [];
  private looping = false;
  private readonly drained = new DrainRate();
  private readonly maxBatchTokens: number;
  private readonly maxRunning: number;
  private readonly maxQueue: number;

  /** The scheduler owns the engine's KV pool from now on. */
  constructor(readonly engine: Engine, o: SchedulerOptions = {}) {
    this.blocks = new BlockManager(engine.blocks.numBlocks, engine.blockSize);
    this.maxBatchTokens = o.maxBatchTokens ?? 512;
    this.maxRunning = o.maxRunning ?? 16;
    this.maxQueue = o.maxQueue ?? 64;
  }

  get queued(): number { return this.waiting.length; }
  get active(): number { return this.running.length; }

  /** Queue a request; resolves when it finishes. Throws QueueFullError when the queue is full. */
  submit(prompt: readonly number[], proposer: Proposer, o: SequenceOptions & { signal?: AbortSignal }): Promise<RunResult> {
    if (this.waiting.length >= this.maxQueue) {
      // Retry once the queue ahead has drained, at the rate requests have been finishing.
      const measured = this.drained.secondsFor(this.waiting.length);
      throw new QueueFullError(Math.max(1, Math.ceil(measured ?? this.running.length / 4)));
    }
    const seq = new Sequence(prompt, proposer, this.engine.tokenizer, o);
    if (this.blocks.blocksFor(seq.maxPositions) > this.blocks.numBlocks) {
      throw new RangeError(`prompt (${prompt.length}) + max_tokens (${o.maxTokens}) exceed the KV cache (${this.blocks.numBlocks * this.blocks.blockSize} tokens)`);
    }
    return new Promise<RunResult>((resolve, reject) => {
      const p: Pending = { seq, resolve, reject };
      if (o.signal?.aborted) return reject(new CancelledError());
      o.signal?.addEventListener('abort', () => this.cancel(p), { once: true });
      this.waiting.push(p);
      this.kick();
    });
  }

  /** A client went away: its blocks go back at once (a forward in flight never writes into
   *  blocks another sequence could have taken: allocation only happens between steps). */
  private cancel(p: Pending): void {
    if (p.seq.status === 'finished') return;
    this.counters.cancelled++;
    this.drop(p);
    p.reject(new CancelledError());
  }

  private drop(p: Pending): void {
    p.seq.status = 'finished';
    this.blocks.release(p.seq);
    this.waiting = this.waiting.filter((x) => x !== p);
    this.running = this.running.filter((x) => x !== p);
  }

  private kick(): void {
    if (this.looping) return;
    this.looping = true;
    void (async () => {
      try {
        while (this.running.length || this.waiting.length) await this.step();
      } catch (e) {
        // a bug in a step must not leave requests waiting forever
        for (const p of [...this.running, ...this.waiting]) { this.drop(p); p.reject(e); }
      } finally {
        this.looping = false;
      }
    })();
  }

  private preempt(p: Pending): void {
    const s = p.seq;
    this.blocks.release(s);
    s.cached = 0;
    s.status = 'waiting';
    s.preemptions++;
    this.counters.preemptions++;
    this.running = this.running.filter((x) => x !== p);
    this.waiting.unshift(p);
  }

  /** What a sequence feeds this step within `budget` tokens, or null if none fit. */
  private plan(p: Pending, budget: number, reserve: number): { plan: VerifyPlan; final: boolean; chunk: number } | null {
    const s = p.seq;
    const chunk = Math.min(s.pending, budget);
    if (chunk <= 0) return null;
    const final = chunk === s.pending;
    const draft = final ? s.proposer.propose(s, Math.min(s.draftRoom, budget - chunk - reserve)) : [];
    if (!final) {
      const input = s.tokens.slice(s.cached, s.cached + chunk);
      return { plan: { input, rows: [chunk - 1], draft: [] }, final, chunk };
    }
    return { plan: planVerify(s.tokens, s.cached, draft), final, chunk };
  }

  private async step(): Promise<void> {
    const batch: Scheduled[] = [];
    let budget = this.maxBatchTokens;
    // running sequences first, oldest first: they hold blocks, finishing them frees memory
    for (let i = 0; i < this.running.length && budget > 0; i++) {
      const p = this.running[i];
      const pl = this.plan(p, budget, Math.max(0, this.running.length - i - 1));
      if (!pl) continue;
      let ok = this.blocks.ensure(p.seq, p.seq.cached + pl.plan.input.length);
      while (!ok) {
        const victim = this.running[this.running.length - 1];
        this.preempt(victim);
        if (victim === p) break;
        ok = this.blocks.ensure(p.seq, p.seq.cached + pl.plan.input.length);
      }
      if (!ok) break; // p itself went back to waiting; everything after it too
      batch.push({ p, ...pl });
      budget -= pl.plan.input.length;
    }
    // then admit waiting sequences (FIFO) with what is left
    while (this.waiting.length && budget > 0 && this.running.length < this.maxRunning) {
      const p = this.waiting[0], s = p.seq;
      if (!s.blockTable.length) {
        // the last prompt token is always computed: its row gives the first output token
        const hit = this.blocks.matchPrefix(s, s.tokens, s.tokens.length - 1);
        s.cached = hit;
        s.stats.prefix_cache_hit_tokens += hit;
        this.counters.prefixCacheHitTokens += hit;
      }
      const pl = this.plan(p, budget, 0);
      if (!pl || !this.blocks.ensure(s, s.cached + pl.plan.input.length)) {
        this.blocks.release(s); // mapped prefix blocks go back (their cache entries stay)
        s.cached = 0;
        break;
      }
      this.waiting.shift();
      s.status = 'running';
      this.running.push(p);
      batch.push({ p, ...pl });
      budget -= pl.plan.input.length;
    }
    if (!batch.length) {
      // nothing fits (cannot happen while one sequence fits the pool alone): fail the oldest
      const p = this.waiting[0];
      if (p) { this.drop(p); p.reject(new Error('scheduler: request does not fit the KV cache')); }
      return;
    }
    const seqs: SeqInput[] = batch.map(({ p, plan }) => ({
      tokens: plan.input, pos: p.seq.cached, blockTable: p.seq.blockTable.slice(), outputRows: plan.rows,
      wantLogits: p.seq.temperature > 0 && plan.rows.length > 0,
    }));
    let res;
    try {
      res = await this.engine.forward({ seqs });
    } catch (e) {
      for (const { p } of batch) if (p.seq.status !== 'finished') { this.drop(p); p.reject(e); }
      return;
    }
    this.counters.steps++;
    batch.forEach((b, i) => this.advance(b, res.seqs[i]));
  }

  private advance({ p, plan, final, chunk }: Scheduled, rows: Parameters<typeof verifyRows>[1]): void {
    const s = p.seq;
    if (s.status === 'finished') return; // cancelled while the forward ran
    s.stats.forward_passes++;
    if (!final) {
      s.cached += chunk;
      this.blocks.register(s, s.tokens, s.cached);
      return;
    }
    const v = verifyRows(plan, rows, { temperature: s.temperature, rng: s.rng, outLen: s.out.tokens.length, pick: s.o.pick });
    if (!s.out.tokens.length && !s.stats.ttft_ms) s.stats.ttft_ms = performance.now() - s.t0;
    s.stats.draft_tokens_proposed += plan.draft.length;
    s.stats.draft_tokens_accepted += v.accepted;
    const a = s.out.append(v.tokens);
    s.tokens.push(...v.tokens);
    s.cached = s.tokens.length - 1;
    this.blocks.register(s, s.tokens, s.cached);
    s.proposer.observe(a.tokens, a.raw, plan.draft.length, v.accepted);
    if (a.delta) s.o.onDelta?.(a.delta);
    if (s.out.done) {
      this.drop(p);
      finishStats(s.stats, s.t0, s.out.tokens.length);
      this.drained.completed();
      p.resolve({ text: s.out.text, tokens: s.out.tokens, finishReason: s.out.finishReason!, stats: s.stats });
    }
  }
}
