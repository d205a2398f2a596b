// One sequence's step logic, shared by the single-sequence runner and the scheduler: what to
// feed (uncached tokens + draft), which rows to read, and how the rows turn into output.
import type { RowResult } from '../engine/engine.js';
import { acceptGreedy, acceptSampled, type Rng } from './verify.js';

export interface VerifyPlan {
  /** tokens fed this pass: the uncached tail of the sequence, then the draft */
  input: number[];
  /** rows whose predictions are read: the last real token and every draft token */
  rows: number[];
  draft: number[];
}

export function planVerify(tokens: readonly number[], cached: number, draft: number[]): VerifyPlan {
  const tail = tokens.slice(cached) as number[];
  const input = tail.concat(draft);
  const rows: number[] = [];
  for (let r = tail.length - 1; r < input.length; r++) rows.push(r);
  return { input, rows, draft };
}

/**
 * Turn the rows of a verification pass into accepted tokens. `pick` replaces the target's
 * choice (teacher forcing in the benchmark only): it sees the output index and the argmax.
 */
export function verifyRows(plan: VerifyPlan, rows: RowResult[], o: { temperature: number; rng: Rng; outLen: number; pick?: (outIndex: number, argmax: number) => number }): { accepted: number; tokens: number[] } {
  if (o.temperature > 0) return acceptSampled(plan.draft, rows.map((r) => r.logits!), o.temperature, o.rng);
  const preds = rows.map((r, j) => (o.pick ? o.pick(o.outLen + j, r.argmax) : r.argmax));
  return acceptGreedy(plan.draft, preds);
}
