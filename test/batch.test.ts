// specedit batch: a temp repo tree of many files, dry run vs write, in-process and through a
// server, concurrency, a file modified during the run, refusals, path escapes, interrupt.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULTS, plainKey } from '../src/config.js';
import { startServer, type Running } from '../src/server/serve.js';
import { batchCommand, type BatchIo } from '../src/batch/command.js';
import { inProcessApplier, type Applier } from '../src/batch/appliers.js';
import { parseEditsJsonl, BatchInputError } from '../src/batch/edits.js';
import { globFiles, globToRegExp } from '../src/batch/glob.js';
import { realRoot, resolveInRoot } from '../src/batch/paths.js';
import { createProgress } from '../src/batch/progress.js';
import type { BatchReport } from '../src/batch/report.js';
import { runBatch } from '../src/batch/runner.js';

const N = 40;
const source = (i: number) => `import os\n\n\ndef helper_${i}(x):\n    return x + ${i}\n\n\ndef main():\n    print(helper_${i}(1))\n`;
const merged = (i: number) => source(i).replace(`x + ${i}`, `x * ${i}`);
const snippet = (i: number) => `# ... existing code ...\ndef helper_${i}(x):\n    return x * ${i}\n# ... existing code ...\n`;
const rel = (i: number) => `pkg${i % 4}/sub/mod${i}.py`;

let server: Running;
let slow: { url: string; server: Server; aborted: number; close(): Promise<void> };

/** A proxy in front of the real server that answers /apply after `delayMs`; counts requests whose client went away. */
function slowProxy(target: string, delayMs: number) {
  const state = { aborted: 0 };
  const srv = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      let gone = false;
      res.on('close', () => {
        if (!res.writableFinished) {
          gone = true;
          state.aborted += 1;
        }
      });
      setTimeout(async () => {
        if (gone) return;
        const up = await fetch(`${target}${req.url}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: req.headers.accept ?? '' }, body: Buffer.concat(parts) });
        res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await up.arrayBuffer()));
      }, delayMs);
    });
  });
  return new Promise<typeof slow>((resolve) =>
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        server: srv,
        get aborted() {
          return state.aborted;
        },
        close: () => new Promise<void>((done) => { srv.closeAllConnections(); srv.close(() => done()); }),
      });
    }),
  );
}

beforeAll(async () => {
  server = await startServer({ ...DEFAULTS, port: 0 });
  slow = await slowProxy(server.url, 250);
});
afterAll(async () => {
  await slow.close();
  await server.close();
});

let root: string;
let editsFile: string;
function makeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'specedit-batch-'));
  for (let i = 0; i < N; i++) {
    mkdirSync(join(dir, `pkg${i % 4}`, 'sub'), { recursive: true });
    writeFileSync(join(dir, rel(i)), source(i));
  }
  writeFileSync(join(dir, 'README.md'), '# not python\n');
  return dir;
}
const writeEdits = (dir: string, lines: object[]) => {
  const f = join(dir, '..', `${dir.split('/').pop()}-edits.jsonl`);
  writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return f;
};
const allEdits = () => Array.from({ length: N }, (_, i) => ({ path: rel(i), update: snippet(i) }));

function capture(): BatchIo & { out: () => string; err: () => string; interrupt: () => void } {
  let out = '';
  let err = '';
  let handler: (() => void) | undefined;
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    onInterrupt: (h) => {
      handler = h;
      return () => (handler = undefined);
    },
    out: () => out,
    err: () => err,
    interrupt: () => handler?.(),
  };
}
const readReport = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as BatchReport;
const tmpFiles = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.includes('.specedit-'));

beforeEach(() => {
  root = makeTree();
  editsFile = writeEdits(root, allEdits());
});

describe('specedit batch --edits', () => {
  it('dry run: summary, a combined patch that git applies, a report; no file touched', async () => {
    const io = capture();
    const patch = join(root, '..', 'out.diff');
    const report = join(root, '..', 'report.json');
    const rc = await batchCommand(['--edits', editsFile, '--root', root, '--patch', patch, '--report', report], io);
    expect(io.err()).toMatch(/40 files: dry run \(nothing written\)/);
    expect(io.err()).toMatch(/changed 40 \(\+40 -40\)/);
    expect(rc).toBe(0);
    for (let i = 0; i < N; i++) expect(readFileSync(join(root, rel(i)), 'utf8')).toBe(source(i));
    const r = readReport(report);
    expect(r.dry_run).toBe(true);
    expect(r.summary).toMatchObject({ total: 40, changed: 40, written: 0, refused: 0, error: 0 });
    expect(r.files[0]).toMatchObject({ path: rel(0), outcome: 'changed', written: false, lines_added: 1, lines_deleted: 1 });
    expect(r.files[0].merges[0]).toMatchObject({ mode: 'structural', language: 'python' });
    // The patch is what --write would do.
    const check = spawnSync('git', ['apply', '--check', '--verbose', patch], { cwd: root, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    spawnSync('git', ['apply', patch], { cwd: root });
    for (let i = 0; i < N; i++) expect(readFileSync(join(root, rel(i)), 'utf8')).toBe(merged(i));
  });

  it('--write: every file replaced atomically, permissions kept, no temp files left', async () => {
    chmodSync(join(root, rel(3)), 0o600);
    const io = capture();
    const rc = await batchCommand(['--edits', editsFile, '--root', root, '--write', '--concurrency', '8'], io);
    expect(rc).toBe(0);
    expect(io.err()).toMatch(/40 files written/);
    for (let i = 0; i < N; i++) expect(readFileSync(join(root, rel(i)), 'utf8')).toBe(merged(i));
    expect(statSync(join(root, rel(3))).mode & 0o777).toBe(0o600);
    expect(tmpFiles(root)).toEqual([]);
  });

  it('through a server (streamed), concurrently: same result as in-process', async () => {
    const io = capture();
    const report = join(root, '..', 'report-server.json');
    const rc = await batchCommand(['--edits', editsFile, '--root', root, '--server', server.url, '--concurrency', '16', '--write', '--report', report], io);
    expect(io.err()).toMatch(/refused 0, skipped 0, errors 0/);
    expect(rc).toBe(0);
    for (let i = 0; i < N; i++) expect(readFileSync(join(root, rel(i)), 'utf8')).toBe(merged(i));
    const r = readReport(report);
    expect(r.via).toBe(server.url);
    expect(r.files.map((f) => f.path)).toEqual(allEdits().map((e) => e.path)); // job order, not finish order
    expect(r.files[5].merges[0].stats).toHaveProperty('strategy');
  });

  it('sends SPECEDIT_API_KEY to a server that needs a key; a wrong key is an error per file', async () => {
    const keyed = await startServer({ ...DEFAULTS, port: 0, auth: { ...DEFAULTS.auth, keys: [plainKey('batch-key')] } });
    const edits = writeEdits(root, allEdits().slice(0, 2));
    try {
      process.env.SPECEDIT_API_KEY = 'wrong';
      const bad = capture();
      expect(await batchCommand(['--edits', edits, '--root', root, '--server', keyed.url], bad)).toBe(1);
      expect(bad.err()).toMatch(/error +pkg0\/sub\/mod0\.py: invalid_api_key/);
      process.env.SPECEDIT_API_KEY = 'batch-key';
      const good = capture();
      expect(await batchCommand(['--edits', edits, '--root', root, '--server', keyed.url, '--write'], good)).toBe(0);
      expect(readFileSync(join(root, rel(1)), 'utf8')).toBe(merged(1));
    } finally {
      delete process.env.SPECEDIT_API_KEY;
      await keyed.close();
    }
  });

  it('runs N files at once and no more', async () => {
    const base = inProcessApplier(DEFAULTS.limits);
    let inFlight = 0;
    let peak = 0;
    const applier: Applier = async (req, signal) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return base(req, signal);
    };
    const run = await runBatch({ root: await realRoot(root), jobs: parseEditsJsonl(readFileSync(editsFile, 'utf8')), applier, concurrency: 6, write: false });
    expect(peak).toBe(6);
    expect(run.results.every((r) => r.outcome === 'changed')).toBe(true);
  });

  it('a file modified during the run is skipped and reported, not overwritten', async () => {
    const base = inProcessApplier(DEFAULTS.limits);
    const touched = join(root, rel(7));
    const applier: Applier = async (req, signal) => {
      if (req.path === rel(7)) writeFileSync(touched, source(7) + '# edited by someone else\n');
      return base(req, signal);
    };
    const run = await runBatch({ root: await realRoot(root), jobs: parseEditsJsonl(readFileSync(editsFile, 'utf8')), applier, concurrency: 4, write: true });
    const r7 = run.results[7];
    expect(r7).toMatchObject({ outcome: 'skipped', code: 'modified_during_run', written: false });
    expect(readFileSync(touched, 'utf8')).toBe(source(7) + '# edited by someone else\n');
    expect(run.results.filter((r) => r.outcome === 'changed' && r.written)).toHaveLength(N - 1);
  });

  it('refusals carry the reason (lines that did not anchor) and exit 2; the others still merge', async () => {
    const edits = allEdits().slice(0, 3);
    edits[1] = { path: rel(1), update: '# ...\nnothing_like_this_anywhere()\n# ...\n' };
    const io = capture();
    const report = join(root, '..', 'report-refused.json');
    const rc = await batchCommand(['--edits', writeEdits(root, edits), '--root', root, '--write', '--report', report], io);
    expect(rc).toBe(2);
    expect(io.err()).toMatch(/refused +pkg1\/sub\/mod1\.py: no_anchor: .*did not anchor: "nothing_like_this_anywhere\(\)".*\[edits line 2\]/);
    expect(readFileSync(join(root, rel(1)), 'utf8')).toBe(source(1));
    expect(readFileSync(join(root, rel(0)), 'utf8')).toBe(merged(0));
    const r = readReport(report);
    expect(r.files[1]).toMatchObject({ outcome: 'refused', code: 'no_anchor', edit_line: 2 });
    expect(r.files[1].details).toHaveProperty('lines');
  });

  it('several edits to one file apply in order; one refusal leaves the file untouched', async () => {
    const second = `# ... existing code ...\ndef main():\n    print(helper_0(2))\n`;
    const io = capture();
    const rc = await batchCommand(['--edits', writeEdits(root, [{ path: rel(0), update: snippet(0) }, { path: `./${rel(0)}`, update: second }]), '--root', root, '--write'], io);
    expect(rc).toBe(0);
    expect(readFileSync(join(root, rel(0)), 'utf8')).toBe(merged(0).replace('helper_0(1)', 'helper_0(2)'));
  });

  it('refuses paths outside the root: .. and symlinks, and never touches their targets', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'specedit-outside-'));
    writeFileSync(join(outside, 'secret.py'), source(0));
    symlinkSync(join(outside, 'secret.py'), join(root, 'pkg0', 'link.py'));
    symlinkSync(outside, join(root, 'pkg1', 'linkdir'));
    symlinkSync(join(root, rel(2)), join(root, 'pkg3', 'inside-link.py')); // inside the root: allowed
    const escape = join('..', outside.split('/').pop()!, 'secret.py');
    const edits = [
      { path: escape, update: snippet(0) },
      { path: 'pkg0/link.py', update: snippet(0) },
      { path: 'pkg1/linkdir/secret.py', update: snippet(0) },
      { path: '/etc/passwd', update: snippet(0) },
      { path: 'pkg3/inside-link.py', update: snippet(2) },
      { path: 'pkg3/missing.py', update: snippet(2) },
    ];
    const io = capture();
    const report = join(root, '..', 'report-escape.json');
    const rc = await batchCommand(['--edits', writeEdits(root, edits), '--root', root, '--write', '--report', report], io);
    expect(rc).toBe(1); // the missing file is an error
    const r = readReport(report);
    expect(r.files.map((f) => [f.outcome, f.code])).toEqual([
      ['refused', 'path_escape'],
      ['refused', 'path_escape'],
      ['refused', 'path_escape'],
      ['refused', 'path_escape'],
      ['changed', undefined],
      ['error', 'not_found'],
    ]);
    expect(readFileSync(join(outside, 'secret.py'), 'utf8')).toBe(source(0));
    // The symlink inside the root stays a symlink; its target got the edit.
    expect(readFileSync(join(root, rel(2)), 'utf8')).toBe(merged(2));
    expect(statSync(join(root, 'pkg3', 'inside-link.py')).isFile()).toBe(true);
    expect(readdirSync(join(root, 'pkg3'), { withFileTypes: true }).find((e) => e.name === 'inside-link.py')!.isSymbolicLink()).toBe(true);
    expect(await resolveInRoot(await realRoot(root), 'pkg0/../../x')).toMatchObject({ ok: false, code: 'path_escape' });
  });

  it('Ctrl-C: in-flight requests are cancelled, nothing new starts, nothing half-written, a report of what was done', async () => {
    const io = capture();
    const report = join(root, '..', 'report-int.json');
    const abortedBefore = slow.aborted;
    const running = batchCommand(['--edits', editsFile, '--root', root, '--server', slow.url, '--concurrency', '4', '--write', '--report', report], io);
    setTimeout(() => io.interrupt(), 400); // 4 done at ~250 ms, 4 more in flight
    const rc = await running;
    expect(rc).toBe(130);
    expect(io.err()).toMatch(/interrupted: cancelling in-flight requests/);
    const r = readReport(report);
    expect(r.interrupted).toBe(true);
    expect(r.summary.written).toBeGreaterThanOrEqual(4);
    expect(r.summary.written).toBeLessThan(N);
    expect(r.summary.cancelled).toBe(N - r.summary.written);
    for (let i = 0; i < N; i++) {
      const f = r.files[i];
      expect(readFileSync(join(root, rel(i)), 'utf8')).toBe(f.written ? merged(i) : source(i));
    }
    expect(tmpFiles(root)).toEqual([]);
    // the server sees the requests go away (its close events may lag on a loaded machine)
    for (let t = 0; t < 60 && slow.aborted === abortedBefore; t++) await new Promise((res) => setTimeout(res, 50));
    expect(slow.aborted - abortedBefore).toBeGreaterThanOrEqual(1);
  });

  it('a real SIGINT to the CLI process stops it with exit code 130 and a summary', async () => {
    const cli = join(import.meta.dirname, '..', 'src', 'cli-main.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'batch', '--edits', editsFile, '--root', root, '--server', slow.url, '--concurrency', '2', '--write'], {
      cwd: join(import.meta.dirname, '..'),
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /\[2\/40\]/.test(stderr)) sent = child.kill('SIGINT'); // once: a second Ctrl-C quits at once
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(stderr).toMatch(/^\[1\/40\] written  pkg\d\/sub\/mod\d+\.py \(\+1 -1\)$/m); // plain lines: not a TTY
    expect(stderr).toMatch(/INTERRUPTED/);
    expect(code).toBe(130);
    expect(tmpFiles(root)).toEqual([]);
  });
});

describe('specedit batch --glob --instruction', () => {
  it('in-process: every file is reported as needing a model backend (501 model_unavailable), exit 1', async () => {
    const io = capture();
    const report = join(root, '..', 'report-glob.json');
    const rc = await batchCommand(['--glob', 'pkg1/**/*.py', '--instruction', 'add type hints', '--root', root, '--report', report], io);
    expect(rc).toBe(1);
    const r = readReport(report);
    expect(r.summary).toMatchObject({ total: 10, error: 10 });
    expect(r.files.every((f) => f.code === 'model_unavailable')).toBe(true);
    expect(io.err()).toMatch(/10 files need a model .* none runs in-process: give --model FILE\.gguf/);
    expect(io.err()).toMatch(/error +pkg1\/sub\/mod1\.py: model_unavailable: An instruction without an update snippet needs a model backend/);
  });

  it('one file: "1 file needs", in the singular', async () => {
    const io = capture();
    expect(await batchCommand(['--glob', 'mod1.py', '--instruction', 'add type hints', '--root', root], io)).toBe(1);
    expect(io.err()).toMatch(/^ {2}1 file needs a model \(/m);
  });

  it('--model: the in-process model writes what needs one, as apply --model does', async () => {
    const { tinyModel } = await import('./engine/helpers.js');
    const model = tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2');
    const io = capture();
    const report = join(root, '..', 'report-model.json');
    const rc = await batchCommand(['--glob', 'mod1.py', '--instruction', 'add type hints', '--root', root, '--model', model, '--report', report], io);
    expect(io.err()).not.toMatch(/needs? a model/);
    expect(rc).toBe(0);
    const r = readReport(report);
    expect(r.summary).toMatchObject({ total: 1, error: 0 });
    expect(r.files[0].merges[0].mode).toBe('model');
    // one or the other: the model runs here, or on a server
    const both = capture();
    expect(await batchCommand(['--glob', 'mod1.py', '--instruction', 'x', '--root', root, '--model', model, '--server', server.url], both)).toBe(2);
    expect(both.err()).toMatch(/--model runs the model in this process; --server sends the merges to a server/);
    const missing = capture();
    expect(await batchCommand(['--glob', 'mod1.py', '--instruction', 'x', '--root', root, '--model', join(root, 'nope.gguf')], missing)).toBe(2);
    expect(missing.err()).toMatch(/--model: no such file/);
  }, 60_000);

  it('through a server: the server model path is asked, and its answer reported per file', async () => {
    const io = capture();
    const rc = await batchCommand(['--glob', '*.md', '--instruction', 'fix typos', '--root', root, '--server', server.url], io);
    expect(rc).toBe(1);
    expect(io.err()).toMatch(/error +README\.md: model_unavailable/);
    expect(io.err()).toMatch(/the server at http:\/\/127\.0\.0\.1:\d+ has none configured/);
  });

  it('matches files with *, **, ? and {a,b}', async () => {
    expect(globToRegExp('*.py').test('a/b/c.py')).toBe(true);
    expect(globToRegExp('pkg0/*.py').test('pkg0/sub/x.py')).toBe(false);
    expect(globToRegExp('pkg0/**/*.py').test('pkg0/sub/x.py')).toBe(true);
    expect(globToRegExp('pkg0/**/*.py').test('pkg0/x.py')).toBe(true);
    expect(globToRegExp('mod?.{py,md}').test('x/mod1.md')).toBe(true);
    expect(globToRegExp('mod?.{py,md}').test('x/mod12.py')).toBe(false);
    expect(await globFiles(root, 'pkg2/**/mod1?.py')).toEqual(['pkg2/sub/mod10.py', 'pkg2/sub/mod14.py', 'pkg2/sub/mod18.py']);
  });
});

describe('specedit batch input and output', () => {
  it('rejects a bad edits file with every bad line named, before touching anything', async () => {
    const f = join(root, '..', 'bad.jsonl');
    writeFileSync(f, `{"path": "a.py", "update": "x"}\n{nope\n{"path": "b.py"}\n{"path": "c.py", "udpate": "x"}\n`);
    const io = capture();
    expect(await batchCommand(['--edits', f, '--root', root], io)).toBe(1);
    expect(io.err()).toMatch(/bad\.jsonl:2: not valid JSON/);
    expect(io.err()).toMatch(/bad\.jsonl:3: update: each edit needs update or instruction/);
    expect(io.err()).toMatch(/bad\.jsonl:4: .*udpate/);
    expect(() => parseEditsJsonl('\n\n')).toThrow(BatchInputError);
  });

  it('usage errors exit 2 with the usage text', async () => {
    for (const args of [[], ['--glob', '*.py'], ['--edits', editsFile, '--glob', '*.py'], ['--edits', editsFile, '--concurrency', '0'], ['--edits', editsFile, '--mode', 'fast'], ['--edits', editsFile, '--root', join(root, 'nope')]]) {
      const io = capture();
      expect(await batchCommand(args, io)).toBe(2);
      expect(io.err()).toMatch(/Usage:/);
    }
  });

  it('progress: a redrawn bar with rate and ETA on a terminal, plain lines otherwise', () => {
    let t = 0;
    let tty = '';
    const p = createProgress({ isTTY: true, columns: 100, write: (s) => (tty += s) }, () => t);
    const result = (i: number, outcome: 'changed' | 'refused') => ({ path: `f${i}.py`, outcome, code: outcome === 'refused' ? 'no_anchor' : undefined, message: 'm', written: false, lines_added: 1, lines_deleted: 0, merges: [], diff: '', duration_ms: 1 });
    p.start(10);
    t = 1000;
    p.fileDone(result(1, 'changed'), 1, 10);
    t = 2000;
    p.fileDone(result(2, 'refused'), 2, 10);
    p.finish();
    expect(tty).toMatch(/\r\x1b\[K\[#+-+\] 2\/10 20%  1\.0 files\/s  ETA 0:08/);
    expect(tty).toMatch(/refused  f2\.py: no_anchor: m\n/);
    let plain = '';
    const q = createProgress({ isTTY: false, write: (s) => (plain += s) });
    q.start(2);
    q.fileDone(result(1, 'changed'), 1, 2);
    q.fileDone(result(2, 'refused'), 2, 2);
    q.finish();
    expect(plain).toBe('specedit batch: 2 files\n[1/2] changed  f1.py (+1 -0)\n[2/2] refused  f2.py: no_anchor: m\n');
  });

  it('--patch - writes the patch to stdout', async () => {
    const io = capture();
    await batchCommand(['--edits', writeEdits(root, allEdits().slice(0, 2)), '--root', root, '--patch', '-', '--quiet'], io);
    expect(io.out()).toBe(
      ['--- a/pkg0/sub/mod0.py', '+++ b/pkg0/sub/mod0.py'].join('\n') + io.out().slice('--- a/pkg0/sub/mod0.py\n+++ b/pkg0/sub/mod0.py'.length),
    );
    expect(io.out()).toMatch(/^-    return x \+ 1\n\+    return x \* 1$/m);
    expect(io.err()).not.toMatch(/\[1\/2\]/);
  });
});
