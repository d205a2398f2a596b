// One error body for everything outside the apply pipeline's own refusals: OpenAI's shape
// ({error: {message, type, code, param}}), which also carries /apply's {error: {code, message}}.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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

  toJSON() {
    return {
      error: {
        message: this.message,
        type: errorType(this.status),
        code: this.code,
        param: null,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export function sendError(c: Context, e: HttpError): Response {
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  // The openai SDK retries 408/409/429/5xx unless told not to: a missing model will not appear on retry.
  if (e.status === 501) c.header('x-should-retry', 'false');
  return c.json(e.toJSON(), e.status);
}
