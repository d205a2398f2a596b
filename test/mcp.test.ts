// `specedit mcp` as an agent uses it: the SDK's own client, over stdio, against the CLI spawned as
// a child process (as test/cli.test.ts spawns it: node --import tsx src/cli-main.ts). The
// concurrent-change cases run the same server in memory, where the merge can be interleaved with
// a write to the file deterministically.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import { inProcessApplier, type Applier } from '../src/batch/appliers.js';
import { detectLanguage, GENERIC } from '../src/languages/registry.js';
import { failureText, markerFor } from '../src/mcp/advice.js';
import { createMcpServer } from '../src/mcp/server.js';
import { Workspace } from '../src/mcp/workspace.js';
import { startServer, type Running } from '../src/server/serve.js';

const repo = join(import.meta.dirname, '..');
const cli = join(repo, 'src', 'cli-main.ts');

const original = 'import os\n\n\ndef main():\n    print("hi")\n\n\nif __name__ == "__main__":\n    main()\n';
const update = '# ... existing code ...\ndef main():\n    print("hello")\n# ... existing code ...\n';
const expected = original.replace('"hi"', '"hello"');

/** A fresh workspace: root/ for the server, outside/ beside it for escape attempts. */
function workspace() {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'specedit-mcp-')));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  return { base, root, outside };
}

async function connectStdio(args: string[]): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', cli, 'mcp', ...args],
    cwd: repo,
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'specedit-test', version: '0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

const textOf = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;
const edit = (client: Client, target_file: string, code_edit: string, name = 'edit_file') =>
  client.callTool({ name, arguments: { target_file, instructions: 'I am making the edit.', code_edit } }) as Promise<CallToolResult>;
/** stderr arrives on its own pipe, in no fixed order with the protocol's answers: wait for it. */
async function stderrContains(stderr: () => string, text: string): Promise<string> {
  for (let i = 0; i < 200 && !stderr().includes(text); i++) await new Promise((r) => setTimeout(r, 50));
  return stderr();
}
const tmpFiles = (dir: string) => readdirSync(dir).filter((n) => n.includes('.specedit-'));

describe('specedit mcp over stdio', () => {
  const ws = workspace();
  let client: Client;
  let stderr: () => string;

  beforeAll(async () => {
    ({ client, stderr } = await connectStdio(['--root', ws.root]));
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists edit_file and preview_edit with the de-facto argument names', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['edit_file', 'preview_edit']);
    for (const t of tools) {
      expect(Object.keys(t.inputSchema.properties ?? {}).sort()).toEqual(['code_edit', 'instructions', 'target_file']);
      expect([...(t.inputSchema.required ?? [])].sort()).toEqual(['code_edit', 'instructions', 'target_file']);
    }
    const editFile = tools.find((t) => t.name === 'edit_file')!;
    expect(editFile.description).toContain('// ... existing code ...');
    expect(editFile.description).toContain('# ... existing code ...');
    expect(editFile.description).toMatch(/all edits to one file in one call/i);
    expect(tools.find((t) => t.name === 'preview_edit')!.annotations?.readOnlyHint).toBe(true);
    expect(await stderrContains(stderr, 'mcp: edit_file')).toContain(`mcp: edit_file, preview_edit for ${ws.root}; merges in-process (structural)`);
  });

  it('edits a file: written on disk, the diff and the stats returned', async () => {
    const file = join(ws.root, 'app.py');
    writeFileSync(file, original);
    const r = await edit(client, 'app.py', update);
    expect(r.isError).toBeFalsy();
    expect(readFileSync(file, 'utf8')).toBe(expected);
    const text = textOf(r);
    expect(text).toContain('Edited app.py (structural merge, python): +1 -1 lines.');
    expect(text).toContain('--- a/app.py\n+++ b/app.py');
    expect(text).toContain('-    print("hi")\n+    print("hello")');
    expect(text).toMatch(/stats: \{"mode":"structural","language":"python",.*"strategy":/);
    expect(tmpFiles(ws.root)).toEqual([]);
  });

  it('refuses a snippet that matches nothing: isError, the lines quoted, what to do, file untouched', async () => {
    const file = join(ws.root, 'refused.py');
    writeFileSync(file, original);
    const r = await edit(client, 'refused.py', '# ... existing code ...\ndef other():\n    return compute(42)\n# ... existing code ...\n');
    expect(r.isError).toBe(true);
    const text = textOf(r);
    expect(text).toContain('(no_anchor)');
    expect(text).toContain('Lines 2-3 of code_edit match nothing in the file');
    expect(text).toContain('    |     return compute(42)'); // indentation kept
    expect(text).toContain('What to do:');
    expect(text).toContain('# ... existing code ...'); // the marker in the file's own syntax
    expect(text).toContain('The file was not changed.');
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('refuses an ambiguous snippet with the candidate line ranges and how to choose', async () => {
    const file = join(ws.root, 'twice.py');
    const code = 'def a():\n    x = 1\n    return x\n\n\ndef b():\n    x = 1\n    return x\n';
    writeFileSync(file, code);
    const r = await edit(client, 'twice.py', '# ... existing code ...\n    x = 2\n    return x\n# ... existing code ...\n');
    expect(r.isError).toBe(true);
    const text = textOf(r);
    expect(text).toContain('(ambiguous_anchor)');
    expect(text).toMatch(/fit 2 places in the file equally: lines \d+(-\d+)?, \d+(-\d+)?/);
    expect(text).toMatch(/occur only at the place you mean/);
    expect(readFileSync(file, 'utf8')).toBe(code);
  });

  it('refuses a path that leaves the root by .., without touching the file there', async () => {
    const secret = join(ws.outside, 'secret.py');
    writeFileSync(secret, original);
    const r = await edit(client, '../outside/secret.py', update);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^Refused: .*outside the root/);
    expect(textOf(r)).toContain('Nothing was read or written');
    expect(readFileSync(secret, 'utf8')).toBe(original);
    // a new file by .. is refused as well, and not created
    const r2 = await edit(client, '../outside/new.py', 'x = 1\n');
    expect(r2.isError).toBe(true);
    expect(existsSync(join(ws.outside, 'new.py'))).toBe(false);
  });

  it('refuses an absolute path outside the root, never opening it, and accepts one inside', async () => {
    // a FIFO: opening it to read would block until a writer comes, so an answer at all shows it was not read
    const fifo = join(ws.outside, 'pipe.py');
    execFileSync('mkfifo', [fifo]);
    const r = await edit(client, fifo, update);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^Refused: .*outside the root/);

    const inside = join(ws.root, 'abs.py');
    writeFileSync(inside, original);
    const ok = await edit(client, inside, update);
    expect(ok.isError).toBeFalsy();
    expect(readFileSync(inside, 'utf8')).toBe(expected);
  });

  it('refuses a symlink (file or directory) that leads outside the root, and follows one inside it', async () => {
    const secret = join(ws.outside, 'linked.py');
    writeFileSync(secret, original);
    symlinkSync(secret, join(ws.root, 'link.py'));
    const r = await edit(client, 'link.py', update);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/symlink to .*outside the root/);
    expect(readFileSync(secret, 'utf8')).toBe(original);

    symlinkSync(ws.outside, join(ws.root, 'outdir'));
    const r2 = await edit(client, 'outdir/created.py', 'x = 1\n');
    expect(r2.isError).toBe(true);
    expect(textOf(r2)).toMatch(/outside the root/);
    expect(existsSync(join(ws.outside, 'created.py'))).toBe(false);

    // a symlink inside the root: its target is edited, the link stays a link
    const target = join(ws.root, 'real.py');
    writeFileSync(target, original);
    symlinkSync('real.py', join(ws.root, 'alias.py'));
    const ok = await edit(client, 'alias.py', update);
    expect(ok.isError).toBeFalsy();
    expect(readFileSync(target, 'utf8')).toBe(expected);
    expect(statSync(join(ws.root, 'alias.py')).isFile()).toBe(true);
    expect(readdirSync(ws.root)).toContain('alias.py');
  });

  it('creates a new file (and its directories) from a marker-free code_edit', async () => {
    const content = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
    const r = await edit(client, 'src/util/add.ts', content);
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toContain('Created src/util/add.ts (3 lines).');
    expect(textOf(r)).toContain('+export function add(a: number, b: number): number {');
    expect(readFileSync(join(ws.root, 'src/util/add.ts'), 'utf8')).toBe(content);
  });

  it('refuses to create a new file from a code_edit with marker lines', async () => {
    const r = await edit(client, 'missing.ts', '// ... existing code ...\nexport const x = 1;\n// ... existing code ...\n');
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('does not exist');
    expect(textOf(r)).toContain('line 1: "// ... existing code ..."');
    expect(existsSync(join(ws.root, 'missing.ts'))).toBe(false);
  });

  it('preview_edit returns the diff and writes nothing', async () => {
    const file = join(ws.root, 'preview.py');
    writeFileSync(file, original);
    const before = statSync(file).mtimeMs;
    const r = await edit(client, 'preview.py', update, 'preview_edit');
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toContain('Preview of the edit to preview.py');
    expect(textOf(r)).toContain('+    print("hello")');
    expect(textOf(r)).toContain('Nothing was written.');
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(statSync(file).mtimeMs).toBe(before);
    const created = await edit(client, 'not-yet.py', 'x = 1\n', 'preview_edit');
    expect(created.isError).toBeFalsy();
    expect(textOf(created)).toContain('edit_file would create it');
    expect(existsSync(join(ws.root, 'not-yet.py'))).toBe(false);
    expect(tmpFiles(ws.root)).toEqual([]);
  });

  it('keeps a BOM and CRLF line endings: bytes outside the edit are unchanged', async () => {
    const file = join(ws.root, 'crlf.py');
    const bytes = Buffer.from(`\uFEFF${original.replace(/\n/g, '\r\n')}`, 'utf8');
    writeFileSync(file, bytes);
    const r = await edit(client, 'crlf.py', update);
    expect(r.isError).toBeFalsy();
    const after = readFileSync(file);
    expect(after.equals(Buffer.from(`\uFEFF${expected.replace(/\n/g, '\r\n')}`, 'utf8'))).toBe(true);
  });

  it('refuses a file that is not valid UTF-8 rather than rewriting its bytes', async () => {
    const file = join(ws.root, 'latin1.py');
    const bytes = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(`\n${original}`)]);
    writeFileSync(file, bytes);
    const r = await edit(client, 'latin1.py', update);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('not valid UTF-8');
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('applies two edits of one file sent at once, one after the other', async () => {
    const file = join(ws.root, 'two.py');
    const code = 'def a():\n    return 1\n\n\ndef b():\n    return 2\n';
    writeFileSync(file, code);
    const [r1, r2] = await Promise.all([
      edit(client, 'two.py', 'def a():\n    return 10\n# ... existing code ...\n'),
      edit(client, 'two.py', '# ... existing code ...\ndef b():\n    return 20\n'),
    ]);
    expect([r1.isError, r2.isError]).toEqual([undefined, undefined]);
    expect(readFileSync(file, 'utf8')).toBe('def a():\n    return 10\n\n\ndef b():\n    return 20\n');
  });
});

describe('specedit mcp --server', () => {
  let server: Running;
  let client: Client;
  const ws = workspace();
  beforeAll(async () => {
    server = await startServer({ ...DEFAULTS, port: 0 });
    ({ client } = await connectStdio(['--root', ws.root, '--server', server.url]));
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('merges on the server and writes locally; a refusal carries the server details', async () => {
    const file = join(ws.root, 'app.py');
    writeFileSync(file, original);
    const r = await edit(client, 'app.py', update);
    expect(r.isError).toBeFalsy();
    expect(readFileSync(file, 'utf8')).toBe(expected);
    const bad = await edit(client, 'app.py', '# ... existing code ...\ndef other():\n    return compute(42)\n# ... existing code ...\n');
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain('    |     return compute(42)');
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});

describe('specedit mcp --model / --mode', () => {
  it('--mode model without a model: a tool error that says a model is needed', async () => {
    const ws = workspace();
    writeFileSync(join(ws.root, 'app.py'), original);
    const { client } = await connectStdio(['--root', ws.root, '--mode', 'model']);
    try {
      const r = await edit(client, 'app.py', update);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('(model_unavailable)');
      expect(textOf(r)).toContain('start specedit mcp with --model FILE.gguf');
      expect(readFileSync(join(ws.root, 'app.py'), 'utf8')).toBe(original);
    } finally {
      await client.close();
    }
  });

  it('--model loads the in-process model: --mode model merges through it', async () => {
    const { tinyModel } = await import('./engine/helpers.js');
    const model = tinyModel({ arch: 'qwen2', type: 'q8_0', seed: 2 }, '-seed2');
    const ws = workspace();
    const file = join(ws.root, 'app.py');
    writeFileSync(file, original);
    const { client, stderr } = await connectStdio(['--root', ws.root, '--model', model, '--mode', 'model']);
    try {
      expect(await stderrContains(stderr, 'mcp: edit_file')).toContain(`merges in-process (structural + model ${model}), mode model`);
      // random weights: what the model writes is arbitrary, but it is the model that wrote it
      const r = await edit(client, 'app.py', update, 'preview_edit');
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(textOf(r)).toMatch(/\(model merge, python\)|nothing to change/);
      expect(readFileSync(file, 'utf8')).toBe(original);
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('specedit mcp, the command line', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', cwd: repo, input: '' });

  it('prints its usage on --help', () => {
    const r = run(['mcp', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('specedit mcp [--root DIR] [--server URL] [--model FILE.gguf] [--mode auto|structural|model]');
    expect(r.stdout).toContain('edit_file(target_file, instructions, code_edit)');
  });

  it('rejects bad options with the usage, before serving', () => {
    for (const args of [['--mode', 'fast'], ['--root', '/nonexistent/specedit'], ['--server', 'not a url'], ['--bogus']]) {
      const r = run(['mcp', ...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('Usage:');
      expect(r.stdout).toBe('');
    }
  });
});

describe('a change on disk while the edit is merged', () => {
  async function inMemory(root: string, applier: Applier) {
    const { server } = createMcpServer({ workspace: await Workspace.open(root), applier });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: 'specedit-test', version: '0' });
    await client.connect(b);
    return client;
  }

  it('is kept: the merge result is not written, the tool says so', async () => {
    const { root } = workspace();
    const file = join(root, 'app.py');
    writeFileSync(file, original);
    const theirs = original.replace('import os', 'import sys');
    const merge = inProcessApplier(DEFAULTS.limits);
    // someone saves the file after specedit read it, while the merge runs
    const client = await inMemory(root, async (req, signal) => {
      const out = await merge(req, signal);
      writeFileSync(file, theirs);
      return out;
    });
    const r = await edit(client, 'app.py', update);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('app.py changed on disk while the edit was merged: nothing was written');
    expect(textOf(r)).toContain('Read the file again');
    expect(readFileSync(file, 'utf8')).toBe(theirs);
    expect(tmpFiles(root)).toEqual([]);
    await client.close();
  });

  it('is kept when it lands after the new content is prepared, just before the replace', async () => {
    const { root } = workspace();
    const file = join(root, 'late.py');
    writeFileSync(file, original);
    const ws = await Workspace.open(root);
    const snap = await ws.read((await ws.resolve('late.py')) as { exists: true; real: string; rel: string });
    await expect(ws.replace(snap, expected, { beforeCheck: async () => writeFileSync(file, 'x = 1\n') })).rejects.toThrow(/changed on disk/);
    expect(readFileSync(file, 'utf8')).toBe('x = 1\n');
    expect(tmpFiles(root)).toEqual([]);
    // unchanged: replaced
    const again = await ws.read((await ws.resolve('late.py')) as { exists: true; real: string; rel: string });
    await ws.replace(again, expected);
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });

  it('a new file that appears before it is created is not overwritten', async () => {
    const { root } = workspace();
    const ws = await Workspace.open(root);
    const t = await ws.resolve('new.py');
    expect(t.exists).toBe(false);
    writeFileSync(join(root, 'new.py'), 'theirs\n');
    await expect(ws.create(t as { exists: false; real: string; rel: string }, 'mine\n')).rejects.toThrow(/created by someone else/);
    expect(readFileSync(join(root, 'new.py'), 'utf8')).toBe('theirs\n');
    expect(tmpFiles(root)).toEqual([]);
  });
});

describe('Workspace limits', () => {
  it('refuses a file over the size limit before reading it', async () => {
    const { root } = workspace();
    writeFileSync(join(root, 'big.py'), 'x = 1\n'.repeat(10));
    const ws = await Workspace.open(root, { maxFileBytes: 59 });
    const t = (await ws.resolve('big.py')) as { exists: true; real: string; rel: string };
    await expect(ws.read(t)).rejects.toThrow('big.py is 60 bytes; the limit is 59');
    const roomy = await Workspace.open(root, { maxFileBytes: 60 });
    expect((await roomy.read(t)).text).toBe('x = 1\n'.repeat(10));
  });
});

describe('refusal texts', () => {
  const lang = (path: string) => detectLanguage({ path }) ?? GENERIC;
  const refused = (code: string, details?: Record<string, unknown>) => ({ ok: false as const, kind: 'refused' as const, status: 422, code, message: `the ${code} message.`, ...(details ? { details } : {}) });

  it('name the marker in the file\'s own comment syntax', () => {
    expect(markerFor(lang('a.py'))).toBe('# ... existing code ...');
    expect(markerFor(lang('a.ts'))).toBe('// ... existing code ...');
    expect(markerFor(lang('a.html'))).toBe('<!-- ... existing code ... -->');
    expect(markerFor(GENERIC)).toContain('// ... existing code ...');
  });

  it('say why, what to change, and that the file was not changed, for every refusal code', () => {
    const cases: [string, Record<string, unknown> | undefined, RegExp][] = [
      ['no_anchor', { snippet_lines: [3, 4], lines: ['  x = 1', 'y()'] }, /Lines 3-4 of code_edit match nothing[^]*\|   x = 1[^]*# \.\.\. existing code/],
      ['ambiguous_anchor', { snippet_lines: [2, 2], candidates: [{ start_line: 4, end_line: 6 }, { start_line: 9, end_line: 9 }] }, /fit 2 places in the file equally: lines 4-6, 9\.[^]*occur only at the place you mean/],
      ['missing_marker', { lines: 12, where: 'end' }, /end code_edit with a marker line \(# \.\.\. existing code \.\.\.\) to keep the file's lines below/],
      ['markers_only', undefined, /write the new or changed code/],
      ['markers_remaining', { line: '# ... rest ...' }, /"# \.\.\. rest \.\.\." reads as a marker/],
      ['snippet_lines_lost', { line: 'z = 3' }, /"z = 3" of code_edit found no place/],
      ['syntax_regression', { errors_before: 0, errors_after: 2 }, /balanced brackets/],
      ['deletion_budget', { lines_deleted: 40, original_lines: 50 }, /stand for each skipped stretch with a marker line/],
      ['unstated_deletion', { start_line: 5, end_line: 7, kind: 'partial_construct' }, /lines 5-7 of the file[^]*delete whole constructs/],
      ['check_failed', {}, /more unchanged context/],
    ];
    for (const [code, details, want] of cases) {
      const t = failureText(refused(code, details), 'a.py', lang('a.py'));
      expect(t, code).toContain(`specedit refused to merge the edit into a.py (${code}): the ${code} message.`);
      expect(t, code).toContain('The file was not changed.');
      expect(t, code).toMatch(want);
    }
  });

  it('say what to do when the service, not the edit, is the problem', () => {
    const t = failureText({ ok: false, kind: 'unreachable', code: 'unreachable', message: 'Cannot reach the specedit server at http://127.0.0.1:9 (ECONNREFUSED).' }, 'a.py', GENERIC);
    expect(t).toContain('ECONNREFUSED');
    expect(t).toContain('The file was not changed.');
    expect(t).toContain('Retry the call');
  });
});
