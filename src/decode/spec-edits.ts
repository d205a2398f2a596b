// Speculative edits: the draft is text the output will mostly repeat (the original file, or
// the structural merge candidate, and the update snippet). The pointer into each source lives
// in character space, and draft tokens are re-tokenized from it at every step, because the
// tokens at an edit boundary rarely line up with the source's own tokenization.
//
// Aligned: the output since the last alignment equals source[start, ptr); propose the next k
// tokens of source[ptr...]. Any output text that is not source[ptr...] makes us diverge;
// then we decode plainly until the last few generated tokens occur exactly once at or after
// the pointer of some source (pointers only move forward), and speculate again from there.
import type { ProposeContext, Proposer } from './types.js';
import { EditScript } from './edit-script.js';

export interface SpecEditsTokenizer {
  encode(text: string, opts?: { special?: boolean; addBos?: boolean }): number[];
}

export interface SpecEditsOptions {
  /** first span length after (re-)alignment (default 16) */
  kInit?: number;
  kMin?: number;
  /** longest span (default 64): unchanged stretches verify in few passes; on a CPU a pass of
   *  k tokens stops costing about one decode step somewhere past k = 20-40 */
  kMax?: number;
  /** trailing tokens that must match to re-align (default 4; longer tails break ties) */
  matchTokens?: number;
  /**
   * Text of output tokens for alignment, in place of the streamed UTF-8 (tests use a
   * one-character-per-token codec: random models emit invalid UTF-8 and token sequences no
   * tokenizer would produce, which a trained model's output does not).
   */
  textOf?: (ids: readonly number[]) => string;
}

export interface SpecEditsCounters {
  realignments: number;
  divergences: number;
}

export class SpecEditsProposer implements Proposer {
  readonly name = 'speculative' as const;
  readonly counters: SpecEditsCounters = { realignments: 0, divergences: 0 };
  /** the output against the main draft: kept, inserted, deleted (the diff without a second alignment) */
  readonly edits = new EditScript();
  private ptr: number[];
  /** index of the source we follow, or -1 while diverged */
  private active = 0;
  private k: number;
  private readonly kInit: number;
  private readonly kMin: number;
  private readonly kMax: number;
  private readonly matchTokens: number;
  /** text of each output token, for re-alignment on token boundaries */
  private pieces: string[] = [];
  private textOf?: (ids: readonly number[]) => string;

  /** `sources[0]` is the main draft (it starts aligned); the rest are second sources. */
  constructor(private tok: SpecEditsTokenizer, private sources: string[], o: SpecEditsOptions = {}) {
    this.kInit = o.kInit ?? 16;
    this.kMin = o.kMin ?? 2;
    this.kMax = o.kMax ?? 64;
    this.matchTokens = o.matchTokens ?? 4;
    this.textOf = o.textOf;
    this.k = this.kInit;
    this.ptr = sources.map(() => 0);
    if (!sources.length) this.active = -1;
  }

  /** Where the pointer of source `i` stands (characters). */
  pointer(i = 0): number {
    return this.ptr[i];
  }

  get aligned(): boolean {
    return this.active >= 0;
  }

  propose(_ctx: ProposeContext, maxK: number): number[] {
    const k = Math.min(this.k, maxK);
    if (this.active < 0 || k <= 0) return [];
    const src = this.sources[this.active], p = this.ptr[this.active];
    if (p >= src.length) return [];
    // ~6 characters a token is generous for code; the last token of a window cut short may be
    // a fragment of a longer token, so it is dropped unless the window reached the end
    const end = Math.min(src.length, p + k * 6 + 16);
    const ids = this.tok.encode(src.slice(p, end), { special: false, addBos: false });
    if (end < src.length && ids.length > 1) ids.pop();
    return ids.slice(0, k);
  }

  observe(appended: readonly number[], streamed: string, proposed: number, accepted: number): void {
    const text = this.textOf ? this.textOf(appended) : streamed;
    if (proposed > 0) {
      // full acceptance: an unchanged stretch, span can grow; a miss: stay short for a while
      this.k = accepted === proposed ? Math.min(this.kMax, this.k * 2) : Math.max(this.kMin, Math.min(this.k >> 1, accepted + 1));
    }
    if (this.textOf) for (const id of appended) this.pieces.push(this.textOf([id]));
    else if (appended.length) this.pieces.push(text);
    if (this.pieces.length > 8 * this.matchTokens) this.pieces.splice(0, this.pieces.length - 4 * this.matchTokens); // only the tail is ever read
    if (this.active >= 0) {
      const src = this.sources[this.active], p = this.ptr[this.active];
      if (src.startsWith(text, p)) {
        this.ptr[this.active] = p + text.length;
        if (this.active === 0) this.edits.keep(text); else this.edits.ins(text);
        return;
      }
      // keep the pointer where the agreement ended: the part after it is new text
      let n = 0;
      while (n < text.length && src.charCodeAt(p + n) === text.charCodeAt(n)) n++;
      this.ptr[this.active] = p + n;
      if (this.active === 0) { this.edits.keep(text.slice(0, n)); this.edits.ins(text.slice(n)); } else this.edits.ins(text);
      this.active = -1;
      this.counters.divergences++;
    } else {
      this.edits.ins(text);
    }
    this.realign();
  }

  /** Follow source `s` again: the output's last `len` characters are its text at `at`. */
  private alignAt(s: number, at: number, len: number): void {
    if (s === 0) {
      // the matched tail was draft text after all; the draft skipped over was deleted
      const kept = Math.min(len, this.edits.trailingInserted());
      this.edits.realign(kept, this.sources[0].slice(this.ptr[0], at + len - kept));
    }
    this.active = s;
    this.ptr[s] = at + len;
    this.k = this.kInit;
    this.counters.realignments++;
  }

  /** Find the trailing output text at exactly one place at or after a source's pointer. */
  private realign(): void {
    const maxN = Math.min(this.pieces.length, this.matchTokens * 4);
    let tail = '';
    let n = 0;
    for (; n < this.matchTokens - 1 && n < maxN; n++) tail = this.pieces[this.pieces.length - 1 - n] + tail;
    for (; n < maxN; n++) {
      tail = this.pieces[this.pieces.length - 1 - n] + tail;
      if (tail.trim().length < 3) continue; // whitespace alone matches everywhere
      let anyHit = false;
      for (let s = 0; s < this.sources.length; s++) {
        const src = this.sources[s];
        const first = src.indexOf(tail, this.ptr[s]);
        if (first < 0) continue;
        anyHit = true;
        if (src.indexOf(tail, first + 1) >= 0) continue; // ambiguous: a longer tail decides
        this.alignAt(s, first, tail.length);
        return;
      }
      if (!anyHit) return; // a longer tail cannot match where this one does not
    }
    // still ambiguous at the longest tail (a run of repeated lines): the nearest occurrence
    // after the pointer is the natural continuation, and the pointer still only moves forward
    if (maxN >= this.matchTokens * 4 && tail.trim().length >= 3) {
      for (let s = 0; s < this.sources.length; s++) {
        const at = this.sources[s].indexOf(tail, this.ptr[s]);
        if (at < 0) continue;
        this.alignAt(s, at, tail.length);
        return;
      }
    }
  }
}
