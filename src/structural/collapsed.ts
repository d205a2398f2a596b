// Definitions a snippet collapses to one line with a marker for a body: `push(item: T): void { ... }`,
// `.btn { /* unchanged */ }`, `def get(self, key): ...`. Models write them for "this one as it
// was" when they show a class around the member they change. Read literally, the line empties the
// body, and no marker line is left for any later check to see. Where the file has that definition
// with a body of its own, the line is its header, a marker and its closing line: the body stays.
import type { Language } from '../languages/registry.js';
import { indentColumns } from './indent.js';
import { isBlank } from './lines.js';
import { isMarkerLine } from './markers.js';

/** `header { body }` on one line, `,` or `;` after it allowed (an object's method, a C++ class's). */
const BRACED = /^(\s*)(\S.*?)\s*\{\s*(\S.*?)\s*\}\s*[,;]?$/;
/** `def f(...) -> T: body` or `class C: body`; the last `:` whose rest is a body. */
const PY_HEADER = /^(\s*)((?:async\s+def|def|class)\b.*):[ \t]*(\S.*)$/;
const ELLIPSIS = /^(?:\.{3}|…)$/;

const squash = (l: string) => l.trim().replace(/\s+/g, ' ');
const leading = (l: string) => l.slice(0, l.length - l.trimStart().length);

/** A marker standing for a whole body: an ellipsis, or a comment that reads as a marker. */
function bodyMarker(body: string, lang: Language): boolean {
  if (ELLIPSIS.test(body)) return true;
  if (lang.id === 'python') body = body.replace(/^pass\s*(?=#)/, '');
  return /^(?:\/\*|#|<!--)/.test(body) && isMarkerLine(body, lang);
}

/** The line `header` opens in the file, each copy with a body of its own: [header row, closing row] (closing row -1 for Python). */
function ownBodies(header: string, original: string[], python: boolean): [number, number][] | null {
  const copies: [number, number][] = [];
  for (let o = 0; o < original.length; o++) {
    if (squash(original[o]) !== squash(header)) continue;
    const depth = indentColumns(original[o]);
    let k = o + 1;
    while (k < original.length && isBlank(original[k])) k++;
    // (a body of its own: indented under the header, and not Python's `...` stub)
    if (k >= original.length || indentColumns(original[k]) <= depth) return null;
    if (python) {
      if (original[k].trim() === '...') return null;
      copies.push([o, -1]);
      continue;
    }
    let c = k;
    while (c < original.length && (isBlank(original[c]) || indentColumns(original[c]) > depth)) c++;
    if (c >= original.length || !original[c].trim().startsWith('}')) return null;
    copies.push([o, c]);
  }
  return copies.length > 0 ? copies : null;
}

/** The line for a marker in the language's own comment syntax. */
function markerText(lang: Language): string {
  if (lang.line.length > 0) return `${lang.line[0]} ...`;
  if (lang.block.length > 0) return `${lang.block[0][0]} ... ${lang.block[0][1]}`;
  return '...';
}

/** The snippet with each collapsed definition the file has in full written out as header, marker, closing line. */
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
    // (copies that close differently, `}` and `};`, leave the line as written)
    const closes = copies && new Set(copies.map(([, c]) => (c < 0 ? '' : original[c].trim())));
    if (!m || !copies || closes!.size !== 1) {
      out.push(line);
      continue;
    }
    const [o] = copies[0];
    let body = o + 1;
    while (isBlank(original[body])) body++;
    const step = leading(original[body]).startsWith(leading(original[o])) ? leading(original[body]).slice(leading(original[o]).length) : '    ';
    out.push(m[1] + original[o].trim(), m[1] + step + (python ? '...' : markerText(lang)));
    if (!python) out.push(m[1] + [...closes!][0]);
  }
  return out;
}
