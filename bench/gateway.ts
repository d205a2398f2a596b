// Control-plane cost: /v1/chat/completions (model auto, apply messages from the fixtures) answered
// directly, with keys + rate limits + metrics on, and through a gateway in front of two upstreams.
// Everything runs in this one process on 127.0.0.1, so the gateway and its upstreams share one event
// loop: the gateway rows are an upper bound on the proxy's cost, not a deployment's throughput.
// Run: npm run bench:gateway [-- --requests N --concurrency C]
import { scriptFlags } from '../src/args.js';
import { performance } from 'node:perf_hooks';
import { DEFAULTS, plainKey, type Config } from '../src/config.js';
import { startServer } from '../src/server/serve.js';
import { loadFixtureCases } from '../test/fixture-cases.js';

const USAGE = `Usage: npm run bench:gateway [-- --requests N] [--concurrency C]

/v1/chat/completions (model auto, the fixtures as apply messages) answered directly, with keys,
rate limits and metrics on, and through a gateway in front of two upstreams, all in this process.
  --requests N     requests per concurrent run (default 400, at most 5000)
  --concurrency C  requests in flight (default 8, at most 64)
`;

const { values } = scriptFlags('bench:gateway', USAGE, { options: { requests: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '8' } } });
const N = Math.min(5000, Number(values.requests));
const C = Math.min(64, Number(values.concurrency));

const messages = loadFixtureCases()
  .filter((c) => !c.name.includes('refuse'))
  .map((c) => `<path>${c.path}</path>\n<code>${c.original}</code>\n<update>${c.update}</update>`);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

async function run(label: string, url: string, key: string | undefined, model: string) {
  const one = async (i: number) => {
    const t = performance.now();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: messages[i % messages.length] }] }),
    });
    await res.arrayBuffer();
    return performance.now() - t;
  };
  for (let i = 0; i < 3 * messages.length; i++) await one(i); // warm-up: JIT, grammars, connections
  const seq: number[] = [];
  for (let i = 0; i < Math.min(N, 200); i++) seq.push(await one(i));
  let next = 0;
  const t0 = performance.now();
  const conc: number[] = [];
  await Promise.all(Array.from({ length: C }, async () => { while (next < N) conc.push(await one(next++)); }));
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${label.padEnd(40)} sequential p50 ${pct(seq, 50).toFixed(2).padStart(6)} ms p95 ${pct(seq, 95).toFixed(2).padStart(6)} ms | ` +
      `${C} concurrent: ${(N / secs).toFixed(0).padStart(5)} req/s, p50 ${pct(conc, 50).toFixed(1)} ms p95 ${pct(conc, 95).toFixed(1)} ms`,
  );
}

const quiet = { defaultMetrics: false };
const plain = await startServer({ ...DEFAULTS, port: 0 }, quiet);
const secured: Config = { ...DEFAULTS, port: 0, auth: { ...DEFAULTS.auth, keys: [plainKey('sk-bench')] }, rateLimits: { requestsPerMinute: 1e9, tokensPerMinute: 1e12 } };
const [a, b, c] = await Promise.all([startServer(secured), startServer(secured, quiet), startServer(secured, quiet)]);
const backend = (name: string, url: string) => ({ name, baseUrl: `${url}/v1`, apiKey: 'sk-bench', models: { remote: 'auto' }, sendPrediction: false });
const gateway = await startServer({ ...secured, backends: [backend('b', b.url), backend('c', c.url)] }, quiet);

console.log(`${messages.length} fixture apply messages, ${N} requests per row (${C} at a time), node ${process.version}`);
await run('(warm-up pass, not a result)', plain.url, undefined, 'auto');
await run('direct, open (no keys, no limits)', plain.url, undefined, 'auto');
await run('direct, key + rate limits + metrics', a.url, 'sk-bench', 'auto');
await run('gateway -> 2 upstreams (one process)', gateway.url, 'sk-bench', 'remote');
await Promise.all([plain, a, b, c, gateway].map((s) => s.close()));
