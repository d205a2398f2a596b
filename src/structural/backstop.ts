// The independent check: the merged file against the raw snippet, by rules simpler than and
// separate from the ones that merged it (no segments, no anchors, no marker grammar). Whatever the
// merge decided, the answer must read as the snippet applied: every code line of the snippet in the
// output, in order, nested as the snippet nests it; no marker or fence text written into the file;
// no line the snippet shows taken out of the file. Any disagreement refuses the merge.
import { indentColumns } from './indent.js';
import { MergeRefusal } from './refusal.js';

const key = (l: string) => l.trim();
/** Deeper, level or shallower; a column of difference is alignment, not nesting. */
const direction = (d: number) => (d > 1 ? 1 : d < -1 ? -1 : 0);
/** Letters and digits only, lower case: a comment that was re-capitalised or re-punctuated still matches. */
const words = (l: string) => l.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
const isCommentBody = (l: string) => /^\s*\*/.test(l);
const isFence = (l: string) => /^\s*(?:`{3,}|~{3,})/.test(l);
/**
 * Placeholder text: an ellipsis, or a phrase that starts with the words models use for code they
 * leave out ("existing code", "rest of file unchanged"), alone on a comment line or in brackets.
 */
const markerLike = (l: string, lineComments?: readonly string[]) => {
  const t = l.trim();
  const bare = t
    .replace(/^(?:\/\/+|#+|--|;+|\/\*+|\{\/\*+|<!--|\*|\{#|\{\{!?-?-?|<%#|@\*|\{%-?\s*comment\s*-?%\})\s*/, '')
    .replace(/\s*(?:\*+\/\}?|-->|#\}|-?-?\}\}|%>|\*@|\{%-?\s*endcomment\s*-?%\})$/, '')
    .trim();
  const inside = bare.replace(/^[[(](.*)[\])]$/, '$1').trim();
  // Spread and rest syntax (`...args,`) is code.
  if (/^(?:\.{3}|…)[\w$.[\]()]*[,;)]?$/.test(inside) && inside.replace(/^(?:\.{3}|…)/, '') !== '') return false;
  // Outside a comment, only a line that starts with the ellipsis (`go vet ./...` is code).
  const commented = bare !== t || inside !== bare;
  if (/^(?:\.{2,}|…)/.test(inside) || (commented && /(?:\.{3}|…)$/.test(inside))) return !/[=;{}]|&&|\|\|/.test(inside);
  // (a phrase without an ellipsis only in the file's own line comments, where it has some: a
  // Markdown heading, `## Other components`, is no comment)
  const lead = /^(?:\/\/+|#+|--|;+)/.exec(t)?.[0];
  if (lead && lineComments && !lineComments.some((c) => lead.startsWith(c))) return false;
  return commented && !/\.$/.test(inside) && /^(?:keep\s+)?(?:the\s+|all\s+)?(?:existing|rest|remaining|unchanged|omitted|previous|other|same)\b/i.test(inside) && inside.split(/\s+/).length <= 8;
};

/**
 * A definition written on one line with placeholder text for its body (`f() { ... }`,
 * `.btn { /* unchanged *\/ }`, `def f(): ...`): the header it stands for, `f() {`. Null for other lines.
 */
const collapsedHeader = (l: string): string | null => {
  const braced = /^(\s*\S.*?)\s*\{\s*(\S.*?)\s*\}\s*[,;]?$/.exec(l);
  if (braced && (/^(?:\.{3}|…)$/.test(braced[2]) || (/^(?:\/\*|<!--)/.test(braced[2]) && markerLike(braced[2])))) return `${braced[1]} {`;
  const python = /^(\s*(?:async\s+def|def|class)\b.*):[ \t]*(?:pass\s*)?(\S.*)$/.exec(l);
  if (python && markerLike(python[2])) return `${python[1]}:`;
  return null;
};

/**
 * A line shortened with an ellipsis (`f(prog="x", ...)`, outside a string, not spread syntax): the
 * text before and after it, which a line of the output must start and end with.
 */
const elision = (l: string): [string, string] | null => {
  const m = /^(.*?\S)\s*(?:\.{3}|…)(?![\w$([{])\s*(.*)$/.exec(l.trim());
  if (!m || [/"/g, /'/g, /`/g].some((q) => (m[1].replace(/\\./g, '').match(q)?.length ?? 0) % 2 === 1)) return null;
  return [m[1], m[2]];
};

/** A comment line whose whole text is a path with an extension, perhaps after `filepath:`. */
const namesAFile = (l: string) => /^(?:\/\/+|#+|--|\/\*+|<!--)\s*(?:(?:file\s*path|file|path)\s*:\s*)?[\w.~@+\\/-]*\w\.\w+\s*(?:\*\/|-->)?$/i.test(l.trim());

/**
 * The code inside fences: from the first to the last, or with several blocks (fences in pairs) each
 * block's lines, a placeholder between them (the prose between two blocks stands for code left out).
 */
function insideFences(lines: string[], fences: number[]): string[] {
  if (fences.length % 2 === 1) return lines.slice(fences[0] + 1, fences[fences.length - 1]);
  const out: string[] = [];
  for (let k = 0; k < fences.length; k += 2) {
    if (k > 0) out.push('...');
    out.push(...lines.slice(fences[k] + 1, fences[k + 1]));
  }
  return out;
}

/** A whole import line at the left edge: `import ...`, `from x import y`, `use a::b;`, `using X;`, `#include <x>`. */
const IMPORT_LINE = /^(?:import\s|from\s+\S+\s+import\s|use\s|using\s+[\w.]+;|#\s*include\s*[<"])/;

export interface BackstopInput {
  update: string;
  original: string[];
  output: string[];
  /** the file's line comment forms (none for Markdown): where a phrase alone can be a marker */
  lineComments?: readonly string[];
}

export function backstop({ update, original, output, lineComments }: BackstopInput): void {
  const looksLikeMarker = (l: string) => markerLike(l, lineComments);
  const inOriginal = new Map<string, number>();
  for (const l of original) if (l.trim()) inOriginal.set(key(l), (inOriginal.get(key(l)) ?? 0) + 1);
  let lines = update.split(/\r\n|\r|\n/);
  // Tool markup around the whole snippet (`<code_edit>`...`</code_edit>`) is not code...
  const ends = lines.map((l, i) => (l.trim() === '' ? -1 : i)).filter((i) => i >= 0);
  const tag = ends.length >= 3 ? /^<(\w*_\w*|update|updated|edit|replacement)>$/i.exec(lines[ends[0]].trim()) : null;
  if (tag && lines[ends[ends.length - 1]].trim().toLowerCase() === `</${tag[1].toLowerCase()}>` && !inOriginal.has(key(lines[ends[0]]))) lines = lines.slice(ends[0] + 1, ends[ends.length - 1]);
  // ...nor are prose and fences around the code.
  const fences = lines.map((l, i) => (isFence(l) && !inOriginal.has(key(l)) ? i : -1)).filter((i) => i >= 0);
  if (fences.length >= 2) lines = insideFences(lines, fences);
  else if (fences.length === 1) lines = fences[0] < lines.length / 2 ? lines.slice(fences[0] + 1) : lines.slice(0, fences[0]);
  // Line numbers a viewer printed (`  12\tcode`, `  12→code`) on most code lines are not code.
  const numbered = lines.filter((l) => /^\s*\d+(?:\t|\u2192)/.test(l)).length;
  if (numbered >= 2 && numbered * 2 >= lines.filter((l) => l.trim() !== '' && !looksLikeMarker(l)).length) lines = lines.map((l) => l.replace(/^\s*\d+(?:\t|\u2192)/, ''));
  // A diff's `+` before new lines between context lines as they stand (no `-` line: no diff) is not
  // code, where no line of the file starts with one.
  if (lines.some((l) => /^\+(?!\+)/.test(l)) && !lines.some((l) => l.startsWith('-')) && !original.some((l) => /^[+-]/.test(l))) lines = lines.map((l) => l.replace(/^\+(?!\+)/, ''));
  // A comment that only names a file (`// src/retry.ts`), heading the code, labels it.
  const head = lines.findIndex((l) => l.trim() !== '');
  if (head >= 0 && !inOriginal.has(key(lines[head])) && namesAFile(lines[head])) lines = lines.slice(head + 1);
  const code = lines.filter((l) => l.trim() !== '' && !(looksLikeMarker(l) && !inOriginal.has(key(l))));

  // 1. Every code line of the snippet, in order, nested as the snippet nests it (within a run of
  //    snippet lines that no placeholder interrupts).
  const rows = output.map((l, r) => (l.trim() === '' ? -1 : r)).filter((r) => r >= 0);
  const push = (m: Map<string, number[]>, k: string, p: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(p);
  const byKey = new Map<string, number[]>();
  rows.forEach((r, p) => push(byKey, key(output[r]), p));
  // (by words only when a comment is not found as it stands: most merges never need it)
  let byWords: Map<string, number[]> | null = null;
  const wordsAt = (line: string) => {
    if (!byWords) {
      byWords = new Map();
      rows.forEach((r, p) => push(byWords!, words(output[r]), p));
    }
    return byWords.get(words(line));
  };
  let wanted: { line: string; run: number; at: number[] }[] = [];
  let run = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (looksLikeMarker(line) && !inOriginal.has(key(line))) {
      run++;
      continue;
    }
    // (the line right after a placeholder that repeats the one right before it, a line the file has
    // once: hunks overlapping by that line, the placeholder standing for nothing)
    const prev = wanted[wanted.length - 1];
    if (prev && prev.run !== run && key(prev.line) === key(line) && inOriginal.get(key(line)) === 1) continue;
    // A comment that was re-capitalised or re-punctuated stands as the file's own words.
    const comment = /^\s*(?:\/\/|#|\/\*|\*|<!--)/.test(line);
    const header = byKey.has(key(line)) ? null : collapsedHeader(line);
    if (header !== null) {
      // (a collapsed definition: its header, then a placeholder)
      wanted.push({ line: header, run, at: byKey.get(key(header)) ?? [] });
      run++;
      continue;
    }
    let at = byKey.get(key(line)) ?? (comment ? wordsAt(line) : undefined) ?? [];
    const cut = at.length === 0 && !comment ? elision(line) : null;
    // (a shortened line stands for an output line that starts and ends as it does)
    if (cut) at = rows.flatMap((r, p) => (output[r].trim().startsWith(cut[0]) && output[r].trim().endsWith(cut[1]) ? [p] : []));
    wanted.push({ line, run, at });
  }
  // A run of only import lines between placeholders goes with the file's imports, wherever the
  // snippet writes it: it must be in the file, in no particular order.
  const importsOnly = new Set(wanted.map((w) => w.run).filter((r) => wanted.every((w) => w.run !== r || IMPORT_LINE.test(w.line))));
  if (wanted.some((w) => importsOnly.has(w.run) && w.at.length === 0)) throw disagreement('An import line of the update is not in the merged file.', {});
  wanted = wanted.filter((w) => !importsOnly.has(w.run));
  const pos = embed(wanted.map((w) => w.at), wanted.map((w, i) => i > 0 && w.run === wanted[i - 1].run));
  if (!pos) throw disagreement("A line of the update is not in the merged file, in the update's order.", {});
  const asWritten = (i: number) => isCommentBody(wanted[i].line) && output[rows[pos[i]]] === wanted[i].line;
  for (let i = 1; i < wanted.length; i++) {
    if (wanted[i].run !== wanted[i - 1].run) continue;
    // (a block comment's ` * ` lines sit under its `/*` by alignment, which a re-indented snippet may
    // leave as the file has it: written exactly as the snippet has it, the column is not nesting)
    if (asWritten(i) || asWritten(i - 1)) continue;
    const snippet = indentColumns(wanted[i].line) - indentColumns(wanted[i - 1].line);
    const out = indentColumns(output[rows[pos[i]]]) - indentColumns(output[rows[pos[i - 1]]]);
    if (direction(snippet) !== direction(out)) {
      throw disagreement('A line of the update would be nested differently in the merged file than in the update.', { line: wanted[i].line });
    }
  }

  // 2. No placeholder or fence text written into the file.
  const inOutput = new Map<string, number>();
  for (const l of output) inOutput.set(key(l), (inOutput.get(key(l)) ?? 0) + 1);
  for (const l of output) {
    if (l.trim() === '' || inOriginal.has(key(l))) continue;
    if (isFence(l) || looksLikeMarker(l) || (collapsedHeader(l) !== null && !/^\s*(?:async\s+def|def|class)\b/.test(l))) throw disagreement('The merged file would contain placeholder or fence text that is not in the original.', { line: l });
    // (a shortened copy of a line the merge took out: the ellipsis stood for the rest of it)
    const cut = elision(l);
    if (cut && original.some((o) => o.trim().length > l.trim().length && o.trim().startsWith(cut[0]) && o.trim().endsWith(cut[1]) && !inOutput.has(key(o)))) {
      throw disagreement('The merged file would contain a line shortened with an ellipsis in place of the line it shortens.', { line: l });
    }
  }

  // 3. No line the snippet shows (as often as the file has it) taken out of the file.
  const shown = new Map<string, number>();
  for (const l of code) shown.set(key(l), (shown.get(key(l)) ?? 0) + 1);
  for (const [k, n] of shown) {
    const had = inOriginal.get(k) ?? 0;
    if (had > 0 && n >= had && (inOutput.get(k) ?? 0) < had) throw disagreement('A line the update shows would be deleted from the file.', { line: k });
  }
}

/**
 * One increasing position per list (each sorted), chosen so that as many lines as possible land
 * right after their predecessor where `joined` says they follow it in the snippet (no placeholder
 * between): the embedding a reader would see, not merely the first one. Null when there is none.
 */
function embed(lists: number[][], joined: boolean[]): number[] | null {
  if (lists.length === 0) return [];
  let score = lists[0].map(() => 0);
  const from: Int32Array[] = [new Int32Array(lists[0].length).fill(-1)];
  for (let i = 1; i < lists.length; i++) {
    const prev = lists[i - 1];
    const cur = lists[i];
    const next = new Array<number>(cur.length).fill(-Infinity);
    const back = new Int32Array(cur.length).fill(-1);
    // Walk both sorted lists: the best earlier position so far, and an exact predecessor.
    let j = 0;
    let bestJ = -1;
    for (let c = 0; c < cur.length; c++) {
      while (j < prev.length && prev[j] < cur[c]) {
        if (score[j] > -Infinity && (bestJ < 0 || score[j] > score[bestJ])) bestJ = j;
        j++;
      }
      if (bestJ >= 0) [next[c], back[c]] = [score[bestJ], bestJ];
      const adj = j - 1;
      if (joined[i] && adj >= 0 && prev[adj] === cur[c] - 1 && score[adj] > -Infinity && score[adj] + 1 > next[c]) [next[c], back[c]] = [score[adj] + 1, adj];
    }
    score = next;
    from.push(back);
  }
  let end = -1;
  for (let c = 0; c < score.length; c++) if (score[c] > -Infinity && (end < 0 || score[c] > score[end])) end = c;
  if (end < 0) return null;
  const out = new Array<number>(lists.length);
  for (let i = lists.length - 1; i >= 0; i--) {
    out[i] = lists[i][end];
    end = from[i][end];
  }
  return out;
}

function disagreement(message: string, details: Record<string, unknown>): MergeRefusal {
  return new MergeRefusal('check_failed', `${message} The merge is refused rather than guessed.`, details);
}
