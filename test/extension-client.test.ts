// The streaming /apply client shared by the extension and `specedit batch --server`: SSE parsing
// under any chunking, a stream that breaks or ends early, answers that are not specedit's.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import { startServer, type Running } from '../src/server/serve.js';
import { SseParser } from '../src/client/sse.js';
import { applyUrl, streamApply } from '../src/client/apply-client.js';

const code = 'def f():\n    return 1\n' + Array.from({ length: 800 }, (_, i) => `\n\ndef g${i}():\n    return ${i}\n`).join('');
const update = '# ... existing code ...\ndef f():\n    return 2\n# ... existing code ...\n';

let server: Running;
let fake: { url: string; close(): Promise<void> };
let route: (req: IncomingMessage, res: ServerResponse) => void = () => {};

beforeAll(async () => {
  server = await startServer({ ...DEFAULTS, port: 0 });
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => route(req, res));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  fake = { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/prefix/`, close: () => new Promise((d) => { srv.closeAllConnections(); srv.close(() => d()); }) };
});
afterAll(async () => {
  await Promise.all([server.close(), fake.close()]);
});

describe('SseParser', () => {
  const stream = 'event: meta\ndata: {"a":1}\n\n: a comment\r\nevent: delta\r\ndata: {"text":"x\\ny"}\r\n\r\nevent: done\ndata: line1\ndata: line2\n\n';
  const expected = [
    { event: 'meta', data: '{"a":1}' },
    { event: 'delta', data: '{"text":"x\\ny"}' },
    { event: 'done', data: 'line1\nline2' },
  ];
  it('gives the same events whatever the chunking (one char at a time, CRLF split)', () => {
    const whole = new SseParser().push(stream);
    expect(whole).toEqual(expected);
    const p = new SseParser();
    const byChar = [...stream].flatMap((c) => p.push(c));
    expect(byChar).toEqual(expected);
  });
});

describe('streamApply', () => {
  it('reassembles a multi-chunk stream from a real server into the same file as the JSON answer', async () => {
    const deltas: number[] = [];
    const out = await streamApply({ code, update, path: 'big.py' }, { server: server.url, onDelta: (t) => deltas.push(t.length) });
    const json = (await (await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, update, path: 'big.py' }) })).json()) as { content: string; diff: string };
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(deltas.length).toBeGreaterThan(3);
    expect(out.content).toBe(json.content);
    expect(out.diff).toBe(json.diff);
    expect(out).toMatchObject({ mode: 'structural', language: 'python' });
    expect(out.requestId).toMatch(/\S/);
  });

  it('keeps a path prefix in the server URL', () => {
    expect(applyUrl('http://h:1/specedit/')).toBe('http://h:1/specedit/apply');
    expect(applyUrl('http://h:1')).toBe('http://h:1/apply');
  });

  it('an error event midway is a stream_error, not a partial file', async () => {
    route = (req, res) => {
      expect(req.url).toBe('/prefix/apply');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: meta\ndata: {}\n\nevent: delta\ndata: {"text":"half"}\n\nevent: error\ndata: {"error":{"code":"internal","message":"boom"}}\n\n');
    };
    expect(await streamApply({ code: 'x', update: 'y' }, { server: fake.url })).toMatchObject({ ok: false, kind: 'stream_error', code: 'internal', message: 'boom' });
  });

  it('a stream that ends before done is incomplete', async () => {
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: delta\ndata: {"text":"half"}\n\n');
    };
    expect(await streamApply({ code: 'x', update: 'y' }, { server: fake.url })).toMatchObject({ ok: false, kind: 'stream_error', code: 'stream_incomplete' });
  });

  it('something that is not a specedit server is a bad_response', async () => {
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>hello</html>');
    };
    expect(await streamApply({ code: 'x', update: 'y' }, { server: fake.url })).toMatchObject({ ok: false, kind: 'bad_response' });
    route = (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>not found</html>');
    };
    expect(await streamApply({ code: 'x', update: 'y' }, { server: fake.url })).toMatchObject({ ok: false, kind: 'invalid_request', status: 404, code: 'http_404' });
  });

  it('a signal already aborted sends nothing', async () => {
    const c = new AbortController();
    c.abort();
    expect(await streamApply({ code: 'x', update: 'y' }, { server: server.url, signal: c.signal })).toMatchObject({ ok: false, kind: 'cancelled' });
  });
});
