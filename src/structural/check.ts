// The acceptance test a merge must pass before it is answered: nothing of the snippet lost, no
// marker left, no new syntax errors, and no large silent deletion.
import { Edit, type Node, type Parser, type Tree } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { countSyntaxErrors, outermostErrorsOn, recountSyntaxErrors, totalErrors, type SyntaxErrors } from '../languages/parser.js';
import { isMarkerLine } from './markers.js';
import { definedTwice, prototypedTwice } from './definitions.js';
import { declaredTwice, redeclared, type Rebinding } from './bindings.js';
import { docTagDroppedForLiveName, rewrittenCommentBesideOriginal, swallowedComment, tidiedCopyBesideOriginal } from './check-comments.js';
import { bodyBesideItsOpener, copiedFromElsewhere, duplicatedBesideItself, keySetTwice, unreachableKeptLine } from './check-neighbours.js';
import { commentWords } from './gaps.js';
import type { Segment } from './normalise.js';
import { isBlank, runsOf } from './lines.js';
import { MergeRefusal } from './refusal.js';
import { pythonBlockErrors } from './python-blocks.js';
import { unbalancedElements } from './check-markup.js';
import { rememberTree } from './tree-cache.js';
import { parserView, type SourceText } from './text.js';

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
  if (c.sources) copiedFromElsewhere(c.output, c.added, shown, c.sources, c.original.lines);
  keySetTwice(c.output, c.added, shown, c.language);

  // A merge whose only change is blank lines added read a snippet that leaves lines out (a method
  // between two of its lines) as one that adds space: no edit sends a snippet for that alone.
  if (c.linesDeleted === 0 && c.added.size > 0 && [...c.added].every((row) => isBlank(c.output[row]))) {
    throw new MergeRefusal('check_failed', 'The merge would only add blank lines: the update likely leaves out lines it means to delete, or shows lines the file has elsewhere. Show the lines around the change as they stand in the file.', {
      blank_lines_added: c.added.size,
    });
  }

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
      throw new MergeRefusal('syntax_regression', `The merged file would have ${after} indentation errors (a block with no body, an indent no \`:\` opens, a dedent to no open level, a \`return\` outside a function) where the original has ${before}.`, {
        indentation_errors_before: before,
        indentation_errors_after: after,
      });
    }
  }

  // HTML's grammar closes what a file leaves open without an error.
  unbalancedElements(c.language.id, c.originalText, c.content);

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
