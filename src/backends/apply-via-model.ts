// POST /apply on the model path: the request becomes an apply-format chat message sent to a backend
// (non-streaming, temperature 0, the original code as `prediction` where the backend takes one);
// the answer's text is the merged file.
import type { ApplyRequest } from '../apply/schema.js';
import { formatApplyMessage } from '../openai/apply-message.js';
import { HttpError } from '../server/errors.js';
import { detectLanguage, GENERIC } from '../languages/registry.js';
import { cleanUpdate } from '../structural/normalise.js';
import { clip } from '../clip.js';
import type { Router } from './router.js';

export interface ModelApply {
  content: string;
  backend: string;
  attempts: number;
  usage?: { prompt_tokens?: number; completion_tokens?: number; completion_tokens_details?: { accepted_prediction_tokens?: number; rejected_prediction_tokens?: number } };
}

/** A model that wraps the file in one ``` fence gets it removed; anything else is kept as answered. */
export function stripFence(text: string): string {
  const m = /^```[\w.+-]*\r?\n([^]*\n)```\s*$/.exec(text);
  return m && !m[1].includes('\n```') ? m[1] : text;
}

export async function applyViaModel(router: Router, model: string, req: ApplyRequest, signal: AbortSignal): Promise<ModelApply> {
  const update = req.update === undefined ? undefined : cleanUpdate(req.update, req.code, detectLanguage(req) ?? GENERIC);
  const message = formatApplyMessage({ code: req.code, update, instruction: req.instruction });
  const routed = await router.send(
    model,
    'chat/completions',
    (backend, upstreamModel) => ({
      model: upstreamModel,
      messages: [{ role: 'user', content: message }],
      temperature: 0,
      stream: false,
      ...(backend.sendPrediction ? { prediction: { type: 'content', content: req.code } } : {}),
    }),
    signal,
    { buffer: true },
  );
  const text = await routed.response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(502, 'bad_upstream_response', `Backend ${routed.backend.name} answered HTTP ${routed.response.status} with a body that is not JSON.`);
  }
  if (!routed.response.ok) {
    const err = json?.error ?? {};
    throw new HttpError(502, 'upstream_error', `Backend ${routed.backend.name} answered HTTP ${routed.response.status}: ${typeof err.message === 'string' ? clip(err.message, 200) : 'no message'}`, {
      backend: routed.backend.name,
      upstream_status: routed.response.status,
      upstream_code: err.code ?? null,
    });
  }
  const content = json?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new HttpError(502, 'bad_upstream_response', `Backend ${routed.backend.name} answered without message content.`);
  return { content: stripFence(content), backend: routed.backend.name, attempts: routed.attempts, usage: json.usage };
}
