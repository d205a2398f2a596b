// Error bodies: one shape per route family (README "Errors"), never an echo of a big input, and
// every refusal counted and logged with its code.
import { describe, expect, it } from 'vitest';
import { DEFAULTS, type Config } from '../src/config.js';
import { createService } from '../src/server/app.js';
import type { RequestLog } from '../src/server/logging.js';

function service(config: Config = DEFAULTS) {
  const logs: RequestLog[] = [];
  const s = createService(config, { defaultMetrics: false, logger: (r) => logs.push(r) });
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    s.app.fetch(
      new Request(`http://h${path}`, {
        method: init.method ?? (init.body !== undefined || init.json !== undefined ? 'POST' : 'GET'),
        headers: init.headers ?? { 'content-type': 'application/json' },
        body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
      }),
    );
  return { ...s, logs, call };
}

const specedit = (body: { error: Record<string, unknown> }) => Object.keys(body.error).sort();
const code = 'a = 1\n';
const update = 'a = 2\n';
const chat = (content: string) => ({ model: 'auto', messages: [{ role: 'user', content }] });

describe('error shapes', () => {
  const { call } = service();
  // the same mistake on each route family; the /apply family answers {code, message, details?},
  // /v1 OpenAI's {message, type, code, param}
  const cases: [string, string, RequestInit & { json?: unknown }, number, string][] = [
    ['invalid_json', '', { body: '{nope' }, 400, 'invalid_json'],
    ['invalid_request', '', { json: { nope: 1 } }, 400, 'invalid_request'],
    ['unsupported_media_type', '', { body: '{}', headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type'],
  ];
  for (const [name, , init, status, errorCode] of cases) {
    it(`${name}: specedit's shape on /apply, OpenAI's on /v1`, async () => {
      const a = await call('/apply', init);
      expect(a.status).toBe(status);
      const ab = await a.json();
      expect(ab.error.code).toBe(errorCode);
      expect(specedit(ab).filter((k) => k !== 'details')).toEqual(['code', 'message']);
      const v = await call('/v1/chat/completions', init);
      expect(v.status).toBe(status);
      const vb = await v.json();
      expect(vb.error).toMatchObject({ code: errorCode, type: 'invalid_request_error', param: null, message: expect.any(String) });
    });
  }

  it('invalid_request keeps the zod issues in details on both', async () => {
    const a = await (await call('/apply', { json: { update } })).json();
    expect(a.error.details.issues[0]).toEqual({ path: 'code', message: expect.any(String) });
    const v = await (await call('/v1/chat/completions', { json: { model: 'auto' } })).json();
    expect(v.error.details.issues[0].path).toBe('messages');
  });

  it('404: an unknown route answers in its family shape', async () => {
    const a = await call('/nope');
    expect(a.status).toBe(404);
    expect(await a.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET "/nope".' } });
    const v = await (await call('/v1/nope')).json();
    expect(v.error).toMatchObject({ code: 'not_found', type: 'not_found_error', param: null });
  });

  it('body_too_large: the family shape, counted in specedit_refusals_total and logged with its code', async () => {
    const small = service({ ...DEFAULTS, limits: { codeBytes: 1000, updateBytes: 1000 } });
    const big = JSON.stringify({ code: 'x'.repeat(200_000), update });
    const a = await small.call('/apply', { body: big });
    expect(a.status).toBe(413);
    expect(await a.json()).toEqual({ error: { code: 'body_too_large', message: expect.stringMatching(/over \d+ bytes/) } });
    const v = await small.call('/v1/chat/completions', { body: JSON.stringify(chat('x'.repeat(200_000))) });
    expect(v.status).toBe(413);
    expect((await v.json()).error).toMatchObject({ code: 'body_too_large', type: 'invalid_request_error' });
    expect(small.logs.map((l) => [l.route, l.status, l.code])).toEqual([
      ['/apply', 413, 'body_too_large'],
      ['/v1/chat/completions', 413, 'body_too_large'],
    ]);
    expect(await small.metrics.registry.metrics()).toMatch(/^specedit_refusals_total\{code="body_too_large"\} 2$/m);
  });

  it('an apply refusal on /apply stays in specedit shape, and in OpenAI shape on /v1', async () => {
    const a = await (await call('/apply', { json: { code, update: '# ...\nnothing_like_this()\n# ...\n', path: 'a.py' } })).json();
    expect(specedit(a)).toEqual(['code', 'details', 'message']);
    expect(a.error.code).toBe('no_anchor');
    const v = await (await call('/v1/chat/completions', { json: chat(`<path>a.py</path><code>${code}</code><update># ...\nnothing_like_this()\n# ...\n</update>`) })).json();
    expect(v.error).toMatchObject({ code: 'no_anchor', type: 'invalid_request_error', param: null });
  });
});

describe('error bodies quote a short prefix of what the client sent', () => {
  const { call, logs } = service();
  const MB = 'k'.repeat(1 << 20);

  it('a 1 MB unknown key in /apply', async () => {
    const res = await call('/apply', { json: { code, update, [MB]: 1 } });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(1000);
    expect(JSON.parse(text).error.message).toContain('kkkk…');
  });

  it('a 1 MB model name on /v1/chat/completions and /v1/completions', async () => {
    for (const [path, body] of [['/v1/chat/completions', { ...chat('hi'), model: MB }], ['/v1/completions', { model: MB, prompt: 'hi' }]] as const) {
      const res = await call(path, { json: body });
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(text.length).toBeLessThan(1000);
      expect(JSON.parse(text).error).toMatchObject({ code: 'model_not_found', message: expect.stringContaining('kkkk…') });
    }
    // nor does the request's log line copy it
    expect(logs.at(-1)!.model).toMatch(/^k{64}…$/);
  });

  it('a long model id in /v1/models/:id and a long unknown path', async () => {
    const long = 'm'.repeat(8000);
    for (const path of [`/v1/models/${long}`, `/${long}`]) {
      const res = await call(path);
      expect(res.status).toBe(404);
      expect((await res.text()).length).toBeLessThan(1000);
    }
  });

  it('thousands of bad entries: the first few issues, each clipped', async () => {
    const res = await call('/v1/chat/completions', { json: { model: 'auto', messages: Array.from({ length: 5000 }, () => ({ role: MB.slice(0, 200) })) } });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(JSON.stringify(body).length).toBeLessThan(5000);
    expect(body.error.details.issues).toHaveLength(10);
    expect(body.error.message).toMatch(/and \d+ more$/);
  });

  it('a snippet line that matched nothing is quoted clipped in the refusal details', async () => {
    const line = `call_${'x'.repeat(100_000)}()`;
    const res = await call('/apply', { json: { code, update: `# ...\n${line}\n# ...\n`, path: 'a.py' } });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text.length).toBeLessThan(1000);
    expect(JSON.parse(text).error.details.lines[0]).toMatch(/^call_x+…$/);
  });
});
