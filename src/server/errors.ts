// Error bodies outside the apply pipeline's own refusals, in the shape of the route family that
// answers them (README "Errors"): /v1/* in OpenAI's ({error: {message, type, code, param}}), so the
// SDKs map them to their error classes; everything else in specedit's ({error: {code, message, details?}}).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { clipDetails } from '../clip.js';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

export const errorType = (status: number) => TYPES[status] ?? 'server_error';

/** Routes whose clients are OpenAI SDKs. */
export const isOpenAIRoute = (path: string) => path === '/v1' || path.startsWith('/v1/');

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  /** specedit's shape (/apply and the rest). */
  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: clipDetails(this.details) } : {}) } };
  }

  /** OpenAI's shape (/v1/*); details kept beside it. */
  toOpenAI() {
    return {
      error: {
        message: this.message,
        type: errorType(this.status),
        code: this.code,
        param: null,
        ...(this.details ? { details: clipDetails(this.details) } : {}),
      },
    };
  }
}

export function sendError(c: Context, e: HttpError): Response {
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  // The openai SDK retries 408/409/429/5xx unless told not to: a missing model will not appear on retry.
  if (e.status === 501) c.header('x-should-retry', 'false');
  return c.json(isOpenAIRoute(c.req.path) ? e.toOpenAI() : e.toJSON(), e.status);
}
