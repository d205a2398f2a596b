// API keys, the loopback rule, per-key rate limits (429 + Retry-After) and per-key prices.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULTS, parseKeysFile, type Config } from '../src/config.js';
import { checkBind, isLoopback, KeyStore } from '../src/server/auth.js';
import { RateLimiter } from '../src/server/rate-limit.js';
import { createApp } from '../src/server/app.js';
import { startServer, type Running } from '../src/server/serve.js';

const hex = (key: string) => createHash('sha256').update(key).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'specedit-auth-'));
const keysFile = join(dir, 'keys.json');
writeFileSync(
  keysFile,
  JSON.stringify({
    keys: [
      { id: 'alice', sha256: hex('sk-alice-0123456789'), requests_per_minute: 3, price_input_per_m: 2, price_output_per_m: 10 },
      { id: 'bob', sha256: hex('sk-bob-0123456789'), tokens_per_minute: 400 },
    ],
  }),
);

let now = 1_000_000;
let server: Running;
let config: Config;
beforeAll(async () => {
  config = { ...configFromEnv({ SPECEDIT_API_KEYS: 'sk-plain-1, sk-plain-2', SPECEDIT_API_KEYS_FILE: keysFile, SPECEDIT_LOG: 'off' }), port: 0 };
  server = await startServer(config, { defaultMetrics: false, clock: () => now });
});
afterAll(async () => {
  await server.close();
});

const code = 'def f():\n    return 1\n\n\ndef g():\n    return 2\n';
const update = '# ... existing code ...\ndef g():\n    return 3\n';
const apply = (key?: string, body: object = { code, update, path: 'a.py' }) =>
  fetch(`${server.url}/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

describe('keys', () => {
  it('hashes plain keys, reads the keys file, and compares by hash', () => {
    expect(config.auth.keys.map((k) => k.id)).toEqual([`key-${hex('sk-plain-1').slice(0, 8)}`, `key-${hex('sk-plain-2').slice(0, 8)}`, 'alice', 'bob']);
    const store = new KeyStore(config);
    expect(store.authenticate('Bearer sk-alice-0123456789')?.id).toBe('alice');
    expect(store.authenticate('bearer sk-plain-2')?.id).toMatch(/^key-/);
    expect(store.authenticate('Bearer sk-alice-012345678')).toBeNull();
    expect(store.authenticate('sk-alice-0123456789')).toBeNull();
    expect(store.authenticate(undefined)).toBeNull();
    expect(store.authenticate('Bearer sk-alice-0123456789')?.rateLimits.requestsPerMinute).toBe(3);
    expect(() => parseKeysFile('{"keys":[{"id":"x","sha256":"nothex"}]}')).toThrow(/sha256/);
    expect(() => parseKeysFile('{"keys":[{"id":"x","key":"sk-in-clear"}]}')).toThrow();
  });

  it('is open on loopback only, unless explicitly allowed', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopback(h)).toBe(false);
    expect(() => checkBind({ ...DEFAULTS, host: '0.0.0.0' })).toThrow(/refusing to listen on 0.0.0.0 without API keys/);
    expect(() => checkBind({ ...DEFAULTS, host: '0.0.0.0', auth: { ...DEFAULTS.auth, allowUnauthenticated: true } })).not.toThrow();
    expect(() => checkBind({ ...DEFAULTS, host: '0.0.0.0', auth: config.auth })).not.toThrow();
  });

  it('the server refuses to start on a public address without keys', async () => {
    await expect(startServer({ ...DEFAULTS, host: '0.0.0.0', port: 0 })).rejects.toThrow(/SPECEDIT_ALLOW_UNAUTHENTICATED/);
  });

  it('answers 401 without a valid key, on /apply, /v1 and /metrics; /healthz stays open', async () => {
    for (const key of [undefined, 'sk-wrong']) {
      const res = await apply(key);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      // /apply answers in specedit's error shape; /v1 in OpenAI's (below)
      expect((await res.json()).error).toEqual({ code: 'invalid_api_key', message: expect.stringContaining('Authorization: Bearer') });
    }
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await apply('sk-plain-1')).status).toBe(200);

    const bad = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    const err = await bad.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
  });
  it('SPECEDIT_METRICS_PUBLIC=1 opens /metrics only', async () => {
    const app = createApp({ ...configFromEnv({ SPECEDIT_API_KEYS: 'sk-x', SPECEDIT_METRICS_PUBLIC: '1', SPECEDIT_LOG: 'off' }) }, { defaultMetrics: false });
    expect((await app.fetch(new Request('http://h/metrics'))).status).toBe(200);
    expect((await app.fetch(new Request('http://h/v1/models'))).status).toBe(401);
    expect((await app.fetch(new Request('http://h/v1/models', { headers: { authorization: 'Bearer sk-x' } }))).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('token bucket: a minute of budget, refilled continuously', () => {
    let t = 0;
    const limiter = new RateLimiter(() => t);
    const p = { id: 'p', rateLimits: { requestsPerMinute: 2, tokensPerMinute: 0 }, prices: { inputPerM: 0, outputPerM: 0 } };
    expect(limiter.admit(p, 10).ok).toBe(true);
    expect(limiter.admit(p, 10).ok).toBe(true);
    const third = limiter.admit(p, 10);
    expect(third).toEqual({ ok: false, limit: 'requests', retryAfterS: 30 });
    t += 30_000;
    expect(limiter.admit(p, 10).ok).toBe(true);
  });

  it('429 with Retry-After per key when requests per minute run out; other keys unaffected', async () => {
    for (let i = 0; i < 3; i++) expect((await apply('sk-alice-0123456789')).status).toBe(200);
    const limited = await apply('sk-alice-0123456789');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(20);
    expect((await limited.json()).error).toEqual({ code: 'rate_limit_exceeded', message: expect.any(String), details: { limit: 'requests' } });
    expect((await apply('sk-plain-1')).status).toBe(200);

    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-alice-0123456789', maxRetries: 0 });
    const err = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);

    now += 20_000; // a third of a minute: one request back
    expect((await apply('sk-alice-0123456789')).status).toBe(200);
    expect((await apply('sk-alice-0123456789')).status).toBe(429);
  });

  it('429 on tokens per minute: the real token count is charged after each answer', async () => {
    let status = 200;
    let n = 0;
    while (status === 200 && n < 20) {
      status = (await apply('sk-bob-0123456789')).status;
      n++;
    }
    expect(status).toBe(429);
    expect(n).toBeGreaterThan(1);
    const res = await apply('sk-bob-0123456789');
    expect((await res.json()).error.details.limit).toBe('tokens');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('cost', () => {
  it('prices each answer from the key\'s $/1M tokens and counts it per key in /metrics', async () => {
    now += 60_000;
    const res = await apply('sk-alice-0123456789');
    const { stats } = await res.json();
    const { input_tokens, output_tokens, cost_usd } = stats.usage;
    expect(input_tokens).toBeGreaterThan(0);
    expect(cost_usd).toBeCloseTo((input_tokens * 2 + output_tokens * 10) / 1e6, 9);
    const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer sk-plain-1' } })).text();
    const line = text.split('\n').find((l) => l.startsWith('specedit_cost_usd_total{key="alice"}'));
    expect(Number(line!.split(' ')[1])).toBeGreaterThanOrEqual(cost_usd);
    expect(text).toMatch(/specedit_rate_limited_total\{key="alice",limit="requests"\} [1-9]/);
    expect(text).not.toContain('sk-alice');
  });
});
