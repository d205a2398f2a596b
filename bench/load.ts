// npm run bench:load — the server under load, as an operator would measure it: realistic merges
// (a 300- and a 3,000-line file) at concurrency 1/8/32/128, JSON and SSE, through autocannon;
// meanwhile /healthz is probed every 50 ms. Then runaway merges with the probe running, and
// (--soak S) a long run watching the server's memory.
//
// Reports throughput, latency p50/p99, errors (non-2xx included), /healthz p50/p99, the server's
// event-loop delay p99 (from its /metrics, reset at each scrape) and its RSS.
//
//   npm run bench:load [-- --duration 10] [--quick] [--soak 180] [--json FILE]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const USAGE = `Usage: npm run bench:load -- [--duration S] [--quick] [--soak S] [--json FILE]
  --duration S   seconds per concurrency level (default 10; --quick: 4)
  --quick        the 300-line file, JSON only, concurrency 1 and 32
  --soak S       then S seconds at concurrency 32, sampling the server's RSS every 10 s
  --json FILE    also write the rows as JSON
`;

let args;
try {
  args = parseArgs({ options: { duration: { type: 'string' }, quick: { type: 'boolean' }, soak: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (e) {
  process.stderr.write(`bench:load: ${(e as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const quick = !!args.quick;
const duration = Number(args.duration ?? (quick ? 4 : 10));
const soakS = Number(args.soak ?? 0);

// A TypeScript service class with `n` methods; the edit changes one method in the middle.
function workload(lines: number) {
  const methods = Math.max(4, Math.round(lines / 10));
  const body = (i: number) => `  async handle${i}(input: Request${i % 7}): Promise<number> {\n    const value = input.amount * ${i} + this.offset;\n    if (value > ${1000 + i}) {\n      this.log.warn('handle${i} over limit', { value });\n      return -1;\n    }\n    return this.store.save('k${i}', value);\n  }\n`;
  const code = `import { Store, Logger } from './deps';\n\nexport class Service {\n  constructor(private store: Store, private log: Logger, private offset = 0) {}\n\n${Array.from({ length: methods }, (_, i) => body(i)).join('\n')}}\n`;
  const m = Math.floor(methods / 2);
  const update = `// ... existing code ...\n  async handle${m}(input: Request${m % 7}): Promise<number> {\n    const value = input.amount * ${m} + this.offset;\n    if (value > ${1000 + m} || value < 0) {\n      this.log.warn('handle${m} out of range', { value });\n      return -1;\n    }\n    return this.store.save('k${m}', value);\n  }\n// ... existing code ...\n`;
  return { lines: code.split('\n').length - 1, code, update };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli-main.ts', 'serve', '--port', String(port)], {
  env: { ...process.env, SPECEDIT_LOG: 'off' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  server.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
  server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
});

async function scrape(): Promise<{ lagP99Ms: number; rssMb: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const num = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? NaN);
  return { lagP99Ms: num('specedit_nodejs_eventloop_lag_p99_seconds') * 1000, rssMb: num('specedit_process_resident_memory_bytes') / 2 ** 20 };
}

/** /healthz every 50 ms until stopped: its latencies. */
function probeHealth() {
  const times: number[] = [];
  let errors = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      const t0 = performance.now();
      try {
        const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
        await r.arrayBuffer();
        if (!r.ok) errors++;
      } catch {
        errors++;
      }
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    on = false;
    await loop;
    return { p50: pct(times, 50), p99: pct(times, 99), errors };
  };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

interface Row {
  file: string;
  kind: 'json' | 'sse';
  concurrency: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  healthz_p50_ms: number;
  healthz_p99_ms: number;
  loop_lag_p99_ms: number;
  rss_mb: number;
}

async function load(body: object, o: { connections: number; seconds: number; sse: boolean; path?: string }) {
  const r = await autocannon({
    url: `${url}${o.path ?? '/apply'}`,
    connections: o.connections,
    duration: o.seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(o.sse ? { accept: 'text/event-stream' } : {}) },
    body: JSON.stringify(body),
    timeout: 60,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, total: r.requests.total };
}

const rows: Row[] = [];
const files = quick ? [workload(300)] : [workload(300), workload(3000)];
const levels = quick ? [1, 32] : [1, 8, 32, 128];
const kinds: ('json' | 'sse')[] = quick ? ['json'] : ['json', 'sse'];
console.log(`server ${url}, ${availableParallelism()} cores, ${duration} s per row`);
console.log('file       kind  conc     req/s   p50 ms   p99 ms  errors  healthz p50/p99 ms  loop p99 ms  rss MB');
for (const f of files) {
  for (const kind of kinds) {
    for (const c of levels) {
      // warm every merge thread (JIT, tree cache), not only the one a single connection keeps using
      await load({ code: f.code, update: f.update, path: 'service.ts' }, { connections: 8, seconds: 2, sse: kind === 'sse' });
      await scrape(); // resets the event-loop histogram
      const stop = probeHealth();
      const r = await load({ code: f.code, update: f.update, path: 'service.ts' }, { connections: c, seconds: duration, sse: kind === 'sse' });
      const h = await stop();
      const m = await scrape();
      const row: Row = {
        file: `${f.lines} lines`,
        kind,
        concurrency: c,
        rps: r.rps,
        p50_ms: r.p50,
        p99_ms: r.p99,
        errors: r.errors + h.errors,
        healthz_p50_ms: h.p50,
        healthz_p99_ms: h.p99,
        loop_lag_p99_ms: m.lagP99Ms,
        rss_mb: m.rssMb,
      };
      rows.push(row);
      const n = (x: number, w: number, d = 1) => x.toFixed(d).padStart(w);
      console.log(
        `${row.file.padEnd(10)} ${kind.padEnd(4)} ${String(c).padStart(5)} ${n(row.rps, 9)} ${n(row.p50_ms, 8)} ${n(row.p99_ms, 8)} ${String(row.errors).padStart(7)} ${n(h.p50, 9)} / ${n(h.p99, 6)} ${n(m.lagP99Ms, 12)} ${n(m.rssMb, 7, 0)}`,
      );
    }
  }
  const base = rows.find((r) => r.file === `${f.lines} lines` && r.kind === 'json' && r.concurrency === 1)!;
  const at32 = rows.find((r) => r.file === `${f.lines} lines` && r.kind === 'json' && r.concurrency === 32)!;
  console.log(`  ${f.lines} lines: throughput at c=32 is ${(at32.rps / base.rps).toFixed(2)}x c=1`);
}

// Runaway merges (a 5,000-line file rewritten whole: seconds of work each) while /healthz is probed.
const runaway = {
  code: Array.from({ length: 5000 }, (_, i) => `f${i}();`).join('\n') + '\n',
  update: Array.from({ length: 2000 }, (_, i) => `f${i * 2}();`).join('\n') + '\n',
  path: 'r.js',
};
{
  await scrape();
  const stop = probeHealth();
  const t0 = performance.now();
  const answers = await Promise.all(
    Array.from({ length: 8 }, () =>
      fetch(`${url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(runaway) }).then(async (r) => `${r.status} ${((await r.json()) as { error?: { code: string } }).error?.code ?? ''}`),
    ),
  );
  const took = performance.now() - t0;
  const h = await stop();
  const m = await scrape();
  const counts = answers.reduce<Record<string, number>>((a, s) => ((a[s] = (a[s] ?? 0) + 1), a), {});
  console.log(`runaway merges x8: ${JSON.stringify(counts)} in ${took.toFixed(0)} ms; healthz p50/p99 ${h.p50.toFixed(1)}/${h.p99.toFixed(1)} ms, ${h.errors} errors; loop p99 ${m.lagP99Ms.toFixed(1)} ms`);
}

let soak: { seconds: number; rss_mb: number[] } | undefined;
if (soakS > 0) {
  const f = files[0];
  const rss: number[] = [(await scrape()).rssMb];
  const sampler = setInterval(async () => rss.push((await scrape()).rssMb), 10_000);
  const r = await load({ code: f.code, update: f.update, path: 'service.ts' }, { connections: 32, seconds: soakS, sse: false });
  clearInterval(sampler);
  rss.push((await scrape()).rssMb);
  soak = { seconds: soakS, rss_mb: rss.map((x) => Math.round(x)) };
  console.log(`soak ${soakS} s at c=32: ${r.total} requests, ${r.errors} errors, p99 ${r.p99} ms; RSS MB over time: ${soak.rss_mb.join(' ')}`);
}

if (args.json) writeFileSync(args.json, JSON.stringify({ rows, soak }, null, 2));
server.kill();
