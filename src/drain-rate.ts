// How fast a queue drains, measured: what an honest Retry-After is computed from.
import { performance } from 'node:perf_hooks';

/** Completions per second over the last few dozen: how long a queue of a given length takes to drain. */
export class DrainRate {
  private readonly times: number[] = [];
  constructor(private readonly window = 64, private readonly now = () => performance.now()) {}
  completed(): void {
    this.times.push(this.now());
    if (this.times.length > this.window) this.times.shift();
  }
  /** Seconds until `waiting` more complete; null before there is a measure. */
  secondsFor(waiting: number): number | null {
    if (this.times.length < 2) return null;
    const span = (this.now() - this.times[0]) / 1000;
    if (span <= 0) return null;
    return waiting / ((this.times.length - 1) / span);
  }
}
