// Decoders by name, as the API and the benchmark choose them.
import { GreedyProposer } from './greedy.js';
import { NgramProposer, type NgramOptions } from './ngram.js';
import { SpecEditsProposer, type SpecEditsOptions, type SpecEditsTokenizer } from './spec-edits.js';
import type { DecoderName, Proposer } from './types.js';

export * from './types.js';
export { GreedyProposer, NgramProposer, SpecEditsProposer };
export { runSequence, type RunOptions, type RunResult } from './run.js';

export interface ProposerSpec {
  decoder: DecoderName;
  tokenizer: SpecEditsTokenizer;
  /** draft texts for speculative edits: main draft first */
  drafts?: string[];
  ngram?: NgramOptions;
  spec?: SpecEditsOptions;
}

export function makeProposer(s: ProposerSpec): Proposer {
  switch (s.decoder) {
    case 'greedy': return new GreedyProposer();
    case 'ngram': return new NgramProposer(s.ngram);
    case 'speculative': return new SpecEditsProposer(s.tokenizer, s.drafts ?? [], s.spec);
  }
}
