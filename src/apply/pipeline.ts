// The apply pipeline: validate limits, pick the language and the merge path, merge, diff.
// The server and the CLI both call applyEdit; a model path plugs in beside the structural one.
import { performance } from 'node:perf_hooks';
import type { Limits } from '../config.js';
import { detectLanguage, GENERIC, isKnownLanguageName, languages } from '../languages/registry.js';
import { cleanUpdate } from '../structural/normalise.js';
import { quote } from '../clip.js';
import { unifiedDiff } from './diff.js';
import { ApplyError } from './errors.js';
import type { ApplyRequest } from './schema.js';
import { inThread, type StructuralRunner } from './structural-step.js';
import { configuredModel, type ModelApplyStats, type ModelService } from './model.js';

export interface ApplyStats {
  time_ms: number;
  merge_ms: number;
  strategy: string;
  confidence: number;
  segments: number;
  markers: number;
  definition_anchors: number;
  lines_added: number;
  lines_deleted: number;
  syntax_checked: boolean;
  syntax_errors_before: number;
  syntax_errors_after: number;
  note?: string;
}

export type ApplyResult =
  | { content: string; diff: string; mode: 'structural'; language: string; stats: ApplyStats }
  | { content: string; diff: string; mode: 'model'; language: string; stats: ModelApplyStats & { time_ms: number; structural_refusal?: string } };

export interface ApplyOptions {
  /** the in-process model (default: SPECEDIT_MODEL's); null: none */
  model?: ModelService | null;
  /** model path: text as the engine accepts it */
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
  /** where the structural step runs: this thread (default) or a merge pool */
  structural?: StructuralRunner;
}

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function checkLimits(req: ApplyRequest, limits: Limits): void {
  const code = utf8Bytes(req.code);
  if (code > limits.codeBytes) {
    throw new ApplyError(413, 'code_too_large', `code is ${code} bytes; the limit is ${limits.codeBytes}.`, { bytes: code, limit: limits.codeBytes });
  }
  for (const field of ['update', 'instruction'] as const) {
    const v = req[field];
    if (v !== undefined && utf8Bytes(v) > limits.updateBytes) {
      throw new ApplyError(413, `${field}_too_large`, `${field} is ${utf8Bytes(v)} bytes; the limit is ${limits.updateBytes}.`, {
        bytes: utf8Bytes(v),
        limit: limits.updateBytes,
      });
    }
  }
}

export async function applyEdit(req: ApplyRequest, limits: Limits, o: ApplyOptions = {}): Promise<ApplyResult> {
  const t0 = performance.now();
  checkLimits(req, limits);
  if (req.language && !isKnownLanguageName(req.language)) {
    throw new ApplyError(422, 'unsupported_language', `Language ${quote(req.language)} is not supported.`, {
      supported: [...languages.keys()],
    });
  }
  const model = req.mode === 'structural' ? null : o.model !== undefined ? o.model : configuredModel();
  if (!model && (req.mode === 'model' || req.update === undefined)) {
    throw new ApplyError(501, 'model_unavailable', req.update === undefined
      ? 'An instruction without an update snippet needs a model backend, and none is configured.'
      : 'mode "model" needs a model backend, and none is configured.');
  }
  const language = detectLanguage(req) ?? GENERIC;
  if (req.update === undefined) return viaModel(model!, req, language.id, t0, o);
  const step = await (o.structural ?? inThread)(
    { code: req.code, update: req.update, language: language.id, path: req.path, lineHints: req.line_hints },
    o.signal,
  );
  if (!step.ok) {
    // auto: the structural merge was not certain, so the model writes the file
    if (model) return viaModel(model, req, language.id, t0, o, undefined, step.code);
    throw new ApplyError(422, step.code, step.message, step.details);
  }
  const merged = step.merged;
  // mode model: the structural answer is the model's draft (it already holds the new lines)
  if (model && req.mode === 'model') return viaModel(model, req, language.id, t0, o, merged.content);
  return {
    content: merged.content,
    diff: step.diff,
    mode: 'structural',
    language: language.id,
    stats: {
      time_ms: round(performance.now() - t0),
      merge_ms: round(step.mergeMs),
      strategy: merged.strategy,
      confidence: merged.confidence,
      segments: merged.segments,
      markers: merged.markers,
      definition_anchors: merged.definitionAnchors,
      lines_added: merged.linesAdded,
      lines_deleted: merged.linesDeleted,
      syntax_checked: merged.syntax.checked,
      syntax_errors_before: merged.syntax.errorsBefore,
      syntax_errors_after: merged.syntax.errorsAfter,
      ...(merged.syntax.checked ? {} : { note: language.note ?? 'no grammar: merged line-based without syntax validation' }),
    },
  };
}

async function viaModel(model: ModelService, req: ApplyRequest, language: string, t0: number, o: ApplyOptions, candidate?: string, refusal?: string): Promise<ApplyResult> {
  const r = await model.apply({
    code: req.code, instruction: req.instruction, candidate,
    update: req.update === undefined ? undefined : cleanUpdate(req.update, req.code, detectLanguage(req) ?? GENERIC),
    decoder: req.decoder ?? 'speculative', path: req.path, onDelta: o.onDelta, signal: o.signal,
  });
  return {
    content: r.content,
    diff: r.diff ?? unifiedDiff(req.path, req.code, r.content),
    mode: 'model',
    language,
    stats: { time_ms: round(performance.now() - t0), ...r.stats, ...(refusal ? { structural_refusal: refusal } : {}) },
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;
