// The README's examples run as written. A code block marked with
//   <!-- tested: output contains "TEXT" -->
// on the line before it is run here (sh with bash, js with node, ts with node + tsx; from the
// repository root) against a server started for the test, whose address stands in for
// http://127.0.0.1:8787 (and a tiny generated model for model.gguf), and must exit 0 and print TEXT.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import { startServer, type Running } from '../src/server/serve.js';
import { tinyModel } from './engine/helpers.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Example {
  line: number;
  lang: string;
  code: string;
  prints: string;
}

const examples: Example[] = [...readme.matchAll(/^<!-- tested: output contains (".*") -->\n```(\w+)\n([^]*?)\n```$/gm)].map((m) => ({
  line: readme.slice(0, m.index).split('\n').length + 2,
  prints: JSON.parse(m[1]) as string,
  lang: m[2],
  code: m[3],
}));

const COMMANDS: Record<string, (code: string) => string[]> = {
  sh: (code) => ['bash', '-euo', 'pipefail', '-c', code],
  js: (code) => [process.execPath, '--input-type=module', '-e', code],
  ts: (code) => [process.execPath, '--import', 'tsx', '--input-type=module', '-e', code],
};

function run(argv: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    // async: the server answering the example lives in this process
    const { SPECEDIT_KEY: _key, ...env } = process.env; // the server here has no keys
    const child = spawn(argv[0], argv.slice(1), { cwd: root, env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => resolve({ status, out }));
  });
}

let server: Running;
beforeAll(async () => {
  server = await startServer({ ...DEFAULTS, port: 0 });
});
afterAll(async () => {
  await server.close();
});

describe('README examples', () => {
  it('marks the examples meant to run (the curl call, the OpenAI client, the engine API)', () => {
    expect(examples.map((e) => e.lang)).toEqual(['sh', 'js', 'ts']);
  });

  for (const ex of examples) {
    it(`README.md:${ex.line} (${ex.lang}) runs and prints ${JSON.stringify(ex.prints)}`, async () => {
      const code = ex.code.replaceAll('http://127.0.0.1:8787', server.url).replaceAll("'model.gguf'", JSON.stringify(tinyModel({ arch: 'qwen2', type: 'q8_0' })));
      const r = await run(COMMANDS[ex.lang](code));
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain(ex.prints);
    }, 60_000);
  }
});
