// Text deltas from a running model answer to the SSE writer: the producer (the engine's
// onDelta) never waits; the writer takes what has accumulated and waits for more, so a slow
// client gets larger deltas instead of holding the decoder back.

export class DeltaFeed {
  private parts: string[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private resolveFirst!: () => void;
  /** resolves at the first non-empty delta */
  readonly first = new Promise<void>((r) => { this.resolveFirst = r; });

  readonly push = (text: string): void => {
    if (!text || this.closed) return;
    this.parts.push(text);
    this.resolveFirst();
    this.wake?.();
  };

  /** everything pushed since the last take */
  take(): string {
    const s = this.parts.join('');
    this.parts = [];
    return s;
  }

  /** no more deltas will come (the answer settled); wakes a waiting writer */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  get done(): boolean { return this.closed; }

  /** resolves at the next push or at close */
  next(): Promise<void> {
    if (this.parts.length || this.closed) return Promise.resolve();
    return new Promise((r) => { this.wake = () => { this.wake = undefined; r(); }; });
  }
}
