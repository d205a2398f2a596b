// Child processes of the end-to-end run, and taking them down again. code-server leaves an
// extension host (and whatever that starts) per page load, so a process group kill is not enough
// on its own: every descendant found under /proc is killed too.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const started = [];

/** Spawn in its own process group, output appended to log (a writable stream). */
export function start(cmd, args, { env, cwd, log } = {}) {
  const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => log?.write(d));
  child.stderr.on('data', (d) => log?.write(d));
  started.push(child);
  return child;
}

/** Resolves with the first match of re in the child's output; rejects on exit or timeout. */
export function waitForOutput(child, re, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => done(new Error(`${what}: nothing matching ${re} within ${timeoutMs / 1000} s. Output:\n${seen.slice(-2000)}`)), timeoutMs);
    const onData = (d) => {
      seen += d;
      const m = re.exec(seen);
      if (m) done(null, m);
    };
    const onExit = (code) => done(new Error(`${what} exited (${code}) before it was ready. Output:\n${seen.slice(-2000)}`));
    function done(err, m) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m);
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', onExit);
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** pid → parent pid for every process we can read. */
function parents() {
  const map = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the fields after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

export function descendants(pid) {
  const map = parents();
  const out = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    for (const [child, parent] of map) if (parent === p) (out.push(child), queue.push(child));
  }
  return out;
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stop one started child and everything below it: SIGTERM, then SIGKILL after graceMs. */
export async function stopTree(child, graceMs = 3000) {
  if (!child?.pid) return;
  const pids = [child.pid, ...descendants(child.pid)];
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig); // its process group
    } catch {
      // already gone
    }
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  // Descendants started while we waited (an extension host restarting) are caught here too.
  pids.push(...descendants(child.pid));
  if (pids.some(alive)) signal('SIGKILL');
  const i = started.indexOf(child);
  if (i >= 0) started.splice(i, 1);
}

/** Everything start() launched that is still running (for the final cleanup). */
export async function stopAll() {
  for (const child of [...started].reverse()) await stopTree(child);
}
