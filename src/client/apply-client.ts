// A streaming client for POST /apply, shared by `specedit batch --server` and the VS Code extension.
// It never throws for anything the network or the server does: every way a request can end is an
// ApplyOutcome, classified so a caller can say what happened and what to do about it.
// No Node or DOM imports (global fetch, TextDecoder, AbortController only).
import { fetchFailure } from './fetch-error.js';
import { SseParser } from './sse.js';

export type ApplyMode = 'auto' | 'structural' | 'model';

/** The body of POST /apply (see the README's request table). */
export interface ApplyRequestBody {
  code: string;
  update?: string;
  instruction?: string;
  path?: string;
  language?: string;
  mode?: ApplyMode;
  line_hints?: number[];
  decoder?: 'speculative' | 'ngram' | 'greedy';
}

export interface ApplySuccess {
  ok: true;
  content: string;
  diff: string;
  mode: string;
  language: string;
  stats: Record<string, unknown>;
  requestId?: string;
}

export type FailureKind =
  | 'refused' // 422: the merge is not certain (details say why: lines that did not anchor, candidates, ...)
  | 'model_unavailable' // 501: an instruction or mode "model" needs a model backend
  | 'rate_limited' // 429 (retryAfterS from Retry-After)
  | 'unauthorized' // 401: missing or wrong API key
  | 'invalid_request' // 400/404/413/415: the request itself is wrong
  | 'server_error' // 5xx other than 501
  | 'unreachable' // no HTTP answer at all (refused connection, DNS, reset)
  | 'timeout' // no complete answer within timeoutMs
  | 'cancelled' // the caller's signal aborted
  | 'bad_response' // an answer that is not what /apply sends
  | 'stream_error'; // the stream broke after it started (an error event, or it ended early)

export interface ApplyFailure {
  ok: false;
  kind: FailureKind;
  status?: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  retryAfterS?: number;
  requestId?: string;
}

export type ApplyOutcome = ApplySuccess | ApplyFailure;

export interface StreamApplyOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:8787 (a path prefix is kept). */
  server: string;
  apiKey?: string;
  signal?: AbortSignal;
  /** Whole request, stream included; 0 or undefined: no limit. */
  timeoutMs?: number;
  onMeta?(meta: { request_id?: string; mode?: string; language?: string }): void;
  /** Each delta as it arrives, and the length of the merged text received so far. */
  onDelta?(text: string, receivedChars: number): void;
  fetch?: typeof fetch;
}

export function applyUrl(server: string): string {
  return `${server.replace(/\/+$/, '')}/apply`;
}

export function kindForStatus(status: number): FailureKind {
  if (status === 422) return 'refused';
  if (status === 501) return 'model_unavailable';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

function failureFromBody(status: number, body: unknown, retryAfter: string | null, requestId?: string): ApplyFailure {
  const err = (body as ErrorBody | undefined)?.error;
  const code = typeof err?.code === 'string' ? err.code : `http_${status}`;
  const message = typeof err?.message === 'string' ? err.message : `The server answered HTTP ${status}.`;
  const details = err?.details && typeof err.details === 'object' ? (err.details as Record<string, unknown>) : undefined;
  const retry = retryAfter !== null && retryAfter !== '' && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) : undefined;
  return { ok: false, kind: kindForStatus(status), status, code, message, ...(details ? { details } : {}), ...(retry !== undefined ? { retryAfterS: retry } : {}), ...(requestId ? { requestId } : {}) };
}

/** POST /apply with `stream: true`; resolves with the merged file or a classified failure. */
export async function streamApply(request: ApplyRequestBody, opts: StreamApplyOptions): Promise<ApplyOutcome> {
  const controller = new AbortController();
  let why: 'cancelled' | 'timeout' | undefined;
  const onAbort = () => {
    why ??= 'cancelled';
    controller.abort();
  };
  if (opts.signal?.aborted) return { ok: false, kind: 'cancelled', code: 'cancelled', message: 'Cancelled before the request was sent.' };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    opts.timeoutMs && opts.timeoutMs > 0
      ? setTimeout(() => {
          why ??= 'timeout';
          controller.abort();
        }, opts.timeoutMs)
      : undefined;
  const aborted = (): ApplyFailure =>
    why === 'timeout'
      ? { ok: false, kind: 'timeout', code: 'timeout', message: `No complete answer from ${opts.server} within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s.` }
      : { ok: false, kind: 'cancelled', code: 'cancelled', message: 'Cancelled.' };

  const doFetch = opts.fetch ?? fetch;
  let requestId: string | undefined;
  try {
    let res: Response;
    try {
      res = await doFetch(applyUrl(opts.server), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
        body: JSON.stringify({ ...request, stream: true }),
        signal: controller.signal,
      });
    } catch (e) {
      if (why) return aborted();
      return { ok: false, kind: 'unreachable', code: 'unreachable', message: `Cannot reach the specedit server at ${opts.server}: ${fetchFailure(e)}.` };
    }
    requestId = res.headers.get('x-request-id') ?? undefined;
    const type = res.headers.get('content-type') ?? '';

    if (!res.ok || !/text\/event-stream/i.test(type)) {
      let body: unknown;
      const text = await res.text();
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!res.ok) return failureFromBody(res.status, body, res.headers.get('retry-after'), requestId);
      // A plain JSON answer (a server or proxy that does not stream): accept it if it is whole.
      const b = body as Partial<ApplySuccess> | undefined;
      if (b && typeof b.content === 'string') {
        return { ok: true, content: b.content, diff: b.diff ?? '', mode: b.mode ?? 'structural', language: b.language ?? '', stats: b.stats ?? {}, requestId };
      }
      return { ok: false, kind: 'bad_response', status: res.status, code: 'bad_response', message: `Unexpected answer from ${opts.server} (HTTP ${res.status}, ${type || 'no content type'}): is it a specedit server?`, requestId };
    }

    if (!res.body) return { ok: false, kind: 'bad_response', status: res.status, code: 'bad_response', message: 'The server sent an empty stream.', requestId };
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const parts: string[] = [];
    let received = 0;
    let meta: { mode?: string; language?: string } = {};
    const reader = res.body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (why) return aborted();
        return { ok: false, kind: 'stream_error', code: 'stream_broken', message: `The stream broke: ${(e as Error).message}`, requestId };
      }
      if (chunk.done) break;
      for (const ev of parser.push(decoder.decode(chunk.value, { stream: true }))) {
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(ev.data) as Record<string, unknown>;
        } catch {
          return { ok: false, kind: 'bad_response', code: 'bad_response', message: `Unreadable "${ev.event}" event in the stream.`, requestId };
        }
        if (ev.event === 'meta') {
          meta = data as typeof meta;
          opts.onMeta?.(data as Parameters<NonNullable<StreamApplyOptions['onMeta']>>[0]);
        } else if (ev.event === 'delta' && typeof data.text === 'string') {
          parts.push(data.text);
          received += data.text.length;
          opts.onDelta?.(data.text, received);
        } else if (ev.event === 'done') {
          void reader.cancel().catch(() => {});
          return {
            ok: true,
            content: parts.join(''),
            diff: typeof data.diff === 'string' ? data.diff : '',
            mode: typeof data.mode === 'string' ? data.mode : meta.mode ?? '',
            language: typeof data.language === 'string' ? data.language : meta.language ?? '',
            stats: (data.stats as Record<string, unknown>) ?? {},
            requestId,
          };
        } else if (ev.event === 'error') {
          const f = failureFromBody(500, data, null, requestId);
          return { ...f, kind: 'stream_error', status: undefined };
        }
      }
    }
    if (why) return aborted();
    return { ok: false, kind: 'stream_error', code: 'stream_incomplete', message: 'The stream ended before the merge was complete.', requestId };
  } catch (e) {
    if (why) return aborted();
    return { ok: false, kind: 'stream_error', code: 'stream_broken', message: (e as Error).message, requestId };
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
