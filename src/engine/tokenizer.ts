// Byte-level BPE tokenizer (GGUF `tokenizer.ggml.model = gpt2`) built from the GGUF
// metadata: special tokens are cut out first, the rest is split by the pre-tokenizer
// regex, each piece's UTF-8 bytes are mapped to the GPT-2 printable code points and
// merged by rank.
import { GGUFError, type GGUFFile, getMeta } from './gguf.js';

/** GPT-2 byte → code point table: printable bytes map to themselves, the rest to 256, 257, … */
export const BYTE_TO_CHAR: string[] = (() => {
  const table: string[] = new Array(256);
  let extra = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : extra++);
  }
  return table;
})();
const CHAR_TO_BYTE = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, b]));

const CONTRACTIONS = `'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]`;
/** Pre-tokenizer splits by `tokenizer.ggml.pre` (inline (?i:) groups expanded: Node 20's RegExp lacks them). */
export const PRE_TOKENIZERS: Record<string, RegExp> = {
  qwen2: new RegExp(`${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`, 'gu'),
  'llama-bpe': new RegExp(`${CONTRACTIONS}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`, 'gu'),
};

export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface TokenizerData {
  tokens: string[];
  tokenTypes?: number[];
  merges: string[];
  pre: string;
  bos?: number;
  eos?: number;
  addBos?: boolean;
  chatTemplate?: string;
  /** a pre-token that is itself in the vocabulary is one token, merges not applied (llama 3) */
  ignoreMerges?: boolean;
}

export class Tokenizer {
  readonly tokens: string[];
  readonly bos?: number;
  readonly eos?: number;
  readonly addBos: boolean;
  readonly chatTemplate?: string;
  private ids = new Map<string, number>();
  private ranks = new Map<string, number>();
  private split: RegExp;
  private ignoreMerges: boolean;
  private special: RegExp | null;
  private specialIds = new Map<string, number>();
  private isSpecial: Uint8Array;
  private cache = new Map<string, number[]>();
  private enc = new TextEncoder();
  private dec = new TextDecoder('utf-8');

  constructor(d: TokenizerData) {
    this.tokens = d.tokens;
    this.bos = d.bos;
    this.eos = d.eos;
    this.addBos = d.addBos ?? false;
    this.chatTemplate = d.chatTemplate;
    const split = PRE_TOKENIZERS[d.pre];
    if (!split) throw new GGUFError(`unsupported tokenizer.ggml.pre "${d.pre}" (supported: ${Object.keys(PRE_TOKENIZERS).join(', ')})`);
    this.split = split;
    this.ignoreMerges = d.ignoreMerges ?? d.pre === 'llama-bpe';
    this.isSpecial = new Uint8Array(d.tokens.length);
    d.tokens.forEach((t, i) => {
      const ty = d.tokenTypes?.[i] ?? TokenType.NORMAL;
      if (ty === TokenType.CONTROL || ty === TokenType.USER_DEFINED) {
        this.specialIds.set(t, i);
        this.isSpecial[i] = 1;
      } else if (ty !== TokenType.UNUSED && !this.ids.has(t)) {
        this.ids.set(t, i);
      }
    });
    d.merges.forEach((m, i) => this.ranks.set(m, i));
    const specials = [...this.specialIds.keys()].sort((a, b) => b.length - a.length);
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.special = specials.length ? new RegExp(specials.map(esc).join('|'), 'g') : null;
  }

  static fromGGUF(g: GGUFFile): Tokenizer {
    const model = getMeta(g, 'tokenizer.ggml.model');
    if (model !== 'gpt2') throw new GGUFError(`unsupported tokenizer.ggml.model "${String(model)}" (only gpt2 byte-level BPE)`);
    const tokens = getMeta(g, 'tokenizer.ggml.tokens');
    if (!Array.isArray(tokens)) throw new GGUFError('missing metadata key tokenizer.ggml.tokens');
    const num = (k: string) => { const v = getMeta(g, k); return v === undefined ? undefined : Number(v); };
    return new Tokenizer({
      tokens: tokens as string[],
      tokenTypes: (getMeta(g, 'tokenizer.ggml.token_type') as number[] | undefined) ?? undefined,
      merges: (getMeta(g, 'tokenizer.ggml.merges') as string[] | undefined) ?? [],
      pre: String(getMeta(g, 'tokenizer.ggml.pre') ?? 'qwen2'),
      bos: num('tokenizer.ggml.bos_token_id'),
      eos: num('tokenizer.ggml.eos_token_id'),
      addBos: getMeta(g, 'tokenizer.ggml.add_bos_token') === true,
      chatTemplate: getMeta(g, 'tokenizer.chat_template') as string | undefined,
    });
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  /** Encode text; special-token strings become their ids unless `special` is false. */
  encode(text: string, opts: { special?: boolean; addBos?: boolean } = {}): number[] {
    const out: number[] = [];
    if ((opts.addBos ?? this.addBos) && this.bos !== undefined) out.push(this.bos);
    if (opts.special === false || !this.special) {
      this.encodeOrdinary(text, out);
      return out;
    }
    let last = 0;
    for (const m of text.matchAll(this.special)) {
      this.encodeOrdinary(text.slice(last, m.index), out);
      out.push(this.specialIds.get(m[0])!);
      last = m.index! + m[0].length;
    }
    this.encodeOrdinary(text.slice(last), out);
    return out;
  }

  private encodeOrdinary(text: string, out: number[]): void {
    if (!text) return;
    for (const m of text.matchAll(this.split)) {
      const piece = m[0];
      let ids = this.cache.get(piece);
      if (!ids) {
        ids = this.bpe(piece);
        if (this.cache.size > 50_000) this.cache.clear();
        this.cache.set(piece, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  /** Merge one pre-token: repeatedly apply the lowest-ranked adjacent pair everywhere it occurs. */
  private bpe(piece: string): number[] {
    let syms = Array.from(this.enc.encode(piece), (b) => BYTE_TO_CHAR[b]);
    if (this.ignoreMerges) {
      const whole = this.ids.get(syms.join(''));
      if (whole !== undefined) return [whole];
    }
    while (syms.length > 1) {
      let best = Infinity, bestL = '', bestR = '';
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.ranks.get(syms[i] + ' ' + syms[i + 1]);
        if (r !== undefined && r < best) { best = r; bestL = syms[i]; bestR = syms[i + 1]; }
      }
      if (best === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === bestL && syms[i + 1] === bestR) { next.push(bestL + bestR); i++; }
        else next.push(syms[i]);
      }
      syms = next;
    }
    const ids: number[] = [];
    for (const s of syms) {
      const id = this.ids.get(s);
      if (id !== undefined) { ids.push(id); continue; }
      // a symbol the vocabulary lacks: fall back to its single bytes (every byte-level vocab has them)
      for (const ch of s) {
        const bid = this.ids.get(ch);
        if (bid === undefined) throw new Error(`tokenizer: vocabulary has no token for byte ${CHAR_TO_BYTE.get(ch)}`);
        ids.push(bid);
      }
    }
    return ids;
  }

  /** Bytes a token stands for (special tokens: their text). */
  tokenBytes(id: number): Uint8Array {
    const t = this.tokens[id];
    if (t === undefined) throw new RangeError(`token id ${id} out of range`);
    if (this.isSpecial[id]) return this.enc.encode(t);
    const bytes = new Uint8Array(t.length);
    let n = 0;
    for (const ch of t) {
      const b = CHAR_TO_BYTE.get(ch);
      if (b === undefined) return this.enc.encode(t); // not byte-mapped text: emit as is
      bytes[n++] = b;
    }
    return bytes.subarray(0, n);
  }

  decode(ids: number[]): string {
    const parts = ids.map((id) => this.tokenBytes(id));
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    return this.dec.decode(all);
  }
}

/**
 * Learn `n` merges from a corpus with the given pre-tokenizer (plain BPE training,
 * ties broken by the pair's string): used to make tiny but real vocabularies.
 */
export function trainBPE(corpus: string, n: number, pre = 'qwen2'): string[] {
  const enc = new TextEncoder();
  const words = new Map<string, number>();
  for (const m of corpus.matchAll(PRE_TOKENIZERS[pre])) words.set(m[0], (words.get(m[0]) ?? 0) + 1);
  let seqs = [...words].map(([w, c]) => ({ syms: Array.from(enc.encode(w), (b) => BYTE_TO_CHAR[b]), c }));
  const merges: string[] = [];
  while (merges.length < n) {
    const counts = new Map<string, number>();
    for (const { syms, c } of seqs) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] + ' ' + syms[i + 1];
        counts.set(k, (counts.get(k) ?? 0) + c);
      }
    }
    let best = '', bestC = 0;
    for (const [k, c] of counts) if (c > bestC || (c === bestC && k < best)) { best = k; bestC = c; }
    if (bestC < 2) break;
    merges.push(best);
    const [l, r] = best.split(' ');
    seqs = seqs.map(({ syms, c }) => {
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === l && syms[i + 1] === r) { next.push(l + r); i++; } else next.push(syms[i]);
      }
      return { syms: next, c };
    });
  }
  return merges;
}
