// Second edits for `bench:apply --repeat`: an IDE or agent applies another edit to the file the
// first edit produced. Two sources, both from the case data:
//  - next-version: the real-edit set holds the same file's next published edit (a case whose
//    original is byte for byte the first case's expected file): a real second edit.
//  - derived: otherwise, a one-line change elsewhere in the file: a comment line, in the file's
//    own comment syntax, inserted after the unchanged line farthest from the first edit, written
//    as a lazy snippet the way the real-edit set writes them (two context lines either side,
//    `... existing code ...` markers). The second request's prefill does not depend on where
//    the second edit is, only on what the first one changed and on the snippet's length.
import { detectLanguage, GENERIC } from '../src/languages/registry.js';

export interface SecondEdit {
  source: 'next-version' | 'derived';
  /** the next-version case's id, or a description of the derived change */
  id: string;
  update: string;
  instruction?: string;
  expected: string;
}

function splitLines(t: string): string[] {
  return t.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Lines [a, b) of `after` that differ from `before` (common leading and trailing lines excluded). */
export function changedLines(before: string, after: string): [number, number] {
  const x = splitLines(before), y = splitLines(after);
  let a = 0;
  while (a < x.length && a < y.length && x[a] === y[a]) a++;
  let e = 0;
  while (e < x.length - a && e < y.length - a && x[x.length - 1 - e] === y[y.length - 1 - e]) e++;
  return [a, y.length - e];
}

/** Offset in characters of the first character where two texts differ. */
export function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** The derived second edit of the case's file after its first edit, or undefined (no comment syntax, no room). */
export function derivedEdit(path: string, original: string, expected: string): SecondEdit | undefined {
  const lang = detectLanguage({ path }) ?? GENERIC;
  const line = lang.line[0], block = lang.block[0];
  const comment = (text: string) => (line ? `${line} ${text}` : block ? `${block[0]} ${text} ${block[1]}` : undefined);
  const body = comment('second edit: checked again after the first one');
  const marker = comment('... existing code ...');
  if (!body || !marker) return undefined;
  const ls = splitLines(expected);
  const [a, b] = changedLines(original, expected);
  const count = new Map<string, number>();
  for (const l of ls) count.set(l.trim(), (count.get(l.trim()) ?? 0) + 1);
  // the unchanged, unique, non-blank line farthest from the first edit (a line with a line after it)
  let best = -1, dist = -1;
  for (let i = 1; i + 2 < ls.length; i++) {
    if (i >= a - 1 && i < b + 1) continue; // not inside or right next to the first edit
    if (!ls[i].trim() || count.get(ls[i].trim()) !== 1 || !ls[i].endsWith('\n')) continue;
    const d = i < a ? a - i : i - b;
    if (d > dist) { best = i; dist = d; }
  }
  if (best < 0) return undefined;
  const eol = ls[best].endsWith('\r\n') ? '\r\n' : '\n';
  const indent = /^[ \t]*/.exec(ls[best])![0];
  const added = `${indent}${body}${eol}`;
  const after = [...ls.slice(0, best + 1), added, ...ls.slice(best + 1)].join('');
  const ctx = (from: number, to: number) => ls.slice(Math.max(0, from), Math.min(ls.length, to)).join('');
  const update = `${marker}${eol}${ctx(best - 1, best + 1)}${added}${ctx(best + 1, best + 3)}${marker}${eol}`;
  return { source: 'derived', id: `comment after line ${best + 1}`, update, expected: after };
}
