// A file as lines, with the bytes we must give back unchanged: BOM, each line's own ending,
// the final newline, and the indentation unit. Matching works on lines; output maps back to bytes.

export interface SourceText {
  bom: boolean;
  lines: string[];
  /** The ending of each line ("\n", "\r\n", or "" for a last line without newline). */
  eols: string[];
  /** The dominant line ending, for lines we add. */
  eol: '\n' | '\r\n' | '\r';
  finalNewline: boolean;
  indent: IndentUnit;
}

export type IndentUnit = { kind: 'tab' } | { kind: 'space'; width: number };

export function parseText(raw: string): SourceText {
  const bom = raw.startsWith('\uFEFF');
  const body = bom ? raw.slice(1) : raw;
  // Classic Mac line endings: a text with CRs and no LF is lines too, not one long line.
  if (body.includes('\r') && !body.includes('\n')) return crOnly(bom, body);
  const lines: string[] = [];
  const eols: string[] = [];
  let crlf = 0;
  let lf = 0;
  let start = 0;
  for (;;) {
    const nl = body.indexOf('\n', start);
    if (nl < 0) break;
    const cr = nl > start && body.charCodeAt(nl - 1) === 13;
    lines.push(body.slice(start, cr ? nl - 1 : nl));
    eols.push(cr ? '\r\n' : '\n');
    if (cr) crlf++;
    else lf++;
    start = nl + 1;
  }
  const finalNewline = start === body.length && lines.length > 0;
  if (!finalNewline) {
    lines.push(body.slice(start));
    eols.push('');
  }
  return { bom, lines, eols, eol: crlf > lf ? '\r\n' : '\n', finalNewline, indent: detectIndentUnit(lines) };
}

function crOnly(bom: boolean, body: string): SourceText {
  const lines = body.split('\r');
  const finalNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  const eols = lines.map((_, i) => (i < lines.length - 1 || finalNewline ? '\r' : ''));
  return { bom, lines, eols, eol: '\r', finalNewline, indent: detectIndentUnit(lines) };
}

/**
 * How often each step into a deeper indent (1-8 columns) occurs among space-indented lines.
 * Block-comment continuations (` * `) are skipped: they step by one column without nesting.
 */
export function indentSteps(lines: string[]): Map<number, number> {
  const steps = new Map<number, number>();
  let prev = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const ws = leadingWhitespace(line);
    if (ws.includes('\t') || line.trimStart().startsWith('*')) continue;
    const step = ws.length - prev;
    if (step > 0 && step <= 8) steps.set(step, (steps.get(step) ?? 0) + 1);
    prev = ws.length;
  }
  return steps;
}

/**
 * Tabs if most indented lines start with a tab, else the most common step into a deeper indent.
 * Steps of one column are what block-comment continuations and aligned arguments make, not
 * nesting: they count only in a file that nests by nothing wider.
 */
export function detectIndentUnit(lines: string[]): IndentUnit {
  let tabs = 0;
  let spaces = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const ws = leadingWhitespace(line);
    if (ws.startsWith('\t')) tabs++;
    else if (ws.length > 0) spaces++;
  }
  if (tabs > spaces) return { kind: 'tab' };
  const width = mostCommonStep(indentSteps(lines)) ?? 4;
  return { kind: 'space', width: spaces === 0 ? 4 : width };
}

/**
 * The step (in columns) seen most often, the smaller on a tie; steps of one only where there are no
 * wider ones (continuations and block comments make those). Null for no steps.
 */
export function mostCommonStep(steps: Map<number, number>): number | null {
  const wide = [...steps.keys()].some((step) => step > 1);
  let best: number | null = null;
  for (const [step, n] of steps) {
    if (wide && step === 1) continue;
    if (best === null || n > steps.get(best)! || (n === steps.get(best)! && step < best)) best = step;
  }
  return best;
}

export function leadingWhitespace(line: string): string {
  let i = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  return line.slice(0, i);
}

/**
 * Lines after a diff's `+` written as `+ ` (the space taken for the diff's column, as models do):
 * each added line's leading whitespace one space past a whole step of indentation, where the other
 * lines' all stand at whole steps (even spaces, or tabs). `added`, `others`: leading whitespace.
 */
export function addedOneDeeper(added: string[], others: string[]): boolean {
  const whole = (w: string) => /^\t*$/.test(w) || (/^ *$/.test(w) && w.length % 2 === 0);
  return added.length > 0 && others.length > 0 && added.every((w) => w.startsWith(' ') && whole(w.slice(1))) && others.every(whole);
}

/** Join lines back into a file: `eols[i]` where given, else the file's dominant ending. */
export function joinText(t: Pick<SourceText, 'bom' | 'eol' | 'finalNewline'>, lines: string[], eols: (string | undefined)[]): string {
  let out = t.bom ? '\uFEFF' : '';
  const last = lines.length - 1;
  for (let i = 0; i < lines.length; i++) {
    out += lines[i];
    if (i < last) {
      const e = eols[i];
      out += e === undefined || e === '' ? t.eol : e;
    }
  }
  if (lines.length > 0 && t.finalNewline) {
    const e = eols[last];
    out += e === undefined || e === '' ? t.eol : e;
  }
  return out;
}

/**
 * The text as tree-sitter should read it. It counts rows by LF only, so a CR-only file is shown to
 * it with LFs: same length, same offsets, and rows that are our lines.
 */
export function parserView(text: string, t: Pick<SourceText, 'eol'>): string {
  return t.eol === '\r' ? text.replaceAll('\r', '\n') : text;
}
