// The edit as speculative edits saw it: accepted draft text is kept, generated text inserted,
// draft text skipped by a re-alignment deleted. Turned into a unified diff without a second
// alignment of the two files; the caller checks that the script rebuilds both files (and
// falls back to a diff algorithm if it does not).
export type EditOp = { op: 'keep' | 'ins' | 'del'; text: string };

export class EditScript {
  readonly ops: EditOp[] = [];

  private push(op: EditOp['op'], text: string): void {
    if (!text) return;
    const last = this.ops[this.ops.length - 1];
    if (last && last.op === op) last.text += text;
    else this.ops.push({ op, text });
  }
  keep(t: string): void { this.push('keep', t); }
  ins(t: string): void { this.push('ins', t); }
  del(t: string): void { this.push('del', t); }

  /** Inserted characters at the end of the script (what a re-alignment can turn into kept). */
  trailingInserted(): number {
    const last = this.ops[this.ops.length - 1];
    return last && last.op === 'ins' ? last.text.length : 0;
  }

  /**
   * A re-alignment: the last `n` inserted characters were draft text after all (n <=
   * trailingInserted()), and the draft text `skipped` before them was deleted.
   */
  realign(n: number, skipped: string): void {
    const last = n > 0 ? this.ops.pop()! : undefined;
    if (last) this.push('ins', last.text.slice(0, last.text.length - n));
    this.push('del', skipped);
    if (last) this.push('keep', last.text.slice(last.text.length - n));
  }

  /**
   * Clip the script to the final files: the old side to `oldLen` characters (the draft minus
   * its closing tag), the new side to `newLen` (the output cut at the stop text).
   */
  clip(oldLen: number, newLen: number, oldTail: string): EditScript {
    const out = new EditScript();
    let o = 0, n = 0;
    for (const { op, text } of this.ops) {
      if (op === 'ins') { const t = text.slice(0, Math.max(0, newLen - n)); out.ins(t); n += t.length; continue; }
      if (op === 'del') { const t = text.slice(0, Math.max(0, oldLen - o)); out.del(t); o += t.length; continue; }
      const both = Math.max(0, Math.min(text.length, oldLen - o, newLen - n));
      out.keep(text.slice(0, both));
      const rest = text.slice(both);
      const d = rest.slice(0, Math.max(0, oldLen - o - both)), i = rest.slice(0, Math.max(0, newLen - n - both));
      out.del(d); out.ins(i);
      o += both + d.length; n += both + i.length;
    }
    if (o < oldLen) out.del(oldTail.slice(o, oldLen));
    return out;
  }

  oldText(): string { return this.ops.filter((x) => x.op !== 'ins').map((x) => x.text).join(''); }
  newText(): string { return this.ops.filter((x) => x.op !== 'del').map((x) => x.text).join(''); }
}

/** Lines with their terminators. */
function lines(t: string): string[] {
  return t.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function lineOf(starts: number[], offset: number): number {
  // number of line starts <= offset, minus one: the line holding `offset`
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) { const m = (lo + hi + 1) >> 1; if (starts[m] <= offset) lo = m; else hi = m - 1; }
  return lo;
}

/** Unified diff (`a/`/`b/` headers, 3 lines of context) from an edit script. */
export function scriptDiff(path: string | undefined, s: EditScript, context = 3): string {
  const oldT = s.oldText(), newT = s.newText();
  if (oldT === newT) return '';
  const oldL = lines(oldT), newL = lines(newT);
  const starts = (ls: string[]) => { const a = [0]; for (const l of ls) a.push(a[a.length - 1] + l.length); return a; };
  const oS = starts(oldL), nS = starts(newL);
  // changed regions in character offsets, widened to whole lines (kept text around a change is
  // the same on both sides, so both sides widen by the same amount), merged where they touch
  const regions: { o0: number; o1: number; n0: number; n1: number }[] = [];
  let o = 0, n = 0, cur: { o0: number; o1: number; n0: number; n1: number } | null = null;
  const close = () => {
    if (!cur) return;
    // a change at the very end of a last line without newline belongs to that line
    const line = cur.o0 === oldT.length && oldL.length && !oldT.endsWith('\n') ? oldL.length - 1 : lineOf(oS, cur.o0);
    const lo = oS[line], back = cur.o0 - lo;
    cur.o0 = lo; cur.n0 -= back;
    const atLineStart = (cur.o1 === 0 || oldT[cur.o1 - 1] === '\n') && (cur.n1 === 0 || newT[cur.n1 - 1] === '\n');
    const nextNl = atLineStart ? cur.o1 : (() => { const i = oldT.indexOf('\n', cur!.o1); return i < 0 ? oldT.length : i + 1; })();
    const fwd = nextNl - cur.o1;
    cur.o1 = nextNl; cur.n1 += fwd;
    const prev = regions[regions.length - 1];
    if (prev && cur.o0 < prev.o1) { prev.o1 = Math.max(prev.o1, cur.o1); prev.n1 = Math.max(prev.n1, cur.n1); }
    else regions.push(cur);
    cur = null;
  };
  for (const { op, text } of s.ops) {
    if (op === 'keep') {
      close();
      o += text.length; n += text.length;
      continue;
    }
    if (!cur) cur = { o0: o, o1: o, n0: n, n1: n };
    if (op === 'del') o += text.length; else n += text.length;
    cur.o1 = o; cur.n1 = n;
  }
  close();
  // regions to line ranges, then hunks with context
  type R = { a: number; b: number; c: number; d: number };
  const rs: R[] = regions.map((r) => ({ a: lineOf(oS, r.o0), b: r.o1 >= oldT.length ? oldL.length : lineOf(oS, r.o1), c: lineOf(nS, r.n0), d: r.n1 >= newT.length ? newL.length : lineOf(nS, r.n1) }));
  let out = `--- a/${path ?? 'file'}\n+++ b/${path ?? 'file'}\n`;
  const noNl = (l: string) => (l.endsWith('\n') ? '' : '\n\\ No newline at end of file');
  for (let i = 0; i < rs.length;) {
    let j = i;
    while (j + 1 < rs.length && rs[j + 1].a - rs[j].b <= 2 * context) j++;
    const a0 = Math.max(0, rs[i].a - context), shift = rs[i].a - a0;
    const c0 = rs[i].c - shift;
    const a1 = Math.min(oldL.length, rs[j].b + context), c1 = rs[j].d + (a1 - rs[j].b);
    const body: string[] = [];
    let oi = a0;
    for (let k = i; k <= j; k++) {
      for (; oi < rs[k].a; oi++) body.push(' ' + oldL[oi].replace(/\n$/, '') + noNl(oldL[oi]));
      for (let x = rs[k].a; x < rs[k].b; x++) body.push('-' + oldL[x].replace(/\n$/, '') + noNl(oldL[x]));
      for (let x = rs[k].c; x < rs[k].d; x++) body.push('+' + newL[x].replace(/\n$/, '') + noNl(newL[x]));
      oi = rs[k].b;
    }
    for (; oi < a1; oi++) body.push(' ' + oldL[oi].replace(/\n$/, '') + noNl(oldL[oi]));
    const ol = a1 - a0, nl = c1 - c0;
    out += `@@ -${ol ? a0 + 1 : a0},${ol} +${nl ? c0 + 1 : c0},${nl} @@\n` + body.join('\n') + '\n';
    i = j + 1;
  }
  return out;
}
