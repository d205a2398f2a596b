// The specedit CLI as a user runs it: exit codes, stdout/stderr, atomic --write, --server.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import { startServer, type Running } from '../src/server/serve.js';

const cli = join(import.meta.dirname, '..', 'src', 'cli-main.ts');
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { input, encoding: 'utf8', cwd: join(import.meta.dirname, '..') });

/** Async, for the --server case: the server lives in this process and must keep answering. */
const runAsync = (args: string[], input: string) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: join(import.meta.dirname, '..') });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });

const dir = mkdtempSync(join(tmpdir(), 'specedit-cli-'));
const file = join(dir, 'app.py');
const original = 'import os\n\n\ndef main():\n    print("hi")\n\n\nif __name__ == "__main__":\n    main()\n';
const update = '# ... existing code ...\ndef main():\n    print("hello")\n# ... existing code ...\n';
const expected = original.replace('"hi"', '"hello"');

let server: Running;
beforeAll(async () => {
  server = await startServer({ ...DEFAULTS, port: 0 });
});
afterAll(async () => {
  await server.close();
});

describe('specedit apply', () => {
  it('prints the merged file and exits 0', () => {
    writeFileSync(file, original);
    writeFileSync(join(dir, 'snippet.py'), update);
    const r = run(['apply', file, '--update', join(dir, 'snippet.py')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('reads the snippet from stdin and writes atomically with --write, keeping permissions', () => {
    writeFileSync(file, original);
    chmodSync(file, 0o640);
    const r = run(['apply', file, '--update', '-', '--write'], update);
    expect(r.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(expected);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('exits 2 with the reason on stderr when the merge is refused, and leaves the file alone', () => {
    writeFileSync(file, original);
    const r = run(['apply', file, '--update', '-', '--write'], '# ...\nnothing_like_this()\n# ...\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/refused: no_anchor/);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('goes through a server with --server', async () => {
    writeFileSync(file, original);
    const r = await runAsync(['apply', file, '--update', '-', '--server', server.url], update);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('exits 1 on usage errors and missing files', () => {
    expect(run(['apply']).status).toBe(1);
    const missing = run(['apply', join(dir, 'nope.py'), '--update', '-'], update);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/ENOENT/);
    expect(run(['frobnicate']).status).toBe(1);
  });
});

describe('specedit apply --model', () => {
  it('an instruction alone is written by the in-process model; every decoder gives the same file', async () => {
    const { tinyModel } = await import('./engine/helpers.js');
    const model = tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2');
    const outs = ['greedy', 'speculative'].map((decoder) => run(['apply', file, '--instruction', 'say hello', '--model', model, '--decoder', decoder]));
    for (const r of outs) expect(r.status, r.stderr).toBe(0);
    expect(outs[0].stdout.length).toBeGreaterThan(0);
    expect(outs[1].stdout).toBe(outs[0].stdout);
    // without a model the same request is refused as needing one
    const none = run(['apply', file, '--instruction', 'say hello']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('model_unavailable');
    expect(run(['apply', file, '--instruction', 'x', '--model', model, '--server', 'http://127.0.0.1:1']).status).toBe(1);
  }, 60_000);
});

