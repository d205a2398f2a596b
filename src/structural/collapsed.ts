// Definitions a snippet collapses to one line with a marker for a body: `push(item: T): void { ... }`,
// `.btn { /* unchanged */ }`, `def get(self, key): ...`. Models write them for "this one as it
// was" when they show a class around the member they change. Read literally, the line empties the
// body, and no marker line is left for any later check to see. Where the file has that definition
// with a body of its own, the line stands for that definition as it is: it is written out in full.
import type { Language } from '../languages/registry.js';
import { indentColumns } from './indent.js';
import { isBlank } from './lines.js';
import { isMarkerLine } from './markers.js';
import { leadingWhitespace } from './text.js';

/** `header { body }` on one line, `,` or `;` after it allowed (an object's method, a C++ class's). */
const BRACED = /^(\s*)(\S.*?)\s*\{\s*(\S.*?)\s*\}\s*[,;]?$/;
/** `def f(...) -> T: body` or `class C: body`; the last `:` whose rest is a body. */
const PY_HEADER = /^(\s*)((?:async\s+def|def|class)\b.*):[ \t]*(\S.*)$/;
const ELLIPSIS = /^(?:\.{3}|…)$/;

const squash = (l: string) => l.trim().replace(/\s+/g, ' ');

/** A marker standing for a whole body: an ellipsis, or a comment that reads as a marker. */
function bodyMarker(body: string, lang: Language): boolean {
  if (ELLIPSIS.test(body)) return true;
  if (lang.id === 'python') body = body.replace(/^pass\s*(?=#)/, '');
  return /^(?:\/\*|#|<!--)/.test(body) && isMarkerLine(body, lang);
}

/** The line `header` opens in the file, each copy with a body of its own: [header row, last row] (a brace block's closing line, a Python body's last line). */
function ownBodies(header: string, original: string[], python: boolean): [number, number][] | null {
  const copies: [number, number][] = [];
  for (let o = 0; o < original.length; o++) {
    if (squash(original[o]) !== squash(header)) continue;
    const depth = indentColumns(original[o]);
    let k = o + 1;
    while (k < original.length && isBlank(original[k])) k++;
    // (a body of its own: indented under the header, and not Python's `...` stub)
    if (k >= original.length || indentColumns(original[k]) <= depth) return null;
    if (python && original[k].trim() === '...') return null;
    // (the body runs to the first line back at the header's depth: a brace block's `}`; in Python the
    // body ends on its last non-blank line, and blank lines after it are the file's)
    let c = k;
    while (c < original.length && (isBlank(original[c]) || indentColumns(original[c]) > depth)) c++;
    if (python) {
      while (isBlank(original[c - 1])) c--;
      copies.push([o, c - 1]);
      continue;
    }
    if (c >= original.length || !original[c].trim().startsWith('}')) return null;
    copies.push([o, c]);
  }
  return copies.length > 0 ? copies : null;
}

/** The snippet with each collapsed definition the file has in full written out as the file has it. */
export function expandCollapsed(lines: string[], lang: Language, original: string[]): string[] {
  const python = lang.id === 'python';
  // (built only for a line that reads as collapsed: most snippets have none)
  let own: Set<string> | null = null;
  const out: string[] = [];
  for (const line of lines) {
    let m = python ? PY_HEADER.exec(line) : BRACED.exec(line);
    if (m && !bodyMarker(m[3], lang)) m = null;
    // (a line the file has is its own: a Protocol's `def get(self) -> int: ...` stub)
    if (m && (own ??= new Set(original.map(squash))).has(squash(line))) m = null;
    const header = m && (python ? `${m[2]}:` : `${m[2]} {`);
    const copies = m ? ownBodies(header!, original, python) : null;
    // (copies that differ leave the line as written: which one it stands for, the line cannot say)
    const texts = copies && new Set(copies.map(([a, b]) => original.slice(a, b + 1).map((l) => l.trim()).join('\n')));
    if (!m || !copies || texts!.size !== 1) {
      out.push(line);
      continue;
    }
    // The definition as the file has it, at the snippet's indentation: its own lines anchor the
    // lines around it as well as any context would.
    const [o, e] = copies[0];
    const base = leadingWhitespace(original[o]);
    for (const l of original.slice(o, e + 1)) out.push(isBlank(l) ? '' : m[1] + (l.startsWith(base) ? l.slice(base.length) : l.trimStart()));
  }
  return out;
}
