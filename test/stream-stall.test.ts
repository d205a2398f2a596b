// A client that opens an SSE stream and never reads it is cut off after the stall limit, and its
// connection closed; the server goes on answering others.
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULTS, type Config } from '../src/config.js';
import { startServer, type Running } from '../src/server/serve.js';

const lines: Record<string, unknown>[] = [];
let server: Running;
const config: Config = { ...DEFAULTS, port: 0, limits: { codeBytes: 16 << 20, updateBytes: 1 << 20 }, streamStallMs: 300 };

beforeAll(async () => {
  server = await startServer(config, { logger: (l) => lines.push(l as Record<string, unknown>) });
});
afterAll(() => server.close());

it('closes a stream whose client stops reading, and logs it as client_stalled', async () => {
  // ~8 MB of merged file: more than the socket buffers hold, so the server must wait on the client
  // (plain text: the quickest merge of that size)
  const code = Array.from({ length: 8000 }, (_, i) => `line ${i} ${'x'.repeat(1000)}`).join('\n') + '\n';
  const update = '// ... existing code ...\nline 7999 changed\n';
  const body = JSON.stringify({ code, update, path: 'big.txt', stream: true });
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.pause(); // never read
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  socket.write(`POST /apply HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
  socket.write(body);

  const t0 = Date.now();
  while (!lines.some((l) => l.route === '/apply') && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
  const line = lines.find((l) => l.route === '/apply');
  expect(line).toMatchObject({ outcome: 'client_stalled', status: 200, stream: true });
  // the server still answers
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  socket.resume(); // let the closed socket drain so 'close' can fire
  const t1 = Date.now();
  while (!closed && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 50));
  expect(closed).toBe(true);
}, 30_000);
