// What a decoder is, seen from whoever runs forward passes (the single-sequence runner or the
// scheduler): a proposer of draft tokens, told afterwards what the target accepted. Keeping
// decoders free of forward passes is what lets the scheduler batch sequences with any decoder.

export type DecoderName = 'greedy' | 'ngram' | 'speculative';

export interface ProposeContext {
  /** prompt followed by the output so far */
  tokens: readonly number[];
  promptLen: number;
}

export interface Proposer {
  readonly name: DecoderName;
  /** Draft tokens to verify after the last token (empty: plain decoding this step). */
  propose(ctx: ProposeContext, maxK: number): number[];
  /**
   * The step's outcome: `appended` tokens joined the output (accepted draft tokens followed
   * by the target's own token), their text (`text`, streamed UTF-8, may be ''), how many
   * draft tokens were proposed and accepted.
   */
  observe(appended: readonly number[], text: string, proposed: number, accepted: number): void;
}

export interface DecodeStats {
  prompt_tokens: number;
  completion_tokens: number;
  forward_passes: number;
  draft_tokens_proposed: number;
  draft_tokens_accepted: number;
  acceptance_rate: number;
  prefix_cache_hit_tokens: number;
  ttft_ms: number;
  tokens_per_second: number;
  decoder: DecoderName;
}

/** Options every runner shares. */
export interface SamplingOptions {
  maxTokens: number;
  /** stop when the target emits one of these ids (the id is not part of the text) */
  stopTokens?: number[];
  /** stop when the text contains this string (the text is cut before it) */
  stopText?: string;
  /** 0 (default): greedy; > 0: exact speculative sampling */
  temperature?: number;
  seed?: number;
}
