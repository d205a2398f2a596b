// Acceptance checks on the comments of a merged file: a new comment that swallows, repeats or
// rewrites a kept one beside it, or a doc line the merge drops though the code still needs it.
import type { Node } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { commentWords, isCommentLine, usesName } from './gaps.js';
import { documentedPath, leadingLength, runsOf, withoutProperties } from './lines.js';
import { MergeRefusal } from './refusal.js';

/**
 * A new line that opens a block comment (`/*`) inside a comment a kept line opened: the kept
 * comment's closer was dropped (context a model skipped, or a deletion that cut the comment), and
 * the new comment now runs on as part of the old one. It parses; it is not what either meant.
 */
export function swallowedComment(root: Node, output: string[], added: Set<number>, lang: Language): void {
  const openers = lang.block.map(([open]) => open);
  for (const row of added) {
    const line = output[row];
    const t = line.trim();
    if (!openers.some((open) => t.startsWith(open))) continue;
    const node = root.descendantForPosition({ row, column: leadingLength(line) });
    if (!node || !/comment/.test(node.type) || node.startPosition.row >= row) continue;
    // (a comment of the update's own may say `/*` inside; one holding kept lines is the file's)
    let kept = false;
    for (let r = node.startPosition.row; r < row && !kept; r++) kept = !added.has(r) && output[r].trim() !== '';
    if (!kept) continue;
    throw new MergeRefusal(
      'check_failed',
      `The update's line ${row + 1} opens a comment inside the comment that line ${node.startPosition.row + 1} of the result opens, whose end the merge drops: the new comment would run on as part of the old one. ` +
        'Include the lines around the change as they stand in the file.',
      { line: row + 1, comment_line: node.startPosition.row + 1 },
    );
  }
}

/** The name a doc tag line documents, its last part (`options.maxPayload` -> `maxPayload`). */
const documentedName = (line: string) => documentedPath(line)?.split('.').pop();

/**
 * A doc tag line the merge deletes (`@param {Number} [options.maxPayload=0] The maximum...`) from a
 * doc comment it keeps, whose name the file's code still uses and no doc line of the result
 * documents: a model dropped it from the doc comment it copied as context (the parameter is not
 * gone). Refused.
 * `sources`: the original row each output row keeps (-1: added).
 */
export function docTagDroppedForLiveName(original: string[], output: string[], sources: number[], lang: Language): void {
  const kept = new Set(sources);
  const documented = new Set(output.map(documentedName).filter((n) => n !== undefined));
  const keptComment = (r: number) => r >= 0 && r < original.length && kept.has(r) && isCommentLine(original[r], lang);
  let code: string | null = null;
  for (let o = 0; o < original.length; o++) {
    if (kept.has(o)) continue;
    const path = documentedPath(original[o]);
    const name = path?.split('.').pop();
    if (!path || !name || name.length < 3 || documented.has(name)) continue;
    // (a line or two gone from a doc comment that stays around them, not a doc comment deleted)
    let a = o;
    let b = o + 1;
    while (a > 0 && !kept.has(a - 1)) a--;
    while (b < original.length && !kept.has(b)) b++;
    if (b - a > 2 || !keptComment(a - 1) || !keptComment(b)) continue;
    code ??= output.filter((l) => !isCommentLine(l, lang)).join('\n');
    // (a parameter's name, not a property's: `builder.count` does not use the parameter `count`)
    if (!usesName(path.includes('.') ? code : withoutProperties(code), name)) continue;
    throw new MergeRefusal(
      'check_failed',
      `The merge would delete line ${o + 1} of the file, the doc line for \`${name}\`, which the code still uses and no doc line of the result documents: it was likely dropped from the comment the update copied. ` +
        'Include it if it is to be kept.',
      { line: o + 1, kind: 'doc_tag_dropped', name },
    );
  }
}

/** Share of words two comment blocks must have in common to read as one text and its rewrite. */
const REWRITE_OVERLAP = 0.6;

/**
 * A run of new comment lines right beside a run of kept ones the update does not show, most of
 * their words in common: a paragraph and its rewrite side by side (the snippet rewrote the file's
 * comment but dropped its first line, the context that placed it, so the merge inserted the new
 * paragraph beside the old one). A new comment is rarely written against one that says the same.
 * Refused.
 */
export function rewrittenCommentBesideOriginal(output: string[], added: Set<number>, shown: Set<number>, lang: Language): void {
  const isComment = (r: number) => r >= 0 && r < output.length && commentWords(output[r], lang) !== null;
  const words = (rows: number[]) => new Set(rows.flatMap((r) => commentWords(output[r], lang)!.split(' ').filter((w) => w.length > 2)));
  for (const [from, end] of runsOf(new Set([...added].filter(isComment)))) {
    const to = end - 1;
    if (to - from < 1) continue;
    const mine = words(Array.from({ length: to - from + 1 }, (_, k) => from + k));
    for (const step of [-1, 1]) {
      const rows: number[] = [];
      for (let r = step < 0 ? from - 1 : to + 1; isComment(r) && !added.has(r) && !shown.has(r); r += step) rows.push(r);
      if (rows.length < 2) continue;
      const theirs = words(rows);
      const common = [...mine].filter((w) => theirs.has(w)).length;
      if (common < REWRITE_OVERLAP * Math.min(mine.size, theirs.size) || mine.size < 6) continue;
      throw new MergeRefusal(
        'check_failed',
        `The update's comment on lines ${from + 1}-${to + 1} of the result reads like the file's comment right ${step < 0 ? 'above' : 'below'} it (lines ${Math.min(...rows) + 1}-${Math.max(...rows) + 1}), which the merge would keep: it may rewrite that comment or be added beside it. ` +
          'Include the first (or last) line of the file\'s comment as it stands, so the update shows which.',
        { start_line: from + 1, end_line: to + 1, kind: 'rewritten_comment' },
      );
    }
  }
}

/** How far from a new comment its loosely copied original is looked for. */
const TIDIED_REACH = 12;
/** ...and for a line of this many words or more, how far (a function the merge kept between them). */
const LONG_SENTENCE = 6;
const FAR_REACH = 80;

/**
 * A new line that is a kept line nearby, the update does not show, restyled: a comment with only its
 * case or closing period changed (`// First, give plugins...` above the file's `// first, give
 * plugins...`), code with other quotes (`import { join } from "node:path";` over the file's
 * `'node:path';`). The snippet copied the file's line loosely, the merge did not pair
 * it, and the result holds it twice. Refused.
 */
export function tidiedCopyBesideOriginal(output: string[], added: Set<number>, shown: Set<number>, lang: Language): void {
  const key = (line: string) => {
    const words = commentWords(line, lang);
    if (words !== null) return words.split(' ').length >= 3 ? words : null;
    const code = styleFree(line);
    return code.length >= 10 && /[A-Za-z]/.test(code) ? code : null;
  };
  const keys = new Map<number, string | null>();
  const keyAt = (r: number) => {
    if (!keys.has(r)) keys.set(r, key(output[r]));
    return keys.get(r)!;
  };
  for (const row of added) {
    const k = keyAt(row);
    if (k === null) continue;
    // (a long sentence is a long way from any other that reads the same)
    const reach = k.split(' ').length >= LONG_SENTENCE ? FAR_REACH : TIDIED_REACH;
    for (let r = Math.max(0, row - reach); r <= Math.min(output.length - 1, row + reach); r++) {
      if (added.has(r) || shown.has(r) || output[r].trim() === output[row].trim() || keyAt(r) !== k) continue;
      throw new MergeRefusal(
        'check_failed',
        `The update's line ${row + 1} of the result is the file's line ${r + 1} with its case, quotes or punctuation changed, and the merge would keep both. ` +
          'Copy the line as the file has it if it is context, or change it visibly if it is new.',
        { line: row + 1, kept_line: r + 1 },
      );
    }
  }
}

/**
 * A code line without what a model restyles when it copies one: quote marks and spacing. (Not a
 * closing `,` or `;`: real edits add those, to a call's last argument given a new one after it.)
 */
const styleFree = (line: string) => line.trim().replace(/"/g, "'").replace(/\s+/g, ' ');
