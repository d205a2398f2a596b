// Where a batch sends its merges: the pipeline in this process, or a specedit server (streamed).
import type { Limits } from '../config.js';
import { ApplyError } from '../apply/errors.js';
import type { ModelService } from '../apply/model.js';
import { applyEdit } from '../apply/pipeline.js';
import { ApplyRequestSchema } from '../apply/schema.js';
import { kindForStatus, streamApply, type ApplyOutcome, type ApplyRequestBody } from '../client/apply-client.js';

export type Applier = (req: ApplyRequestBody, signal: AbortSignal) => Promise<ApplyOutcome>;

const cancelled = (): ApplyOutcome => ({ ok: false, kind: 'cancelled', code: 'cancelled', message: 'Cancelled.' });

/**
 * The pipeline, in-process (with `model`, or else SPECEDIT_MODEL's). A merge cannot be stopped
 * midway, but none starts after the signal.
 */
export function inProcessApplier(limits: Limits, model?: ModelService): Applier {
  return async (body, signal) => {
    if (signal.aborted) return cancelled();
    const parsed = ApplyRequestSchema.safeParse(body);
    if (!parsed.success) {
      return { ok: false, kind: 'invalid_request', status: 400, code: 'invalid_request', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    }
    try {
      const r = await applyEdit(parsed.data, limits, model ? { model } : {});
      return { ok: true, content: r.content, diff: r.diff, mode: r.mode, language: r.language, stats: { ...r.stats } };
    } catch (e) {
      if (!(e instanceof ApplyError)) return { ok: false, kind: 'server_error', code: 'internal', message: (e as Error).message };
      return { ok: false, kind: kindForStatus(e.status), status: e.status, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
    }
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export interface RemoteOptions {
  server: string;
  apiKey?: string;
  timeoutMs?: number;
  /** Retries of a 429 whose Retry-After is at most maxRetryWaitS (default 2 retries, 30 s). */
  retries?: number;
  maxRetryWaitS?: number;
}

/** A specedit server, through the streaming client; a rate-limited request waits and retries. */
export function remoteApplier(opts: RemoteOptions): Applier {
  const retries = opts.retries ?? 2;
  const maxWait = opts.maxRetryWaitS ?? 30;
  return async (body, signal) => {
    for (let attempt = 0; ; attempt++) {
      const out = await streamApply(body, { server: opts.server, apiKey: opts.apiKey, timeoutMs: opts.timeoutMs, signal });
      if (out.ok || out.kind !== 'rate_limited' || attempt >= retries || (out.retryAfterS ?? 1) > maxWait) return out;
      await sleep((out.retryAfterS ?? 1) * 1000, signal);
      if (signal.aborted) return cancelled();
    }
  };
}
