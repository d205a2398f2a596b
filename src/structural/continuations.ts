// Continuation lines aligned with an open bracket (`f(int a,` / `  int b)` under the `i`) sit at the
// bracket's column, which is no multiple of an indentation unit. A snippet written in another unit
// (2 <-> 4 spaces) scales that column with the rest: 57 becomes 114 or 28. Where the file aligns its
// continuations and a new line's column is such a scaling of the column of the bracket it continues,
// it goes back under the bracket.
import { rescaledBetween2And4 } from './indent.js';
import { leadingLength } from './lines.js';

/** Of the file's continuation lines, the share aligned with their bracket for the file to count as aligning... */
const ALIGNED_SHARE = 0.6;
/** ...with at least this many to tell. */
const MIN_SAMPLES = 2;
/** How far back an open bracket is looked for. */
const REACH = 8;
/** Bracket columns below this are as likely one indentation step as an alignment. */
const MIN_COLUMN = 8;


/**
 * The line with its string and character literals and its `//` comment blanked out (columns kept):
 * a bracket in `case '(':` or in a comment opens nothing.
 */
function codeOf(line: string): string {
  if (/^\s*(?:\/\/|\/?\*|#)/.test(line)) return '';
  // (single quotes: character literals only; Rust's lifetimes and English apostrophes are no strings)
  return line.replace(/'(?:[^'\\]|\\[^']{1,6})'|"(?:[^"\\]|\\.)*"|\/\/.*$/g, (m) => ' '.repeat(m.length));
}
const closes = (line: string) => /^\s*[)\]]/.test(line);

/**
 * The innermost bracket left open before `row` (`(` and `[`, and `{` where `braces`), within REACH
 * lines and before a statement ends; null when none is.
 */
function innermostOpen(lines: string[], row: number, braces: boolean): { row: number; col: number; ch: string } | null {
  let depth = 0;
  for (let r = row - 1; r >= 0 && r >= row - REACH; r--) {
    const line = codeOf(lines[r]);
    if (r < row - 1 && /[;{}]\s*$/.test(line)) return null;
    for (let c = line.length - 1; c >= 0; c--) {
      const ch = line[c];
      if (ch === ')' || ch === ']' || (braces && ch === '}')) depth++;
      else if (ch === '(' || ch === '[' || (braces && ch === '{')) {
        if (depth === 0) return { row: r, col: c, ch };
        depth--;
      }
    }
  }
  return null;
}

/**
 * The column right after the innermost bracket left open before `row`, when text follows it on its
 * line (an alignment target); null when none is open within REACH lines or a statement ended first.
 */
export function openBracketColumn(lines: string[], row: number): number | null {
  const open = innermostOpen(lines, row, false);
  return open && /\S/.test(codeOf(lines[open.row]).slice(open.col + 1)) ? open.col + 1 : null;
}

/**
 * The row of the `(` or `[` left open before `row` (the call or list the line continues), when one
 * is within REACH lines and no `{` or statement end comes first; else null.
 */
export function openerRow(lines: string[], row: number): number | null {
  const open = innermostOpen(lines, row, true);
  return open && open.ch !== '{' ? open.row : null;
}

/** Does the file align its continuation lines with their open bracket (most of them, enough to tell)? */
export function alignsContinuations(lines: string[]): boolean {
  return mostlyAligned(lines, (row) => (lines[row].trim() === '' || closes(lines[row]) ? null : openBracketColumn(lines, row)));
}

/** Do most of the lines that `columnOf` gives an alignment column sit at it (enough of them to tell)? */
function mostlyAligned(lines: string[], columnOf: (row: number) => number | null): boolean {
  let aligned = 0;
  let samples = 0;
  for (let row = 1; row < lines.length; row++) {
    const col = columnOf(row);
    if (col === null) continue;
    samples++;
    if (leadingLength(lines[row]) === col) aligned++;
  }
  return samples >= MIN_SAMPLES && aligned >= ALIGNED_SHARE * samples;
}

/**
 * Output row `row` holds a new line the snippet wrote at column `snippetColumn`: put it under the
 * bracket it continues when that column is the bracket's, mapped from 2-space units to 4 or back, and
 * the file aligns its continuations (`fileAligns`, asked last: it reads the whole file).
 */
export function realignContinuation(out: string[], row: number, snippetColumn: number, fileAligns: () => boolean): void {
  const line = out[row];
  if (line.trim() === '' || closes(line) || line.startsWith('\t')) return;
  const col = openBracketColumn(out, row);
  if (col === null || col < MIN_COLUMN || leadingLength(line) === col) return;
  // (a unit mapping keeps the columns beyond whole units: 57 = 28 units of 2 + 1 becomes 28 * 4 + 1)
  if (rescaledBetween2And4(col, snippetColumn) && fileAligns()) out[row] = ' '.repeat(col) + line.trimStart();
}

/** An Objective-C selector part on a line of its own (`callbackId:(NSString *)callbackId`). */
const SELECTOR_PART = /^\s*[A-Za-z_]\w*:/;
/** The line a method declaration or definition starts on (`- (id)initWithArguments:(NSArray *)a`). */
const METHOD_START = /^\s*[-+]\s*\(/;

/**
 * The column a selector part at `row` takes when its colon stands under the first colon of the
 * line above (Xcode's alignment), where that line starts the method or is a part of it; else null.
 */
function selectorColumn(lines: string[], row: number): number | null {
  const name = SELECTOR_PART.exec(lines[row])?.[0].trim();
  if (!name || row === 0) return null;
  let start = row - 1;
  while (start > 0 && SELECTOR_PART.test(lines[start]) && !METHOD_START.test(lines[start])) start--;
  if (!METHOD_START.test(lines[start])) return null;
  const colon = codeOf(lines[row - 1]).indexOf(':');
  return colon >= name.length - 1 ? colon - (name.length - 1) : null;
}

/** Does the file align its methods' selector parts by their colons (most of them, enough to tell)? */
export function alignsSelectors(lines: string[]): boolean {
  return mostlyAligned(lines, (row) => selectorColumn(lines, row));
}

/**
 * Output row `row` holds a new selector part the snippet wrote at column `snippetColumn`: its colon
 * goes back under the one above when that column is the aligned one mapped between 2- and 4-space
 * units (a re-indented snippet scales alignment with the rest: 23 becomes 13) and the file aligns
 * selectors (`fileAligns`, asked last).
 */
export function realignSelector(out: string[], row: number, snippetColumn: number, fileAligns: () => boolean): void {
  const col = selectorColumn(out, row);
  if (col === null || leadingLength(out[row]) === col || out[row].startsWith('\t')) return;
  if (rescaledBetween2And4(col, snippetColumn) && fileAligns()) out[row] = ' '.repeat(col) + out[row].trimStart();
}
