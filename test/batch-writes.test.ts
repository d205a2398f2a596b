// Writes that never lose an edit, and bytes kept exactly: aliases of one file, a concurrent writer
// hammering the files a batch writes, files in other encodings, temp files left by a killed run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replaceIfUnchanged, sweepStaleTemps } from '../src/atomic-write.js';
import { inProcessApplier } from '../src/batch/appliers.js';
import type { BatchJob } from '../src/batch/edits.js';
import { realRoot } from '../src/batch/paths.js';
import { runBatch } from '../src/batch/runner.js';
import { DEFAULTS } from '../src/config.js';

const applier = inProcessApplier(DEFAULTS.limits);
const tempDir = () => mkdtempSync(join(tmpdir(), 'specedit-writes-'));

const py = (i: number, v: number) => `import os\n\n\ndef helper_${i}(x):\n    return x + ${v}\n\n\ndef main():\n    print(helper_${i}(1))\n`;
const setReturn = (i: number, v: number) => `# ... existing code ...\ndef helper_${i}(x):\n    return x + ${v}\n# ... existing code ...\n`;

describe('batch: one file under two names', () => {
  it('a path and a symlink to it: both edits land, in order (it lost one, 20 of 20 times)', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'a.py'), `${py(1, 0)}\n\ndef other(y):\n    return y\n`);
    symlinkSync('a.py', join(root, 'link.py'));
    const jobs: BatchJob[] = [
      { path: 'a.py', edits: [{ update: setReturn(1, 5) }] },
      { path: 'link.py', edits: [{ update: '# ... existing code ...\ndef other(y):\n    return y * 2\n' }] },
      { path: './sub/../a.py', edits: [{ update: '# ... existing code ...\ndef main():\n    print(helper_1(2))\n# ... existing code ...\n' }] },
    ];
    for (const write of [false, true]) {
      const run = await runBatch({ root: await realRoot(root), jobs, applier, concurrency: 3, write });
      expect(run.results.map((r) => r.outcome)).toEqual(['changed', 'changed', 'changed']);
      if (!write) {
        // a dry run shows each edit on top of the one before it: the patches apply in order
        expect(run.results[1].diff).toContain('+    return y * 2');
        expect(run.results[1].diff).not.toContain('x + 5');
        expect(readFileSync(join(root, 'a.py'), 'utf8')).toContain('return x + 0');
      }
    }
    const text = readFileSync(join(root, 'a.py'), 'utf8');
    expect(text).toContain('return x + 5');
    expect(text).toContain('return y * 2');
    expect(text).toContain('print(helper_1(2))');
  });
});

// A writer in another process: appends a numbered line to one file after another, as an editor
// saving would (write a temp, rename it over). It prints every line it wrote when told to stop.
const WRITER = `
const fs = require('node:fs');
const files = JSON.parse(process.argv[1]);
const wrote = [];
let stop = false, n = 0;
process.on('message', () => { stop = true; });
process.on('disconnect', () => process.exit(0)); // the test is gone: never outlive it
(function loop() {
  if (stop) { process.send(wrote, () => process.exit(0)); return; }
  const f = files[n % files.length];
  const line = '# w' + n + '\\n';
  const tmp = f + '.w' + n;
  fs.writeFileSync(tmp, fs.readFileSync(f, 'utf8') + line);
  fs.renameSync(tmp, f);
  wrote.push([f, line]);
  n++;
  setTimeout(loop, 1);
})();
`;

describe('batch --write beside a concurrent writer', () => {
  it('never overwrites a change made after its read: every line the other writer wrote survives', async () => {
    const root = tempDir();
    const FILES = 8;
    const ROUNDS = 20;
    const files = Array.from({ length: FILES }, (_, i) => join(root, `m${i}.py`));
    files.forEach((f, i) => writeFileSync(f, py(i, 0)));
    const writer = spawn(process.execPath, ['-e', WRITER, JSON.stringify(files)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const wrote = new Promise<[string, string][]>((resolve) => writer.once('message', (m) => resolve(m as [string, string][])));
    let written = 0;
    let skipped = 0;
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const jobs = files.map((_, i) => ({ path: `m${i}.py`, edits: [{ update: setReturn(i, round) }] }));
        const run = await runBatch({ root: await realRoot(root), jobs, applier, concurrency: 4, write: true });
        for (const r of run.results) {
          expect(['changed', 'skipped']).toContain(r.outcome);
          if (r.written) written++;
          if (r.outcome === 'skipped') skipped++;
        }
      }
    } finally {
      writer.send('stop');
      setTimeout(() => writer.kill(), 10_000).unref();
    }
    const lines = await wrote;
    expect(lines.length).toBeGreaterThan(100);
    for (const [f, line] of lines) expect(readFileSync(f, 'utf8')).toContain(line);
    expect(written).toBeGreaterThan(0);
    expect(written + skipped).toBe(ROUNDS * FILES);
    expect(readdirSync(root).filter((n) => n.includes('.specedit-'))).toEqual([]);
  }, 60_000);
});

describe('replaceIfUnchanged', () => {
  it('writes when the file holds what was read; otherwise leaves it exactly as the other writer left it', async () => {
    const dir = tempDir();
    const f = join(dir, 'x.txt');
    writeFileSync(f, 'one\n');
    const read = readFileSync(f);
    expect(await replaceIfUnchanged(f, Buffer.from('two\n'), read)).toEqual({ written: true });
    expect(readFileSync(f, 'utf8')).toBe('two\n');
    writeFileSync(f, 'someone else\n');
    expect(await replaceIfUnchanged(f, Buffer.from('three\n'), Buffer.from('two\n'))).toEqual({ written: false, reason: 'changed' });
    expect(readFileSync(f, 'utf8')).toBe('someone else\n');
    expect(await replaceIfUnchanged(join(dir, 'gone.txt'), Buffer.from('x'), read)).toEqual({ written: false, reason: 'missing' });
    expect(readdirSync(dir).sort()).toEqual(['x.txt']);
  });

  it('removes the temp files of a writer that died (kill -9), and keeps a live writer\'s', async () => {
    const dir = tempDir();
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((r) => dead.on('exit', () => r(dead.pid!)));
    const stale = join(dir, `.a.py.specedit-${deadPid}-0123456789ab.tmp`);
    const live = join(dir, `.a.py.specedit-${process.pid}-ba9876543210.tmp`);
    const other = join(dir, '.a.py.swp');
    for (const f of [stale, live, other]) writeFileSync(f, 'x');
    expect(await sweepStaleTemps(dir)).toEqual([stale]);
    expect([existsSync(stale), existsSync(live), existsSync(other)]).toEqual([false, true, true]);
  });
});

describe('bytes kept exactly', () => {
  const latin1 = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n')]);
  const edit = '# ... existing code ...\ndef g():\n    return 3\n';

  it('a Latin-1 file is refused (unsupported_encoding, nothing written) unless it is declared', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'l.py'), latin1);
    const jobs = [{ path: 'l.py', edits: [{ update: edit }] }];
    const refused = await runBatch({ root: await realRoot(root), jobs, applier, concurrency: 1, write: true });
    expect(refused.results[0]).toMatchObject({ outcome: 'refused', code: 'unsupported_encoding', written: false });
    expect(refused.results[0].message).toMatch(/line 1.*--encoding latin1/);
    expect(readFileSync(join(root, 'l.py'))).toEqual(latin1);

    const run = await runBatch({ root: await realRoot(root), jobs, applier, concurrency: 1, write: true, latin1: true });
    expect(run.results[0]).toMatchObject({ outcome: 'changed', written: true });
    expect(readFileSync(join(root, 'l.py'))).toEqual(Buffer.from(latin1.toString('latin1').replace('return 2', 'return 3'), 'latin1'));
  });

  it('an edit that adds what Latin-1 cannot hold is refused, not written lossily', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'l.py'), latin1);
    const run = await runBatch({ root: await realRoot(root), jobs: [{ path: 'l.py', edits: [{ update: edit.replace('3', '"→"') }] }], applier, concurrency: 1, write: true, latin1: true });
    expect(run.results[0]).toMatchObject({ outcome: 'refused', code: 'unsupported_encoding', written: false });
    expect(readFileSync(join(root, 'l.py'))).toEqual(latin1);
  });

  it('UTF-16 and UTF-8 files with a byte order mark come back in their encoding, BOM kept', async () => {
    const root = tempDir();
    const text = latin1.toString('latin1').replace('\n', '\r\n');
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le).swap16();
    const bom8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    writeFileSync(join(root, 'le.py'), le);
    writeFileSync(join(root, 'be.py'), be);
    writeFileSync(join(root, 'bom.py'), bom8);
    const jobs = ['le.py', 'be.py', 'bom.py'].map((path) => ({ path, edits: [{ update: edit }] }));
    const run = await runBatch({ root: await realRoot(root), jobs, applier, concurrency: 3, write: true });
    expect(run.results.map((r) => r.outcome)).toEqual(['changed', 'changed', 'changed']);
    const want = text.replace('return 2', 'return 3');
    expect(readFileSync(join(root, 'le.py'))).toEqual(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(want, 'utf16le')]));
    expect(readFileSync(join(root, 'be.py'))).toEqual(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(want, 'utf16le')]).swap16());
    expect(readFileSync(join(root, 'bom.py'))).toEqual(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(want, 'utf8')]));
  });
});

// Property: whatever the file's encoding and line endings, a merged file differs from the original
// only on the edited line; every other line comes back byte for byte.
describe('property: bytes outside the edit are kept', () => {
  const ENCODINGS = ['utf8', 'utf8-bom', 'utf16le', 'utf16be', 'latin1'] as const;
  const encode = (text: string, enc: (typeof ENCODINGS)[number]) => {
    const bom = { utf8: [], 'utf8-bom': [0xef, 0xbb, 0xbf], utf16le: [0xff, 0xfe], utf16be: [0xfe, 0xff], latin1: [] }[enc];
    const body = Buffer.from(text, enc === 'latin1' ? 'latin1' : enc.startsWith('utf16') ? 'utf16le' : 'utf8');
    if (enc === 'utf16be') body.swap16();
    return Buffer.concat([Buffer.from(bom), body]);
  };
  /** Lines as byte strings of the file's encoding, split at LF (CR stays with its line). */
  const byteLines = (b: Buffer, enc: (typeof ENCODINGS)[number]) => {
    const unit = enc.startsWith('utf16') ? 2 : 1;
    const lf = enc === 'utf16be' ? Buffer.from([0, 10]) : enc === 'utf16le' ? Buffer.from([10, 0]) : Buffer.from([10]);
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i + unit <= b.length; i += unit) {
      if (b.subarray(i, i + unit).equals(lf)) {
        out.push(b.subarray(start, i + unit).toString('hex'));
        start = i + unit;
      }
    }
    out.push(b.subarray(start).toString('hex'));
    return out;
  };

  it('for random files, encodings, line endings and one-line edits', async () => {
    const fc = (await import('fast-check')).default;
    const word = (latin: boolean) => fc.array(fc.constantFrom(...'abcxyz _=(){};'.split(''), 'é', 'ü', 'ÿ', ...(latin ? [] : ['€', '日', '🙂'])), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
    const root = tempDir();
    let merged = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENCODINGS).chain((enc) =>
          fc.record({
            enc: fc.constant(enc),
            lines: fc.array(word(enc === 'latin1'), { minLength: 3, maxLength: 30 }),
            eol: fc.array(fc.constantFrom('\n', '\r\n'), { minLength: 30, maxLength: 30 }),
            at: fc.nat(),
            added: word(enc === 'latin1'),
            finalNewline: fc.boolean(),
          }),
        ),
        async ({ enc, lines, eol, at, added, finalNewline }) => {
          const L = lines.map((l, i) => `line${i} ${l}`);
          const k = 1 + (at % (L.length - 2)); // an inner line: context on both sides
          const text = L.map((l, i) => l + (i < L.length - 1 || finalNewline ? eol[i] : '')).join('');
          const before = encode(text, enc);
          const file = join(root, `p${merged}.txt`);
          writeFileSync(file, before);
          const update = `// ... existing code ...\n${L[k - 1]}\nNEW ${added}\n${L[k + 1]}\n// ... existing code ...\n`;
          const run = await runBatch({ root: await realRoot(root), jobs: [{ path: file.slice(root.length + 1), edits: [{ update }] }], applier, concurrency: 1, write: true, latin1: enc === 'latin1' });
          const r = run.results[0];
          expect(r.outcome).toBe('changed');
          merged++;
          const a = byteLines(before, enc);
          const b = byteLines(readFileSync(file), enc);
          expect(b.length).toBe(a.length);
          b.forEach((line, i) => {
            if (i !== k) expect(line).toBe(a[i]);
          });
        },
      ),
      { numRuns: 150, seed: Number(process.env.PROPERTY_SEED ?? 20261202) },
    );
    expect(merged).toBe(150);
  }, 60_000);
});
