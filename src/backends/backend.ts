// A model backend: the in-process native engine (when it is wired in) or a remote OpenAI-compatible
// server. Requests and answers are OpenAI's wire format either way, so the router treats them alike.
export type ModelRoute = 'chat/completions' | 'completions';

export interface Backend {
  readonly name: string;
  readonly kind: 'in-process' | 'remote';
  /** Model id exposed by specedit → model id the backend knows. */
  readonly models: ReadonlyMap<string, string>;
  /** Whether apply requests without a prediction get the original code as `prediction`. */
  readonly sendPrediction: boolean;
  /** Send one request; resolves when the answer's status and headers are in (the body may still stream). */
  send(route: ModelRoute, body: Record<string, unknown>, signal: AbortSignal): Promise<Response>;
  /** Health probe: true when the backend answers its health endpoint with 2xx. */
  probe(signal: AbortSignal): Promise<boolean>;
}
