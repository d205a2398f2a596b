// KV blocks for the scheduler (nano-vllm's block_manager): reference counts, and a prefix
// cache keyed by the hash of each full block chained with its prefix's hash, so a request
// that starts like an earlier one (the same file re-applied) maps its blocks instead of
// prefilling them. Freed blocks keep their hash until reused, oldest freed first, so the
// cache survives as long as memory allows. Owns all block ids of its engine: do not mix with
// Engine.blocks on the same engine.
import { createHash } from 'node:crypto';

/** What the manager needs to know of a sequence. */
export interface BlockOwner {
  blockTable: number[];
  /** chained hashes of the leading full blocks already registered or mapped */
  blockHashes: string[];
}

export class BlockManager {
  private refs: Int32Array;
  /** free blocks in the order they were freed (Set keeps insertion order): oldest reused first */
  private free = new Set<number>();
  private hashOf: (string | undefined)[];
  private byHash = new Map<string, number>();
  private tokensOf: (Int32Array | undefined)[];

  constructor(readonly numBlocks: number, readonly blockSize: number) {
    this.refs = new Int32Array(numBlocks);
    this.hashOf = new Array(numBlocks).fill(undefined);
    this.tokensOf = new Array(numBlocks).fill(undefined);
    for (let i = 0; i < numBlocks; i++) this.free.add(i);
  }

  get numFree(): number {
    return this.free.size;
  }

  refCount(b: number): number {
    return this.refs[b];
  }

  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  static chain(prev: string, tokens: ArrayLike<number>): string {
    const h = createHash('sha1').update(prev);
    h.update(new Uint8Array(Int32Array.from(tokens as ArrayLike<number>).buffer));
    return h.digest('hex');
  }

  private take(): number {
    const b = this.free.values().next().value as number;
    this.free.delete(b);
    const h = this.hashOf[b];
    if (h !== undefined) {
      // its cached content is about to be overwritten
      if (this.byHash.get(h) === b) this.byHash.delete(h);
      this.hashOf[b] = undefined;
      this.tokensOf[b] = undefined;
    }
    this.refs[b] = 1;
    return b;
  }

  /**
   * Map the longest cached prefix of `tokens`, at most `limit` tokens, into an empty owner.
   * Returns the number of tokens whose KV is now in place.
   */
  matchPrefix(owner: BlockOwner, tokens: readonly number[], limit: number): number {
    const bs = this.blockSize;
    let prev = '';
    for (let i = 0; (i + 1) * bs <= limit; i++) {
      const slice = tokens.slice(i * bs, (i + 1) * bs);
      const h = BlockManager.chain(prev, slice);
      const b = this.byHash.get(h);
      // the stored tokens guard against a hash collision
      if (b === undefined || !this.tokensOf[b]!.every((t, j) => t === slice[j])) break;
      if (this.refs[b] === 0) this.free.delete(b);
      this.refs[b]++;
      owner.blockTable.push(b);
      owner.blockHashes.push(h);
      prev = h;
    }
    return owner.blockTable.length * bs;
  }

  /** Grow the owner's table to hold `tokens` tokens; false (nothing taken) if blocks are short. */
  ensure(owner: BlockOwner, tokens: number): boolean {
    const need = this.blocksFor(tokens) - owner.blockTable.length;
    if (need <= 0) return true;
    if (need > this.free.size) return false;
    for (let i = 0; i < need; i++) owner.blockTable.push(this.take());
    return true;
  }

  /** Register the owner's full blocks among its first `committed` tokens in the prefix cache. */
  register(owner: BlockOwner, tokens: readonly number[], committed: number): void {
    const bs = this.blockSize, full = Math.floor(committed / bs);
    for (let i = owner.blockHashes.length; i < full; i++) {
      const slice = tokens.slice(i * bs, (i + 1) * bs);
      const h = BlockManager.chain(i ? owner.blockHashes[i - 1] : '', slice);
      owner.blockHashes.push(h);
      const b = owner.blockTable[i];
      if (this.byHash.has(h) || this.hashOf[b] !== undefined) continue; // another copy is cached already
      this.byHash.set(h, b);
      this.hashOf[b] = h;
      this.tokensOf[b] = Int32Array.from(slice);
    }
  }

  /** Drop the owner's blocks (finished, cancelled or preempted). */
  release(owner: BlockOwner): void {
    for (const b of owner.blockTable) {
      if (this.refs[b] <= 0) throw new Error(`block ${b} freed twice`);
      if (--this.refs[b] === 0) this.free.add(b);
    }
    owner.blockTable = [];
    owner.blockHashes = [];
  }
}
