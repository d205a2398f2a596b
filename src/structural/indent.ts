// Re-basing a snippet's indentation onto the original's: measured on the lines both share,
// applied to the lines the snippet adds, written in the original's unit (tabs or N spaces).
import { leadingWhitespace, type IndentUnit } from './text.js';

const TAB_COLUMNS = 4;

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

/** How to move each added snippet line: by the column shift of the nearest shared line above it. */
export interface Reindent {
  /** Every shared line moved by the same shift (or none). */
  uniform: boolean;
  /** True when nothing moves: added lines are kept byte for byte. */
  verbatim: boolean;
  apply(line: string, segIndex: number): string;
}

/**
 * `pairs`: [snippet line index, snippet line, original line] for lines the two share.
 * The original's unit decides how shifted lines are written. When the snippet indents in another
 * unit (8 spaces where the file has tabs, 2 where it has 4), its columns are first scaled by the
 * ratio of the two units, if that makes the shared lines agree.
 */
export function reindenter(pairs: [number, string, string][], unit: IndentUnit, snippetUnit?: IndentUnit): Reindent {
  const shared = pairs.filter(([, s]) => s.trim() !== '');
  const verbatim = shared.every(([, s, o]) => leadingWhitespace(o) === leadingWhitespace(s));
  const cols = (u: IndentUnit) => (u.kind === 'tab' ? TAB_COLUMNS : u.width);
  const shiftsAt = (scale: number) => shared.map(([i, s, o]) => ({ i, shift: indentColumns(o) - Math.round(indentColumns(s) * scale) }));
  const isUniform = (xs: { shift: number }[]) => xs.every((x) => x.shift === (xs[0]?.shift ?? 0));
  let scale = 1;
  let shifts = shiftsAt(1);
  if (!isUniform(shifts) && snippetUnit) {
    const scaled = shiftsAt(cols(unit) / cols(snippetUnit));
    if (isUniform(scaled)) [scale, shifts] = [cols(unit) / cols(snippetUnit), scaled];
  }
  const uniform = isUniform(shifts);
  const shiftAt = (segIndex: number): number => {
    let best = shifts[0]?.shift ?? 0;
    for (const x of shifts) {
      if (x.i <= segIndex) best = x.shift;
      else break;
    }
    return best;
  };
  return {
    uniform,
    verbatim,
    apply(line, segIndex) {
      if (verbatim) return line;
      if (line.trim() === '') return '';
      const body = line.slice(leadingWhitespace(line).length);
      return render(Math.round(indentColumns(line) * scale) + shiftAt(segIndex), unit) + body;
    },
  };
}
