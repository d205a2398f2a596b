// Verification of a draft against the target's predictions at the last token and at each
// draft token (row j predicts the token after draft[j-1]).

/** Greedy: the longest agreeing prefix plus the target's own next token: exactly greedy output. */
export function acceptGreedy(draft: readonly number[], preds: readonly number[]): { accepted: number; tokens: number[] } {
  let j = 0;
  while (j < draft.length && draft[j] === preds[j]) j++;
  return { accepted: j, tokens: [...draft.slice(0, j), preds[j]] };
}

/** Seeded xorshift32 in [0, 1): reproducible sampling per request. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed * 2654435761 >>> 0) || 0x9e3779b9; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.s = x;
    return x / 4294967296;
  }
}

/** softmax(logits / temperature) in float64 */
export function probabilities(logits: ArrayLike<number>, temperature: number): Float64Array {
  const p = new Float64Array(logits.length);
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += p[i] = Math.exp((logits[i] - m) / temperature);
  for (let i = 0; i < p.length; i++) p[i] /= z;
  return p;
}

export function sample(p: ArrayLike<number>, rng: Rng): number {
  let u = rng.next(), last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] <= 0) continue;
    last = i;
    if ((u -= p[i]) < 0) return i;
  }
  return last; // rounding left a sliver of mass: the last possible token
}

/**
 * Exact speculative sampling for a deterministic draft (the draft puts all its mass on d):
 * accept d with probability p(d); on rejection sample from p with d removed, renormalised.
 * The output is distributed exactly as sampling token by token from p.
 */
export function acceptSampled(draft: readonly number[], logits: readonly ArrayLike<number>[], temperature: number, rng: Rng): { accepted: number; tokens: number[] } {
  const out: number[] = [];
  for (let j = 0; j < draft.length; j++) {
    const p = probabilities(logits[j], temperature), d = draft[j];
    if (rng.next() < p[d]) { out.push(d); continue; }
    p[d] = 0;
    let z = 0;
    for (let i = 0; i < p.length; i++) z += p[i];
    for (let i = 0; i < p.length; i++) p[i] /= z;
    out.push(sample(p, rng));
    return { accepted: j, tokens: out };
  }
  out.push(sample(probabilities(logits[draft.length], temperature), rng));
  return { accepted: draft.length, tokens: out };
}
