// The OpenAI-compatible endpoints through the official openai npm client: model "auto" serves
// apply-format messages with the structural merge, streaming and not, with predicted outputs.
import { request } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import { parseApplyMessage } from '../src/openai/apply-message.js';
import { predictionUsage } from '../src/openai/prediction.js';
import { estimateTokens, pieces } from '../src/openai/tokens.js';
import { startServer, type Running } from '../src/server/serve.js';

let server: Running;
let client: OpenAI;

beforeAll(async () => {
  server = await startServer({ ...DEFAULTS, port: 0 }, { defaultMetrics: false });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-needed-on-loopback' });
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
const applyMessage = (code = original, upd = update) =>
  `<instruction>I add an empty-list guard to mean</instruction>\n<path>src/stats.ts</path>\n<code>${code}</code>\n<update>${upd}</update>`;

function rawPost(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const metric = async (name: string) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name));
};

describe('apply-format message parsing', () => {
  it('reads instruction, code byte for byte (even with </code> inside), update and path', () => {
    const code = 'const s = "<code>x</code>";\n';
    const m = parseApplyMessage(`<instruction> fix </instruction>\n<path>a.ts</path>\n<code>${code}</code>\n<update>\n// ... existing code ...\nx();\n</update>`);
    expect(m).toEqual({ code, update: '// ... existing code ...\nx();\n', instruction: 'fix', path: 'a.ts', language: undefined });
    expect(parseApplyMessage('hello')).toBeNull();
    expect(parseApplyMessage('<code>x</code>')).toBeNull();
    expect(parseApplyMessage('<instruction>rename</instruction><code>x</code>')?.update).toBeUndefined();
  });

  it('estimates tokens with pieces that join back to the text, and accounts predictions by diff', () => {
    expect(pieces(original).join('')).toBe(original);
    expect(estimateTokens(original)).toBe(pieces(original).length);
    expect(predictionUsage(expected, expected)).toEqual({ accepted_prediction_tokens: estimateTokens(expected), rejected_prediction_tokens: 0 });
    const u = predictionUsage(original, expected);
    expect(u.accepted_prediction_tokens + u.rejected_prediction_tokens).toBe(estimateTokens(original));
    expect(u.rejected_prediction_tokens).toBe(0); // the edit only adds lines
    const v = predictionUsage('something else entirely\n', expected);
    expect(v.rejected_prediction_tokens).toBeGreaterThan(0);
  });
});

describe('openai client against model "auto"', () => {
  it('lists auto among the models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('auto');
    expect((await client.models.retrieve('auto')).id).toBe('auto');
  });

  it('merges an apply-format chat message, with usage and the original code as implicit prediction', async () => {
    const res = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: applyMessage() }] });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0].message.content).toBe(expected);
    expect(res.choices[0].finish_reason).toBe('stop');
    const u = res.usage!;
    expect(u.completion_tokens).toBe(estimateTokens(expected));
    expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
    // Everything of the original is kept: the whole draft is accepted.
    expect(u.completion_tokens_details!.accepted_prediction_tokens).toBe(estimateTokens(original));
    expect(u.completion_tokens_details!.rejected_prediction_tokens).toBe(0);
    const extra = res as unknown as { specedit: { mode: string; language: string; diff: string; prediction_source: string } };
    expect(extra.specedit).toMatchObject({ mode: 'structural', language: 'typescript', prediction_source: 'original_code' });
    expect(extra.specedit.diff).toContain('+  if (items.length === 0) return 0;');
  });

  it('accounts a client prediction: accepted and rejected tokens from its diff with the answer', async () => {
    const exact = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: applyMessage() }],
      prediction: { type: 'content', content: expected },
    });
    expect(exact.usage!.completion_tokens_details).toMatchObject({ accepted_prediction_tokens: estimateTokens(expected), rejected_prediction_tokens: 0 });

    const stale = original.replace('let sum = 0;', 'let total = 0; // stale draft');
    const partial = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: applyMessage() }],
      prediction: { type: 'content', content: [{ type: 'text', text: stale }] },
    });
    const d = partial.usage!.completion_tokens_details!;
    expect(d.rejected_prediction_tokens).toBeGreaterThan(0);
    expect(d.accepted_prediction_tokens! + d.rejected_prediction_tokens!).toBe(estimateTokens(stale));
    expect(partial.choices[0].message.content).toBe(expected);
  });

  it('streams chunks that concatenate to the merged file, then usage when asked', async () => {
    const big = Array.from({ length: 60 }, (_, i) => `export const v${i} = ${i}; // a line long enough to need several chunks`).join('\n') + '\n';
    const code = original + big;
    const stream = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: applyMessage(code, update + '// ... existing code ...\n') }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let contentChunks = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.content) {
        text += choice.delta.content;
        contentChunks++;
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(text).toBe(expected + big);
    expect(contentChunks).toBeGreaterThan(3);
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBe(estimateTokens(expected + big));
    expect(usage!.completion_tokens_details!.accepted_prediction_tokens).toBe(estimateTokens(code));
  });

  it('honours max_tokens (finish_reason length) and stop', async () => {
    const cut = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: applyMessage() }], max_tokens: 5 });
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.usage!.completion_tokens).toBe(5);
    expect(expected.startsWith(cut.choices[0].message.content!)).toBe(true);
    const stopped = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: applyMessage() }], stop: ['export function mean'] });
    expect(stopped.choices[0].message.content).toBe(expected.slice(0, expected.indexOf('export function mean')));
  });

  it('serves /v1/completions with an apply-format prompt, streaming and not', async () => {
    const res = await client.completions.create({ model: 'auto', prompt: applyMessage() });
    expect(res.object).toBe('text_completion');
    expect(res.choices[0].text).toBe(expected);
    const stream = await client.completions.create({ model: 'auto', prompt: applyMessage(), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(expected);
  });
});

describe('errors as the openai client surfaces them', () => {
  it('checks the body: 415 without JSON, 400 invalid_json, 413 body_too_large', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': type }, body });
    const codes = async (r: Response) => [r.status, (await r.json()).error.code];
    expect(await codes(await post('{}', 'text/plain'))).toEqual([415, 'unsupported_media_type']);
    expect(await codes(await post('{"model":'))).toEqual([400, 'invalid_json']);
    // Refused before the body is read: on its own connection (not the keep-alive pool the client shares).
    const huge = await rawPost(`${server.url}/v1/chat/completions`, JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'x'.repeat(4 << 20) }] }));
    expect([huge.status, JSON.parse(huge.body).error.code]).toEqual([413, 'body_too_large']);
  });

  it('a refused merge is a 422 with the refusal code', async () => {
    const err = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: applyMessage(original, '// ... existing code ...\nfunction nowhere() {\n  return 1;\n}\n// ... existing code ...\n') }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(422);
    expect(e.type).toBe('invalid_request_error');
    expect(typeof e.code).toBe('string');
    expect(e.message).toMatch(/^422 /);
  });

  it('a request that needs a model is a 501 model_unavailable, not retried', async () => {
    const before = (await metric('specedit_http_requests_total{route="/v1/chat/completions",method="POST",status="501"}'))[0];
    const err = (await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Write a haiku.' }] }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(501);
    expect(err.code).toBe('model_unavailable');
    const after = (await metric('specedit_http_requests_total{route="/v1/chat/completions",method="POST",status="501"}'))[0];
    const count = (l: string | undefined) => Number(l?.split(' ')[1] ?? 0);
    expect(count(after) - count(before)).toBe(1);

    const instructionOnly = (await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: '<instruction>rename a to b</instruction><code>let a = 1;\n</code>' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(instructionOnly.status).toBe(501);
    expect(instructionOnly.message).toMatch(/instruction without an <update>/);
  });

  it('an unknown model is a 404 model_not_found; a bad request a 400 with the zod issue', async () => {
    const nf = (await client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(nf).toBeInstanceOf(OpenAI.NotFoundError);
    expect(nf.code).toBe('model_not_found');
    const bad = (await client.chat.completions.create({ model: 'auto', messages: [] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.code).toBe('invalid_request');
    expect(bad.message).toMatch(/messages/);
    const n2 = (await client.chat.completions.create({ model: 'auto', n: 2, messages: [{ role: 'user', content: applyMessage() }] }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(n2.code).toBe('unsupported_parameter');
  });
});
