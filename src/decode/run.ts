// Single-sequence runner: one request on an Engine of its own, no batching. The scheduler
// (scheduler.ts, beside it) runs the same step logic for many sequences at once; this one
// is the simplest correct loop and the reference the tests compare decoders with.
import type { Engine } from '../engine/engine.js';
import { OutputText } from './output.js';
import { planVerify, verifyRows } from './step.js';
import type { DecodeStats, Proposer, SamplingOptions } from './types.js';
import { Rng } from './verify.js';

export interface RunOptions extends SamplingOptions {
  onDelta?: (text: string) => void;
  /** teacher forcing (benchmark only): the token the target "chooses" at an output index */
  pick?: (outIndex: number, argmax: number) => number;
}

export interface RunResult {
  text: string;
  tokens: number[];
  finishReason: 'stop' | 'length';
  stats: DecodeStats;
}

export function emptyStats(decoder: DecodeStats['decoder'], promptTokens: number): DecodeStats {
  return {
    prompt_tokens: promptTokens, completion_tokens: 0, forward_passes: 0, draft_tokens_proposed: 0,
    draft_tokens_accepted: 0, acceptance_rate: 0, prefix_cache_hit_tokens: 0, ttft_ms: 0, tokens_per_second: 0, decoder,
  };
}

export function finishStats(s: DecodeStats, t0: number, completion: number): void {
  s.completion_tokens = completion;
  s.acceptance_rate = s.draft_tokens_proposed ? s.draft_tokens_accepted / s.draft_tokens_proposed : 0;
  const secs = (performance.now() - t0) / 1000;
  s.tokens_per_second = secs > 0 ? completion / secs : 0;
}

export async function runSequence(engine: Engine, prompt: number[], proposer: Proposer, o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const out = new OutputText(engine.tokenizer, o);
  const stats = emptyStats(proposer.name, prompt.length);
  const temperature = o.temperature ?? 0, rng = new Rng(o.seed ?? 0);
  const tokens = prompt.slice();
  const table: number[] = [];
  let cached = 0;
  const ctx = { tokens, promptLen: prompt.length };
  try {
    while (!out.done) {
      // never draft past max_tokens: those tokens would be thrown away
      const room = o.maxTokens - out.tokens.length - 1;
      const draft = proposer.propose(ctx, room);
      const plan = planVerify(tokens, cached, draft);
      engine.blocks.grow(table, cached + plan.input.length);
      const res = await engine.forward({ seqs: [{ tokens: plan.input, pos: cached, blockTable: table, outputRows: plan.rows, wantLogits: temperature > 0 }] });
      stats.forward_passes++;
      if (stats.forward_passes === 1) stats.ttft_ms = performance.now() - t0;
      const v = verifyRows(plan, res.seqs[0], { temperature, rng, outLen: out.tokens.length, pick: o.pick });
      stats.draft_tokens_proposed += draft.length;
      stats.draft_tokens_accepted += v.accepted;
      const a = out.append(v.tokens);
      tokens.push(...v.tokens);
      cached = tokens.length - 1;
      proposer.observe(a.tokens, a.raw, draft.length, v.accepted);
      if (a.delta) o.onDelta?.(a.delta);
    }
  } finally {
    engine.freeBlocks(table);
  }
  finishStats(stats, t0, out.tokens.length);
  return { text: out.text, tokens: out.tokens, finishReason: out.finishReason!, stats };
}
