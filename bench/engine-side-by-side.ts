// Engine step times of this checkout against another (an older commit: `git worktree add /tmp/base
// REV`, node_modules linked in, `npm run build:native` run there), both engines in one process on
// the same generated model, steps interleaved and the order alternated per round so that a busy
// machine slows both sides: decode, verification of k rows (logits for every row) and a prefill
// chunk, each at position POS (default 512); medians, p95 and the paired new/base ratio.
// Run: npx tsx bench/engine-side-by-side.ts BASE_ROOT [TYPE=q8_0] [ROUNDS=7] [STEPS=1,8,32,512] [PRESET] [POS=512]
//   (a step k < 512 is a verification of k rows, 1 is decode; k >= 512 a prefill chunk of k tokens)
//   BASE_ISA=avx512 (env; BASE_ROOT may be this checkout) runs the base side on another kernel set.
import { join } from 'node:path';
import type { FileType } from '../src/engine/generate.js';
import { benchPrompt, DEFAULT_MODELS_DIR, modelPath, stat } from './models.js';

const [baseRoot, typeArg, roundsArg, stepsArg, presetArg, posArg] = process.argv.slice(2);
if (!baseRoot) throw new Error('usage: npx tsx bench/engine-side-by-side.ts BASE_ROOT [TYPE] [ROUNDS] [STEPS] [PRESET]');
const type = (typeArg ?? 'q8_0') as FileType, rounds = Number(roundsArg ?? 7);
const steps = (stepsArg ?? '1,8,32,512').split(',').map(Number);
const file = modelPath(DEFAULT_MODELS_DIR, presetArg ?? 'qwen2.5-coder-0.5b', type);
const pos = Number(posArg ?? 512);
const prompt = benchPrompt(pos + Math.max(...steps));

type Side = { e: any; table: number[] };
async function open(root: string, isa?: string): Promise<Side> {
  const { Engine } = await import(join(root, 'src/engine/engine.ts'));
  const blocks = Math.ceil(prompt.length / 16);
  const e = Engine.open(file, { numBlocks: blocks + 8, blockSize: 16, device: 'cpu', ...(isa ? { isa } : {}) });
  const table = e.blocks.allocate(blocks);
  for (let p = 0; p < pos; p += 512) await e.forward({ seqs: [{ tokens: prompt.slice(p, Math.min(pos, p + 512)), pos: p, blockTable: table }] });
  return { e, table };
}
const sides: Record<'base' | 'new', Side> = { base: await open(baseRoot, process.env.BASE_ISA), new: await open(join(import.meta.dirname, '..')) };
const run = (s: Side, k: number) => k >= 512
  ? s.e.forward({ seqs: [{ tokens: prompt.slice(pos, pos + k), pos, blockTable: s.table }] })
  : s.e.forward({ seqs: [{ tokens: prompt.slice(0, k), pos, blockTable: s.table, outputRows: Array.from({ length: k }, (_, i) => i) }] });

const ms = { base: new Map<number, number[]>(), new: new Map<number, number[]>() };
for (const k of steps) for (const name of ['base', 'new'] as const) { ms[name].set(k, []); await run(sides[name], k); }
for (let r = 0; r < rounds; r++)
  for (const k of steps)
    for (const name of (r % 2 ? ['new', 'base'] : ['base', 'new']) as ('base' | 'new')[]) {
      const t0 = performance.now();
      await run(sides[name], k);
      ms[name].get(k)!.push(performance.now() - t0);
    }
console.log(`${file}: ${sides.base.e.info().isa} → ${sides.new.e.info().isa}, ${sides.new.e.info().threads} threads, position ${pos}, ${rounds} rounds`);
console.log('| step | base ms, median (p95) | new ms, median (p95) | new / base, paired median |\n|---|---|---|---|');
for (const k of steps) {
  const b = ms.base.get(k)!, n = ms.new.get(k)!, pb = stat(b), pn = stat(n);
  const name = k >= 512 ? `prefill ${k}` : k === 1 ? 'decode' : `verify k=${k}`;
  console.log(`| ${name} | ${pb.median.toFixed(1)} (${pb.p95.toFixed(1)}) | ${pn.median.toFixed(1)} (${pn.p95.toFixed(1)}) | ×${stat(n.map((x, i) => x / b[i])).median.toFixed(3)} |`);
}
for (const s of Object.values(sides)) await s.e.close();
