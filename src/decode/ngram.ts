// Prompt lookup decoding (vLLM's `ngram` method): the last n tokens, n from `max` down to
// `min`, are looked up earlier in prompt + output; the k tokens that followed the match are
// the draft. The fair baseline for speculative edits: it needs no knowledge of the edit.
import type { ProposeContext, Proposer } from './types.js';

export interface NgramOptions {
  /** prompt_lookup_min (default 2) */
  min?: number;
  /** prompt_lookup_max (default 4) */
  max?: number;
  /** num_speculative_tokens (default 8) */
  k?: number;
}

export class NgramProposer implements Proposer {
  readonly name = 'ngram' as const;
  readonly min: number;
  readonly max: number;
  readonly k: number;

  constructor(o: NgramOptions = {}) {
    this.min = o.min ?? 2;
    this.max = o.max ?? 4;
    this.k = o.k ?? 8;
    if (this.min < 1 || this.max < this.min || this.k < 1) throw new RangeError('ngram: need 1 <= min <= max and k >= 1');
  }

  propose(ctx: ProposeContext, maxK: number): number[] {
    const t = ctx.tokens, L = t.length, k = Math.min(this.k, maxK);
    if (k <= 0) return [];
    for (let n = Math.min(this.max, L - 1); n >= this.min; n--) {
      // most recent earlier occurrence: recent context predicts the continuation best
      for (let s = L - n - 1; s >= 0; s--) {
        let j = 0;
        while (j < n && t[s + j] === t[L - n + j]) j++;
        if (j < n) continue;
        const draft = t.slice(s + n, s + n + k) as number[];
        if (draft.length) return draft;
      }
    }
    return [];
  }

  observe(): void {}
}
