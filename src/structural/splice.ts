// Writing the merged file: each placed segment replaces its stretch of the original, kept lines
// with the original's exact bytes, new lines in the file's indentation; then what the splice did,
// for the checks (lines added and deleted, the largest unexplained deletion).
import type { Node } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { CLOSER_OR_END_TAG, closesOwnBlock, fillGap, MARKUP, netKeywordOpens, netOpens, opensMinusCloses, OriginalIndex, STRONG_WEIGHT, type SegmentAnchor } from './align.js';
import { chooseUnitMapping, indentColumns, nesting, reindenter, rescaledBetween2And4, sameIndent, snippetIndentUnit } from './indent.js';
import { alignsContinuations, alignsSelectors, openBracketColumn, openerRow, realignContinuation, realignSelector } from './continuations.js';
import { nameSetBy, firstWord, inOrderWithin, isBlank, isTrivial, leadingLength, lineKey, nonBlankIn, nonBlankRows, subjectOf, type Rung, TABLE_HEADER } from './lines.js';
import type { Segment } from './normalise.js';
import type { Placement } from './place.js';
import { indentSteps, joinText, type SourceText } from './text.js';
import { CLOSES, commentWords, grownLine, likeness, memberOf, nearEdit, readsLike, usesName, wordsGrown, blanksGoWithEdit, commentsGoWithEdit, droppedBesideRewordedComment, droppedCommentOfReplaced, droppedLeadingComment, emptiedBlock, isCommentLine, droppedTrailingComment, editedEdgeLine, repeatedBesideKept, sameNameInGap, skippedBesideEdit, type EditShape, pairEditedLines, pairRewordedComments, chainGoesOnPastMarker, cutConstructSliding, rewritesBeyondFragment, unstatedDeletion, deletionReadsElsewhere, insertionReadsAsWell } from './gaps.js';
import { lastRow } from './closers.js';
import { sameImport, widenedImport } from './imports.js';
import { bracketBalance } from './brackets.js';
import { MergeRefusal } from './refusal.js';

/** How far into a run of new lines beside a marker each line is compared with the file's line as far on. */
const EDGE_RUN = 3;

export interface Spliced {
  content: string;
  lines: string[];
  /** Output rows that came from the snippet rather than the original. */
  added: Set<number>;
  /** Output rows kept from the original because the snippet shows them (its context lines). */
  shown: Set<number>;
  rungs: Rung[];
  definitionAnchors: number;
  linesAdded: number;
  linesDeleted: number;
  largestGap: number;
  /** Original lines the merge deletes. */
  deleted: Set<number>;
  /** For each output row, the original row it keeps, or -1 for a row the snippet added. */
  sources: number[];
}

/** A line that starts by closing a block: `}`, `};  // namespace`, `end`, `]`. */
const STARTS_CLOSING = /^\s*(?:[\]})]|end\b)/;

/** A line that annotates the one after it: `@Override`, `@app.route(...)`, `#[derive(...)]`, `[Fact]`. */
const ANNOTATION = /^\s*(?:@[A-Za-z_][\w.]*(?:\(.*\))?|#\[.*\]|\[[A-Z]\w*(?:\(.*\))?\])\s*$/;
/** A line that only closes: `}`, `});`, `end`, `]`, a shell `fi`, `done`, `esac`. */
const CLOSER = /^\s*(?:[\]})]+[;,)]*|end|fi|done|esac)\s*$/;

/**
 * A segment between two markers that shows only lines the file has, in order, skipping one
 * stretch of blank or comment lines between two statements: read as context it changes nothing,
 * so it exists to delete that stretch. (One that skips code as well says so, and a blank or
 * comment line it skips besides may be a model's slip; so may a second stretch, or one beside a
 * closing `}`: a segment that shows where a function or the file ends, to say where it is.)
 */
function statesItsOneGap(seg: Segment, original: string[], kept: [number, number][], lang: Language): boolean {
  if (!seg.markerBefore || !seg.markerAfter || kept.length !== seg.lines.length) return false;
  const gapsAfter = kept.map((_, k) => k).filter((k) => k > 0 && kept[k][1] - kept[k - 1][1] > 1);
  if (gapsAfter.length !== 1) return false;
  const from = kept[gapsAfter[0] - 1][1];
  const to = kept[gapsAfter[0]][1];
  const gap = original.slice(from + 1, to);
  return gap.every((l) => isBlank(l) || isCommentLine(l, lang)) && !STARTS_CLOSING.test(original[from]) && !STARTS_CLOSING.test(original[to]);
}

const STATEMENT = /^(?:if|for|foreach|while|switch|catch|return|await|yield|throw|new|typeof|sizeof|elif|else|with|match|when|do|try|unless|until|case|assert|print)$/;

/**
 * The name a construct's first line defines: the key (`build:` too), declared or assigned name (subjectOf), else
 * the name called or declared before its first `(` (`fun deleteNote(`, `router.delete(`,
 * `[HttpDelete(`), else a selector before `{` (`.btn-danger {`); null for a statement.
 */
function definedName(line: string): string | null {
  const t = line.trim();
  const subject = subjectOf(t) ?? /^([\w$.-]+):$/.exec(t)?.[1] ?? null;
  if (subject !== null) return subject;
  const call = /([A-Za-z_$][\w$]*)\s*(?:<[^()]*>)?\s*\(/.exec(t);
  if (call) return STATEMENT.test(call[1]) ? null : call[1];
  const rule = /^([^{}();]+?)\s*\{$/.exec(t);
  return rule ? rule[1] : null;
}

/**
 * A segment whose end (step 1; its start, step -1) beside a marker is new lines among kept ones
 * that say nothing of where they are: past the last line that can only be itself and the lines kept
 * on from it, the snippet has a whole block (its first line the least indented, its brackets
 * balanced) whose kept lines all occur elsewhere in the file too (`viewModelScope.launch {`,
 * `runs-on: ubuntu-latest`, `- uses: actions/checkout@v4`), while the file lines they skip include
 * one that can only be itself, the first line of a construct at the new one's depth that defines
 * another name (`fun deleteNote(note: Note) {` under a new `fun updateNote(note: Note) {`, `build:`
 * under `e2e:`). Read so, the snippet rewrites the file's next block into its new one; read as a new
 * block modelled on that one (a new method, CI job, route or CSS rule), it inserts it and the marker
 * keeps the file's. Refused. (Found with snippets written as models write them; no eval case has
 * the shape, and refusing it costs none of their answers.)
 */
function newBlockOrRewrite(seg: string[], original: string[], kept: [number, number][], index: OriginalIndex, step: 1 | -1): void {
  const unique = (line: string) => !isTrivial(line) && index.positions(lineKey(line, 'trimmed'), 'trimmed').length === 1;
  const order = step === 1 ? kept : [...kept].reverse();
  let d = order.findIndex(([s]) => unique(seg[s]));
  if (d < 0) return;
  // (the lines kept on from it, consecutive in both)
  while (d + 1 < order.length && order[d + 1][0] - order[d][0] === step && order[d + 1][1] - order[d][1] === step) d++;
  const rest = order.slice(d + 1);
  if (rest.length === 0 || rest.some(([s]) => unique(seg[s]))) return;
  const [s0, o0] = order[d];
  const block = step === 1 ? seg.slice(s0 + 1) : seg.slice(0, s0);
  const body = block.filter((l) => !isBlank(l));
  const head = body[0];
  const headRow = step === 1 ? s0 + 1 + block.indexOf(head) : block.indexOf(head);
  // (a construct: a new first line, least indented, with a body below it, brackets balanced)
  if (!head || kept.some(([s]) => s === headRow) || body.some((l) => indentColumns(l) < indentColumns(head)) || !body.some((l) => indentColumns(l) > indentColumns(head))) return;
  if (bracketBalance(block.join('\n')).some((n) => n !== 0)) return;
  const oEnd = rest[rest.length - 1][1];
  const keptRows = new Set(rest.map(([, o]) => o));
  const skipped: number[] = [];
  for (let o = o0 + step; o !== oEnd; o += step) if (!keptRows.has(o) && !isBlank(original[o])) skipped.push(o);
  // The file's construct there starts on a line of its own at the new one's depth: its header.
  const telling = Math.min(...skipped);
  if (!Number.isFinite(telling) || !unique(original[telling])) return;
  const depth = (line: string, base: string) => indentColumns(line) - indentColumns(base);
  if (depth(original[telling], original[o0]) !== depth(head, seg[s0])) return;
  // (two constructs that each define a name, and not the same one: a header the new one edits
  // keeps its name, and a statement, `if (!warned.exchange(true))` over `if (!warned)`, names none)
  const [named, other] = [definedName(head), definedName(original[telling])];
  if (named === null || other === null || named === other) return;
  let shown = s0;
  while (shown - step >= 0 && shown - step < seg.length && isBlank(seg[shown])) shown -= step;
  throw new MergeRefusal(
    'ambiguous_anchor',
    `The update's new lines ${step === 1 ? 'after' : 'before'} "${seg[shown].trim().slice(0, 60)}" read either as a new block there, or as a rewrite of the file's ${step === 1 ? 'next' : 'previous'} block, whose line ${telling + 1} ("${original[telling].trim().slice(0, 60)}") they would replace: the lines they share with the file occur elsewhere in it too. ` +
      `To add the block, show that line ${step === 1 ? 'after' : 'before'} it as context; to rewrite that block, show its first line as it stands now.`,
    { kind: 'new_block_or_rewrite', line: telling + 1 },
  );
}

/**
 * The row that closes the block `lines[from]` opens (brackets, and in markup tags): where the count
 * of what the lines open first comes back to zero, blank lines skipped. -1 where that line opens
 * nothing, a line closes more than is open, or the block runs past the end.
 */
function closingRow(lines: string[], from: number, markup: boolean, keywords = false): number {
  let depth = 0;
  // (a definition whose brace stands on the next line, as C# and C write them: the block opens
  // there; not a statement, `if (…)`, whose rewritten condition is an edit)
  const next = lines.findIndex((l, s) => s > from && !isBlank(l));
  if (next > 0 && lines[next].trim() === '{' && opensMinusCloses(lines[from], markup) === 0 && !/[;,]\s*$/.test(lines[from]) && (definedName(lines[from]) !== null || /\b(?:class|struct|interface|enum|record|namespace)\s+\w/.test(lines[from]))) from = next;
  for (let s = from; s < lines.length; s++) {
    if (isBlank(lines[s])) continue;
    depth += opensMinusCloses(lines[s], markup) + (keywords ? netKeywordOpens([lines[s]]) : 0);
    if (s === from ? depth <= 0 : depth < 0) return -1;
    if (depth === 0) return s;
  }
  return -1;
}

/**
 * The first line from `i` on that is no attribute, decorator or comment over a definition (`#[test]`,
 * `@Test`, C#'s `[HttpPost("x")]`, `/// …`, `// …`, `# …`, SQL's `-- Invoices`).
 */
function pastAnnotations(lines: string[], i: number): number {
  while (i < lines.length - 1 && (isBlank(lines[i]) || /^\s*(?:#\[|@\w|\/\/|--\s|#\s|\[[A-Z]\w*(?:\(.*\))?\]\s*$)/.test(lines[i]))) i++;
  return i;
}

/** A line's first word with what leads it (`@Test`, `<li`, `case`, `Event`): siblings start alike. */
const lead = (line: string) => /^\W*\w+/.exec(line.trim())?.[0];

/**
 * New lines between two kept lines that replace file lines reaching out of the block both sit in:
 * `return -1;` kept, a new range check, then the next look-alike block's `return -1;` kept, the
 * lines between (`return 0;`, `}`, `if (strcmp(key, "timeout") == 0) {`, ...) deleted. The
 * snippet's repeated line pulled the chain on to a look-alike; a replacement that closes a block
 * and opens another writes lines at that depth itself. Refused where a deleted line out there is a
 * look-alike of a header the snippet has above, or a header whose block holds the next kept line.
 * `prev`, `next`: consecutive kept lines as [snippet line, original line].
 */
function replacedAcrossBlocks(seg: string[], original: string[], [sa, oa]: [number, number], [sb, ob]: [number, number], markup: boolean): void {
  // (measured in the file's columns: a snippet indented otherwise says nothing this way; but a bare
  // closer after the new lines, `}` at 8 columns paired with one at 4, is no sign of that: the pairing
  // took it at another depth)
  const shifted = (s: number, o: number) => indentColumns(seg[s]) !== indentColumns(original[o]);
  if (sb - sa < 2 || ob - oa < 2 || shifted(sa, oa) || (shifted(sb, ob) && !isTrivial(seg[sb]))) return;
  const depthOf = (lines: string[]) => Math.min(...lines.filter((l) => !isBlank(l)).map(indentColumns));
  const added = seg.slice(sa + 1, sb);
  const dropped = original.slice(oa + 1, ob);
  if (added.every(isBlank) || dropped.every(isBlank)) return;
  const floor = Math.min(indentColumns(original[oa]), indentColumns(original[ob]), depthOf(added));
  if (isBlank(original[oa]) || isBlank(original[ob]) || depthOf(dropped) >= floor) return;
  // (and one of the lines out there reads like one the snippet has above, or starts as it does at its
  // depth: a look-alike block's header; `} else {` given up for a `when` branch is the edit's own)
  const above = seg.slice(0, sa + 1).filter((l) => !isBlank(l) && !isTrivial(l));
  const header = (l: string) => !isBlank(l) && indentColumns(l) < floor && l.trim().length >= 12 && !isTrivial(l);
  // (one that starts as a line above at its depth: `void cannotCancelShippedOrder() {` under the new `void cannotShip...() {`)
  const sibling = (k: string, l: string) => nearEdit(k.trim(), l.trim()) || (indentColumns(k) === indentColumns(l) && lead(k) === lead(l));
  // (or a header whose block holds the kept line after the new ones: `func SleepHandler(…) {` among
  // the deleted, its `if err != nil {` kept, under a snippet that starts inside the function above;
  // an element's opening tag, `<el-tab-pane …>`, in markup)
  const holdsNext = (i: number) => {
    const row = oa + 1 + i;
    if (!header(original[row])) return false;
    // (its brace on the next line, as C's functions have it: the block runs on after that brace)
    let next = row + 1;
    while (next < original.length && isBlank(original[next])) next++;
    const braceBelow = original[next]?.trim() === '{' && indentColumns(original[next]) === indentColumns(original[row]);
    if (!braceBelow && !(/[{:]\s*$/.test(original[row]) || (markup && opensMinusCloses(original[row], true) > 0))) return false;
    let end = braceBelow ? next + 1 : row + 1;
    while (end < original.length && (isBlank(original[end]) || indentColumns(original[end]) > indentColumns(original[row]))) end++;
    return end > ob;
  };
  if (!dropped.some((l, i) => (header(l) && above.some((k) => sibling(k, l))) || holdsNext(i))) return;
  throw new MergeRefusal(
    'unstated_deletion',
    `The update replaces lines ${oa + 2}-${ob} of the file with its new lines, but those lines reach out of the block the lines around them sit in (line ${oa + 2 + dropped.findIndex((l) => !isBlank(l) && indentColumns(l) < floor)}) and the new ones do not: the update likely repeats a line of the block it edits, and was matched on a look-alike further on. ` +
      'Show the unchanged lines right after the new ones.',
    { start_line: oa + 2, end_line: ob, kind: 'replaced_across_blocks' },
  );
}

/**
 * After a marker, new lines between two kept lines that say nothing of where they are (`  }` and
 * the class's `}`), the first of them all the context before the new lines,
 * replacing file lines that hold a sibling of theirs: a header at the new lines' depth that starts
 * as one of theirs does (`async deleteReview(...) {` where the new lines open `async healthCheck() {`).
 * A bare closer before a new method matched the previous method's end, and the class's last method
 * went. Read the other way the closer is that last method's and nothing is deleted: refused.
 * `prev`, `next`: the segment's first two non-blank kept lines as [snippet line, original line].
 */
function siblingReplacedBetweenClosers(seg: string[], original: string[], [sa, oa]: [number, number], [sb, ob]: [number, number]): void {
  if (sb - sa < 2 || ob - oa < 2 || !isTrivial(original[oa]) || !isTrivial(original[ob])) return;
  const added = seg.slice(sa + 1, sb).filter((l) => !isBlank(l));
  const dropped = original.slice(oa + 1, ob).filter((l) => !isBlank(l));
  if (added.length === 0 || dropped.length < 2) return;
  const depth = indentColumns(added[0]);
  // (headers: lines that open a block, `{` or `:` at their end)
  const header = (l: string) => indentColumns(l) === depth && !isTrivial(l) && /[{:]\s*$/.test(l);
  const leads = new Set(added.filter(header).map(lead));
  const sibling = dropped.find((l) => header(l) && leads.has(lead(l)));
  if (sibling === undefined) return;
  throw new MergeRefusal(
    'ambiguous_anchor',
    `The update's new lines stand between "${seg[sa].trim()}" and "${seg[sb].trim()}", which the merge matched at lines ${oa + 1} and ${ob + 1} of the file, deleting the lines between them, among them "${sibling.trim().slice(0, 60)}": lines that common say nothing of where they are, and the new lines may go after that code instead. ` +
      'Show a line of the code right before the new lines as context.',
    { start_line: oa + 2, end_line: ob, kind: 'sibling_between_closers' },
  );
}

/**
 * Before a marker, a new block whose closing lines the file has more than once (`return err`, `}`,
 * `</li>`, `return 0`), paired with those of the file's next sibling (`case "stop":` after the new
 * `case "restart":`, an `<li>`, a match arm, an `elif`): read so, the new block rewrites that
 * sibling, its other lines deleted; read as the snippet's own, it goes in after the lines before it
 * and the sibling stays under the marker. Refused where the second reading holds too: the new lines,
 * with the file's repeated lines right above them that may open them (`<li>`), form a whole block
 * (brackets balanced; in Python or YAML, opened by a header line ending in `:`), no line after them
 * says where they are (one the file has once), and the first file line that would go starts as the
 * first new line does, at its depth (`case`, `elif`, `<a`). (A first new line that is that line
 * grown or changed a little, `if (!warned.exchange(true))` over `if (!warned)`, a selector's
 * `:read-only` made `[readonly]`, edits it.)
 * `kept`: [snippet line, original line] pairs, in order.
 */
function siblingOrRewrite(seg: string[], original: string[], kept: [number, number][], index: OriginalIndex, language: Language, markerKeepsNothing: boolean): void {
  const keptRows = new Map(kept);
  const first = seg.findIndex((l, s) => !isBlank(l) && !keptRows.has(s));
  if (first < 0) return;
  const tail = kept.filter(([s]) => s > first);
  const repeated = (line: string) => isBlank(line) || index.positions(lineKey(line, 'trimmed'), 'trimmed').length > 1;
  // (a line of the new block the file has once, a plan card's `<li>Email support</li>` copied from
  // the next card, says where it is only if the block is mostly such lines)
  const lone = tail.filter(([s]) => !repeated(seg[s])).length;
  // (unless the new run starts on a header naming another definition than the file's line it would
  // replace, its body the next block's to the line: `class Label(models.Model):` over `class Tag(…)`,
  // a new model after `Category` or `Tag` renamed, which the snippet cannot tell)
  const before = kept.filter(([s]) => s < first);
  const replaced = before.length > 0 && tail.length > 0 ? pastAnnotations(original, before[before.length - 1][1] + 1) : -1;
  const [newName, oldName] = [definedName(seg[pastAnnotations(seg, first)]), replaced >= 0 && replaced < tail[0][1] ? definedName(original[replaced]) : null];
  // (and lines before it place it, the end of the block before shown, or one the file has once: not
  // a rename of the next block shown under its `#[test]` or `[Fact]` alone)
  const shownBefore = before.filter(([k]) => !isBlank(seg[k]));
  const placed = shownBefore.length >= 2 || shownBefore.some(([k]) => !repeated(seg[k]));
  const renamesNext = placed && newName !== null && oldName !== null && newName !== oldName;
  if (tail.length === 0 || (lone * 2 > tail.length && !renamesNext)) return;
  const [, lastO] = tail[tail.length - 1];
  const headers = language.id === 'python' || language.id === 'yaml';
  const markup = MARKUP.has(language.id);
  const opensBlock = (c: number) => {
    // (attributes and doc comments over it, `#[test]`, `/// …`, are the block's own)
    const part = seg.slice(pastAnnotations(seg, c)).filter((l) => !isBlank(l));
    // (a header ending in `:` with a body below it: `elif ...:`, `case "x":`)
    const body = part.slice(1);
    if (/:\s*(?:#.*)?$/.test(part[0]) && body.length > 0 && body.every((l) => indentColumns(l) > indentColumns(part[0]))) {
      return bracketBalance(part.join('\n')).every((n) => n === 0);
    }
    // (a table of TOML or INI: its header, then keys)
    if (TABLE_HEADER.test(part[0]) && body.length > 0 && body.every((l) => !/^\s*\[/.test(l))) return true;
    if (headers) return false;
    // (one block: its first line opens it, or the `{` on the next line, and only its last closes
    // it; Ruby's by `do` and `end`)
    return part.length > 1 && closingRow(part, 0, markup, language.id === 'ruby') === part.length - 1;
  };
  // (the new block may start on repeated lines right above the first new one: its `<li>`)
  for (let c = first; c >= 1 && (c === first || (keptRows.has(c) && repeated(seg[c]))); c--) {
    if (!opensBlock(c)) continue;
    const before = kept.filter(([s]) => s < c);
    if (before.length === 0) return;
    const from = before[before.length - 1][1];
    const tailRows = new Set(kept.filter(([s]) => s >= c).map(([, o]) => o));
    const dropped: number[] = [];
    for (let o = from + 1; o < lastO; o++) if (!tailRows.has(o) && !isBlank(original[o])) dropped.push(o);
    // (with a line of the file's own among the kept, a short stretch dropped is an edit of it, unless
    // that stretch opens a sibling block as the new lines do: `it "does not change the balance" do`
    // under a new `it "logs the failure" do`)
    const opensSibling = () => {
      const [o, n] = [pastAnnotations(original, dropped[0]), pastAnnotations(seg, first)];
      // (its header and a line of its body: a header alone dropped, the body kept, is a rename)
      return dropped.length >= 2 && lead(original[o]) === lead(seg[n]) && closingRow(original, o, markup, language.id === 'ruby') > o;
    };
    if (dropped.length === 0 || (lone > 0 && dropped.length < 3 && !opensSibling() && !renamesNext)) return;
    // (a block opened by a repeated line the snippet keeps, right after a sibling's end, an `<li>`
    // after a `</li>`, a `[[tool.mypy.overrides]]` after a blank line, is built like its siblings
    // either way: its first new line reading like theirs says nothing)
    // (or a new element opened right after such a kept end: a plan card's `<div class="plan-card">`
    // after the previous card's `</div>`, reading like the next card's opener all the same; a
    // header, `fun deleteNote(note: Note, permanently: …)`, names what it edits)
    const afterSibling = (c < first || (keptRows.has(c - 1) && /^\s*</.test(seg[c]))) && (isBlank(seg[c - 1]) || CLOSER_OR_END_TAG.test(seg[c - 1]));
    // (a header that names another definition, `GetMidRange(…)` over `GetCheapest(…)`, is no edit of it)
    // (past attributes over either: `[HttpDelete("{id:int}/purge")]` over `[HttpDelete("{id:int}")]`
    // heads `Purge(…)` where the file's heads `Delete(…)`)
    const [so, sn] = [pastAnnotations(original, dropped[0]), pastAnnotations(seg, first)];
    const [nameA, nameB] = [definedName(seg[sn]), definedName(original[so])];
    const renamed = nameA !== null && nameB !== null && nameA !== nameB;
    // (the first new line an edit of the first line it would drop: `if (create) createClient(this)`
    // over `createClient(this)` is that line grown)
    const editsDropped = grownLine(seg[first].trim(), original[dropped[0]].trim()) || readsLike(seg[first].trim(), original[dropped[0]].trim());
    if (!markerKeepsNothing && !afterSibling && !renamed && editsDropped) return;
    // (a sibling: the first line it would drop starts as the first new one does, at its depth; past
    // the attributes and doc comments over either, `#[should_panic]`, `/// …`, over a `fn`)
    const [sibling, opener] = [original[so], seg[sn]];
    // (past comments over both, the file's header kept as the snippet's: new comment lines over the
    // block the file has there, not a sibling of it)
    if (keptRows.get(sn) === so) return;
    const sameLead = sibling !== undefined && opener !== undefined && indentColumns(sibling) === indentColumns(opener) && lead(sibling) === lead(opener);
    // (or the block's opener is kept right after a sibling's end, paired with the next sibling's,
    // nothing kept in it is a line the file has once, and the first new line edits nothing: the
    // lines it would drop are that sibling's own, its name and settings, a Flutter `Padding(` /
    // `child: TextFormField(` over the Email field's `controller: …`)
    if (!sameLead && !(c < first && lone === 0 && afterSibling && !isTrivial(seg[c]) && !editsDropped)) return;
    // (in Ruby a sibling opens a block with `do`: a statement, `expect { … }` edited, is no sibling)
    if (language.id === 'ruby' && closingRow(original, so, false, true) <= so) return;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's new lines after "${(before.map(([k]) => seg[k]).reverse().find((l) => !isBlank(l)) ?? '').trim().slice(0, 60)}" read either as a new block there, or as a rewrite of the file's next block, whose line ${dropped[0] + 1} ("${original[dropped[0]].trim().slice(0, 60)}") they would replace: the lines they end on occur elsewhere in the file too. ` +
        'To add the block, show that line after it as context; to rewrite that block, show its first line as it stands now.',
      { kind: 'new_block_or_rewrite', line: dropped[0] + 1 },
    );
  }
}

/**
 * siblingOrRewrite's mirror, after a marker: a new block opened on a line the file has more than
 * once (`ingress {`), paired with the file's previous sibling's opener, then the snippet's context
 * after it (the next `ingress {` and its `description = "HTTP redirect"`). Read so, the new lines
 * rewrite that sibling, its body deleted; read as a new block, it goes in before the context and
 * the sibling stays under the marker. Refused where the block is whole (its first line opens it,
 * only its last closes it), only those two kept and both repeated in the file, and the sibling's first
 * two body lines start as the new ones do, at their depth (`description = …`, `from_port = …`),
 * unless the first is the new one edited a little.
 * `kept`: [snippet line, original line] pairs, in order.
 */
function siblingOrRewriteBefore(seg: string[], original: string[], kept: [number, number][], index: OriginalIndex, language: Language): void {
  const keptRows = new Map(kept);
  const fresh = seg.map((l, s) => (!isBlank(l) && !keptRows.has(s) ? s : -1)).filter((s) => s >= 0);
  const start = seg.findIndex((l) => !isBlank(l));
  if (fresh.length === 0 || !keptRows.has(start)) return;
  // (one block: its first line opens it, and only its last closes it, which may be a kept `}`)
  const end = closingRow(seg, start, MARKUP.has(language.id));
  const last = fresh[fresh.length - 1];
  if (end < last) return;
  const head = kept.filter(([s]) => s <= end && !isBlank(seg[s]));
  const after = kept.filter(([s]) => s > end && !isBlank(seg[s]));
  const repeated = (line: string) => index.positions(lineKey(line, 'trimmed'), 'trimmed').length > 1;
  // (its opener and closer the only lines kept, or body lines the file has more than once too, as
  // `<scope>test</scope>`: a body with a kept line of its own, a call's arguments with one edited,
  // is that block's edit)
  if (after.length === 0 || !head.every(([s]) => repeated(seg[s]))) return;
  const [s0, o0] = head[0];
  const headRows = new Set(head.map(([, o]) => o));
  const dropped: number[] = [];
  for (let o = o0 + 1; o < after[0][1]; o++) if (!headRows.has(o) && !isBlank(original[o])) dropped.push(o);
  const body = fresh.filter((s) => s > s0);
  if (dropped.length < 2 || body.length < 2) return;
  const [a, b] = [seg[body[0]].trim(), original[dropped[0]].trim()];
  if (grownLine(a, b) || readsLike(a, b)) return;
  const depthIn = (line: string, base: string) => indentColumns(line) - indentColumns(base);
  if (depthIn(seg[body[0]], seg[s0]) !== depthIn(original[dropped[0]], original[o0])) return;
  // (built like the sibling: its first two body lines start as the sibling's do, `description`,
  // `from_port`; one statement rewritten inside a block, `return …` over `return …`, is an edit)
  if ([0, 1].some((k) => lead(seg[body[k]]) !== lead(original[dropped[k]]))) return;
  throw new MergeRefusal(
    'ambiguous_anchor',
    `The update's new lines from "${seg[s0].trim().slice(0, 60)}" read either as a new block before "${seg[after[0][0]].trim().slice(0, 60)}", or as a rewrite of the file's block at line ${o0 + 1}, whose line ${dropped[0] + 1} ("${b.slice(0, 60)}") they would replace: the lines they share with the file occur elsewhere in it too. ` +
      'To add the block, show the line before it as context; to rewrite that block, show a line of it that occurs once.',
    { kind: 'new_block_or_rewrite', line: dropped[0] + 1 },
  );
}

/**
 * Where the outermost named node that ends on row `end` and starts in [from, end) starts (a construct
 * wholly inside the stretch); null when none does. With `lines`, not a node in mid-row whose
 * construct starts above the row before the stretch (the body `{` that ends a signature begun there).
 */
function constructEndingAt(root: Node, from: number, end: number, lines?: string[]): number | null {
  let start: number | null = null;
  const visit = (node: Node) => {
    const a = node.startPosition.row;
    const b = lastRow(node);
    // (a node that ends before `end` holds none that ends there)
    if (start !== null || b < end || a > end) return;
    // (a node in mid-row whose construct starts above the kept line before the stretch: the snippet
    // shows that construct's header, so the stretch rewrites its end)
    const opens = !lines || node.startPosition.column <= leadingLength(lines[a]) || (node.parent?.startPosition.row ?? 0) >= from - 1;
    if (node.isNamed && b === end && a >= from && a < end && opens) start = a;
    else for (const c of node.children) if (c) visit(c);
  };
  visit(root);
  return start;
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

export function splice(orig: SourceText, index: OriginalIndex, segments: Segment[], placements: Placement[], language: Language, root: Node | null): Spliced {
  // The snippet's indentation unit, from all of it: one segment may be too short to tell.
  const pairs = segments.map((seg, i) => {
    const p = placements[i];
    return p.kind === 'anchor' ? pairLines(seg, orig, p.anchor, p.from, p.to) : new Map<number, number>();
  });
  // The lines that say where the segment's indentation sits, as [snippet line, original line]: its
  // distinctive chained lines and definition starts (a method copied out of its class is paired
  // with its original by name), else every kept line. Lines kept only because they equal their
  // neighbours (`}`, `break;`) may have been paired across a change of depth.
  const shared = segments.map((seg, i) => {
    const p = placements[i];
    if (p.kind !== 'anchor') return [];
    // (a lone line placed on the file's line it edits, at its depth: that line says where it sits)
    if (p.anchor.chain.matches.length === 0) return seg.lines.filter((l) => !isBlank(l)).map((l) => [l, orig.lines[p.from]] as [string, string]);
    const strong = p.anchor.chain.matches.filter((m) => (m.kind === 'def-start' || (m.kind === 'text' && pairs[i].get(m.s) === m.o)) && m.w >= STRONG_WEIGHT);
    const from = strong.length > 0 ? strong.map((m) => [m.s, m.o]) : [...pairs[i]];
    return from.map(([s, o]) => [seg.lines[s], orig.lines[o]] as [string, string]);
  });
  // The unit also shows in context lines between two chained ones that the snippet indents otherwise
  // with nothing opened or closed beside them (a struct's fields under `struct Point {` when only
  // column-0 lines chain): no edit re-nests lines without a new bracket.
  const evidence = segments.map((seg, i) => {
    const p = placements[i];
    if (p.kind !== 'anchor') return shared[i];
    const all = [...pairs[i]].map(([s, o]) => [seg.lines[s], orig.lines[o]] as [string, string]);
    return [...shared[i], ...unnestedContext(seg.lines, orig.lines, p.anchor.chain.matches), ...rescaledWeakContext(shared[i], all)];
  });
  const unitMapping = chooseUnitMapping(evidence, orig.indent, {
    snippetUnit: snippetIndentUnit(segments.flatMap((seg) => seg.lines)),
    fileSteps: indentSteps(orig.lines),
    snippetColumns: segments.flatMap((seg) => seg.lines.filter((l) => !isBlank(l)).map(indentColumns)),
  });
  // A file indented with tabs only gets tabs on the lines a snippet indented with spaces; so does a
  // tab-indented file whose tabs the snippet's shared lines spell as spaces (a segment whose own
  // shared lines sit at column 0 does not show it).
  const tabsOnly =
    orig.indent.kind === 'tab' && (!orig.lines.some((l) => /^ +[^ *]/.test(l)) || evidence.some((pairs) => pairs.some(([s, o]) => /^\t/.test(o) && /^ +\S/.test(s))));
  const lines: string[] = [];
  const eols: (string | undefined)[] = [];
  const sources: number[] = [];
  const added = new Set<number>();
  const shown = new Set<number>();
  const rungs: Rung[] = [];
  let cursor = 0;
  let definitionAnchors = 0;
  let linesAdded = 0;
  let largestGap = 0;
  let fileAligns: boolean | undefined;
  let fileAlignsSelectors: boolean | undefined;
  // What the edit does, for the check of deletions it leaves unstated (skippedBesideEdit).
  const edit: EditShape = { deleted: new Set(), insertedAt: [], added: [], silent: [], comments: [], blanks: [], faithfulBlanks: 0, cuts: [] };
  const keep = (from: number, to: number) => {
    for (let o = from; o < to; o++) {
      lines.push(orig.lines[o]);
      eols.push(orig.eols[o]);
      sources.push(o);
    }
  };
  /** A row the snippet adds (written as given: the caller re-indents). */
  const addRow = (line: string) => {
    added.add(lines.length);
    lines.push(line);
    eols.push(undefined);
    sources.push(-1);
    linesAdded++;
  };

  segments.forEach((seg, i) => {
    const p = placements[i];
    if (p.kind !== 'anchor') {
      if (p.kind === 'bottom' || p.kind === 'inside') {
        const end = p.kind === 'bottom' ? orig.lines.length : p.after + 1;
        callEditedAtEnd(seg.lines, orig.lines, cursor, end);
        keep(cursor, end);
        cursor = end;
        // (the blank lines the snippet wrote before it, trimmed for anchoring, separate it from the file's end)
        if (seg.blankBefore && lines.length > 0 && lines[lines.length - 1].trim() !== '') for (let k = 0; k < seg.blankBefore; k++) addRow('');
      }
      if (p.kind === 'top') editedAtTop(seg.lines, orig.lines, language);
      if (p.kind === 'imports') {
        // (the segment before may have taken the rows up to and past the imports' place)
        if (p.after + 1 < cursor) throw new MergeRefusal('ambiguous_anchor', `Segment ${i + 1} of the update adds imports where the update's other lines go.`, { segment: i });
        keep(cursor, p.after + 1);
        cursor = p.after + 1;
      }
      for (const l of p.kind === 'imports' ? seg.lines.filter((l) => !isBlank(l)) : seg.lines) addRow(l);
      rungs.push('exact');
      return;
    }
    const { anchor } = p;
    ({ from: p.from, to: p.to } = pairRewordedComments(seg.lines, orig.lines, pairs[i], p.from, p.to, language));
    ({ from: p.from, to: p.to } = extendAtMarkers(seg, orig.lines, pairs[i], p.from, p.to, [cursor, nextFrom(placements, i, orig.lines.length)], language));
    p.from = replacedHeader(seg, orig.lines, pairs[i], p.from, cursor);
    p.from = widenedBesideMarker(seg, orig.lines, pairs[i], anchor.chain.matches[0]?.s ?? 0, p.from, cursor);
    if (root) p.from = reopenedConstruct(seg, orig.lines, pairs[i], root, p.from, cursor);
    p.from = replacedDocComment(seg, orig.lines, anchor.chain.matches[0], p.from, cursor, language);
    p.from = rewrittenLeadingComment(seg, orig.lines, pairs[i], anchor.chain.matches, p.from, cursor, language);
    if (seg.markerBefore) {
      p.from = rewrittenAnnotations(seg.lines, orig.lines, pairs[i], p.from, cursor);
      p.from = rewrappedBefore(seg.lines, orig.lines, pairs[i], p.from, cursor);
      const first = firstTelling(seg.lines, pairs[i]);
      if (first !== undefined) repeatsLineBeyondMarker(seg.lines, orig.lines, freshOf(seg.lines, pairs[i], 0, first), p.from, -1, cursor);
      // (and a new line among the kept ones, in no new block of its own, that is the file's line
      // right above them as it stands: two lines swapped, the moved one kept twice)
      if (first !== undefined) movedFromAbove(seg.lines, orig.lines, pairs[i], first, p.from, cursor);
    }
    if (process.env.DEBUG_MERGE) console.error(`seg ${i} [${seg.snippetLine}+${seg.lines.length}] -> ${p.from}..${p.to} rung ${anchor.rung} chain ${anchor.chain.matches.map((m) => `${m.s}:${m.o}${m.kind[0]}`).join(' ')}`);
    keep(cursor, p.from);
    const paired = pairs[i];
    if (anchor.chain.matches.some((m) => m.kind !== 'text')) definitionAnchors++;
    const last = seg.lines.length - 1;
    const edges = [0, last].filter((s, k) => (k === 0 || s > 0) && paired.has(s) && seg.lines[s].trim() !== '').map((s) => [seg.lines[s], orig.lines[paired.get(s)!]] as [string, string]);
    const wholeFile = p.wholeFile || (!seg.markerBefore && !seg.markerAfter && p.from === 0 && p.to === orig.lines.length - 1);
    const re = reindenter(shared[i], orig.indent, unitMapping, tabsOnly, edges, wholeFile);
    if (unitMapping.alternative) {
      const alt = reindenter(shared[i], orig.indent, unitMapping.alternative, tabsOnly, edges, wholeFile);
      const differs = seg.lines.find((line, s) => !paired.has(s) && line.trim() !== '' && re.apply(line) !== alt.apply(line));
      if (differs !== undefined) {
        // (one of the two readings is the snippet as written; the other re-indents it by units)
        const units = unitMapping.from !== unitMapping.to ? unitMapping : unitMapping.alternative;
        throw new MergeRefusal(
          'ambiguous_anchor',
          `The update nests by ${units.from} columns where the file mostly nests by ${units.to}, and the file uses both: its new line "${differs.trim().slice(0, 80)}" may be indented as written or by the file's unit. ` +
            'Copy the lines around the change with the indentation the file gives them.',
          { kind: 'indent_unit', snippet_unit: units.from, file_unit: units.to },
        );
      }
    }
    // (the line above in the snippet is the file's, a few lines up, written where the file has it:
    // the edit deleted the comment's lines between, not moved its closer)
    const underItsOpener = (s: number, o: number) => {
      const above = s > 0 ? paired.get(s - 1) : undefined;
      return above !== undefined && above < o && re.apply(seg.lines[s - 1]) === orig.lines[above];
    };
    // A line the snippet shows at another depth than the file (relative to the segment's other
    // context) was moved by the edit: it is written as the snippet has it, not kept. Not a line
    // copied byte for byte, at a column no whole number of the file's units, first in its segment
    // or below the line the file has above it: alignment (a block comment's ` * ` under its `/*`)
    // that a re-indented snippet left as the file has it.
    const leftAligned = (s: number, o: number) =>
      unitMapping.from !== unitMapping.to &&
      seg.lines[s] === orig.lines[o] &&
      !nesting([seg.lines[s], orig.lines[o]], orig.indent) &&
      (s === 0 || paired.get(s - 1) === o - 1 || re.apply(seg.lines[s - 1]) === orig.lines[o - 1] || underItsOpener(s, o));
    // A segment whose shared lines mostly moved (re-nested by the edit) while its edge line, next to
    // a marker, sits where the file has it: where its new lines go cannot be told from the majority.
    if (re.edgeDisagrees && !re.verbatim && seg.lines.some((l, s) => !paired.has(s) && !isBlank(l) && re.apply(l) !== l)) {
      throw new MergeRefusal(
        'ambiguous_anchor',
        'The update indents most of the lines it shares with the file differently from the file, but its line next to a marker as the file does: it may have re-nested those lines or be indented otherwise throughout. ' +
          'Copy the lines around the change with the indentation the file gives them.',
        { kind: 'indent_edge_disagrees', segment: i },
      );
    }
    const moved: [number, number][] = [];
    for (const [s, o] of [...paired].sort((x, y) => x[0] - y[0])) {
      if (re.agrees(seg.lines[s], orig.lines[o]) || leftAligned(s, o)) continue;
      paired.delete(s);
      moved.push([s, o]);
    }
    movedUnderKeptOpener(seg.lines, orig.lines, paired, moved, p.from, p.to, re.apply);
    // The rung says how lines matched; a segment whose new lines had to be re-indented says so too.
    rungs.push(anchor.rung !== 'trimmed' && re.verbatim ? anchor.rung : re.verbatim ? 'whitespace' : re.uniform ? 'indent_shift' : 'trimmed');
    const kept = [...paired.entries()].sort((x, y) => x[0] - y[0]);
    closerLeftNew(seg, orig.lines, paired, kept, re.apply, cursor, p.to);
    // A segment that ends on new lines and then a closer (`}`) paired with the closer of a construct
    // that starts among the lines those new lines replace: the closer is the new code's own, and the
    // construct (a method after the edited one) is not the snippet's to delete. Read it as an
    // insertion after the last line the snippet really shows.
    // (blank lines kept after the closer go with it)
    let n = kept.length;
    while (n > 2 && isBlank(seg.lines[kept[n - 1][0]]) && kept[n - 1][0] - kept[n - 2][0] === 1 && kept[n - 1][1] - kept[n - 2][1] === 1) n--;
    // (unless the new lines open with that construct's first line edited, `if (!body.name || ...) {`
    // over its `if (!body.name) {`: they rewrite it, closer and all)
    const closes = (b: number) => {
      if (root === null || p.wholeFile || b < 0 || p.to !== kept[kept.length - 1][1] || kept[n - 1][0] - kept[b][0] <= 1 || !CLOSER.test(seg.lines[kept[n - 1][0]])) return false;
      const start = constructEndingAt(root, kept[b][1] + 1, kept[n - 1][1], orig.lines);
      if (start === null) return false;
      const first = seg.lines.slice(kept[b][0] + 1, kept[n - 1][0]).find((l) => !isBlank(l));
      const [edited, opener] = [first?.trim() ?? '', orig.lines[start].trim()];
      return edited === opener || edited.length < 8 || firstWord(edited) !== firstWord(opener) || !nearEdit(edited, opener);
    };
    // (read from the first new line after the last kept line that says where it is)
    const before = lastTellingBeforeNewCode(seg, orig.lines, kept, paired, n);
    if (n >= 2 && closes(before)) {
      while (kept.length > before + 1) paired.delete(kept.pop()![0]);
      // (a blank line paired on the way goes with it: the new code brought its own)
      while (kept.length > 1 && seg.lines[kept[kept.length - 1][0]].trim() === '') paired.delete(kept.pop()![0]);
      p.to = kept[kept.length - 1][1];
    }
    // The last kept line an annotation (`@Override`) with new lines after it, while the line it
    // annotates in the file comes after the placement (kept by the marker): it is the new code's
    // own annotation, not the file's, which stays with its definition.
    if (!p.wholeFile && seg.markerAfter && kept.length > 1) {
      const [ls, lo] = kept[kept.length - 1];
      if (lo === p.to && ANNOTATION.test(seg.lines[ls]) && ls + 1 < seg.lines.length && !paired.has(ls + 1) && !isBlank(seg.lines[ls + 1])) {
        paired.delete(kept.pop()![0]);
        while (kept.length > 1 && seg.lines[kept[kept.length - 1][0]].trim() === '') paired.delete(kept.pop()![0]);
        p.to = kept[kept.length - 1][1];
      }
    }
    if (!p.wholeFile && seg.markerAfter && kept.length > 0) {
      const limit = nextFrom(placements, i, orig.lines.length);
      const last = lastTelling(seg.lines, kept);
      p.to = rewrappedAfter(seg.lines, orig.lines, paired, last, p.to, limit, re.apply);
      repeatsLineBeyondMarker(seg.lines, orig.lines, freshOf(seg.lines, paired, last + 1, seg.lines.length), p.to, 1, limit);
    }
    if (splitsBlankRun(seg, orig.lines, kept, p.to)) {
      paired.delete(kept.pop()![0]);
      p.to = kept[kept.length - 1][1];
    }
    // Lines the snippet skips between two kept lines it shows side by side: a deletion, unless
    // they are lines models drop by accident (refused). A whole-file snippet too: rewriting a file,
    // models drop its blank lines and comments all the same (blank-lines eval: 4 wrong answers of
    // 17 were whole files). Part of a construct it may delete: its new nesting is its own.
    const meansItsGaps = !p.wholeFile && statesItsOneGap(seg, orig.lines, kept, language);
    for (let k = 1; k < kept.length; k++) {
      if (kept[k][0] - kept[k - 1][0] !== 1) continue;
      if (!meansItsGaps) unstatedDeletion(orig.lines, kept[k - 1][1] + 1, kept[k][1], language, edit);
      if (!p.wholeFile) sameNameInGap(seg.lines, orig.lines, kept[k - 1], kept[k]);
      if (!p.wholeFile) emptiedBlock(root, orig.lines, kept[k - 1][1] + 1, kept[k][1], language);
      const cut = p.wholeFile ? null : cutConstructSliding(root, orig.lines, kept[k - 1][1] + 1, kept[k][1]);
      if (cut) edit.cuts.push({ from: kept[k - 1][1] + 1, to: kept[k][1], ...cut });
    }
    if (!p.wholeFile) {
      deletionReadsElsewhere(seg.lines, index, kept);
      insertionReadsAsWell(seg.lines, index, kept);
    }
    // (between kept lines that say something: a blank line paired on the way says nothing of depth)
    const keptCode = kept.filter(([s]) => !isBlank(seg.lines[s]));
    if (!p.wholeFile) {
      for (let k = 1; k < keptCode.length; k++) {
        replacedAcrossBlocks(seg.lines, orig.lines, keptCode[k - 1], keptCode[k], MARKUP.has(language.id));
        // (only where that common line is all the context before the new lines, right after a marker)
        if (k === 1 && seg.markerBefore && seg.lines.slice(0, keptCode[0][0]).every(isBlank)) siblingReplacedBetweenClosers(seg.lines, orig.lines, keptCode[0], keptCode[1]);
      }
    }
    // New lines at an edge next to a marker sit beside the file's line there; a near-copy of it is
    // no clear insertion.
    if (kept.length > 0 && !p.wholeFile) {
      const [fs, fo] = kept[0];
      // (a run of new lines: the file's line beside it may be what its first line or its last rewrites)
      if (seg.markerBefore && fs > 0 && p.from === fo) {
        for (const s of new Set([fs - 1, 0])) editedEdgeLine(seg.lines, orig.lines, [s, fo - 1], -1);
        // (and the run's first line beside the start of the statement above, over a few lines: a
        // call re-wrapped, `task = Task(` over the file's `task = Task(title=..., done=...,`)
        for (let j = 1; j <= EDGE_RUN && fo - 1 - j >= cursor && !isBlank(orig.lines[fo - j]); j++) {
          const statement = orig.lines.slice(fo - 1 - j, fo);
          if (netOpens([statement[0]]) > 0 && netOpens(statement) === 0) editedEdgeLine(seg.lines, orig.lines, [0, fo - 1 - j], -1);
        }
      }
      const [ls, lo] = kept[kept.length - 1];
      const end = seg.lines.length - 1;
      // (past the file's lines the placement already rewrites after the last kept one: a
      // `COPY --from=web-build` line edited, then `COPY --chown=app:app app/ ./app` over `COPY app/ ./app`)
      const first = ls + 1 + (p.to - lo);
      if (seg.markerAfter && first <= end && p.to >= lo) {
        for (const s of new Set([first, end])) editedEdgeLine(seg.lines, orig.lines, [s, p.to + 1], 1);
        // (and each of the run's lines beside the file's line as far on: the run may rewrite the
        // file's first lines there one for one, `dispatch(request)` as `dispatch(request, timeout=30)`)
        for (let j = 1; first + j <= end && j <= EDGE_RUN; j++) editedEdgeLine(seg.lines, orig.lines, [first + j, p.to + 1 + j], 1);
        chainGoesOnPastMarker(seg.lines.slice(first, end + 1), orig.lines, p.to + 1);
      }
      // Kept lines that say nothing of where they are (` *`, `}`) at the edge, then a new line: that
      // line stands beside the file's line past them just the same (` * Version 2.14.2` after a kept
      // ` *`, below the file's ` * Version 2.14.1`, when the snippet dropped the line above).
      const trivial = (k: number) => isTrivial(seg.lines[kept[k][0]]);
      const together = (k: number, j: number) => kept[j][0] - kept[k][0] === j - k && kept[j][1] - kept[k][1] === j - k;
      if (seg.markerBefore && fs === 0 && p.from === fo && trivial(0)) {
        let t = 0;
        while (t + 1 < kept.length && together(t, t + 1) && trivial(t + 1)) t++;
        const next = kept[t][0] + 1;
        if (next < seg.lines.length && !paired.has(next)) editedEdgeLine(seg.lines, orig.lines, [next, fo - 1], -1);
      }
      const z = kept.length - 1;
      if (seg.markerAfter && ls === seg.lines.length - 1 && p.to === lo && trivial(z)) {
        let u = z;
        while (u > 0 && together(u - 1, u) && trivial(u - 1)) u--;
        const prev = kept[u][0] - 1;
        if (prev >= 0 && !paired.has(prev)) editedEdgeLine(seg.lines, orig.lines, [prev, lo + 1], 1);
      }
    }
    if (!p.wholeFile) repeatedBesideKept(seg.lines, orig.lines, paired);
    if (language.id === 'python' && kept.length > 0) blockGoesOnPastMarker(seg, orig.lines, kept[kept.length - 1], p.to, paired);
    // (a snippet without markers: its ends are the file's, or a fragment's)
    if (!p.wholeFile && segments.length === 1 && !seg.markerBefore && !seg.markerAfter && kept.length > 0) {
      // (the file's lines as far beyond as the snippet's new ones reach, and a few more)
      const head = seg.lines.slice(0, kept[0][0]);
      const tail = seg.lines.slice(kept[kept.length - 1][0] + 1);
      if (p.from > 0) rewritesBeyondFragment(head, orig.lines.slice(Math.max(0, p.from - head.length - 3), p.from), -1);
      if (p.to < orig.lines.length - 1) rewritesBeyondFragment(tail, orig.lines.slice(p.to + 1, p.to + 1 + tail.length + 3), 1);
    }
    for (let k = 1; k < kept.length && !p.wholeFile; k++) {
      slidingReplacement(seg.lines, orig.lines, kept[k - 1], kept[k], language, edit);
      blankSlidOver(seg.lines, orig.lines, kept[k - 1], kept[k]);
      if (!meansItsGaps) droppedLeadingComment(seg.lines, orig.lines, kept[k - 1], kept[k], language, edit);
      if (!meansItsGaps) droppedTrailingComment(seg.lines, orig.lines, kept[k - 1], kept[k], language, edit);
      if (!meansItsGaps) droppedCommentOfReplaced(seg.lines, orig.lines, kept[k - 1], kept[k], language, edit);
      if (!meansItsGaps) droppedBesideRewordedComment(seg.lines, orig.lines, kept[k - 1], kept[k], language, edit);
      // Where the snippet replaces lines, the ones it merely edited (a URL, a word) stand in for
      // kept lines: blank or comment lines skipped beside them are the same unstated deletion.
      const edited = pairEditedLines(seg.lines, orig.lines, kept[k - 1][0] + 1, kept[k][0], kept[k - 1][1] + 1, kept[k][1]);
      const steps = [kept[k - 1], ...edited, kept[k]];
      for (let j = 1; j < steps.length && edited.length > 0; j++) {
        if (steps[j][0] - steps[j - 1][0] === 1) unstatedDeletion(orig.lines, steps[j - 1][1] + 1, steps[j][1], language, edit);
      }
    }
    // A segment that opens on new code after blank lines the snippet wrote (trimmed for anchoring)
    // keeps them between the file's code and its own (a method added after another; two in Python).
    const separation = seg.blankBefore && !paired.has(0) ? seg.blankBefore : separatesLikeItsNeighbour(seg, orig.lines, kept, p.from) ? 1 : 0;
    if (separation > 0 && lines.length > 0 && lines[lines.length - 1].trim() !== '') for (let k = 0; k < separation; k++) addRow('');
    seg.lines.forEach((line, s) => {
      const o = paired.get(s);
      if (o !== undefined) {
        shown.add(lines.length);
        keep(o, o + 1);
      } else {
        addRow(re.apply(line));
        realignContinuation(lines, lines.length - 1, indentColumns(line), () => (fileAligns ??= alignsContinuations(orig.lines)));
        if (language.id === 'objc') realignSelector(lines, lines.length - 1, indentColumns(line), () => (fileAlignsSelectors ??= alignsSelectors(orig.lines)));
      }
    });
    if (seg.blankAfter && !paired.has(seg.lines.length - 1) && p.to + 1 < orig.lines.length && orig.lines[p.to + 1].trim() !== '') addRow('');
    insertionElsewhere(seg, orig.lines, index, paired, p.from, p.to, anchor.chain.matches.map((m) => m.s));
    if (!p.wholeFile) {
      const ordered = [...paired.entries()].sort((x, y) => x[0] - y[0]);
      if (seg.markerAfter) newBlockOrRewrite(seg.lines, orig.lines, ordered, index, 1);
      // (a marker after that keeps nothing, the next placement right past this one, gives the rewrite
      // reading no room: it stood for what the insertion reading keeps)
      if (seg.markerAfter) siblingOrRewrite(seg.lines, orig.lines, ordered, index, language, nonBlankIn(orig.lines, p.to + 1, nextFrom(placements, i, orig.lines.length)) === 0);
      if (seg.markerBefore) newBlockOrRewrite(seg.lines, orig.lines, ordered, index, -1);
      if (seg.markerBefore) siblingOrRewriteBefore(seg.lines, orig.lines, ordered, index, language);
    }
    describeEdit(edit, seg.lines, paired, p.from, p.to);
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
  commentsGoWithEdit(orig.lines, edit, language);
  blanksGoWithEdit(edit);
  skippedBesideEdit(orig.lines, edit, language);
  return { content: joinText(orig, lines, eols), lines, added, shown, rungs, definitionAnchors, linesAdded, linesDeleted: edit.deleted.size, largestGap, deleted: edit.deleted, sources };
}

/**
 * A segment that ends on new lines after a blank line it shares with the file, where the file's
 * blank run goes on (two blank lines before the next top-level `def`): that blank is the new code's
 * separator from the code above, not the first of the run, which stays whole after the new code
 * (else a method added at the end of a class leaves one blank line before the next `def`).
 * `kept`: the segment's kept lines as [snippet line, original line]; `to`: the last original line it spans.
 */
function splitsBlankRun(seg: Segment, original: string[], kept: [number, number][], to: number): boolean {
  const n = kept.length;
  if (!seg.markerAfter || n < 2) return false;
  const [s, o] = kept[n - 1];
  return to === o && s < seg.lines.length - 1 && seg.lines[s].trim() === '' && original[o + 1]?.trim() === '' && kept[n - 2][1] === o - 1;
}

/**
 * A segment that opens on new code right after a marker and goes on to a blank line and the file's
 * next sibling at the new code's depth (`// ... existing code ...`, `func added() {...}`, blank,
 * `func main() {`): the snippet separates its new definition from the one after it, and the file's
 * line before it (the previous definition's `}`) deserves the same blank line. Without it the new
 * code would be glued to the code above.
 */
function separatesLikeItsNeighbour(seg: Segment, original: string[], kept: [number, number][], from: number): boolean {
  if (!seg.markerBefore || kept.length < 2) return false;
  const [[s0, o0], [s1, o1]] = kept;
  if (from === 0 || s0 === 0 || o0 !== from || original[o0].trim() !== '' || s1 !== s0 + 1 || o1 !== o0 + 1) return false;
  const first = seg.lines[0];
  const above = original[from - 1];
  return first.trim() !== '' && indentColumns(first) === indentColumns(original[o1]) && above.trim() !== '' && indentColumns(above) <= indentColumns(first);
}

/**
 * New lines that replace blank or comment lines, where the new run ends on a copy of the kept line
 * before it (new doc comments, the last one's opener left open, over the file's opener, ` * View`
 * and closer) or starts on a copy of the kept line after it: paired the other way, the new lines go in beside the kept line and the
 * file's lines are skipped silently between two kept ones. The pairing cannot say which; the
 * skipped reading is an unstated deletion (unstatedDeletion decides), and so is this one.
 * `prev`, `next`: consecutive kept lines as [snippet line, original line].
 */
function slidingReplacement(seg: string[], original: string[], [sa, oa]: [number, number], [sb, ob]: [number, number], lang: Language, edit: EditShape): void {
  if (sb - sa < 2 || ob - oa < 2) return;
  const gap = original.slice(oa + 1, ob);
  if (!gap.every((l) => isBlank(l) || isCommentLine(l, lang))) return;
  const same = (x: number, y: number) => seg[x].trim() !== '' && seg[x].trim() === seg[y].trim();
  if (same(sb - 1, sa) || same(sa + 1, sb)) unstatedDeletion(original, oa + 1, ob, lang, edit);
}

/**
 * New lines between a kept line and the kept blank line after it, where the first new line repeats
 * the file's line after that blank (a doc comment's opener, inserted above the next one): the new
 * block may go after the blank with one of its own (the file's blank dropped from the snippet's
 * context, as models drop them), or before it with none. The blank lines cannot say; refused.
 * `prev`, `next`: consecutive kept lines as [snippet line, original line].
 */
function blankSlidOver(seg: string[], original: string[], [sa, oa]: [number, number], [sb, ob]: [number, number]): void {
  if (ob !== oa + 1 || sb - sa < 2) return;
  // (an insertion that starts with the file's next lines reads the same moved down past them: the
  // new method's `return this;` and `};` over the file's own; judged where it stops)
  const run = seg.slice(sa + 1, sb);
  let p = 0;
  while (p < run.length && ob + p < original.length && run[p].trim() === original[ob + p].trim()) p++;
  if (p === run.length) return;
  const [a, blank] = [ob + p - 1, ob + p];
  if (isBlank(original[blank] ?? 'x') && !isBlank(original[a]) && run[p].trim() !== '' && run[p].trim() === original[blank + 1]?.trim()) refuseSlid(a, blank);
  // The mirror image: new lines above a kept line, after the kept blank before it, ending like the
  // line before that blank (a method's closer): after the blank with none below, or before it.
  let q = 0;
  while (q < run.length && oa - q >= 0 && run[run.length - 1 - q].trim() === original[oa - q].trim()) q++;
  if (q === run.length) return;
  const [b, above] = [oa - q + 1, oa - q];
  const last = run[run.length - 1 - q].trim();
  // (not above a closer: a member added last in its class goes after the file's blank, with none below)
  if (above > 0 && isBlank(original[above]) && b < original.length && !isBlank(original[b]) && !CLOSES.test(original[b]) && last !== '' && last === original[above - 1].trim()) refuseSlid(b, above);
}


function refuseSlid(a: number, blank: number): never {
  throw new MergeRefusal(
    'ambiguous_anchor',
    `The update's new lines stand next to line ${a + 1} of the file with no blank line between, where the file has one (line ${blank + 1}), and they start or end like the line beyond it: they may go on either side of the blank line. ` +
      'Include the blank line as it should stand.',
    { line: blank + 1 },
  );
}

/**
 * A segment with nothing in common with the file, after a marker at the snippet's end, goes at the
 * file's end (or the end of the block the snippet opened). Where one of its lines calls what the last statement there calls, with other
 * arguments (`app.listen(process.env.PORT || 3000);` below `app.listen(3000);`), or widens it
 * (`export { a, b, c };` below `export { a, b };`) or grows it (`#endif  // UTIL_H` below `#endif`),
 * it may be that statement edited rather than one more: refused. `from`: the first line the segment
 * may follow; `to`: the line it goes before.
 */
function callEditedAtEnd(seg: string[], original: string[], from: number, to: number): void {
  let last = to - 1;
  while (last >= from && isBlank(original[last])) last--;
  if (last < from) return;
  const callee = (line: string) => line.trim().match(/^((?:await\s+)?[\w$.]+)\(.*\);?$/)?.[1];
  const theirs = callee(original[last]) ?? firstWord(original[last]);
  if (!theirs) return;
  const end = original[last].trim();
  // (or grows it: `#endif /* UTIL_H */` below the file's `#endif`)
  const grows = (l: string) => l.trim() !== end && firstWord(l) === firstWord(end) && grownLine(l.trim(), end);
  const line = seg.find((l) => (callee(l) === theirs && l.trim() !== end) || widens(l, original[last]) || grows(l));
  if (line !== undefined) {
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's line "${line.trim().slice(0, 80)}" goes after a marker at the end of the code it follows, whose last line ${last + 1} ("${original[last].trim().slice(0, 80)}") it reads like: it may replace that line or follow it. ` +
        'Include the line before it as it stands in the file.',
      { line: last + 1 },
    );
  }
}

/** Adds one placed segment to `edit`: the original lines it deletes, where its new lines go, and the stretches it skips silently. */
function describeEdit(edit: EditShape, seg: string[], paired: Map<number, number>, from: number, to: number): void {
  const used = new Set(paired.values());
  for (let o = from; o <= to; o++) if (!used.has(o)) edit.deleted.add(o);
  let before = from - 1;
  // (a blank line amid a run of lines the snippet copies as the file has them: new lines that
  // happen to match the file's do not make such a run)
  const inRun = (s: number, o: number) => [-3, -2, -1, 1, 2, 3].every((d) => paired.get(s + d) === o + d) && !isBlank(seg[s - 1]) && !isBlank(seg[s + 1]);
  seg.forEach((line, s) => {
    const o = paired.get(s);
    if (o !== undefined && isBlank(line) && inRun(s, o)) edit.faithfulBlanks++;
    if (o !== undefined) {
      const next = o;
      if (s > 0 && paired.has(s - 1) && next - before > 1) edit.silent.push([before + 1, next]);
      before = next;
    } else {
      edit.insertedAt.push(before + 0.5);
      edit.added.push(line);
    }
  });
}

/**
 * Next to a marker, the snippet's lines that go on reading the file line for line past the last
 * (before the first) kept line are kept too: a `};` after the last line a segment anchored on is the
 * file's own `};`, not a second one. Stops at the first line that differs, or at the neighbouring
 * segments' placements (`bounds`: [first line free, line after the last free]). `paired` is
 * extended in place; returns the placement's range grown.
 */
function extendAtMarkers(seg: Segment, original: string[], paired: Map<number, number>, from: number, to: number, [floor, ceiling]: [number, number], language: Language): { from: number; to: number } {
  const kept = [...paired.entries()].sort((x, y) => x[0] - y[0]);
  if (kept.length === 0) return { from, to };
  const same = (s: number, o: number) => seg.lines[s].trim() === original[o].trim();
  // (a snippet without markers leaves out what lies beyond its ends as a marker would, but its
  // lines past the last kept one are its own: only a blank line there is the file's)
  const fragment = !seg.markerBefore && !seg.markerAfter;
  const sameAtEnd = (s: number, o: number) => same(s, o) && (!fragment || isBlank(seg.lines[s]));
  // (blank lines with new lines past them, before a marker, are theirs, separating them from the
  // kept ones: the file's blank then separates them from what follows, `}`, blank, new method,
  // blank, next method)
  const ownBlank = (s: number, o: number): boolean => {
    if (!isBlank(seg.lines[s])) return false;
    while (s < seg.lines.length && o < original.length && isBlank(seg.lines[s]) && isBlank(original[o])) [s, o] = [s + 1, o + 1];
    if (s >= seg.lines.length) return false;
    // (a line that reads like the file's there edits it: the blank before it is the file's; a
    // fragment's new lines may end on such an edit further on, `module.exports` grown)
    const edits = (k: number, q: number) => q < original.length && (same(k, q) || nearEdit(seg.lines[k].trim(), original[q].trim()));
    if (!fragment) return !edits(s, o);
    const next = nonBlankRows(original.slice(o, o + 6)).slice(0, 3).map((r) => o + r);
    return !seg.lines.slice(s).some((l, k) => !isTrivial(l) && next.some((q) => edits(s + k, q)));
  };
  if (seg.markerAfter || fragment) {
    let [s, o] = kept[kept.length - 1];
    while (o === to && s + 1 < seg.lines.length && o + 1 < ceiling && sameAtEnd(s + 1, o + 1) && !ownBlank(s + 1, o + 1)) paired.set(++s, (to = ++o));
  }
  if (seg.markerBefore || fragment) {
    let [s, o] = kept[0];
    // (a closer the snippet's new lines above it leave a block open for is theirs, not the file's)
    while (o === from && s > 0 && o - 1 >= floor && sameAtEnd(s - 1, o - 1) && !closesOwnBlock(seg.lines, s - 1)) paired.set(--s, (from = --o));
  }
  // A new line between the kept ones and the marker that sets what the file's line past them sets
  // (`var theme = "dark"` below `struct Settings {`, over the file's `var theme = "light"`), at the
  // same depth, is that line edited: it replaces it. (Beside it, the name would be set twice.)
  // (a `return` beside the file's `return` too: one of the two would never run)
  // (or declares the same member: `pub port: NonZeroU16,` over `pub port: u16,`, a variant's payload retyped)
  const subject = (line: string) => nameSetBy(line, language.id) ?? memberOf(line) ?? line.trim().match(/^(?:return|throw|raise)\b/)?.[0] ?? null;
  const setsSame = (s: number, o: number) => {
    const what = subject(seg.lines[s]);
    const usedElsewhere = (name: string) => original.some((line, r) => r !== o && usesName(line, name));
    // (a list's last item given its comma for a new one after it, `dist` made `dist,`, is that item)
    const commaOnly = seg.lines[s].trim().replace(/,$/, '') === original[o].trim().replace(/,$/, '') && !isBlank(original[o]);
    const alike = (what !== null && subject(original[o]) === what) || sameImport(seg.lines[s], original[o], language, usedElsewhere) || editedLine(seg.lines[s], original[o]) || commaOnly;
    return alike && !same(s, o) && indentColumns(seg.lines[s]) - indentColumns(original[o]) === shiftAt(seg, original, paired);
  };
  // (so are several, each over the file's line at its place: `hits_` and `misses_` retyped; new
  // lines after them are added: `- LOG_LEVEL=debug` over `- LOG_LEVEL=info`, then `- CONCURRENCY=4`)
  const now = [...paired.entries()].sort((x, y) => x[0] - y[0]);
  if (seg.markerAfter || fragment) {
    const [s, o] = now[now.length - 1];
    let j = 0;
    while (o === to && s + 1 + j < seg.lines.length && o + 1 + j < ceiling && setsSame(s + 1 + j, o + 1 + j)) j++;
    to += j;
  }
  if (seg.markerBefore || fragment) {
    const [s, o] = now[0];
    let j = 0;
    // (not a line inside a construct the new lines above it open: `return ...` in a method added before the file's)
    const underNewOpener = (k: number) => seg.lines.slice(0, k).some((l) => !isBlank(l) && indentColumns(l) < indentColumns(seg.lines[k]));
    while (o === from && s - 1 - j >= 0 && o - 1 - j >= floor && setsSame(s - 1 - j, o - 1 - j) && !underNewOpener(s - 1 - j)) j++;
    from -= j;
  }
  return { from, to };
}

/**
 * The file's line with a piece added at one end or within it (`if (attempts <= 1 || !isRetryable(err))
 * throw err;` over `if (attempts <= 1) throw err;`; measured: the eval's two such cases, both noisy,
 * meant the edit), or a block opener edited a little (`with open(path, newline="",
 * encoding=encoding) as fh:` over `with open(path, newline="") as fh:`, where the copy beside it
 * would open a block with nothing in it): that line edited.
 */
function editedLine(a: string, b: string): boolean {
  const opens = (l: string) => /(?:[{:]|\bdo(?:\s*\|[^|]*\|)?|\bthen)$/.test(l.trim());
  if (firstWord(a) !== firstWord(b)) return false;
  if (a.trim().length >= 12 && grownLine(a.trim(), b.trim())) return true;
  return opens(a) && opens(b) && nearEdit(a.trim(), b.trim());
}

/** How much deeper the snippet indents its kept lines than the file does (the first kept line's). */
function shiftAt(seg: Segment, original: string[], paired: Map<number, number>): number {
  for (const [s, o] of paired) if (seg.lines[s].trim() !== '') return indentColumns(seg.lines[s]) - indentColumns(original[o]);
  return 0;
}

/**
 * Python: a segment that ends on a new line deeper than the marker after it, where the file's line
 * past the placement is also deeper than that marker and says the same kind of thing (`return
 * default` shown, the file's `return 0.0` next): the new line may replace it (the block closed where
 * the marker is) or go before it (the marker standing for the rest of the block, as snippets often
 * write it). Refused. `last`: the last kept [snippet line, original line].
 */
function blockGoesOnPastMarker(seg: Segment, original: string[], [ls, lo]: [number, number], to: number, paired: Map<number, number>): void {
  if (seg.markerAfterLine === undefined) return;
  let s = seg.lines.length - 1;
  while (s > 0 && seg.lines[s].trim() === '') s--;
  if (paired.has(s) || s <= ls) return;
  const lastLine = seg.lines[s];
  const marker = indentColumns(seg.markerAfterLine);
  if (marker >= indentColumns(lastLine)) return;
  const next = original.slice(to + 1).find((l) => l.trim() !== '');
  // (the marker's column in the file's frame, by the last kept line)
  const shift = indentColumns(original[lo]) - indentColumns(seg.lines[ls]);
  if (next === undefined || indentColumns(next) <= marker + shift || firstWord(next) !== firstWord(lastLine)) return;
  throw new MergeRefusal(
    'ambiguous_anchor',
    `The update ends on "${lastLine.trim().slice(0, 60)}", deeper than its marker, and the file goes on past line ${to + 1} with "${next.trim().slice(0, 60)}" in the same block: the new line may replace it or go before it. ` +
      'Show the line after it as it should read, or indent the marker into the block to keep the rest.',
    { line: to + 2 },
  );
}

/** A line that opens a block at its end: `{`, or Python's `:`. */
const OPENS_BLOCK = /(?:\{|:)\s*(?:\/\/.*|#.*)?$/;

/**
 * After a marker, a new line that opens a block right above the first kept line, where the file's
 * line just above that kept line opens a block at the same depth relative to it: the new line is
 * that header rewritten (a signature changed, a function renamed), so the placement takes the old
 * header in, to be replaced. (Kept beside it, the file would hold both headers, one with no body.)
 * Returns the placement's start.
 */
function replacedHeader(seg: Segment, original: string[], paired: Map<number, number>, from: number, floor: number): number {
  if (!seg.markerBefore || paired.size === 0) return from;
  const [fs, fo] = [...paired.entries()].reduce((a, b) => (b[0] < a[0] ? b : a));
  if (fs === 0 || fo !== from || fo - 1 < floor || paired.has(fs - 1)) return from;
  const [fresh, old] = [seg.lines[fs - 1], original[fo - 1]];
  if (!OPENS_BLOCK.test(fresh) || !OPENS_BLOCK.test(old) || fresh.trim() === '' || old.trim() === '') return from;
  const depth = (header: string, body: string) => indentColumns(body) - indentColumns(header);
  return depth(fresh, seg.lines[fs]) === depth(old, original[fo]) && depth(old, original[fo]) > 0 ? fo - 1 : from;
}

/**
 * After a marker, new lines that are only a block comment (a doc comment; blank lines before it
 * aside) right above the segment's first anchored line (kept, or the definition it rewrites), where
 * the file has a block comment right above that line too: the snippet shows the
 * definition with its new doc comment, which replaces the file's (kept beside it, the definition
 * would carry both). The placement takes the file's comment in. Returns the placement's start.
 */
function replacedDocComment(seg: Segment, original: string[], first: { s: number; o: number } | undefined, from: number, floor: number, lang: Language): number {
  if (!seg.markerBefore || first === undefined || first.s === 0 || first.o !== from) return from;
  const fresh = seg.lines.slice(0, first.s);
  const firstCode = fresh.findIndex((l) => !isBlank(l));
  if (firstCode < 0 || !fresh.slice(firstCode).every((l) => isCommentLine(l, lang))) return from;
  // (whole block comments on both sides, opened and closed: a run of `//` lines may be the end of a
  // longer comment, cut by the marker)
  const whole = (ls: string[]) => ls.length > 0 && /^\s*\/\*/.test(ls[0]) && /\*\/\s*$/.test(ls[ls.length - 1]);
  if (!whole(fresh.slice(firstCode))) return from;
  let k = from;
  while (k - 1 >= floor && isCommentLine(original[k - 1], lang)) k--;
  const old = original.slice(k, from);
  if (!whole(old)) return from;
  // (a comment of the file's tidied, `// foo` as `// Foo.`, is the file's, copied: pairRewordedComments)
  const words = new Set(old.map((l) => commentWords(l, lang)));
  return fresh.some((l) => words.has(commentWords(l, lang)) || old.some((o) => likeness(l, o) >= 0.75)) ? from : k;
}

/** New lines a rewritten comment block must have, beyond the file's, for it to read as rewritten, not drifted. */
const REWRITTEN_COMMENT_LINES = 2;

/**
 * After a marker and a blank line, a comment block right above the segment's first code line (kept,
 * or the definition it rewrites), where the file has a comment block (set off by a blank or code
 * line) right above that line too,
 * and the snippet's shares some lines with the file's (`///`, `- Returns:`) but brings two or more
 * new ones: the snippet rewrote the doc comment, whole (it starts after a blank line, so the marker
 * cut none of it). Its lines replace the file's block; the few it shares are not context that
 * splits it (kept, they would leave the old block's head above the new one). A comment that differs
 * by one line dropped or reworded is a model's drift, for the comment checks to judge.
 */
function rewrittenLeadingComment(seg: Segment, original: string[], paired: Map<number, number>, chain: { s: number; o: number }[], from: number, floor: number, lang: Language): number {
  if (!seg.markerBefore) return from;
  let a = 0;
  while (a < seg.lines.length && isBlank(seg.lines[a])) a++;
  if (a === 0 && !seg.blankBefore) return from;
  let d = a;
  while (d < seg.lines.length && isCommentLine(seg.lines[d], lang)) d++;
  // (the code line kept, or the definition it rewrites, paired by name)
  const od = paired.get(d) ?? chain.find((m) => m.s === d)?.o;
  if (d === a || od === undefined || isBlank(seg.lines[d])) return from;
  let k = od;
  while (k - 1 >= floor && isCommentLine(original[k - 1], lang)) k--;
  if (k === od || k - 1 < floor || (k - 1 >= 0 && !isBlank(original[k - 1]) && isCommentLine(original[k - 1], lang))) return from;
  if (k < from && [...paired.values()].some((o) => o >= from && o < k)) return from;
  const fresh = seg.lines.slice(a, d);
  const old = original.slice(k, od);
  const inOld = new Set(old.map((l) => l.trim()));
  const inFresh = new Set(fresh.map((l) => l.trim()));
  const added = fresh.filter((l) => !inOld.has(l.trim()) && !old.some((o) => likeness(l, o) >= 0.75)).length;
  const shared = fresh.filter((l) => inOld.has(l.trim())).length;
  if (added < REWRITTEN_COMMENT_LINES || shared === 0 || old.every((l) => inFresh.has(l.trim()))) return from;
  for (let s = a; s < d; s++) paired.delete(s);
  return Math.min(from, k);
}

/**
 * A first segment that shares no line with the file goes at its top; but where one of its lines is
 * an import of the file's edited (`import React, { useState, useMemo }` over the file's `import
 * React, { useState }`), or sets a name the file sets at the same depth (`#define BUF_SIZE 4096`
 * over the file's `#define BUF_SIZE 256`, `MAX_RETRIES = 5`), the snippet rewrites that line, and
 * adding it above would bind the name twice. So where one reads like one of the file's first lines
 * edited (a module docstring reworded, `#!/usr/bin/env bash` over `#!/bin/sh`, `set -euo pipefail`
 * over `set -e`): above them, the file would say it twice. With no unchanged line beside it to say
 * where it stands: refused.
 */
function editedAtTop(seg: string[], original: string[], lang: Language): void {
  const refuse = (line: string, o: number, what: string): never => {
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's line "${line.trim().slice(0, 80)}" edits the file's ${what} on line ${o + 1}, but it starts the update with no line of the file beside it: it may replace that line or be added above it. ` +
        'Start the update with a marker, or show the lines around it as they stand in the file.',
      { line: o + 1 },
    );
  };
  const head = original.map((l, o) => [l.trim(), o] as const).filter(([l]) => l !== '').slice(0, seg.filter((l) => !isBlank(l)).length + 2);
  const imports = /^(?:import|from|#\s*include|using|require|use)\b/;
  const rewords = (a: string, b: string) =>
    a !== b && ((a.startsWith('#!') && b.startsWith('#!')) || (!imports.test(a) && !imports.test(b) && (nearEdit(a, b) || wordsGrown(a, b))));
  for (const line of seg) {
    const top = head.find(([l]) => rewords(line.trim(), l));
    if (top) refuse(line, top[1], 'line');
    const name = nameSetBy(line, lang.id);
    for (let o = 0; o < original.length; o++) {
      // (the same names copied with other quotes are the file's line, for the check to judge)
      if (widenedImport(line, original[o], lang)) refuse(line, o, 'import');
      if (name !== null && nameSetBy(original[o], lang.id) === name && leadingLength(original[o]) === leadingLength(line)) refuse(line, o, `"${name}"`);
    }
  }
}

/**
 * The last kept snippet line that says something: a closer kept after new lines may be theirs,
 * paired where the file's reads the same.
 */
const lastTelling = (seg: string[], kept: [number, number][]) => [...kept].reverse().find(([s]) => !isTrivial(seg[s]))?.[0] ?? kept[kept.length - 1][0];

/**
 * After a marker, new annotation lines right above the first kept line (a field, a method's
 * header), where the file has annotations right above that line too, one of them of the same name
 * (`@Column(name = "description", columnDefinition = "TEXT")` over the file's `@Column(name =
 * "description", length = 2000)`): the snippet shows the member's annotations as they are to be,
 * and the placement takes the file's in. (With no name in common they may be added to the file's:
 * left as an insertion.) Returns the placement's start.
 */
function rewrittenAnnotations(seg: string[], original: string[], paired: Map<number, number>, from: number, floor: number): number {
  const first = Math.min(...paired.keys());
  const fo = paired.get(first);
  if (fo === undefined || first === 0 || from > fo) return from;
  const fresh = seg.slice(0, first).filter((l) => !isBlank(l));
  if (fresh.length === 0 || !fresh.every((l) => ANNOTATION.test(l))) return from;
  // (the file's annotations right above the kept line, some of them perhaps taken in already as
  // edited, from the first the snippet names: `@Test` above a rewritten `@DisplayName` stays)
  const name = (l: string) => /^\s*[@[#]\[?([\w.]+)/.exec(l)?.[1];
  const ours = new Set(fresh.map(name));
  let run = fo;
  while (run - 1 >= floor && ANNOTATION.test(original[run - 1])) run--;
  const top = original.slice(run, fo).findIndex((l) => ours.has(name(l)));
  return top >= 0 && run + top < from ? run + top : from;
}

/** The first kept snippet line that says something. */
const firstTelling = (seg: string[], paired: Map<number, number>) => [...paired.keys()].filter((s) => !isTrivial(seg[s])).sort((x, y) => x - y)[0] as number | undefined;

/** The new (unpaired, non-blank) snippet lines in [from, to). */
const freshOf = (seg: string[], paired: Map<number, number>, from: number, to: number) => seg.map((l, s) => s).filter((s) => s >= from && s < to && !paired.has(s) && !isBlank(seg[s]));

/** A definition's header: a keyword that defines, or a signature opening a body (not a control statement). */
const DEFINES = /^\s*(?:[\w@]+\s+)*(?:def|fn|func|function|fun|sub|class|module|struct|impl|interface|enum|trait|object)\b|^\s*(?!(?:if|for|foreach|while|switch|catch|using|lock|try|else|do|with|synchronized|return)\b)[\w<>[\],.?*&:\s]+\([^;]*\)\s*(?:[\w\s,]*)\{?\s*$/;

/** How many of the file's lines past a placement a new line may not repeat (repeatsLineBeyondMarker). */
const BEYOND = 3;

/**
 * A new line that repeats one of the file's few lines just past the placement, which the marker
 * there keeps (`item.reserved -= qty;` shown below `item.on_hand -= qty;`, the file's copy right
 * above them; a statement wrapped in a new `using` block, the file's lines above kept): the snippet
 * moved that line, or wrapped lines in a way the merge could not follow, or adds a second copy.
 * Kept twice, it would run twice. Refused. `edge`: the placement's first (last) row, `step`: -1
 * (+1) to look before (after) it, no further than `bound`.
 */
function repeatsLineBeyondMarker(seg: string[], original: string[], fresh: number[], edge: number, step: 1 | -1, bound: number): void {
  // (lines of a new definition may well repeat its neighbour's: `self` ending a Ruby method, a
  // handler's `return jsonify(...), 404`, the `@Override` above a new method)
  const inNewDefinition = (s: number) => {
    let depth = indentColumns(seg[s]);
    for (let k = s - 1; k >= 0; k--) {
      if (!fresh.includes(k) || indentColumns(seg[k]) >= depth) continue;
      if (DEFINES.test(seg[k])) return true;
      depth = indentColumns(seg[k]);
    }
    return false;
  };
  const theirs = new Set(fresh.filter((s) => !isTrivial(seg[s]) && !ANNOTATION.test(seg[s]) && !inNewDefinition(s)).map((s) => seg[s].trim()));
  if (theirs.size === 0) return;
  let seen = 0;
  for (let r = edge + step; seen < BEYOND && (step === 1 ? r < bound : r >= bound) && r >= 0 && r < original.length; r += step) {
    if (isBlank(original[r])) continue;
    seen++;
    if (!theirs.has(original[r].trim())) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's new line "${original[r].trim().slice(0, 80)}" repeats line ${r + 1} of the file, right ${step === 1 ? 'below' : 'above'} where it goes, which the marker there keeps: the update may move that line or add a second copy. ` +
        'Show that line where it is now (or leave it out of the new lines), with the marker beyond it.',
      { line: r + 1, kind: 'repeats_kept_line' },
    );
  }
}

/**
 * After a marker, a new line between the segment's kept lines, not inside a block a new line opens
 * (the kept line above it at its depth or shallower), that is exactly the file's first line right
 * above the placement, which the marker keeps (`item.reserved -= qty;` shown below `item.on_hand
 * -= qty;`, the file's order the other way): the snippet moved it, and kept there too it would run
 * twice. Refused.
 */
function movedFromAbove(seg: string[], original: string[], paired: Map<number, number>, first: number, from: number, floor: number): void {
  let r = from - 1;
  while (r >= floor && isBlank(original[r])) r--;
  // (a statement beside the placement's first line, at its depth: not the last line of the block before)
  // (and a line the file has once: a repeated one, `Divider()` between look-alike rows, may well be added again)
  if (r < floor || isTrivial(original[r]) || indentColumns(original[r]) !== indentColumns(original[from])) return;
  if (original.filter((l) => l === original[r]).length > 1) return;
  for (let s = first + 1; s < seg.length; s++) {
    if (paired.has(s) || seg[s] !== original[r]) continue;
    let k = s - 1;
    while (k >= 0 && isBlank(seg[k])) k--;
    if (k < 0 || !paired.has(k) || indentColumns(seg[k]) > indentColumns(seg[s])) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's new line "${seg[s].trim().slice(0, 80)}" is line ${r + 1} of the file, right above where the update goes, which the marker there keeps: the update may move that line or add a second copy. ` +
        'Show that line where it is now, or the lines around it as they are to be.',
      { line: r + 1, kind: 'moved_from_above' },
    );
  }
}

/** A line that opens a block around the lines under it: `{`, `:`, `do`, `then`, or Ruby's `unless x` / `begin`. */
const OPENS_WRAPPER = /(?:[{:]|\bdo(?:\s*\|[^|]*\|)?|\bthen)\s*$|^\s*(?:if|unless|while|until|begin|try|with|for|else)\b/;

/**
 * New lines of a segment after its last telling kept line (`ls`) that repeat the file's lines right
 * after the placement, in order, nested deeper (`LOG.info(...)` wrapped in a new `if
 * (!rows.isEmpty()) {`, the marker after standing for the rest): those lines moved into the new
 * code. Kept by the marker as well, they would run twice. Returns the placement's end, taking them
 * in. `reindent`: a snippet line in the file's frame.
 */
function rewrappedAfter(seg: string[], original: string[], paired: Map<number, number>, ls: number, to: number, limit: number, reindent: (line: string) => string): number {
  const fresh = freshOf(seg, paired, ls + 1, seg.length);
  let j = 0;
  let end = to;
  for (let r = to + 1; r < limit && j < fresh.length; r++) {
    if (isBlank(original[r])) continue;
    const t = original[r].trim();
    // (the first says where: a line that says something)
    if (end === to && isTrivial(original[r])) break;
    let k = j;
    while (k < fresh.length && seg[fresh[k]].trim() !== t) k++;
    if (k === fresh.length) break;
    // (wrapped: deeper than the file has it, in the file's frame; the first right under a line
    // opening a block)
    if (indentColumns(reindent(seg[fresh[k]])) <= indentColumns(original[r])) break;
    if (end === to && (fresh[k] === 0 || !OPENS_WRAPPER.test(seg[fresh[k] - 1]))) break;
    j = k + 1;
    end = r;
  }
  return end;
}

/**
 * The same before a segment's first telling kept line: new lines there that repeat the file's lines
 * right above the placement, nested deeper (a marker, then `try:` and the call it now guards): those
 * lines moved into the new code, which the placement takes in. Returns the placement's start. (The
 * depth in the file's frame by the kept line's shift: the reindenter comes later.)
 */
function rewrappedBefore(seg: string[], original: string[], paired: Map<number, number>, from: number, floor: number): number {
  const fs = firstTelling(seg, paired);
  if (fs === undefined || paired.get(fs) !== from) return from;
  const fo = from;
  const fresh = freshOf(seg, paired, 0, fs);
  const deeper = (s: number, r: number) => indentColumns(seg[s]) - indentColumns(seg[fs]) > indentColumns(original[r]) - indentColumns(original[fo]);
  let j = fresh.length - 1;
  let start = from;
  let top = -1;
  for (let r = from - 1; r >= floor && j >= 0; r--) {
    if (isBlank(original[r])) continue;
    if (start === from && isTrivial(original[r])) break;
    let k = j;
    while (k >= 0 && seg[fresh[k]].trim() !== original[r].trim()) k--;
    if (k < 0 || !deeper(fresh[k], r)) break;
    [j, start, top] = [k - 1, r, fresh[k]];
  }
  // (the first of them right under the line opening the new block)
  return top > 0 && OPENS_WRAPPER.test(seg[top - 1]) ? start : from;
}

/** Where the next anchored segment's placement starts (`end` when none follows). */
function nextFrom(placements: Placement[], i: number, end: number): number {
  for (let j = i + 1; j < placements.length; j++) {
    const q = placements[j];
    if (q.kind === 'anchor') return q.from;
  }
  return end;
}

/** A line that opens or closes a block (a bracket, or a `:` at its end). */
const NESTS = /[{}()[\]]|:\s*$/;

/**
 * Between consecutive chained lines, the context lines equal but for indentation, as [snippet line,
 * original line], where no other line between them opens or closes a block.
 */
function unnestedContext(seg: string[], original: string[], chain: { s: number; o: number }[]): [string, string][] {
  const out: [string, string][] = [];
  for (let k = 1; k < chain.length; k++) {
    const [a, b] = [chain[k - 1], chain[k]];
    const pairs = fillGap(seg, original, a.s + 1, b.s, a.o + 1, b.o, 'trimmed').filter(([s]) => seg[s].trim() !== '');
    if (pairs.length === 0) continue;
    const paired = new Set(pairs.map(([s]) => s));
    const pairedO = new Set(pairs.map(([, o]) => o));
    let nests = false;
    for (let s = a.s + 1; s < b.s; s++) if (!paired.has(s) && NESTS.test(seg[s])) nests = true;
    for (let o = a.o + 1; o < b.o; o++) if (!pairedO.has(o) && NESTS.test(original[o])) nests = true;
    if (!nests) for (const [s, o] of pairs) out.push([seg[s], original[o]]);
  }
  return out;
}

/**
 * Kept lines the chain holds only weakly (`;;`, `esac`, `}`), as [snippet line, original line], when
 * the strong ones cannot tell the snippet's unit (they sit where the file has them: column 0, say):
 * at least two lines indented otherwise than the file, each at the file's column re-indented between
 * units of 2 and 4 and not all by one shift. An edit that re-nests lines moves them all by one
 * shift; a snippet written in the other unit scales them (a `;;` at 12 for the file's 6, its `esac`
 * at 4 for 2).
 */
function rescaledWeakContext(strong: [string, string][], all: [string, string][]): [string, string][] {
  if (!strong.every(sameIndent)) return [];
  const moved = all.filter((pair) => !sameIndent(pair));
  const shifts = new Set(moved.map(([s, o]) => indentColumns(s) - indentColumns(o)));
  return moved.length >= 2 && shifts.size > 1 && moved.every(([s, o]) => rescaledBetween2And4(indentColumns(s), indentColumns(o))) ? moved : [];
}

/** Segment line -> original line for every line kept as it was: the chain plus equal lines in its gaps. */
function pairLines(seg: Segment, orig: SourceText, anchor: SegmentAnchor, from: number, to: number): Map<number, number> {
  const paired = new Map<number, number>();
  const ms = anchor.chain.matches;
  const keyRung: Rung = anchor.rung;
  for (const m of ms) {
    if (m.kind === 'text' || lineKey(seg.lines[m.s], keyRung) === lineKey(orig.lines[m.o], keyRung)) paired.set(m.s, m.o);
  }
  for (let k = 1; k < ms.length; k++) {
    for (const [s, o] of fillGap(seg.lines, orig.lines, ms[k - 1].s + 1, ms[k].s, ms[k - 1].o + 1, ms[k].o, keyRung)) paired.set(s, o);
  }
  // A placement that reaches past the chain (an unmarked end, the whole file) pairs the lines there
  // too: the file's `/**` kept above the chain's first line, not replaced by the snippet's copy.
  if (ms.length > 0) {
    const [first, last] = [ms[0], ms[ms.length - 1]];
    for (const [s, o] of fillGap(seg.lines, orig.lines, 0, first.s, from, first.o, keyRung)) paired.set(s, o);
    for (const [s, o] of fillGap(seg.lines, orig.lines, last.s + 1, seg.lines.length, last.o + 1, to + 1, keyRung)) paired.set(s, o);
  }
  return paired;
}

/**
 * A segment whose placement deletes many lines of the file, while its first lines (context after the
 * marker) and its last lines (context before the next) stand next to each other elsewhere in the
 * file, the lines between them new: there it reads as an insertion that deletes nothing (a new
 * function after the last of several that end alike). Of a rewrite and an insertion the snippet
 * reads as equally, the merge cannot tell which is meant: refused with both places.
 */
function insertionElsewhere(seg: Segment, original: string[], index: OriginalIndex, paired: Map<number, number>, from: number, to: number, anchored: number[]): void {
  const n = seg.lines.length;
  if (!seg.markerBefore || !seg.markerAfter || n > INSERTION_SCAN) return;
  const kept = new Set(paired.values());
  let deletes = 0;
  for (let o = from; o <= to; o++) if (!kept.has(o) && !isBlank(original[o])) deletes++;
  // (fewer, where the segment starts on new lines and what it deletes is a construct's head line,
  // replaced by another head: the rewrite reading renames a test or a function that the insertion
  // reading leaves as it is)
  const heads = (lines: string[]) => lines.filter((l) => OPENS_BLOCK.test(l) && /[A-Za-z_$][\w$]{2,}/.test(l) && !isTrivial(l));
  const newHeads = heads(seg.lines.filter((_, s) => !paired.has(s)));
  const oldHeads = heads(original.slice(from, to + 1).filter((_, k) => !kept.has(from + k)));
  const first = seg.lines.findIndex((l) => !isBlank(l));
  // (its first line neither kept nor the definition it rewrites, paired by name)
  const bareStart = !paired.has(first) && !anchored.includes(first);
  if (deletes < REWRITE_DELETES && (!bareStart || newHeads.length === 0 || oldHeads.length === 0)) return;
  const telling = (lines: string[]) => lines.some((l) => !isBlank(l) && !isTrivial(l));
  for (let q = 1; q < n; q++) {
    if (isBlank(seg.lines[q])) continue;
    const suffix = nonBlankIn(seg.lines, q, n);
    for (const t of index.positions(lineKey(seg.lines[q], 'trimmed'), 'trimmed')) {
      // the suffix s[q..n) reads on from t, the prefix s[0..e] reads back from the line before t
      if (runFrom(seg.lines, q, original, t, 1) !== suffix) continue;
      let o = t - 1;
      while (o >= 0 && isBlank(original[o])) o--;
      if (o < 0) continue;
      // the segment's first lines, s[0..e], read back from o, with new lines left before q
      let e = -1;
      for (let k = q - 1; k >= 0 && e < 0; k--) {
        if (isBlank(seg.lines[k]) || !seg.lines.slice(k + 1, q).some((l) => !isBlank(l))) continue;
        if (runFrom(seg.lines, k, original, o, -1) === nonBlankIn(seg.lines, 0, k + 1)) e = k;
      }
      // (a segment that starts on new lines, right after its marker, needs no context before them:
      // they go right above the block, set off by a blank line, that it ends on)
      const bare = e < 0 && isBlank(seg.lines[q - 1]) && bareStart;
      if ((e < 0 && !bare) || (!bare && !telling(seg.lines.slice(0, e + 1))) || !telling(seg.lines.slice(q))) continue;
      throw new MergeRefusal(
        'ambiguous_anchor',
        `The update's lines around its new code stand next to each other at lines ${o + 1}-${t + 1} of the file, where they read as an insertion, and the merge placed them at lines ${from + 1}-${to + 1}, where they delete lines of the file. ` +
          'Include more unchanged lines around the change, so the update says which of them it means.',
        {
          candidates: [
            { start_line: from + 1, end_line: to + 1 },
            { start_line: o + 1, end_line: t + 1 },
          ],
        },
      );
    }
  }
}

/** Non-blank snippet lines from `s` on (step 1) or back (−1) that read as the original's from `o`, blank lines skipped on both sides. */
function runFrom(lines: string[], s: number, original: string[], o: number, step: 1 | -1): number {
  let n = 0;
  while (s >= 0 && s < lines.length && o >= 0 && o < original.length) {
    if (isBlank(lines[s])) s += step;
    else if (isBlank(original[o])) o += step;
    else if (lines[s].trim() !== original[o].trim()) break;
    else {
      n++;
      s += step;
      o += step;
    }
  }
  return n;
}

/** Segments up to this many lines are checked for an insertion reading elsewhere (the scan is quadratic). */
const INSERTION_SCAN = 200;
/**
 * ...when their placement deletes at least this many non-blank lines: a rewrite that takes that much
 * must be the snippet's only reading. (Measured: from 1 line on, 7 wrong answers less for 14 clean
 * exact ones: small rewrites of repetitive code have an insertion reading by chance.)
 */
const REWRITE_DELETES = 10;

/**
 * Of a segment's kept lines before its closing line kept[n - 1], the one after which its new code
 * starts, when only lines that say nothing of where they are (closers, annotations, blank lines)
 * are kept between that new code and the closer: `@Test` and `}` paired with the next test's, whose
 * `}` the closer took. Those new lines must stand over lines of the file (kept right after the line
 * before them, the closers are the file's: `esac` and `done` after a new `case` branch) and not read
 * like them (lines edited: the kept lines after them are theirs, an `if` changed above its body).
 * Else n - 2, the kept line right before the closer.
 */
function lastTellingBeforeNewCode(seg: Segment, original: string[], kept: [number, number][], paired: Map<number, number>, n: number): number {
  const says = (k: number) => !ANNOTATION.test(seg.lines[kept[k][0]]) && !isTrivial(seg.lines[kept[k][0]]);
  if (n < 3 || says(n - 2)) return n - 2;
  let k = n - 2;
  while (k > 0 && !says(k)) k--;
  const fresh = (a: number, b: number) => seg.lines.slice(a + 1, b).some((l, j) => !isBlank(l) && !paired.has(a + 1 + j));
  let m = k + 1;
  while (m < n - 1 && !fresh(kept[m - 1][0], kept[m][0])) m++;
  if (m >= n - 1) return n - 2;
  const [s0, o0] = kept[m - 1];
  const over = original.slice(o0 + 1, kept[m][1]).filter((l) => !isBlank(l));
  const edits = seg.lines.slice(s0 + 1, kept[m][0]).some((l) => over.some((o) => likeness(l, o) >= 0.5));
  return !edits && kept[m][1] - o0 > 1 ? m - 1 : n - 2;
}

/**
 * A line the snippet shows at another depth than the file (paired and moved, or left unpaired
 * beside its own copy in a gap), inside a call or list whose opening line the snippet keeps where it
 * was: the edit did not re-nest it (its opener did not move); the snippet's columns are another
 * indentation of the same lines (a re-indented snippet's alignment, 6 and 4 columns both read as
 * 2), and the new lines' columns among them cannot be told.
 */
function movedUnderKeptOpener(snippet: string[], original: string[], paired: Map<number, number>, moved: [number, number][], from: number, to: number, reindent: (line: string) => string): void {
  const keptRows = new Set(paired.values());
  // (the segment's edges too: new lines past its last kept line replace the file's up to `to`)
  const kept: [number, number][] = [[-1, from - 1], ...[...paired].sort((x, y) => x[0] - y[0]), [snippet.length, to + 1]];
  const respaced: [number, number][] = [...moved];
  for (let k = 1; k < kept.length; k++) {
    const [s0, o0] = kept[k - 1];
    const [s1, o1] = kept[k];
    if (s1 - s0 < 2 || o1 - o0 < 2) continue;
    const rows = new Map<string, number[]>();
    for (let o = o0 + 1; o < o1; o++) {
      const t = original[o].trim();
      if (t === '') continue;
      const list = rows.get(t);
      if (list) list.push(o);
      else rows.set(t, [o]);
    }
    for (let s = s0 + 1; s < s1; s++) {
      const t = snippet[s].trim();
      if (t !== '') for (const o of rows.get(t) ?? []) if (reindent(snippet[s]) !== original[o]) respaced.push([s, o]);
    }
  }
  for (const [s, o] of respaced) {
    const [sc, oc] = [indentColumns(snippet[s]), indentColumns(original[o])];
    // (a column scaled between units of 2 and 4: a formatter re-aligning by a few columns is no re-indentation)
    if (snippet[s].trim() === '' || !rescaledBetween2And4(oc, sc)) continue;
    // (a line aligned under its bracket in a file that aligns them goes back there: realignContinuation)
    if (openBracketColumn(original, o) === oc && alignsContinuations(original)) continue;
    const opener = openerRow(original, o);
    if (opener === null || !keptRows.has(opener)) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update shows "${snippet[s].trim().slice(0, 80)}" at another indentation than the file while the line that opens it ("${original[opener].trim().slice(0, 80)}") stays where it is: ` +
        'the update looks re-indented, and where its new lines go cannot be told. Copy the lines around the change with the indentation the file gives them.',
      { kind: 'indent_moved_continuation', line: o + 1, opener: opener + 1 },
    );
  }
}

/**
 * A segment that starts, after a marker, on a closer (`}`) the placement reads as new, with its
 * first kept line deeper than that closer, and the file closes the block around that kept line
 * with the same closer only after it (none between the marker's start and it): the marker stood
 * for that block's body and the closer is the file's, so the kept lines were paired with a
 * look-alike inside the block (a `_state.update {` of the branch it closes, equal to one of a new
 * branch). Refused rather than close the block early and move its lines into the new one.
 */
function closerLeftNew(seg: Segment, original: string[], paired: Map<number, number>, kept: [number, number][], reindent: (line: string) => string, floor: number, to: number): void {
  if (!seg.markerBefore || kept.length === 0) return;
  const s = seg.lines.findIndex((l) => !isBlank(l));
  if (s < 0 || paired.has(s) || !CLOSER.test(seg.lines[s]) || s >= kept[0][0]) return;
  const want = reindent(seg.lines[s]);
  const first = kept[0][1];
  if (indentColumns(original[first]) <= indentColumns(want)) return;
  for (let o = floor; o < first; o++) if (original[o] === want) return;
  for (let o = first + 1; o <= to; o++) {
    if (original[o] !== want) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's first line after its marker, "${want.trim()}", closes the block its marker stands in, which the file closes at line ${o + 1}, but the lines after it were matched inside that block, at line ${first + 1}: they may be a look-alike of new code. ` +
        'Show a few more unchanged lines before the change, so its place is clear.',
      { kind: 'closer_left_new', line: o + 1 },
    );
  }
}

/** The words of a line: names and keywords, in order. */
const wordsOf = (line: string) => line.match(/[A-Za-z_$][\w$]*/g) ?? [];
/** What a line starts with: its tag (`<span`, whatever follows it), else its first word. */
const leadOf = (line: string) => line.trim().match(/^<[\w.-]+/)?.[0] ?? firstWord(line);

/**
 * Does new line `a` widen the file's line `b`: the same statement (first word) with every word of
 * b's, in order, and more (`attr_reader :a, :b, :c` over `attr_reader :a, :b`, an export list grown)?
 */
function widens(a: string, b: string): boolean {
  const [wa, wb] = [wordsOf(a), wordsOf(b)];
  // (comments are prose: a reworded one is for the comment checks)
  if (/^\s*(?:\/\/|#|\/\*|\*|--|<!--)/.test(b)) return false;
  if (a.trim() === b.trim() || wb.length < 2 || wa.length <= wb.length || leadOf(a) !== leadOf(b)) return false;
  return inOrderWithin(wb, wa);
}

/**
 * After a marker, a new line before the segment's first anchored line that widens one of the file's
 * few lines just above the placement (`attr_reader :endpoint, :secret, :max_retries, :open_timeout`
 * over the file's `attr_reader ... :max_retries`, a blank line and the rewritten `def initialize`
 * below): it is that line edited, and the placement takes it in to be replaced (beside it, the
 * file would hold both). Only where the file has nothing else between that line and the placement
 * than blank lines. Returns the placement's start.
 */
function widenedBesideMarker(seg: Segment, original: string[], paired: Map<number, number>, firstAnchored: number, from: number, floor: number): number {
  if (!seg.markerBefore) return from;
  const fresh = seg.lines.slice(0, firstAnchored).filter((l, s) => !isBlank(l) && !paired.has(s));
  for (let o = from - 1; o >= floor && o >= from - 4; o--) {
    if (isBlank(original[o])) continue;
    return fresh.some((l) => widens(l, original[o])) ? o : from;
  }
  return from;
}

/**
 * After a marker, new lines and then a first kept line that closes a construct (`</button>`, `}`)
 * whose start the file has above the placement, where the new lines open a construct with the same
 * first word (`<button` over `<button type="submit" ...>`): the snippet rewrote that construct
 * (reformatted a tag over several lines), and its closer is the file's. The placement takes the
 * file's construct in, to be replaced (beside it, the file would hold the old opener too). Returns
 * the placement's start.
 */
function reopenedConstruct(seg: Segment, original: string[], paired: Map<number, number>, root: Node, from: number, floor: number): number {
  if (!seg.markerBefore || paired.size === 0) return from;
  const [fs, fo] = [...paired.entries()].reduce((a, b) => (b[0] < a[0] ? b : a));
  if (fo !== from || fs === 0 || !/^\s*(?:<\/[\w.-]+>|[\]})]+[;,)]*|end)\s*$/.test(seg.lines[fs])) return from;
  const fresh = seg.lines.slice(0, fs).filter((l) => !isBlank(l));
  const start = constructEndingAt(root, floor, fo);
  if (start === null) return from;
  const opener = firstWord(original[start]);
  return opener !== undefined && fresh.length > 0 && firstWord(fresh[0]) === opener ? start : from;
}
