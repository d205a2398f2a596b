// Re-basing a snippet's indentation onto the original's: measured on the lines both share,
// applied to the lines the snippet adds, written in the original's unit (tabs or N spaces).
import { BLOCK_CLOSER } from './lines.js';
import { detectIndentUnit, indentSteps, leadingWhitespace, type IndentUnit } from './text.js';

const TAB_COLUMNS = 4;

/** A line that only closes or turns a block (`}`, `else`, `end`): its column is nesting, never alignment. */
const TURN = /^\s*(?:\}\s*else\s*\{|else:?|ensure)\s*$/;
const branch = (line: string) => BLOCK_CLOSER.test(line) || TURN.test(line);

export function indentColumns(line: string): number {
  let c = 0;
  for (const ch of leadingWhitespace(line)) c += ch === '\t' ? TAB_COLUMNS : 1;
  return c;
}

function render(columns: number, unit: IndentUnit): string {
  if (columns <= 0) return '';
  if (unit.kind === 'space') return ' '.repeat(columns);
  return '\t'.repeat(Math.floor(columns / TAB_COLUMNS)) + ' '.repeat(columns % TAB_COLUMNS);
}

/** Whole units of the snippet (`from` columns) become units of the file (`to` columns). */
export interface UnitMapping {
  from: number;
  to: number;
  /** The columns the whole snippet moves by, when its segments do not say otherwise. */
  shift?: number;
  /** Another mapping the snippet reads as well under (its unit differs from the file's, which nests by both). */
  alternative?: UnitMapping;
}

/** The columns one unit of indentation takes (a tab: TAB_COLUMNS). */
export const unitColumns = (u: IndentUnit) => (u.kind === 'tab' ? TAB_COLUMNS : u.width);
const cols = unitColumns;
/** A snippet column in the file's units; the columns beyond whole units are alignment, kept. */
const mapColumns = (c: number, m: UnitMapping) => Math.floor(c / m.from) * m.to + (c % m.from);
/** Is `column` the column `c` re-indented between units of 2 and 4 columns (either way, alignment kept)? */
export const rescaledBetween2And4 = (c: number, column: number) => mapColumns(c, { from: 2, to: 4 }) === column || mapColumns(c, { from: 4, to: 2 }) === column;

/**
 * The unit a snippet nests by, when its own lines say so: tabs, or 2, 4 or 8 spaces with a step
 * into a deeper indent of that width (8: a snippet re-indented from 4, `public:` then its
 * members; chooseUnitMapping reads it so against a 4-column file only). Null for a snippet too flat
 * to tell. (One step is enough: the file's own steps guard the mapping, see nestsBy; measured, two
 * steps missed 8 re-indented snippets one level deep and saved no clean edit.)
 */
export function snippetIndentUnit(lines: string[]): IndentUnit | null {
  const u = detectIndentUnit(lines);
  if (u.kind === 'tab') return u;
  const steps = indentSteps(lines);
  // (8 only where no line steps in by less: a continuation indented by 8 in a 4-column snippet is not its unit)
  if (u.width === 8) return (steps.get(8) ?? 0) >= 1 && ![1, 2, 3, 4, 5, 6, 7].some((w) => steps.has(w)) ? u : null;
  return (u.width === 2 || u.width === 4) && (steps.get(u.width) ?? 0) >= 1 ? u : null;
}

/**
 * Does the file possibly nest by `width` columns: in more than one step in twenty, or is its own
 * unit too thin to go by (fewer than three steps of it, or one column)?
 */
function nestsBy(steps: Map<number, number>, width: number, unit: IndentUnit): boolean {
  let total = 0;
  for (const n of steps.values()) total += n;
  if (unit.kind === 'space' && (unit.width < 2 || (steps.get(unit.width) ?? 0) < 3)) return true;
  return (steps.get(width) ?? 0) * 20 > total;
}

/** A shared line the snippet indents exactly as the file does (a blank line says nothing). */
export const sameIndent = ([s, o]: [string, string]) => s.trim() === '' || leadingWhitespace(s) === leadingWhitespace(o);

/**
 * A shared line whose column in the file is a whole number of the file's units: its depth is
 * nesting. One between (a block comment's ` * `, a continuation aligned under an opening bracket)
 * is alignment.
 */
export const nesting = ([, o]: [string, string], unit: IndentUnit) => unit.kind === 'tab' || unit.width < 2 || indentColumns(o) % unit.width === 0;

/** Votes for each shift under mapping m: how many shared lines it puts at their original column. */
function shiftVotes(pairs: [string, string][], m: UnitMapping): Map<number, number> {
  const votes = new Map<number, number>();
  for (const [s, o] of pairs) {
    if (s.trim() === '') continue;
    const shift = indentColumns(o) - mapColumns(indentColumns(s), m);
    votes.set(shift, (votes.get(shift) ?? 0) + 1);
  }
  return votes;
}

/**
 * The unit mapping for the whole snippet (a model re-indents all of it or none). None when every
 * shared line has the file's own indentation; else the one under which most shared lines, segment by
 * segment, sit at one shift, then the one that needs the smallest shifts (a snippet re-indented
 * whole still starts at column 0).
 */
/** What the snippet and the file say about their own nesting, beyond the lines they share. */
export interface UnitEvidence {
  /** the snippet's own unit (snippetIndentUnit), when it says so; tabs are one unit, never 2 or 8 columns' worth */
  snippetUnit?: IndentUnit | null;
  /** the file's steps into a deeper indent (indentSteps) */
  fileSteps?: Map<number, number>;
  /** the snippet's own columns (its non-blank lines'), for a snippet whose unit does not show */
  snippetColumns?: number[];
}

export function chooseUnitMapping(segmentPairs: [string, string][][], unit: IndentUnit, evidence: UnitEvidence = {}): UnitMapping {
  const { fileSteps = new Map<number, number>(), snippetColumns } = evidence;
  // (a snippet nesting by 8 is one re-indented from a 4-column file; from 2, it nests by 4 and skips levels)
  const snippetUnit = evidence.snippetUnit && (cols(evidence.snippetUnit) !== 8 || cols(unit) === 4) ? cols(evidence.snippetUnit) : null;
  const snippetTabs = evidence.snippetUnit?.kind === 'tab';
  const identity = { from: 1, to: 1 };
  if (segmentPairs.every((pairs) => pairs.every(sameIndent))) {
    // The shared lines do not tell (they sit at column 0, or at a column both units agree on): the
    // snippet's own unit does, when it nests by another one than the file and no shared line objects.
    // The file must clearly not nest by the snippet's unit itself (a file mixing 2 and 4 columns
    // gives a snippet copied verbatim either unit).
    const own = snippetUnit !== null && snippetUnit !== cols(unit) && !nestsBy(fileSteps, snippetUnit, unit) ? { from: snippetUnit, to: cols(unit) } : null;
    const fits = own && segmentPairs.every((pairs) => pairs.every(([s, o]) => s.trim() === '' || indentColumns(o) === mapColumns(indentColumns(s), own)));
    if (fits) return { ...own, shift: 0 };
    // A file that nests by both units: the snippet's lines may be copied as they stand or written
    // in its own unit; the new lines decide whether that matters (splice).
    const other = snippetUnit !== null && snippetUnit !== cols(unit) && !snippetTabs ? { from: snippetUnit, to: cols(unit), shift: 0 } : null;
    const agrees = other && segmentPairs.every((pairs) => pairs.every(([s, o]) => s.trim() === '' || indentColumns(o) === mapColumns(indentColumns(s), other)));
    return agrees ? { ...identity, alternative: other } : identity;
  }
  // The file's unit as detected may not be the one its lines nest by: other units are tried too,
  // but win only by a clear margin.
  const to = cols(unit);
  // A tab-indented snippet nests by tabs: only a tab's columns can be its unit (else a method
  // dedented by one tab reads as one scaled from 2 to 4 columns, and its lines at column 0 stay there).
  const units = snippetTabs ? [TAB_COLUMNS] : [2, 4, 8];
  const mappings = [identity, ...units.filter((f) => f !== to).map((from) => ({ from, to }))];
  const others = units.flatMap((from) => [2, 4, 8].filter((t) => t !== from && t !== to).map((t) => ({ from, to: t })));
  let best = { m: identity, votes: -1, cost: Infinity, nests: -1 };
  for (const m of [...mappings, ...others]) {
    let votes = 0;
    let cost = 0;
    // (of the votes, those of lines whose column is nesting, not alignment: on a tie they decide)
    let nests = 0;
    for (const pairs of segmentPairs) {
      const { shift, n } = topShift(shiftVotes(pairs, m));
      votes += n;
      cost += Math.abs(shift);
      nests += shiftVotes(pairs.filter((pair) => nesting(pair, unit)), m).get(shift) ?? 0;
    }
    const margin = others.includes(m) ? 2 : 0;
    // On a tie, a mapping that reads the snippet by its own unit and puts the snippet's column 0 at
    // the file's everywhere (re-indented whole) beats one that needs shifts (copied out of its
    // block); past that, smaller shifts win, still by the snippet's own unit (a snippet copied in 4
    // columns out of a 2-column file, cut into many short segments each shifted). A unit the snippet
    // does not nest by only explains its depths by chance (a 4-column snippet dedented by 4 reads
    // as one scaled from 2 to 4 columns, its new lines at column 0 left there).
    // An exact tie is decided first by the lines whose columns are nesting: a re-indented snippet
    // may leave alignment (a block comment's ` * `) as the file has it, voting for no re-indentation.
    // (a snippet that never steps in says nothing of its unit, but one whose every column is a
    // whole number of the file's units was not scaled from another: it was dedented, 12 8 4 0)
    const ownUnit = snippetUnit === null ? m.from >= m.to || !(snippetColumns ?? []).every((c) => c % to === 0) : m.from === snippetUnit;
    const tie = votes === best.votes && margin === 0;
    if (votes > best.votes + margin || (tie && nests > best.nests) || (tie && nests === best.nests && ownUnit && ((cost === 0 && best.cost > 0) || cost < best.cost))) best = { m, votes, cost, nests };
  }
  // The shift most segments agree on: a segment whose own lines barely say otherwise takes it.
  const chosen = { ...best.m, shift: topShift(allVotes(segmentPairs, best.m)).shift };
  // A snippet read as halved from a 4-column file that also nests by 2 (at least half as often):
  // halving sent both 2 and 4 columns to 2, so the snippet may equally be copied as the file has it.
  // The new lines decide whether that matters (splice). (Doubled from a 2-column file, nothing
  // merges: that file's steps of 4 are continuations.)
  const halvedSteps = fileSteps.get(best.m.from) ?? 0;
  if (best.m.from < best.m.to && !snippetTabs && halvedSteps >= 3 && halvedSteps * 2 >= (fileSteps.get(best.m.to) ?? 0)) {
    return { ...chosen, alternative: { ...identity, shift: topShift(allVotes(segmentPairs, identity)).shift } };
  }
  return chosen;
}

/** shiftVotes summed over every segment. */
function allVotes(segmentPairs: [string, string][][], m: UnitMapping): Map<number, number> {
  const total = new Map<number, number>();
  for (const pairs of segmentPairs) for (const [shift, n] of shiftVotes(pairs, m)) total.set(shift, (total.get(shift) ?? 0) + n);
  return total;
}

/** The shift most lines vote for; ties go to the smaller shift. */
function topShift(votes: Map<number, number>): { shift: number; n: number } {
  let shift = 0;
  let n = 0;
  for (const [s, k] of votes) if (k > n || (k === n && Math.abs(s) < Math.abs(shift))) [shift, n] = [s, k];
  return { shift, n };
}

/**
 * One segment's indentation: original column = mapped snippet column + shift. The snippet's relative
 * indentation is the truth; the original's context lines only say where the snippet's column 0 sits.
 */
export interface Reindent {
  /** Every shared line agrees with the mapping exactly. */
  uniform: boolean;
  /** True when nothing moves: added lines are kept byte for byte. */
  verbatim: boolean;
  /** An edge line (next to a marker) says another shift than the one taken from the lines between. */
  edgeDisagrees: boolean;
  /** Does the original line sit where the mapping puts the snippet line? (Else the snippet moved it.) */
  agrees(snippetLine: string, originalLine: string): boolean;
  apply(line: string): string;
}

/** `pairs`: [snippet line, original line] for lines the two share; the shift most of them agree on. */
export function reindenter(pairs: [string, string][], unit: IndentUnit, m: UnitMapping, tabsOnly = false, edges: [string, string][] = [], wholeFile = false): Reindent {
  // A column or so of difference is alignment (continuation lines), not nesting.
  const tolerance = Math.max(2, cols(unit)) - 1;
  const votes = shiftVotes(pairs, m);
  const own = topShift(votes);
  const common = m.shift ?? 0;
  // The segment's first and last lines stand next to markers: context copied from the file, never
  // lines the edit moved. Where both are shared and agree, they say where its column 0 sits, however
  // many lines between them the edit re-nested (wrapped in a new block).
  const edgeVotes = shiftVotes(edges, m);
  const byEdges = edges.length === 2 && edgeVotes.size === 1 ? [...edgeVotes.keys()][0] : null;
  // A segment that is the whole new file is written in the file's own frame: its column 0 is the
  // file's, however many of its lines the edit re-nested (the file wrapped in a new block).
  const shift = wholeFile
    ? 0
    : byEdges !== null && votes.has(byEdges) ? byEdges : own.n >= (votes.get(common) ?? 0) + 2 ? own.shift : votes.has(common) || own.n === 0 ? common : own.shift;
  const target = (line: string) => mapColumns(indentColumns(line), m) + shift;
  const verbatim = m.from === m.to && shift === 0 && pairs.every(sameIndent);
  const respell = (line: string) => tabsOnly && /^\t* +/.test(line);
  // A new line at the depth of a shared one is indented as the file indents that one: a file's unit
  // read from its lines may be the comments' (a tab-indented PHP file under space-aligned docblocks).
  const spelled = new Map<number, string>();
  // (all tabs or all spaces: a tab with alignment spaces after it spells a continuation line)
  for (const [, o] of pairs) if (o.trim() !== '' && /^(?:\t*| *)$/.test(leadingWhitespace(o)) && !spelled.has(indentColumns(o))) spelled.set(indentColumns(o), leadingWhitespace(o));
  return {
    uniform: pairs.every(([s, o]) => s.trim() === '' || indentColumns(o) === target(s)),
    edgeDisagrees: !wholeFile && edges.length > 0 && [...edgeVotes.keys()].every((k) => k !== shift),
    verbatim,
    agrees: (s, o) => s.trim() === '' || Math.abs(indentColumns(o) - target(s)) <= (branch(s) ? 0 : tolerance),
    apply(line) {
      if (verbatim && !respell(line)) return line;
      if (line.trim() === '') return '';
      return (spelled.get(target(line)) ?? render(target(line), unit)) + line.slice(leadingWhitespace(line).length);
    },
  };
}
