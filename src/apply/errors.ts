// Errors the apply pipeline answers with: an HTTP status and a machine-readable code.
import { clipDetails } from '../clip.js';

export class ApplyError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 501 | 503,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApplyError';
  }

  /** HTTP headers that go with it: when to retry a full model queue (429 with details.retry_after_s). */
  headers(): Record<string, string> {
    const retry = this.status === 429 ? Number(this.details?.retry_after_s) : NaN;
    return Number.isFinite(retry) ? { 'retry-after': String(Math.max(1, Math.ceil(retry))) } : {};
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: clipDetails(this.details) } : {}) } };
  }
}
