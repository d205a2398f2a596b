// The extension builds with the real @types/vscode and packages to a .vsix with @vscode/vsce
// (`npm run package:extension`, offline); the packaged manifest's commands are the ones the
// adapter registers, and the compiled adapter activates against a stub of the vscode module.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..');
const extDir = join(repo, 'extension');
const manifest = JSON.parse(readFileSync(join(extDir, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  main: string;
  engines: { vscode: string };
  contributes: { commands: { command: string; title: string; category: string }[]; configuration: { properties: Record<string, unknown> } };
};
const vsix = join(extDir, `${manifest.name}-${manifest.version}.vsix`);

/** The entries of a zip file (what a .vsix is), by name. */
function unzip(buf: Buffer): Map<string, Buffer> {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const skip = nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const data = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(data, data + size);
    out.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw));
    p += 46 + skip;
  }
  return out;
}

let packaged: ReturnType<typeof spawnSync>;
beforeAll(() => {
  packaged = spawnSync('npm', ['run', '--silent', 'package:extension'], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
}, 130_000);

describe('extension packaging', () => {
  it('npm run package:extension compiles against @types/vscode and writes extension/specedit-<version>.vsix', () => {
    expect(packaged.status, `${packaged.stdout}\n${packaged.stderr}`).toBe(0);
    expect(existsSync(vsix)).toBe(true);
    const rootPkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    const typesVersion = JSON.parse(readFileSync(join(repo, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8')).version as string;
    expect(rootPkg.devDependencies['@types/vscode']).toBeDefined();
    // vsce requires @types/vscode not newer than engines.vscode.
    expect(manifest.engines.vscode.replace(/^[\^~]/, '').split('.').slice(0, 2).join('.')).toBe(typesVersion.split('.').slice(0, 2).join('.'));
  });

  it('the packaged manifest has the palette commands, settings, and the compiled code only', () => {
    const files = unzip(readFileSync(vsix));
    const pkg = JSON.parse(files.get('extension/package.json')!.toString('utf8')) as typeof manifest;
    const titles = Object.fromEntries(pkg.contributes.commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
    expect(titles).toMatchObject({
      'specedit.applyClipboard': 'specedit: Apply Edit from Clipboard',
      'specedit.applySelection': 'specedit: Apply Selection as Edit',
      'specedit.editWithInstruction': 'specedit: Edit with Instruction...',
      'specedit.acceptProposal': 'specedit: Accept Proposed Change',
      'specedit.rejectProposal': 'specedit: Reject Proposed Change',
      'specedit.setApiKey': 'specedit: Set API Key',
      'specedit.clearApiKey': 'specedit: Clear API Key',
    });
    expect(Object.keys(pkg.contributes.configuration.properties).sort()).toEqual(['specedit.mode', 'specedit.serverUrl', 'specedit.timeoutSeconds']);
    expect(JSON.stringify(pkg.contributes.configuration.properties)).not.toMatch(/apiKey/); // the key lives in SecretStorage
    const names = [...files.keys()];
    expect(names).toContain(`extension/${pkg.main.replace(/^\.\//, '')}`);
    expect(names).toContain('extension/out/src/client/apply-client.js');
    expect(names).toContain('extension.vsixmanifest');
    expect(names.filter((n) => n.endsWith('.ts') || n.includes('node_modules') || n.endsWith('.map'))).toEqual([]);
  });

  it('the compiled adapter registers exactly the manifest commands on activation', () => {
    expect(packaged.status).toBe(0);
    const registered: string[] = [];
    const disposable = { dispose() {} };
    const stub: Record<string, unknown> = {
      commands: { registerCommand: (id: string) => (registered.push(id), disposable), executeCommand: async () => undefined },
      window: { createOutputChannel: () => ({ appendLine() {}, show() {}, dispose() {} }) },
      workspace: { registerTextDocumentContentProvider: () => disposable },
    };
    const require = createRequire(join(extDir, 'out', 'x.js'));
    const Module = require('node:module') as { _load: (req: string, ...rest: unknown[]) => unknown };
    const load = Module._load;
    Module._load = (req: string, ...rest: unknown[]) => (req === 'vscode' ? stub : load(req, ...rest));
    try {
      const ext = require(join(extDir, manifest.main)) as { activate(ctx: unknown): void; deactivate(): void };
      const ctx = { subscriptions: [] as unknown[], secrets: {} };
      ext.activate(ctx);
      expect(registered.sort()).toEqual(manifest.contributes.commands.map((c) => c.command).sort());
      expect(ctx.subscriptions.length).toBe(registered.length + 2);
    } finally {
      Module._load = load;
    }
  });
});
