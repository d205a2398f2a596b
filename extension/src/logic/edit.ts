// From the merged file to the smallest single replacement of the document, and offsets to
// line/character positions (what a WorkspaceEdit takes). One replacement = one undo step.
import type { DocSnapshot, Position, Replacement } from './host.js';

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The changed middle: common prefix and suffix kept, never splitting \r\n or a surrogate pair. */
export function minimalReplacement(before: string, after: string): Replacement | undefined {
  if (before === after) return undefined;
  let p = 0;
  const max = Math.min(before.length, after.length);
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s)) s++;
  const safe = (t: string, i: number) => i > 0 && i < t.length && ((t[i - 1] === '\r' && t[i] === '\n') || (isHigh(t.charCodeAt(i - 1)) && isLow(t.charCodeAt(i))));
  while (p > 0 && (safe(before, p) || safe(after, p))) p--;
  while (s > 0 && (safe(before, before.length - s) || safe(after, after.length - s))) s--;
  return { start: p, end: before.length - s, text: after.slice(p, after.length - s) };
}

/** A UTF-16 offset as a VS Code position (lines end at \n; a \r before it belongs to the line's end). */
export function positionAt(text: string, offset: number): Position {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}

/** Apply a replacement to text (what VS Code will do with the WorkspaceEdit). */
export function applyReplacement(text: string, r: Replacement): string {
  return text.slice(0, r.start) + r.text + text.slice(r.end);
}

/** Is the document still what the proposal was computed from? */
export function isStale(snapshot: Pick<DocSnapshot, 'version' | 'text'>, now: Pick<DocSnapshot, 'version' | 'text'> | undefined): boolean {
  if (!now) return true;
  if (now.version === snapshot.version) return false;
  // Undo back to the same text bumps the version without changing anything: still good.
  return now.text !== snapshot.text;
}
