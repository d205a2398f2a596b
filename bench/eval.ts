// The real-edit eval in-process: the same cases and classes as ../shared/eval/run.mjs (exact,
// normalized, refused, wrong, error), without HTTP, grouped by noise kind (or language), with
// the wrong answers listed so a developer can read them. Cases are built outside the repo:
//   node ../shared/eval/build.mjs --out /tmp/specedit-eval/cases
//   node ../shared/eval/noise.mjs --cases /tmp/specedit-eval/cases --out /tmp/specedit-eval/noisy
//   npm run eval -- /tmp/specedit-eval/cases /tmp/specedit-eval/noisy [--by language] [--show wrong|refused] [--filter TEXT]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptFlags } from '../src/args.js';
import { applyEdit } from '../src/apply/pipeline.js';
import { ApplyError } from '../src/apply/errors.js';
import { DEFAULTS } from '../src/config.js';

const USAGE = `Usage: npm run eval -- CASES_DIR [NOISY_DIR ...] [--by noise|language|...] [--show wrong,refused]
                       [--filter TEXT] [--limit N]

The real-edit eval in-process: each case merged structurally and classed exact, normalized,
refused, wrong or error, grouped by --by (a meta.json field; default noise). Build the cases with
  node ../shared/eval/build.mjs --out /tmp/specedit-eval/cases
  node ../shared/eval/noise.mjs --cases /tmp/specedit-eval/cases --out /tmp/specedit-eval/noisy
  --show CLASSES   list the cases of these classes (comma-separated)
  --filter TEXT    only cases whose id contains TEXT; --limit N: the first N cases
`;

const { values: args, positionals: dirs } = scriptFlags('eval', USAGE, {
  allowPositionals: true,
  options: { by: { type: 'string', default: 'noise' }, show: { type: 'string' }, filter: { type: 'string' }, limit: { type: 'string' } },
});
if (dirs.length === 0) {
  process.stderr.write(`eval: name at least one folder of cases\n\n${USAGE}`);
  process.exit(2);
}

const CLASSES = ['exact', 'normalized', 'refused', 'wrong', 'error'] as const;
type Cls = (typeof CLASSES)[number];
const normalize = (s: string) => s.split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\n+$/, '');

interface Case { id: string; dir: string; meta: Record<string, string>; original: string; update: string; expected: string }

function load(dir: string): Case[] {
  const metas: Record<string, any>[] = existsSync(join(dir, 'index.json'))
    ? JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))
    : readdirSync(dir).filter((d) => existsSync(join(dir, d, 'meta.json'))).map((d) => JSON.parse(readFileSync(join(dir, d, 'meta.json'), 'utf8')));
  return metas.map((meta) => {
    const d = join(dir, meta.id);
    const files = meta.files ?? { original: `original.${meta.ext}`, update: `update.${meta.ext}`, expected: `expected.${meta.ext}` };
    const read = (f: string) => readFileSync(join(d, f), 'utf8');
    return { id: meta.id, dir: d, meta, original: read(files.original), update: read(files.update), expected: read(files.expected) };
  });
}

async function classify(c: Case): Promise<{ cls: Cls; code?: string; ms: number }> {
  const t = performance.now();
  try {
    const r = await applyEdit({ code: c.original, update: c.update, instruction: c.meta.instruction, path: c.meta.path, mode: 'structural' }, DEFAULTS.limits);
    const ms = performance.now() - t;
    if (r.content === c.expected) return { cls: 'exact', ms };
    return { cls: normalize(r.content) === normalize(c.expected) ? 'normalized' : 'wrong', ms };
  } catch (e) {
    const ms = performance.now() - t;
    if (e instanceof ApplyError && e.status === 422) return { cls: 'refused', code: e.code, ms };
    return { cls: 'error', code: String((e as Error).message), ms };
  }
}

const pct = (n: number, d: number) => (d ? ((100 * n) / d).toFixed(1) : '-').padStart(6);
const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] : 0;
};

for (const dir of dirs) {
  let cases = load(dir);
  if (args.filter) cases = cases.filter((c) => c.id.includes(args.filter!));
  if (args.limit) cases = cases.slice(0, Number(args.limit));
  const groups = new Map<string, Record<Cls, number> & { n: number; ms: number[] }>();
  const shown: string[] = [];
  const all: number[] = [];
  for (const c of cases) {
    const r = await classify(c);
    all.push(r.ms);
    const key = String(c.meta[args.by!] ?? 'clean');
    for (const k of [key, 'ALL']) {
      if (!groups.has(k)) groups.set(k, { n: 0, exact: 0, normalized: 0, refused: 0, wrong: 0, error: 0, ms: [] });
      const g = groups.get(k)!;
      g.n++;
      g[r.cls]++;
      g.ms.push(r.ms);
    }
    if (args.show && args.show.split(',').includes(r.cls)) shown.push(`${r.cls.padEnd(8)} ${c.dir}${r.code ? `  (${r.code})` : ''}${c.meta.noise_detail ? `  ${c.meta.noise_detail}` : ''}`);
  }
  console.log(`\n${dir}: ${cases.length} cases`);
  console.log(`${args.by!.padEnd(20)} ${'n'.padStart(5)} ${CLASSES.map((k) => k.padStart(10)).join(' ')}   p50 ms   p99 ms`);
  for (const [k, g] of [...groups].sort((a, b) => (a[0] === 'ALL' ? 1 : b[0] === 'ALL' ? -1 : a[0].localeCompare(b[0])))) {
    console.log(`${k.padEnd(20)} ${String(g.n).padStart(5)} ${CLASSES.map((c) => `${pct(g[c], g.n)}%`.padStart(10)).join(' ')} ${quantile(g.ms, 0.5).toFixed(1).padStart(8)} ${quantile(g.ms, 0.99).toFixed(1).padStart(8)}`);
  }
  for (const s of shown) console.log(s);
}
