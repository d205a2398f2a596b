// Plain greedy decoding: no draft, one target token per forward pass. The reference output
// every other decoder must reproduce byte for byte.
import type { Proposer } from './types.js';

export class GreedyProposer implements Proposer {
  readonly name = 'greedy' as const;
  propose(): number[] {
    return [];
  }
  observe(): void {}
}
