// What the user is told when a request does not give a merge: a clear sentence and the actions
// that can fix it (retry, open settings, set the API key, see the service's details).
import type { ApplyFailure } from '../../../src/client/apply-client.js';
import { ACTION, type Action } from './host.js';

export interface UserMessage {
  message: string;
  actions: Action[];
  /** Longer text for "Show Details" (the service's error as JSON). */
  details?: string;
}

const quote = (s: string) => `"${s.length > 60 ? `${s.slice(0, 57)}...` : s}"`;

function lineTexts(lines: unknown): string[] {
  if (!Array.isArray(lines)) return [];
  return lines.map((l) => (typeof l === 'string' ? l : typeof l === 'object' && l && 'text' in l ? String((l as { text: unknown }).text) : JSON.stringify(l))).filter((t) => t.trim() !== '');
}

function refusal(f: ApplyFailure, file: string): string {
  const d = f.details ?? {};
  const head = `specedit refused to merge into ${file} (${f.code})`;
  if (f.code === 'no_anchor') {
    const lines = lineTexts(d.lines);
    if (lines.length > 0) {
      return `${head}: these snippet lines match nothing in the file: ${lines.slice(0, 4).map(quote).join(', ')}${lines.length > 4 ? ` and ${lines.length - 4} more` : ''}. Add unchanged context lines around the edit, copied from the file.`;
    }
  }
  if (f.code === 'ambiguous_anchor' && Array.isArray(d.candidates)) {
    const where = (d.candidates as unknown[])
      .slice(0, 4)
      .map((c) => {
        const o = c as { start_line?: number; end_line?: number };
        const a = o.start_line;
        const b = o.end_line;
        return a !== undefined ? `lines ${a}${b !== undefined && b !== a ? `-${b}` : ''}` : JSON.stringify(c);
      })
      .join(', ');
    return `${head}: the snippet fits ${(d.candidates as unknown[]).length} places equally (${where}). Include a line that only appears at the place you mean, or put the cursor there and retry.`;
  }
  return `${head}: ${f.message}`;
}

export function describeFailure(f: ApplyFailure, ctx: { file: string; serverUrl: string; timeoutSeconds: number }): UserMessage {
  const details = JSON.stringify({ status: f.status, code: f.code, message: f.message, details: f.details, request_id: f.requestId }, null, 2);
  switch (f.kind) {
    case 'refused':
      return { message: refusal(f, ctx.file), actions: [ACTION.showDetails], details };
    case 'model_unavailable':
      return {
        message: `This edit needs a model backend, and the specedit server at ${ctx.serverUrl} has none configured (${f.code}). Use a lazy snippet instead ("specedit: Apply Edit from Clipboard"), set specedit.mode to "auto" or "structural", or configure a backend on the server.`,
        actions: [ACTION.openSettings],
        details,
      };
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
