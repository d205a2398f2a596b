// POST /apply over real HTTP: JSON and SSE answers, and every error path with its code.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, type Config } from '../src/config.js';
import { startServer, type Running } from '../src/server/serve.js';

let server: Running;
const config: Config = { ...DEFAULTS, port: 0, limits: { codeBytes: 64 * 1024, updateBytes: 8 * 1024 } };

beforeAll(async () => {
  server = await startServer(config);
});
afterAll(async () => {
  await server.close();
});

const original = `import { a } from './a';

export function total(items: number[]): number {
  let sum = 0;
  for (const x of items) sum += x;
  return sum;
}

export function mean(items: number[]): number {
  return total(items) / items.length;
}
`;
const update = `// ... existing code ...
export function mean(items: number[]): number {
  if (items.length === 0) return 0;
  return total(items) / items.length;
}
`;
const expected = original.replace('{\n  return total', '{\n  if (items.length === 0) return 0;\n  return total');

function post(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function rawPost(body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/apply`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Parse an SSE body into its events. */
async function events(res: Response): Promise<{ event: string; data: any }[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)![1];
      const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]);
      return { event, data };
    });
}

describe('POST /apply', () => {
  it('merges and answers content, diff, mode, language and stats', async () => {
    const res = await post({ code: original, update, path: 'src/stats.ts' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = await res.json();
    expect(body.content).toBe(expected);
    expect(body.mode).toBe('structural');
    expect(body.language).toBe('typescript');
    expect(body.diff).toContain('--- a/src/stats.ts');
    expect(body.diff).toContain('+  if (items.length === 0) return 0;');
    expect(body.stats.strategy).toBe('exact');
    expect(body.stats.syntax_checked).toBe(true);
    expect(typeof body.stats.time_ms).toBe('number');
  });

  it('streams meta, deltas that concatenate to the content, then done', async () => {
    const big = Array.from({ length: 400 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n' + original;
    const res = await post({ code: big, update, path: 'x.ts', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const evs = await events(res);
    expect(evs[0].event).toBe('meta');
    const deltas = evs.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.data.text).join('')).toBe(big.replace(original, expected));
    const done = evs[evs.length - 1];
    expect(done.event).toBe('done');
    expect(done.data.diff).toContain('+  if (items.length === 0) return 0;');
    expect(done.data.stats.segments).toBe(1);
  });

  it('streams when the client asks with Accept: text/event-stream', async () => {
    const res = await post({ code: original, update, path: 'x.ts' }, { accept: 'text/event-stream' });
    const evs = await events(res);
    expect(evs.map((e) => e.event)).toEqual(['meta', 'delta', 'done']);
  });

  it('refuses an uncertain merge with 422 and says which lines did not anchor', async () => {
    const res = await post({ code: original, update: '// ... existing code ...\nfoo();\nbar();\n// ... existing code ...\n', path: 'x.ts', stream: true });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.code).toBe('no_anchor');
    expect(body.error.details.lines).toEqual(['foo();', 'bar();']);
  });

  it('refuses an ambiguous anchor with the candidate line ranges', async () => {
    const code = 'function a() {\n  return compute(1);\n}\n\nfunction b() {\n  return compute(1);\n}\n';
    const res = await post({ code, update: '// ...\n  return compute(1);\n  // changed\n// ...\n', path: 'x.js' });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.code).toBe('ambiguous_anchor');
    expect(body.error.details.candidates).toEqual([
      { start_line: 2, end_line: 2 },
      { start_line: 6, end_line: 6 },
    ]);
    // A line hint breaks the tie.
    const hinted = await post({ code, update: '// ...\n  return compute(1);\n  // changed\n// ...\n', path: 'x.js', line_hints: [6] });
    expect(hinted.status).toBe(200);
    expect((await hinted.json()).content).toBe(code.replace('b() {\n  return compute(1);\n', 'b() {\n  return compute(1);\n  // changed\n'));
  });

  it('answers 400 for invalid JSON and schema errors, with the failing fields', async () => {
    const bad = await post('{"code": ');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_json');

    const noEdit = await post({ code: 'x' });
    expect(noEdit.status).toBe(400);
    const body = await noEdit.json();
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details.issues[0].path).toBe('update');

    const unknown = await post({ code: 'x', update: 'y', colour: 'red' });
    expect(unknown.status).toBe(400);

    const badMode = await post({ code: 'x', update: 'y', mode: 'magic' });
    expect(badMode.status).toBe(400);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe('unsupported_media_type');
  });

  it('answers 413 past the configured limits', async () => {
    const res = await post({ code: 'x'.repeat(70 * 1024), update: 'y' });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('code_too_large');
    const upd = await post({ code: 'x', update: 'y'.repeat(9 * 1024) });
    expect((await upd.json()).error.code).toBe('update_too_large');
    // Refused before the body is read: on its own connection, which the server closes.
    const huge = await rawPost(JSON.stringify({ code: 'x'.repeat(400 * 1024), update: 'y' }));
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe('body_too_large');
  });

  it('answers 501 model_unavailable for the model path, 422 for an unknown language', async () => {
    const model = await post({ code: original, update, mode: 'model' });
    expect(model.status).toBe(501);
    expect((await model.json()).error.code).toBe('model_unavailable');
    const instr = await post({ code: original, instruction: 'add a guard' });
    expect(instr.status).toBe(501);
    const lang = await post({ code: original, update, language: 'klingon' });
    expect(lang.status).toBe(422);
    expect((await lang.json()).error.code).toBe('unsupported_language');
  });

  it('merges files of unknown languages line-based and says so', async () => {
    const res = await post({ code: 'a = 1\nb = 2\nc = 3\n', update: 'b = 2\nb2 = 22\n# ... rest ...\n', path: 'conf.weird' });
    const body = await res.json();
    expect(body.content).toBe('a = 1\nb = 2\nb2 = 22\nc = 3\n');
    expect(body.language).toBe('generic');
    expect(body.stats.syntax_checked).toBe(false);
    expect(body.stats.note).toMatch(/without syntax validation/);
  });
});

describe('other routes', () => {
  it('GET /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /v1/languages lists languages with their markers', async () => {
    const body = await (await fetch(`${server.url}/v1/languages`)).json();
    const ids = body.languages.map((l: { id: string }) => l.id);
    for (const id of ['typescript', 'tsx', 'javascript', 'python', 'go', 'rust', 'java', 'c', 'cpp', 'csharp', 'ruby', 'php', 'bash', 'json', 'css', 'html', 'yaml', 'kotlin', 'objc', 'vue']) {
      expect(ids).toContain(id);
    }
    const py = body.languages.find((l: { id: string }) => l.id === 'python');
    expect(py.markers).toContain('# ... existing code ...');
  });

  it('unknown routes answer a JSON 404', async () => {
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});
