// The in-process model path of /apply: a GGUF model on the native engine behind the
// continuous-batching scheduler. The decoder is chosen per request; speculative edits use
// the structural candidate (when the structural merge produced one) or the original file as
// the main draft, and the update snippet as the second.
import { basename } from 'node:path';
import { Engine } from '../engine/engine.js';
import { describeDevice, type DeviceInfo, type DeviceRequest } from '../engine/device.js';
import { getMeta } from '../engine/gguf.js';
import { typeName } from '../engine/ggml-types.js';
import { Scheduler, QueueFullError, CancelledError } from '../decode/scheduler.js';
import { makeProposer, SpecEditsProposer, type DecodeStats, type DecoderName } from '../decode/index.js';
import { scriptDiff } from '../decode/edit-script.js';
import { buildPrompt, CLOSE_TAG, draftAnswer, type TemplateKind } from './prompt.js';
import { ApplyError } from './errors.js';

export interface ModelOptions {
  /** KV pool in tokens (default 16384, SPECEDIT_KV_TOKENS) */
  kvTokens?: number;
  threads?: number;
  maxBatchTokens?: number;
  maxQueue?: number;
  maxRunning?: number;
  /** 'auto' | 'cpu' | 'cuda' (default SPECEDIT_DEVICE, else auto) */
  device?: DeviceRequest;
}

export interface ModelApplyInput {
  code: string;
  update?: string;
  instruction?: string;
  /** the structural merge's answer, a better draft than the original when there is one */
  candidate?: string;
  decoder: DecoderName;
  /** for the diff headers */
  path?: string;
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
}

export interface ModelApplyStats extends DecodeStats {
  finish_reason: 'stop' | 'length';
  draft_source: 'structural' | 'original' | 'none';
  template: TemplateKind;
  /** the diff came from the speculation bookkeeping (original as draft), not a diff algorithm */
  diff_from_speculation: boolean;
}

export interface ModelDescription {
  /** GGUF general.name, else the file's name */
  name: string;
  file: string;
  arch: string;
  /** the tensor type most weight bytes are in (Q8_0, Q4_K, F16, ...) */
  quantization: string;
  context_length: number;
  kv_tokens: number;
  kv_bytes: number;
  /** where the engine runs: { kind: 'cuda', name, capability, memory } or { kind: 'cpu', isa, reason } */
  device: DeviceInfo;
}

/** "qwen2.5-coder (qwen2, Q8_0, KV 16384 tokens / 192 MiB) on cpu avx512 (GPU not used: no driver)", for a log line. */
export function describeModel(d: ModelDescription): string {
  return `${d.name} (${d.arch}, ${d.quantization}, KV ${d.kv_tokens} tokens / ${Math.round(d.kv_bytes / 2 ** 20)} MiB) on ${describeDevice(d.device)}`;
}

export class ModelService {
  private constructor(readonly path: string, readonly engine: Engine, readonly scheduler: Scheduler) {}

  static open(path: string, o: ModelOptions = {}): ModelService {
    const kvTokens = o.kvTokens ?? 16384;
    const engine = Engine.open(path, { numBlocks: Math.ceil(kvTokens / 16), threads: o.threads, device: o.device });
    const scheduler = new Scheduler(engine, { maxBatchTokens: o.maxBatchTokens, maxQueue: o.maxQueue, maxRunning: o.maxRunning });
    return new ModelService(path, engine, scheduler);
  }

  async apply(i: ModelApplyInput): Promise<{ content: string; diff?: string; stats: ModelApplyStats }> {
    const tok = this.engine.tokenizer;
    const prompt = buildPrompt(tok, i);
    const main = i.candidate ?? i.code;
    const drafts = [draftAnswer(main), ...(i.update !== undefined ? [i.update] : [])];
    // room for the whole file twice over plus the snippet: a rewrite rarely grows more, and
    // the KV pool bounds it anyway
    const pool = this.scheduler.blocks.numBlocks * this.scheduler.blocks.blockSize;
    const want = 2 * tok.encode(main, { special: false, addBos: false }).length + (i.update ? tok.encode(i.update, { special: false, addBos: false }).length : 0) + 64;
    const maxTokens = Math.min(want, pool - prompt.tokens.length, this.engine.config.contextLength - prompt.tokens.length);
    if (maxTokens < 1) throw new ApplyError(413, 'prompt_too_long', `The prompt is ${prompt.tokens.length} tokens; the model's context and KV cache hold ${Math.min(pool, this.engine.config.contextLength)}.`);
    const proposer = makeProposer({ decoder: i.decoder, tokenizer: tok, drafts });
    let r;
    try {
      r = await this.scheduler.submit(prompt.tokens, proposer, {
        maxTokens, stopText: CLOSE_TAG, stopTokens: tok.eos !== undefined ? [tok.eos] : [], onDelta: i.onDelta, signal: i.signal,
      });
    } catch (e) {
      if (e instanceof QueueFullError) throw new ApplyError(429, 'queue_full', 'The model queue is full; retry later.', { retry_after_s: e.retryAfterS });
      if (e instanceof CancelledError) throw new ApplyError(400, 'cancelled', 'The request was cancelled.');
      throw e;
    }
    // with the original as the draft, the bookkeeping already is the diff; it is used only when
    // it rebuilds both files exactly (else the caller diffs the two files)
    let diff: string | undefined;
    if (proposer instanceof SpecEditsProposer && i.candidate === undefined) {
      const script = proposer.edits.clip(i.code.length, r.text.length, i.code);
      if (script.oldText() === i.code && script.newText() === r.text) diff = scriptDiff(i.path, script);
    }
    return {
      content: r.text,
      diff,
      stats: {
        ...r.stats,
        finish_reason: r.finishReason,
        draft_source: i.decoder !== 'speculative' ? 'none' : i.candidate !== undefined ? 'structural' : 'original',
        template: prompt.kind,
        diff_from_speculation: diff !== undefined,
      },
    };
  }

  /** What /healthz and the startup line say of the model: which one, its weights, its KV pool. */
  describe(): ModelDescription {
    const g = this.engine.gguf;
    const name = getMeta(g, 'general.name');
    // the type most weight bytes are in: a Q4_K_M file is mostly Q4_K, with Q6_K and Q5_0 rows
    const bytes = new Map<string, number>();
    for (const t of g.tensors) if (t.dims.filter((d) => d > 1).length >= 2) bytes.set(typeName(t.type), (bytes.get(typeName(t.type)) ?? 0) + t.size);
    const quantization = [...bytes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
    const b = this.scheduler.blocks;
    return {
      name: typeof name === 'string' && name ? name : basename(this.path),
      file: this.path,
      arch: this.engine.config.arch,
      quantization,
      context_length: this.engine.config.contextLength,
      kv_tokens: b.numBlocks * b.blockSize,
      kv_bytes: this.engine.info().kvBytes,
      device: this.engine.device,
    };
  }

  /** What /metrics reports of the engine (specedit_queue_depth, specedit_kv_blocks, specedit_preemptions_total, specedit_cancelled_total). */
  gauges(): { queued: number; running: number; kvBlocksUsed: number; kvBlocksFree: number; preemptions: number; cancelled: number } {
    const b = this.scheduler.blocks;
    const c = this.scheduler.counters;
    return { queued: this.scheduler.queued, running: this.scheduler.active, kvBlocksUsed: b.numBlocks - b.numFree, kvBlocksFree: b.numFree, preemptions: c.preemptions, cancelled: c.cancelled };
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

let fromEnv: ModelService | null | undefined;

/** The model named by SPECEDIT_MODEL (opened on first use), or one set by the CLI or a test. */
export function configuredModel(): ModelService | null {
  if (fromEnv === undefined) {
    const path = process.env.SPECEDIT_MODEL;
    fromEnv = path ? openModel(path) : null;
  }
  return fromEnv;
}

/** A model with the KV pool SPECEDIT_KV_TOKENS asks for. */
export function openModel(path: string): ModelService {
  const kv = Number(process.env.SPECEDIT_KV_TOKENS);
  return ModelService.open(path, { kvTokens: Number.isFinite(kv) && kv > 0 ? kv : undefined });
}

/** The model already open, if any (never opens one: a metrics scrape must not load a model). */
export function openedModel(): ModelService | null {
  return fromEnv ?? null;
}

export function setConfiguredModel(m: ModelService | null): void {
  fromEnv = m;
}
