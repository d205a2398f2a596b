// Updates written as explicit edits rather than lazy snippets: a unified diff (`@@` hunks, with or
// without `---`/`+++` headers, the `*** Begin Patch` form too) or SEARCH/REPLACE blocks
// (`<<<<<<< SEARCH` / `=======` / `>>>>>>> REPLACE`, or `------- SEARCH` / `+++++++ REPLACE`).
// Agents send these as often as lazy snippets. Each says outright what it replaces, so nothing is
// guessed about deletions: each block's old lines are found in the file, exactly once, and
// replaced by its new lines. Read as a lazy snippet, a diff's `+` and `-` lines were code.
import { diffArrays } from 'diff';
import { isBlank, lcsPairs, nonBlankRows, type Rung } from './lines.js';
import { FENCE_OPEN } from './normalise.js';
import { MergeRefusal } from './refusal.js';
import { addedOneDeeper, leadingWhitespace } from './text.js';

export interface EditBlock {
  before: string[];
  after: string[];
  /** The hunk header's old start line (1-based), where it gives one: chooses between equal places. */
  hint?: number;
}

const SEARCH = /^(?:<{3,}|-{3,}) ?SEARCH\s*$/;
const DIVIDER = /^={3,}\s*$/;
const REPLACE = /^(?:>{3,}|\+{3,}) ?REPLACE\s*$/;
/** `@@ -40,8 +40,9 @@`, or `@@` with anything or nothing after it (the `*** Begin Patch` form). */
const HUNK = /^@@(?: -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@)?/;

/** The update's edit blocks, or null when it is not written as explicit edits. `original`: the file's lines. */
export function readEditBlocks(update: string, original: string[] = []): EditBlock[] | null {
  let lines = update.split(/\r\n|\r|\n/);
  const nonBlank = nonBlankRows(lines);
  if (nonBlank.length >= 2 && FENCE_OPEN.test(lines[nonBlank[0]]) && FENCE_OPEN.test(lines[nonBlank[nonBlank.length - 1]])) {
    lines = lines.slice(nonBlank[0] + 1, nonBlank[nonBlank.length - 1]);
  }
  if (lines.some((l) => SEARCH.test(l))) return searchReplaceBlocks(lines);
  if (lines.some((l) => /^@@/.test(l) && HUNK.test(l)) && lines.some((l) => /^[+-](?!-- |\+\+ )/.test(l))) return diffHunks(lines);
  return beforeAfterBlocks(lines, new Set(original.map((l) => l.trim())));
}

/**
 * "Before:" and "After:" (old/new, original/updated) as comments or prose, a markdown heading or
 * bold at most, each over its version of the code: the same edit as a SEARCH/REPLACE block. Read as
 * a lazy snippet, the old version was added above the new one.
 */
const LABEL = /^(?:\/\/+|#+|--|\/\*+|<!--)?\s*(?:\*\*|__)?\s*(before|old|original|current|after|new|updated)(?:\s+(?:code|version))?\s*(?:\([^)]*\))?\s*:?\s*(?:\*\*|__)?\s*:?\s*(?:\*\/|-->)?$/i;
const AFTER = new Set(['after', 'new', 'updated']);

function beforeAfterBlocks(lines: string[], inOriginal: Set<string>): EditBlock[] | null {
  const labels: [number, 'before' | 'after'][] = [];
  lines.forEach((l, i) => {
    const m = inOriginal.has(l.trim()) ? null : LABEL.exec(l.trim());
    if (m) labels.push([i, AFTER.has(m[1].toLowerCase()) ? 'after' : 'before']);
  });
  // (pairs, before then after; nothing but prose, blank lines and fences ahead of the first)
  if (labels.length < 2 || labels.length % 2 !== 0 || labels.some(([, kind], k) => kind !== (k % 2 === 0 ? 'before' : 'after'))) return null;
  if (lines.slice(0, labels[0][0]).some((l) => !isBlank(l) && !FENCE_OPEN.test(l) && !/^[\p{L}*#][^;{}=<>]*$/u.test(l.trim()))) return null;
  const code = (part: string[]): string[] => {
    const open = part.findIndex((l) => FENCE_OPEN.test(l));
    if (open >= 0) {
      const fence = FENCE_OPEN.exec(part[open])![1];
      const close = part.findIndex((l, k) => k > open && l.trim() === fence);
      return close < 0 ? [] : part.slice(open + 1, close);
    }
    const rows = nonBlankRows(part);
    return rows.length === 0 ? [] : part.slice(rows[0], rows[rows.length - 1] + 1);
  };
  const blocks: EditBlock[] = [];
  for (let k = 0; k < labels.length; k += 2) {
    const end = k + 2 < labels.length ? labels[k + 2][0] : lines.length;
    const block = { before: code(lines.slice(labels[k][0] + 1, labels[k + 1][0])), after: code(lines.slice(labels[k + 1][0] + 1, end)) };
    if (block.before.length === 0 || block.after.length === 0) return null;
    blocks.push(block);
  }
  return blocks;
}

function searchReplaceBlocks(lines: string[]): EditBlock[] | null {
  const blocks: EditBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!SEARCH.test(lines[i])) continue;
    const divider = lines.findIndex((l, k) => k > i && DIVIDER.test(l));
    const end = lines.findIndex((l, k) => k > divider && REPLACE.test(l));
    if (divider < 0 || end < 0) return null;
    blocks.push({ before: lines.slice(i + 1, divider), after: lines.slice(divider + 1, end) });
    i = end;
  }
  return blocks.length > 0 ? blocks : null;
}

/** The hunks' added lines written `+ ` (addedOneDeeper): the space goes with the prefix. */
function plusSpace(lines: string[]): boolean {
  let inHunk = false;
  const [added, others]: string[][] = [[], []];
  for (const l of lines) {
    if (/^@@/.test(l)) inHunk = true;
    else if (inHunk && !isBlank(l.slice(1)) && /^[ +-]/.test(l)) (l[0] === '+' ? added : others).push(leadingWhitespace(l.slice(1)));
  }
  return addedOneDeeper(added, others);
}

function diffHunks(lines: string[]): EditBlock[] | null {
  const blocks: EditBlock[] = [];
  const plus = plusSpace(lines) ? 2 : 1;
  let cur: EditBlock | null = null;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    const hunk = /^@@/.test(line) ? HUNK.exec(line) : null;
    if (hunk) {
      cur = { before: [], after: [], hint: hunk[1] === undefined ? undefined : Number(hunk[1]) };
      blocks.push(cur);
      continue;
    }
    // (a file's header ends the hunk before it: `diff --git`, `*** Update File:`, `---` over `+++`)
    if (/^(?:diff --git |\*\*\* )/.test(line) || (/^--- /.test(line) && /^\+\+\+ /.test(lines[k + 1] ?? ''))) {
      cur = null;
      continue;
    }
    if (cur === null || /^\\ No newline/.test(line)) continue;
    // (a blank line inside a hunk is a blank context line whose leading space was trimmed)
    if (line === '' || line[0] === ' ') {
      cur.before.push(line.slice(1));
      cur.after.push(line.slice(1));
    } else if (line[0] === '-') cur.before.push(line.slice(1));
    else if (line[0] === '+') cur.after.push(line.slice(isBlank(line.slice(1)) ? 1 : plus));
    else return null;
  }
  // (trailing blank context lines are as often the end of the message as the file's)
  for (const b of blocks) while (b.before.length > 0 && b.after.length > 0 && b.before[b.before.length - 1] === '' && b.after[b.after.length - 1] === '') [b.before.pop(), b.after.pop()];
  return blocks.length > 0 ? blocks : null;
}

export interface AppliedBlocks {
  output: string[];
  /** For each output row, the original row it keeps, or -1 for a line a block added. */
  sources: number[];
  added: Set<number>;
  /** Output rows kept because a block shows them (its context). */
  shown: Set<number>;
  linesDeleted: number;
  rung: Rung;
}

/** A hint chooses a place within this many lines of it, with the next place this much farther off. */
const HINT_NEAR = 10;

/** Where a block's old lines stand in the file: [start row, re-indent of its new lines] per place. */
function places(before: string[], file: string[], trimmed: boolean): [number, (l: string) => string][] {
  const found: [number, (l: string) => string][] = [];
  for (let o = 0; o + before.length <= file.length; o++) {
    let ok = true;
    // One consistent change of leading whitespace across the block (`+\t`: the file's lines are a
    // tab deeper; `-  `: two spaces shallower), applied to its new lines.
    let change: string | null = null;
    for (let k = 0; k < before.length && ok; k++) {
      const [a, b] = [before[k], file[o + k]];
      if (!trimmed) ok = a.trimEnd() === b.trimEnd();
      else if (isBlank(a) || isBlank(b)) ok = isBlank(a) && isBlank(b);
      else if (a.trim() !== b.trim()) ok = false;
      else {
        const [wa, wb] = [leadingWhitespace(a), leadingWhitespace(b)];
        const here = wb.endsWith(wa) ? `+${wb.slice(0, wb.length - wa.length)}` : wa.endsWith(wb) ? `-${wa.slice(0, wa.length - wb.length)}` : null;
        ok = here !== null && (change === null || change === here);
        change ??= here;
      }
    }
    if (ok) found.push([o, reindent(change)]);
  }
  return found;
}

function reindent(change: string | null): (l: string) => string {
  if (change === null || change.length === 1) return (l) => l;
  const ws = change.slice(1);
  if (change[0] === '+') return (l) => (isBlank(l) ? l : ws + l);
  return (l) => (l.startsWith(ws) ? l.slice(ws.length) : l.trimStart());
}

/** The file with each block's old lines replaced by its new ones; refused where a block's place is not one. */
export function applyEditBlocks(blocks: EditBlock[], file: string[], lineHints: number[] = []): AppliedBlocks {
  let rung: Rung = 'exact';
  const chosen: { at: number; block: EditBlock; shift: (l: string) => string }[] = [];
  blocks.forEach((block, i) => {
    if (block.before.every(isBlank)) {
      throw new MergeRefusal('no_anchor', `Edit ${i + 1} of the update shows no line of the file to replace or to add beside.`, { segment: i });
    }
    let found = places(block.before, file, false);
    if (found.length === 0) {
      found = places(block.before, file, true);
      if (found.length > 0) rung = 'trimmed';
    }
    if (found.length === 0) {
      throw new MergeRefusal('no_anchor', `Edit ${i + 1} of the update: its old lines are not in the file as they stand.`, { segment: i, lines: block.before.slice(0, 5) });
    }
    // (a hunk header's line number, or the request's line hints, choose between equal places where
    // one lies near them and the others well away: models' line numbers are often a little off)
    const hints = block.hint !== undefined ? [block.hint, ...lineHints] : lineHints;
    if (found.length > 1 && hints.length > 0) {
      const dist = ([o]: [number, unknown]) => Math.min(...hints.map((h) => Math.abs(h - 1 - o)));
      const byDist = [...found].sort((a, b) => dist(a) - dist(b));
      if (dist(byDist[0]) <= HINT_NEAR && dist(byDist[1]) > dist(byDist[0]) + HINT_NEAR) found = [byDist[0]];
    }
    if (found.length > 1) {
      throw new MergeRefusal('ambiguous_anchor', `Edit ${i + 1} of the update fits more than one place in the file.`, {
        segment: i,
        candidates: found.map(([o]) => ({ start_line: o + 1, end_line: o + block.before.length })),
      });
    }
    chosen.push({ at: found[0][0], block, shift: found[0][1] });
  });
  chosen.sort((a, b) => a.at - b.at);
  for (let k = 1; k < chosen.length; k++) {
    if (chosen[k].at < chosen[k - 1].at + chosen[k - 1].block.before.length) {
      throw new MergeRefusal('ambiguous_anchor', 'Two edits of the update replace overlapping lines of the file.', { start_line: chosen[k].at + 1 });
    }
  }

  const output: string[] = [];
  const sources: number[] = [];
  const added = new Set<number>();
  const shown = new Set<number>();
  let linesDeleted = 0;
  let o = 0;
  for (const { at, block, shift } of chosen) {
    for (; o < at; o++) [output.push(file[o]), sources.push(o)];
    // Lines the old and new sides share are the file's own, kept as they stand.
    const pairs = lcsPairs(block.before.length, block.after.length, (i, j) => block.before[i].trimEnd() === block.after[j].trimEnd());
    let i = 0;
    let j = 0;
    for (const [pi, pj] of [...pairs, [block.before.length, block.after.length] as [number, number]]) {
      linesDeleted += pi - i;
      for (; j < pj; j++) {
        added.add(output.length);
        output.push(shift(block.after[j]));
        sources.push(-1);
      }
      if (pi < block.before.length) {
        shown.add(output.length);
        output.push(file[at + pi]);
        sources.push(at + pi);
      }
      [i, j] = [pi + 1, pj + 1];
    }
    o = at + block.before.length;
  }
  for (; o < file.length; o++) [output.push(file[o]), sources.push(o)];
  agreesWithBlocks(blocks, file, output);
  return { output, sources, added, shown, linesDeleted, rung };
}

/**
 * The independent check: a plain line diff of the file and the output takes out only lines some
 * block's old side has, and puts in only lines some block's new side has; and each block's new
 * lines stand in the output together, in order.
 */
function agreesWithBlocks(blocks: EditBlock[], file: string[], output: string[]): void {
  const key = (l: string) => l.trim();
  const olds = new Set(blocks.flatMap((b) => b.before.map(key)));
  const news = new Set(blocks.flatMap((b) => b.after.map(key)));
  for (const part of diffArrays(file.map(key), output.map(key))) {
    const stray = part.removed ? part.value.find((l) => !olds.has(l)) : part.added ? part.value.find((l) => !news.has(l)) : undefined;
    if (stray !== undefined) {
      throw new MergeRefusal('check_failed', `The merged file would ${part.removed ? 'lose' : 'gain'} a line no edit of the update ${part.removed ? 'takes out' : 'puts in'}. The merge is refused rather than guessed.`, { line: stray });
    }
  }
  const out = output.map(key).join('\n');
  for (const b of blocks) {
    const run = b.after.map(key).join('\n');
    if (run !== '' && !out.includes(run)) throw new MergeRefusal('check_failed', "An edit's new lines would not stand together in the merged file. The merge is refused rather than guessed.", {});
  }
}
