// KV block allocation, owned by TypeScript: the native side only reads and writes through
// the block tables it is given. Reference counts let sequences share prefix blocks; a
// shared block is copied (copy-on-write) before a sequence writes into it.
export class BlockAllocator {
  private free: number[] = [];
  private refs: Int32Array;

  constructor(readonly numBlocks: number, readonly blockSize: number) {
    this.refs = new Int32Array(numBlocks);
    for (let i = numBlocks - 1; i >= 0; i--) this.free.push(i);
  }

  get numFree(): number {
    return this.free.length;
  }

  /** Blocks needed to hold `tokens` tokens. */
  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  allocate(n: number): number[] {
    if (n > this.free.length) throw new Error(`KV cache full: need ${n} blocks, ${this.free.length} free`);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = this.free.pop()!;
      this.refs[b] = 1;
      out.push(b);
    }
    return out;
  }

  /** Another holder of the same block (prefix sharing). */
  retain(block: number): void {
    if (this.refs[block] <= 0) throw new Error(`block ${block} is not allocated`);
    this.refs[block]++;
  }

  refCount(block: number): number {
    return this.refs[block];
  }

  release(blocks: Iterable<number>): void {
    for (const b of blocks) {
      if (this.refs[b] <= 0) throw new Error(`block ${b} freed twice`);
      if (--this.refs[b] === 0) this.free.push(b);
    }
  }

  /** Make `table` long enough for `tokens` tokens, allocating at the end. */
  grow(table: number[], tokens: number): void {
    const need = this.blocksFor(tokens) - table.length;
    if (need > 0) table.push(...this.allocate(need));
  }
}
