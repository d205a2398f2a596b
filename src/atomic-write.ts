// Replacing a file without ever losing a byte of it or of anyone else's change to it.
// - The new content goes to a temp file beside the target, flushed, then swapped in whole: a crash
//   leaves the old file or the new one, never a mix. Temp names carry the writer's pid, so the next
//   run recognises those of a writer that died (kill -9) and removes them.
// - replaceIfUnchanged is a compare-and-swap: on Linux, renameat2(RENAME_EXCHANGE) swaps the new
//   file in and hands back exactly the file it displaced; if that is not the file that was read,
//   someone changed it meanwhile, and it is swapped straight back. Elsewhere the check runs right
//   before a plain rename, after the flush, so the window is a few microseconds, not a fsync.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { link, lstat, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { loadAddon } from './engine/native.js';

const TEMP = /^\..+\.specedit-(\d+)-[0-9a-f]{12}\.tmp$/;
/** An older build's temp names (no pid): removed once they are clearly abandoned. */
const LEGACY_TEMP = /^\..+\.specedit-[0-9a-f]{12}\.tmp$/;
const LEGACY_AGE_MS = 60 * 60 * 1000;


function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.specedit-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const swept = new Set<string>();

/** Remove the temp files a dead writer left in `dir` (once per directory per process). */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  if (swept.has(dir)) return [];
  swept.add(dir);
  const removed: string[] = [];
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = TEMP.exec(name);
    const file = join(dir, name);
    let stale = m !== null && !alive(Number(m[1]));
    if (!m && LEGACY_TEMP.test(name)) stale = await stat(file).then((s) => Date.now() - s.mtimeMs > LEGACY_AGE_MS, () => false);
    if (stale && (await unlink(file).then(() => true, () => false))) removed.push(file);
  }
  return removed;
}

/** Write `content` to a flushed temp file beside `path`, with `path`'s permissions. */
async function writeTemp(path: string, content: Buffer | string): Promise<string> {
  await sweepStaleTemps(dirname(path));
  const mode = await stat(path).then((s) => s.mode & 0o7777, () => 0o644);
  const tmp = tempPath(path);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content);
    await fh.sync();
    await fh.chmod(mode);
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  return tmp;
}

/** Make the rename durable: flush the directory entry (best effort: not every platform can). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  await fh?.sync().catch(() => {});
  await fh?.close();
}

/** Replace a file's content all at once (no check of what it held: for files we own, like reports). */
export async function writeFileAtomic(path: string, content: Buffer | string): Promise<void> {
  const tmp = await writeTemp(path, content);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await syncDir(dirname(path));
}

export type Replaced =
  | { written: true }
  /** the file no longer held what was read (or is gone): nothing was written. `kept`: where a
   *  file we could not put back safely was left, if that ever happens. */
  | { written: false; reason: 'changed' | 'missing'; kept?: string };

let exchangeUnsupported = false;

function exchange(a: string, b: string): 'swapped' | 'unsupported' | 'missing' {
  if (exchangeUnsupported) return 'unsupported';
  try {
    loadAddon().exchangePaths(a, b);
    return 'swapped';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    // no renameat2 here (kernel, filesystem, platform) or no native addon: the fallback
    if (code === 'ENOSYS' || code === 'EINVAL' || !code) {
      exchangeUnsupported = true;
      return 'unsupported';
    }
    throw e;
  }
}

/** What identifies one version of a file without reading it: the inode and its last write. */
type Identity = { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint };
const sameVersion = (a: Identity, b: Identity) => a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;

/** The file's bytes and the identity of exactly that version (null if it is gone). */
function snapshot(path: string): { bytes: Buffer; id: Identity } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    const bytes = readFileSync(fd);
    const after = fstatSync(fd, { bigint: true });
    // written to while we read: not one version
    return sameVersion(before, after) ? { bytes, id: after } : { bytes: Buffer.alloc(0), id: { ...after, size: -1n } };
  } finally {
    closeSync(fd);
  }
}

/**
 * Write `content` to `path` only if `path` still holds exactly `read`, the bytes the edit started from.
 * Never overwrites a change made after that read. On Linux the new file is exchanged in and the
 * file it displaced is checked to be the very version whose bytes were just compared (same inode,
 * same last write); anything else is swapped straight back, so only a change landing within
 * microseconds of the swap ever sees the new content, and none is lost.
 */
export async function replaceIfUnchanged(path: string, content: Buffer, read: Buffer): Promise<Replaced> {
  const tmp = await writeTemp(path, content);
  let done = false;
  try {
    // From the check to the swap and its verification nothing awaits: no other work of this
    // process (a merge on the event loop) can widen the window in which the new file is visible.
    const now = snapshot(path);
    if (now === null) return { written: false, reason: 'missing' };
    if (!now.bytes.equals(read)) return { written: false, reason: 'changed' };
    const swap = exchange(tmp, path);
    if (swap === 'missing') return { written: false, reason: 'missing' };
    if (swap === 'swapped') {
      // `tmp` now names the file we displaced.
      let displaced: Identity | null = null;
      try {
        displaced = statSync(tmp, { bigint: true });
      } catch {}
      if (displaced === null || !sameVersion(displaced, now.id)) {
        exchange(tmp, path); // put it back
        // If yet another writer replaced our file in between, `tmp` now holds theirs: keep it.
        const ours = await readFile(tmp).catch(() => null);
        if (ours === null || !ours.equals(content)) {
          // (under a name no sweep removes)
          const kept = `${path}.specedit-conflict-${process.pid}-${Date.now()}`;
          await rename(tmp, kept);
          done = true;
          return { written: false, reason: 'changed', kept };
        }
        return { written: false, reason: 'changed' };
      }
      await syncDir(dirname(path));
      return { written: true };
    }
    // No exchange here: the window is this rename's, right after the check.
    renameSync(tmp, path);
    done = true;
    await syncDir(dirname(path));
    return { written: true };
  } finally {
    if (!done) await unlink(tmp).catch(() => {});
  }
}

/**
 * Create a file that must not exist yet, whole or not at all: the content goes to a flushed temp
 * file that is then hard-linked to `path`, which fails with EEXIST if anything appeared there
 * meanwhile (nothing is overwritten). Where hard links are not supported it falls back to a rename
 * after an existence check.
 */
export async function createFileAtomic(path: string, content: Buffer | string): Promise<void> {
  const tmp = await writeTemp(path, content);
  try {
    try {
      await link(tmp, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
      if (await lstat(path).then(() => true, () => false)) throw Object.assign(new Error(`EEXIST: file already exists, '${path}'`), { code: 'EEXIST' });
      await rename(tmp, path);
      return;
    }
    await syncDir(dirname(path));
  } finally {
    await unlink(tmp).catch(() => {});
  }
}
