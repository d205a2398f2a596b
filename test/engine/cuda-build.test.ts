// The CUDA sources build where nvcc exists (as in CI): each native/cuda/*.cu compiles on its own
// with only native/src and native/cuda on the include path, binding.gyp lists every one of them,
// and an addon built with them links the CUDA runtime statically (so it loads without a driver).
// Without nvcc the compile check is skipped, saying so in its name.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../src/engine/native.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const native = path.join(root, 'native');
const cudaHome = execFileSync('sh', [path.join(native, 'cuda/detect.sh'), 'home'], { encoding: 'utf8' }).trim();
const nvcc = [path.join(cudaHome, 'bin/nvcc')].find((p) => fs.existsSync(p));
const sources = fs.readdirSync(path.join(native, 'cuda')).filter((f) => f.endsWith('.cu')).sort();

describe('CUDA sources', () => {
  it('binding.gyp compiles every native/cuda/*.cu (and only those)', () => {
    const gyp = fs.readFileSync(path.join(native, 'binding.gyp'), 'utf8');
    const listed = [...gyp.matchAll(/"cuda\/([\w-]+\.cu)"/g)].map((m) => m[1]).sort();
    expect(listed).toEqual(sources);
    expect(sources.length).toBeGreaterThanOrEqual(8);
  });

  it.skipIf(!nvcc)(`each .cu compiles on its own with nvcc -std=c++17 -c (${nvcc ? nvcc : `skipped: no nvcc under ${cudaHome}`})`, async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'specedit-nvcc-'));
    const failures: string[] = [];
    // two at a time: CI has two cores
    const queue = [...sources];
    await Promise.all([0, 1].map(async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        try {
          await run(nvcc!, ['-std=c++17', '-c', `-I${path.join(native, 'src')}`, `-I${path.join(native, 'cuda')}`, path.join(native, 'cuda', f), '-o', path.join(out, f + '.o')]);
        } catch (e) {
          failures.push(`${f}: ${(e as { stderr?: string }).stderr ?? e}`);
        }
      }
    }));
    fs.rmSync(out, { recursive: true, force: true });
    expect(failures).toEqual([]);
  }, 300_000);

  it.skipIf(!nvcc || process.env.SPECEDIT_CUDA === '0')('an addon built where nvcc exists has the CUDA backend, with the runtime linked statically', () => {
    expect(loadAddon().cudaProbe(0).built).toBe(true);
    const ldd = execFileSync('ldd', [path.join(native, 'build/Release/specedit_engine.node')], { encoding: 'utf8' });
    expect(ldd).not.toMatch(/libcuda|libcudart/);
  });
});
