#!/usr/bin/env bash
# scripts/gpu-check.sh — the CUDA backend's check on a GPU machine (issue 13), in one run of
# about 10 minutes on one H200 with 16 cores. Results go to $OUT (or ./gpu-results):
#   summary.md             what ran, rc and time of each step, the GPU, the headline numbers vs the targets
#   build.log              the addon's build (skipped when an addon built with CUDA is already there)
#   test-gpu.log           the conformance suite on the GPU (npm run test:gpu's first half)
#   bench-engine-0.5b.json bench:engine --device cuda, Qwen2.5-Coder-0.5B shape, Q8_0 and Q4_K_M
#   bench-engine-7b.json   bench:engine --device cuda --preset qwen2.5-coder-7b, Q8_0
#   bench-engine-*-base.json the same with the baseline's settings (GPU_CHECK_BASELINE; default: the
#                          f32 FMA matmul and no CUDA graphs), in the same run
#   bench-apply-7b.json    bench:apply --device cuda --quick on the 7B shape (teacher-forced; with
#                          GPU_CHECK_7B=0, bench-apply-0.5b.json on the 0.5B shape instead)
#   steps.log              the benchmarks' and model generation's output
# Needs node ≥ 20 and this checkout's node_modules (the GPU machine has no registry: carry them),
# nvcc and node-gyp (or an addon already built with CUDA at native/build/Release). npm itself is
# not needed: the tools run from node_modules/.bin, so a bare node binary carried along will do. Every step has a time limit
# and the whole run a deadline, so what finished comes back even when something hangs.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-./gpu-results}"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
MODELS="${TMPDIR:-/tmp}/specedit-bench-models"  # bench/models.ts's default: the benchmarks find them there
DEADLINE=$((SECONDS + ${GPU_CHECK_SECONDS:-570}))
SUMMARY="$OUT_DIR/summary.md"
: > "$SUMMARY"
: > "$OUT_DIR/steps.log"
say() { echo "$*" | tee -a "$SUMMARY"; }

# step NAME LIMIT_S LOG CMD...: runs CMD with the smaller of LIMIT_S and the time left, output to LOG
step() {
  local name=$1 limit=$2 log=$3 left t0 rc
  shift 3
  left=$((DEADLINE - SECONDS))
  if [ "$left" -lt 20 ]; then say "- $name: not run (deadline)"; return 124; fi
  [ "$limit" -gt "$left" ] && limit=$left
  t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@" >> "$log" 2>&1
  rc=$?
  say "- $name: rc $rc, $((SECONDS - t0)) s$([ $rc = 124 ] && echo " (stopped at its ${limit} s limit)")"
  return $rc
}


say "# specedit gpu-check $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
say ""
if ! command -v node >/dev/null || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  say "node ≥ 20 not found: put one on PATH (carry it to the GPU machine)"; exit 2
fi
for m in vitest tsx node-addon-api; do
  [ -d "node_modules/$m" ] || { say "node_modules/$m missing: run npm ci where a registry is reachable and carry node_modules"; exit 2; }
done
say '```'
(nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv 2>&1 || echo "nvidia-smi failed") | tee -a "$SUMMARY"
say '```'

# models first, in the background: generating the 7B shape takes minutes of one core
mkdir -p "$MODELS"
gen() {  # gen PRESET TYPE
  local f="$MODELS/$1-$2-qwenvocab.gguf"
  [ -f "$f" ] && return 0
  node --import tsx scripts/make-model.ts --out "$f.tmp" --preset "$1" --type "$2" --vocab qwen --jobs "$(nproc)" && mv "$f.tmp" "$f"
}
WITH_7B="${GPU_CHECK_7B:-1}"  # 0: the 0.5B shape only (a shorter run)
GEN7=""
[ "$WITH_7B" = 1 ] && { (gen qwen2.5-coder-7b q8_0 >> "$OUT_DIR/steps.log" 2>&1) & GEN7=$!; }
(gen qwen2.5-coder-0.5b q8_0 && gen qwen2.5-coder-0.5b q4_k_m) >> "$OUT_DIR/steps.log" 2>&1 & GEN05=$!

ADDON=native/build/Release/specedit_engine.node
built() { [ -f "$ADDON" ] && node -e "process.exit(require('./$ADDON').cudaProbe(0).built ? 0 : 1)" 2>/dev/null; }
if built; then
  say "- build: reused $ADDON (built with CUDA)"
else
  SPECEDIT_CUDA=1 step build 240 "$OUT_DIR/build.log" node-gyp rebuild --directory native --jobs max || { say "build failed: see build.log"; exit 1; }
fi
say ""
say "probe: \`$(node -e "console.log(JSON.stringify(require('./$ADDON').cudaProbe(0)))")\`"
say ""

# the conformance suite needs only its own tiny models: it runs while the bench models are generated
step "test:gpu (the conformance suite on the GPU)" 180 "$OUT_DIR/test-gpu.log" \
  env SPECEDIT_REQUIRE_GPU=1 node_modules/.bin/vitest run --reporter=verbose test/gpu
wait "$GEN05"
[ -n "$GEN7" ] && wait "$GEN7"  # its 16 processes would slow the host side of the 0.5B timings
step "bench:engine 0.5B" 120 "$OUT_DIR/steps.log" node --import tsx bench/engine.ts --device cuda --json "$OUT_DIR/bench-engine-0.5b.json"
if [ $? -ge 128 ] && command -v cuda-gdb >/dev/null; then  # killed by a signal: once more, for a backtrace
  step "bench:engine 0.5B under cuda-gdb" 120 "$OUT_DIR/steps.log" cuda-gdb -batch -ex run -ex bt -ex "thread apply all bt 8" \
    --args "$(command -v node)" --import tsx bench/engine.ts --device cuda --json "$OUT_DIR/bench-engine-0.5b.json"
fi
# the baseline beside it, in the same run: by default the f32 FMA kernel for every matrix and no
# CUDA graphs (GPU_CHECK_BASELINE names other settings, e.g. "SPECEDIT_CUDA_GRAPHS=0" alone)
BASELINE="${GPU_CHECK_BASELINE:-SPECEDIT_CUDA_MATMUL=fma SPECEDIT_CUDA_GRAPHS=0}"
say "- baseline settings: $BASELINE"
step "bench:engine 0.5B Q8_0, baseline" 90 "$OUT_DIR/steps.log" \
  env $BASELINE node_modules/.bin/tsx bench/engine.ts --device cuda --types q8_0 --json "$OUT_DIR/bench-engine-0.5b-base.json"
grep -E "Tests |Test Files |✓|×|FAIL" "$OUT_DIR/test-gpu.log" | grep -v "✓ .*ms$" | head -20 | sed 's/\x1b\[[0-9;]*m//g' >> "$SUMMARY"

if [ -z "$GEN7" ]; then  # no 7B this run: the apply benchmark on the 0.5B shape instead
  step "bench:apply 0.5B (quick, teacher-forced)" 150 "$OUT_DIR/steps.log" node_modules/.bin/tsx bench/apply.ts --device cuda --quick --preset qwen2.5-coder-0.5b --json "$OUT_DIR/bench-apply-0.5b.json"
else
  wait "$GEN7"
  step "bench:engine 7B Q8_0" 150 "$OUT_DIR/steps.log" node_modules/.bin/tsx bench/engine.ts --device cuda --preset qwen2.5-coder-7b --types q8_0 --json "$OUT_DIR/bench-engine-7b.json"
  step "bench:engine 7B Q8_0, baseline (quick)" 100 "$OUT_DIR/steps.log" \
    env $BASELINE node_modules/.bin/tsx bench/engine.ts --device cuda --preset qwen2.5-coder-7b --types q8_0 --quick --json "$OUT_DIR/bench-engine-7b-base.json"
  # where a step's GPU time goes, per batch size (CUDA events between launches; stderr into steps.log)
  step "profile 7B Q8_0 (quick)" 90 "$OUT_DIR/steps.log" \
    env SPECEDIT_CUDA_PROFILE=1 node_modules/.bin/tsx bench/engine.ts --device cuda --preset qwen2.5-coder-7b --types q8_0 --quick
  step "bench:apply 7B (quick, teacher-forced)" 150 "$OUT_DIR/steps.log" node_modules/.bin/tsx bench/apply.ts --device cuda --preset qwen2.5-coder-7b --quick --json "$OUT_DIR/bench-apply-7b.json"
fi

# the headline numbers beside the issue's targets
node - "$OUT_DIR" >> "$SUMMARY" 2>&1 <<'JS'
const fs = require('node:fs'), path = require('node:path');
const dir = process.argv[2];
const read = (f) => { try { return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')); } catch { return undefined; } };
const runs = (j) => (j ? j.runs ?? [j] : []);
const pct = (x) => (x === undefined ? '?' : `${(x * 100).toFixed(0)}%`);
console.log('\n| measure | value | target |\n|---|---|---|');
for (const [f, shape] of [['bench-engine-0.5b.json', '0.5B'], ['bench-engine-0.5b-base.json', '0.5B'], ['bench-engine-7b.json', '7B'], ['bench-engine-7b-base.json', '7B']])
  for (const r0 of runs(read(f))) {
    const r = { ...r0, weight_type: `${r0.weight_type} (${r0.cuda_matmul ?? '?'} matmul, graphs ${r0.cuda_graphs ? 'on' : 'off'})` };
    console.log(`| ${shape} ${r.weight_type} decode | ${r.decode_ms?.toFixed(2)} ms, ${pct(r.decode_bandwidth_fraction)} of the HBM bound (${r.decode_bound_ms?.toFixed(2)} ms) | ${shape === '7B' ? '≥ 60% (Q8_0)' : '≤ 2 ms'} |`);
    console.log(`| ${shape} ${r.weight_type} verify k=64 / decode | ${r.verify64_vs_decode?.toFixed(2) ?? '?'}× | ${shape === '7B' ? '≤ 1.5×' : ''} |`);
    console.log(`| ${shape} ${r.weight_type} prefill | ${r.prefill_tok_s?.toFixed(0)} tok/s | |`);
  }
for (const shape of ['0.5B', '7B']) {
const a = read(`bench-apply-${shape.toLowerCase()}.json`);
const g = a?.decoders?.greedy?.tokens_per_s;
for (const [d, s] of Object.entries(a?.decoders ?? {}))
  console.log(`| ${shape} apply ${d} (teacher-forced) | ${s.tokens_per_s.toFixed(0)} tok/s = ${(s.tokens_per_s / g).toFixed(1)}× greedy, ${s.forward_passes_per_token.toFixed(3)} passes/token | ${d.startsWith('speculative') ? '≥ 10,000 tok/s, ≥ 15× greedy' : ''} |`);
}
JS
say ""
say "done in $SECONDS s"
