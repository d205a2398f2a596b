// The acceptance test a merge must pass before it is answered: nothing of the snippet lost, no
// marker left, no new syntax errors, and no large silent deletion.
import { Edit, type Node, type Parser, type Tree } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { countSyntaxErrors, outermostErrorsOn, recountSyntaxErrors, totalErrors, type SyntaxErrors } from '../languages/parser.js';
import { isMarkerLine } from './markers.js';
import { definedTwice, prototypedTwice } from './definitions.js';
import { declaredTwice, redeclared, type Rebinding } from './bindings.js';
import { commentWords, isCommentLine } from './gaps.js';
import type { Segment } from './normalise.js';
import { isBlank, leadingLength, runsOf, subjectOf } from './lines.js';
import { MergeRefusal } from './refusal.js';
import { pythonBlockErrors } from './python-blocks.js';
import { rememberTree } from './tree-cache.js';
import { parserView, type SourceText } from './text.js';
import { indentColumns } from './indent.js';

/**
 * A new line that opens a block comment (`/*`) inside a comment a kept line opened: the kept
 * comment's closer was dropped (context a model skipped, or a deletion that cut the comment), and
 * the new comment now runs on as part of the old one. It parses; it is not what either meant.
 */
function swallowedComment(root: Node, output: string[], added: Set<number>, lang: Language): void {
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

/** A doc tag line that documents a name: `@param {Number} [options.maxPayload=0] ...`, `@property key`. */
const DOC_TAG = /^\s*(?:\*|\/\/\/|#)?\s*@(?:param|arg|argument|property|prop)\b\s*(?:\{[^}]*\}\s*)?\[?([\w$.]+)/;

/**
 * A doc tag line the merge deletes (`@param {Number} [options.maxPayload=0] The maximum...`) from a
 * doc comment it keeps, whose name the file's code still uses and no doc line of the result
 * documents: a model dropped it from the doc comment it copied as context (the parameter is not
 * gone). Refused.
 * `sources`: the original row each output row keeps (-1: added).
 */
function docTagDroppedForLiveName(original: string[], output: string[], sources: number[], lang: Language): void {
  const kept = new Set(sources);
  const documented = new Set(output.map((l) => l.match(DOC_TAG)?.[1].split('.').pop()).filter((n) => n !== undefined));
  let code: string | null = null;
  for (let o = 0; o < original.length; o++) {
    if (kept.has(o)) continue;
    const name = original[o].match(DOC_TAG)?.[1].split('.').pop();
    if (!name || name.length < 3 || documented.has(name)) continue;
    // (a line or two gone from a doc comment that stays around them, not a doc comment deleted)
    let a = o;
    let b = o + 1;
    while (a > 0 && !kept.has(a - 1)) a--;
    while (b < original.length && !kept.has(b)) b++;
    const keptComment = (r: number) => r >= 0 && r < original.length && kept.has(r) && isCommentLine(original[r], lang);
    if (b - a > 2 || !keptComment(a - 1) || !keptComment(b)) continue;
    code ??= output.filter((l) => !isCommentLine(l, lang)).join('\n');
    if (!new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(code)) continue;
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
function rewrittenCommentBesideOriginal(output: string[], added: Set<number>, shown: Set<number>, lang: Language): void {
  const isComment = (r: number) => r >= 0 && r < output.length && commentWords(output[r], lang) !== null;
  const words = (rows: number[]) => new Set(rows.flatMap((r) => commentWords(output[r], lang)!.split(' ').filter((w) => w.length > 2)));
  for (const [from, end] of runsOf(new Set([...added].filter(isComment)))) {
    const to = end - 1;
    if (to - from < 1) continue;
    for (const step of [-1, 1]) {
      const rows: number[] = [];
      for (let r = step < 0 ? from - 1 : to + 1; isComment(r) && !added.has(r) && !shown.has(r); r += step) rows.push(r);
      if (rows.length < 2) continue;
      const mine = words(Array.from({ length: to - from + 1 }, (_, k) => from + k));
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

/**
 * A new line that is a kept line nearby, the update does not show, restyled: a comment with only its
 * case or closing period changed (`// First, give plugins...` above the file's `// first, give
 * plugins...`), code with other quotes (`import { join } from "node:path";` over the file's
 * `'node:path';`). The snippet copied the file's line loosely, the merge did not pair
 * it, and the result holds it twice. Refused.
 */
function tidiedCopyBesideOriginal(output: string[], added: Set<number>, shown: Set<number>, lang: Language): void {
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

/** Where the same property set twice in a row is an idiom (a fallback for older browsers). */
const REPEATS_KEYS = new Set(['css', 'scss']);

/**
 * A new line that sets a key or a name (`mode: 'production',`, `const limit = 10`, `limit = 10`;
 * subjectOf) right beside a kept line, which the snippet does not show, setting the same at the same
 * indentation: the snippet meant to change that line (`mode: 'development',`) and the merge kept
 * both, which an object literal reads as the last one winning, silently. Refused: the snippet should
 * show the line it replaces. (One such line alone beside a marker replaces it: extendAtMarkers.)
 */
function keySetTwice(output: string[], added: Set<number>, shown: Set<number>, lang: Language): void {
  if (REPEATS_KEYS.has(lang.id)) return;
  const nearestKept = (from: number, step: number) => {
    let r = from;
    while (r >= 0 && r < output.length && (added.has(r) || output[r].trim() === '')) r += step;
    return r >= 0 && r < output.length ? r : -1;
  };
  for (const row of added) {
    const key = subjectOf(output[row]);
    if (key === null) continue;
    for (const kept of [nearestKept(row, -1), nearestKept(row, 1)]) {
      if (kept < 0 || shown.has(kept) || subjectOf(output[kept]) !== key || indentColumns(output[kept]) !== indentColumns(output[row])) continue;
      throw new MergeRefusal(
        'check_failed',
        `The update's line ${row + 1} of the result sets "${key}", and the file's line beside it (line ${kept + 1}), which the update does not show, sets it too: the update likely meant to change that line, and the merge would keep both. ` +
          'Show the lines around the change as they stand in the file.',
        { line: row + 1, kept_line: kept + 1, key },
      );
    }
  }
}

/** How far from a new comment its loosely copied original is looked for. */
const TIDIED_REACH = 12;
/** ...and for a line of this many words or more, how far (a function the merge kept between them). */
const LONG_SENTENCE = 6;
const FAR_REACH = 80;

/** A merge may delete at most this share of the original's lines, net of the lines it adds... */
const MAX_DELETED_SHARE = 0.5;
/** ...and never more than this many in one stretch with nothing in their place, whatever the share. */
const MAX_DELETED_RUN = 15;
/** Where the original already has syntax errors: the rise in their count we put down to the grammar. */
const ERROR_GROWTH = 0.25;
const ERROR_SLACK = 3;
/** Deletions this small are never refused. */
const SMALL_DELETION = 12;

export interface MergeCheck {
  original: SourceText;
  output: string[];
  /** Output rows that came from the snippet. */
  added: Set<number>;
  /** Output rows kept because the snippet shows them. */
  shown?: Set<number>;
  content: string;
  segments: Segment[];
  language: Language;
  parser: Parser | null;
  /** The original's ERROR and MISSING nodes. */
  errorsBefore: SyntaxErrors;
  linesDeleted: number;
  linesAdded: number;
  largestGap: number;
  /** The original's tree, to re-parse and count errors only where the merge changed it (it is edited in place)... */
  originalTree?: Tree | null;
  /** ...which is, for each output row, the original row it keeps (-1: added). */
  sources?: number[];
  /** The original as the parser read it (parserView). */
  originalText: string;
  /** Deleted locals the new lines must declare anew (deletedBindingsStillUsed). */
  rebindings?: Rebinding[];
}

export function checkMerge(c: MergeCheck): { checked: boolean; errorsBefore: number; errorsAfter: number } {
  // Kept lines are the original's own; only a line the snippet added can be a leftover marker
  // (read in its new place: a Python `...` reads differently after a `:` line).
  for (const row of c.added) {
    let prev = row - 1;
    while (prev >= 0 && isBlank(c.output[prev])) prev--;
    if (isMarkerLine(c.output[row], c.language, prev >= 0 ? c.output[prev] : undefined)) {
      throw new MergeRefusal('markers_remaining', 'The merged file would still contain marker lines.', { line: c.output[row] });
    }
  }

  // A run of added lines that repeats, line for line (indentation aside), the kept lines right
  // after or before it: context the snippet re-indented and the merge took for new code, now twice.
  const shown = c.shown ?? new Set<number>();
  duplicatedBesideItself(c.output, c.added, shown);
  unreachableKeptLine(c.output, c.added, c.language);
  bodyBesideItsOpener(c.output, c.added, c.original.lines, c.language);
  tidiedCopyBesideOriginal(c.output, c.added, shown, c.language);
  rewrittenCommentBesideOriginal(c.output, c.added, shown, c.language);
  if (c.sources) docTagDroppedForLiveName(c.original.lines, c.output, c.sources, c.language);
  keySetTwice(c.output, c.added, shown, c.language);

  // Every code line of the snippet, in order, in the output.
  const out = c.output.map((l) => l.trim());
  const words = c.output.map((l) => commentWords(l, c.language));
  let at = 0;
  for (const seg of c.segments) {
    for (const line of seg.lines) {
      if (isBlank(line)) continue;
      const want = line.trim();
      // A comment the model reworded stands in the output as the file's own words.
      const wantWords = commentWords(line, c.language);
      while (at < out.length && out[at] !== want && (wantWords === null || words[at] !== wantWords)) at++;
      if (at === out.length) {
        throw new MergeRefusal('snippet_lines_lost', 'A line of the update would be missing from the merged file.', { line });
      }
      at++;
    }
  }

  // The share counts what goes with nothing in its place: a rewrite that brings as much as it
  // drops (the snippet spans the file and replaces half of it) is not a silent deletion.
  const nonBlank = c.original.lines.filter((l) => !isBlank(l)).length;
  const netDeleted = c.linesDeleted - c.linesAdded;
  if (c.linesDeleted > SMALL_DELETION && (netDeleted > nonBlank * MAX_DELETED_SHARE || c.largestGap > MAX_DELETED_RUN)) {
    throw new MergeRefusal('deletion_budget', `The merge would delete ${c.linesDeleted} of ${c.original.lines.length} lines; refusing a deletion that large.`, {
      lines_deleted: c.linesDeleted,
      original_lines: c.original.lines.length,
    });
  }

  // Python's blocks are its indentation, which its grammar recovers from silently.
  if (c.language.id === 'python') {
    const before = pythonBlockErrors(c.original.lines);
    const after = pythonBlockErrors(c.output);
    if (after > before) {
      throw new MergeRefusal('syntax_regression', `The merged file would have ${after} indentation errors (a block with no body, an indent no \`:\` opens, a dedent to no open level) where the original has ${before}.`, {
        indentation_errors_before: before,
        indentation_errors_after: after,
      });
    }
  }

  if (!c.parser) return { checked: false, errorsBefore: 0, errorsAfter: 0 };
  const content = parserView(c.content, c.original);
  const old = c.originalTree && c.sources ? c.originalTree : null;
  const reparsed = old ? reparse(c.parser, old, c.originalText, content, c.sources!) : null;
  const tree = old ? reparsed?.tree : c.parser.parse(content);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    definedTwice(tree.rootNode, c.output, c.added, c.language.id);
    prototypedTwice(tree.rootNode, c.added, c.language.id);
    declaredTwice(tree.rootNode, c.added, c.language.id);
    redeclared(tree.rootNode, c.rebindings ?? [], c.added);
    swallowedComment(tree.rootNode, c.output, c.added, c.language);
    const counted = old && reparsed ? recountSyntaxErrors(old.rootNode, tree.rootNode, c.errorsBefore, reparsed.changed) : countSyntaxErrors(tree.rootNode);
    const before = totalErrors(c.errorsBefore);
    const all = totalErrors(counted);
    const errorsAfter = all > before ? all - grammarLimitErrors(tree.rootNode, c.output, c.added, before > 0, unreadable(c.language.id)) : all;
    // A file that already parses with errors shows the grammar cannot follow its idioms (macros,
    // newer syntax); error recovery then shifts with any edit, so only a clear rise counts there.
    // A clean file must stay clean.
    const tolerance = before > 0 ? Math.floor(before * ERROR_GROWTH) + ERROR_SLACK : 0;
    if (errorsAfter > before + tolerance) {
      throw new MergeRefusal('syntax_regression', `The merged file would parse with ${errorsAfter} syntax errors where the original has ${before}.`, {
        errors_before: before,
        errors_after: errorsAfter,
      });
    }
    // The next edit of this file will most likely start from this answer.
    rememberTree(c.language.id, content, tree, counted);
    return { checked: true, errorsBefore: before, errorsAfter };
  } finally {
    tree.delete();
  }
}

/** A statement after which nothing in its block runs: `return`, `throw`, `raise`, `break`, `continue`. */
const JUMP = /^(?:return|throw|raise|break|continue)\b/;
/** Lines that may follow one: a closer, another branch or case, a preprocessor line, a label. */
const AFTER_JUMP = /^(?:[}\])]|end\b|else\b|elif\b|elsif\b|except\b|finally\b|catch\b|case\b|default\b|when\b|rescue\b|ensure\b|esac\b|fi\b|done\b|;;|#|@|\w+:\s*$)/;

/**
 * Refuse new lines that make a kept line unreachable: an added `return` (`throw`, `break`...) ending
 * its statement, followed in the same block (next code line, same column) by a kept line that jumps
 * the same way (a second `return`).
 * The update's new line was meant to replace that line (`return default` over the file's `return
 * 0.0`), and the merge put it beside it. Ruby's `return x if y` is conditional and left alone.
 */
function unreachableKeptLine(out: string[], added: Set<number>, language: Language): void {
  const code = (r: number) => out[r].trim() !== '' && !isCommentLine(out[r], language);
  for (const row of added) {
    const t = out[row].trim();
    if (!endsBlock(t)) continue;
    let next = row + 1;
    while (next < out.length && !code(next)) next++;
    if (next >= out.length || added.has(next)) continue;
    const n = out[next].trim();
    // (the kept line a jump of the same kind: a `function` declared after a `return` is hoisted)
    if (AFTER_JUMP.test(n) || indentColumns(out[next]) !== indentColumns(out[row]) || n.match(/^\w+/)?.[0] !== t.match(/^\w+/)?.[0]) continue;
    refuseUnreachable(out, language, row, next, 'new');
  }
  // The mirror: a new line right after a kept jump, in its block, would never run (`return total /
  // n` after a marker, placed below the file's `return total` it was meant to replace).
  for (const row of added) {
    let prev = row - 1;
    while (prev >= 0 && !code(prev)) prev--;
    if (prev < 0 || added.has(prev) || !code(row) || !endsBlock(out[prev].trim())) continue;
    const t = out[row].trim();
    if (AFTER_JUMP.test(t) || /^(?:async\s+)?function\b/.test(t) || indentColumns(out[prev]) !== indentColumns(out[row])) continue;
    refuseUnreachable(out, language, prev, row, 'kept');
  }
}

/** A line that opens a brace block: ends with `{` (a trailing line comment aside). */
const opensBrace = (line: string) => /\{\s*(?:\/\/.*)?$/.test(line);
/** Blocks whose bodies sit at their opener's depth by custom. */
const FLAT_BLOCK = /^(?:namespace\b|extern\s+"C")/;
/** Lines a block may hold at its opener's depth: closers, labels and cases, preprocessor lines. */
const AT_OPENER_DEPTH = /^(?:[}\])]|case\b|default\b|#|\w+:\s*$|(?:public|private|protected)\s*:)/;
/** A code line after which a new statement starts (so the next line's indentation is its depth). */
const ENDS_STATEMENT = (line: string) => /(?:[;{}]|\*\/)\s*(?:\/\/.*)?$/.test(line) || /^(?:case\b.*|default|\w+|(?:public|private|protected)\s*):\s*$/.test(line.trim());

/**
 * For each of `rows` that is the first code line of a brace block: how much deeper than its opener
 * it sits, in columns. Only openers that start their statement count: a header continued over lines
 * (`, int b) {`, `: base(x) {`) sits at whatever depth its continuation does.
 */
function bodySteps(lines: string[], rows: Iterable<number>, language: Language): { row: number; step: number }[] {
  // (preprocessor lines and any line a backslash continues are no statements)
  const code = (r: number) => lines[r].trim() !== '' && !isCommentLine(lines[r], language) && !lines[r].trim().startsWith('#') && !(r > 0 && lines[r - 1].endsWith('\\'));
  const prevCode = (r: number) => {
    let p = r - 1;
    while (p >= 0 && !code(p)) p--;
    return p;
  };
  const steps: { row: number; step: number }[] = [];
  for (const row of rows) {
    if (!code(row) || AT_OPENER_DEPTH.test(lines[row].trim())) continue;
    const opener = prevCode(row);
    if (opener < 0 || !opensBrace(lines[opener]) || FLAT_BLOCK.test(lines[opener].trim())) continue;
    const before = prevCode(opener);
    if (before < 0 || ENDS_STATEMENT(lines[before])) steps.push({ row, step: indentColumns(lines[row]) - indentColumns(lines[opener]) });
  }
  return steps;
}

/**
 * Refuse a new line that opens a brace block's body at its opener's depth, in a file that never
 * writes a block body so (a `namespace {` or `extern "C" {` body at column 0 is its own habit). A
 * snippet re-indented from another unit can collapse two depths into one (4 -> 2 columns in a file
 * nesting by 2 at places): its new body line then reads as a sibling of its opener. (The mirror, a
 * body deeper than any of the file's blocks step in, was tried: real edits restyle a file's
 * indentation too often, 5 clean edits of 1,989 refused and no wrong answer saved.)
 */
function bodyBesideItsOpener(out: string[], added: Set<number>, original: string[], language: Language): void {
  if (language.id === 'python' || language.id === 'yaml') return;
  const flat = bodySteps(out, added, language).find(({ step }) => step <= 0);
  if (!flat || bodySteps(original, original.keys(), language).some(({ step }) => step <= 0)) return;
  throw new MergeRefusal(
    'check_failed',
    `The update's line "${out[flat.row].trim().slice(0, 80)}" would sit at the depth of the block the line above it opens, which the file never does: its indentation was likely lost. Copy the lines with the indentation the file gives them.`,
    { line: flat.row + 1, kind: 'flat_block_body' },
  );
}

/** A jump that ends its statement on its line (not `return x if y`, not `return (` going on). */
const endsBlock = (t: string) => JUMP.test(t) && !/\b(?:if|unless)\b/.test(t) && !/[([{,\\+\-*/=&|?:.]$/.test(t.replace(/\s*(?:\/\/|#).*$/, ''));

function refuseUnreachable(out: string[], language: Language, jump: number, dead: number, which: 'new' | 'kept'): never {
  const [how, fix] =
    which === 'new'
      ? [`line ${dead + 1}, which the merge kept, would never run: the update likely meant to replace it.`, 'Show the lines after the new one as they should read.']
      : [`the update's line ${dead + 1} would never run: it likely replaces line ${jump + 1}.`, 'Show the lines before the new one as they should read.'];
  throw new MergeRefusal(
    'check_failed',
    `Line ${jump + 1} of the merged file, ${which}, ends its block ("${out[jump].trim().slice(0, 60)}"), so ${how} ${fix}`,
    { line: jump + 1, unreachable: dead + 1, language: language.id },
  );
}

/**
 * Refuse an added run whose last (first) two or more code lines equal, indentation aside, the lines
 * right after (before) it that the merge kept without the snippet showing them. (Kept lines the
 * snippet shows are its own second copy: a new function that ends like the one after it.)
 */
export function duplicatedBesideItself(out: string[], added: Set<number>, shown: Set<number>): void {
  const rows = [...added].sort((a, b) => a - b);
  const kept = (at: number, text: string) => at >= 0 && at < out.length && !added.has(at) && !shown.has(at) && out[at].trim() === text;
  for (let i = 0; i < rows.length; ) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j] + 1) j++;
    const from = rows[i];
    const to = rows[j] + 1;
    // The longest k for which the run's k lines from runAt(k) equal the k lines from keptAt(k).
    const longest = (runAt: (k: number) => number, keptAt: (k: number) => number) => {
      for (let k = to - from; k >= 1; k--) {
        let ok = true;
        for (let q = 0; q < k && ok; q++) ok = kept(keptAt(k) + q, out[runAt(k) + q].trim());
        if (ok) return k;
      }
      return 0;
    };
    const after = longest((k) => to - k, () => to); // the run's tail, repeated right after it
    const before = longest(() => from, (k) => from - k); // its head, repeated right before it
    const codeIn = (a: number, b: number) => out.slice(a, b).filter((l) => l.trim() !== '').length;
    const dupAfter = after > 0 ? codeIn(to - after, to) : 0;
    const dupBefore = before > 0 ? codeIn(from, from + before) : 0;
    if (dupAfter >= 2 || dupBefore >= 2) {
      const [a, b] = dupAfter >= 2 ? [to - after, to] : [from, from + before];
      throw new MergeRefusal('check_failed', `Lines ${a + 1}-${b} of the merged file would repeat the ${b - a} lines next to them: the update's context was probably read as new code (it is indented differently from the file). Indent the context as the file does.`, {
        start_line: a + 1,
        end_line: b,
      });
    }
    i = j + 1;
  }
}

/** Lines a language's grammar cannot read that are still good code there, by language. */
const MACRO_CALL = /(?<![\w.>])[A-Z][A-Z0-9_]{2,}\s*\(/;
const UNREADABLE: Record<string, (line: string) => boolean> = {
  c: (l) => MACRO_CALL.test(l),
  cpp: (l) => MACRO_CALL.test(l),
  // (Objective-C++: C++ in an Objective-C header or .mm file)
  objc: (l) => MACRO_CALL.test(l) || /::|^(?:using\s+namespace|template\s*<|namespace\b)/.test(l),
};
const unreadable = (language: string) => UNREADABLE[language] ?? (() => false);

/**
 * Errors that are the grammar's limits rather than a broken merge, counted only where they lie
 * wholly inside lines the snippet added: where one of those lines is a preprocessor line
 * (`#define` bodies, `\` continuations) or one `cannotRead` (UNREADABLE: an ALL_CAPS macro call
 * such as `WORK_DEFINITION(Step)` as a member, C++ in Objective-C); or anywhere in added code when
 * the original already has errors, so the grammar is known not to handle this file's idioms. An
 * error that touches a line kept from the original is always the merge's.
 */
function grammarLimitErrors(root: Node, lines: string[], added: Set<number>, grammarStruggles: boolean, cannotRead: (line: string) => boolean): number {
  let count = 0;
  for (const node of outermostErrorsOn(root, runsOf(added))) {
    const a = node.startPosition.row;
    const b = node.endPosition.row;
    let beyondGrammar = false;
    let inAdded = true;
    for (let r = a; r <= b && inAdded; r++) {
      inAdded = added.has(r);
      const t = lines[r]?.trim() ?? '';
      if (t.startsWith('#') || t.endsWith('\\') || cannotRead(t)) beyondGrammar = true;
    }
    if (inAdded && (beyondGrammar || grammarStruggles)) count++;
  }
  return count;
}

/** Offsets in a text, start inclusive and end exclusive. */
export interface Span {
  startIndex: number;
  endIndex: number;
}

/**
 * Parse the merged text incrementally: tell the original's tree each stretch of lines the merge
 * changed (`sources`: the original row each output row keeps, -1 for added rows) and let
 * tree-sitter reuse the rest. One edit per stretch: an edit at the top of a file and another at its
 * bottom leave the lines between for reuse. Edits go in from the last, so the rows and offsets
 * before each are still the original's.
 *
 * With the new tree come the offsets in `after` where its ERROR nodes may differ from the
 * original's: the ranges tree-sitter reports as changed, and every edited stretch, for it does not
 * report one whose lines went with an ERROR node in them (reparse.test.ts finds such edits when
 * they are left out).
 */
export function reparse(parser: Parser, tree: Tree, before: string, after: string, sources: number[]): { tree: Tree; changed: Span[] } | null {
  const startsB = lineStarts(before);
  const startsA = lineStarts(after);
  const at = (text: string, starts: number[], row: number) => (row < starts.length ? starts[row] : text.length);
  // (a row past the last line start is the end of a file without a final newline)
  const position = (text: string, starts: number[], row: number) =>
    row < starts.length ? { row, column: 0 } : { row: starts.length - 1, column: text.length - starts[starts.length - 1] };
  const edited: Span[] = [];
  for (const [a0, a1, b0, b1] of changedStretches(sources, rowsOf(startsB, before)).reverse()) {
    const startIndex = at(before, startsB, a0);
    const newEnd = position(after, startsA, b1);
    edited.push({ startIndex: at(after, startsA, b0), endIndex: at(after, startsA, b1) });
    tree.edit(
      new Edit({
        startIndex,
        oldEndIndex: at(before, startsB, a1),
        newEndIndex: startIndex + at(after, startsA, b1) - at(after, startsA, b0),
        startPosition: position(before, startsB, a0),
        oldEndPosition: position(before, startsB, a1),
        newEndPosition: { row: a0 + newEnd.row - b0, column: newEnd.column },
      }),
    );
  }
  const parsed = parser.parse(after, tree);
  return parsed && { tree: parsed, changed: [...tree.getChangedRanges(parsed), ...edited] };
}

/** The rows of a text: its line starts, less the empty one after a final newline. */
const rowsOf = (starts: number[], text: string) => (text.endsWith('\n') ? starts.length - 1 : starts.length);

/**
 * Offsets where each line starts (after each newline; a final newline starts one more). The first
 * starts after a byte order mark: a line added at the top goes after it.
 */
function lineStarts(text: string): number[] {
  const starts = [text.startsWith('\uFEFF') ? 1 : 0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * The stretches a merge changed, as [original rows a0..a1, output rows b0..b1) (half-open), in
 * order: where the output stops keeping the original's rows one after another. `rows`: how many
 * rows the original has (its line starts).
 */
export function changedStretches(sources: number[], rows: number): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  let o = 0;
  let r = 0;
  while (r < sources.length || o < rows) {
    if (r < sources.length && sources[r] === o) {
      r++;
      o++;
      continue;
    }
    const b0 = r;
    while (r < sources.length && sources[r] === -1) r++;
    const next = r < sources.length ? sources[r] : rows;
    out.push([o, next, b0, r]);
    o = next;
  }
  return out;
}
