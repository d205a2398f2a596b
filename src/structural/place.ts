// Stage 2 of the merge: segments -> placements. Each segment is anchored in the original by one
// ladder of rules (exact lines, then looser keys; definitions by name; neighbours, line hints and
// enclosing blocks for the ambiguous), or refused with the reason; then the snippet's unmarked ends
// say what happens to the file beyond them.
import type { Node, Parser } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { withTree } from '../languages/parser.js';
import { anchorAtRung, closesOwnBlock, DEF_WEIGHT, netOpens, DELETE_COST, OriginalIndex, STRONG_WEIGHT, type AnchorSearch, type Match, type SegmentAnchor } from './align.js';
import { collectDefinitions, nameInKey, uniqueDefinitions, type Definition } from './definitions.js';
import { indentColumns, unitColumns } from './indent.js';
import { BLOCK_CLOSER, firstWord, isBlank, isTrivial, leadingLength, lineKey, nameSetBy, nonBlankIn, RUNGS, type Rung, TABLE_HEADER } from './lines.js';
import { closingByIndent, closingCandidate, lastRow, openingCandidate } from './closers.js';
import { grownLine, isCommentLine, nearEdit, readsLike } from './gaps.js';
import { importPlacement } from './import-block.js';
import { lineSpan, MergeRefusal } from './refusal.js';
import type { Segment } from './normalise.js';
import { detectIndentUnit, leadingWhitespace, mostCommonStep, type SourceText } from './text.js';

export type Placement =
  /** Original lines [from, to] are replaced by the segment; from <= anchor.start, to >= anchor.end. */
  | { kind: 'anchor'; anchor: SegmentAnchor; from: number; to: number; wholeFile?: boolean }
  | { kind: 'top' }
  | { kind: 'bottom' }
  /** The segment goes after original row `after`: the end of the block its predecessor opens. */
  | { kind: 'inside'; after: number }
  /** New import lines, put after original row `after` among the file's imports. */
  | { kind: 'imports'; after: number };

const KEY_RUNGS: Rung[] = ['exact', 'whitespace', 'trimmed'];

/** Place every segment of the snippet in the original, or refuse. */
export function placeSegments(
  segments: Segment[],
  markers: number,
  orig: SourceText,
  index: OriginalIndex,
  parser: Parser | null,
  language: Language,
  root: Node | null,
  lineHints: number[],
): Placement[] {
  // The original's definitions are looked up only when some segment holds a whole one.
  let origDefs: Definition[] | null = null;
  let origLines: Set<string> | null = null;
  const theFiles = () => (origLines ??= new Set(orig.lines.map((l) => l.trim())));
  const defMatches = segments.map((seg) =>
    parser && root ? definitionMatches(parser, seg, language, orig.lines, () => (origDefs ??= collectDefinitions(root, false)), theFiles) : NO_DEFINITIONS,
  );
  const placements = resolvePlacements(segments, markers, orig, index, defMatches, lineHints, root, language);
  contextInsideChain(segments, placements, orig.lines);
  markerOutgrowsItsBlock(segments, placements, orig.lines);
  commaGrownRival(segments, placements, orig.lines);
  if (markers > 0) {
    refuseUnmarkedTopLevelEnds(segments, placements, orig, root, language);
    extendToUnmarkedEnds(segments, placements, orig);
  } else spanWholeFile(segments, placements, orig, language);
  return placements;
}

/**
 * The anchor of a segment of closing lines at `at` (closedBlock's pick): each of its lines paired
 * with the file's line there, which must read the same trimmed. Null where one does not.
 */
function closingAnchor(seg: string[], lines: string[], at: [number, number]): SegmentAnchor | null {
  const matches: Match[] = [];
  let exact = true;
  for (let k = 0; k < seg.length; k++) {
    const o = at[0] + k;
    if (o >= lines.length || seg[k].trim() !== lines[o].trim()) return null;
    if (seg[k] !== lines[o]) exact = false;
    if (!isBlank(seg[k])) matches.push({ s: k, o, w: 1, kind: 'text' });
  }
  if (matches.length === 0) return null;
  const edges = Number(matches[0].s === 0) + Number(seg.length > 1 && matches[matches.length - 1].s === seg.length - 1);
  return { rung: exact ? 'exact' : 'trimmed', chain: { matches, score: matches.length }, strength: 0, edges, start: at[0], end: at[0] + seg.length - 1 };
}

/**
 * A segment whose first two code lines the chain leaves out while the file has them, together,
 * inside the stretch the chain took (after its first line); or whose last two it leaves out while
 * the file has them before the stretch's last line. Those lines are the snippet's context and say
 * the segment goes beside that stretch, as new code; the chain reads it as a rewrite of the
 * stretch. Both fit: a new function built like the one before it (`return true;` `}` above a
 * `deregister_font` made like `register_font`, whose body the chain paired). Refused as ambiguous.
 * (Two braces alone say nothing: one of the lines must hold a word.)
 */
function contextInsideChain(segments: Segment[], placements: Placement[], lines: string[]): void {
  placements.forEach((p, i) => {
    if (p.kind !== 'anchor' || p.anchor.chain.matches.length === 0) return;
    const seg = segments[i].lines;
    const chain = p.anchor.chain.matches;
    const first = chain[0];
    const last = chain[chain.length - 1];
    const codeOf = (ls: string[]) => ls.filter((l) => !isBlank(l)).map((l) => l.trim());
    const lead = codeOf(seg.slice(0, first.s)).slice(0, 2);
    const tail = codeOf(seg.slice(last.s + 1)).slice(-2);
    const rows: number[] = [];
    for (let r = first.o; r <= last.o; r++) if (!isBlank(lines[r])) rows.push(r);
    const standsIn = (want: string[], within: number[]) =>
      want.length === 2 && want.some((l) => /[\p{L}\p{N}]/u.test(l)) && within.some((_, at) => at + 1 < within.length && want.every((l, q) => lines[within[at + q]].trim() === l));
    if (!standsIn(lead, rows.slice(1)) && !standsIn(tail, rows.slice(0, -1))) return;
    throw new MergeRefusal('ambiguous_anchor', `Segment ${i + 1} of the update starts (or ends) with lines that stand inside lines ${p.anchor.start + 1}-${p.anchor.end + 1} of the file, where it was matched: it reads as new code beside those lines as well as a rewrite of them.`, {
      segment: i,
      candidates: [{ start_line: p.anchor.start + 1, end_line: p.anchor.end + 1 }],
    });
  });
}

/**
 * Segments and their placements in the file's order: a segment of new imports that the snippet
 * writes below code it placed further down (`import { logger }` after the handler that logs) moves
 * up to go before that code. Its markers say what they said: it stood between two.
 */
export function inFileOrder(segments: Segment[], placements: Placement[]): { segments: Segment[]; placements: Placement[] } {
  const at = (p: Placement) => (p.kind === 'anchor' ? p.from : p.kind === 'imports' ? p.after + 0.5 : NaN);
  const order = placements.map((p, i) => i);
  // (only imports move: every other placement keeps its place, and its neighbours)
  for (const i of order.filter((i) => placements[i].kind === 'imports')) {
    const k = order.indexOf(i);
    let to = k;
    while (to > 0 && placements[order[to - 1]].kind === 'anchor' && at(placements[order[to - 1]]) > at(placements[i])) to--;
    order.splice(k, 1);
    order.splice(to, 0, i);
  }
  return { segments: order.map((i) => segments[i]), placements: order.map((i) => placements[i]) };
}

/**
 * The most lines outside its block a marker indented into it is taken not to stand for: a block or
 * two left out. Hundreds of lines are the rest of the file under a marker indented a level too deep.
 */
const LEFT_OUT_BLOCK = 40;

/**
 * A marker indented into the block its segment's last line opens (`def test_a(...):`, then
 * `    # ... existing code ...`) stands for that block's lines. Where the next segment goes on at
 * the header's depth (a sibling, or the block's closer) and was matched past the block's end (and
 * its closer), the lines between hold code the marker does not stand for: a look-alike block the
 * snippet deletes by leaving it out (`test_b`, between `test_a` shown collapsed and `test_c`), or
 * the next segment matched at the wrong copy. Refused: kept, the deletion would be silently undone.
 */
function markerOutgrowsItsBlock(segments: Segment[], placements: Placement[], lines: string[]): void {
  for (let i = 0; i + 1 < segments.length; i++) {
    const [p, q] = [placements[i], placements[i + 1]];
    const seg = segments[i];
    if (p.kind !== 'anchor' || q.kind !== 'anchor' || seg.markerAfterLine === undefined) continue;
    let s = seg.lines.length - 1;
    while (s > 0 && isBlank(seg.lines[s])) s--;
    const chain = p.anchor.chain.matches;
    const lastPair = chain[chain.length - 1];
    if (!lastPair || lastPair.s !== s || lastPair.o !== p.to) continue;
    const header = seg.lines[s];
    // A TOML or INI table's header, then a marker: its keys follow at the header's depth, up to the
    // next table. A next segment that sets one of this table's names but was matched past its end
    // (`startsecs=5` in `[program:worker]`, after `[program:web]`) may as well edit this table.
    if (TABLE_HEADER.test(header)) {
      let end = p.to + 1;
      while (end < lines.length && !TABLE_HEADER.test(lines[end])) end++;
      const next = segments[i + 1].lines.find((l) => !isBlank(l));
      const name = next === undefined ? null : nameSetBy(next, '');
      if (name !== null && q.from >= end && lines.slice(p.to + 1, end).some((l) => nameSetBy(l, '') === name)) {
        throw new MergeRefusal(
          'ambiguous_anchor',
          `The update's lines after its marker below the table "${header.trim().slice(0, 60)}" (line ${p.to + 1} of the file) set "${name}", which that table sets too, but were matched at line ${q.from + 1}, in another table. ` +
            'Show a line of that table beside them, as it stands in the file.',
          { line: q.from + 1, kind: 'outside_marked_block' },
        );
      }
      continue;
    }
    // (an access label or a preprocessor line opens no block of its own)
    if (indentColumns(seg.markerAfterLine) <= indentColumns(header) || /^\s*(?:(?:public|private|protected|internal)\s*:|#)/.test(header)) continue;
    // (the next segment goes on at the header's depth, as a sibling or its closer: one that starts
    // shallower, `esac` after a `production)` branch, closes what holds them, the marker standing
    // for the branches between)
    const next = segments[i + 1].lines.find((l) => !isBlank(l));
    if (next === undefined || indentColumns(next) < indentColumns(header)) continue;
    // The block in the file: the rows after the header deeper than it, then its closer.
    const depth = indentColumns(lines[p.to]);
    const end = blockEnd(lines, p.to);
    if (end === p.to) continue;
    // (a next segment deeper than the header goes on inside the block: matched past it, at a
    // look-alike line elsewhere, `text-align: left;` in another rule, it is no edit of the block's
    // `text-align: center;`)
    if (indentColumns(next) > indentColumns(header)) {
      // (only where the block has a line the next one edits, setting the same name: a marker
      // indented a level too deep, as some snippets write them, may stand for much more)
      // (or where the next segment ends on the block's closer, at the header's depth, and has a line
      // the block has, or one edited: it shows the end of this block, `.fetch_one(pool)` ... `Ok(row)`
      // / `}` of a function shown by its signature, over its `.fetch_optional(pool)`, not of a
      // look-alike function further on)
      const nextLines = segments[i + 1].lines;
      const last = [...nextLines].reverse().find((l) => !isBlank(l))!;
      const inBlock = lines.slice(p.to + 1, end + 1).map((l) => l.trim()).filter((t) => t !== '' && !isTrivial(t));
      const edits = (l: string) => !isBlank(l) && !isTrivial(l) && inBlock.some((t) => t === l.trim() || nearEdit(t, l.trim()));
      if (q.from > end + 1 && BLOCK_CLOSER.test(last) && indentColumns(last) === indentColumns(header) && nextLines.some(edits)) {
        throw new MergeRefusal(
          'ambiguous_anchor',
          `The update's lines after its marker indented into the block "${header.trim().slice(0, 60)}" opens (line ${p.to + 1} of the file) end on that block's closer, but were matched at line ${q.from + 1}, past that closer (line ${end + 2}). ` +
            'Show a line of that block beside them, as it stands in the file.',
          { line: q.from + 1, kind: 'outside_marked_block' },
        );
      }
      const name = nameSetBy(next, '');
      if (q.from <= end + 1 || name === null || !lines.slice(p.to + 1, end + 1).some((l) => nameSetBy(l, '') === name && l.trim() !== next.trim())) continue;
      throw new MergeRefusal(
        'ambiguous_anchor',
        `The update's lines after its marker indented into the block "${header.trim().slice(0, 60)}" opens (line ${p.to + 1} of the file) were matched at line ${q.from + 1}, past that block's end (line ${end + 1}). ` +
          'Show a line of that block beside them, as it stands in the file.',
        { line: q.from + 1, kind: 'outside_marked_block' },
      );
    }
    let r = end + 1;
    while (r < q.from && isBlank(lines[r])) r++;
    if (r < q.from && isTrivial(lines[r]) && indentColumns(lines[r]) === depth) r++;
    const outside = nonBlankIn(lines, r, q.from);
    if (outside === 0 || outside > LEFT_OUT_BLOCK) continue;
    let first = r;
    while (isBlank(lines[first])) first++;
    throw new MergeRefusal(
      'unstated_deletion',
      `The update's marker after "${header.trim().slice(0, 60)}" is indented into the block that line opens (line ${p.to + 1} of the file), which ends at line ${end + 1}, but its next lines were matched at line ${q.from + 1}: the ${outside} non-blank lines between (from "${lines[first].trim().slice(0, 60)}", line ${first + 1}) are outside that block, and the update neither shows nor marks them. ` +
        "Show the block's end and what follows it, or put the marker at the header's depth to keep those lines.",
      { start_line: first + 1, end_line: q.from, kind: 'outside_marked_block' },
    );
  }
}

/**
 * A context line that ends on a comma, new lines after it replacing the file's next lines, while
 * another place in the file has the same line without the comma and then the segment's next
 * context line: `host: 'localhost',` / `strictPort: true` / `});` reads as an edit of
 * `devServer`'s `open: true`, and as much as the usual way to append to `previewServer`, whose
 * last entry `host: 'localhost'` takes a comma for it (no line deleted). Both readings are
 * whole; the snippet does not say which: refused.
 */
function commaGrownRival(segments: Segment[], placements: Placement[], lines: string[]): void {
  const trimmed = (l: string) => l.trim();
  placements.forEach((p, i) => {
    if (p.kind !== 'anchor') return;
    const seg = segments[i].lines;
    const chain = p.anchor.chain.matches.filter((m) => m.kind === 'text').sort((x, y) => x.s - y.s);
    for (let k = 0; k + 1 < chain.length; k++) {
      const [m, n] = [chain[k], chain[k + 1]];
      const line = seg[m.s].trim();
      // (new lines between the two, and the file's lines between them replaced)
      if (!line.endsWith(',') || line.length < 4 || n.s === m.s + 1 || nonBlankIn(lines, m.o + 1, n.o) === 0) continue;
      const bare = line.slice(0, -1).trimEnd();
      for (let q = 0; q < lines.length; q++) {
        if ((q >= p.from && q <= p.to) || lines[q].trim() !== bare) continue;
        // the segment read line for line around q: its lines before m above q, and from n on
        // below it (blank lines aside)
        const before = seg.slice(0, m.s).filter((l) => !isBlank(l)).map(trimmed);
        const after = seg.slice(n.s).filter((l) => !isBlank(l)).map(trimmed);
        const above = lines.slice(0, q).filter((l) => !isBlank(l)).map(trimmed).slice(-before.length || lines.length);
        const below = lines.slice(q + 1).filter((l) => !isBlank(l)).map(trimmed).slice(0, after.length);
        if (before.length > 0 && above.join('\n') !== before.join('\n')) continue;
        if (below.join('\n') !== after.join('\n')) continue;
        throw new MergeRefusal(
          'ambiguous_anchor',
          `The update's line "${line.slice(0, 60)}" stands at line ${m.o + 1} of the file, where its next lines would replace the file's ${lineSpan(m.o + 2, n.o)}; ` +
            `it is also line ${q + 1} ("${bare.slice(0, 60)}") given a comma to add after, which deletes nothing. Show a line above it that says which.`,
          { line: m.o + 1, candidates: [m.o + 1, q + 1], kind: 'comma_grown_rival' },
        );
      }
    }
  });
}

/**
 * The last row inside the block that row `header` opens: by its brackets where it ends on `{` (a
 * function's body may hold lines at column 0, `#if`, `public:`), else by indentation.
 */
function blockEnd(lines: string[], header: number): number {
  if (/\{\s*(?:\/\/.*|\/\*.*)?$/.test(lines[header])) {
    // (from the header's last `{`: a `) {` closes what it does not open)
    let open = 1;
    for (let r = header + 1; r < lines.length; r++) {
      open += netOpens([lines[r]]);
      if (open <= 0) return r - 1;
    }
    return header;
  }
  const depth = indentColumns(lines[header]);
  let end = header;
  for (let r = header + 1; r < lines.length && (isBlank(lines[r]) || indentColumns(lines[r]) > depth); r++) if (!isBlank(lines[r])) end = r;
  return end;
}

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

/**
 * The rows where a definition starts on both sides, paired by what they read: the file's node may
 * begin at annotations (`@BeforeEach`, a decorator, a multi-line `@CsvSource({...})`) the snippet
 * leaves above its marker, or the snippet's at ones it adds. Pairing the nodes' first rows would
 * put the snippet's header over the file's annotations and delete them.
 */
function alignedStarts(seg: string[], d: Definition, original: string[], o: Definition): [number, number] {
  const [a, b] = [seg[d.startRow].trim(), original[o.startRow].trim()];
  if (a === b) return [d.startRow, o.startRow];
  const inFile = original.slice(o.startRow, o.endRow + 1).findIndex((l) => l.trim() === a);
  if (inFile > 0) return [d.startRow, o.startRow + inFile];
  const inSnippet = seg.slice(d.startRow, d.endRow + 1).findIndex((l) => l.trim() === b);
  if (inSnippet > 0) return [d.startRow + inSnippet, o.startRow];
  // (a header changed, shown without the annotations the grammar counts in that the file has, or
  // the reverse, `[HttpGet]` above `GetProducts(...)`: the headers pair, the annotations on one side
  // only are not the other's header to replace; annotated on both sides, the starts pair)
  const header = (ls: string[], from: number, to: number) => {
    let r = from;
    while (r < to && DECORATOR.test(ls[r])) r++;
    return r;
  };
  if (DECORATOR.test(seg[d.startRow]) === DECORATOR.test(original[o.startRow])) return [d.startRow, o.startRow];
  return [header(seg, d.startRow, d.endRow), header(original, o.startRow, o.endRow)];
}

/** What a segment's whole definitions say about where it goes. */
export interface SegmentDefinitions {
  /** The first and last lines of those the file has too, paired with the file's. */
  matches: Match[];
  /**
   * The rows inside those whose name the file has nowhere (a method added beside a look-alike): a
   * `return err` or `}` there is the new definition's own, no anchor. (Unless more than half its
   * body is the file's: a definition renamed.)
   */
  own: Set<number>;
}
const NO_DEFINITIONS: SegmentDefinitions = { matches: [], own: new Set() };

/** A decorator or annotation line: `@retry(...)`, `@Override`, `#[derive(...)]`, `[HttpGet]`. */
const DECORATOR = /^\s*(?:@[\w.]+|#\[.*\]|\[[A-Z]\w*(?:\(.*\))?\])/;

/**
 * Where both headers sit under as many decorator lines as each other (the grammar's definition node
 * may start below them), the definition starts at the first of them on both sides: the snippet's
 * decorators stand where the file's do, edited or not (`@retry(...)` with new arguments over the
 * file's; paired at the header, the old one stayed above the new).
 */
function decoratedStarts(seg: string[], original: string[], [s0, o0]: [number, number]): [number, number] {
  let k = 0;
  while (s0 - k - 1 >= 0 && o0 - k - 1 >= 0 && DECORATOR.test(seg[s0 - k - 1]) && DECORATOR.test(original[o0 - k - 1])) k++;
  // (the same number of them: one more on either side is one added or dropped, and says nothing of which)
  if (k === 0 || (s0 - k - 1 >= 0 && DECORATOR.test(seg[s0 - k - 1])) || (o0 - k - 1 >= 0 && DECORATOR.test(original[o0 - k - 1]))) return [s0, o0];
  return [s0 - k, o0 - k];
}

/** Pair the first and last lines of each whole, clean definition in the segment with the original's. */
function definitionMatches(
  parser: Parser,
  seg: Segment,
  language: Language,
  originalLines: string[],
  originalDefinitions: () => Definition[],
  theFiles: () => Set<string>,
): SegmentDefinitions {
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
  const own = new Set<number>();
  if (defs.size === 0) return { matches: out, own };
  const all = originalDefinitions();
  const origDefs = uniqueDefinitions(all);
  const names = new Set(all.map(nameInKey));
  const rel = (lines: string[], a: number, b: number) => indentColumns(lines[b]) - indentColumns(lines[a]);
  for (const [key, d] of defs) {
    const o = origDefs.get(key);
    if (!o && !names.has(nameInKey(d))) newBody(seg.lines, d, theFiles(), own);
    if (!o) continue;
    const [s0, o0] = decoratedStarts(dedented, originalLines, alignedStarts(dedented, d, originalLines, o));
    out.push({ s: s0, o: o0, w: DEF_WEIGHT, kind: 'def-start' });
    // The definition's end pays back the cost of the body lines it replaces: replacing a whole
    // definition is what the snippet says, however much shorter the new body is.
    const replaced = Math.max(0, o.endRow - o.startRow - (d.endRow - d.startRow));
    // The snippet's definition ends where the original's does only if its last line closes it at
    // the same depth (`\t}` under `func f() {` closes an inner block the snippet cut short).
    const sameDepth = Math.abs(rel(dedented, d.startRow, d.endRow) - rel(originalLines, o.startRow, o.endRow)) <= 1;
    // A marker right after the segment, deeper than the definition's first line, stands for the
    // rest of its body: the segment shows its head, not its end.
    const bodyGoesOn = d.endRow === seg.lines.length - 1 && seg.markerAfterLine !== undefined && indentColumns(seg.markerAfterLine) > indentColumns(seg.lines[d.startRow]);
    // A snippet that stops, with no marker, on a line the original body has before its end (a
    // docstring, a statement) shows the definition's head and forgot its closing marker: its
    // last line is that line, not the definition's end.
    const last = dedented[d.endRow].trim();
    const inside = d.endRow === seg.lines.length - 1 && !isTrivial(last) && originalLines.slice(o.startRow + 1, o.endRow).some((l) => l.trim() === last);
    // (a marker after it stands for the rest: a TypeScript union shown up to a member, its `;` left
    // out, then `// ... rest unchanged`; in Python a marker at the definition's depth is refused below)
    const stopsInside = inside;
    // With a marker after it no deeper than the definition (the file's rest, or the body's?), a
    // definition that ends on such a line, with no line of its own to close it, either stops
    // there (its tail deleted) or shows its head: refused.
    // (likewise one that ends on a new line, shorter than the file's: its last lines were skipped
    // or deleted, and the marker cannot say which)
    const shorter = d.endRow === seg.lines.length - 1 && d.endRow - d.startRow < o.endRow - o.startRow && last !== originalLines[o.endRow].trim();
    // (one the file ends with `;`, shown up to a line without it and a marker after, is cut short
    // there: `| 'pro'` added to a union, `// ... existing code ...` for its other members)
    const cutShort = shorter && seg.markerAfter && /;\s*$/.test(originalLines[o.endRow]) && !/[;}]\s*$/.test(last);
    if ((inside || shorter) && seg.markerAfter && !bodyGoesOn && language.id === 'python' && sameDepth && o.endRow > o.startRow) {
      throw new MergeRefusal('ambiguous_anchor', `The update shows ${key.slice(key.indexOf(':') + 1)} shorter than the file's, ending ${inside ? 'on a line its body has before its end' : 'on a new line'}, then a marker at the definition's depth: it may delete the rest of the body or stand for it. Indent the marker into the body to keep the rest, or show the definition's new end.`, {
        line: o.startRow + 1,
      });
    }
    if (d.endRow > d.startRow && o.endRow > o.startRow && sameDepth && !bodyGoesOn && !stopsInside && !cutShort) out.push({ s: d.endRow, o: o.endRow, w: DEF_WEIGHT + replaced * DELETE_COST, kind: 'def-end' });
  }
  return { matches: out, own };
}

/**
 * Adds the rows of new definition `d`'s body to `own`, unless more than half of its lines are the
 * file's (`theFiles`: the file's lines, trimmed).
 */
function newBody(seg: string[], d: Definition, theFiles: Set<string>, own: Set<number>): void {
  // The header: below the decorators the grammar may count in (Java's `@Test`); the decorators
  // right above it are the new definition's too (Rust's `#[test]`, Python's `@pytest.fixture`).
  let header = d.startRow;
  while (header < d.endRow && DECORATOR.test(seg[header])) header++;
  let top = d.startRow;
  while (top > 0 && DECORATOR.test(seg[top - 1])) top--;

  // (a header the file has is no new definition: a fragment read as one, `unlink(false) {` after an initializer list)
  if (theFiles.has(seg[header].trim())) return;
  const body = seg.slice(header + 1, d.endRow + 1).map((l) => l.trim()).filter((t) => t !== '' && !isTrivial(t));
  if (body.filter((t) => theFiles.has(t)).length * 2 > body.length) return;
  // (a one-line definition under a decorator the file has may be slipped in between that decorator
  // and its own definition: the decorator is not the new one's)
  if (d.endRow === header) top = header;
  for (let s = top; s <= d.endRow; s++) if (s !== header) own.add(s);
}

/** The rungs that match lines at their own depth (exactly, or but for trailing whitespace). */
const atOwnDepth = (rung: Rung) => rung === 'exact' || rung === 'whitespace';

/**
 * Climb the ladder only as far as needed: a looser rung is taken when it matches more of the
 * segment's edge lines (its context) than the stricter ones. Matching more *inner* lines is no
 * reason: a line whose indentation the edit changed would then pass for an unchanged one.
 */
function searchSegment(seg: Segment, otherUnit: number | null, index: OriginalIndex, defs: SegmentDefinitions, lo: number, hi: number, depthMatters = false): AnchorSearch {
  const rungs: readonly Rung[] = otherUnit === null ? KEY_RUNGS : RUNGS;
  const found = rungs.map((rung) => anchorAtRung(seg.lines, index, rung, lo, hi, defs.matches, otherUnit ?? undefined, defs.own, seg.markerAfter));
  // Where indentation is syntax (Python, YAML), an edge line a looser rung pairs by its text at
  // another depth, against the chain's line next to it, than the snippet has it (a guard's
  // `return ran` inside a new `if`, paired with the function's last `return ran` a level out) is no
  // context: the edit's own line.
  if (depthMatters && otherUnit === null) {
    for (const r of found) {
      if (!r.best || atOwnDepth(r.best.rung)) continue;
      const ms = r.best.chain.matches.filter((m) => m.kind === 'text').sort((x, y) => x.s - y.s);
      const last = seg.lines.length - 1;
      const off = (a: Match, b: Match) =>
        indentColumns(seg.lines[b.s]) - indentColumns(seg.lines[a.s]) !== indentColumns(index.lines[b.o]) - indentColumns(index.lines[a.o]);
      let lost = 0;
      if (ms.length >= 2 && ms[0].s === 0 && off(ms[0], ms[1])) lost++;
      if (ms.length >= 2 && ms[ms.length - 1].s === last && off(ms[ms.length - 2], ms[ms.length - 1])) lost++;
      if (lost > 0) r.best = { ...r.best, edges: Math.max(0, r.best.edges - lost) };
    }
  }
  // A snippet indented in another unit (spaces for a tab file, 4 spaces for 2) differs on every
  // indented line: then matching many more lines is reason enough to climb. Where the strict rungs
  // already match half as many, the extra lines the loose one pairs are the edit's re-indented ones.
  const strict = Math.max(0, ...found.slice(0, 2).map((r) => r.best?.strength ?? 0));
  const loose = found[found.length - 1].best?.strength ?? 0;
  const climb = otherUnit !== null && strict * 2 < loose;
  // Climbing, lines equal at their depth (each side in its own unit) count double: text alone may
  // pair a line with a copy at another depth (the `switch` of the function before), and wins only
  // by pairing more than twice as many.
  const quality = (a: SegmentAnchor) => a.edges * 1000 + (climb ? (a.rung === 'indent_shift' ? 2 : 1) * a.strength : 0);
  // A strict rung may reach the segment's edge lines only by pairing a repeated one (`#undef V`)
  // far back and reading the real context as new lines: of equally good chains, the one that spans
  // fewer original lines deletes less, when lines that say where they are (not a lone `}`) put it there.
  const span = (a: SegmentAnchor) => a.end - a.start;
  // (text alone never displaces lines equal at their depth this way: a shorter span there is a
  // closer paired with one a level deeper, `end` with the method's `end` rather than the class's)
  const better = (a: SegmentAnchor, b: SegmentAnchor) =>
    quality(a) > quality(b) || (otherUnit !== null && quality(a) === quality(b) && a.strength >= 2 && span(a) < span(b) && b.rung !== 'indent_shift');
  let chosen: AnchorSearch = { best: null, rivals: [] };
  for (const r of found) if (r.best && (!chosen.best || better(r.best, chosen.best))) chosen = r;
  // A rung that pairs only common lines (`}`, `end`) says nothing about where a segment goes when
  // a looser one pairs lines that do: a snippet that wraps the code in a new block moved them all.
  const saysWhere = (a: SegmentAnchor | null) => a !== null && a.chain.matches.some((m) => m.w >= STRONG_WEIGHT && !isTrivial(seg.lines[m.s]));
  if (chosen.best && !saysWhere(chosen.best)) {
    const telling = found.find((r) => saysWhere(r.best));
    if (telling) chosen = telling;
  }
  // Likewise a strict rung whose chain pairs only lines the file repeats, by their text at any
  // depth (`@Test` at a nested class's depth, where a snippet shifted whole by one level puts its
  // own; `return -ENOMEM;` unique at its depth in another function, where a dedented snippet puts
  // its own), while a looser one pairs more, among them a line the file has once (the test's
  // header), and misses at most one edge line: the unique line says where (seeds 4079, 5036).
  const unique = (a: SegmentAnchor | null) =>
    a !== null && a.chain.matches.some((m) => m.kind === 'text' && !isTrivial(seg.lines[m.s]) && index.positions(index.key(m.o, 'trimmed'), 'trimmed').length === 1);
  if (chosen.best && !unique(chosen.best)) {
    const { edges, start, strength } = chosen.best;
    const alt = found.find((r) => r.best !== null && r.best.edges + 1 >= edges && r.best.strength > strength && r.best.start !== start && unique(r.best));
    if (alt) chosen = alt;
  }
  // A strict rung that places a segment once, by lines the file repeats by their text, where a looser rung
  // finds them elsewhere too, over fewer of the file's lines (deleting less): a dedented snippet of
  // `return -ENOMEM;` / `b->cap = cap;` / `}` matches another function's lines a tab shallower
  // exactly. Both places are candidates (seeds 5303, 5706).
  if (chosen.best && chosen.rivals.length === 0 && atOwnDepth(chosen.best.rung) && !unique(chosen.best)) {
    const { start, edges, strength } = chosen.best;
    const width = span(chosen.best);
    // (rivals of a looser rung's best: as many lines paired, the edges among them)
    const loose = found.filter((r) => r.best !== null && !atOwnDepth(r.best.rung) && r.best.edges >= edges && r.best.strength >= strength);
    const apart = loose.flatMap((r) => r.rivals).find(([a, b]) => a !== start && b - a < width);
    if (apart) chosen = { best: chosen.best, rivals: [[start, chosen.best.end], apart] };
  }
  // In a snippet written in another unit, a line the file has at the same columns may be another
  // copy at another depth (4 spaces: one level of the snippet's, two of the file's): where lines
  // equal at their depth put the segment elsewhere, both places are candidates.
  if (otherUnit !== null && chosen.best && atOwnDepth(chosen.best.rung) && chosen.best.chain.matches.length === 1 && /^\s/.test(seg.lines[chosen.best.chain.matches[0].s])) {
    const byDepth = found[RUNGS.indexOf('indent_shift')].best;
    if (byDepth && byDepth.start !== chosen.best.start) chosen = { best: chosen.best, rivals: [...chosen.rivals, [byDepth.start, byDepth.end]] };
  }
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
  defMatches: SegmentDefinitions[],
  lineHints: number[],
  root: Node | null,
  language: Language,
): Placement[] {
  const n = orig.lines.length;
  const placed: (Placement | undefined)[] = new Array(segments.length);
  const depthMatters = language.id === 'python' || language.id === 'yaml';
  // The snippet's unit, from all of it (one segment is too short to tell).
  const all = segments.flatMap((s) => s.lines);
  // (a snippet that never steps deeper after its first line shows its unit only by its steps out,
  // the depth its first line was cut at being no step: `      end` / a new line / `    end` nests by
  // 2, `@lines.sum` / `end` / `end` at 12, 8, 4 by 4; one that never changes depth shows none)
  const code = all.filter((l) => !isBlank(l));
  const stepsIn = code.some((l, k) => k > 0 && indentColumns(l) > indentColumns(code[k - 1]));
  const detected = detectIndentUnit(all);
  const width = stepsIn ? null : snippetStep(code);
  const unit = !stepsIn && detected.kind === 'space' && width !== null ? { kind: 'space' as const, width } : detected;
  // Its unit in columns when it is not the file's, else null.
  const otherUnit =
    (stepsIn || detected.kind !== 'space' || width !== null) &&
    all.filter((l) => /^[ \t]+\S/.test(l)).length >= 3 &&
    (unit.kind !== orig.indent.kind || (unit.kind === 'space' && orig.indent.kind === 'space' && unit.width !== orig.indent.width))
      ? unitColumns(unit)
      : null;
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

  /**
   * A segment that ends in closing lines after a marker ends the block its placed predecessor
   * opened: its closers are that block's (`function save(doc) {`, a marker, a new last statement,
   * `}`). Where it also has other lines, the range is where to look again, not an anchor.
   */
  const closedBlock = (i: number): [number, number] | null => {
    // (past segments that match no line at all, a lone edited line between markers, `priority:
    // prioritySchema.default('low'),` in a zod object whose `});` this segment is)
    let j = i - 1;
    while (j > 0 && !placed[j] && last[j] !== undefined && last[j].best === null) j--;
    const prev = placed[j];
    const seg = segments[i];
    if (!prev || prev.kind !== 'anchor' || !seg.markerBefore) return null;
    let ts = seg.lines.length;
    while (ts > 0 && (isBlank(seg.lines[ts - 1]) || isTrivial(seg.lines[ts - 1]))) ts--;
    while (ts < seg.lines.length && isBlank(seg.lines[ts])) ts++;
    if (ts === seg.lines.length) return null;
    // (without a tree, by indentation: the last closer is the one at the block's own depth)
    let te = seg.lines.length - 1;
    while (isBlank(seg.lines[te])) te--;
    // (a last closer that closes a block the segment opens itself, `if (id <= 0) {` ... `}`, closes
    // nothing of its predecessor's)
    if (closesOwnBlock(seg.lines, te)) return null;
    const [lo, hi] = bounds(i);
    for (const rung of KEY_RUNGS) {
      const at = index.positions(lineKey(seg.lines[ts], rung), rung).filter((o) => o >= lo + ts && o < hi);
      const range = (o: number): [number, number] => [o - ts, o + seg.lines.length - ts - 1];
      const pick = root ? closingCandidate(root, prev.from, prev.to, at.map((o) => [o, o] as [number, number])) : null;
      if (pick) return range(pick[0]);
      let last = index.positions(lineKey(seg.lines[te], rung), rung).filter((o) => o >= lo + te && o < hi);
      // (indented otherwise than the file's lines, the closer still sits as many levels from the
      // last line before the marker as the file's does: the levels, not the columns, say which)
      if (rung === 'trimmed') {
        const before = segments[j].lines;
        const levels = levelsBetween(before, before.length - 1, seg.lines[te], otherUnit ?? unitColumns(orig.indent));
        last = last.filter((o) => levels !== null && levelsBetween(orig.lines, prev.to, orig.lines[o], unitColumns(orig.indent)) === levels);
      }
      const byIndent = closingByIndent(orig.lines, prev.to, last, indentColumns);
      if (byIndent !== null) return range(byIndent - (te - ts));
    }
    return null;
  };

  /** A segment followed by a marker and a placed segment is the header of the block holding it. */
  const openedBlock = (i: number, found: AnchorSearch): [number, number] | null => {
    const next = placed[i + 1];
    if (!root || !next || next.kind !== 'anchor' || !segments[i].markerAfter) return null;
    return openingCandidate(root, found.rivals, next.from, next.to);
  };

  /**
   * A segment after a marker indented into a block that its placed predecessor's line opens
   * (`class Author(Model):`, `    # ...`, then a method; a job's header, a marker at its keys'
   * depth, then steps), starting deeper than that line: it goes inside that block. The block's rows.
   */
  const insideOpenedBlock = (i: number): [number, number] | null => {
    const prev = placed[i - 1];
    const before = segments[i - 1];
    if (!prev || prev.kind !== 'anchor' || before.markerAfterLine === undefined) return null;
    const marker = indentColumns(before.markerAfterLine);
    let s = before.lines.length - 1;
    while (s >= 0 && (isBlank(before.lines[s]) || indentColumns(before.lines[s]) >= marker)) s--;
    const first = segments[i].lines.find((l) => !isBlank(l));
    if (s < 0 || first === undefined || indentColumns(first) <= indentColumns(before.lines[s])) return null;
    const o = prev.anchor.chain.matches.find((m) => m.s === s)?.o;
    if (o === undefined) return null;
    const end = blockEnd(orig.lines, o);
    return end > prev.to ? [prev.to + 1, end] : null;
  };

  for (let progress = true; progress; ) {
    progress = false;
    for (let i = 0; i < segments.length; i++) {
      if (placed[i]) continue;
      const [lo, hi] = bounds(i);
      const found = searchSegment(segments[i], otherUnit, index, defMatches[i], lo, hi, depthMatters);
      last[i] = found;
      if (!found.best) {
        // Closing lines alone anchor nowhere by themselves; after a marker they may still close
        // the block their placed predecessor opened.
        const closer = closedBlock(i);
        const anchor = closer && closingAnchor(segments[i].lines, orig.lines, closer);
        if (anchor) {
          placed[i] = { kind: 'anchor', anchor, from: anchor.start, to: anchor.end };
          progress = true;
        }
        continue;
      }
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
        const near = nearestToHints(found, lineHints) ?? closedBlock(i) ?? openedBlock(i, found) ?? insideOpenedBlock(i);
        if (!near) continue;
        // Search again around the hinted candidate only.
        const len = segments[i].lines.length;
        const again = searchSegment(segments[i], otherUnit, index, defMatches[i], Math.max(lo, near[0] - len), Math.min(hi, near[1] + len + 1), depthMatters);
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
    // (new import lines go with the file's imports, wherever the snippet writes them: below the code
    // that uses them too, `inFileOrder` moving them up)
    const imported = root && (seg.markerBefore || seg.markerAfter) ? (importPlacement(seg.lines, orig.lines, root, language, bounds(i)) ?? (seg.markerBefore ? importPlacement(seg.lines, orig.lines, root, language, [0, bounds(i)[0]]) : null)) : null;
    if (imported !== null) return { kind: 'imports', after: imported } as const;
    // A segment that shares nothing with the file goes at the top (bottom) only when the snippet
    // says so: code first, then a marker for the rest (or the reverse).
    if (i === 0 && !seg.markerBefore && seg.markerAfter) return { kind: 'top' } as const;
    if (i === segments.length - 1 && seg.markerBefore && !seg.markerAfter) {
      if (!nestedInSnippet(seg, segments)) return { kind: 'bottom' } as const;
      if (root && i > 0 && endsInBlockOf(seg, segments[i - 1], placed[i - 1], orig.lines, root)) return { kind: 'bottom' } as const;
      const after = root && i > 0 ? endOfOpenedBlock(seg, segments[i - 1], placed[i - 1], orig.lines, root) : null;
      if (after !== null) return { kind: 'inside', after } as const;
    }
    // (one new line between markers, its neighbours placed: the file's one line it edits, if any)
    const neighboursPlaced = (i === 0 || placed[i - 1]) && (i === segments.length - 1 || placed[i + 1]);
    const edits = seg.markerBefore && seg.markerAfter && neighboursPlaced ? linesALoneLineEdits(seg, orig.lines, bounds(i), language) : [];
    if (edits.length === 1) {
      const o = edits[0];
      const anchor: SegmentAnchor = { rung: 'exact', chain: { matches: [], score: 0 }, strength: 0, edges: 0, start: o, end: o };
      return { kind: 'anchor', anchor, from: o, to: o } satisfies Placement;
    }
    if (edits.length > 1) {
      throw new MergeRefusal('ambiguous_anchor', `Segment ${i + 1} of the update is one new line that edits any of ${edits.length} lines of the file.`, {
        ...where,
        candidates: edits.map((o) => ({ start_line: o + 1, end_line: o + 1 })),
      });
    }
    throw new MergeRefusal('no_anchor', `Segment ${i + 1} of the update matches no line of the file.`, {
      ...where,
      lines: seg.lines,
    });
  });
  return placements;
}

/** The columns a snippet's lines step by, in or out, most often, or null where it never changes depth. */
function snippetStep(code: string[]): number | null {
  const count = new Map<number, number>();
  for (let k = 1; k < code.length; k++) {
    const step = Math.abs(indentColumns(code[k]) - indentColumns(code[k - 1]));
    if (step > 0 && step <= 8) count.set(step, (count.get(step) ?? 0) + 1);
  }
  return mostCommonStep(count);
}

/**
 * A segment of one new line between two markers (`debug: bool = True`, nothing around it) edits
 * one of the file's lines: the rows in [lo, hi) at its depth that set the same name, or that it
 * grows or shortens by a piece (`f(a)` made `f(a, b)`, the same first word on both); where none
 * does, those it reads like. Imports are left out: a new one beside a look-alike is added, not swapped.
 */
function linesALoneLineEdits(seg: Segment, original: string[], [lo, hi]: [number, number], language: Language): number[] {
  const rows = seg.lines.filter((l) => !isBlank(l));
  if (rows.length !== 1) return [];
  const line = rows[0];
  const t = line.trim();
  if (isTrivial(line) || /^(?:import|from|use|using|require|#\s*include)\b/.test(t)) return [];
  const name = nameSetBy(line, language.id);
  const out: number[] = [];
  // (failing those, the lines it reads like, changed a little within: `JSONDecoder().decode` made `decoder.decode`)
  const alike: number[] = [];
  for (let o = lo; o < hi; o++) {
    const f = original[o];
    if (isBlank(f) || indentColumns(f) !== indentColumns(line) || f.trim() === t) continue;
    const sameName = name !== null && nameSetBy(f, language.id) === name;
    // (grown from a line that says something: `return try decoder.decode(…)` is no edit of a bare `return`)
    const grown = t.length >= 12 && f.trim().length >= 12 && firstWord(f) === firstWord(line) && grownLine(t, f.trim());
    if (sameName || grown) out.push(o);
    else if (f.trim().length >= 12 && readsLike(t, f.trim())) alike.push(o);
  }
  return out.length > 0 ? out : alike;
}

/**
 * A segment that starts deeper than the snippet's outermost code (`    return total / n` after a
 * `def score(...):` and an indented marker) goes on inside a block the snippet opened, not at the
 * file's end: appended there, it would join whatever block the file ends in.
 */
function nestedInSnippet(seg: Segment, segments: Segment[]): boolean {
  const first = seg.lines.find((l) => !isBlank(l));
  const outer = Math.min(...segments.flatMap((s) => s.lines.filter((l) => !isBlank(l)).map(leadingLength)));
  return first !== undefined && leadingLength(first) > outer;
}


/**
 * A last segment that starts deeper than the snippet's outer code goes at the file's end where the
 * file ends inside the block the segment before it was placed in, at the segment's depth: a method
 * added after a marker to the last class of a Python file. (The segment's first line is as deep as
 * one of the segment before, which the file has at that depth too.)
 */
function endsInBlockOf(seg: Segment, prevSeg: Segment, prev: Placement | undefined, lines: string[], root: Node): boolean {
  if (prev?.kind !== 'anchor') return false;
  const first = seg.lines.find((l) => !isBlank(l));
  let end = lines.length - 1;
  while (end >= 0 && isBlank(lines[end])) end--;
  if (first === undefined || end < 0 || indentColumns(lines[end]) < indentColumns(first)) return false;
  const block = root.children.find((c): c is Node => c !== null && c.startPosition.row <= prev.to && lastRow(c) >= prev.to);
  if (!block || lastRow(block) < end) return false;
  const depth = indentColumns(first);
  return prev.anchor.chain.matches.some(({ s, o }) => indentColumns(prevSeg.lines[s]) === depth && indentColumns(lines[o]) === depth);
}

/**
 * Where a last segment that shares nothing with the file goes when it starts deeper than the
 * snippet's outer code and the segment before it ends on a block's header (`class Cache:`, an
 * indented marker, a new method): at the end of that block, for the file's blocks end by
 * indentation (Python) and the segment has no closing line to anchor on. Only where the snippet
 * indents that header and the block's first line as the file does, and the segment never comes out
 * of the block; else null.
 */
function endOfOpenedBlock(seg: Segment, prevSeg: Segment, prev: Placement | undefined, lines: string[], root: Node): number | null {
  if (prev?.kind !== 'anchor') return null;
  const header = [...prevSeg.lines].reverse().find((l) => !isBlank(l));
  if (header === undefined || header !== lines[prev.to]) return null;
  let block: Node | null = root.descendantForPosition({ row: prev.to, column: indentColumns(header) });
  // (the highest node the header starts, short of the file itself)
  while (block?.parent?.parent && block.parent.startPosition.row === prev.to) block = block.parent;
  if (!block || block.startPosition.row !== prev.to) return null;
  const end = block.endPosition.column === 0 ? block.endPosition.row - 1 : block.endPosition.row;
  if (end <= prev.to) return null;
  let body = prev.to + 1;
  while (body <= end && isBlank(lines[body])) body++;
  const code = seg.lines.filter((l) => !isBlank(l));
  if (body > end || code.length === 0 || leadingWhitespace(code[0]) !== leadingWhitespace(lines[body])) return null;
  return code.some((l) => leadingLength(l) < leadingLength(code[0])) ? null : end;
}

/**
 * A snippet end without a marker that stops on context reads two ways: a forgotten marker (what
 * lies beyond stays) or a deletion (the few lines beyond go: `"use strict";` above an ES module,
 * `module.exports` below it, a trailing function). Measured on real edits from packages outside the
 * developers' eval, the deletion is as common as the slip, so where both readings make a file the
 * snippet cannot say which it means. The deletion reading makes sense only where the lines beyond
 * are whole top-level constructs, few of them, not the construct a comment the snippet ends on
 * documents, and not the rest of a run of like lines (imports, `@property`) the snippet stops in.
 */
function refuseUnmarkedTopLevelEnds(segments: Segment[], placements: Placement[], orig: SourceText, root: Node | null, language: Language): void {
  const lines = orig.lines;
  const refuse = (where: 'start' | 'end', count: number) => {
    throw new MergeRefusal(
      'missing_marker',
      `The update has no marker ${where === 'start' ? 'before its first' : 'after its last'} line, which is unchanged code: it may mean to delete the ${count === 0 ? 'blank lines' : `${count} non-blank line${count === 1 ? '' : 's'}`} ${where === 'start' ? 'above' : 'below'} it, or have left out the marker that keeps them. ` +
        `${where === 'start' ? 'Start' : 'End'} it with a marker line if they are to be kept, or send the whole file if they are to go.`,
      { lines: count, where },
    );
  };
  const first = placements[0];
  if (first.kind === 'anchor' && !segments[0].markerBefore && first.anchor.chain.matches[0].s === 0) {
    const cut = first.from;
    const above = lines.slice(0, cut).filter((l) => !isBlank(l));
    // Only directives can go this way: `"use strict";` or a lint pragma above an ES module. Code,
    // imports, a package line or a header comment above the snippet's first line stay.
    if (above.length > 0 && above.length <= UNMARKED_START_DELETION && !isCommentLine(lines[cut - 1], language) && above.every(isDirective)) refuse('start', above.length);
    // Only blank lines above: a deletion of blank lines reads exactly like a model's slip (the
    // file's leading blank line dropped with its marker), as blank lines skipped inside do.
    if (cut > 0 && above.length === 0) refuse('start', 0);
    // Starting part way through a run of like lines (the second `#include` of the file) whose next
    // line it deletes (shows the lines after it, not it): the run's first lines may be what the edit
    // deletes as well, or what a forgotten marker keeps. (A snippet adding an import there, or
    // stopping at a marker, says nothing of them.)
    const shown = segments[0].lines.slice(1, 6).map((l) => l.trim()).filter((l) => l !== '');
    const next = lines[cut + 1];
    const prunes = continuesRun(lines[cut], next) && !shown.includes(next.trim()) && lines.slice(cut + 2, cut + 6).some((l) => !isBlank(l) && shown.includes(l.trim()));
    if (above.length > 0 && above.length <= UNMARKED_START_DELETION && continuesRun(lines[cut - 1], lines[cut]) && prunes) refuse('start', above.length);
  }
  const lastSeg = segments[segments.length - 1];
  const last = placements[placements.length - 1];
  const chain = last.kind === 'anchor' ? last.anchor.chain.matches : [];
  // A snippet that starts without a marker below code it keeps and spans exactly one construct of
  // the file (one function given whole, an inner marker for its body) is that construct: the lines
  // below it are no more its to delete than those above.
  const fragment =
    root !== null && first.kind === 'anchor' && last.kind === 'anchor' && !segments[0].markerBefore && nonBlankIn(lines, 0, first.from) > 0 && spansOneConstruct(root, first.from, last.to);
  // (ending on context: its last line is the file's, not a definition's new last line paired by name)
  if (last.kind === 'anchor' && !fragment && !lastSeg.markerAfter && chain.length > 0 && chain[chain.length - 1].s === lastSeg.lines.length - 1 && lastSeg.lines[lastSeg.lines.length - 1].trim() === lines[last.to].trim()) {
    const cut = last.to + 1;
    const below = nonBlankIn(lines, cut, lines.length);
    const kept = lines[last.to];
    if (below > 0 && below <= UNMARKED_END_DELETION && cutAtTopLevel(root, lines, cut) && !isCommentLine(kept, language) && !continuesRun(kept, lines[cut])) refuse('end', below);
  }
}

/** Is there a construct (short of the whole file) from row `from` to row `to` exactly? */
function spansOneConstruct(root: Node, from: number, to: number): boolean {
  let node: Node | null = root;
  while (node) {
    if (node !== root && node.startPosition.row === from && lastRow(node) === to) return true;
    node = node.children.find((c): c is Node => c !== null && c.startPosition.row <= from && lastRow(c) >= to) ?? null;
  }
  return false;
}

/** A string-literal directive (`"use strict";`, `'use client'`) or a lint or format pragma comment. */
function isDirective(line: string): boolean {
  const t = line.trim();
  return /^(["'])use [\w ]+\1;?$/.test(t) || /^(?:\/\/|\/\*|#)\s*(?:eslint|prettier|tslint|jshint|jslint|@ts-|pylint|rubocop|clang-format|NOLINT|biome-ignore)/.test(t);
}

/** How many non-blank lines above (below) an unmarked end a deletion may plausibly take. */
const UNMARKED_START_DELETION = 3;
const UNMARKED_END_DELETION = 40;

/** Levels of indentation (of `unit` columns) from the last non-blank of lines[0..k] to `line`. */
function levelsBetween(lines: string[], k: number, line: string, unit: number): number | null {
  while (k >= 0 && isBlank(lines[k])) k--;
  return k < 0 ? null : (indentColumns(line) - indentColumns(lines[k])) / unit;
}

/** No construct but the whole file runs across the boundary before line `cut` (by indentation without a tree). */
function cutAtTopLevel(root: Node | null, lines: string[], cut: number): boolean {
  if (!root) {
    const next = lines.slice(cut).find((l) => l.trim() !== '');
    return next !== undefined && !/^\s/.test(next);
  }
  return root.children.every((c) => !c || c.startPosition.row >= cut || lastRow(c) < cut);
}

/** Two adjacent lines that start with the same word (`import`, `@property`, `#include`): a run the cut would split. */
function continuesRun(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || isBlank(a) || isBlank(b)) return false;
  const word = (l: string) => l.trim().match(/^[@#]?[\w$]+/)?.[0];
  return word(a) !== undefined && word(a) === word(b);
}

/** Non-blank lines an unmarked snippet end may drop before we call it a forgotten marker. */
const UNMARKED_END_LIMIT = 10;

/**
 * Whether the snippet's new lines at an unmarked end rewrite the file's lines beyond it: one of them
 * reads like one of those (the same first word, or the line edited). Else the snippet may as well
 * add its lines beside them (an import added above the file's imports, its `package` line not
 * shown; a function appended before the file's `module.exports` line), and the unmarked end is
 * refused rather than delete them.
 */
function rewritesBeyond(fresh: string[], beyond: string[]): boolean {
  const trimmed = (ls: string[]) => ls.map((l) => l.trim()).filter((l) => l.length >= 4);
  const old = trimmed(beyond);
  return trimmed(fresh).some((a) => old.some((b) => firstWord(a) === firstWord(b) || readsLike(a, b)));
}

/**
 * Markers stand for the code a snippet leaves out, so where a snippet with markers has none at its
 * start (end), it leaves nothing out there: original lines before the first (after the last)
 * segment are deleted. More than a few such lines is far likelier a forgotten marker: refused.
 */
function extendToUnmarkedEnds(segments: Segment[], placements: Placement[], orig: SourceText): void {
  const nonBlank = (a: number, b: number) => nonBlankIn(orig.lines, a, b);
  const first = placements[0];
  const lastSeg = segments[segments.length - 1];
  const last = placements[placements.length - 1];
  const n = orig.lines.length;
  const lastChain = last.kind === 'anchor' ? last.anchor.chain.matches : [];
  if (first.kind === 'anchor' && !segments[0].markerBefore && first.from > 0 && first.anchor.chain.matches[0].s > 0) {
    const dropped = nonBlank(0, first.from);
    if (dropped > UNMARKED_END_LIMIT) {
      throw new MergeRefusal('missing_marker', `The update has no marker before its first line, which would delete the ${dropped} non-blank lines above it. Start it with a marker line if they are to be kept.`, { lines: dropped, where: 'start' });
    }
    if (!rewritesBeyond(segments[0].lines.slice(0, first.anchor.chain.matches[0].s), orig.lines.slice(0, first.from))) {
      throw new MergeRefusal(
        'missing_marker',
        `The update has no marker before its first line, which is new, and the ${dropped} non-blank line${dropped === 1 ? '' : 's'} above the code it continues with read like none of its new lines: it may replace them or go below them. ` +
          'Start it with a marker line if they are to be kept, or include them as they should read.',
        { lines: dropped, where: 'start' },
      );
    }
    // The new lines rewrite the lines above from the first they read like; lines above that one,
    // which none of them reads like (the `#include`s over an edited `typedef`), are deleted or
    // left out unmarked, which an unmarked start cannot say.
    // (a line requoted, `'use strict'` as `"use strict"`, is rewritten too)
    const head = segments[0].lines.slice(0, first.anchor.chain.matches[0].s);
    const quotes = (l: string) => l.trim().replace(/'/g, '"');
    const top = orig.lines.findIndex((l, o) => o < first.from && (rewritesBeyond(head, [l]) || head.some((a) => !isBlank(a) && quotes(a) === quotes(l))));
    const untouched = top > 0 ? nonBlank(0, top) : 0;
    if (untouched > 0) {
      throw new MergeRefusal(
        'missing_marker',
        `The update has no marker before its first line, which is new and rewrites line ${top + 1} of the file; the ${untouched} non-blank line${untouched === 1 ? '' : 's'} above that read like none of its new lines: it may delete them or have left them out. ` +
          'Start it with a marker line if they are to be kept, or include them as they should read.',
        { lines: untouched, where: 'start' },
      );
    }
    first.from = 0;
  }
  // Ending on new lines, the snippet replaces what follows. Ending on unchanged context, it most
  // likely forgot its closing marker (the commonest slip of models): what follows is kept.
  const endsOnNew = lastChain.length > 0 && lastChain[lastChain.length - 1].s < lastSeg.lines.length - 1;
  // A snippet that starts on context part way into the file, without a marker, leaves the lines
  // above out unmarked (read as kept, refuseUnmarkedTopLevelEnds): its writer does not mark what it
  // leaves out at its ends, so new lines at its unmarked end go above the lines below, which stay
  // (a step appended to a CI job shown from its name down, the jobs below not marked). Unless a
  // new line reads like one of the next few lines, edited: it may replace that one.
  const leavesOutAbove = () => first.kind === 'anchor' && !segments[0].markerBefore && first.anchor.chain.matches[0].s === 0 && nonBlank(0, first.from) > 0;
  if (last.kind === 'anchor' && !lastSeg.markerAfter && last.to < n - 1 && endsOnNew && leavesOutAbove() && nonBlank(last.to + 1, n) > UNMARKED_END_LIMIT) {
    const fresh = lastSeg.lines.slice(lastChain[lastChain.length - 1].s + 1).filter((l) => !isBlank(l));
    const next = orig.lines.slice(last.to + 1).filter((l) => !isBlank(l)).slice(0, 3);
    if (fresh.some((a) => next.some((b) => readsLike(a.trim(), b.trim())))) {
      throw new MergeRefusal(
        'missing_marker',
        'The update has no marker at either end; it starts on unchanged code, leaving the lines above it as they are, and ends on new lines that read like the lines below the code they follow: they may replace those lines or go above them. ' +
          'End it with a marker line if those lines are to be kept, or include them as they should read.',
        { lines: nonBlank(last.to + 1, n), where: 'end' },
      );
    }
  } else if (last.kind === 'anchor' && !lastSeg.markerAfter && last.to < n - 1 && endsOnNew) {
    const dropped = nonBlank(last.to + 1, n);
    if (dropped > UNMARKED_END_LIMIT) {
      throw new MergeRefusal('missing_marker', `The update has no marker after its last line, which would delete the ${dropped} non-blank lines below it. End it with a marker line if they are to be kept.`, { lines: dropped, where: 'end' });
    }
    if (!rewritesBeyond(lastSeg.lines.slice(lastChain[lastChain.length - 1].s + 1), orig.lines.slice(last.to + 1))) {
      throw new MergeRefusal(
        'missing_marker',
        `The update has no marker after its last line, which is new, and the ${dropped} non-blank line${dropped === 1 ? '' : 's'} below the code it follows read like none of its new lines: it may replace them or go above them. ` +
          'End it with a marker line if they are to be kept, or include them as they should read.',
        { lines: dropped, where: 'end' },
      );
    }
    // (new lines deep in a block end the snippet there, not the file: lines below shallower than
    // all of them, that none of them reads like, are the block's or the file's rest, left out)
    const fresh = lastSeg.lines.slice(lastChain[lastChain.length - 1].s + 1).filter((l) => !isBlank(l));
    const floor = Math.min(...fresh.map(indentColumns));
    const left = orig.lines.slice(last.to + 1).filter((l) => !isBlank(l) && indentColumns(l) < floor && !rewritesBeyond(fresh, [l]));
    if (left.length > 0) {
      throw new MergeRefusal(
        'missing_marker',
        `The update has no marker after its last line, which is new and nested deeper than ${left.length} of the non-blank lines below it, which none of its new lines reads like ("${left[0].trim().slice(0, 60)}"): it may delete them or have left them out. ` +
          'End it with a marker line if they are to be kept.',
        { lines: left.length, where: 'end' },
      );
    }
    last.to = n - 1;
  }
}

/**
 * A snippet without markers, at least half the file's size, whose first and last lines are the
 * file's first and last lines (up to spacing) is the whole new file: it replaces everything, including old lines beyond its anchors.
 */
const WHOLE_FILE_SHARE = 0.5;

function spanWholeFile(segments: Segment[], placements: Placement[], orig: SourceText, language: Language): void {
  const p = placements[0];
  if (segments.length !== 1 || p.kind !== 'anchor') return;
  const squash = (l: string) => l.trim().replace(/\s+/g, ' ');
  const code = orig.lines.map((l, i) => [i, squash(l)] as const).filter(([, l]) => l !== '');
  const seg = segments[0].lines;
  // About the file's size: first and last line around a few new ones is no new file.
  if (code.length === 0 || seg.filter((l) => l.trim() !== '').length < WHOLE_FILE_SHARE * code.length) return;
  // (a closer such as `}` says it is the file's last line only where the alignment put it there:
  // one function given alone ends on `}` too)
  const chain = p.anchor.chain.matches;
  const startsAtTop = squash(seg[0]) === code[0][1] && (!isTrivial(seg[0]) || chain[0].o === code[0][0]);
  const endsAtBottom = squash(seg[seg.length - 1]) === code[code.length - 1][1] && (!isTrivial(seg[seg.length - 1]) || chain[chain.length - 1].o === code[code.length - 1][0]);
  if (startsAtTop && endsAtBottom) {
    p.from = 0;
    p.to = orig.lines.length - 1;
    p.wholeFile = true;
    return;
  }
  // The whole file with its end (start) rewritten: it starts (ends) where the file does and ends
  // (starts) on new lines, so those replace the few lines beyond its last (first) anchor, as an
  // unmarked end does in a snippet with markers. (It read as an insertion: `a = 1 / b = 3` over
  // `a = 1 / b = 2` kept both b lines.)
  const nonBlank = (a: number, b: number) => nonBlankIn(orig.lines, a, b);
  const n = orig.lines.length;
  // New lines that are only a comment, right above (below) the first (last) anchored line, are that
  // line's doc comment: the snippet is the one definition it documents, a fragment (a JSDoc added
  // over the file's last function does not replace the functions above it).
  const head = seg.slice(0, chain[0].s);
  const tail = seg.slice(chain[chain.length - 1].s + 1);
  // (attached to it: no blank line between; a comment block set apart opens a new file's section)
  const documents = (ls: string[], code: string) => ls.every((l) => isCommentLine(l, language)) && !isCommentLine(code, language);
  const docHead = documents(head, seg[chain[0].s]);
  const docTail = documents(tail, seg[chain[chain.length - 1].s]);
  if (startsAtTop && tail.length > 0 && !docTail && nonBlank(p.to + 1, n) <= UNMARKED_END_LIMIT) p.to = n - 1;
  if (endsAtBottom && head.length > 0 && !docHead && nonBlank(0, p.from) <= UNMARKED_END_LIMIT) p.from = 0;
  // Otherwise a file-sized snippet that starts (ends) on new lines, with file lines beyond its
  // first (last) anchor: as the new file it replaces them, as a fragment it keeps them.
  const beyond = head.length > 0 && !docHead ? nonBlank(0, p.from) : 0;
  const after = tail.length > 0 && !docTail ? nonBlank(p.to + 1, n) : 0;
  if (beyond > 0 || after > 0) {
    const where = beyond > 0 ? 'start' : 'end';
    throw new MergeRefusal(
      'missing_marker',
      `The update has no markers, is about the file's size and ${where === 'start' ? 'starts' : 'ends'} on new lines: as the whole new file it would delete the ${where === 'start' ? beyond : after} non-blank lines ${where === 'start' ? 'above' : 'below'} its ${where === 'start' ? 'first' : 'last'} unchanged line, as a fragment it would keep them. ` +
        'Send the whole file, or mark what stays with marker lines.',
      { lines: where === 'start' ? beyond : after, where },
    );
  }
}

/** With line hints, the candidate containing (or nearest to) a hint, if it is strictly nearest. */
function nearestToHints(found: AnchorSearch, hints: number[]): [number, number] | null {
  if (hints.length === 0) return null;
  const dist = ([a, b]: [number, number]) => Math.min(...hints.map((h) => (h - 1 < a ? a - (h - 1) : h - 1 > b ? h - 1 - b : 0)));
  const ranked = [...found.rivals].sort((x, y) => dist(x) - dist(y));
  return ranked.length > 1 && dist(ranked[0]) < dist(ranked[1]) ? ranked[0] : null;
}
