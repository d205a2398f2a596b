// The structural merge, in three stages: normalise the snippet into segments, place each segment
// in the original, splice; then check the result twice (the merge's own acceptance test, and an
// independent check against the raw snippet). Any stage may refuse with a MergeRefusal.
import type { Parser } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { isCommentLine } from './gaps.js';
import { countSyntaxErrors } from '../languages/parser.js';
import { OriginalIndex } from './align.js';
import { backstop } from './backstop.js';
import { bracketsKeepBalance } from './brackets.js';
import { checkMerge } from './check.js';
import { unitColumns } from './indent.js';
import { CONFIDENCE, isBlank, isTrivial, leadingLength, RUNGS, type Rung } from './lines.js';
import { normaliseSnippet, type Segment } from './normalise.js';
import { placeSegments } from './place.js';
import { lineSpan, MergeRefusal } from './refusal.js';
import { deletedImportsStillUsed, deletedTypeNamesStillUsed } from './imports.js';
import { deletedDefinitionsStillUsed } from './definitions.js';
import { deletedBindingsStillUsed } from './bindings.js';
import { splice } from './splice.js';
import { parserView, parseText, type SourceText } from './text.js';
import { cachedTree, rememberTree, type ParsedText } from './tree-cache.js';

export interface MergeRequest {
  original: string;
  update: string;
  language: Language;
  /** null for languages without a grammar: merged line-based, without syntax checks. */
  parser: Parser | null;
  /** 1-based original line numbers near the edit, to choose between equal candidates. */
  lineHints?: number[];
}

export interface MergeResult {
  content: string;
  /** The loosest ladder rung any segment needed. */
  strategy: Rung;
  confidence: number;
  segments: number;
  markers: number;
  /** Segments placed with the help of a tree-sitter definition match. */
  definitionAnchors: number;
  linesAdded: number;
  linesDeleted: number;
  syntax: { checked: boolean; errorsBefore: number; errorsAfter: number };
}


export function mergeStructural(req: MergeRequest): MergeResult {
  const orig = parseText(req.original);
  const { segments, markers } = normaliseSnippet(req.update, orig, req.language);
  if (segments.length === 0) {
    throw new MergeRefusal('markers_only', 'The update holds only marker lines: there is no code to merge.');
  }

  const text = parserView(req.original, orig);
  const parsed = req.parser ? (cachedTree(req.language.id, text) ?? parseAndRemember(req.parser, req.language.id, text)) : null;
  try {
    return mergeWithTree(req, orig, segments, markers, parsed);
  } finally {
    parsed?.tree.delete();
  }
}

/** Lines a merge that changes nothing may find the snippet deleting elsewhere (as elided-context's runs). */
const SHORT_DELETION = 4;

/**
 * A merge that changes nothing, where a segment also reads, somewhere, as the context of a short
 * deletion (its lines in order with one to four of the file's lines skipped between them): the
 * snippet must mean something, so it likely means that deletion (`assert(err == 0);` deleted with
 * what follows up to the next one; a line deleted from the first of two look-alike macro tables).
 * Refused as ambiguous. (A snippet re-applied to the file it already made is unique, and merges.)
 */
function changesNothingHere(added: Set<number>, deleted: Set<number>, segments: Segment[], original: string[]): void {
  if (added.size > 0 || deleted.size > 0) return;
  const file = original.map((l) => l.trim());
  segments.forEach((seg, i) => {
    const alt = deletionReading(seg.lines.map((l) => l.trim()), file);
    if (alt === null) return;
    throw new MergeRefusal('ambiguous_anchor', `The update changes nothing where it fits best, and segment ${i + 1} also reads as the context of a deletion at lines ${alt[0] + 1}-${alt[1] + 1}.`, {
      segment: i,
      candidates: [{ start_line: alt[0] + 1, end_line: alt[1] + 1 }],
    });
  });
}

/** Where the lines `want` stand in `file` in order with 1..SHORT_DELETION lines skipped in all (first found), or null. */
function deletionReading(want: string[], file: string[]): [number, number] | null {
  if (want.length < 2 || isTrivial(want[0])) return null;
  // (each next line within the budget left: a few candidates at most, so a plain search)
  const from = (s: number, o: number, skipped: number): number | null => {
    if (s === want.length) return skipped > 0 ? o : null;
    for (let q = o + 1; q < file.length && q - o - 1 <= SHORT_DELETION - skipped; q++) {
      if (file[q] !== want[s]) continue;
      const end = from(s + 1, q, skipped + (q - o - 1));
      if (end !== null) return end;
    }
    return null;
  };
  for (let start = 0; start < file.length; start++) {
    if (file[start] !== want[0]) continue;
    const end = from(1, start, 0);
    if (end !== null) return [start, end];
  }
  return null;
}

/**
 * Two blank lines in a row in the merge, where the file has them nowhere and the merge deletes
 * lines between them: the snippet skipped what stood between its blank lines (a model copying
 * context drops a statement and keeps the blanks on either side), where an edit deleting that
 * statement would take one of the blanks with it (elided-context eval, bare-pipe).
 */
function doubledBlankOverDeletion(original: string[], output: string[], sources: number[]): void {
  if (original.some((l, i) => i > 0 && isBlank(l) && isBlank(original[i - 1]))) return;
  for (let i = 1; i < output.length; i++) {
    if (!isBlank(output[i]) || !isBlank(output[i - 1])) continue;
    // (the file's lines on either side of the pair, past new ones)
    const before = sources.slice(0, i).reverse().find((s) => s >= 0) ?? -1;
    const after = sources.slice(i).find((s) => s >= 0) ?? original.length;
    if (after - before <= 1) continue;
    throw new MergeRefusal(
      'unstated_deletion',
      `The merge would leave two blank lines in a row (lines ${i} and ${i + 1}), which the file has nowhere, where it deletes ${lineSpan(before + 2, after)}: the update likely skipped them between its blank lines. ` +
        'Include them if they are to be kept; to delete them, show one blank line where they were.',
      { start_line: before + 2, end_line: after, kind: 'doubled_blank' },
    );
  }
}

/**
 * New lines that replace some of the file's lines and dedent below them and below the kept lines on
 * both sides: the new code (a `def` at the top level) cuts into the block those lines share, deleting
 * its lines there and taking the ones after it as its own body. The segment paired a line of its
 * new code with a look-alike line inside another construct (`return jsonify({"error": "not found"}),
 * 404` in two handlers).
 */
function replacedByShallowerCode(original: string[], output: string[], sources: number[], lang: Language): void {
  const depth = leadingLength;
  const code = (l: string) => !isBlank(l) && !isCommentLine(l, lang) && !/^\s*#/.test(l);
  for (let i = 0; i < output.length; ) {
    if (sources[i] >= 0) { i++; continue; }
    let j = i;
    while (j < output.length && sources[j] < 0) j++;
    const fresh = output.slice(i, j).filter(code);
    const before = sources.slice(0, i).reverse().find((s) => s >= 0);
    const after = sources.slice(j).find((s) => s >= 0);
    i = j;
    if (fresh.length === 0 || before === undefined || after === undefined) continue;
    const replaced = original.slice(before + 1, after).filter(code);
    const d = Math.min(...fresh.map(depth));
    if (replaced.length === 0 || d >= Math.min(...replaced.map(depth))) continue;
    if (!code(original[before]) || !code(original[after]) || depth(original[before]) <= d || depth(original[after]) <= d) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's new line "${fresh.find((l) => depth(l) === d)!.trim().slice(0, 80)}" would replace ${lineSpan(before + 2, after)} of the file, indented less than those lines and the kept lines around them, which share one block: the lines after it would leave that block for the new code's. ` +
        'The update was likely placed on lines its new code copies: include the lines around the new code as they stand in the file.',
      { start_line: before + 2, end_line: after, kind: 'replaced_by_shallower_code' },
    );
  }
}

function parseAndRemember(parser: Parser, language: string, text: string): ParsedText | null {
  const tree = parser.parse(text);
  if (!tree) return null;
  const errors = countSyntaxErrors(tree.rootNode);
  rememberTree(language, text, tree, errors);
  return { tree, errors };
}

function mergeWithTree(req: MergeRequest, orig: SourceText, segments: Segment[], markers: number, parsed: ParsedText | null): MergeResult {
  const tree = parsed?.tree ?? null;
  const root = tree?.rootNode ?? null;
  const index = new OriginalIndex(orig.lines, unitColumns(orig.indent));
  const placements = placeSegments(segments, markers, orig, index, req.parser, req.language, root, req.lineHints ?? []);
  const out = splice(orig, index, segments, placements, req.language, root);
  changesNothingHere(out.added, out.deleted, segments, orig.lines);
  doubledBlankOverDeletion(orig.lines, out.lines, out.sources);
  replacedByShallowerCode(orig.lines, out.lines, out.sources, req.language);
  // The independent check first: it is cheap, and a disagreement there needs no parse.
  backstop({ update: req.update, original: orig.lines, output: out.lines });
  deletedImportsStillUsed(orig.lines, out.deleted, out.lines, out.added, req.language);
  deletedTypeNamesStillUsed(orig.lines, out.deleted, out.lines, out.added, req.language);
  deletedDefinitionsStillUsed(root, orig.lines, out.deleted, out.lines, out.added);
  const rebindings = deletedBindingsStillUsed(root, out.deleted, out.lines, out.sources, req.language);
  const syntax = checkMerge({
    rebindings,
    originalTree: tree,
    sources: out.sources,
    originalText: parserView(req.original, orig),
    original: orig,
    output: out.lines,
    added: out.added,
    shown: out.shown,
    segments,
    language: req.language,
    parser: req.parser,
    errorsBefore: parsed?.errors ?? { error: 0, missing: 0 },
    content: out.content,
    // A whole new file says outright what it drops.
    linesDeleted: placements.some((p) => p.kind === 'anchor' && p.wholeFile) ? 0 : out.linesDeleted,
    linesAdded: out.linesAdded,
    largestGap: out.largestGap,
  });
  // (after the parse: where the grammar sees the error, its refusal says more)
  bracketsKeepBalance(req.original, out.content, req.language);

  const strategy = out.rungs.reduce<Rung>((worst, r) => (RUNGS.indexOf(r) > RUNGS.indexOf(worst) ? r : worst), 'exact');
  return {
    content: out.content,
    strategy,
    confidence: CONFIDENCE[strategy],
    segments: segments.length,
    markers,
    definitionAnchors: out.definitionAnchors,
    linesAdded: out.linesAdded,
    linesDeleted: out.linesDeleted,
    syntax,
  };
}
