// Scale-out for real: two specedit servers as upstreams and a third as the gateway in front of them
// (remote OpenAI-compatible backends). One upstream is killed mid-run and requests keep succeeding;
// streams pass through chunk by chunk; a fake hosted endpoint shows fallback, prediction and /apply
// via a model; a gateway with no live backend answers 503.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, plainKey, type BackendConfig, type Config } from '../src/config.js';
import { startServer, type Running } from '../src/server/serve.js';

const code = `def total(xs):\n    return sum(xs)\n\n\ndef mean(xs):\n    return total(xs) / len(xs)\n`;
const update = `# ... existing code ...\ndef mean(xs):\n    if not xs:\n        return 0.0\n    return total(xs) / len(xs)\n`;
const expected = code.replace('def mean(xs):\n', 'def mean(xs):\n    if not xs:\n        return 0.0\n');
const message = (u = update) => `<path>stats.py</path>\n<code>${code}</code>\n<update>${u}</update>`;
const refused = `# ... existing code ...\ndef nowhere():\n    pass\n# ... existing code ...\n`;

const quiet = { defaultMetrics: false };
const upstreamConfig: Config = { ...DEFAULTS, port: 0, auth: { ...DEFAULTS.auth, keys: [plainKey('sk-upstream')] } };
const backend = (name: string, url: string, models: Record<string, string>, extra: Partial<BackendConfig> = {}): BackendConfig => ({
  name,
  baseUrl: `${url}/v1`,
  apiKey: 'sk-upstream',
  models,
  sendPrediction: false,
  ...extra,
});

describe('gateway in front of two specedit upstreams', () => {
  let a: Running;
  let b: Running;
  let gateway: Running;
  let client: OpenAI;
  beforeAll(async () => {
    [a, b] = await Promise.all([startServer(upstreamConfig, quiet), startServer(upstreamConfig, quiet)]);
    gateway = await startServer(
      { ...DEFAULTS, port: 0, healthIntervalMs: 100, backends: [backend('a', a.url, { 'remote-auto': 'auto' }), backend('b', b.url, { 'remote-auto': 'auto' })] },
      quiet,
    );
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close(), gateway.close()]);
  });

  it('lists its own auto and the backends\' models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(['auto', 'remote-auto']);
  });

  it('keeps answering when one upstream is killed mid-run', async () => {
    const total = 24;
    let started = 0;
    let done = 0;
    let killedAt = -1;
    const served: { i: number; backend: string | null; afterKill: boolean }[] = [];
    const worker = async () => {
      while (started < total) {
        const i = started++;
        const afterKill = killedAt >= 0;
        const { data, response } = await client.chat.completions.create({ model: 'remote-auto', messages: [{ role: 'user', content: message() }] }).withResponse();
        expect(data.choices[0].message.content).toBe(expected);
        served.push({ i, backend: response.headers.get('x-specedit-backend'), afterKill });
        if (++done === 8) {
          killedAt = done;
          void a.kill(); // connections cut while the other workers' requests are in flight
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    expect(served).toHaveLength(total);
    const before = served.filter((s) => !s.afterKill);
    expect(new Set(before.map((s) => s.backend))).toEqual(new Set(['a', 'b'])); // least-outstanding spread both
    expect(served.filter((s) => s.afterKill).every((s) => s.backend === 'b')).toBe(true);

    // Streams after the kill go to the live upstream and arrive whole.
    const stream = await client.chat.completions.create({ model: 'remote-auto', stream: true, messages: [{ role: 'user', content: message() }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(expected);

    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/specedit_backend_healthy\{backend="a"\} 0/);
    expect(metrics).toMatch(/specedit_backend_healthy\{backend="b"\} 1/);
    expect(metrics).toMatch(/specedit_backend_requests_total\{backend="b",outcome="ok"\} \d+/);
  });

  it('passes an upstream refusal through with its status and code', async () => {
    const err = (await client.chat.completions.create({ model: 'remote-auto', messages: [{ role: 'user', content: message(refused) }] }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(typeof err.code).toBe('string');
  });
});

/** A stand-in for a hosted OpenAI-compatible endpoint. Streams in lockstep with the test's reader when asked. */
function fakeEndpoint() {
  const bodies: any[] = [];
  const acks: (() => void)[] = [];
  const ackWaits: Promise<void>[] = [];
  for (let i = 0; i < 64; i++) ackWaits.push(new Promise<void>((r) => acks.push(r)));
  let timedOut = false;
  const server: Server = createServer(async (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'upstream-model', object: 'model' }] }));
      return;
    }
    let raw = '';
    for await (const d of req) raw += d;
    const body = JSON.parse(raw);
    bodies.push(body);
    const base = { id: 'chatcmpl-fake', created: 0, model: body.model };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: '```python\n' + expected + '```' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 40, completion_tokens: 30, total_tokens: 70, completion_tokens_details: { accepted_prediction_tokens: 25, rejected_prediction_tokens: 2 } },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const parts = 8;
    for (let i = 0; i < parts; i++) {
      res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: `part${i};` }, finish_reason: null }] })}\n\n`);
      // The next chunk is written only once the client has seen this one: a buffering gateway would stall here.
      const seen = await Promise.race([ackWaits[i].then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!seen) timedOut = true;
    }
    res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  return {
    bodies,
    ack: (i: number) => acks[i](),
    get timedOut() {
      return timedOut;
    },
    start: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('gateway in front of a hosted predicted-outputs endpoint', () => {
  const fake = fakeEndpoint();
  let gateway: Running;
  let client: OpenAI;
  beforeAll(async () => {
    const url = await fake.start();
    gateway = await startServer(
      {
        ...DEFAULTS,
        port: 0,
        backends: [backend('hosted', url, { fast: 'upstream-model' }, { sendPrediction: true, apiKey: undefined })],
        autoFallbackModel: 'fast',
      },
      quiet,
    );
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway.close();
    await fake.close();
  });

  it('streams chunk by chunk: each reaches the client before the upstream writes the next', async () => {
    const stream = await client.chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const got: string[] = [];
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta.content;
      if (text) {
        got.push(text);
        fake.ack(got.length - 1);
      }
    }
    expect(got).toEqual(Array.from({ length: 8 }, (_, i) => `part${i};`));
    expect(fake.timedOut).toBe(false);
    expect(fake.bodies.at(-1).model).toBe('upstream-model');
    expect(fake.bodies.at(-1).prediction).toBeUndefined(); // not an apply message
  });

  it('auto: a merge the structural path refuses goes to the fallback model, with the original code as prediction', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: message(refused) }] }).withResponse();
    expect(response.headers.get('x-specedit-backend')).toBe('hosted');
    expect(data.choices[0].message.content).toContain(expected);
    expect(data.usage!.completion_tokens_details).toMatchObject({ accepted_prediction_tokens: 25, rejected_prediction_tokens: 2 });
    expect(fake.bodies.at(-1).prediction).toEqual({ type: 'content', content: code });

    // A certain merge stays structural, never reaching the model.
    const n = fake.bodies.length;
    const structural = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: message() }] });
    expect(structural.choices[0].message.content).toBe(expected);
    expect(fake.bodies.length).toBe(n);
  });

  it('a fenced snippet reaches the fallback model without its fence, from /apply and from auto', async () => {
    const fenced = (u: string) => `Here is the updated code:\n\n\`\`\`python\n${u}\`\`\`\n`;
    const clean = `<update>${refused}</update>`;
    const res = await fetch(`${gateway.url}/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, update: fenced(refused), path: 'stats.py' }),
    });
    expect(res.status).toBe(200);
    expect(fake.bodies.at(-1).messages[0].content).toContain(clean);
    await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: message(fenced(refused)) }] });
    expect(fake.bodies.at(-1).messages[0].content).toBe(`<path>stats.py</path>\n<code>${code}</code>\n${clean}`);
    await client.completions.create({ model: 'auto', prompt: message(fenced(refused)) });
    expect(fake.bodies.at(-1).prompt).toBe(`<path>stats.py</path>\n<code>${code}</code>\n${clean}`);
  });

  it('POST /apply mode model and instruction-only go through the backend', async () => {
    const res = await fetch(`${gateway.url}/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, instruction: 'Return 0.0 for an empty list in mean', path: 'stats.py' }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ content: expected, mode: 'model', language: 'python' });
    expect(body.stats.backend).toBe('hosted');
    expect(body.diff).toContain('+    if not xs:');
    expect(fake.bodies.at(-1).messages[0].content).toBe(`<instruction>Return 0.0 for an empty list in mean</instruction>\n<code>${code}</code>\n`);
  });
});

describe('gateway with no live backend', () => {
  it('answers 503 no_healthy_backend, surfaced by the openai client', async () => {
    const dead = await startServer(upstreamConfig, quiet);
    const url = dead.url;
    await dead.kill();
    const gateway = await startServer({ ...DEFAULTS, port: 0, backends: [backend('gone', url, { m: 'auto' })] }, quiet);
    try {
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const err = (await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: message() }] }).catch((e: unknown) => e)) as InstanceType<
        typeof OpenAI.APIError
      >;
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err.status).toBe(503);
      expect(err.code).toBe('no_healthy_backend');
      expect(err.headers.get('retry-after')).toBeTruthy();
    } finally {
      await gateway.close();
    }
  });
});

describe('a client that goes away mid-stream', () => {
  it('cancels the upstream request and frees the backend slot', async () => {
    let upstreamClosed = false;
    const up = createServer(async (req, res) => {
      if (req.method === 'GET') return void res.end('{}');
      for await (const _ of req);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.on('close', () => (upstreamClosed = true));
      let i = 0;
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(`data: {"choices":[{"index":0,"delta":{"content":"x${i++} "}}]}\n\n`)), 20);
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
    const logs: any[] = [];
    const gateway = await startServer(
      { ...DEFAULTS, port: 0, backends: [backend('endless', `http://127.0.0.1:${(up.address() as AddressInfo).port}`, { m: 'm' })] },
      { ...quiet, logger: (r) => logs.push(r) },
    );
    try {
      const ac = new AbortController();
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
        signal: ac.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      await reader.read();
      ac.abort();
      await expect.poll(() => gateway.service.router!.snapshot()[0].outstanding, { timeout: 2000 }).toBe(0);
      await expect.poll(() => upstreamClosed, { timeout: 2000 }).toBe(true);
      await expect.poll(() => logs.length, { timeout: 2000 }).toBe(1);
      expect(logs[0]).toMatchObject({ outcome: 'client_closed', backend: 'endless', stream: true });
      expect(logs[0].tokens_out).toBeGreaterThan(0);
    } finally {
      await gateway.kill();
      up.closeAllConnections();
      up.close();
    }
  });
});

describe('a backend that does not answer', () => {
  it('is cut off after SPECEDIT_REQUEST_TIMEOUT_MS with 504 timeout', async () => {
    const up = createServer((req, res) => {
      if (req.method === 'GET') return void res.end('{}');
      // never answers a POST
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
    const gateway = await startServer(
      { ...DEFAULTS, port: 0, requestTimeoutMs: 300, backends: [backend('silent', `http://127.0.0.1:${(up.address() as AddressInfo).port}`, { m: 'm' })] },
      quiet,
    );
    try {
      const t0 = performance.now();
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(504);
      expect((await res.json()).error).toMatchObject({ code: 'timeout', type: 'server_error' });
      expect(performance.now() - t0).toBeLessThan(2000);
    } finally {
      await gateway.kill();
      up.closeAllConnections();
      up.close();
    }
  });
});
