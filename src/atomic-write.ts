import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /**
   * Runs once the new content is flushed to the temp file, just before the rename: throw to abandon
   * the write (the temp file is removed, the original is untouched). A compare-and-swap checks here,
   * so the window between its check and the replace is one rename, not the whole write.
   */
  beforeReplace?: () => Promise<void>;
}

/** The new content in a flushed temp file beside `path`; the caller renames or links it. */
async function writeTemp(path: string, content: string | Uint8Array, mode: number, chmod: boolean): Promise<string> {
  const tmp = join(dirname(path), `.${basename(path)}.specedit-${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
    if (chmod) await fh.chmod(mode);
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  return tmp;
}

/**
 * Replace a file's content all at once: write a temp file beside it, flush it, rename it over the
 * original (keeping its permissions). A crash leaves the old file or the new one, never a mix.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const mode = await stat(path).then((s) => s.mode & 0o7777, () => 0o644);
  const tmp = await writeTemp(path, content, mode, true);
  try {
    await opts.beforeReplace?.();
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Create a file that must not exist yet, whole or not at all: the content goes to a flushed temp
 * file that is then hard-linked to `path`, which fails with EEXIST if anything appeared there
 * meanwhile (nothing is overwritten). Where hard links are not supported it falls back to a rename
 * after an existence check. Permissions: 0666 less the umask, as any new file.
 */
export async function createFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(path, content, 0o666, false);
  try {
    try {
      await link(tmp, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
      const exists = await lstat(path).then(() => true, () => false);
      if (exists) throw Object.assign(new Error(`EEXIST: file already exists, '${path}'`), { code: 'EEXIST' });
      await rename(tmp, path);
      return;
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
}
