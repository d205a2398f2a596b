// The specedit CLI as a user runs it: exit codes, stdout/stderr, atomic --write, --server.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

  it('exits 2 on usage errors, 1 on missing files', () => {
    expect(run(['apply']).status).toBe(2);
    const missing = run(['apply', join(dir, 'nope.py'), '--update', '-'], update);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/ENOENT/);
    expect(run(['frobnicate']).status).toBe(2);
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
    expect(run(['apply', file, '--instruction', 'x', '--model', model, '--server', 'http://127.0.0.1:1']).status).toBe(2); // a usage error
  }, 60_000);
});


describe('help and usage errors', () => {
  /** main() in this process, its output captured (a process per case would take seconds each). */
  async function inProcess(args: string[]) {
    const { main } = await import('../src/cli.js');
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
    try {
      return { status: await main(args), stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('every subcommand prints its usage on --help and exits 0', async () => {
    for (const [args, what] of [[['--help'], /specedit batch/], [['serve', '--help'], /Usage: specedit serve/], [['apply', '-h'], /Usage: specedit apply FILE/], [['batch', '--help'], /specedit batch --edits FILE\.jsonl/]] as const) {
      const r = await inProcess([...args]);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(what);
      expect(r.stderr).toBe('');
    }
    // and through the real entry point
    const r = run(['apply', '--help']);
    expect([r.status, r.stdout.split('\n')[0]]).toEqual([0, 'Usage: specedit apply FILE --update SNIPPET_FILE|- [--instruction TEXT] [--language L]']);
  });

  it("a wrong flag is one line and the command's usage, exit 2, none of parseArgs' wording", async () => {
    for (const [args, line] of [
      [['apply', file, '--bogus'], 'specedit apply: unknown option --bogus'],
      [['serve', '--port'], 'specedit serve: --port needs a value'],
      [['apply', file, '--write=yes'], 'specedit apply: --write takes no value'],
      [['serve', 'extra'], 'specedit serve: unexpected argument "extra"'],
      [['batch', '--frob'], 'specedit batch: unknown option --frob'],
      [['apply', file, '--update', '-', '--server', 'nowhere'], 'specedit apply: --server must be a URL such as http://127.0.0.1:8787, got "nowhere"'],
      [[], 'specedit: which command?'],
    ] as const) {
      const r = await inProcess([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(line);
      expect(r.stderr).toMatch(/Usage:/);
      expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|To specify a positional|at .*\.js:\d+/);
    }
  });

  it('the npm scripts that take flags print their usage on --help, and a one-line error on a wrong flag', async () => {
    const root = join(import.meta.dirname, '..');
    const tsx = (script: string, args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(root, script), ...args], { cwd: root });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const scripts = ['scripts/make-model.ts', 'bench/apply.ts', 'bench/engine.ts', 'bench/eval.ts', 'bench/gateway.ts', 'bench/structural.ts'];
    const helps = await Promise.all(scripts.map((s) => tsx(s, ['--help'])));
    helps.forEach((h, i) => {
      expect(h.status, `${scripts[i]} --help: ${h.stderr}`).toBe(0);
      expect(h.stdout).toMatch(/^Usage: npm run /);
    });
    const bad = await tsx('scripts/make-model.ts', ['--no-such-flag']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('make-model: unknown option --no-such-flag');
    expect(bad.stderr).toMatch(/Usage: npm run make-model/);
  }, 120_000);
});

describe('specedit apply --server names why a server cannot be reached', () => {
  it('connection refused, with the URL, exit 1', async () => {
    // a port nobody listens on: one just closed
    const gone = await startServer({ ...DEFAULTS, port: 0 });
    const url = gone.url;
    await gone.close();
    writeFileSync(file, original);
    const r = await runAsync(['apply', file, '--update', '-', '--server', url], update);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`specedit: error: unreachable: Cannot reach the specedit server at ${url}: connection refused (ECONNREFUSED).\n`);
  });

  it('DNS, TLS and timeout failures are named too', async () => {
    const { fetchFailure } = await import('../src/client/fetch-error.js');
    const cause = (code: string, message: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
    expect(fetchFailure(cause('ENOTFOUND', 'getaddrinfo ENOTFOUND specedit.invalid'))).toBe('DNS lookup failed, no such host (ENOTFOUND)');
    // localhost: every address tried, each refused
    expect(fetchFailure(new TypeError('fetch failed', { cause: new AggregateError([cause('ECONNREFUSED', 'x').cause, cause('ECONNREFUSED', 'y').cause]) }))).toBe('connection refused (ECONNREFUSED)');
    // https:// to a plain HTTP server
    const tls = await fetch(server.url.replace('http:', 'https:')).catch((e: unknown) => e);
    expect(fetchFailure(tls)).toMatch(/TLS .*\((EPROTO|ERR_SSL_WRONG_VERSION_NUMBER)\)$/);
    expect(fetchFailure(cause('CERT_HAS_EXPIRED', 'certificate has expired'))).toBe('TLS failed: certificate has expired (CERT_HAS_EXPIRED)');
    expect(fetchFailure(cause('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'))).toBe('connection timed out (UND_ERR_CONNECT_TIMEOUT)');
    // the issue's own example: port 9 is one fetch refuses before connecting
    expect(fetchFailure(await fetch('http://127.0.0.1:9/apply').catch((e: unknown) => e))).toMatch(/bad ports/);
  });
});

describe('fenced snippets', () => {
  // one surrounding fence and its lead-in go, in the CLI and through a server (the other
  // lead-ins: test/structural.test.ts)
  const swift = 'import Foundation\n\nfunc distance(_ a: Int, _ b: Int) -> Int {\n    return abs(a - b)\n}\n\nfunc main() {\n    print("hi")\n}\n';
  const fenced = '**main.swift**\n```swift\n// ... existing code ...\nfunc main() {\n    print("hello")\n}\n```\n';
  const swiftFile = join(dir, 'main.swift');

  it('apply, in-process and through a server', async () => {
    writeFileSync(swiftFile, swift);
    const [local, remote] = await Promise.all([runAsync(['apply', swiftFile, '--update', '-'], fenced), runAsync(['apply', swiftFile, '--update', '-', '--server', server.url], fenced)]);
    expect(local.stderr).toBe('');
    expect(local.stdout).toBe(swift.replace('"hi"', '"hello"'));
    expect(remote.stdout).toBe(local.stdout);
  });

  it('batch, in-process and through a server', async () => {
    writeFileSync(swiftFile, swift);
    const edits = join(dir, 'fenced.jsonl');
    writeFileSync(edits, `${JSON.stringify({ path: 'main.swift', update: fenced })}\n`);
    const runs = await Promise.all([[], ['--server', server.url]].map((via) => runAsync(['batch', '--edits', edits, '--root', dir, '--patch', '-', '--quiet', ...via], '')));
    for (const r of runs) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('-    print("hi")\n+    print("hello")\n');
      expect(r.stdout).not.toContain('```');
    }
  });
});

describe('specedit serve', () => {
  const firstLine = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--port', '0', ...args], { cwd: join(import.meta.dirname, '..'), env: { ...process.env, SPECEDIT_LOG: 'off', SPECEDIT_MODEL: '' } });
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) {
          child.kill('SIGTERM');
          resolve(out.split('\n')[0]);
        }
      });
      child.on('close', () => reject(new Error(`serve exited: ${err}`)));
    });

  it('says at startup whether a model is loaded, and which', async () => {
    expect(await firstLine([])).toMatch(/^specedit \S+ listening on http:\/\/127\.0\.0\.1:\d+; no model loaded \(structural merges only; --model FILE\.gguf for the rest\)$/);
    const { tinyModel } = await import('./engine/helpers.js');
    const model = tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2');
    expect(await firstLine(['--model', model])).toMatch(/; model specedit-generated-tiny-q8_0 \(qwen2, Q8_0, KV 16384 tokens \/ \d+ MiB\) on (cpu \S+( \(GPU not used: [^)]+\))?|cuda .+)$/);
    // SPECEDIT_DEVICE (or --device) cpu: no probe, no reason
    expect(await firstLine(['--model', model, '--device', 'cpu'])).toMatch(/ MiB\) on cpu \S+$/);
  }, 60_000);
});
