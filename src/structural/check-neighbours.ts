// Acceptance checks on new lines against the kept lines around them: a line set twice, repeated
// beside itself, made unreachable, or written at its block opener's depth; a doubled blank line
// over a deletion; new code that cuts into the block around it; a merge that changes nothing where
// the snippet also reads as the context of a short deletion.
import type { Language } from '../languages/registry.js';
import { isCommentLine } from './gaps.js';
import { BLOCK_CLOSER, isBlank, isTrivial, keyOfLine, leadingLength, nameSetBy, subjectOf } from './lines.js';
import type { Segment } from './normalise.js';
import { lineSpan, MergeRefusal } from './refusal.js';
import { indentColumns } from './indent.js';
import { diffArrays } from 'diff';
import { MARKUP, tagsOpened } from './align.js';

/** Where the same property set twice in a row is an idiom (a fallback for older browsers). */
const REPEATS_KEYS = new Set(['css', 'scss']);
/** Languages of data, where a name set twice in one block is always one too many. */
const DATA_LANGUAGES = new Set(['generic', 'yaml', 'json']);

/**
 * A new line that sets a key or a name (`mode: 'production',`, `const limit = 10`, `limit = 10`;
 * subjectOf) right beside a kept line, which the snippet does not show, setting the same at the same
 * indentation: the snippet meant to change that line (`mode: 'development',`) and the merge kept
 * both, which an object literal reads as the last one winning, silently. Refused: the snippet should
 * show the line it replaces. (One such line alone beside a marker replaces it: extendAtMarkers.)
 */
export function keySetTwice(output: string[], added: Set<number>, shown: Set<number>, lang: Language): void {
  if (REPEATS_KEYS.has(lang.id)) return;
  const nearestKept = (from: number, step: number) => {
    let r = from;
    while (r >= 0 && r < output.length && (added.has(r) || output[r].trim() === '')) r += step;
    return r >= 0 && r < output.length ? r : -1;
  };
  // In data (a config file, an object literal's `key: value` lines) a key is set once per block: a
  // kept line anywhere in the run around the new one, not only beside it, may be the one it edits
  // (`pydantic = "^2.5"` added two lines above the file's `pydantic = "^1.10"`).
  const data = DATA_LANGUAGES.has(lang.id);
  // (YAML's `tls:` opening a block of its own sets `tls` as much as `tls: []` does)
  const blockKey = (line: string) => (lang.id === 'yaml' ? (/^\s*([A-Za-z_][\w.-]*)\s*:\s*(?:#.*)?$/.exec(line)?.[1] ?? null) : null);
  const nameOf = (line: string) => nameSetBy(line, lang.id) ?? blockKey(line);
  const inRun = (row: number, step: number) => {
    const found: number[] = [];
    const col = indentColumns(output[row]);
    for (let r = row + step; r >= 0 && r < output.length && output[r].trim() !== '' && indentColumns(output[r]) >= col; r += step) {
      if (!added.has(r) && indentColumns(output[r]) === col) found.push(r);
    }
    return found;
  };
  for (const row of added) {
    const key = nameOf(output[row]);
    if (key === null) continue;
    // (there, by what a line sets as data says it, a key or an assignment: not a word before a word,
    // which a line of text also reads as a typed declaration)
    const setsAsData = (line: string) => subjectOf(line) ?? blockKey(line);
    const wide = keyOfLine(output[row]) !== null || (data && setsAsData(output[row]) === key);
    const near = [nearestKept(row, -1), nearestKept(row, 1)];
    const far = wide ? [...inRun(row, -1), ...inRun(row, 1)].filter((r) => setsAsData(output[r]) === key) : [];
    for (const kept of [...near, ...far]) {
      if (kept < 0 || shown.has(kept) || nameOf(output[kept]) !== key || indentColumns(output[kept]) !== indentColumns(output[row])) continue;
      throw new MergeRefusal(
        'check_failed',
        `The update's line ${row + 1} of the result sets "${key}", and the file's line next to it in the same block (line ${kept + 1}), which the update does not show, sets it too: the update likely meant to change that line, and the merge would keep both. ` +
          'Show the lines around the change as they stand in the file.',
        { line: row + 1, kept_line: kept + 1, key },
      );
    }
  }
}

/** A statement after which nothing in its block runs: `return`, `throw`, `raise`, `break`, `continue`. */
const JUMP = /^(?:return|throw|raise|break|continue)\b/;
/** Lines that may follow one: a closer, another branch or case, a preprocessor line, a label. */
const AFTER_JUMP = /^(?:[}\])]|end\b|else\b|elif\b|elsif\b|except\b|finally\b|catch\b|case\b|default\b|when\b|rescue\b|ensure\b|esac\b|fi\b|done\b|;;|#|@|\w+:\s*$)/;

/**
 * Refuse new lines that make a kept line unreachable: an added `return` (`throw`, `break`...) ending
 * its statement, followed in the same block (next code line, same column) by a kept line that jumps
 * the same way (a second `return`).
 * The update's new line was meant to replace that line (`return default` over the file's `return
 * 0.0`), and the merge put it beside it. Ruby's `return x if y` is conditional and left alone.
 */
export function unreachableKeptLine(out: string[], added: Set<number>, language: Language): void {
  const code = (r: number) => out[r].trim() !== '' && !isCommentLine(out[r], language);
  for (const row of added) {
    const t = out[row].trim();
    if (!endsBlock(t)) continue;
    let next = row + 1;
    while (next < out.length && !code(next)) next++;
    if (next >= out.length || added.has(next)) continue;
    const n = out[next].trim();
    // (the kept line a jump of the same kind: a `function` declared after a `return` is hoisted)
    if (AFTER_JUMP.test(n) || indentColumns(out[next]) !== indentColumns(out[row]) || n.match(/^\w+/)?.[0] !== t.match(/^\w+/)?.[0]) continue;
    refuseUnreachable(out, language, row, next, 'new');
  }
  // The mirror: a new line right after a kept jump, in its block, would never run (`return total /
  // n` after a marker, placed below the file's `return total` it was meant to replace).
  for (const row of added) {
    let prev = row - 1;
    while (prev >= 0 && !code(prev)) prev--;
    if (prev < 0 || added.has(prev) || !code(row) || !endsBlock(out[prev].trim())) continue;
    const t = out[row].trim();
    if (AFTER_JUMP.test(t) || /^(?:async\s+)?function\b/.test(t) || indentColumns(out[prev]) !== indentColumns(out[row])) continue;
    refuseUnreachable(out, language, prev, row, 'kept');
  }
}

/** A line that opens a brace block: ends with `{` (a trailing line comment aside). */
const opensBrace = (line: string) => /\{\s*(?:\/\/.*)?$/.test(line);
/** Blocks whose bodies sit at their opener's depth by custom. */
const FLAT_BLOCK = /^(?:namespace\b|extern\s+"C")/;
/** Lines a block may hold at its opener's depth: closers, labels and cases, preprocessor lines. */
const AT_OPENER_DEPTH = /^(?:[}\])]|case\b|default\b|#|\w+:\s*$|(?:public|private|protected)\s*:)/;
/** A code line after which a new statement starts (so the next line's indentation is its depth). */
const ENDS_STATEMENT = (line: string) => /(?:[;{}]|\*\/)\s*(?:\/\/.*)?$/.test(line) || /^(?:case\b.*|default|\w+|(?:public|private|protected)\s*):\s*$/.test(line.trim());

/**
 * For each of `rows` that is the first code line of a brace block: how much deeper than its opener
 * it sits, in columns. Only openers that start their statement count: a header continued over lines
 * (`, int b) {`, `: base(x) {`) sits at whatever depth its continuation does.
 */
function bodySteps(lines: string[], rows: Iterable<number>, language: Language): { row: number; step: number }[] {
  // (preprocessor lines and any line a backslash continues are no statements)
  const code = (r: number) => lines[r].trim() !== '' && !isCommentLine(lines[r], language) && !lines[r].trim().startsWith('#') && !(r > 0 && lines[r - 1].endsWith('\\'));
  const prevCode = (r: number) => {
    let p = r - 1;
    while (p >= 0 && !code(p)) p--;
    return p;
  };
  const steps: { row: number; step: number }[] = [];
  for (const row of rows) {
    if (!code(row) || AT_OPENER_DEPTH.test(lines[row].trim())) continue;
    const opener = prevCode(row);
    if (opener < 0 || !opensBrace(lines[opener]) || FLAT_BLOCK.test(lines[opener].trim())) continue;
    const before = prevCode(opener);
    if (before < 0 || ENDS_STATEMENT(lines[before])) steps.push({ row, step: indentColumns(lines[row]) - indentColumns(lines[opener]) });
  }
  return steps;
}

/**
 * Refuse a new line that opens a brace block's body at its opener's depth, in a file that never
 * writes a block body so (a `namespace {` or `extern "C" {` body at column 0 is its own habit). A
 * snippet re-indented from another unit can collapse two depths into one (4 -> 2 columns in a file
 * nesting by 2 at places): its new body line then reads as a sibling of its opener. (The mirror, a
 * body deeper than any of the file's blocks step in, was tried: real edits restyle a file's
 * indentation too often, 5 clean edits of 1,989 refused and no wrong answer saved.)
 */
export function bodyBesideItsOpener(out: string[], added: Set<number>, original: string[], language: Language): void {
  if (language.id === 'python' || language.id === 'yaml') return;
  const flat = bodySteps(out, added, language).find(({ step }) => step <= 0);
  if (!flat || bodySteps(original, original.keys(), language).some(({ step }) => step <= 0)) return;
  throw new MergeRefusal(
    'check_failed',
    `The update's line "${out[flat.row].trim().slice(0, 80)}" would sit at the depth of the block the line above it opens, which the file never does: its indentation was likely lost. Copy the lines with the indentation the file gives them.`,
    { line: flat.row + 1, kind: 'flat_block_body' },
  );
}

/** A jump that ends its statement on its line (not `return x if y`, not `return (` going on). */
const endsBlock = (t: string) => JUMP.test(t) && !/\b(?:if|unless)\b/.test(t) && !/[([{,\\+\-*/=&|?:.]$/.test(t.replace(/\s*(?:\/\/|#).*$/, ''));

function refuseUnreachable(out: string[], language: Language, jump: number, dead: number, which: 'new' | 'kept'): never {
  const [how, fix] =
    which === 'new'
      ? [`line ${dead + 1}, which the merge kept, would never run: the update likely meant to replace it.`, 'Show the lines after the new one as they should read.']
      : [`the update's line ${dead + 1} would never run: it likely replaces line ${jump + 1}.`, 'Show the lines before the new one as they should read.'];
  throw new MergeRefusal(
    'check_failed',
    `Line ${jump + 1} of the merged file, ${which}, ends its block ("${out[jump].trim().slice(0, 60)}"), so ${how} ${fix}`,
    { line: jump + 1, unreachable: dead + 1, language: language.id },
  );
}

/**
 * A new declaration beside a kept one of the same shape, another name (`private inFlight = 0;` over
 * the file's `private running = 0;`, a marker after it), where the merged file no longer uses the
 * kept one's name anywhere else and does use the new one: the update renamed it (its other hunks
 * renamed every use), and the old declaration stays, dead. Refused.
 */
export function keptDeclarationOrphaned(original: string[], output: string[], sources: number[], lang: Language): void {
  const word = (n: string) => new RegExp(`(?<![\\w$])${n.replace(/\$/g, '\\$')}(?![\\w$])`);
  // (in code, not in a string's text: `logger.info('running cleanup')` is no use of `running`)
  const code = (l: string) => l.replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '""');
  const usedBesides = (lines: string[], name: RegExp, row: number) => lines.some((l, k) => k !== row && name.test(code(l)));
  // (identifiers only: a JSON key `**/coverage` names no binding)
  const ident = (x: string | null): x is string => x !== null && /^[A-Za-z_$][\w$]{2,}$/.test(x);
  for (let r = 0; r < output.length; r++) {
    if (sources[r] >= 0) continue;
    const n = nameSetBy(output[r], lang.id);
    if (!ident(n)) continue;
    for (const q of [r - 1, r + 1]) {
      if (q < 0 || q >= output.length || sources[q] < 0) continue;
      const m = nameSetBy(output[q], lang.id);
      if (!ident(m) || m === n) continue;
      const [newName, oldName] = [word(n), word(m)];
      if (output[r].trim().replace(newName, '#') !== output[q].trim().replace(oldName, '#')) continue;
      if (!usedBesides(original, oldName, sources[q]) || usedBesides(output, oldName, q) || !usedBesides(output, newName, r)) continue;
      throw new MergeRefusal(
        'check_failed',
        `The update declares ${n} beside the file's ${m} (line ${sources[q] + 1}), which no other line of the merged file would use any more while its new lines use ${n}: it likely renames ${m}. ` +
          'Show the line after the new one as it should read.',
        { line: r + 1, kind: 'kept_declaration_orphaned' },
      );
    }
  }
}

/**
 * YAML: a kept key that opened a block in the file (`  e2e:`, its job's lines below it, deeper),
 * with nothing deeper after it in the merge: its body went to new lines written after it at its own
 * depth (a near-copy job `e2e-firefox:` whose lines were paired with e2e's). The key would silently
 * become null. Refused.
 */
export function keyLosesItsBody(original: string[], output: string[], sources: number[], language: Language): void {
  if (language.id !== 'yaml') return;
  const nextCode = (lines: string[], r: number) => {
    let k = r + 1;
    while (k < lines.length && (isBlank(lines[k]) || /^\s*#/.test(lines[k]))) k++;
    return k < lines.length ? k : -1;
  };
  for (let r = 0; r < output.length; r++) {
    const o = sources[r];
    if (o < 0 || !/:\s*$/.test(original[o]) || /^\s*#/.test(original[o])) continue;
    const [was, now] = [nextCode(original, o), nextCode(output, r)];
    if (was < 0 || indentColumns(original[was]) <= indentColumns(original[o])) continue;
    if (now >= 0 && indentColumns(output[now]) > indentColumns(output[r])) continue;
    throw new MergeRefusal(
      'check_failed',
      `The key "${output[r].trim().slice(0, 60)}" (line ${o + 1} of the file) would lose the lines nested under it: the update's lines were likely paired with its block. Show the line before the new lines as it stands in the file.`,
      { line: r + 1, kind: 'key_loses_body' },
    );
  }
}

/**
 * Refuse an added run whose last (first) two or more code lines equal, indentation aside, the lines
 * right after (before) it that the merge kept without the snippet showing them. (Kept lines the
 * snippet shows are its own second copy: a new function that ends like the one after it.)
 */
export function duplicatedBesideItself(out: string[], added: Set<number>, shown: Set<number>): void {
  const rows = [...added].sort((a, b) => a - b);
  const kept = (at: number, text: string) => at >= 0 && at < out.length && !added.has(at) && !shown.has(at) && out[at].trim() === text;
  for (let i = 0; i < rows.length; ) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j] + 1) j++;
    const from = rows[i];
    const to = rows[j] + 1;
    // The longest k for which the run's k lines from runAt(k) equal the k lines from keptAt(k).
    const longest = (runAt: (k: number) => number, keptAt: (k: number) => number, most = to - from) => {
      for (let k = most; k >= 1; k--) {
        let ok = true;
        for (let q = 0; q < k && ok; q++) ok = kept(keptAt(k) + q, out[runAt(k) + q].trim());
        if (ok) return k;
      }
      return 0;
    };
    // A run that wraps lines in a new block ends on its closer (added, or the snippet's closer paired
    // with one the file has right there): the kept lines after it, past blank lines, may be the ones
    // it re-nested, left behind.
    let end = to;
    while (end > from && isBlank(out[end - 1])) end--;
    const closes = (row: number) => row < out.length && BLOCK_CLOSER.test(out[row]);
    const [bodyEnd, next] = end > from + 1 && closes(end - 1) ? [end - 1, to] : end === to && shown.has(to) && closes(to) ? [to, to + 1] : [-1, to];
    let keptFrom = next;
    while (keptFrom < out.length && isBlank(out[keptFrom])) keptFrom++;
    const direct = longest((k) => to - k, () => to); // the run's tail, repeated right after it
    const wrapped = bodyEnd > from ? longest((k) => bodyEnd - k, () => keptFrom, bodyEnd - from) : 0;
    const wrap = wrapped > direct;
    const [after, tail] = wrap ? [wrapped, bodyEnd] : [direct, to];
    // (likewise one that opens a new block on its first line: the kept lines before it, past blank
    // lines, may be the ones it re-nested, a SwiftUI `HStack { … }` now inside a new `ScrollView {`)
    let keptTo = from;
    while (keptTo > 0 && isBlank(out[keptTo - 1])) keptTo--;
    let opener = from;
    while (opener < to && isBlank(out[opener])) opener++;
    const directBefore = longest(() => from, (k) => from - k); // its head, repeated right before it
    const wrappedBefore = to - opener > 2 && /[{(\[:]\s*$/.test(out[opener]) ? longest(() => opener + 1, (k) => keptTo - k, to - opener - 1) : 0;
    const wrapBefore = wrappedBefore > directBefore;
    const [before, head] = wrapBefore ? [wrappedBefore, opener + 1] : [directBefore, from];
    const codeIn = (a: number, b: number) => out.slice(a, b).filter((l) => l.trim() !== '').length;
    const dupAfter = after > 0 ? codeIn(tail - after, tail) : 0;
    const dupBefore = before > 0 ? codeIn(head, head + before) : 0;
    // (one line is enough where it says where it belongs: a docstring, a call with its arguments)
    const enough = (n: number, row: number) => n >= 2 || (n === 1 && telling(out[row].trim()));
    const isAfter = enough(dupAfter, tail - 1);
    if (isAfter || enough(dupBefore, head)) {
      const [a, b] = isAfter ? [tail - after, tail] : [head, head + before];
      const why =
        isAfter && wrap
          ? 'the update probably moves them into the new block above the file\'s copy. Show the line after that copy, so the copy reads as replaced.'
          : !isAfter && wrapBefore
            ? 'the update probably moves them into the new block below the file\'s copy. Show the line before that copy, so the copy reads as replaced.'
            : "the update's context was probably read as new code (it is indented differently from the file). Indent the context as the file does.";
      throw new MergeRefusal('check_failed', `${b - a === 1 ? `Line ${b}` : `Lines ${a + 1}-${b}`} of the merged file would repeat ${b - a === 1 ? 'the line' : `the ${b - a} lines`} next to ${b - a === 1 ? 'it' : 'them'}: ${why}`, {
        start_line: a + 1,
        end_line: b,
      });
    }
    i = j + 1;
  }
}

/** Lines that say where they belong: long enough, with a name in them, not a lone bracket or keyword. */
const telling = (t: string) => t.length >= 16 && /[A-Za-z_$][\w$]{3,}/.test(t);
/** A stretch of the file that many added lines repeat: this many of its lines... */
const COPIED_LINES = 3;
/** ...within this many rows of each other. */
const COPIED_WINDOW = 24;

/**
 * Refuse added lines that repeat, indentation aside, several telling lines of one stretch of the
 * file that the merge keeps elsewhere, untouched and unshown, while deleting lines where it put
 * some of them: the snippet rewrote that stretch (re-nested, so its lines were read as new) and was placed
 * at a look-alike (another route with the same `try {` / `} catch` lines).
 */
export function copiedFromElsewhere(out: string[], added: Set<number>, shown: Set<number>, sources: number[], original: string[]): void {
  const once = new Map<string, number>();
  original.forEach((l, o) => {
    const t = l.trim();
    if (telling(t)) once.set(t, once.has(t) ? -1 : o);
  });
  const keptAt = new Map<number, number>();
  sources.forEach((o, row) => o >= 0 && !shown.has(row) && keptAt.set(o, row));
  // Does the run of added lines around `row` stand where the file had other lines?
  const replaces = (row: number) => keptFrom(sources, row, original.length) - keptBefore(sources, row) > 1;
  const copies = new Map<number, boolean>();
  for (const row of added) {
    const o = once.get(out[row].trim());
    if (o !== undefined && o >= 0 && keptAt.has(o) && out[keptAt.get(o)!] === original[o] && out[row] !== original[o]) copies.set(o, (copies.get(o) ?? false) || replaces(row));
  }
  const rows = [...copies.keys()].sort((a, b) => a - b);
  for (let i = 0; i + COPIED_LINES - 1 < rows.length; i++) {
    const [a, b] = [rows[i], rows[i + COPIED_LINES - 1]];
    if (b - a > COPIED_WINDOW || !rows.slice(i, i + COPIED_LINES).some((o) => copies.get(o))) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's new lines repeat lines ${a + 1}-${b + 1} of the file, indented otherwise, while the merge keeps those and replaces other lines: the update probably rewrites that stretch. ` +
        'Copy the first line of the code you change as the file has it, so its place is clear.',
      { kind: 'copied_from_elsewhere', start_line: a + 1, end_line: b + 1 },
    );
  }
}

/** The file's row kept last before output row `row` (`sources`: each output row's file row, -1 for added ones); -1 where none is. */
function keptBefore(sources: number[], row: number): number {
  for (let r = row - 1; r >= 0; r--) if (sources[r] >= 0) return sources[r];
  return -1;
}

/** The file's row kept first at or after output row `row`; `end` where none is. */
function keptFrom(sources: number[], row: number, end: number): number {
  for (let r = row; r < sources.length; r++) if (sources[r] >= 0) return sources[r];
  return end;
}

/**
 * Two blank lines in a row in the merge, where the file has them nowhere and the merge deletes
 * lines between them: the snippet skipped what stood between its blank lines (a model copying
 * context drops a statement and keeps the blanks on either side), where an edit deleting that
 * statement would take one of the blanks with it (elided-context eval, bare-pipe).
 */
export function doubledBlankOverDeletion(original: string[], output: string[], sources: number[]): void {
  if (original.some((l, i) => i > 0 && isBlank(l) && isBlank(original[i - 1]))) return;
  for (let i = 1; i < output.length; i++) {
    if (!isBlank(output[i]) || !isBlank(output[i - 1])) continue;
    // (the file's lines on either side of the pair, past new ones)
    const before = keptBefore(sources, i);
    const after = keptFrom(sources, i, original.length);
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
export function replacedByShallowerCode(original: string[], output: string[], sources: number[], lang: Language): void {
  const depth = leadingLength;
  // (comments and preprocessor lines sit at any depth)
  const code = (l: string) => !isBlank(l) && !isCommentLine(l, lang) && !/^\s*#/.test(l);
  for (let i = 0; i < output.length; ) {
    if (sources[i] >= 0) { i++; continue; }
    let j = i;
    while (j < output.length && sources[j] < 0) j++;
    const fresh = output.slice(i, j).filter(code);
    const before = keptBefore(sources, i);
    const after = keptFrom(sources, j, original.length);
    i = j;
    if (fresh.length === 0 || before < 0 || after >= original.length) continue;
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

/**
 * Lines a merge that changes nothing may find the snippet deleting elsewhere: a function or a test
 * between the end of one and the start of the next (4 measured the same on the eval sets and
 * missed six such deletions of 6-18 lines).
 */
const SHORT_DELETION = 24;
/** Steps of that search at most: lines the file repeats (`}`, `end`) would make it exponential. */
const DELETION_SEARCH = 20_000;

/**
 * A merge that changes nothing, where a segment also reads, somewhere, as the context of a short
 * deletion (its lines in order with up to SHORT_DELETION of the file's lines skipped between them): the
 * snippet must mean something, so it likely means that deletion (`assert(err == 0);` deleted with
 * what follows up to the next one; a line deleted from the first of two look-alike macro tables;
 * `</div>` and `</section>`, the section's last card deleted).
 * Refused as ambiguous. (A snippet re-applied to the file it already made is unique, and merges.)
 */
export function changesNothingHere(added: Set<number>, deleted: Set<number>, segments: Segment[], original: string[]): void {
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
  // (a bare closer may lead, `</div>` then `</section>`: the last stat card deleted)
  if (want.length < 2 || want.every(isTrivial)) return null;
  // (each next line within the budget left: a few candidates mostly, so a plain search, bounded)
  let steps = 0;
  const from = (s: number, o: number, skipped: number): number | null => {
    if (s === want.length) return skipped > 0 ? o : null;
    for (let q = o + 1; q < file.length && q - o - 1 <= SHORT_DELETION - skipped && steps++ < DELETION_SEARCH; q++) {
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

/** A `case ...:` or `default:` label opening a switch case (C, C++, Java, C#, JavaScript, Go, PHP). */
const CASE_LABEL = /^\s*(?:case\b[^;{}]*|default\s*):\s*(?:\{\s*)?$/;

/**
 * New lines that open a switch case (`case CMD_REMOVE:`) set down right above a kept statement:
 * that statement, and what follows it up to the next label, now belongs to the new case, taken from
 * the case above it (its `break;` gone to the new case: it falls through, and compiles). The
 * snippet's own last line repeated the file's there (`break;`) and was read as that line. Refused.
 */
export function caseTakesKeptLines(original: string[], output: string[], sources: number[]): void {
  for (let i = 0; i < output.length; i++) {
    if (sources[i] >= 0 || !CASE_LABEL.test(output[i])) continue;
    let j = i + 1;
    while (j < output.length && (sources[j] < 0 || isBlank(output[j]))) {
      if (sources[j] < 0 && CASE_LABEL.test(output[j])) break;
      j++;
    }
    if (j >= output.length || sources[j] < 0) continue;
    const kept = output[j].trim();
    if (CASE_LABEL.test(output[j]) || /^[})\]]/.test(kept) || isBlank(output[j])) continue;
    // (the kept line belonged to a case of the file: a label above it with nothing but its body between)
    let o = sources[j] - 1;
    while (o >= 0 && !CASE_LABEL.test(original[o]) && !/^\s*[{}]\s*$/.test(original[o])) o--;
    // (and that label stays: a new label in place of a deleted one is the case rewritten)
    if (o < 0 || !CASE_LABEL.test(original[o]) || !sources.includes(o)) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's new \`${output[i].trim()}\` would go above line ${sources[j] + 1} of the file (\`${kept.slice(0, 60)}\`), taking it from the case at line ${o + 1}: the update likely repeats that line as its own. ` +
        'Include the lines between the cases as they stand in the file.',
      { start_line: sources[j] + 1, end_line: sources[j] + 1 },
    );
  }
}

/**
 * For each row, the row of the innermost element open there (-1: none), by tags: a closing tag's
 * own element is the one it closes.
 */
function enclosingElements(lines: string[]): number[] {
  const open: number[] = [];
  return lines.map((line, r) => {
    const parent = open.length > 0 ? open[open.length - 1] : -1;
    const n = tagsOpened(line);
    for (let k = 0; k < -n && open.length > 0; k++) open.pop();
    for (let k = 0; k < n; k++) open.push(r);
    return parent;
  });
}

/**
 * In markup, new lines that open an element where kept lines of another element follow at their old
 * depth: those lines, and that element's closing tag, now belong to the new element (a new bean's
 * `<property name="timeoutMillis" …/>` and `</bean>`, the snippet's own, read as the previous
 * bean's: that bean loses its end, the new one takes it). An element that wraps kept lines
 * indents them. Refused.
 */
export function newElementTakesKeptLines(original: string[], output: string[], sources: number[], lang: Language): void {
  if (!MARKUP.has(lang.id) || lang.id === 'javascript' || lang.id === 'tsx') return;
  const [inOriginal, inOutput] = [enclosingElements(original), enclosingElements(output)];
  const taken = (src: number[]): [number, number] | null => {
    const kept = new Set(src.filter((o) => o >= 0));
    for (let r = 0; r < output.length; r++) {
      const [o, p] = [src[r], inOutput[r]];
      if (o < 0 || p < 0 || src[p] >= 0 || isBlank(output[r])) continue;
      // (from an element that stays, at the depth it had: one whose opening line the edit rewrote
      // keeps its lines, and one that wraps kept lines indents them)
      if (inOriginal[o] < 0 || !kept.has(inOriginal[o]) || indentColumns(output[r]) !== indentColumns(original[o])) continue;
      return [r, p];
    }
    return null;
  };
  // Refused only where every reading of the text has it: the merge's pairing, that pairing with
  // the run of new lines moved a line at a time past lines it shares with its neighbours, and a
  // plain line diff of the file and the result (which copy of `<CopyToOutputDirectory>…` and
  // `</Content>` a new `<Content>` shares with the one above is the pairing's choice, not the
  // snippet's). The pairing's own reading first: it is cheap, and mostly clean.
  const found = taken(sources);
  if (found === null) return;
  const canonical: number[] = [];
  let row = 0;
  for (const part of diffArrays(original, output)) {
    if (part.removed) row += part.count ?? part.value.length;
    else if (part.added) canonical.push(...part.value.map(() => -1));
    else for (let k = 0; k < part.value.length; k++) canonical.push(row++);
  }
  if (taken(canonical) === null) return;
  for (const step of [1, -1] as const) {
    const src = [...sources];
    let [a, b] = [found[1], found[1]];
    while (a > 0 && src[a - 1] < 0) a--;
    while (b + 1 < output.length && src[b + 1] < 0) b++;
    for (;;) {
      const [from, to] = step === 1 ? [a, b + 1] : [b, a - 1];
      if (to < 0 || to >= output.length || src[to] < 0 || output[from] !== output[to]) break;
      [src[from], src[to]] = [src[to], -1];
      [a, b] = [a + step, b + step];
      if (taken(src) === null) return;
    }
  }
  const [r, p] = found;
  const o = sources[r];
  throw new MergeRefusal(
    'ambiguous_anchor',
    `The update's new element at line ${p + 1} of the result ("${output[p].trim().slice(0, 60)}") would take line ${o + 1} of the file ("${original[o].trim().slice(0, 60)}") from the element at line ${inOriginal[o] + 1}, at the depth it had there: the update likely ends on lines that element's end has too, and was matched there. ` +
      'Show the line before the new element as it stands in the file.',
    { start_line: o + 1, end_line: o + 1, kind: 'element_takes_kept_lines' },
  );
}

/**
 * A new comment that says a definition was removed (`// listInactive() removed - use listActive()`,
 * `# sent? removed`), where the merged file still defines it: the snippet's context (the end of the
 * function above, the start of the next) fits the lines around that definition too, and the merge
 * took the reading that deletes nothing. Refused as ambiguous.
 */
export function removalCommentContradicted(output: string[], sources: number[], lang: Language): void {
  for (let r = 0; r < output.length; r++) {
    if (sources[r] >= 0 || !isCommentLine(output[r], lang)) continue;
    const says = /^\W*([A-Za-z_$][\w$]*\??)(?:\(\))?\s+(?:was\s+|is\s+)?(?:removed|deleted|dropped)\b/i.exec(output[r].replace(/^\s*(?:\/\/+|#+|\/\*+|\*|--)\s*/, ''))
      ?? /\b(?:removed|deleted|dropped)\s+(?:the\s+)?`?([A-Za-z_$][\w$]*\??)(?:\(\))?/i.exec(output[r]);
    if (!says) continue;
    const name = says[1].replace(/[$?]/g, (c) => `\\${c}`);
    const defines = new RegExp(`^\\s*(?:(?:def|fn|func(?:\\s*\\([^)]*\\))?|function|sub)\\s+${name}(?![\\w?])|(?:[\\w<>\\[\\],.?]+\\s+)+${name}\\s*\\([^;]*$|(?:export\\s+)?(?:async\\s+)?function\\s+${name}\\b)`);
    const at = output.findIndex((l, k) => sources[k] >= 0 && defines.test(l) && !/;\s*$/.test(l));
    if (at < 0) continue;
    throw new MergeRefusal(
      'ambiguous_anchor',
      `The update's comment "${output[r].trim().slice(0, 80)}" says ${says[1]} is gone, but the merged file still defines it (line ${at + 1} of the result): the update's context fits the lines around that definition too, and the merge deleted nothing there. ` +
        'Show the lines right before and after the deletion as they stand in the file.',
      { line: sources[at] + 1, kind: 'removal_comment_contradicted' },
    );
  }
}

