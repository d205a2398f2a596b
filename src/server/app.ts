// HTTP API: POST /apply (JSON or SSE), GET /healthz, GET /v1/languages.
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { stream } from 'hono/streaming';
import type { Config } from '../config.js';
import { ApplyError } from '../apply/errors.js';
import { applyEdit } from '../apply/pipeline.js';
import { ApplyRequestSchema } from '../apply/schema.js';
import { languages } from '../languages/registry.js';
import { chunks, sseEvent } from './sse.js';
import { VERSION } from '../version.js';

type Env = { Variables: { requestId: string } };

const errorResponse = (c: Context, e: ApplyError) => c.json(e.toJSON(), e.status);

export function createApp(config: Config): Hono<Env> {
  const app = new Hono<Env>();
  const startedAt = Date.now();

  app.use('*', async (c, next) => {
    const id = c.req.header('x-request-id') || randomUUID();
    c.set('requestId', id);
    c.header('x-request-id', id);
    await next();
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION, uptime_s: Math.round((Date.now() - startedAt) / 1000) }));

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
  app.post(
    '/apply',
    bodyLimit({
      maxSize: maxBody,
      onError: (c) => errorResponse(c, new ApplyError(413, 'body_too_large', `The request body is over ${maxBody} bytes.`)),
    }),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/json\b/i.test(type)) {
        return errorResponse(c, new ApplyError(415, 'unsupported_media_type', 'Send the request as Content-Type: application/json.'));
      }
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return errorResponse(c, new ApplyError(400, 'invalid_json', 'The request body is not valid JSON.'));
      }
      const parsed = ApplyRequestSchema.safeParse(body);
      if (!parsed.success) {
        return errorResponse(
          c,
          new ApplyError(400, 'invalid_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '), {
            issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          }),
        );
      }
      const req = parsed.data;
      const wantsStream = req.stream ?? /\btext\/event-stream\b/.test(c.req.header('accept') ?? '');

      // The merge is checked whole before a byte is sent: a refusal is a plain 422, never a half stream.
      let result;
      try {
        result = await applyEdit(req, config.limits);
      } catch (e) {
        if (e instanceof ApplyError) return errorResponse(c, e);
        throw e;
      }
      if (!wantsStream) return c.json(result);

      c.header('Content-Type', 'text/event-stream; charset=utf-8');
      c.header('Cache-Control', 'no-cache');
      c.header('X-Accel-Buffering', 'no');
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
    },
  );

  app.notFound((c) => errorResponse(c, new ApplyError(404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`)));
  app.onError((err, c) => {
    console.error(JSON.stringify({ level: 'error', request_id: c.get('requestId'), message: err.message }));
    return c.json({ error: { code: 'internal', message: 'Internal error.' } }, 500);
  });
  return app;
}
