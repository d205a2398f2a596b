#!/usr/bin/env node
// `npm run test:vscode`: the VS Code extension end to end in a real VS Code (code-server in
// headless Chromium). Provisions code-server, Node 24, Chromium and playwright-core into a cache
// outside the repository (reused), packages and installs the .vsix, starts a specedit server, and
// runs scripts/vscode-e2e/scenarios.mjs, a screenshot per step. Exit 1 if any scenario fails.
// Too heavy for `npm test` (minutes, ~700 MB of cache); run it for every change under extension/.
//
//   npm run test:vscode [-- --cache DIR] [--shots DIR] [--only SUBSTRING] [--keep]
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { provision } from './vscode-e2e/provision.mjs';
import { freePort, start, stopAll, stopTree, waitForOutput } from './vscode-e2e/processes.mjs';
import { FILES, scenarios } from './vscode-e2e/scenarios.mjs';
import { Workbench } from './vscode-e2e/workbench.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
// The header comment is the usage.
function usage() {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
  return lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
}
let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      cache: { type: 'string', default: join(tmpdir(), 'specedit-vscode-cache') },
      shots: { type: 'string' },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (e) {
  console.error(`test:vscode: ${e.message}\n\n${usage()}`);
  process.exit(2);
}
if (opts.help) {
  console.log(usage());
  process.exit(0);
}

const log = (m) => console.log(`[test:vscode] ${m}`);
const sh = (cmd, args, o = {}) => {
  const r = spawnSync(cmd, args, { cwd: repo, stdio: 'inherit', ...o });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
};

const USER_SETTINGS = {
  // Keep the UI predictable: no chat panel taking focus, no auto-save (code-server's default
  // saves after a delay, desktop VS Code does not), nothing else starting in the background.
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'files.autoSave': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'git.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
};

/** The server must have no model and no keys whatever this shell exports: the scenarios expect that. */
function withoutSpeceditEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPECEDIT_')));
}

async function main() {
  const tools = provision(opts.cache, (m) => log(`provision: ${m}`));
  const run = mkdtempSync(join(tmpdir(), 'specedit-vscode-run-'));
  const shots = opts.shots ?? join(run, 'screenshots');
  mkdirSync(shots, { recursive: true });
  // A reused --shots folder would mix this run's screenshots with an earlier one's.
  for (const f of readdirSync(shots)) if (f.endsWith('.png')) rmSync(join(shots, f));
  log(`screenshots: ${shots}`);
  log(`logs: ${run}`);

  log('building dist/ and packaging the extension');
  sh('npm', ['run', '--silent', 'build']);
  sh('npm', ['run', '--silent', 'package:extension'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const vsix = readdirSync(join(repo, 'extension')).filter((f) => /^specedit-.*\.vsix$/.test(f)).map((f) => join(repo, 'extension', f));
  if (vsix.length !== 1) throw new Error(`expected one extension/specedit-*.vsix, found ${vsix.length}`);

  const serverLog = createWriteStream(join(run, 'specedit.log'));
  const server = start(process.execPath, [join(repo, 'bin', 'specedit.mjs'), 'serve', '--port', '0', '--host', '127.0.0.1'], { cwd: repo, log: serverLog, env: withoutSpeceditEnv() });
  let expectedExit = false;
  server.on('exit', (code, signal) => {
    if (!expectedExit) log(`the specedit server exited on its own (code ${code}, signal ${signal}): later scenarios will see an unreachable server`);
  });
  const [, serverUrl] = await waitForOutput(server, /listening on (http:\/\/[^\s;]+)/, 60_000, 'specedit serve');
  log(`specedit server: ${serverUrl}`);

  const ws = join(run, 'workspace');
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(ws, name), text);
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'specedit.serverUrl': serverUrl, 'specedit.mode': 'auto' }, null, 2));
  const userDir = join(run, 'user');
  const extDir = join(run, 'ext');
  mkdirSync(join(userDir, 'User'), { recursive: true });
  writeFileSync(join(userDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  const csEnv = { ...process.env, PATH: `${tools.nodeBin}:${process.env.PATH}` };
  const csArgs = ['--user-data-dir', userDir, '--extensions-dir', extDir];
  log('installing the .vsix into code-server');
  sh(tools.node, [tools.codeServer, ...csArgs, '--install-extension', vsix[0]], { env: csEnv, stdio: ['ignore', 'ignore', 'inherit'] });

  const port = await freePort();
  const config = join(run, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const cs = start(tools.node, [tools.codeServer, '--config', config, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, ...csArgs, '--disable-telemetry', '--disable-workspace-trust', '--disable-update-check', ws], {
    env: csEnv,
    log: createWriteStream(join(run, 'code-server.log')),
  });
  await waitForOutput(cs, /HTTP server listening on/, 120_000, 'code-server');
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`;
  log(`code-server: ${url}`);

  const pw = await import(pathToFileURL(tools.playwright).href);
  const { chromium } = pw.default ?? pw; // a CommonJS module: its exports are the default export
  const browser = await chromium.launch({ executablePath: tools.chromium, args: ['--no-sandbox'] });
  let failures = 0;
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${port}` });
    const page = await context.newPage();
    const wb = new Workbench(page, shots);
    await page.goto(url);
    log('waiting for the workbench (30 s or so on two busy cores)');
    await wb.ready();
    await wb.settle(3000);
    await wb.shot('workbench');
    const stopServer = () => ((expectedExit = true), stopTree(server));
    for (const s of scenarios) {
      if (opts.only && !s.name.includes(opts.only)) continue;
      const t0 = Date.now();
      try {
        await s.run(wb, { ws, serverUrl, stopServer });
        log(`PASS ${s.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        failures++;
        const file = await wb.shot('FAILED').catch(() => '(no screenshot)');
        // The DOM as it was, to see which selector no longer matches.
        const html = join(run, `FAILED-${failures}.html`);
        await page.content().then((t) => writeFileSync(html, t)).catch(() => {});
        const notes = await wb.allNotifications().catch(() => []);
        log(`FAIL ${s.name}: ${e.message}\n  screenshot: ${file}\n  DOM: ${html}\n  notifications: ${JSON.stringify(notes)}`);
        await wb.clearNotifications().catch(() => {});
        await wb.reset().catch((err) => log(`could not reset the workbench: ${err.message}`));
      }
    }
  } finally {
    await browser.close().catch(() => {});
  }
  log(`${failures === 0 ? 'all scenarios passed' : `${failures} scenario(s) failed`}; screenshots in ${shots}`);
  // Logs and screenshots stay; the workspace and code-server's profile (tens of MB) go, unless
  // something failed or --keep asks to look at them.
  if (!opts.keep && failures === 0) for (const d of ['workspace', 'user', 'ext']) rmSync(join(run, d), { recursive: true, force: true });
  return failures === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`[test:vscode] ${e.stack ?? e}`);
} finally {
  await stopAll();
}
process.exit(code);
