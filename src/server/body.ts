// Request bodies: JSON only, size-limited, validated with zod; failures are 4xx with machine-readable codes.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { clip } from '../clip.js';
import type { Env } from './context.js';
import { HttpError, sendError } from './errors.js';

/** Issues quoted in a 400: a body with thousands of bad entries gets the first few. */
const MAX_ISSUES = 10;

export function limitBody(maxSize: number): MiddlewareHandler<Env> {
  return bodyLimit({
    maxSize,
    onError: (c) => {
      // the request's log line and specedit_refusals_total carry the code, as for every other 4xx
      c.get('info').code = 'body_too_large';
      return sendError(c, new HttpError(413, 'body_too_large', `The request body is over ${maxSize} bytes.`));
    },
  });
}

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the request as Content-Type: application/json.');
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    // zod quotes what it rejects (an unknown key, whole): keys and messages are clipped
    const all = parsed.error.issues;
    const issues = all.slice(0, MAX_ISSUES).map((i) => ({ path: i.path.map((p) => clip(String(p))).join('.'), message: clip(i.message, 100) }));
    const more = all.length > issues.length ? `; and ${all.length - issues.length} more` : '';
    throw new HttpError(400, 'invalid_request', issues.map((i) => `${i.path || 'body'}: ${i.message}`).join('; ') + more, { issues });
  }
  return parsed.data;
}
