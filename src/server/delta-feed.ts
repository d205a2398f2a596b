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

export interface LiveRun<T> {
  work: Promise<T>;
  /** the feed, when a delta came before the answer settled: stream it; else answer whole */
  live: DeltaFeed | undefined;
  /** stop the run (the client left mid-stream): the scheduler frees its sequence */
  cancel: () => void;
}

/**
 * Start an answer that may stream (a model's) and, when the client wants a stream, wait for
 * whichever comes first: its first delta, or the settled answer (a structural merge, a refusal,
 * an error), which is then answered whole.
 */
export async function startLive<T>(
  wantsStream: boolean,
  clientSignal: AbortSignal,
  run: (o: { onDelta?: (text: string) => void; signal: AbortSignal }) => Promise<T>,
): Promise<LiveRun<T>> {
  const feed = wantsStream ? new DeltaFeed() : undefined;
  const stop = new AbortController();
  const work = run({ onDelta: feed?.push, signal: AbortSignal.any([clientSignal, stop.signal]) });
  void work.then(() => feed?.close(), () => feed?.close());
  const first = feed !== undefined && (await Promise.race([work.then(() => false, () => false), feed.first.then(() => true)]));
  return { work, live: first ? feed : undefined, cancel: () => stop.abort() };
}

/** Write the deltas as they come until the answer settles; false when the client left first. */
export async function pump(feed: DeltaFeed, write: (text: string) => Promise<unknown>, aborted: () => boolean): Promise<boolean> {
  for (;;) {
    const text = feed.take();
    if (text) await write(text);
    if (aborted()) return false;
    if (feed.done && !text) return true;
    await feed.next();
  }
}
