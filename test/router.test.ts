// The backend router without a network: least outstanding requests, failover before the first byte,
// health recovery, 503/404; and the backends configuration.
import { describe, expect, it } from 'vitest';
import type { Backend, ModelRoute } from '../src/backends/backend.js';
import { Router } from '../src/backends/router.js';
import { configFromEnv, parseBackends } from '../src/config.js';
import { HttpError } from '../src/server/errors.js';

type Behaviour = 'ok' | 'refuse' | '503' | 'hold';

class FakeBackend implements Backend {
  readonly kind = 'remote' as const;
  readonly models: ReadonlyMap<string, string>;
  readonly sendPrediction = false;
  behaviour: Behaviour = 'ok';
  healthy = true;
  sent: Record<string, unknown>[] = [];
  private held: ((r: Response) => void)[] = [];
  constructor(readonly name: string, models: Record<string, string> = { m: 'up-m' }) {
    this.models = new Map(Object.entries(models));
  }
  async send(_route: ModelRoute, body: Record<string, unknown>): Promise<Response> {
    this.sent.push(body);
    if (this.behaviour === 'refuse') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (this.behaviour === '503') return new Response('busy', { status: 503 });
    if (this.behaviour === 'hold') return new Promise((r) => this.held.push(r));
    return new Response(JSON.stringify({ from: this.name }), { status: 200, headers: { 'content-type': 'application/json' } });
  }
  release(): void {
    for (const r of this.held.splice(0)) r(new Response('data: x\n\n', { status: 200, headers: { 'content-type': 'text/event-stream' } }));
  }
  async probe(): Promise<boolean> {
    return this.healthy;
  }
}

const body = (_b: Backend, model: string) => ({ model });
const signal = () => new AbortController().signal;

describe('router', () => {
  it('sends to the backend with the fewest requests in flight, with its own model id', async () => {
    const a = new FakeBackend('a');
    const b = new FakeBackend('b');
    const router = new Router([a, b], { healthIntervalMs: 60_000 });
    a.behaviour = 'hold';
    const held = router.send('m', 'chat/completions', body, signal()); // a tie: the first turn is a's
    await new Promise((r) => setImmediate(r));
    expect(router.snapshot().map((s) => s.outstanding)).toEqual([1, 0]);
    for (let i = 0; i < 3; i++) {
      const routed = await router.send('m', 'chat/completions', body, signal());
      expect(routed.backend.name).toBe('b');
      await routed.response.text(); // the body's end frees the slot
    }
    expect(b.sent.at(-1)).toEqual({ model: 'up-m' });
    a.release();
    const stream = await held;
    expect(router.snapshot().map((s) => s.outstanding)).toEqual([1, 0]); // until its stream is read
    await stream.response.text();
    expect(router.snapshot().map((s) => s.outstanding)).toEqual([0, 0]);
  });

  it('retries a refused connection or a 503 on another backend and marks the first unhealthy', async () => {
    const a = new FakeBackend('a');
    const b = new FakeBackend('b');
    const router = new Router([a, b], { healthIntervalMs: 60_000 });
    a.behaviour = 'refuse';
    for (let i = 0; i < 3; i++) expect((await router.send('m', 'chat/completions', body, signal(), { buffer: true })).backend.name).toBe('b');
    expect(a.sent).toHaveLength(1); // unhealthy after the first failure: not tried again
    expect(router.snapshot()[0]).toMatchObject({ healthy: false, outstanding: 0 });

    const c = new FakeBackend('c');
    const d = new FakeBackend('d');
    c.behaviour = '503';
    const r2 = new Router([c, d], { healthIntervalMs: 60_000 });
    const routed = await r2.send('m', 'chat/completions', body, signal(), { buffer: true });
    expect(routed).toMatchObject({ attempts: expect.any(Number) });
    expect(routed.backend.name).toBe('d');
  });

  it('answers 503 when no backend is healthy, 404 for an unknown model, and recovers on a good health check', async () => {
    const a = new FakeBackend('a');
    const router = new Router([a], { healthIntervalMs: 60_000 });
    a.behaviour = 'refuse';
    const err = (await router.send('m', 'chat/completions', body, signal()).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('no_healthy_backend');
    expect(err.headers['retry-after']).toBe('60');
    expect(err.message).toContain('ECONNREFUSED');
    expect(((await router.send('x', 'chat/completions', body, signal()).catch((e: unknown) => e)) as HttpError).status).toBe(404);

    a.behaviour = 'ok';
    expect(((await router.send('m', 'chat/completions', body, signal()).catch((e: unknown) => e)) as HttpError).status).toBe(503);
    await router.checkAll();
    expect((await router.send('m', 'chat/completions', body, signal())).backend.name).toBe('a');
    a.healthy = false;
    await router.checkAll();
    expect(router.snapshot()[0].healthy).toBe(false);
  });

  it('lists each exposed model with the backends serving it', () => {
    const router = new Router([new FakeBackend('a', { m: 'x', n: 'y' }), new FakeBackend('b', { m: 'x' })], { healthIntervalMs: 60_000 });
    expect(router.models()).toEqual([
      { id: 'm', backends: ['a', 'b'] },
      { id: 'n', backends: ['a'] },
    ]);
  });
});

describe('backends configuration', () => {
  it('parses SPECEDIT_BACKENDS, with keys from the environment', () => {
    const [b] = parseBackends(
      JSON.stringify([{ name: 'vllm-1', base_url: 'http://10.0.0.5:8000/v1/', api_key_env: 'VLLM_KEY', models: ['Qwen/Qwen2.5-Coder-7B-Instruct'], health: '/health' }]),
      { VLLM_KEY: 'k' },
    );
    expect(b).toEqual({
      name: 'vllm-1',
      baseUrl: 'http://10.0.0.5:8000/v1',
      apiKey: 'k',
      models: { 'Qwen/Qwen2.5-Coder-7B-Instruct': 'Qwen/Qwen2.5-Coder-7B-Instruct' },
      health: '/health',
      sendPrediction: false,
    });
  });

  it('refuses what cannot work, with the reason', () => {
    expect(() => parseBackends('[{"name":"a","base_url":"http://x/v1","models":["auto"]}]')).toThrow(/"auto" is this server's own model/);
    expect(() => parseBackends('[{"name":"a","base_url":"http://x/v1","api_key_env":"NOPE","models":["m"]}]', {})).toThrow(/NOPE is not set/);
    expect(() => parseBackends('[{"name":"a","base_url":"not a url","models":["m"]}]')).toThrow(/base_url/);
    expect(() => parseBackends('{')).toThrow(/not valid JSON/);
    expect(() => configFromEnv({ SPECEDIT_AUTO_FALLBACK_MODEL: 'm' })).toThrow(/not a model of any configured backend/);
    expect(() => configFromEnv({ SPECEDIT_LOG: 'verbose' })).toThrow(/SPECEDIT_LOG/);
    const ok = configFromEnv({ SPECEDIT_BACKENDS: '[{"name":"a","base_url":"http://x/v1","models":{"fast":"their-model"}}]', SPECEDIT_AUTO_FALLBACK_MODEL: 'fast' });
    expect(ok.autoFallbackModel).toBe('fast');
    expect(ok.log).toBe('json');
  });
});
