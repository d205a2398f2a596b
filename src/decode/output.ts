// Output bookkeeping shared by the runners: appends tokens, decodes their text (UTF-8 split
// across tokens is held back until complete), applies the stop conditions the same way for
// every decoder (so decoders that append several tokens a pass stop exactly where greedy
// does) and holds back a possible start of the stop text from the stream.
import type { SamplingOptions } from './types.js';

export interface TokenText {
  tokenBytes(id: number): Uint8Array;
}

export class OutputText {
  readonly tokens: number[] = [];
  /** output text, cut before the stop text */
  text = '';
  done = false;
  finishReason: 'stop' | 'length' | undefined;
  private emitted = 0;
  private dec = new TextDecoder('utf-8');

  constructor(private tok: TokenText, private o: SamplingOptions) {
    if (o.maxTokens <= 0) this.finish('length');
  }

  /**
   * Append the step's tokens. `raw` is their decoded text (for the proposer), `delta` the
   * text that may be streamed now.
   */
  append(ids: readonly number[]): { tokens: number[]; raw: string; delta: string } {
    const took: number[] = [];
    let raw = '';
    const stop = this.o.stopText;
    for (const id of ids) {
      if (this.done) break;
      if (this.o.stopTokens?.includes(id)) { this.finish('stop'); break; }
      took.push(id);
      this.tokens.push(id);
      const piece = this.dec.decode(this.tok.tokenBytes(id), { stream: true });
      raw += piece;
      const before = this.text.length;
      this.text += piece;
      if (stop) {
        const at = this.text.indexOf(stop, Math.max(0, before - stop.length + 1));
        if (at >= 0) { this.text = this.text.slice(0, at); this.finish('stop'); break; }
      }
      if (this.tokens.length >= this.o.maxTokens) this.finish('length');
    }
    let safe = this.text.length;
    if (!this.done && stop) {
      for (let n = Math.min(stop.length - 1, safe); n > 0; n--) {
        if (this.text.endsWith(stop.slice(0, n))) { safe -= n; break; }
      }
    }
    const delta = this.text.slice(this.emitted, Math.max(this.emitted, safe));
    this.emitted = Math.max(this.emitted, safe);
    return { tokens: took, raw, delta };
  }

  private finish(reason: 'stop' | 'length'): void {
    this.done = true;
    this.finishReason = reason;
  }
}
