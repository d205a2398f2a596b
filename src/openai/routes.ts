// OpenAI-compatible endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models.
// Model `auto`: an apply-format message (<instruction>/<code>/<update>) goes through the /apply
// pipeline: the structural merge, or the in-process model (SPECEDIT_MODEL) where that cannot
// answer; failing both (a refusal, an instruction without a snippet, plain chat) the request goes to
// SPECEDIT_AUTO_FALLBACK_MODEL if one is configured, else it is answered with an error.
// Any other model is a backend's: routed (least outstanding requests, failover) and passed through.
import { randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { stream } from 'hono/streaming';
import { ApplyError } from '../apply/errors.js';
import { clip, quote } from '../clip.js';
import { applyEdit, type ApplyResult } from '../apply/pipeline.js';
import type { StructuralRunner } from '../apply/structural-step.js';
import { openedModel } from '../apply/model.js';
import { mergeTokens } from '../apply/usage.js';
import { detectLanguage, GENERIC } from '../languages/registry.js';
import { cleanUpdate } from '../structural/normalise.js';
import type { Backend, ModelRoute } from '../backends/backend.js';
import type { Router } from '../backends/router.js';
import type { Config } from '../config.js';
import { readJson } from '../server/body.js';
import { costUsd, type Env } from '../server/context.js';
import { HttpError } from '../server/errors.js';
import type { Metrics } from '../server/metrics.js';
import { pump, startLive, type DeltaFeed, type LiveRun } from '../server/delta-feed.js';
import { chunks, sseHeaders } from '../server/sse.js';
import { tapBody } from '../server/stream-tap.js';
import { VERSION } from '../version.js';
import { parseApplyMessage, replaceUpdate, type ApplyMessage } from './apply-message.js';
import { predictionUsage } from './prediction.js';
import { ChatCompletionRequestSchema, CompletionRequestSchema, textOf, type ChatCompletionRequest, type CompletionRequest } from './schema.js';
import { estimateTokens, pieces } from './tokens.js';

export const AUTO_MODEL = 'auto';
const FINGERPRINT = `specedit-${VERSION}`;

export interface OpenAIDeps {
  config: Config;
  router: Router | null;
  metrics: Metrics;
  /** where structural merges run (the server's merge pool); default this thread */
  structural?: StructuralRunner;
}

type Kind = 'chat' | 'text';
type AnyRequest = ChatCompletionRequest | CompletionRequest;

export function fromApplyError(e: ApplyError): HttpError {
  return new HttpError(e.status, e.code, e.message, e.details, e.headers());
}

/** Cut the merged file at the first stop sequence, then at max_tokens (estimated tokens). */
export function limitOutput(content: string, stop: string | string[] | null | undefined, maxTokens: number | null | undefined) {
  let out = content;
  let finish: 'stop' | 'length' = 'stop';
  for (const s of typeof stop === 'string' ? [stop] : (stop ?? [])) {
    const at = s ? out.indexOf(s) : -1;
    if (at >= 0) out = out.slice(0, at);
  }
  if (maxTokens != null) {
    const p = pieces(out);
    if (p.length > maxTokens) {
      out = p.slice(0, maxTokens).join('');
      finish = 'length';
    }
  }
  return { content: out, finish };
}

function promptText(kind: Kind, req: AnyRequest): string {
  if (kind === 'text') {
    const p = (req as CompletionRequest).prompt;
    return typeof p === 'string' ? p : p[0];
  }
  return (req as ChatCompletionRequest).messages.map((m) => textOf(m.content as never)).join('\n');
}

function applyMessageOf(kind: Kind, req: AnyRequest): ApplyMessage | null {
  if (kind === 'text') return parseApplyMessage(promptText(kind, req));
  const last = [...(req as ChatCompletionRequest).messages].reverse().find((m) => m.role === 'user');
  return last ? parseApplyMessage(textOf(last.content as never)) : null;
}

function checkStructuralParams(req: AnyRequest): void {
  const prompt = (req as Partial<CompletionRequest>).prompt;
  if (Array.isArray(prompt) && prompt.length > 1) {
    throw new HttpError(400, 'unsupported_parameter', 'Model "auto" takes one prompt per request.', { param: 'prompt' });
  }
  if (req.n != null && req.n > 1) throw new HttpError(400, 'unsupported_parameter', 'n > 1 is not supported: the merge has one answer.', { param: 'n' });
  if ((req as { logprobs?: unknown }).logprobs) {
    throw new HttpError(400, 'unsupported_parameter', 'logprobs are not available from the structural merge (model "auto").', { param: 'logprobs' });
  }
}

const sseData = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;

/** Usage, cost and the specedit block of an answer (also recorded for the log line and metrics). */
function accounting(c: Context<Env>, deps: OpenAIDeps, kind: Kind, req: AnyRequest, msg: ApplyMessage, result: ApplyResult, content: string) {
  const info = c.get('info');
  const principal = c.get('principal');
  // the model's own counts when one wrote the answer (it generated all of them, cut or not)
  const tokens = mergeTokens(result.stats, () => ({ input: estimateTokens(promptText(kind, req)), output: estimateTokens(content) }));
  const promptTokens = tokens.input;
  const completionTokens = tokens.output;
  const prediction = kind === 'chat' ? (req as ChatCompletionRequest).prediction : undefined;
  // The draft a speculative decoder would verify: the client's prediction, or else the original code.
  const draft = prediction ? textOf(prediction.content) : msg.code;
  const pred = predictionUsage(draft, content);
  const cost = costUsd(principal.prices, promptTokens, completionTokens);
  Object.assign(info, {
    mode: result.mode,
    language: result.language,
    tokensIn: promptTokens,
    tokensOut: completionTokens,
    costUsd: cost,
    accepted: pred.accepted_prediction_tokens,
    rejected: pred.rejected_prediction_tokens,
  });
  // the metric counts what a decoder verified: the engine's drafts when it ran, else the prediction's accounting
  if (tokens.draft) deps.metrics.draft(tokens.draft.proposed, tokens.draft.accepted);
  else deps.metrics.draft(pred.accepted_prediction_tokens + pred.rejected_prediction_tokens, pred.accepted_prediction_tokens);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, ...pred },
    cost_usd: cost,
    estimated: tokens.estimated,
  };
  const specedit = {
    mode: result.mode,
    language: result.language,
    diff: result.diff,
    prediction_source: prediction ? 'request' : 'original_code',
    stats: result.stats,
  };
  return { usage, specedit };
}

/** The pieces of an OpenAI answer or stream: ids and chunk framing. */
function framing(kind: Kind, req: AnyRequest) {
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`;
  const base = { id, created: Math.floor(Date.now() / 1000), model: req.model, system_fingerprint: FINGERPRINT };
  const includeUsage = req.stream_options?.include_usage === true;
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const choice = (text: string | null, finishReason: string | null, first = false) =>
    kind === 'chat'
      ? { index: 0, delta: first ? { role: 'assistant', content: '' } : text === null ? {} : { content: text }, logprobs: null, finish_reason: finishReason }
      : { index: 0, text: text ?? '', logprobs: null, finish_reason: finishReason };
  const chunk = (ch: unknown) => sseData({ ...base, object, choices: [ch], ...(includeUsage ? { usage: null } : {}) });
  const usageChunk = (usage: unknown, specedit: unknown) => sseData({ ...base, object, choices: [], usage, specedit });
  return { base, includeUsage, choice, chunk, usageChunk };
}

/** Why the answer ended: cut here (stop, max_tokens), or by the model's own length limit, else a whole file. */
const finishOf = (result: ApplyResult, cut: 'stop' | 'length') => (result.mode === 'model' && result.stats.finish_reason === 'length' ? 'length' : cut);

function applyAnswer(c: Context<Env>, deps: OpenAIDeps, kind: Kind, req: AnyRequest, msg: ApplyMessage, result: ApplyResult): Response | Promise<Response> {
  const cut = limitOutput(result.content, req.stop, req.max_tokens ?? (req as ChatCompletionRequest).max_completion_tokens);
  const content = cut.content;
  const finish = finishOf(result, cut.finish);
  const { usage, specedit } = accounting(c, deps, kind, req, msg, result, content);
  const f = framing(kind, req);
  c.header('x-specedit-mode', result.mode);

  if (!req.stream) {
    if (kind === 'chat') {
      return c.json({
        ...f.base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish }],
        usage,
        specedit,
      });
    }
    return c.json({ ...f.base, object: 'text_completion', choices: [{ index: 0, text: content, logprobs: null, finish_reason: finish }], usage, specedit });
  }

  sseHeaders(c);
  return stream(c, async (s) => {
    if (kind === 'chat') await s.write(f.chunk(f.choice(null, null, true)));
    for (const text of chunks(content, 512)) {
      if (s.aborted) return;
      await s.write(f.chunk(f.choice(text, null)));
    }
    await s.write(f.chunk(f.choice(null, finish)));
    if (f.includeUsage) await s.write(f.usageChunk(usage, specedit));
    await s.write('data: [DONE]\n\n');
  });
}

/** An in-process model answer streamed as the engine accepts tokens (no stop / max_tokens cut). */
function liveAnswer(c: Context<Env>, deps: OpenAIDeps, kind: Kind, req: AnyRequest, msg: ApplyMessage, run: LiveRun<ApplyResult> & { live: DeltaFeed }): Response {
  const f = framing(kind, req);
  c.header('x-specedit-mode', 'model');
  sseHeaders(c);
  return stream(c, async (s) => {
    s.onAbort(run.cancel);
    if (kind === 'chat') await s.write(f.chunk(f.choice(null, null, true)));
    if (!(await pump(run.live, (text) => s.write(f.chunk(f.choice(text, null))), () => s.aborted))) return;
    try {
      const result = await run.work;
      const { usage, specedit } = accounting(c, deps, kind, req, msg, result, result.content);
      await s.write(f.chunk(f.choice(null, finishOf(result, 'stop'))));
      if (f.includeUsage) await s.write(f.usageChunk(usage, specedit));
      await s.write('data: [DONE]\n\n');
    } catch (e) {
      const err = e instanceof ApplyError ? fromApplyError(e) : new HttpError(500, 'internal', (e as Error).message);
      c.get('info').code = err.code;
      await s.write(sseData(err.toOpenAI()));
    }
  });
}

/** Pass a request to a backend and its answer back: JSON read and annotated, streams byte for byte. */
async function forward(c: Context<Env>, deps: OpenAIDeps, route: ModelRoute, model: string, req: AnyRequest, msg: ApplyMessage | null): Promise<Response> {
  if (!deps.router) {
    throw new HttpError(501, 'model_unavailable', `The model ${quote(model)} needs a model backend, and none is configured.`);
  }
  const info = c.get('info');
  const principal = c.get('principal');
  const signal = AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(deps.config.requestTimeoutMs)]);
  const bodyFor = (backend: Backend, upstreamModel: string) => {
    const body: Record<string, unknown> = { ...req, model: upstreamModel };
    if (route === 'chat/completions' && msg && !body.prediction && backend.sendPrediction) body.prediction = { type: 'content', content: msg.code };
    return body;
  };
  const routed = await deps.router.send(model, route, bodyFor, signal, { buffer: req.stream !== true });
  const res = routed.response;
  Object.assign(info, { backend: routed.backend.name, attempts: routed.attempts, mode: msg ? 'model' : undefined });
  c.header('x-specedit-backend', routed.backend.name);
  const promptTokens = estimateTokens(promptText(route === 'completions' ? 'text' : 'chat', req));
  const type = res.headers.get('content-type') ?? '';

  const account = (usage: { prompt_tokens?: number; completion_tokens?: number; completion_tokens_details?: { accepted_prediction_tokens?: number; rejected_prediction_tokens?: number } } | undefined, estimatedOut: number) => {
    const tin = usage?.prompt_tokens ?? promptTokens;
    const tout = usage?.completion_tokens ?? estimatedOut;
    const cost = costUsd(principal.prices, tin, tout);
    const acc = usage?.completion_tokens_details?.accepted_prediction_tokens;
    const rej = usage?.completion_tokens_details?.rejected_prediction_tokens;
    Object.assign(info, { tokensIn: tin, tokensOut: tout, costUsd: cost, accepted: acc, rejected: rej });
    if (acc !== undefined && rej !== undefined) deps.metrics.draft(acc + rej, acc);
    return cost;
  };

  if (!/text\/event-stream/i.test(type) || !res.body) {
    const text = await res.text();
    let json: Record<string, any> | null = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON: passed on as it is */
    }
    if (!res.ok) {
      info.code = (json?.error?.code as string) ?? `upstream_${res.status}`;
      return new Response(text, { status: res.status, headers: { 'content-type': type || 'application/json', 'x-specedit-backend': routed.backend.name } });
    }
    if (json && typeof json === 'object') {
      const out = json.choices?.[0]?.message?.content ?? json.choices?.[0]?.text ?? '';
      const cost = account(json.usage, estimateTokens(typeof out === 'string' ? out : ''));
      if (json.usage && typeof json.usage === 'object') json.usage.cost_usd = cost;
      return c.json(json, res.status as 200);
    }
    return new Response(text, { status: res.status, headers: { 'content-type': type } });
  }

  // Streaming: bytes go out as they come in; usage is read from the chunks on the way.
  const decoder = new TextDecoder();
  let pending = '';
  let usage: Parameters<typeof account>[0];
  let outTokens = 0;
  const scan = (line: string) => {
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trim();
    if (!data.startsWith('{')) return;
    try {
      const ev = JSON.parse(data);
      if (ev.usage) usage = ev.usage;
      const piece = ev.choices?.[0]?.delta?.content ?? ev.choices?.[0]?.text;
      if (typeof piece === 'string') outTokens += estimateTokens(piece);
    } catch {
      /* a partial or foreign line: ignored */
    }
  };
  const body = tapBody(res.body, {
    onChunk: (bytes) => {
      pending += decoder.decode(bytes, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) scan(line);
    },
    onEnd: (how) => {
      if (pending) scan(pending);
      if (how !== 'done') info.code = how === 'cancel' ? 'client_closed' : 'upstream_stream_error';
      account(usage, outTokens);
    },
  });
  return new Response(body, {
    status: res.status,
    headers: { 'content-type': type, 'cache-control': 'no-cache', 'x-accel-buffering': 'no', 'x-specedit-backend': routed.backend.name },
  });
}

/**
 * What `auto` forwards to its fallback model after a refusal: the apply message with the snippet as
 * every model path sees it (cleanUpdate: no fence, no lead-in), as POST /apply sends it.
 */
function withCleanUpdate(kind: Kind, req: AnyRequest, msg: ApplyMessage): AnyRequest {
  if (msg.update === undefined) return req;
  const update = cleanUpdate(msg.update, msg.code, detectLanguage(msg) ?? GENERIC);
  if (kind === 'text') {
    const p = (req as CompletionRequest).prompt;
    return { ...req, prompt: typeof p === 'string' ? replaceUpdate(p, update) : [replaceUpdate(p[0], update)] } as CompletionRequest;
  }
  const messages = [...(req as ChatCompletionRequest).messages];
  let i = messages.length - 1;
  while (i >= 0 && messages[i].role !== 'user') i--;
  const content = messages[i]?.content;
  if (typeof content !== 'string') return req;
  messages[i] = { ...messages[i], content: replaceUpdate(content, update) };
  return { ...req, messages } as ChatCompletionRequest;
}

async function handle(c: Context<Env>, deps: OpenAIDeps, kind: Kind): Promise<Response> {
  const req: AnyRequest = kind === 'chat' ? await readJson(c, ChatCompletionRequestSchema) : await readJson(c, CompletionRequestSchema);
  const info = c.get('info');
  info.model = clip(req.model); // a log line, not a copy of what the client sent
  info.stream = req.stream === true;
  const route: ModelRoute = kind === 'chat' ? 'chat/completions' : 'completions';
  const msg = applyMessageOf(kind, req);
  const fallback = deps.config.autoFallbackModel;

  if (req.model !== AUTO_MODEL) {
    if (!deps.router?.hasModel(req.model)) {
      throw new HttpError(404, 'model_not_found', `The model ${quote(req.model)} does not exist. GET /v1/models lists the models served here.`);
    }
    return forward(c, deps, route, req.model, req, msg);
  }
  // an instruction alone needs a model: the in-process one when it is open, else the fallback
  if (msg && (msg.update !== undefined || openedModel())) {
    checkStructuralParams(req);
    try {
      // a model answer streams live when nothing has to cut it (stop, max_tokens); the response
      // starts at its first delta, and whatever settles first (structural, refusal) answers whole
      const chat = req as ChatCompletionRequest;
      const uncut = req.stream === true && !req.stop && req.max_tokens == null && chat.max_completion_tokens == null;
      const run = await startLive(uncut, c.req.raw.signal, (o) =>
        applyEdit({ code: msg.code, update: msg.update, instruction: msg.instruction, path: msg.path, language: msg.language, mode: 'auto' }, deps.config.limits, { ...o, structural: deps.structural }),
      );
      if (run.live) return liveAnswer(c, deps, kind, req, msg, { ...run, live: run.live });
      return applyAnswer(c, deps, kind, req, msg, await run.work);
    } catch (e) {
      if (!(e instanceof ApplyError)) throw e;
      // A refused merge goes to the model when there is one; limits and bad requests do not.
      if (e.status !== 422 || e.code === 'unsupported_language' || !fallback) throw fromApplyError(e);
      deps.metrics.refusals.inc({ code: `${e.code}_to_model` });
      return forward(c, deps, route, fallback, withCleanUpdate(kind, req, msg), msg);
    }
  }
  if (fallback) return forward(c, deps, route, fallback, req, msg);
  throw new HttpError(
    501,
    'model_unavailable',
    msg
      ? 'An instruction without an <update> snippet needs a model backend, and none is configured.'
      : 'Model "auto" without a model backend serves only apply messages (<code>...</code><update>...</update>); none is configured for other requests.',
  );
}

export function registerOpenAIRoutes(app: Hono<Env>, deps: OpenAIDeps): void {
  app.post('/v1/chat/completions', (c) => handle(c, deps, 'chat'));
  app.post('/v1/completions', (c) => handle(c, deps, 'text'));

  const created = Math.floor(Date.now() / 1000);
  const list = () => [
    { id: AUTO_MODEL, object: 'model', created, owned_by: 'specedit' },
    ...(deps.router?.models() ?? []).map((m) => ({ id: m.id, object: 'model', created, owned_by: m.backends.join(',') })),
  ];
  app.get('/v1/models', (c) => c.json({ object: 'list', data: list() }));
  app.get('/v1/models/:id{.+}', (c) => {
    const model = list().find((m) => m.id === c.req.param('id'));
    if (!model) throw new HttpError(404, 'model_not_found', `The model ${quote(c.req.param('id'))} does not exist.`);
    return c.json(model);
  });
}
