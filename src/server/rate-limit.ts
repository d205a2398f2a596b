// Per-key token buckets: requests per minute and tokens per minute. A bucket holds a minute's budget
// and refills continuously; tokens are estimated on admission and settled with the real count after
// the response (the bucket may go below zero, which delays the key's next requests).
import type { Principal } from './auth.js';

export class TokenBucket {
  level: number;
  private last: number;
  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + ((now - this.last) / 60_000) * this.capacity);
    this.last = now;
  }

  /** Seconds until `amount` (capped at the capacity) is available; 0 if it is now. */
  waitFor(amount: number, now: number): number {
    this.refill(now);
    const need = Math.min(amount, this.capacity);
    return this.level >= need ? 0 : ((need - this.level) / this.capacity) * 60;
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }
}

export type Admission =
  | { ok: true; remainingRequests?: number; remainingTokens?: number }
  | { ok: false; limit: 'requests' | 'tokens'; retryAfterS: number };

export class RateLimiter {
  private readonly buckets = new Map<string, { requests?: TokenBucket; tokens?: TokenBucket }>();
  constructor(private readonly clock: () => number = Date.now) {}

  private bucketsFor(p: Principal) {
    let b = this.buckets.get(p.id);
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = p.rateLimits;
    if (!b || (b.requests?.capacity ?? 0) !== rpm || (b.tokens?.capacity ?? 0) !== tpm) {
      const now = this.clock();
      b = { requests: rpm > 0 ? new TokenBucket(rpm, now) : undefined, tokens: tpm > 0 ? new TokenBucket(tpm, now) : undefined };
      this.buckets.set(p.id, b);
    }
    return b;
  }

  /** Admit one request expected to use about `estimatedTokens` input tokens, or say how long to wait. */
  admit(p: Principal, estimatedTokens: number): Admission {
    const b = this.bucketsFor(p);
    const now = this.clock();
    const waitReq = b.requests?.waitFor(1, now) ?? 0;
    if (waitReq > 0) return { ok: false, limit: 'requests', retryAfterS: waitReq };
    const waitTok = b.tokens?.waitFor(Math.max(1, estimatedTokens), now) ?? 0;
    if (waitTok > 0) return { ok: false, limit: 'tokens', retryAfterS: waitTok };
    b.requests?.take(1, now);
    b.tokens?.take(estimatedTokens, now);
    return { ok: true, remainingRequests: b.requests && Math.floor(b.requests.level), remainingTokens: b.tokens && Math.floor(b.tokens.level) };
  }

  /** Settle a finished request: charge the difference between its real token count and the estimate. */
  settle(p: Principal, estimatedTokens: number, actualTokens: number): void {
    const b = this.bucketsFor(p);
    b.tokens?.take(actualTokens - estimatedTokens, this.clock());
  }
}
