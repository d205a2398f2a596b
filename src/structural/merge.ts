// The structural merge: anchor each snippet segment in the original, splice, then check the result.
import type { Node, Parser, Tree } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { countSyntaxErrors, withTree } from '../languages/parser.js';
import { anchorAtRung, DEF_WEIGHT, DELETE_COST, STRONG_WEIGHT, fillGap, OriginalIndex, type AnchorSearch, type Match, type SegmentAnchor } from './align.js';
import { collectDefinitions, uniqueDefinitions, type Definition } from './definitions.js';
import { chooseUnitMapping, indentColumns, reindenter } from './indent.js';
import { CONFIDENCE, isBlank, isTrivial, lineKey, RUNGS, type Rung } from './lines.js';
import { closingByIndent, closingCandidate, openingCandidate } from './closers.js';
import { MergeRefusal } from './refusal.js';
import { normaliseSnippet, type Segment } from './normalise.js';
import { detectIndentUnit, joinText, leadingWhitespace, parseText, type SourceText } from './text.js';
import { checkMerge } from './validate.js';
import { backstop } from './backstop.js';
import { pairRewordedComments, unstatedDeletion } from './gaps.js';

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

type Placement =
  /** Original lines [from, to] are replaced by the segment; from <= anchor.start, to >= anchor.end. */
  | { kind: 'anchor'; anchor: SegmentAnchor; from: number; to: number; wholeFile?: boolean }
  | { kind: 'top' }
  | { kind: 'bottom' };

const KEY_RUNGS: Rung[] = ['exact', 'whitespace', 'trimmed'];

export function mergeStructural(req: MergeRequest): MergeResult {
  const orig = parseText(req.original);
  const { segments, markers } = normaliseSnippet(req.update, orig, req.language);
  if (segments.length === 0) {
    throw new MergeRefusal('markers_only', 'The update holds only marker lines: there is no code to merge.');
  }

  const tree = req.parser?.parse(req.original) ?? null;
  try {
    return mergeWithTree(req, orig, segments, markers, tree);
  } finally {
    tree?.delete();
  }
}

function mergeWithTree(req: MergeRequest, orig: SourceText, segments: Segment[], markers: number, tree: Tree | null): MergeResult {
  const root = tree?.rootNode ?? null;
  const errorsBefore = root ? countSyntaxErrors(root) : 0;
  const index = new OriginalIndex(orig.lines);
  // The original's definitions are looked up only when some segment holds a whole one.
  let origDefs: Map<string, Definition> | null = null;
  const defMatches = segments.map((seg) =>
    req.parser && root ? definitionMatches(req.parser, seg, req.language, orig.lines, () => (origDefs ??= uniqueDefinitions(collectDefinitions(root, false)))) : [],
  );

  const placements = resolvePlacements(segments, markers, orig, index, defMatches, req.lineHints ?? [], root);
  const out = splice(orig, index, segments, placements, req.language);
  // The independent check first: it is cheap, and a disagreement there needs no parse.
  backstop({ update: req.update, original: orig.lines, output: out.lines });
  const syntax = checkMerge({
    originalTree: tree,
    originalText: req.original,
    original: orig,
    output: out.lines,
    added: out.added,
    segments,
    language: req.language,
    parser: req.parser,
    errorsBefore,
    content: out.content,
    // A whole new file says outright what it drops.
    linesDeleted: placements.some((p) => p.kind === 'anchor' && p.wholeFile) ? 0 : out.linesDeleted,
    linesAdded: out.linesAdded,
    largestGap: out.largestGap,
  });

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

/** Pair the first and last lines of each whole, clean definition in the segment with the original's. */
/**
 * How to make a class member parse on its own: wrap it in a class (the rows it adds before the
 * member are subtracted again). Methods copied out of their class are a common snippet.
 */
const MEMBER_WRAPPERS: Record<string, { open: string; close: string; indent?: string }> = {
  typescript: { open: 'class __Snippet {', close: '}' },
  tsx: { open: 'class __Snippet {', close: '}' },
  javascript: { open: 'class __Snippet {', close: '}' },
  java: { open: 'class __Snippet {', close: '}' },
  csharp: { open: 'class __Snippet {', close: '}' },
  kotlin: { open: 'class __Snippet {', close: '}' },
  php: { open: '<?php class __Snippet {', close: '}' },
  cpp: { open: 'class __Snippet {', close: '};' },
  python: { open: 'class __Snippet:', close: '', indent: '    ' },
  ruby: { open: 'class Snippet', close: 'end' },
};

function definitionMatches(parser: Parser, seg: Segment, language: Language, originalLines: string[], originalDefinitions: () => Map<string, Definition>): Match[] {
  // Dedent so a method copied out of its class still parses as a definition.
  const indents = seg.lines.filter((l) => l.trim() !== '').map((l) => leadingWhitespace(l).length);
  const cut = Math.min(...indents);
  const dedented = seg.lines.map((l) => (l.trim() === '' ? '' : l.slice(cut)));
  let defs = withTree(parser, dedented.join('\n'), (tree) => uniqueDefinitions(collectDefinitions(tree.rootNode, true)));
  const wrap = MEMBER_WRAPPERS[language.id];
  if (defs.size === 0 && wrap) {
    const body = dedented.map((l) => (l && wrap.indent ? wrap.indent + l : l));
    const inClass = withTree(parser, [wrap.open, ...body, wrap.close].join('\n'), (tree) => collectDefinitions(tree.rootNode, true));
    defs = uniqueDefinitions(
      inClass.filter((d) => d.startRow >= 1 && d.endRow <= body.length).map((d) => ({ ...d, startRow: d.startRow - 1, endRow: d.endRow - 1 })),
    );
  }
  const out: Match[] = [];
  if (defs.size === 0) return out;
  const origDefs = originalDefinitions();
  for (const [key, d] of defs) {
    const o = origDefs.get(key);
    if (!o) continue;
    out.push({ s: d.startRow, o: o.startRow, w: DEF_WEIGHT, kind: 'def-start' });
    // The definition's end pays back the cost of the body lines it replaces: replacing a whole
    // definition is what the snippet says, however much shorter the new body is.
    const replaced = Math.max(0, o.endRow - o.startRow - (d.endRow - d.startRow));
    // The snippet's definition ends where the original's does only if its last line closes it at
    // the same depth (`\t}` under `func f() {` closes an inner block the snippet cut short).
    const rel = (lines: string[], a: number, b: number) => indentColumns(lines[b]) - indentColumns(lines[a]);
    const sameDepth = Math.abs(rel(dedented, d.startRow, d.endRow) - rel(originalLines, o.startRow, o.endRow)) <= 1;
    if (d.endRow > d.startRow && o.endRow > o.startRow && sameDepth) out.push({ s: d.endRow, o: o.endRow, w: DEF_WEIGHT + replaced * DELETE_COST, kind: 'def-end' });
  }
  return out;
}

/**
 * Climb the ladder only as far as needed: a looser rung is taken when it matches more of the
 * segment's edge lines (its context) than the stricter ones. Matching more *inner* lines is no
 * reason: a line whose indentation the edit changed would then pass for an unchanged one.
 */
function searchSegment(seg: Segment, otherUnit: boolean, index: OriginalIndex, defs: Match[], lo: number, hi: number): AnchorSearch {
  const found = KEY_RUNGS.map((rung) => anchorAtRung(seg.lines, index, rung, lo, hi, defs));
  // A snippet indented in another unit (spaces for a tab file, 4 spaces for 2) differs on every
  // indented line: then matching many more lines is reason enough to climb. Where the strict rungs
  // already match half as many, the extra lines the loose one pairs are the edit's re-indented ones.
  const strict = Math.max(0, ...found.slice(0, 2).map((r) => r.best?.strength ?? 0));
  const loose = found[2].best?.strength ?? 0;
  const climb = otherUnit && strict * 2 < loose;
  const quality = (a: SegmentAnchor) => a.edges * 1000 + (climb ? a.strength : 0);
  let chosen: AnchorSearch = { best: null, rivals: [] };
  for (const r of found) if (r.best && (!chosen.best || quality(r.best) > quality(chosen.best))) chosen = r;
  return chosen;
}

/**
 * Place every segment, in order. A segment whose anchor is ambiguous may become unique once its
 * neighbours are placed (an anchor must be unique given the order), so placing repeats until
 * nothing changes.
 */
function resolvePlacements(
  segments: Segment[],
  markers: number,
  orig: SourceText,
  index: OriginalIndex,
  defMatches: Match[][],
  lineHints: number[],
  root: Node | null,
): Placement[] {
  const n = orig.lines.length;
  const placed: (Placement | undefined)[] = new Array(segments.length);
  // The snippet's unit, from all of it (one segment is too short to tell).
  const all = segments.flatMap((s) => s.lines);
  const unit = detectIndentUnit(all);
  const otherUnit =
    all.filter((l) => /^[ \t]+\S/.test(l)).length >= 3 &&
    (unit.kind !== orig.indent.kind || (unit.kind === 'space' && orig.indent.kind === 'space' && unit.width !== orig.indent.width));
  const last: AnchorSearch[] = new Array(segments.length);
  const bounds = (i: number): [number, number] => {
    let lo = 0;
    let hi = n;
    for (let j = i - 1; j >= 0; j--) {
      const p = placed[j];
      if (p?.kind === 'anchor') {
        lo = p.anchor.end + 1;
        break;
      }
    }
    for (let j = i + 1; j < segments.length; j++) {
      const p = placed[j];
      if (p?.kind === 'anchor') {
        hi = p.anchor.start;
        break;
      }
    }
    return [lo, hi];
  };

  /** A segment of closing lines after a marker ends the block its placed predecessor opened. */
  const closedBlock = (i: number): [number, number] | null => {
    const prev = placed[i - 1];
    const seg = segments[i];
    if (!prev || prev.kind !== 'anchor' || !seg.markerBefore) return null;
    if (!seg.lines.every((l) => isBlank(l) || isTrivial(l))) return null;
    const [lo, hi] = bounds(i);
    for (const rung of KEY_RUNGS) {
      const at = index.positions(lineKey(seg.lines[0], rung), rung).filter((o) => o >= lo && o < hi);
      const range = (o: number): [number, number] => [o, o + seg.lines.length - 1];
      const pick = root ? closingCandidate(root, prev.from, prev.to, at.map(range)) : null;
      if (pick) return pick;
      const byIndent = closingByIndent(orig.lines, prev.to, at, indentColumns);
      if (byIndent !== null) return range(byIndent);
    }
    return null;
  };

  /** A segment followed by a marker and a placed segment is the header of the block holding it. */
  const openedBlock = (i: number, found: AnchorSearch): [number, number] | null => {
    const next = placed[i + 1];
    if (!root || !next || next.kind !== 'anchor' || !segments[i].markerAfter) return null;
    return openingCandidate(root, found.rivals, next.from, next.to);
  };

  for (let progress = true; progress; ) {
    progress = false;
    for (let i = 0; i < segments.length; i++) {
      if (placed[i]) continue;
      const [lo, hi] = bounds(i);
      const found = searchSegment(segments[i], otherUnit, index, defMatches[i], lo, hi);
      last[i] = found;
      if (!found.best) continue;
      // A segment of only common lines (`}`, `end`, blanks) says where it goes only where its first
      // line occurs once: elsewhere it needs a hint, or a neighbour whose block it closes.
      if (found.rivals.length === 0 && segments[i].lines.every((l) => isBlank(l) || isTrivial(l))) {
        const head = segments[i].lines[0];
        const copies = index.positions(lineKey(head, 'trimmed'), 'trimmed').filter((o) => o >= lo && o < hi);
        if (copies.length > 1) found.rivals = copies.map((o) => [o, o + segments[i].lines.length - 1]);
      }
      if (found.rivals.length === 0) {
        placed[i] = { kind: 'anchor', anchor: found.best, from: found.best.start, to: found.best.end };
        progress = true;
      } else {
        const near = nearestToHints(found, lineHints) ?? closedBlock(i) ?? openedBlock(i, found);
        if (!near) continue;
        // Search again around the hinted candidate only.
        const len = segments[i].lines.length;
        const again = searchSegment(segments[i], otherUnit, index, defMatches[i], Math.max(lo, near[0] - len), Math.min(hi, near[1] + len + 1));
        if (again.best && again.rivals.length === 0) {
          placed[i] = { kind: 'anchor', anchor: again.best, from: again.best.start, to: again.best.end };
          progress = true;
        }
      }
    }
  }

  const placements = segments.map((seg, i) => {
    const p = placed[i];
    if (p) return p;
    const found = last[i];
    const where = { segment: i, snippet_lines: [seg.snippetLine + 1, seg.snippetLine + seg.lines.length] };
    if (found?.best) {
      throw new MergeRefusal('ambiguous_anchor', `Segment ${i + 1} of the update fits more than one place in the file.`, {
        ...where,
        candidates: found.rivals.map(([a, b]) => ({ start_line: a + 1, end_line: b + 1 })),
      });
    }
    // A segment that shares nothing with the file goes at the top (bottom) only when the snippet
    // says so: code first, then a marker for the rest (or the reverse).
    if (i === 0 && !seg.markerBefore && seg.markerAfter) return { kind: 'top' } as const;
    if (i === segments.length - 1 && seg.markerBefore && !seg.markerAfter) return { kind: 'bottom' } as const;
    throw new MergeRefusal('no_anchor', `Segment ${i + 1} of the update matches no line of the file.`, {
      ...where,
      lines: seg.lines,
    });
  });
  if (markers > 0) extendToUnmarkedEnds(segments, placements, orig);
  else spanWholeFile(segments, placements, orig);
  return placements;
}

/** Non-blank lines an unmarked snippet end may drop before we call it a forgotten marker. */
const UNMARKED_END_LIMIT = 10;

/**
 * Markers stand for the code a snippet leaves out, so where a snippet with markers has none at its
 * start (end), it leaves nothing out there: original lines before the first (after the last)
 * segment are deleted. More than a few such lines is far likelier a forgotten marker: refused.
 */
function extendToUnmarkedEnds(segments: Segment[], placements: Placement[], orig: SourceText): void {
  const nonBlank = (a: number, b: number) => orig.lines.slice(a, b).filter((l) => l.trim() !== '').length;
  const first = placements[0];
  if (first.kind === 'anchor' && !segments[0].markerBefore && first.from > 0 && first.anchor.chain.matches[0].s > 0) {
    const dropped = nonBlank(0, first.from);
    if (dropped > UNMARKED_END_LIMIT) {
      throw new MergeRefusal('missing_marker', `The update has no marker before its first line, which would delete the ${dropped} non-blank lines above it. Start it with a marker line if they are to be kept.`, { lines: dropped, where: 'start' });
    }
    first.from = 0;
  }
  const lastSeg = segments[segments.length - 1];
  const last = placements[placements.length - 1];
  const n = orig.lines.length;
  // Ending on new lines, the snippet replaces what follows. Ending on unchanged context, it most
  // likely forgot its closing marker (the commonest slip of models): what follows is kept.
  const lastChain = last.kind === 'anchor' ? last.anchor.chain.matches : [];
  const endsOnNew = lastChain.length > 0 && lastChain[lastChain.length - 1].s < lastSeg.lines.length - 1;
  if (last.kind === 'anchor' && !lastSeg.markerAfter && last.to < n - 1 && endsOnNew) {
    const dropped = nonBlank(last.to + 1, n);
    if (dropped > UNMARKED_END_LIMIT) {
      throw new MergeRefusal('missing_marker', `The update has no marker after its last line, which would delete the ${dropped} non-blank lines below it. End it with a marker line if they are to be kept.`, { lines: dropped, where: 'end' });
    }
    last.to = n - 1;
  }
}

/**
 * A snippet without markers, at least half the file's size, whose first and last lines are the
 * file's first and last lines (up to spacing) is the whole new file: it replaces everything, including old lines beyond its anchors.
 */
const WHOLE_FILE_SHARE = 0.5;

function spanWholeFile(segments: Segment[], placements: Placement[], orig: SourceText): void {
  const p = placements[0];
  if (segments.length !== 1 || p.kind !== 'anchor') return;
  const squash = (l: string) => l.trim().replace(/\s+/g, ' ');
  const code = orig.lines.map((l, i) => [i, squash(l)] as const).filter(([, l]) => l !== '');
  const seg = segments[0].lines;
  if (code.length === 0 || squash(seg[0]) !== code[0][1] || squash(seg[seg.length - 1]) !== code[code.length - 1][1]) return;
  // And about the file's size: first and last line around a few new ones is no new file.
  if (seg.filter((l) => l.trim() !== '').length < WHOLE_FILE_SHARE * code.length) return;
  p.from = 0;
  p.to = orig.lines.length - 1;
  p.wholeFile = true;
}

/** With line hints, the candidate containing (or nearest to) a hint, if it is strictly nearest. */
function nearestToHints(found: AnchorSearch, hints: number[]): [number, number] | null {
  if (hints.length === 0) return null;
  const dist = ([a, b]: [number, number]) => Math.min(...hints.map((h) => (h - 1 < a ? a - (h - 1) : h - 1 > b ? h - 1 - b : 0)));
  const ranked = [...found.rivals].sort((x, y) => dist(x) - dist(y));
  return ranked.length > 1 && dist(ranked[0]) < dist(ranked[1]) ? ranked[0] : null;
}

interface Spliced {
  content: string;
  lines: string[];
  /** Output rows that came from the snippet rather than the original. */
  added: Set<number>;
  rungs: Rung[];
  definitionAnchors: number;
  linesAdded: number;
  linesDeleted: number;
  largestGap: number;
}

/** A line that can only be itself: some words of its own, and once in the file. */
const distinctive = (line: string, index: OriginalIndex) => {
  const t = line.trim();
  return t.length >= 8 && /[A-Za-z_$][\w$]{2,}/.test(t) && index.positions(t, 'trimmed').length === 1;
};

/**
 * A deletion the snippet states outright: between kept[k-1] and kept[k] the file has lines the
 * snippet replaces with its own (or with nothing), and on each side the nearest distinctive line
 * is reached through lines kept contiguously. Such a gap is what the snippet says, however long
 * (the share of the file a merge may delete still applies). A gap next to generic lines (braces,
 * `continue;`, a repeated statement) is what a misplaced anchor looks like, and stays under the
 * deletion budget.
 */
function explicitGap(kept: [number, number][], k: number, snippet: string[], file: string[], index: OriginalIndex): boolean {
  const side = (from: number, step: -1 | 1) => {
    for (let j = from; j >= 0 && j < kept.length; j += step) {
      if (j !== from && (kept[j][0] - kept[j - step][0] !== step || kept[j][1] - kept[j - step][1] !== step)) return false;
      if (distinctive(snippet[kept[j][0]], index) && distinctive(file[kept[j][1]], index)) return true;
    }
    return false;
  };
  return side(k - 1, -1) && side(k, 1);
}

function splice(orig: SourceText, index: OriginalIndex, segments: Segment[], placements: Placement[], language: Language): Spliced {
  // The snippet's indentation unit, from all of it: one segment may be too short to tell.
  const pairs = segments.map((seg, i) => {
    const p = placements[i];
    return p.kind === 'anchor' ? pairLines(seg, orig, p.anchor) : new Map<number, number>();
  });
  // The lines that say where the segment's indentation sits, as [snippet line, original line]: its
  // distinctive chained lines and definition starts (a method copied out of its class is paired
  // with its original by name), else every kept line. Lines kept only because they equal their
  // neighbours (`}`, `break;`) may have been paired across a change of depth.
  const shared = segments.map((seg, i) => {
    const p = placements[i];
    if (p.kind !== 'anchor') return [];
    const strong = p.anchor.chain.matches.filter((m) => (m.kind === 'def-start' || (m.kind === 'text' && pairs[i].get(m.s) === m.o)) && m.w >= STRONG_WEIGHT);
    const from = strong.length > 0 ? strong.map((m) => [m.s, m.o]) : [...pairs[i]];
    return from.map(([s, o]) => [seg.lines[s], orig.lines[o]] as [string, string]);
  });
  const unitMapping = chooseUnitMapping(shared, orig.indent);
  // A file indented with tabs only gets tabs on the lines a snippet indented with spaces.
  const tabsOnly = orig.indent.kind === 'tab' && !orig.lines.some((l) => /^ +[^ *]/.test(l));
  const lines: string[] = [];
  const eols: (string | undefined)[] = [];
  const added = new Set<number>();
  const rungs: Rung[] = [];
  let cursor = 0;
  let definitionAnchors = 0;
  let linesAdded = 0;
  let linesDeleted = 0;
  let largestGap = 0;
  const keep = (from: number, to: number) => {
    for (let o = from; o < to; o++) {
      lines.push(orig.lines[o]);
      eols.push(orig.eols[o]);
    }
  };

  segments.forEach((seg, i) => {
    const p = placements[i];
    if (p.kind !== 'anchor') {
      if (p.kind === 'bottom') {
        keep(cursor, orig.lines.length);
        cursor = orig.lines.length;
      }
      for (const l of seg.lines) {
        added.add(lines.length);
        lines.push(l);
        eols.push(undefined);
      }
      linesAdded += seg.lines.length;
      rungs.push('exact');
      return;
    }
    const { anchor } = p;
    ({ from: p.from, to: p.to } = pairRewordedComments(seg.lines, orig.lines, pairs[i], p.from, p.to, language));
    if (process.env.DEBUG_MERGE) console.error(`seg ${i} [${seg.snippetLine}+${seg.lines.length}] -> ${p.from}..${p.to} rung ${anchor.rung} chain ${anchor.chain.matches.map((m) => `${m.s}:${m.o}${m.kind[0]}`).join(' ')}`);
    keep(cursor, p.from);
    const paired = pairs[i];
    if (anchor.chain.matches.some((m) => m.kind !== 'text')) definitionAnchors++;
    const re = reindenter(shared[i], orig.indent, unitMapping, tabsOnly);
    // A line the snippet shows at another depth than the file (relative to the segment's other
    // context) was moved by the edit: it is written as the snippet has it, not kept.
    for (const [s, o] of paired) if (!re.agrees(seg.lines[s], orig.lines[o])) paired.delete(s);
    rungs.push(anchor.rung !== 'trimmed' ? anchor.rung : re.verbatim ? 'whitespace' : re.uniform ? 'indent_shift' : 'trimmed');
    const kept = [...paired.entries()].sort((x, y) => x[0] - y[0]);
    // Lines the snippet skips between two kept lines it shows side by side: a deletion, unless
    // they are lines models drop by accident (refused).
    for (let k = 1; k < kept.length && !p.wholeFile; k++) {
      if (kept[k][0] - kept[k - 1][0] === 1) unstatedDeletion(orig.lines, kept[k - 1][1] + 1, kept[k][1], language);
    }
    seg.lines.forEach((line, s) => {
      const o = paired.get(s);
      if (o !== undefined) {
        lines.push(orig.lines[o]);
        eols.push(orig.eols[o]);
      } else {
        added.add(lines.length);
        lines.push(re.apply(line));
        eols.push(undefined);
        linesAdded++;
      }
    });
    const used = new Set(paired.values());
    for (let o = p.from; o <= p.to; o++) if (!used.has(o)) linesDeleted++;
    // The largest stretch of original lines dropped between two kept lines with nothing of the
    // snippet in its place: what a misplaced anchor looks like.
    // A definition the snippet replaces whole may shrink by any amount: that is what it says.
    const defStarts = anchor.chain.matches.filter((m) => m.kind === 'def-start').map((m) => m.o);
    const defEnds = anchor.chain.matches.filter((m) => m.kind === 'def-end').map((m) => m.o);
    const insideDefinition = (a: number, b: number) => defStarts.some((d0) => d0 <= a && defEnds.some((d1) => d1 >= b && d1 > d0));
    for (let k = 1; k < kept.length && !p.wholeFile; k++) {
      if (insideDefinition(kept[k - 1][1], kept[k][1])) continue;
      if (explicitGap(kept, k, seg.lines, orig.lines, index)) continue;
      const net = kept[k][1] - kept[k - 1][1] - 1 - (kept[k][0] - kept[k - 1][0] - 1);
      largestGap = Math.max(largestGap, net);
    }
    cursor = p.to + 1;
  });
  keep(cursor, orig.lines.length);
  return { content: joinText(orig, lines, eols), lines, added, rungs, definitionAnchors, linesAdded, linesDeleted, largestGap };
}

/** Segment line -> original line for every line kept as it was: the chain plus equal lines in its gaps. */
function pairLines(seg: Segment, orig: SourceText, anchor: SegmentAnchor): Map<number, number> {
  const paired = new Map<number, number>();
  const ms = anchor.chain.matches;
  const keyRung: Rung = anchor.rung;
  for (const m of ms) {
    if (m.kind === 'text' || lineKey(seg.lines[m.s], keyRung) === lineKey(orig.lines[m.o], keyRung)) paired.set(m.s, m.o);
  }
  for (let k = 1; k < ms.length; k++) {
    for (const [s, o] of fillGap(seg.lines, orig.lines, ms[k - 1].s + 1, ms[k].s, ms[k - 1].o + 1, ms[k].o, keyRung)) paired.set(s, o);
  }
  return paired;
}
