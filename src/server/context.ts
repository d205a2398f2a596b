// What the request pipeline (auth, limits, handlers, the observing middleware) shares per request.
import type { HttpBindings } from '@hono/node-server';
import type { Prices } from '../config.js';
import type { Principal } from './auth.js';

/** Filled in by the handlers, read by the request log and metrics at the end. Never code contents. */
export interface RequestInfo {
  model?: string;
  mode?: 'structural' | 'model';
  language?: string;
  /** Error or refusal code of a failed request. */
  code?: string;
  backend?: string;
  attempts?: number;
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
  accepted?: number;
  rejected?: number;
  stream?: boolean;
}

/** Bindings: the Node request/response under @hono/node-server (absent under app.request in tests). */
export type Env = { Variables: { requestId: string; principal: Principal; info: RequestInfo }; Bindings: Partial<HttpBindings> };

/** Estimated $ for a request from $/1M token prices, rounded to 1e-9. */
export function costUsd(prices: Prices, tokensIn: number, tokensOut: number): number {
  return Math.round(((tokensIn * prices.inputPerM + tokensOut * prices.outputPerM) / 1e6) * 1e9) / 1e9;
}
