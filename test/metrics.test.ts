// /metrics scraped and parsed as Prometheus text exposition; the JSON request log, one line per
// request, without code contents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import type { RequestLog } from '../src/server/logging.js';
import { startServer, type Running } from '../src/server/serve.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

/** A strict parser for the text exposition format (version 0.0.4): throws on any line it does not understand. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
    return f;
  };
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: \\d+)?$`);
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) family(m[1]).help = m[2];
    else if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) family(m[1]).type = m[2];
    else if ((m = sampleRe.exec(line))) {
      const labels: Record<string, string> = {};
      if (m[2]) {
        labelRe.lastIndex = 0;
        let l;
        let consumed = 0;
        while ((l = labelRe.exec(m[2]))) {
          labels[l[1]] = l[2];
          consumed = labelRe.lastIndex;
        }
        if (consumed !== m[2].length) throw new Error(`bad labels: ${line}`);
      }
      const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
      if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
      const base = m[1].replace(/_(bucket|sum|count)$/, '');
      const owner = families.has(base) && families.get(base)!.type === 'histogram' ? base : m[1];
      family(owner).samples.push({ name: m[1], labels, value });
    } else throw new Error(`not exposition format: ${line}`);
  }
  return families;
}

const value = (f: Family | undefined, name: string, labels: Record<string, string>) =>
  f?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;

let server: Running;
const logs: RequestLog[] = [];
const SECRET = 'SECRET_CODE_MARKER_9f2c';
const code = `def f():\n    return "${SECRET}"\n\n\ndef g():\n    return 2\n`;
const update = '# ... existing code ...\ndef g():\n    return 3\n';

beforeAll(async () => {
  server = await startServer({ ...DEFAULTS, port: 0 }, { logger: (r) => logs.push(r) });
});
afterAll(async () => {
  await server.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('/metrics', () => {
  it('is Prometheus text, every family specedit_, with requests, latency, tokens, merges and refusals', async () => {
    expect((await post('/apply', { code, update, path: 'a.py' })).status).toBe(200);
    expect((await post('/apply', { code, update: '# ... existing code ...\ndef nowhere():\n    pass\n# ... existing code ...\n', path: 'a.py' })).status).toBe(422);
    const streamed = await post('/v1/chat/completions', { model: 'auto', stream: true, messages: [{ role: 'user', content: `<code>${code}</code><update>${update}</update>` }] });
    expect(streamed.status).toBe(200);
    await streamed.text();
    expect((await post('/apply', { code: 1 })).status).toBe(400);

    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parseExposition(await res.text());
    for (const name of families.keys()) expect(name).toMatch(/^specedit_/);
    for (const name of [
      'specedit_http_requests_total',
      'specedit_http_request_duration_seconds',
      'specedit_time_to_first_byte_seconds',
      'specedit_tokens_total',
      'specedit_cost_usd_total',
      'specedit_merges_total',
      'specedit_refusals_total',
      'specedit_draft_tokens_proposed_total',
      'specedit_draft_tokens_accepted_total',
      'specedit_draft_acceptance_ratio',
      'specedit_queue_depth',
      'specedit_kv_blocks',
      'specedit_preemptions_total',
      'specedit_rate_limited_total',
      'specedit_process_cpu_seconds_total',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    const req = families.get('specedit_http_requests_total')!;
    expect(req.type).toBe('counter');
    expect(value(req, 'specedit_http_requests_total', { route: '/apply', status: '200' })).toBe(1);
    expect(value(req, 'specedit_http_requests_total', { route: '/apply', status: '422' })).toBe(1);
    expect(value(req, 'specedit_http_requests_total', { route: '/apply', status: '400' })).toBe(1);
    expect(value(req, 'specedit_http_requests_total', { route: '/v1/chat/completions', status: '200' })).toBe(1);

    const lat = families.get('specedit_http_request_duration_seconds')!;
    expect(lat.type).toBe('histogram');
    expect(value(lat, 'specedit_http_request_duration_seconds_count', { route: '/apply' })).toBe(3);
    const buckets = lat.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.route === '/apply');
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(value(families.get('specedit_time_to_first_byte_seconds'), 'specedit_time_to_first_byte_seconds_count', { route: '/v1/chat/completions' })).toBe(1);

    expect(value(families.get('specedit_merges_total'), 'specedit_merges_total', { mode: 'structural' })).toBe(2);
    expect(value(families.get('specedit_refusals_total'), 'specedit_refusals_total', { code: 'invalid_request' })).toBe(1);
    const refused = families.get('specedit_refusals_total')!.samples.filter((s) => !['invalid_request'].includes(s.labels.code));
    expect(refused.reduce((a, s) => a + s.value, 0)).toBe(1);
    expect(value(families.get('specedit_tokens_total'), 'specedit_tokens_total', { key: 'anonymous', direction: 'in' })).toBeGreaterThan(0);
    expect(value(families.get('specedit_tokens_total'), 'specedit_tokens_total', { key: 'anonymous', direction: 'out' })).toBeGreaterThan(0);
    expect(value(families.get('specedit_draft_tokens_proposed_total'), 'specedit_draft_tokens_proposed_total', {})).toBeGreaterThan(0);
    expect(value(families.get('specedit_kv_blocks'), 'specedit_kv_blocks', { state: 'free' })).toBe(0);
  });
});

describe('request log', () => {
  it('one JSON line per request with id, key, sizes, timings and outcome; never the code', async () => {
    const before = logs.length;
    const res = await post('/apply', { code, update, path: 'a.py', stream: true });
    const id = res.headers.get('x-request-id');
    await res.text();
    const refused = await post('/apply', { code, update: `# ... existing code ...\ndef h():\n    raise KeyError("${SECRET}")\n# ... existing code ...\n`, path: 'a.py' });
    expect(refused.status).toBe(422);
    await new Promise((r) => setTimeout(r, 20));
    const mine = logs.slice(before);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ request_id: id, key_id: 'anonymous', method: 'POST', route: '/apply', status: 200, outcome: 'ok', mode: 'structural', language: 'python', stream: true });
    expect(mine[0].bytes_in).toBeGreaterThan(0);
    expect(mine[0].bytes_out).toBeGreaterThan(0);
    expect(mine[0].ttfb_ms).toBeLessThanOrEqual(mine[0].duration_ms);
    expect(mine[0].tokens_in).toBeGreaterThan(0);
    expect(mine[1]).toMatchObject({ status: 422, outcome: 'refused' });
    expect(mine[1].bytes_out).toBe(Number((await refused.clone().arrayBuffer()).byteLength));
    expect(typeof mine[1].code).toBe('string');
    for (const line of logs) expect(JSON.stringify(line)).not.toContain(SECRET);
  });
});
