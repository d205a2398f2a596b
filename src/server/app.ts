// HTTP API: POST /apply (JSON or SSE), the OpenAI-compatible /v1 endpoints, GET /healthz,
// GET /v1/languages, GET /metrics. Every request passes request id → observation (log line,
// metrics) → API key → rate limit → handler.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import type { Config } from '../config.js';
import { ApplyError } from '../apply/errors.js';
import { applyEdit } from '../apply/pipeline.js';
import { openedModel } from '../apply/model.js';
import { ApplyRequestSchema, type ApplyRequest } from '../apply/schema.js';
import { MergePool } from '../apply/merge-pool.js';
import type { StructuralRunner } from '../apply/structural-step.js';
import { unifiedDiff } from '../apply/diff.js';
import { mergeTokens } from '../apply/usage.js';
import { applyViaModel } from '../backends/apply-via-model.js';
import { RemoteBackend } from '../backends/remote.js';
import { Router } from '../backends/router.js';
import { detectLanguage, GENERIC, languages } from '../languages/registry.js';
import { registerOpenAIRoutes } from '../openai/routes.js';
import { estimateTokens } from '../openai/tokens.js';
import { quote } from '../clip.js';
import { KeyStore } from './auth.js';
import { limitBody, readJson } from './body.js';
import { costUsd, type Env, type RequestInfo } from './context.js';
import { HttpError, sendError } from './errors.js';
import { jsonLogger, silentLogger, type Logger } from './logging.js';
import { Metrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import { pump, startLive } from './delta-feed.js';
import { chunks, sseEvent, sseHeaders } from './sse.js';
import { tapBody } from './stream-tap.js';
import { VERSION } from '../version.js';

export type { Env } from './context.js';

const errorResponse = (c: Context, e: ApplyError) => {
  for (const [k, v] of Object.entries(e.headers())) c.header(k, v);
  return c.json(e.toJSON(), e.status);
};

/** Bounded route labels for metrics and logs. */
const ROUTES = ['/apply', '/v1/chat/completions', '/v1/completions', '/v1/models', '/v1/languages', '/healthz', '/health', '/metrics'];
export function routeLabel(path: string): string {
  if (ROUTES.includes(path)) return path;
  if (path.startsWith('/v1/models/')) return '/v1/models/:id';
  return 'unmatched';
}

/** Routes that cost tokens: rate-limited. */
const METERED = new Set(['/apply', '/v1/chat/completions', '/v1/completions']);
/** Routes open without a key. */
const OPEN = new Set(['/healthz', '/health']);

export interface ServiceOptions {
  /** Request log sink; default from config.log (JSON lines on stdout, or nothing). */
  logger?: Logger;
  /** Process-level default metrics (CPU, memory, event loop); default true. */
  defaultMetrics?: boolean;
  clock?: () => number;
}

export interface Service {
  app: Hono<Env>;
  metrics: Metrics;
  router: Router | null;
  /** Start the merge threads (if merges run in threads): a server does this before it listens. */
  warm(): Promise<void>;
  /** Stop background work (backend health checks, merge threads). */
  close(): void;
}

export function createService(config: Config, options: ServiceOptions = {}): Service {
  const app = new Hono<Env>();
  const startedAt = Date.now();
  const keys = new KeyStore(config);
  const limiter = new RateLimiter(options.clock);
  const log = options.logger ?? (config.log === 'json' ? jsonLogger() : silentLogger);
  let router: Router | null = null;
  const metrics = new Metrics({ defaultMetrics: options.defaultMetrics, backends: () => router?.snapshot() ?? [] });
  if (config.backends.length > 0) {
    router = new Router(
      config.backends.map((b) => new RemoteBackend(b)),
      { healthIntervalMs: config.healthIntervalMs, metrics },
    );
    router.start();
  }
  // Structural merges run in worker threads, bounded in time and queue (see merge-pool.ts);
  // the pool starts with the first merge.
  let pool: MergePool | null = null;
  const mergePool = () => (pool ??= new MergePool(config.merge));
  const structural: StructuralRunner | undefined = config.merge.threads > 0 ? (task, signal) => mergePool().run(task, signal) : undefined;

  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const id = given && /^[\w.:@-]{1,128}$/.test(given) ? given : randomUUID();
    c.set('requestId', id);
    c.header('x-request-id', id);
    const info: RequestInfo = {};
    c.set('info', info);
    c.set('principal', keys.anonymous());
    const t0 = performance.now();
    await next();

    const route = routeLabel(c.req.path);
    const principal = c.get('principal');
    const admitted = (c as Context<Env & { Variables: { admittedTokens?: number } }>).get('admittedTokens');
    let firstByte: number | undefined;
    let bytesOut = 0;
    const finish = (outcome?: string) => {
      const seconds = (performance.now() - t0) / 1000;
      const status = c.res.status;
      metrics.requests.inc({ route, method: c.req.method, status: String(status) });
      metrics.duration.observe({ route }, seconds);
      metrics.ttft.observe({ route }, firstByte ?? seconds);
      if (METERED.has(route)) metrics.keyRequests.inc({ key: principal.id });
      metrics.usage(principal.id, info.tokensIn ?? 0, info.tokensOut ?? 0, info.costUsd ?? 0);
      if (status === 200 && info.mode && !outcome) metrics.merges.inc({ mode: info.mode });
      if ((status >= 400 || outcome) && info.code) metrics.refusals.inc({ code: info.code });
      if (admitted !== undefined) limiter.settle(principal, admitted, (info.tokensIn ?? 0) + (info.tokensOut ?? 0));
      log({
        request_id: id,
        key_id: principal.id,
        method: c.req.method,
        route,
        status,
        bytes_in: Number(c.req.header('content-length') ?? 0),
        bytes_out: bytesOut,
        duration_ms: Math.round(seconds * 1e5) / 100,
        ...(firstByte !== undefined ? { ttfb_ms: Math.round(firstByte * 1e5) / 100 } : {}),
        outcome: outcome ?? (status < 400 ? 'ok' : status === 422 ? 'refused' : 'error'),
        ...(info.code ? { code: info.code } : {}),
        ...(info.model ? { model: info.model } : {}),
        ...(info.mode ? { mode: info.mode } : {}),
        ...(info.language ? { language: info.language } : {}),
        ...(info.backend ? { backend: info.backend, attempts: info.attempts } : {}),
        ...(info.stream !== undefined ? { stream: info.stream } : {}),
        ...(info.tokensIn !== undefined ? { tokens_in: info.tokensIn, tokens_out: info.tokensOut, cost_usd: info.costUsd } : {}),
        ...(info.accepted !== undefined ? { accepted_prediction_tokens: info.accepted, rejected_prediction_tokens: info.rejected } : {}),
      });
    };
    const body = c.res.body;
    if (body && /text\/event-stream/i.test(c.res.headers.get('content-type') ?? '')) {
      // Streams end later: time the first chunk (TTFT) and log when the last one is out.
      c.res = new Response(
        tapBody(body, {
          onChunk: (chunk) => {
            firstByte ??= (performance.now() - t0) / 1000;
            bytesOut += chunk.byteLength;
          },
          onEnd: (how) => finish(how === 'done' ? undefined : how === 'cancel' ? 'client_closed' : how === 'stalled' ? 'client_stalled' : 'stream_error'),
          // A client that stops reading is cut off: its socket is closed, which cancels the work.
          stall: { ms: config.streamStallMs, onStall: () => c.env?.outgoing?.destroy() },
        }),
        c.res,
      );
    } else {
      const length = c.res.headers.get('content-length');
      if (length !== null) bytesOut = Number(length);
      else if (body) bytesOut = (await c.res.clone().arrayBuffer()).byteLength;
      finish();
    }
  });

  app.use('*', async (c, next) => {
    const path = c.req.path;
    if (!keys.enabled || OPEN.has(path) || (path === '/metrics' && config.auth.metricsPublic)) return next();
    const principal = keys.authenticate(c.req.header('authorization'));
    if (!principal) {
      metrics.authFailures.inc();
      c.get('info').code = 'invalid_api_key';
      return sendError(
        c,
        new HttpError(401, 'invalid_api_key', 'A valid API key is required: send it as Authorization: Bearer <key>.', undefined, { 'www-authenticate': 'Bearer' }),
      );
    }
    c.set('principal', principal);
    return next();
  });

  app.use('*', async (c, next) => {
    if (c.req.method !== 'POST' || !METERED.has(c.req.path)) return next();
    const principal = c.get('principal');
    // Input tokens are not known before the body is read: about one token per 4 bytes of body.
    const estimate = Math.ceil(Number(c.req.header('content-length') ?? 0) / 4);
    const verdict = limiter.admit(principal, estimate);
    if (!verdict.ok) {
      metrics.rateLimited.inc({ key: principal.id, limit: verdict.limit });
      c.get('info').code = 'rate_limit_exceeded';
      const retry = String(Math.max(1, Math.ceil(verdict.retryAfterS)));
      return sendError(
        c,
        new HttpError(429, 'rate_limit_exceeded', `Rate limit reached for ${verdict.limit} per minute on key ${principal.id}; retry in ${retry} s.`, { limit: verdict.limit }, { 'retry-after': retry }),
      );
    }
    (c as Context<Env & { Variables: { admittedTokens?: number } }>).set('admittedTokens', estimate);
    if (verdict.remainingRequests !== undefined) c.header('x-ratelimit-remaining-requests', String(verdict.remainingRequests));
    if (verdict.remainingTokens !== undefined) c.header('x-ratelimit-remaining-tokens', String(Math.max(0, verdict.remainingTokens)));
    return next();
  });

  // which model answers what the structural merge cannot: the in-process one (null: none loaded),
  // and the backend model /apply and `auto` fall back to
  const health = (c: Context) =>
    c.json({
      status: 'ok',
      version: VERSION,
      uptime_s: Math.round((Date.now() - startedAt) / 1000),
      model: openedModel()?.describe() ?? null,
      fallback_model: config.autoFallbackModel ?? null,
    });
  app.get('/healthz', health);
  app.get('/health', health);

  app.get('/metrics', async (c) => {
    const model = openedModel();
    if (model) metrics.observeEngine(model.gauges());
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });

  app.get('/v1/languages', (c) =>
    c.json({
      languages: [...languages.values()].map((l) => ({
        id: l.id,
        name: l.name,
        extensions: l.extensions,
        aliases: l.aliases,
        syntax_validation: l.grammarPath !== null,
        markers: [
          ...l.line.map((p) => `${p} ... existing code ...`),
          ...l.block.map(([o, e]) => `${o} ... existing code ... ${e}`),
        ],
        ...(l.note ? { note: l.note } : {}),
      })),
      fallback: 'files of other languages merge line-based with generic markers (//, #, --, ;, /* */, <!-- -->), without syntax validation',
    }),
  );

  // The JSON body may hold code and update at their limits, escaped: allow for that, then check
  // each field's own limit after parsing.
  const maxBody = 2 * (config.limits.codeBytes + 2 * config.limits.updateBytes) + 64 * 1024;

  /** The merge, structural or (when it cannot answer and a fallback model is configured) by a backend. */
  async function merge(c: Context<Env>, req: ApplyRequest, o: { onDelta?: (t: string) => void; signal: AbortSignal }) {
    try {
      return await applyEdit(req, config.limits, { ...o, structural });
    } catch (e) {
      const model = config.autoFallbackModel;
      if (!(e instanceof ApplyError) || !router || !model || req.mode === 'structural') throw e;
      const needsModel = e.code === 'model_unavailable' || (e.status === 422 && e.code !== 'unsupported_language');
      if (!needsModel) throw e;
      if (e.status === 422) metrics.refusals.inc({ code: `${e.code}_to_model` });
      const t0 = performance.now();
      const signal = AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(config.requestTimeoutMs)]);
      const out = await applyViaModel(router, model, req, signal);
      Object.assign(c.get('info'), { backend: out.backend, attempts: out.attempts });
      const language = detectLanguage(req) ?? GENERIC;
      return {
        content: out.content,
        diff: unifiedDiff(req.path, req.code, out.content),
        mode: 'model' as const,
        language: language.id,
        stats: {
          time_ms: Math.round((performance.now() - t0) * 100) / 100,
          model,
          backend: out.backend,
          structural_refusal: e.status === 422 ? e.code : undefined,
          upstream_usage: out.usage,
        },
      };
    }
  }

  app.post('/apply', limitBody(maxBody), async (c) => {
    const req = await readJson(c, ApplyRequestSchema);
    const info = c.get('info');
    const wantsStream = req.stream ?? /\btext\/event-stream\b/.test(c.req.header('accept') ?? '');
    info.stream = wantsStream;

    // A structural merge is checked whole before a byte is sent: a refusal is a plain 422, never
    // a half stream. A model answer streams as the engine accepts tokens: the response starts at
    // its first delta; whatever settles before that (merge, refusal, error) answers whole.
    const { work, live, cancel } = await startLive(wantsStream, c.req.raw.signal, (o) => merge(c, req, o));
    if (live) {
      const language = (detectLanguage(req) ?? GENERIC).id;
      sseHeaders(c);
      return stream(c, async (s) => {
        s.onAbort(cancel);
        await s.write(sseEvent('meta', { request_id: c.get('requestId'), mode: 'model', language }));
        if (!(await pump(live, (text) => s.write(sseEvent('delta', { text })), () => s.aborted))) return;
        try {
          const result = withUsage(c, req, await work);
          await s.write(sseEvent('done', { diff: result.diff, mode: result.mode, language: result.language, stats: result.stats }));
        } catch (e) {
          const err = e instanceof ApplyError ? { code: e.code, message: e.message } : { code: 'internal', message: (e as Error).message };
          info.code = err.code;
          await s.write(sseEvent('error', { error: err }));
        }
      });
    }
    let merged;
    try {
      merged = await work;
    } catch (e) {
      if (e instanceof ApplyError) {
        info.code = e.code;
        if (e.status === 501) c.header('x-should-retry', 'false');
        return errorResponse(c, e);
      }
      throw e;
    }
    const result = withUsage(c, req, merged);
    if (!wantsStream) return c.json(result);

    sseHeaders(c);
    return stream(c, async (s) => {
      try {
        await s.write(sseEvent('meta', { request_id: c.get('requestId'), mode: result.mode, language: result.language }));
        for (const text of chunks(result.content)) {
          if (s.aborted) return;
          await s.write(sseEvent('delta', { text }));
        }
        await s.write(sseEvent('done', { diff: result.diff, mode: result.mode, language: result.language, stats: result.stats }));
      } catch (e) {
        await s.write(sseEvent('error', { error: { code: 'internal', message: (e as Error).message } }));
      }
    });
  });

  /** The answer with its usage and cost (the model's counts, else estimated); records both for the request's log line and metrics. */
  function withUsage<T extends { content: string; mode: string; language: string; stats: object }>(c: Context<Env>, req: ApplyRequest, merged: T) {
    const principal = c.get('principal');
    const tokens = mergeTokens(merged.stats, () => ({
      input: estimateTokens(req.code) + estimateTokens(req.update ?? '') + estimateTokens(req.instruction ?? ''),
      output: estimateTokens(merged.content),
    }));
    if (tokens.draft) metrics.draft(tokens.draft.proposed, tokens.draft.accepted);
    const cost = costUsd(principal.prices, tokens.input, tokens.output);
    Object.assign(c.get('info'), { mode: merged.mode, language: merged.language, tokensIn: tokens.input, tokensOut: tokens.output, costUsd: cost });
    return { ...merged, stats: { ...merged.stats, usage: { input_tokens: tokens.input, output_tokens: tokens.output, cost_usd: cost, estimated: tokens.estimated } } };
  }

  app.use('/v1/chat/completions', limitBody(maxBody));
  app.use('/v1/completions', limitBody(maxBody));
  registerOpenAIRoutes(app, { config, router, metrics, structural });

  app.notFound((c) => {
    c.get('info').code = 'not_found';
    return sendError(c, new HttpError(404, 'not_found', `No route for ${c.req.method} ${quote(c.req.path)}.`));
  });
  app.onError((err, c) => {
    const info = c.get('info');
    if (err instanceof HttpError) {
      if (info) info.code = err.code;
      return sendError(c, err);
    }
    if (err instanceof ApplyError) {
      if (info) info.code = err.code;
      return errorResponse(c, err);
    }
    if (err.name === 'AbortError' && c.req.raw.signal.aborted) {
      // The client went away and its merge was abandoned: nobody reads this answer.
      if (info) info.code = 'client_closed';
      return new Response(null, { status: 499 });
    }
    if (info) info.code = err.name === 'TimeoutError' ? 'timeout' : 'internal';
    if (err.name === 'TimeoutError') return sendError(c, new HttpError(504, 'timeout', `The request took longer than ${config.requestTimeoutMs} ms.`));
    console.error(JSON.stringify({ level: 'error', request_id: c.get('requestId'), message: err.message }));
    return sendError(c, new HttpError(500, 'internal', 'Internal error.'));
  });
  return {
    app,
    metrics,
    router,
    warm: async () => {
      if (structural) await mergePool().warm();
    },
    close: () => {
      router?.stop();
      void pool?.close();
    },
  };
}

/** The Hono app alone (tests, embedding); see createService for its metrics and router. */
export function createApp(config: Config, options?: ServiceOptions): Hono<Env> {
  return createService(config, options).app;
}
