// The text "Show Details" writes to the output channel. Notifications collapse whitespace, so
// snippet lines quoted there lost their indentation (often the very reason they matched nothing);
// here they are shown verbatim, one per line, with the service's answer as JSON.
import type { ApplyFailure } from '../../../src/client/apply-client.js';

const GUTTER = '    │ ';

/** Snippet lines the service named (`lines`: strings or {text}; `line`: one string), as written. */
export function quotedLines(details: Record<string, unknown> | undefined): string[] {
  if (!details) return [];
  const raw: unknown[] = Array.isArray(details.lines) ? details.lines : typeof details.line === 'string' ? [details.line] : [];
  return raw.map((l) => (typeof l === 'string' ? l : typeof l === 'object' && l && 'text' in l ? String((l as { text: unknown }).text) : JSON.stringify(l)));
}

/** Places a snippet fits equally ("lines 2-3, lines 7-8"), from details.candidates. */
export function candidatePlaces(details: Record<string, unknown> | undefined): string[] {
  if (!details || !Array.isArray(details.candidates)) return [];
  return details.candidates.map((c) => {
    const o = c as { start_line?: number; end_line?: number };
    return o.start_line !== undefined ? `lines ${o.start_line}${o.end_line !== undefined && o.end_line !== o.start_line ? `-${o.end_line}` : ''}` : JSON.stringify(c);
  });
}

// The output channel scrolls to its end when shown, so the readable part comes last, and the
// service's answer (for a bug report) is one line above it rather than a screenful.
export function formatDetails(f: ApplyFailure, file: string, now = new Date()): string {
  const d = f.details;
  const json = JSON.stringify({ status: f.status, code: f.code, message: f.message, details: d, request_id: f.requestId });
  const out = [`[${now.toISOString()}] ${file}: ${f.code}${f.status !== undefined ? ` (HTTP ${f.status})` : ''}${f.requestId ? `, request ${f.requestId}` : ''}`, `The service answered: ${json}`, f.message];
  const lines = quotedLines(d);
  if (lines.length > 0) {
    const span = Array.isArray(d?.snippet_lines) ? ` (snippet lines ${(d.snippet_lines as number[]).join('-')})` : '';
    out.push(`${f.code === 'no_anchor' ? 'Snippet lines that match nothing in the file' : 'Line'}${span}, as written:`);
    for (const l of lines) out.push(GUTTER + l);
  }
  const places = candidatePlaces(d);
  if (places.length > 0) out.push(`Places it fits equally: ${places.join(', ')}.`);
  out.push('');
  return out.join('\n');
}
