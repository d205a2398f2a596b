// Stage 1 of the merge: the raw snippet as a model wrote it -> clean segments. Tool markup around it,
// a markdown fence and the prose around that are dropped, line endings and trailing spaces stop mattering, and marker lines
// are told from code, never taking a line that stands in the original for a marker.
import type { Language } from '../languages/registry.js';
import { expandCollapsed } from './collapsed.js';
import { expandElided } from './elided.js';
import { isMarkerLine } from './markers.js';
import { isBlank, isTrivial, nonBlankRows } from './lines.js';
import { addedOneDeeper, leadingWhitespace, parseText, type SourceText } from './text.js';

export interface Segment {
  lines: string[];
  /** 0-based index of the segment's first line in the normalised snippet. */
  snippetLine: number;
  /** A marker stands before (after) it: original code there is kept, not replaced. */
  markerBefore: boolean;
  markerAfter: boolean;
  /** The marker line right after it, as written (its indentation says what it stands in). */
  markerAfterLine?: string;
  /** How many blank lines stood before (after) its first (last) line, trimmed: they do not anchor,
   * but a segment that starts (ends) on new code keeps them between that code and the file's. */
  blankBefore?: number;
  blankAfter?: number;
}

export interface Snippet {
  /** The snippet's lines after normalisation (no fence, no line endings, no trailing spaces). */
  lines: string[];
  segments: Segment[];
  markers: number;
}

/** A markdown fence's opening line (```` ```ts ````, `~~~`): its run of backticks or tildes, then a language at most. */
export const FENCE_OPEN = /^\s*(`{3,}|~{3,})[\w#+.\-/: ]*$/;

/** A line of prose around a fence: "Here is the updated code:", not code. */
const isProse = (line: string) => {
  const t = line.trim();
  return /^[\p{Lu}*][^;{}=<>]*[:.!]$/u.test(t) || /^(?:here|sure|updated|below|the)\b/i.test(t) || /^[^;{}=<>()[\]]+ [^;{}=<>()[\]]*:$/.test(t) || isFileHeading(t);
};

/**
 * A line of the explanation after a fence: prose, or a list item of it ("- keeps the route path",
 * "2. Logs the id."), whatever it ends with. (Not in files whose own lines are list items:
 * Markdown and other text without a grammar, YAML.)
 */
const isClosingProse = (line: string) => isProse(line) || (/^\s*(?:[-*\u2022]|\d+[.)])\s+[\p{L}`*]/u.test(line) && !/[;{]\s*$/.test(line));

/** The file's name over a fence, as models title it: "a.swift", "**src/a.ts**", "`a.py`:", "## src/a.go", "File: a.rb". */
const isFileHeading = (t: string) => /^(?:#{2,6}\s+|(?:file|path)\s*:\s*)?([*_`]{0,2})[\w./\\-]+\.\w+\1:?$/i.test(t);

/**
 * Drop one markdown fence around the snippet, with a line of prose before it (and after it), when
 * the fence lines are not the file's own.
 */
function stripFence(lines: string[], inOriginal: (line: string) => boolean, lang: Language): string[] {
  const closingProse = lang.grammarPath !== null && lang.id !== 'yaml' ? isClosingProse : isProse;
  const nonBlank = nonBlankRows(lines);
  if (nonBlank.length < 2) return lines;
  let first = 0;
  let open = nonBlank[first];
  if (!FENCE_OPEN.test(lines[open]) && nonBlank.length > 2 && isProse(lines[open]) && !inOriginal(lines[open]) && FENCE_OPEN.test(lines[nonBlank[1]])) {
    first = 1;
    open = nonBlank[1];
  }
  const m = FENCE_OPEN.exec(lines[open]);
  if (!m || inOriginal(lines[open])) return lines;
  // The closing fence: the same run of backticks (or tildes), followed by prose at most.
  let last = nonBlank.length - 1;
  while (last > first && lines[nonBlank[last]].trim() !== m[1] && closingProse(lines[nonBlank[last]]) && !inOriginal(lines[nonBlank[last]])) last--;
  const close = nonBlank[last];
  if (last <= first || lines[close].trim() !== m[1]) return lines;
  return joinBlocks(lines.slice(open + 1, close), m[1], inOriginal);
}

/**
 * Inside the outer fence, more code blocks for the same file with prose between them ("Then add `c`
 * after `b`:"): each stretch from a closing fence to the next opening one, prose and blank lines
 * only, stands for the code between the edits, as a marker would.
 */
function joinBlocks(lines: string[], fence: string, inOriginal: (line: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === fence && !inOriginal(lines[i])) {
      let j = i + 1;
      while (j < lines.length && (isBlank(lines[j]) || (isProse(lines[j]) && !inOriginal(lines[j])))) j++;
      if (j < lines.length && FENCE_OPEN.test(lines[j]) && lines[j].trim().startsWith(fence) && !inOriginal(lines[j])) {
        out.push('// ...');
        i = j;
        continue;
      }
    }
    out.push(lines[i]);
  }
  return out;
}

/**
 * Tool markup a model wraps its edit in (`<code_edit>`...`</code_edit>`, `<updated_code>`): names no
 * HTML or JSX element has, so a component's own `<div>`...`</div>` is never taken for one.
 */
const WRAPPER = /^<(code_edit|updated_code|updated_file|new_code|edited_code|code_update|file_content|final_code|rewritten_file|update|updated|edit|replacement|new_text|newtext)>$/i;

/** Drop one wrapper tag pair around the whole snippet, when its lines are not the file's. */
function stripWrapper(lines: string[], inOriginal: (line: string) => boolean): string[] {
  const nonBlank = nonBlankRows(lines);
  if (nonBlank.length < 3) return lines;
  const [open, close] = [nonBlank[0], nonBlank[nonBlank.length - 1]];
  const m = WRAPPER.exec(lines[open].trim());
  if (!m || lines[close].trim().toLowerCase() !== `</${m[1].toLowerCase()}>` || inOriginal(lines[open]) || inOriginal(lines[close])) return lines;
  return lines.slice(open + 1, close);
}

/** A comment's body that names a file: `src/retry.ts`, `filepath: /home/me/app/db.py`, `File: a.go`. */
const PATH_BODY = /^(?:(?:file\s*path|file|path)\s*:\s*)?[\w.~@+\\/-]*[\w-](\.\w+)$/i;
const COMMENTED = /^(?:\/\/+|#+|--|;+)\s*(.*?)$|^(?:\/\*+|<!--)\s*(.*?)\s*(?:\*\/|-->)$/;

/**
 * Models head a snippet with the file's path as a comment (`// src/retry.ts`, Copilot's `//
 * filepath: ...`): a label, not code to add. Dropped where it is the first line, names a file of
 * the snippet's language and is not a line of the file.
 */
function dropPathComment(lines: string[], lang: Language, inOriginal: (line: string) => boolean): string[] {
  const first = lines.findIndex((l) => !isBlank(l));
  if (first < 0 || inOriginal(lines[first])) return lines;
  const m = COMMENTED.exec(lines[first].trim());
  const body = m && (m[1] ?? m[2]);
  const ext = body ? PATH_BODY.exec(body)?.[1] : undefined;
  if (ext === undefined || !lang.extensions.includes(ext.toLowerCase()) || !lang.line.concat(lang.block.map(([open]) => open)).some((p) => lines[first].trim().startsWith(p))) return lines;
  return [...lines.slice(0, first), ...lines.slice(first + 1)];
}

/**
 * A lazy snippet whose new lines carry a diff's `+` (`+    this.log(…)` between context lines as
 * they stand): models mix the two forms, and read as code the `+` went into the file. Dropped,
 * with the space after it where the lines were written `+ ` (addedOneDeeper). Not where a line
 * starts with `-` too (old lines shown: a diff without its hunk headers, no lazy snippet), nor
 * where the file has lines starting with `+` or `-`, nor in files whose lines may (YAML, Objective-C's
 * methods, Markdown's lists and other text without a grammar).
 */
function dropAddedPrefixes(lines: string[], lang: Language, original: string[]): string[] {
  if (lang.grammarPath === null || lang.id === 'yaml' || lang.id === 'objc') return lines;
  const plus = (l: string) => /^\+(?!\+)/.test(l);
  if (!lines.some(plus) || lines.some((l) => /^-/.test(l)) || original.some((l) => /^[+-]/.test(l))) return lines;
  const ws = (l: string) => leadingWhitespace(l);
  const added = lines.filter((l) => plus(l) && !isBlank(l.slice(1))).map((l) => ws(l.slice(1)));
  const others = lines.filter((l) => !plus(l) && !isBlank(l) && !isMarkerLine(l, lang)).map(ws);
  const cut = addedOneDeeper(added, others) ? 2 : 1;
  return lines.map((l) => (plus(l) ? l.slice(isBlank(l.slice(1)) ? 1 : cut) : l));
}

/** A line as a file viewer numbers it: `    12\tcode` (`cat -n`), `    12→code` (an agent's read tool). */
const NUMBERED = /^\s*(\d{1,7})(?:\t|\u2192)/;

/**
 * Line numbers copied with the code from a viewer's output, on most of its code lines: dropped
 * where they are the file's own, most numbered lines reading at their number exactly as the file's
 * line there (two at least). New lines a model wrote without a number stay as written.
 */
function dropLineNumbers(lines: string[], original: string[], lang: Language): string[] {
  const numbered = lines.map((l) => NUMBERED.exec(l));
  const rows = numbered.filter((m) => m !== null);
  // (on most of the code lines: markers and new lines may come without)
  if (rows.length < 2 || rows.length * 2 < lines.filter((l) => !isBlank(l) && !isMarkerLine(l, lang)).length) return lines;
  const fits = rows.filter((m) => original[Number(m[1]) - 1]?.trimEnd() === m.input.slice(m[0].length).trimEnd() && !isBlank(original[Number(m[1]) - 1])).length;
  if (fits < 2 || fits * 2 < rows.length) return lines;
  return lines.map((l, i) => (numbered[i] ? l.slice(numbered[i]![0].length) : l));
}

/**
 * Which snippet lines are markers. A line the original holds as often as the snippet does is the
 * file's own (a comment that happens to read like a marker), never a marker. In Python a bare
 * `...` after a line ending in `:` is an Ellipsis body.
 */
function markerFlags(lines: string[], lang: Language, originalCount: (line: string) => number, original: string[]): boolean[] {
  const snippetCount = new Map<string, number>();
  for (const l of lines) snippetCount.set(l.trim(), (snippetCount.get(l.trim()) ?? 0) + 1);
  let prevCode: string | undefined;
  return lines.map((line) => {
    const marker =
      (isMarkerLine(line, lang, prevCode) || standsForBody(line, prevCode, lang, original)) && originalCount(line) < snippetCount.get(line.trim())!;
    if (!marker && !isBlank(line)) prevCode = line;
    return marker;
  });
}

/**
 * Python's `...` under a `def` or `class` line the file has with a body of its own: models write it
 * for "the body as it was" (a stub that empties a real function is no edit anyone asks for), so it
 * is a marker there, where elsewhere after a `:` line it is an Ellipsis body.
 */
function standsForBody(line: string, header: string | undefined, lang: Language, original: string[]): boolean {
  if (lang.id !== 'python' || line.trim() !== '...' || header === undefined || !/^\s*(?:async\s+def|def|class)\b.*:$/.test(header.trimEnd())) return false;
  // (the first line under each of the file's copies of the header)
  const bodies = original.flatMap((l, o) => (l.trim() === header.trim() ? [original.slice(o + 1).find((b) => !isBlank(b))?.trim()] : []));
  return bodies.length > 0 && bodies.every((b) => b !== undefined && b !== '...');
}

function splitSegments(lines: string[], flags: boolean[]): Segment[] {
  const segments: Segment[] = [];
  let markerSeen = false;
  let i = 0;
  while (i < lines.length) {
    if (flags[i]) {
      markerSeen = true;
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && !flags[j]) j++;
    // Blank lines at a segment's edges say nothing about where it goes.
    let a = i;
    let b = j;
    while (a < b && isBlank(lines[a])) a++;
    while (b > a && isBlank(lines[b - 1])) b--;
    if (b > a) {
      segments.push({ lines: lines.slice(a, b), snippetLine: a, markerBefore: markerSeen, markerAfter: j < lines.length, markerAfterLine: lines[j], blankBefore: a - i, blankAfter: j - b });
    }
    i = j;
  }
  return segments;
}

export function normaliseSnippet(update: string, original: SourceText, lang: Language): Snippet {
  const counts = new Map<string, number>();
  for (const l of original.lines) if (!isBlank(l)) counts.set(l.trim(), (counts.get(l.trim()) ?? 0) + 1);
  const originalCount = (line: string) => counts.get(line.trim()) ?? 0;
  // parseText drops each line's ending; trailing spaces are formatting too.
  const raw = parseText(update).lines.map((l) => l.trimEnd());
  const inOriginal = (l: string) => originalCount(l) > 0;
  // (outside in: tool markup, then a fence, then a path comment heading the code)
  let lines = stripFence(stripWrapper(raw, inOriginal), inOriginal, lang);
  lines = dropPathComment(lines, lang, inOriginal);
  lines = dropLineNumbers(lines, original.lines, lang);
  lines = dropAddedPrefixes(lines, lang, original.lines);
  lines = expandElided(expandCollapsed(lines, lang, original.lines), lang, original.lines);
  const flags = markerFlags(lines, lang, originalCount, original.lines);
  const joined = joinRepeatedAcrossMarker(lines, flags, originalCount);
  return { lines: joined.lines, segments: splitSegments(joined.lines, joined.flags), markers: joined.flags.filter(Boolean).length };
}

/**
 * Hunks that overlap by a line: one ends on a line of the file, a marker follows, and the next
 * starts on the same line again (`order.status = status;`, marker, `order.status = status;` and
 * the lines after it). Where the file has that line once, the marker stands for nothing: the two
 * are one stretch, the line once. (Read as two, the second copy was added beside the first.)
 */
function joinRepeatedAcrossMarker(lines: string[], flags: boolean[], originalCount: (line: string) => number): { lines: string[]; flags: boolean[] } {
  const drop = new Set<number>();
  for (let m = 0; m < lines.length; m++) {
    if (!flags[m] || (m > 0 && flags[m - 1])) continue;
    let end = m;
    while (end + 1 < lines.length && (flags[end + 1] || isBlank(lines[end + 1]))) end++;
    let x = m - 1;
    while (x >= 0 && isBlank(lines[x])) x--;
    const y = end + 1;
    if (x < 0 || y >= lines.length || flags[x]) continue;
    const t = lines[x].trim();
    if (t !== lines[y].trim() || isTrivial(t) || t.length < 8 || originalCount(t) !== 1) continue;
    for (let k = x + 1; k <= y; k++) drop.add(k);
  }
  if (drop.size === 0) return { lines, flags };
  return { lines: lines.filter((_, k) => !drop.has(k)), flags: flags.filter((_, k) => !drop.has(k)) };
}

/**
 * The snippet as the model path should see it: fence and prose gone, trailing spaces dropped, marker
 * lines as written. A model reads markers fine; what it should not copy is the fence.
 */
export function cleanUpdate(update: string, original: string, lang: Language): string {
  const { lines } = normaliseSnippet(update, parseText(original), lang);
  return lines.join('\n') + '\n';
}
