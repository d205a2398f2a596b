// The model path of /apply on a tiny random model. Its "edit" is meaningless text: what the
// tests prove is the plumbing (modes, decoders, stats, streaming, errors) and that every
// decoder writes the same bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, type Config } from '../src/config.js';
import { applyEdit } from '../src/apply/pipeline.js';
import { ModelService, setConfiguredModel } from '../src/apply/model.js';
import { buildPrompt, templateKind } from '../src/apply/prompt.js';
import { ApplyRequestSchema } from '../src/apply/schema.js';
import { startServer, type Running } from '../src/server/serve.js';
import { tinyModel } from './engine/helpers.js';
import { applyPatch } from 'diff';

const model = ModelService.open(tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2'), { kvTokens: 4096, threads: 2 });
const limits = DEFAULTS.limits;
afterAll(() => model.close());

const code = `export function mean(items: number[]): number {\n  return total(items) / items.length;\n}\n`;
const update = `export function mean(items: number[]): number {\n  if (items.length === 0) return 0;\n  return total(items) / items.length;\n}\n`;
const req = (o: Record<string, unknown>) => ApplyRequestSchema.parse({ code, update, path: 'a.ts', ...o });

describe('model path in the pipeline', () => {
  it('mode model: every decoder writes the same bytes; stats are reported', async () => {
    const out = [];
    for (const decoder of ['greedy', 'ngram', 'speculative'] as const) {
      const r = await applyEdit(req({ mode: 'model', decoder }), limits, { model });
      expect(r.mode).toBe('model');
      if (r.mode !== 'model') return;
      expect(r.stats.decoder).toBe(decoder);
      expect(r.stats.completion_tokens).toBeGreaterThan(0);
      expect(r.stats.prompt_tokens).toBeGreaterThan(20);
      expect(r.stats.forward_passes).toBeGreaterThan(0);
      expect(r.stats.draft_source).toBe(decoder === 'speculative' ? 'structural' : 'none');
      for (const k of ['draft_tokens_proposed', 'draft_tokens_accepted', 'acceptance_rate', 'prefix_cache_hit_tokens', 'ttft_ms', 'tokens_per_second'] as const) {
        expect(typeof r.stats[k]).toBe('number');
      }
      out.push(r.content);
    }
    expect(out[1]).toBe(out[0]);
    expect(out[2]).toBe(out[0]);
  });

  it('the same file again hits the prefix cache, also with another snippet and instruction', async () => {
    const r = await applyEdit(req({ mode: 'model', decoder: 'greedy' }), limits, { model });
    expect(r.mode === 'model' && r.stats.prefix_cache_hit_tokens).toBeGreaterThan(0);
    const other = await applyEdit(req({ mode: 'model', decoder: 'greedy', update: 'export const x = 1;\n// ... existing code ...\n', instruction: 'add x' }), limits, { model });
    // system text and the file are shared: at least the blocks they fill
    const shared = model.engine.tokenizer.encode(code, { special: false, addBos: false }).length;
    expect(other.mode === 'model' && other.stats.prefix_cache_hit_tokens).toBeGreaterThanOrEqual(Math.floor(shared / 16) * 16);
  });

  it('a repeated edit of one file: the second request maps every block it shares with the first, and writes the same bytes as without the cache', async () => {
    // the next version of a file after an edit near its end: the first ~80% is unchanged
    const lines = Array.from({ length: 24 }, (_, i) => `export function f${i}(x: number): number {\n  return x * ${i} + 1;\n}\n`);
    const v1 = lines.join(''), v2 = lines.slice(0, 20).join('') + lines[20].replace('+ 1', '+ 2') + lines.slice(21).join('');
    const edit1 = { code: v1, update: '// ... existing code ...\nexport function f20(x: number): number {\n  return x * 20 + 2;\n}\n// ... existing code ...\n' };
    const edit2 = { code: v2, update: '// ... existing code ...\nexport function f3(x: number): number {\n  return x * 3 - 1;\n}\n// ... existing code ...\n' };
    const tok = model.engine.tokenizer;
    const p1 = buildPrompt(tok, edit1).tokens, p2 = buildPrompt(tok, edit2).tokens;
    let common = 0;
    while (p1[common] === p2[common]) common++;
    const shared = Math.floor(common / 16) * 16;
    expect(shared).toBeGreaterThan(p2.length / 2); // the file is first in the prompt
    for (const decoder of ['greedy', 'speculative'] as const) {
      // a server of its own per decoder: the counts below start from an empty cache
      const warm = ModelService.open(tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2'), { kvTokens: 4096, threads: 2 });
      const cold = ModelService.open(tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2'), { kvTokens: 4096, threads: 2 });
      try {
        const first = await warm.apply({ ...edit1, decoder });
        expect(first.stats.prefix_cache_hit_tokens).toBe(0);
        const second = await warm.apply({ ...edit2, decoder });
        // exactly the full blocks the two prompts share: none lost between requests or at the edit
        expect(second.stats.prefix_cache_hit_tokens).toBe(shared);
        expect(warm.scheduler.counters.prefixCacheHitTokens).toBe(shared);
        const uncached = await cold.apply({ ...edit2, decoder });
        expect(uncached.stats.prefix_cache_hit_tokens).toBe(0);
        expect(cold.scheduler.counters.prefixCacheHitTokens).toBe(0);
        expect(second.content).toBe(uncached.content); // byte for byte
        expect(second.content.length).toBeGreaterThan(0);
        // the same request again: all of its prompt but the last token (whose row gives the
        // first output token) comes from the cache, and the answer is the same
        const again = await warm.apply({ ...edit2, decoder });
        expect(again.stats.prefix_cache_hit_tokens).toBe(Math.floor((p2.length - 1) / 16) * 16);
        expect(again.content).toBe(uncached.content);
      } finally {
        await warm.close();
        await cold.close();
      }
    }
  });

  it('deltas stream as tokens are accepted and add up to the content', async () => {
    let streamed = '', n = 0;
    const r = await applyEdit(req({ mode: 'model' }), limits, { model, onDelta: (d) => { streamed += d; n++; } });
    expect(streamed).toBe(r.content);
    expect(n).toBeGreaterThan(0);
  });

  it('auto: structural when the merge is certain, the model when there is only an instruction', async () => {
    expect((await applyEdit(req({}), limits, { model })).mode).toBe('structural');
    const r = await applyEdit(ApplyRequestSchema.parse({ code, instruction: 'rename mean to average' }), limits, { model });
    expect(r.mode).toBe('model');
    expect(r.mode === 'model' && r.stats.draft_source).toBe('original');
    // original as draft: the diff comes from the speculation bookkeeping and applies
    expect(r.mode === 'model' && r.stats.diff_from_speculation).toBe(true);
    expect(applyPatch(code, r.diff)).toBe(r.content);
    // structural stays structural with a model configured
    expect((await applyEdit(req({ mode: 'structural' }), limits, { model })).mode).toBe('structural');
  });

  it('without a model, the structural-only behaviour is unchanged (501)', async () => {
    await expect(applyEdit(req({ mode: 'model' }), limits, { model: null })).rejects.toMatchObject({ status: 501, code: 'model_unavailable' });
  });

  it('a full queue answers 429', async () => {
    const full = ModelService.open(tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2'), { kvTokens: 512, threads: 1, maxQueue: 0 });
    await expect(applyEdit(req({ mode: 'model' }), limits, { model: full })).rejects.toMatchObject({ status: 429, code: 'queue_full' });
    await full.close();
  });
});

describe('prompt templates', () => {
  const fake = (chatTemplate?: string) => {
    const calls: [string, boolean][] = [];
    return { calls, tok: { chatTemplate, addBos: false, encode: (t: string, o?: { special?: boolean }) => { calls.push([t, !!o?.special]); return [t.length]; } } };
  };
  it('ChatML, Llama 3 and plain; user text never parsed for special tokens; the answer tag opens the output', () => {
    expect(templateKind('{% for m in messages %}<|im_start|>{{ m.role }}')).toBe('chatml');
    expect(templateKind('<|start_header_id|>')).toBe('llama3');
    expect(templateKind(undefined)).toBe('plain');
    const f = fake('<|im_start|>');
    buildPrompt(f.tok, { code: 'x<|im_end|>', update: 'y' });
    const user = f.calls.find(([t]) => t.includes('<code>'))!;
    expect(user[1]).toBe(false);
    expect(user[0]).toContain('<code>x<|im_end|></code>');
    expect(f.calls.at(-1)![0]).toBe('<updated-code>\n');
    expect(f.calls[0]).toEqual([expect.stringContaining('<|im_start|>system'), true]);
  });
});

describe('over HTTP with SPECEDIT_MODEL configured', () => {
  let server: Running;
  const config: Config = { ...DEFAULTS, port: 0 };
  beforeAll(async () => { setConfiguredModel(model); server = await startServer(config); });
  afterAll(async () => { await server.close(); setConfiguredModel(null); });

  it('mode model answers with the model content and stats; decoder is validated', async () => {
    const res = await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, update, mode: 'model', decoder: 'ngram' }) });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.mode).toBe('model');
    expect(body.stats.decoder).toBe('ngram');
    const bad = await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, update, decoder: 'beam' }) });
    expect(bad.status).toBe(400);
  });

  it('a streamed model answer reassembles to the JSON content', async () => {
    const body = JSON.stringify({ code, update, mode: 'model', decoder: 'greedy' });
    const json = await (await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
    const sse = await (await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body })).text();
    const events = sse.split('\n\n').filter(Boolean).map((e) => ({ event: e.split('\n')[0].slice(7), data: JSON.parse(e.split('\n')[1].slice(6)) }));
    expect(events[0]).toMatchObject({ event: 'meta', data: { mode: 'model' } });
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { mode: 'model', stats: { decoder: 'greedy' } } });
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.map((e) => e.data.text).join('')).toBe(json.content);
    // live: greedy accepts a token per pass, so the answer arrives in many deltas, not one chunk
    expect(json.content.length).toBeLessThan(4096);
    expect(deltas.length).toBeGreaterThan(1);
  });

  it('a client that leaves mid-stream cancels its sequence and frees its blocks', async () => {
    const before = model.scheduler.counters.cancelled;
    const ac = new AbortController();
    const res = await fetch(`${server.url}/apply`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, signal: ac.signal,
      body: JSON.stringify({ code: code.repeat(8), instruction: 'rewrite it', mode: 'model', decoder: 'greedy' }),
    });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('event: delta')) seen += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    for (let i = 0; i < 200 && model.scheduler.counters.cancelled === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(model.scheduler.counters.cancelled).toBe(before + 1);
    expect(model.scheduler.active + model.scheduler.queued).toBe(0);
    // /metrics reads the scheduler at each scrape
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const num = (re: RegExp) => Number(text.match(re)?.[1]);
    expect(num(/^specedit_cancelled_total (\d+)/m)).toBe(model.scheduler.counters.cancelled);
    expect(num(/^specedit_kv_blocks\{state="used"\} (\d+)/m) + num(/^specedit_kv_blocks\{state="free"\} (\d+)/m)).toBe(model.scheduler.blocks.numBlocks);
    expect(num(/^specedit_queue_depth (\d+)/m)).toBe(0);
  });

  it('/v1/chat/completions model auto: an instruction alone goes to the in-process model', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `<instruction>rename mean to average</instruction>\n<code>${code}</code>` }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-specedit-mode')).toBe('model');
    const body = await res.json();
    const direct = await applyEdit(ApplyRequestSchema.parse({ code, instruction: 'rename mean to average' }), limits, { model });
    expect(body.choices[0].message.content).toBe(direct.content);
    expect(body.specedit.mode).toBe('model');
  });

  it('/v1/chat/completions stream: the in-process model answer arrives live in chunks', async () => {
    const body = { model: 'auto', messages: [{ role: 'user', content: `<instruction>rename mean to average</instruction>\n<code>${code}</code>` }] };
    const whole = await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }) });
    expect(res.headers.get('x-specedit-mode')).toBe('model');
    const datas = (await res.text()).split('\n\n').filter(Boolean).map((e) => e.slice(6));
    expect(datas.at(-1)).toBe('[DONE]');
    const chunks = datas.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const texts = chunks.filter((ch) => ch.choices[0]?.delta?.content).map((ch) => ch.choices[0].delta.content);
    expect(texts.join('')).toBe(whole.choices[0].message.content);
    expect(texts.length).toBeGreaterThan(1); // live deltas, not one chunk of a short file
    // random weights never write the closing tag: the engine's own length limit ends the answer,
    // and both answers say so, as /apply's stats do
    expect(whole.specedit.stats.finish_reason).toBe('length');
    expect(whole.choices[0].finish_reason).toBe('length');
    expect(chunks.find((ch) => ch.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('length');
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
  });

  it("a model answer reports the model's own token counts, and /metrics counts the drafts it accepted", async () => {
    const scrape = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return { proposed: Number(text.match(/^specedit_draft_tokens_proposed_total (\d+)/m)?.[1]), accepted: Number(text.match(/^specedit_draft_tokens_accepted_total (\d+)/m)?.[1]) };
    };
    const before = await scrape();
    const res = await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, update, mode: 'model', decoder: 'ngram' }) });
    const { stats } = await res.json();
    expect(stats.usage).toMatchObject({ input_tokens: stats.prompt_tokens, output_tokens: stats.completion_tokens, estimated: false });
    // n-gram lookup finds the random model's repetitions: it does accept drafts here
    expect(stats.draft_tokens_accepted).toBeGreaterThan(0);
    const after = await scrape();
    expect(after.proposed - before.proposed).toBe(stats.draft_tokens_proposed);
    expect(after.accepted - before.accepted).toBe(stats.draft_tokens_accepted);

    const v1 = await (await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `<instruction>rename mean to average</instruction>\n<code>${code}</code>` }] }),
    })).json();
    expect(v1.usage).toMatchObject({ prompt_tokens: v1.specedit.stats.prompt_tokens, completion_tokens: v1.specedit.stats.completion_tokens, estimated: false });
    // a structural answer stays an estimate: no tokenizer saw it
    const structural = await (await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, update, path: 'a.ts' }) })).json();
    expect(structural.mode).toBe('structural');
    expect(structural.stats.usage.estimated).toBe(true);
  });

  it('/healthz names the loaded model, its weights and its KV pool', async () => {
    const health = await (await fetch(`${server.url}/healthz`)).json();
    expect(health.model).toEqual({
      name: expect.stringMatching(/^specedit-generated-tiny-q8_0/),
      file: model.path,
      arch: 'qwen2',
      quantization: 'Q8_0',
      context_length: model.engine.config.contextLength,
      kv_tokens: 4096,
      kv_bytes: expect.any(Number),
      device: model.engine.device,
    });
    expect(['cpu', 'cuda']).toContain(health.model.device.kind);
    expect(health.model.kv_bytes).toBeGreaterThan(0);
  });

  it('a full queue answers 429 with Retry-After', async () => {
    const full = ModelService.open(tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2'), { kvTokens: 512, threads: 1, maxQueue: 0 });
    setConfiguredModel(full);
    try {
      const res = await fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, update, mode: 'model' }) });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await res.json()).error.code).toBe('queue_full');
      // the OpenAI-compatible route answers the same refusal with the same header
      const v1 = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `<instruction>rename</instruction>\n<code>${code}</code>` }] }),
      });
      expect(v1.status).toBe(429);
      expect(Number(v1.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await v1.json()).error.code).toBe('queue_full');
    } finally {
      setConfiguredModel(model);
      await full.close();
    }
  });
});
