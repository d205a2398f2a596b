// Routes model requests to backends: among the healthy backends serving the model, the one with the
// fewest requests in flight (ties rotate). A connection failure, or a 502/503/504 answer, before any
// byte of the body was passed on is retried on another backend, and marks the first unhealthy until
// its next successful health check. No healthy backend left: 503 no_healthy_backend.
import type { Metrics, BackendSnapshot } from '../server/metrics.js';
import { quote } from '../clip.js';
import { fetchFailure } from '../client/fetch-error.js';
import { HttpError } from '../server/errors.js';
import { tapBody } from '../server/stream-tap.js';
import type { Backend, ModelRoute } from './backend.js';

interface State {
  backend: Backend;
  healthy: boolean;
  outstanding: number;
  lastError?: string;
}

export interface Routed {
  backend: Backend;
  attempts: number;
  /** The backend's answer; its body releases the backend's slot when it ends or is cancelled. */
  response: Response;
}

const RETRY_STATUS = new Set([502, 503, 504]);

export class Router {
  private readonly states: State[];
  private timer: NodeJS.Timeout | undefined;
  private turn = 0;

  constructor(
    backends: Backend[],
    private readonly opts: { healthIntervalMs: number; probeTimeoutMs?: number; metrics?: Metrics } = { healthIntervalMs: 5000 },
  ) {
    this.states = backends.map((backend) => ({ backend, healthy: true, outstanding: 0 }));
  }

  get size(): number {
    return this.states.length;
  }

  hasModel(model: string): boolean {
    return this.states.some((s) => s.backend.models.has(model));
  }

  /** Exposed model ids with the backends serving each. */
  models(): { id: string; backends: string[] }[] {
    const out = new Map<string, string[]>();
    for (const s of this.states) for (const id of s.backend.models.keys()) out.set(id, [...(out.get(id) ?? []), s.backend.name]);
    return [...out].map(([id, backends]) => ({ id, backends }));
  }

  snapshot(): BackendSnapshot[] {
    return this.states.map((s) => ({ name: s.backend.name, healthy: s.healthy, outstanding: s.outstanding }));
  }

  /** Probe every backend now and then every healthIntervalMs (timer does not keep the process alive). */
  start(): void {
    if (this.timer || this.states.length === 0) return;
    void this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.opts.healthIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async checkAll(): Promise<void> {
    await Promise.all(
      this.states.map(async (s) => {
        try {
          s.healthy = await s.backend.probe(AbortSignal.timeout(this.opts.probeTimeoutMs ?? 2000));
          s.lastError = s.healthy ? undefined : 'health check failed';
        } catch (e) {
          s.healthy = false;
          s.lastError = (e as Error).message;
        }
      }),
    );
  }

  private pick(model: string, tried: Set<State>): State | undefined {
    const candidates = this.states.filter((s) => s.healthy && !tried.has(s) && s.backend.models.has(model));
    if (candidates.length === 0) return undefined;
    const least = Math.min(...candidates.map((s) => s.outstanding));
    const best = candidates.filter((s) => s.outstanding === least);
    return best[this.turn++ % best.length];
  }

  /**
   * Send a request for `model`. `bodyFor` builds the body for the chosen backend (its own model id
   * already set). Nothing has reached the client until the first byte of the answer's body is in
   * (streams) or the whole body is (`buffer`, for JSON answers), so a failure up to then is retried
   * on another backend. Throws HttpError 404 for an unknown model, 503 when no healthy backend answered.
   */
  async send(
    model: string,
    route: ModelRoute,
    bodyFor: (backend: Backend, upstreamModel: string) => Record<string, unknown>,
    signal: AbortSignal,
    opts: { buffer?: boolean } = {},
  ): Promise<Routed> {
    if (!this.hasModel(model)) throw new HttpError(404, 'model_not_found', `The model ${quote(model)} does not exist.`);
    const tried = new Set<State>();
    const failures: { backend: string; error: string }[] = [];
    for (;;) {
      const s = this.pick(model, tried);
      if (!s) {
        throw new HttpError(
          503,
          'no_healthy_backend',
          `No healthy backend serves "${model}"${failures.length ? ` (tried ${failures.map((f) => `${f.backend}: ${f.error}`).join('; ')})` : ''}.`,
          { model, tried: failures },
          { 'retry-after': String(Math.max(1, Math.ceil(this.opts.healthIntervalMs / 1000))) },
        );
      }
      tried.add(s);
      const name = s.backend.name;
      s.outstanding++;
      let res: Response;
      let head: Head;
      try {
        res = await s.backend.send(route, bodyFor(s.backend, s.backend.models.get(model)!), signal);
        head = RETRY_STATUS.has(res.status) ? { kind: 'none' } : await readHead(res, opts.buffer === true);
      } catch (e) {
        s.outstanding--;
        if (signal.aborted) throw e;
        s.healthy = false;
        s.lastError = fetchFailure(e);
        failures.push({ backend: name, error: s.lastError });
        this.opts.metrics?.backendRequests.inc({ backend: name, outcome: 'connect_error' });
        continue;
      }
      if (RETRY_STATUS.has(res.status)) {
        s.outstanding--;
        await res.body?.cancel().catch(() => {});
        s.healthy = false;
        s.lastError = `HTTP ${res.status}`;
        failures.push({ backend: name, error: s.lastError });
        this.opts.metrics?.backendRequests.inc({ backend: name, outcome: 'upstream_5xx' });
        continue;
      }
      this.opts.metrics?.backendRequests.inc({ backend: name, outcome: 'ok' });
      let released = false;
      const release = () => {
        if (!released) s.outstanding--;
        released = true;
      };
      const init = { status: res.status, statusText: res.statusText, headers: res.headers };
      if (head.kind === 'text') {
        release();
        return { backend: s.backend, attempts: tried.size, response: new Response(head.text, init) };
      }
      if (head.kind === 'none' || !res.body) {
        release();
        return { backend: s.backend, attempts: tried.size, response: new Response(null, init) };
      }
      const body = tapBody(prepend(head.first, head.reader), { onEnd: release });
      return { backend: s.backend, attempts: tried.size, response: new Response(body, init) };
    }
  }
}

type Head =
  | { kind: 'none' }
  | { kind: 'text'; text: string }
  | { kind: 'stream'; first: Uint8Array | null; reader: ReadableStreamDefaultReader<Uint8Array> };

/** Read what must be in before the answer may go out: the whole body, or its first chunk. */
async function readHead(res: Response, buffer: boolean): Promise<Head> {
  if (!res.body) return { kind: 'none' };
  if (buffer) return { kind: 'text', text: await res.text() };
  const reader = res.body.getReader();
  const { done, value } = await reader.read();
  return { kind: 'stream', first: done ? null : value, reader };
}

function prepend(first: Uint8Array | null, reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let pending = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = null;
          return;
        }
        if (first === null) return controller.close();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}


