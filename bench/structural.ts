// Structural apply latency: in-process and over HTTP, with tree-sitter parse time alone beside it.
// Cases: the repo's fixtures, plus the real-edit eval set when SPECEDIT_EVAL_CASES names its folder
// (built by ../shared/eval/build.mjs; never committed). Run: npm run bench
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { scriptFlags } from '../src/args.js';
import { DEFAULTS } from '../src/config.js';
import { applyEdit } from '../src/apply/pipeline.js';
import { parserFor, withTree } from '../src/languages/parser.js';
import { detectLanguage, GENERIC } from '../src/languages/registry.js';
import { startServer } from '../src/server/serve.js';
import { loadFixtureCases } from '../test/fixture-cases.js';
import { clearTreeCache } from '../src/structural/tree-cache.js';

scriptFlags('bench', `Usage: npm run bench

Structural apply latency (p50/p95/p99) over the fixtures: in-process cold and with the tree cached,
over HTTP, and the tree-sitter parse alone. SPECEDIT_EVAL_CASES=DIR adds the real-edit eval cases.
`, { options: {} });

interface Case { name: string; path: string; code: string; update: string }

function evalCases(dir: string | undefined): Case[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map(({ name: id }) => {
    const d = join(dir, id);
    const f = (stem: string) => readFileSync(join(d, readdirSync(d).find((n) => n.startsWith(`${stem}.`))!), 'utf8');
    const meta = JSON.parse(f('meta'));
    return { name: id, path: meta.path, code: f('original'), update: f('update') };
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const row = (label: string, xs: number[]) =>
  console.log(`${label.padEnd(34)} n=${String(xs.length).padStart(4)}  p50 ${pct(xs, 50).toFixed(2).padStart(7)} ms  p95 ${pct(xs, 95).toFixed(2).padStart(7)} ms  p99 ${pct(xs, 99).toFixed(2).padStart(7)} ms`);

/** `before` runs untimed ahead of each timed call. */
async function measure(cases: Case[], reps: number, fn: (c: Case) => Promise<unknown>, before?: (c: Case) => unknown): Promise<number[]> {
  for (const c of cases) await fn(c); // warm-up: grammars loaded, JIT warm
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    for (const c of cases) {
      await before?.(c);
      const t = performance.now();
      await fn(c);
      out.push(performance.now() - t);
    }
  }
  return out;
}

const apply = (c: Case) => applyEdit({ code: c.code, update: c.update, path: c.path, mode: 'auto' }, DEFAULTS.limits).catch(() => null);
const parseOnly = async (c: Case) => {
  const p = await parserFor(detectLanguage({ path: c.path, code: c.code }) ?? GENERIC);
  if (p) withTree(p, c.code, () => 0);
};

const fixtures: Case[] = loadFixtureCases().map((c) => ({ name: c.name, path: c.path, code: c.original, update: c.update }));
const evals = evalCases(process.env.SPECEDIT_EVAL_CASES);
const sets: [string, Case[]][] = [['fixtures', fixtures]];
if (evals.length) sets.push(['eval', evals], ['eval, files <= 3000 lines', evals.filter((c) => c.code.split('\n').length <= 3000)]);
else console.log('(set SPECEDIT_EVAL_CASES=/tmp/specedit-eval/cases to include the real-edit eval set)');

const server = await startServer({ ...DEFAULTS, port: 0 });
const post = (c: Case) =>
  fetch(`${server.url}/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: c.code, update: c.update, path: c.path }) }).then((r) => r.text());
// A pooled connection idle past the server's keep-alive timeout is reset on first use: retry once.
const http = (c: Case) => post(c).catch(() => post(c));

console.log(`node ${process.version}; medians and tails over all timed runs`);
for (const [name, cases] of sets) {
  const reps = cases.length > 200 ? 2 : 10;
  row(`${name}: parse original only`, await measure(cases, reps, parseOnly));
  // Cold: no tree of the file parsed before (else the warm-up round would have cached it).
  row(`${name}: apply in-process`, await measure(cases, reps, apply, clearTreeCache));
  // The same file again (an agent's retry; its next edit of our last answer is the same case): the
  // file's tree is cached.
  row(`${name}: apply in-process, tree cached`, await measure(cases, reps, apply, apply));
  row(`${name}: apply over HTTP`, await measure(cases, reps, http));
}
await server.close();
