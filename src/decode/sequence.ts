// A request inside the scheduler (nano-vllm's sequence): its tokens (prompt then output),
// how many of them have KV in the cache, its block table, its decoder and output so far.
// Preemption drops the cache state but keeps the tokens, so recompute continues the output.
import type { Proposer, DecodeStats, SamplingOptions } from './types.js';
import { OutputText, type TokenText } from './output.js';
import { emptyStats } from './run.js';
import { Rng } from './verify.js';
import type { BlockOwner } from '../engine/block-manager.js';

export type SeqStatus = 'waiting' | 'running' | 'finished';

export interface SequenceOptions extends SamplingOptions {
  onDelta?: (text: string) => void;
  /** teacher forcing (benchmark only) */
  pick?: (outIndex: number, argmax: number) => number;
}

let nextId = 1;

export class Sequence implements BlockOwner {
  readonly id = nextId++;
  readonly tokens: number[];
  readonly promptLen: number;
  /** tokens whose KV is in the cache; the token after them is always the next input */
  cached = 0;
  blockTable: number[] = [];
  blockHashes: string[] = [];
  status: SeqStatus = 'waiting';
  readonly out: OutputText;
  readonly stats: DecodeStats;
  readonly rng: Rng;
  readonly temperature: number;
  readonly t0 = performance.now();
  preemptions = 0;

  constructor(prompt: readonly number[], readonly proposer: Proposer, tok: TokenText, readonly o: SequenceOptions) {
    if (!prompt.length) throw new RangeError('empty prompt');
    this.tokens = prompt.slice();
    this.promptLen = prompt.length;
    this.out = new OutputText(tok, o);
    this.stats = emptyStats(proposer.name, prompt.length);
    this.rng = new Rng(o.seed ?? 0);
    this.temperature = o.temperature ?? 0;
  }

  /** tokens still to be fed before the sequence can produce its next token */
  get pending(): number {
    return this.tokens.length - this.cached;
  }

  /** draft tokens past max_tokens would be thrown away */
  get draftRoom(): number {
    return Math.max(0, this.o.maxTokens - this.out.tokens.length - 1);
  }

  /** positions the sequence can ever occupy: the bound a KV pool must fit */
  get maxPositions(): number {
    return this.promptLen + this.o.maxTokens;
  }
}
