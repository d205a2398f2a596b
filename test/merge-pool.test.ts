// Structural merges in worker threads: same answers as in this thread, a time budget that ends a
// runaway merge (merge_too_complex), a bounded queue (429 overloaded with an honest Retry-After),
// abandoned merges dropped — and an event loop that stays free meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetFor, MergePool } from '../src/apply/merge-pool.js';
import { runStructural, type StructuralTask } from '../src/apply/structural-step.js';
import { DEFAULTS, type Config } from '../src/config.js';
import { DrainRate } from '../src/drain-rate.js';
import { startServer, type Running } from '../src/server/serve.js';

const ts = `import { a } from './a';

export function total(items: number[]): number {
  let sum = 0;
  for (const i of items) sum += i;
  return sum;
}

export function mean(items: number[]): number {
  return total(items) / items.length;
}
`;
const good: StructuralTask = {
  code: ts,
  update: `// ... existing code ...
export function mean(items: number[]): number {
  if (items.length === 0) return 0;
  return total(items) / items.length;
}
`,
  language: 'typescript',
  path: 'm.ts',
};
const refused: StructuralTask = { ...good, update: 'function nowhere() {\n  return 1;\n}\n// ... existing code ...\nconst q = 2;\n' };

// A runaway: a 5,000-line file rewritten whole by a 2,000-line snippet without markers takes
// seconds (tree-sitter and the diff over every line); the budget must end it.
const runaway: StructuralTask = {
  code: Array.from({ length: 5000 }, (_, i) => `f${i}();`).join('\n') + '\n',
  update: Array.from({ length: 2000 }, (_, i) => `f${i * 2}();`).join('\n') + '\n',
  language: 'javascript',
  path: 'r.js',
};
const BUDGET = 1000;

describe('merge pool', () => {
  // A budget no merge here reaches, however loaded the machine: these tests are about answers.
  const pool = new MergePool({ threads: 2, budgetMs: 60_000, maxQueued: 4 });
  afterAll(() => pool.close());

  it('answers as the in-thread merge does, merged and refused', async () => {
    for (const task of [good, refused]) {
      expect(await pool.run(task)).toEqual(await runStructural(task).then((o) => (o.ok ? { ...o, mergeMs: expect.any(Number) } : o)));
    }
  });

  it('refuses a merge past its budget as merge_too_complex, and the event loop stays free', async () => {
    const pool = new MergePool({ threads: 1, budgetMs: BUDGET, maxQueued: 4 });
    await pool.warm();
    let ticks = 0;
    let worstGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 10);
    const t0 = performance.now();
    const out = await pool.run(runaway);
    const took = performance.now() - t0;
    clearInterval(timer);
    expect(out).toMatchObject({ ok: false, code: 'merge_too_complex', details: { budget_ms: budgetFor(BUDGET, runaway) } });
    expect(took).toBeLessThan(BUDGET + 1000); // the budget, and not the seconds the merge would take
    expect(ticks).toBeGreaterThan(5);
    expect(worstGap).toBeLessThan(200);
    // the thread it killed is replaced: the next merge is answered
    expect(await pool.run({ ...good })).toMatchObject({ ok: true });
    await pool.close();
  });

  it('drops an abandoned merge, queued or running', async () => {
    const gone = new AbortController();
    const p = pool.run(runaway, gone.signal);
    const q = pool.run(runaway, gone.signal);
    const r = pool.run(runaway, gone.signal); // waits: both threads are busy
    setTimeout(() => gone.abort(), 50);
    for (const x of [p, q, r]) await expect(x).rejects.toMatchObject({ name: 'AbortError' });
    expect(pool.running).toBe(0);
    expect(pool.queued).toBe(0);
    const already = new AbortController();
    already.abort();
    await expect(pool.run(good, already.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(await pool.run(good)).toMatchObject({ ok: true });
  });

  it('answers 429 overloaded beyond its queue, with a Retry-After of at least a second', async () => {
    const small = new MergePool({ threads: 1, budgetMs: BUDGET, maxQueued: 2 });
    await small.warm();
    try {
      const admitted = [small.run(runaway), small.run(runaway), small.run(runaway)]; // 1 running, 2 waiting
      const over = small.run(good);
      await expect(over).rejects.toMatchObject({ status: 429, code: 'overloaded' });
      const e = await over.catch((x) => x);
      expect(e.headers()['retry-after']).toMatch(/^[1-9]\d*$/);
      // the queue bound is the only thing refused: the admitted ones are all answered
      for (const r of await Promise.all(admitted)) expect(r).toMatchObject({ code: 'merge_too_complex' });
    } finally {
      await small.close();
    }
  });
});

describe('drain rate', () => {
  it('turns completions per second into the wait for a queue', () => {
    let now = 0;
    const d = new DrainRate(8, () => now);
    expect(d.secondsFor(10)).toBeNull();
    for (let i = 0; i < 5; i++) {
      d.completed();
      now += 500; // two per second
    }
    // 4 intervals over 2 s measured at t=2.5 s: 1.6/s
    expect(d.secondsFor(8)).toBeCloseTo(5, 5);
  });
});

describe('server with a merge pool', () => {
  let server: Running;
  const config: Config = { ...DEFAULTS, port: 0, merge: { threads: 2, budgetMs: BUDGET, maxQueued: 8 } };
  beforeAll(async () => {
    server = await startServer(config);
  });
  afterAll(() => server.close());

  it('answers /healthz within 100 ms while runaway merges run, and refuses them as merge_too_complex', async () => {
    const post = (t: StructuralTask) =>
      fetch(`${server.url}/apply`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: t.code, update: t.update, path: t.path }),
      });
    expect((await post(good)).status).toBe(200); // warm the pool
    const t0 = performance.now();
    const runs = [post(runaway), post(runaway)];
    const health: number[] = [];
    for (let i = 0; i < 5; i++) {
      const h0 = performance.now();
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      health.push(performance.now() - h0);
      await new Promise((r) => setTimeout(r, 20));
    }
    const answers = await Promise.all(runs);
    const took = performance.now() - t0;
    expect(Math.max(...health)).toBeLessThan(100);
    for (const a of answers) {
      expect(a.status).toBe(422);
      expect((await a.json()).error.code).toBe('merge_too_complex');
    }
    expect(took).toBeLessThan(BUDGET + 1500);
    expect((await post(good)).status).toBe(200);
  });
});

describe('server admission', () => {
  let server: Running;
  // one thread, one waiting place, a budget long enough that only the client can end a runaway
  const config: Config = { ...DEFAULTS, port: 0, merge: { threads: 1, budgetMs: 20_000, maxQueued: 1 } };
  beforeAll(async () => {
    server = await startServer(config);
  });
  afterAll(() => server.close());
  const post = (t: StructuralTask, signal?: AbortSignal) =>
    fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: t.code, update: t.update, path: t.path }), signal });

  // tens of seconds of work (the runaway, four times larger)
  const slow: StructuralTask = {
    code: Array.from({ length: 20_000 }, (_, i) => `f${i}();`).join('\n') + '\n',
    update: Array.from({ length: 8000 }, (_, i) => `f${i * 2}();`).join('\n') + '\n',
    language: 'javascript',
    path: 'r.js',
  };

  it('answers 429 overloaded with Retry-After beyond the queue; a client that leaves frees its place at once', async () => {
    const gone = new AbortController();
    const running = post(slow, gone.signal).catch(() => null);
    const waiting = post(slow, gone.signal).catch(() => null);
    await new Promise((r) => setTimeout(r, 300));
    const over = await post(good);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect((await over.json()).error).toMatchObject({ code: 'overloaded' });

    gone.abort(); // both clients leave: the running merge is abandoned, the waiting one dropped
    await Promise.all([running, waiting]);
    const t0 = performance.now();
    const next = await post(good);
    expect(next.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(8000); // a fresh thread's start, not the tens of seconds left of the merge
  }, 60_000);
});
