// Structural apply latency of this checkout against another (an older commit: `git worktree add
// /tmp/base REV`, with node_modules and grammars/wasm linked in), both in one process, the two
// sides alternating on each case so that a busy machine slows both: cold (tree cache cleared) and
// again with the tree cached, p50/p95/p99 per side and the paired new/old ratio.
// Run: npx tsx bench/structural-side-by-side.ts BASE_ROOT CASES_DIR [ROUNDS]   (files <= 3000 lines)
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
const [oldRoot, dir, repsArg] = process.argv.slice(2);
const reps = Number(repsArg ?? 3);
const load = async (root: string) => ({
  apply: (await import(join(root, 'src/apply/pipeline.ts'))).applyEdit,
  clear: (await import(join(root, 'src/structural/tree-cache.ts'))).clearTreeCache,
  limits: (await import(join(root, 'src/config.ts'))).DEFAULTS.limits,
});
const sides = { old: await load(oldRoot), new: await load(join(import.meta.dirname, '..')) };
const cases = readdirSync(dir).filter((id) => existsSync(join(dir, id, 'meta.json'))).map((id) => {
  const meta = JSON.parse(readFileSync(join(dir, id, 'meta.json'), 'utf8'));
  return { id, path: meta.path, code: readFileSync(join(dir, id, `original.${meta.ext}`), 'utf8'), update: readFileSync(join(dir, id, `update.${meta.ext}`), 'utf8') };
}).filter((c) => c.code.split('\n').length <= 3000);
const t: Record<string, number[]> = { 'old cold': [], 'new cold': [], 'old cached': [], 'new cached': [] };
const ratio: Record<string, number[]> = { cold: [], cached: [] };
for (const c of cases) for (const s of Object.values(sides)) await s.apply({ code: c.code, update: c.update, path: c.path, mode: 'structural' }, s.limits).catch(() => null);
for (let r = 0; r < reps; r++) {
  for (const c of cases) {
    const m: Record<string, number> = {};
    for (const name of (r % 2 ? ['new', 'old'] : ['old', 'new']) as ('old' | 'new')[]) {
      const s = sides[name];
      const run = () => s.apply({ code: c.code, update: c.update, path: c.path, mode: 'structural' }, s.limits).catch(() => null);
      s.clear();
      let t0 = performance.now(); await run(); m[`${name} cold`] = performance.now() - t0;
      t0 = performance.now(); await run(); m[`${name} cached`] = performance.now() - t0;
    }
    for (const k of Object.keys(t)) t[k].push(m[k]);
    ratio.cold.push(m['new cold'] / m['old cold']);
    ratio.cached.push(m['new cached'] / m['old cached']);
  }
}
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]; };
console.log(`${cases.length} cases x ${reps} rounds, files <= 3000 lines`);
for (const [k, xs] of Object.entries(t)) console.log(k.padEnd(11), `p50 ${q(xs, 0.5).toFixed(2)}  p95 ${q(xs, 0.95).toFixed(2)}  p99 ${q(xs, 0.99).toFixed(2)} ms`);
for (const [k, xs] of Object.entries(ratio)) console.log(`new/old ${k}: paired median ${q(xs, 0.5).toFixed(3)}, p95 of ratios ${q(xs, 0.95).toFixed(3)}`);
