// The structural merge, in three stages: normalise the snippet into segments, place each segment
// in the original, splice; then check the result twice (the merge's own acceptance test, and an
// independent check against the raw snippet). Any stage may refuse with a MergeRefusal.
import type { Parser } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { countSyntaxErrors } from '../languages/parser.js';
import { OriginalIndex } from './align.js';
import { backstop } from './backstop.js';
import { bracketsKeepBalance } from './brackets.js';
import { checkMerge } from './check.js';
import { caseTakesKeptLines, changesNothingHere, doubledBlankOverDeletion, keptDeclarationOrphaned, keyLosesItsBody, newElementTakesKeptLines, removalCommentContradicted, replacedByShallowerCode } from './check-neighbours.js';
import { unitColumns } from './indent.js';
import { CONFIDENCE, RUNGS, type Rung } from './lines.js';
import { normaliseSnippet, type Segment } from './normalise.js';
import { inFileOrder, placeSegments } from './place.js';
import { MergeRefusal } from './refusal.js';
import { deletedImportsStillUsed, deletedTypeNamesStillUsed } from './imports.js';
import { deletedDefinitionsStillUsed } from './definitions.js';
import { deletedBindingsStillUsed } from './bindings.js';
import { applyEditBlocks, readEditBlocks, type EditBlock } from './edit-blocks.js';
import { splice } from './splice.js';
import { joinText, parserView, parseText, type SourceText } from './text.js';
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
  // A diff or SEARCH/REPLACE blocks say outright what they replace; a lazy snippet is read.
  const blocks = readEditBlocks(req.update, orig.lines);
  const { segments, markers } = blocks ? { segments: [], markers: 0 } : normaliseSnippet(req.update, orig, req.language);
  if (!blocks && segments.length === 0) {
    throw new MergeRefusal('markers_only', 'The update holds only marker lines: there is no code to merge.');
  }

  const text = parserView(req.original, orig);
  const parsed = req.parser ? (cachedTree(req.language.id, text) ?? parseAndRemember(req.parser, req.language.id, text)) : null;
  try {
    return blocks ? mergeEditBlocks(req, orig, blocks, parsed) : mergeWithTree(req, orig, segments, markers, parsed);
  } finally {
    parsed?.tree.delete();
  }
}

/** Explicit edits: placed and checked by their own rules (edit-blocks.ts), then parsed as any merge. */
function mergeEditBlocks(req: MergeRequest, orig: SourceText, blocks: EditBlock[], parsed: ParsedText | null): MergeResult {
  const out = applyEditBlocks(blocks, orig.lines, req.lineHints ?? []);
  const content = joinText(orig, out.output, out.sources.map((o) => (o >= 0 ? orig.eols[o] : undefined)));
  const syntax = checkMerge({
    originalTree: parsed?.tree ?? null,
    sources: out.sources,
    originalText: parserView(req.original, orig),
    original: orig,
    output: out.output,
    added: out.added,
    shown: out.shown,
    segments: blocks.map((b, i) => ({ lines: b.after, snippetLine: i, markerBefore: true, markerAfter: true })),
    language: req.language,
    parser: req.parser,
    errorsBefore: parsed?.errors ?? { error: 0, missing: 0 },
    content,
    // (deletions it states are no slip)
    linesDeleted: 0,
    linesAdded: out.added.size,
    largestGap: 0,
  });
  bracketsKeepBalance(req.original, content, req.language);
  return {
    content,
    strategy: out.rung,
    confidence: CONFIDENCE[out.rung],
    segments: blocks.length,
    markers: 0,
    definitionAnchors: 0,
    linesAdded: out.added.size,
    linesDeleted: out.linesDeleted,
    syntax,
  };
}

function parseAndRemember(parser: Parser, language: string, text: string): ParsedText | null {
  const tree = parser.parse(text);
  if (!tree) return null;
  const errors = countSyntaxErrors(tree.rootNode);
  rememberTree(language, text, tree, errors);
  return { tree, errors };
}

function mergeWithTree(req: MergeRequest, orig: SourceText, written: Segment[], markers: number, parsed: ParsedText | null): MergeResult {
  const tree = parsed?.tree ?? null;
  const root = tree?.rootNode ?? null;
  const index = new OriginalIndex(orig.lines, unitColumns(orig.indent));
  const { segments, placements } = inFileOrder(written, placeSegments(written, markers, orig, index, req.parser, req.language, root, req.lineHints ?? []));
  const out = splice(orig, index, segments, placements, req.language, root);
  changesNothingHere(out.added, out.deleted, segments, orig.lines);
  doubledBlankOverDeletion(orig.lines, out.lines, out.sources);
  replacedByShallowerCode(orig.lines, out.lines, out.sources, req.language);
  caseTakesKeptLines(orig.lines, out.lines, out.sources);
  keyLosesItsBody(orig.lines, out.lines, out.sources, req.language);
  keptDeclarationOrphaned(orig.lines, out.lines, out.sources, req.language);
  // The independent check first: it is cheap, and a disagreement there needs no parse.
  backstop({ update: req.update, original: orig.lines, output: out.lines, lineComments: req.language.line });
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
  newElementTakesKeptLines(orig.lines, out.lines, out.sources, req.language);
  removalCommentContradicted(out.lines, out.sources, req.language);

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
