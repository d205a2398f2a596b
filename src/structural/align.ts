// Anchoring one snippet segment in the original: the best chain of matched lines, scored so that
// lines which say where they are (strong) anchor, common lines (`}`) only fill in next to them,
// and skipping original lines (a deletion) costs more the more it skips.
import { indentColumns } from './indent.js';
import { isBlank, isTrivial, lcsPairs, lineKey, type Rung } from './lines.js';

export interface Match {
  /** Line index in the segment. */
  s: number;
  /** Line index in the original. */
  o: number;
  w: number;
  /** `text`: the lines are equal under the rung; `def`: the same named definition starts or ends here. */
  kind: 'text' | 'def-start' | 'def-end';
}

export interface Chain {
  matches: Match[];
  score: number;
}

const STRONG = 10;
const WEAK = 1;
const DEF = 20;
/** Per original line skipped between two chained lines beyond the snippet lines between them. */
export const DELETE_COST = 1;
/**
 * A segment's first and last lines stand next to a marker (or the snippet's ends): in every lazy
 * snippet style they are context copied from the file, so a chain that matches them is preferred
 * over one that matches new lines which happen to resemble other code.
 */
const EDGE_BONUS = 1000;
/** Per line of the edge context that matches contiguously from the edge line (up to MAX_RUN). */
const RUN_BONUS = 20;
const MAX_RUN = 20;
/** A strong line found more often than this is no anchor. */
const MAX_OCCURRENCES = 64;
/** How many original lines may be deleted between a segment's edge context and its strong lines. */
const EDGE_SLACK = 40;
const MAX_PREDECESSORS = 4000;
/** Chains closer than this in score are equally good places for a segment. */
const NEAR_EQUAL = STRONG;
/** Lines a segment's leading (trailing) context may have edited, or the file have there besides, and still read line for line. */
const EDITED_EDGE = 2;
/** How many lines apart two copies of an edge line make rival readings (a short deletion or none). */
const NEAR_COPY = 4;

/** Line keys of the original for each key function, built once per request. */
export class OriginalIndex {
  private readonly tables = new Map<string, Map<string, number[]>>();
  /** `unit`: the columns the file nests by, for the `indent_shift` keys. */
  constructor(readonly lines: string[], readonly unit?: number) {}

  key(o: number, rung: Rung): string {
    return lineKey(this.lines[o], rung, this.unit);
  }

  positions(key: string, rung: Rung): number[] {
    let table = this.tables.get(rung);
    if (!table) {
      table = new Map();
      this.lines.forEach((line, i) => {
        if (isBlank(line)) return;
        const k = lineKey(line, rung, this.unit);
        const list = table!.get(k);
        if (list) list.push(i);
        else table!.set(k, [i]);
      });
      this.tables.set(rung, table);
    }
    return table.get(key) ?? [];
  }
}

/** First index of a sorted list whose value is >= x. */
function lowerBound(list: number[], x: number): number {
  let a = 0;
  let b = list.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (list[mid] < x) a = mid + 1;
    else b = mid;
  }
  return a;
}

/**
 * The positions of a sorted list within [lo, hi), or null when there are more than `max`: counted
 * by two binary searches before any is copied, so a line repeated thousands of times costs nothing.
 */
function inWindow(list: number[], lo: number, hi: number, max: number): number[] | null {
  const a = lowerBound(list, lo);
  const b = lowerBound(list, hi);
  return b - a > max ? null : list.slice(a, b);
}

/** Brackets the lines open and leave open (string contents aside, roughly: quotes are dropped). */
export function netOpens(lines: string[]): number {
  let n = 0;
  for (const line of lines) for (const d of bracketRun(line)) n += d;
  return n;
}

/** Languages whose blocks may be elements (PHP views and files without a grammar, templates among them, too). */
export const MARKUP = new Set(['html', 'vue', 'tsx', 'javascript', 'php', 'generic']);

/**
 * Brackets, and with `tags` markup tags, a line opens minus those it closes (strings and
 * self-closing tags aside). (Tags only in markup: `static_cast<int8_t>` is no element.)
 */
export function opensMinusCloses(line: string, tags: boolean): number {
  return netOpens([line]) + (tags ? tagsOpened(line) : 0);
}

/**
 * Tags a line of markup opens minus those it closes, brackets aside (a `} else {` is no element).
 * A tag spread over lines, as Android layouts and Maven's plugins write them, opens where it starts
 * (`<RollingFile` with its attributes on the next lines), and a line of attributes ending `/>`
 * closes it.
 */
export function tagsOpened(line: string): number {
  let n = 0;
  for (const tag of line.match(/<\/?[A-Za-z][\w.:-]*(?:\s[^<>]*?)?\/?>/g) ?? []) {
    if (tag.startsWith('</')) n--;
    else if (!tag.endsWith('/>') && !VOID_TAG.test(tag)) n++;
  }
  const t = line.trim();
  if (/^<[A-Za-z][\w.:-]*(?:\s[^<>]*)?$/.test(t) && !VOID_TAG.test(t)) n++;
  else if (!t.includes('<') && t.endsWith('/>')) n--;
  return n;
}

const VOID_TAG = /^<(?:br|hr|img|input|meta|link|area|base|col|embed|source|track|wbr)\b/;

/** Keyword blocks (Ruby, Lua, Elixir) the lines open and leave open: `def`/`do`/`if ...` minus `end`. */
export function netKeywordOpens(lines: string[]): number {
  let n = 0;
  for (const line of lines) {
    const t = line.trim();
    if (/^end\b/.test(t)) n--;
    else if (/^(?:def|class|module|if|unless|while|until|case|begin|for|function)\b/.test(t) || /\bdo(?:\s*\|[^|]*\|)?$/.test(t)) n++;
  }
  return n;
}

/** A line that starts by closing a block: a bracket, `end`, a closing tag. */
export const CLOSER_OR_END_TAG = /^\s*(?:[\]})]|end\b|<\/)/;

/** Whether the chain skips, between two of its lines, a line of the file's that says something at `depth` or shallower. */
function skipsSibling(chain: Chain, lines: string[], depth: number): boolean {
  const ms = chain.matches;
  for (let k = 1; k < ms.length; k++) {
    for (let o = ms[k - 1].o + 1; o < ms[k].o; o++) if (!isBlank(lines[o]) && !isTrivial(lines[o]) && indentColumns(lines[o]) <= depth) return true;
  }
  return false;
}

/** Line `s` starts with a closer that closes a block the lines above it (new code) leave open. */
export function closesOwnBlock(lines: string[], s: number): boolean {
  if (/^\s*end\s*$/.test(lines[s])) return netKeywordOpens(lines.slice(0, s)) > 0;
  return /^\s*[\]})]/.test(lines[s]) && netOpens(lines.slice(0, s)) > 0;
}

/**
 * The same, reading the lines in order: a closer with nothing open before it closes what the lines
 * came in (the `}` of a test a marker stood in, above a new test), so the new test's own `}` at the
 * end still closes its block. (For a segment of only common lines, whose closers anchor nothing
 * unless they are the file's.)
 */
function closesOwnBlockInOrder(lines: string[], s: number): boolean {
  if (/^\s*end\s*$/.test(lines[s])) return stillOpen(lines.slice(0, s).map((l) => keywordOpens(l)));
  return /^\s*[\]})]/.test(lines[s]) && stillOpen(lines.slice(0, s).map(bracketRun));
}

/** Whether the lines leave a block open, read in order (`runs`: each line's opens, +1, and closes, -1). */
function stillOpen(runs: number[][]): boolean {
  let open = 0;
  for (const run of runs) for (const d of run) open = Math.max(0, open + d);
  return open > 0;
}

/** A line's brackets, in order: +1 per opener, -1 per closer (string contents aside, roughly). */
const bracketRun = (line: string) =>
  [...line.replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '')].flatMap((ch) => ('{(['.includes(ch) ? [1] : '})]'.includes(ch) ? [-1] : []));

/** A line's keyword block, as a run: `end` closes one, `def`/`do`/`if ...` open one. */
const keywordOpens = (line: string) => [netKeywordOpens([line])];

/** Highest-scoring strictly increasing chain (in both segment and original). */
export function bestChain(ms: Match[]): Chain {
  if (ms.length === 0) return { matches: [], score: 0 };
  ms.sort((a, b) => a.s - b.s || a.o - b.o);
  const best = new Float64Array(ms.length);
  const prev = new Int32Array(ms.length).fill(-1);
  let top = 0;
  for (let k = 0; k < ms.length; k++) {
    const mk = ms[k];
    best[k] = mk.w;
    for (let j = k - 1; j >= 0 && k - j <= MAX_PREDECESSORS; j--) {
      const mj = ms[j];
      if (mj.s >= mk.s || mj.o >= mk.o) continue;
      const skipped = mk.o - mj.o - (mk.s - mj.s);
      const cand = best[j] + mk.w - (skipped > 0 ? skipped * DELETE_COST : 0);
      if (cand > best[k]) {
        best[k] = cand;
        prev[k] = j;
      }
    }
    if (best[k] > best[top]) top = k;
  }
  const chain: Match[] = [];
  for (let k = top; k >= 0; k = prev[k]) chain.push(ms[k]);
  chain.reverse();
  return { matches: chain, score: best[top] };
}

export interface SegmentAnchor {
  rung: Rung;
  chain: Chain;
  /** Strong matches in the chain: how well the rung explains the segment. */
  strength: number;
  /** How many of the segment's two edge lines (first, last) the chain matches. */
  edges: number;
  /** Original lines covered by the chain, inclusive. */
  start: number;
  end: number;
}

export interface AnchorSearch {
  best: SegmentAnchor | null;
  /** Other places the segment fits equally well (line ranges, inclusive), when it is ambiguous. */
  rivals: [number, number][];
}

/**
 * Anchor a segment within original lines [lo, hi) at one rung. `defs` are definition matches
 * from tree-sitter (the same named definition in snippet and original).
 */
export function anchorAtRung(seg: string[], index: OriginalIndex, rung: Rung, lo: number, hi: number, defs: Match[], segUnit?: number, own: Set<number> = new Set(), markedEnd = false): AnchorSearch {
  const keys = seg.map((l) => lineKey(l, rung, segUnit));
  const collect = (trivial: boolean, w: number, lo: number, hi: number): Match[] => {
    const out: Match[] = [];
    for (let s = 0; s < seg.length; s++) {
      if (isBlank(seg[s]) || isTrivial(seg[s]) !== trivial) continue;
      const pos = inWindow(index.positions(keys[s], rung), lo, hi, MAX_OCCURRENCES);
      if (!pos) continue;
      for (const o of pos) out.push({ s, o, w, kind: 'text' });
    }
    return out;
  };
  // (lines of a definition the segment adds (`own`) are its own: they anchor nothing)
  let strong: Match[] = [...defs.filter((d) => d.o >= lo && d.o < hi), ...collect(false, STRONG, lo, hi).filter((m) => !own.has(m.s))];
  // A segment of only common lines (`}`, `end`, short lines) anchors on them if they are unique enough.
  const commonOnly = strong.length === 0;
  if (commonOnly) strong = collect(true, STRONG, lo, hi);
  const last = seg.length - 1;
  // The edge lines that can anchor: the first (last) strong line among the segment's first (last)
  // few lines; the very first line is often too common (`}`, `static int`) to say anything.
  const count = new Map<number, number>();
  for (const m of strong) if (m.kind === 'text') count.set(m.s, (count.get(m.s) ?? 0) + 1);
  // Among a few edge lines, the rarest in the original says best where the segment is.
  const rarest = (xs: number[]) =>
    xs.filter((x) => x >= 0 && x <= last && count.has(x)).reduce<number | undefined>((b, x) => (b === undefined || count.get(x)! < count.get(b)! ? x : b), undefined);
  // (a common line is an edge only at the very edge: after new lines, a `}` is theirs)
  const headEdge = rarest(commonOnly ? [0] : [0, 1, 2]);
  const tailEdge = rarest(commonOnly ? [last] : [last, last - 1, last - 2]);
  // Where an edge line occurs more than once, the copy that more of the snippet's edge matches
  // line for line (blank and common lines included) is the one the snippet was cut from.
  const run = (s0: number, o0: number, step: 1 | -1) => {
    let n = 0;
    for (let s1 = s0, o1 = o0; s1 >= 0 && s1 <= last && o1 >= lo && o1 < hi && keys[s1] === index.key(o1, rung); s1 += step, o1 += step) n++;
    return n;
  };
  // A segment that is one whole definition, paired by name with the original's, has its edges
  // there: more surely than at a line that merely reads the same further down (`return 2` in
  // another function).
  const whole = defs.some((d) => d.kind === 'def-start' && d.s === 0) && defs.some((d) => d.kind === 'def-end' && d.s === last);
  // An edge line after a common first line or two (`};` below a marker): those lines are context
  // too, so a copy of the edge that has them right above it (below, for the tail) is the one the
  // snippet was cut from, wherever another copy reads on further into the snippet's new lines.
  // (a few of the file's lines skipped between them still count: a line the snippet dropped there
  // is no reason to prefer a look-alike copy)
  const besideEdge = (m: Match, step: 1 | -1) => {
    let skips = NEAR_COPY;
    let s = m.s - step;
    let o = m.o - step;
    while (s >= 0 && s <= last) {
      if (isBlank(seg[s])) s -= step;
      else if (o < lo || o >= hi) return false;
      else if (keys[s] === index.key(o, rung)) [s, o] = [s - step, o - step];
      else if (isBlank(index.lines[o])) o -= step;
      else if (skips-- > 0) o -= step;
      else return false;
    }
    return true;
  };
  const explained = (edge: number | undefined, step: 1 | -1) => {
    const at = strong.filter((m) => m.kind === 'text' && m.s === edge);
    const ok = at.filter((m) => besideEdge(m, step));
    return new Set((ok.length > 0 ? ok : at).map((m) => m.o));
  };
  const headAt = explained(headEdge, 1);
  const tailAt = explained(tailEdge, -1);
  strong = strong.map((m) => {
    if (m.kind !== 'text') return whole && (m.s === 0 || m.s === last) ? { ...m, w: m.w + EDGE_BONUS + RUN_BONUS } : m;
    if (m.s === headEdge && headAt.has(m.o)) return { ...m, w: m.w + EDGE_BONUS + RUN_BONUS * Math.min(run(m.s, m.o, 1), MAX_RUN) };
    if (m.s === tailEdge && tailAt.has(m.o)) return { ...m, w: m.w + EDGE_BONUS + RUN_BONUS * Math.min(run(m.s, m.o, -1), MAX_RUN) };
    return m;
  });
  let first = bestChain(strong);
  if (first.matches.length === 0) return { best: null, rivals: [] };
  // A closing edge line (`</Card>`) reached past a sibling's own lines (another `</Card>`, a
  // `<Card className="activity-card">`: lines as shallow as it, skipped by the chain) is the
  // sibling's closer, paired so because the new lines before it read like the sibling's (a new
  // `) : (` ... `)}`): without its bonus, the chain stays in its own block.
  const closing = first.matches[first.matches.length - 1];
  if (!commonOnly && closing.s === tailEdge && closing.kind === 'text' && CLOSER_OR_END_TAG.test(seg[closing.s]) && skipsSibling(first, index.lines, indentColumns(index.lines[closing.o]))) {
    first = bestChain(strong.map((m) => (m.s === tailEdge && m.o === closing.o ? { ...m, w: STRONG } : m)));
  }
  // Closers after new lines that open blocks close those first: a segment of new methods ending
  // `  }` / `}` pairs only the `}` the new lines leave open with the file's.
  if (commonOnly) {
    // (and a lone `{` under a new header, Allman style, opens that header's block)
    const matched = new Set(first.matches.map((m) => m.s));
    const opensOwnBlock = (s: number) => seg[s].trim() === '{' && s > 0 && !isBlank(seg[s - 1]) && !matched.has(s - 1);
    // (one right after the previous kept line, the file's lines between blank, reads the same as
    // the file's closer there, the new lines going before it: no line is skipped)
    const kept: Match[] = [];
    for (const m of first.matches) {
      const prev = kept[kept.length - 1];
      const adjacent = prev !== undefined && index.lines.slice(prev.o + 1, m.o).every(isBlank);
      if (opensOwnBlock(m.s) || (closesOwnBlockInOrder(seg, m.s) && !adjacent)) continue;
      kept.push(m);
    }
    first.matches = kept;
    // (all of them its own: new code that says nothing of where it goes)
    if (first.matches.length === 0) return { best: null, rivals: [] };
  }
  const a = first.matches[0];
  const z = first.matches[first.matches.length - 1];

  // Rivals: a chain wholly before or after this one that is as good, or short of it by less than
  // one line that says where it is (a deletion or two): look-alike blocks need a clear margin.
  const rivals: [number, number][] = [];
  // (an edge line the file has once says where the segment is; one it repeats at three or more
  // places, `}) as any;`, only that it is one of them: a chain edged on it alone is no rival)
  const edged = (c: Chain) => c.matches.filter((m) => m.kind === 'text' && (m.s === headEdge || m.s === tailEdge) && m.w >= EDGE_BONUS);
  const uniquelyEdged = edged(first).some((m) => count.get(m.s) === 1);
  const commonlyEdged = (c: Chain) => edged(c).every((m) => (count.get(m.s) ?? 0) >= 3);
  for (const side of [strong.filter((m) => m.o < a.o), strong.filter((m) => m.o > z.o)]) {
    const alt = bestChain(side);
    if (alt.matches.length > 0 && alt.score > first.score - NEAR_EQUAL && !(uniquelyEdged && commonlyEdged(alt))) {
      rivals.push([alt.matches[0].o, alt.matches[alt.matches.length - 1].o]);
    }
  }
  // An edge line the file repeats a line or few away: read from the other copy, the snippet
  // replaces the few lines between (its new lines an edit of them) instead of adding beside them.
  // Unless the deletion costs a clear margin, both readings are as good.
  const span = (c: Chain) => c.matches[c.matches.length - 1].o - c.matches[0].o;
  for (const edge of [headEdge, tailEdge]) {
    const at = first.matches.find((m) => m.s === edge && m.kind === 'text');
    if (edge === undefined || !at || rivals.length > 0) continue;
    const alt = bestChain(strong.filter((m) => !(m.s === edge && m.o === at.o)));
    if (alt.matches.some((m) => m.s === edge) && alt.score > first.score - NEAR_EQUAL && Math.abs(span(alt) - span(first)) <= NEAR_COPY) {
      rivals.push([alt.matches[0].o, alt.matches[alt.matches.length - 1].o]);
    }
  }

  // The segment's leading (trailing) lines before the first (after the last) strong match are its
  // context when they stand right there in the original: place them as the nearest contiguous
  // block, so common lines (`}`, `return true;`) never pull the segment somewhere else.
  const okey = (o: number) => index.key(o, rung);
  const blockAt = (s0: number, k: number, o0: number) => {
    for (let i = 0; i < k; i++) if (keys[s0 + i] !== okey(o0 + i) || own.has(s0 + i)) return false;
    return true;
  };
  const head: Match[] = [];
  for (let k = a.s; k >= 1 && head.length === 0; k--) {
    // Latest start p with p + k <= a.o, no further back than the slack allows.
    for (let p = a.o - k; p >= Math.max(lo, a.o - k - EDGE_SLACK); p--) {
      if (blockAt(0, k, p)) {
        for (let i = 0; i < k; i++) head.push({ s: i, o: p + i, w: WEAK, kind: 'text' });
        break;
      }
    }
  }
  const tail: Match[] = [];
  const rest = seg.length - 1 - z.s;
  // A closer paired with a copy further on takes the file's lines between, which a marker after the
  // segment would have kept: not where those lines leave the block the copy closes (the `end` of a
  // new `unless`, paired with an `end` in the next method), nor where the closer sits deeper or
  // shallower against the chain's first line than the copy does (the `}` of a new `catch`, a level
  // deeper than the file's `}` there). Depth in columns where the rung matched lines at their own
  // depth, else in levels, each side by its own unit.
  const unitOf = (u: number | undefined) => (u && u > 0 ? u : 1);
  const levels = (cols: number, u: number | undefined) => (rung === 'exact' || rung === 'whitespace' ? cols : Math.round(cols / unitOf(u ?? index.unit)));
  const depthAgrees = (s0: number, q: number) =>
    levels(indentColumns(seg[s0]) - indentColumns(seg[a.s]), segUnit) === levels(indentColumns(index.lines[q]) - indentColumns(index.lines[a.o]), index.unit);
  const leavesItsBlock = (q: number) => index.lines.slice(z.o + 1, q).some((l) => !isBlank(l) && indentColumns(l) < indentColumns(index.lines[q]));
  const farCloser = (s0: number, q: number) => markedEnd && q > z.o + 1 && CLOSER_OR_END_TAG.test(seg[s0]) && (leavesItsBlock(q) || !depthAgrees(s0, q));
  for (let k = rest; k >= 1 && tail.length === 0; k--) {
    const s0 = seg.length - k;
    for (let q = z.o + 1; q <= Math.min(hi - k, z.o + 1 + EDGE_SLACK); q++) {
      if (blockAt(s0, k, q) && !farCloser(s0, q)) {
        for (let i = 0; i < k; i++) tail.push({ s: s0 + i, o: q + i, w: WEAK, kind: 'text' });
        break;
      }
    }
  }
  // Where only part of the leading (trailing) lines stand right there, the same lines may read line
  // for line as the file's just before (after), one or two of them edited: `/**`, a changed
  // `@typedef` line, ` */`, then the next comment the chain starts on. That reading pairs more of the
  // snippet's context than the nearest copy of its first line does.
  const lineForLine = (s0: number, n: number, o0: number, m: number, atEnd: boolean): Match[] => {
    const alt = lcsPairs(n, m, (i, j) => keys[s0 + i] === okey(o0 + j) && !own.has(s0 + i));
    if (alt.length === 0) return [];
    const [fs, fo] = alt[0];
    const [ls, lo] = alt[alt.length - 1];
    // (the edge line paired; few lines unpaired on either side within what the pairs span)
    const spanned = atEnd ? lo + 1 : m - fo;
    if ((atEnd ? ls !== n - 1 : fs !== 0) || n - alt.length > EDITED_EDGE || spanned - alt.length > EDITED_EDGE) return [];
    return alt.map(([i, j]): Match => ({ s: s0 + i, o: o0 + j, w: WEAK, kind: 'text' }));
  };
  if (a.s > 0 && head.length < a.s) {
    const o0 = Math.max(lo, a.o - a.s - 1);
    const alt = lineForLine(0, a.s, o0, a.o - o0, false);
    if (alt.length >= head.length + 2) head.splice(0, head.length, ...alt);
  }
  if (rest > 0 && tail.length < rest) {
    const o1 = Math.min(hi, z.o + 1 + rest + 1);
    const alt = lineForLine(z.s + 1, rest, z.o + 1, o1 - z.o - 1, true);
    if (alt.length >= tail.length + 2) tail.splice(0, tail.length, ...alt);
  }
  // Closers right after the last strong line that close what the snippet did not open (`  ))`
  // after a call's last arguments) are the file's closers right there, new lines after them or not.
  if (tail.length === 0) {
    for (let s = z.s + 1, o = z.o + 1; s <= last && o < hi && !isBlank(seg[s]) && isTrivial(seg[s]) && keys[s] === okey(o) && !closesOwnBlock(seg, s); s++, o++) {
      tail.push({ s, o, w: WEAK, kind: 'text' });
    }
  }
  const chain: Chain = { matches: [...head, ...first.matches, ...tail], score: first.score };
  const strength = chain.matches.filter((m) => m.w >= STRONG).length;
  const textAt = (s: number) => chain.matches.some((m) => m.s === s && m.kind === 'text');
  const edges = (textAt(0) ? 1 : 0) + (last > 0 && textAt(last) ? 1 : 0);
  const start = chain.matches[0].o;
  const end = chain.matches[chain.matches.length - 1].o;
  return { best: { rung, chain, strength, edges, start, end }, rivals: rivals.length ? [[start, end], ...rivals] : [] };
}

/** Definition matches carry more weight than any line. */
export const DEF_WEIGHT = DEF;
/** A chained line that said where it is (not a common line filled in beside one). */
export const STRONG_WEIGHT = STRONG;

/**
 * Pair up the lines between two chained matches that are equal under the rung (an LCS over a small
 * gap), so kept lines are given back with the original's exact bytes.
 */
export function fillGap(seg: string[], orig: string[], s0: number, s1: number, o0: number, o1: number, rung: Rung): [number, number][] {
  const n = s1 - s0;
  const m = o1 - o0;
  if (n <= 0 || m <= 0 || n * m > 250_000) return [];
  const key = (l: string) => lineKey(l, rung === 'exact' ? 'exact' : rung === 'whitespace' ? 'whitespace' : 'trimmed');
  const a = seg.slice(s0, s1).map(key);
  const b = orig.slice(o0, o1).map(key);
  // On a tie, a blank line of the file just before the snippet's line is the one left out, rather
  // than the snippet's line: models drop blank lines (the blank before `return true;` left out, not
  // the snippet's `return true;` read as new).
  return lcsPairs(n, m, (i, j) => a[i] === b[j], (i, j) => b[j].trim() === '' && a[i] === b[j + 1]).map(([i, j]): [number, number] => [s0 + i, o0 + j]);
}
