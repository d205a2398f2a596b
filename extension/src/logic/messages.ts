// What the user is told when a request does not give a merge: a clear sentence and the actions
// that can fix it (retry, open settings, set the API key, see the service's details).
import type { ApplyFailure, ApplyMode } from '../../../src/client/apply-client.js';
import { candidatePlaces, formatDetails, quotedLines } from './details.js';
import { ACTION, type Action } from './host.js';

export interface UserMessage {
  message: string;
  actions: Action[];
  /** Longer text for "Show Details" (the output channel): quoted lines verbatim, the service's error as JSON. */
  details?: string;
}

/** What the failed request asked for: the advice depends on it (mode cannot help an instruction). */
export interface FailureContext {
  file: string;
  serverUrl: string;
  timeoutSeconds: number;
  input: 'update' | 'instruction';
  mode: ApplyMode;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// No snippet text in these sentences: a notification collapses whitespace, so an indented line
// would read as something it is not. The lines go to Show Details (the output channel) verbatim.
function refusal(f: ApplyFailure, file: string): string {
  const head = `specedit refused to merge into ${file} (${f.code})`;
  if (f.code === 'no_anchor') {
    const n = quotedLines(f.details).filter((t) => t.trim() !== '').length;
    if (n > 0) {
      return `${head}: ${plural(n, 'snippet line')} ${n === 1 ? 'matches' : 'match'} nothing in the file (Show Details lists ${n === 1 ? 'it' : 'them'} as written). Add unchanged context lines around the edit, copied from the file.`;
    }
  }
  const places = candidatePlaces(f.details);
  if (f.code === 'ambiguous_anchor' && places.length > 0) {
    return `${head}: the snippet fits ${places.length} places equally (${places.slice(0, 4).join(', ')}). Include a line that only appears at the place you mean, or put the cursor there and retry.`;
  }
  return `${head}: ${f.message}`;
}

const LOAD_A_MODEL = 'start it with a model (specedit serve --model FILE.gguf) or configure a backend model (SPECEDIT_AUTO_FALLBACK_MODEL)';

/** 501: say what is missing (a model on the server); suggest specedit.mode only where it helps. */
function modelUnavailable(f: ApplyFailure, ctx: FailureContext, details: string): UserMessage {
  if (ctx.input === 'instruction') {
    // No mode helps: only a model can turn words into an edit.
    return {
      message: `Editing with an instruction needs a model loaded on the specedit server at ${ctx.serverUrl}, and it has none (${f.code}): ${LOAD_A_MODEL}. Without a model, copy a lazy edit snippet and run "specedit: Apply Edit from Clipboard".`,
      actions: [ACTION.showDetails],
      details,
    };
  }
  if (ctx.mode === 'model') {
    return {
      message: `specedit.mode is "model", which needs a model loaded on the specedit server at ${ctx.serverUrl}, and it has none (${f.code}). Set specedit.mode to "auto" to merge snippets structurally, or ${LOAD_A_MODEL}.`,
      actions: [ACTION.openSettings, ACTION.showDetails],
      details,
    };
  }
  return {
    message: `This edit needs a model loaded on the specedit server at ${ctx.serverUrl}, and it has none (${f.code}): ${LOAD_A_MODEL}.`,
    actions: [ACTION.showDetails],
    details,
  };
}

export function describeFailure(f: ApplyFailure, ctx: FailureContext): UserMessage {
  const details = formatDetails(f, ctx.file);
  switch (f.kind) {
    case 'refused':
      return { message: refusal(f, ctx.file), actions: [ACTION.showDetails], details };
    case 'model_unavailable':
      return modelUnavailable(f, ctx, details);
    case 'rate_limited':
      return {
        message: `The specedit server's rate limit was reached${f.retryAfterS !== undefined ? `; retry in ${f.retryAfterS} s` : ''}. ${f.message}`,
        actions: [ACTION.retry],
        details,
      };
    case 'unauthorized':
      return {
        message: `The specedit server at ${ctx.serverUrl} did not accept the API key (${f.code}): set the key with "specedit: Set API Key".`,
        actions: [ACTION.setApiKey, ACTION.openSettings],
        details,
      };
    case 'unreachable':
      return {
        message: `${f.message} Is the server running (specedit serve)? Check the specedit.serverUrl setting.`,
        actions: [ACTION.retry, ACTION.openSettings],
      };
    case 'timeout':
      return {
        message: `The specedit server at ${ctx.serverUrl} gave no complete answer within ${ctx.timeoutSeconds} s (specedit.timeoutSeconds).`,
        actions: [ACTION.retry, ACTION.openSettings],
      };
    case 'server_error':
      return { message: `The specedit server failed (HTTP ${f.status ?? '5xx'}, ${f.code}): ${f.message}`, actions: [ACTION.retry, ACTION.showDetails], details };
    case 'stream_error':
      return { message: `The answer from the specedit server broke off (${f.code}): ${f.message} Nothing was changed.`, actions: [ACTION.retry, ACTION.showDetails], details };
    case 'bad_response':
      return { message: `${f.message} Check the specedit.serverUrl setting.`, actions: [ACTION.openSettings, ACTION.showDetails], details };
    case 'invalid_request':
      return { message: `The specedit server rejected the request (HTTP ${f.status ?? 400}, ${f.code}): ${f.message}`, actions: [ACTION.showDetails], details };
    case 'cancelled':
      return { message: 'Cancelled.', actions: [] };
  }
}
