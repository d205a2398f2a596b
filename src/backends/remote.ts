// A remote OpenAI-compatible backend: vLLM, SGLang, a hosted predicted-outputs endpoint, or another
// specedit. Health: GET <health> (default <base_url>/models), 2xx is healthy.
import type { BackendConfig } from '../config.js';
import type { Backend, ModelRoute } from './backend.js';

export class RemoteBackend implements Backend {
  readonly kind = 'remote' as const;
  readonly name: string;
  readonly models: ReadonlyMap<string, string>;
  readonly sendPrediction: boolean;
  private readonly baseUrl: string;
  private readonly healthUrl: string;
  private readonly headers: Record<string, string>;

  constructor(config: BackendConfig) {
    this.name = config.name;
    this.models = new Map(Object.entries(config.models));
    this.sendPrediction = config.sendPrediction;
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    const health = config.health;
    this.healthUrl = !health ? `${this.baseUrl}/models` : /^https?:\/\//.test(health) ? health : new URL(health, `${this.baseUrl}/`).toString();
    this.headers = config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
  }

  send(route: ModelRoute, body: Record<string, unknown>, signal: AbortSignal): Promise<Response> {
    return fetch(`${this.baseUrl}/${route}`, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/json', accept: body.stream ? 'text/event-stream' : 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  async probe(signal: AbortSignal): Promise<boolean> {
    const res = await fetch(this.healthUrl, { headers: this.headers, signal });
    await res.body?.cancel();
    return res.ok;
  }
}
