// The files an MCP client may edit: everything under one root, nothing outside it. Paths are checked
// before any read (`..`, absolute paths elsewhere, symlinks leading out, through resolveInRoot, the
// batch command's checks), files are read as bytes and written back only if they still hold exactly
// those bytes, so an edit never loses a change made on disk (by the user, another tool) meanwhile.
import { lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createFileAtomic, replaceIfUnchanged } from '../atomic-write.js';
import { OneAtATime } from '../one-at-a-time.js';
import { decodeFile, encodeFile, UnencodableError, type Encoding } from '../file-text.js';
import { realRoot, resolveInRoot } from '../batch/paths.js';

export type WorkspaceErrorCode =
  | 'invalid_path' // empty, NUL byte
  | 'path_escape' // leaves the root
  | 'not_a_file' // a directory, a device, a dangling symlink
  | 'not_found' // a parent that is a file, a permission error
  | 'too_large' // over the merge's size limit: not worth reading
  | 'binary_file' // NUL bytes: not text we can merge
  | 'unsupported_encoding' // not UTF-8 (nor BOM-marked UTF-16), or an edit its encoding cannot hold
  | 'modified_during_edit' // changed on disk between our read and our write
  | 'already_exists'; // a "new" file that appeared before we created it

export class WorkspaceError extends Error {
  constructor(
    readonly code: WorkspaceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WorkspaceError';
  }
}

/** Where a target path leads: an existing regular file, or a file to create. */
export type Target =
  | { exists: true; /** real path, symlinks resolved */ real: string; /** relative to the root, /-separated */ rel: string }
  | { exists: false; /** where to create it (under the root's real path) */ real: string; rel: string };

/** A file as read: its exact bytes, and the same as text (they round-trip). */
export interface Snapshot {
  real: string;
  rel: string;
  bytes: Buffer;
  text: string;
  /** the file's encoding: the merged text is written back in it */
  encoding: Encoding;
}

const inside = (root: string, p: string, orEqual: boolean) => {
  const r = relative(root, p);
  if (r === '') return orEqual;
  return !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
};

export class Workspace {
  private readonly perFile = new OneAtATime();

  private constructor(
    /** the root's real path */
    readonly root: string,
    /** the root as given, made absolute (absolute targets may be spelt through it) */
    private readonly given: string,
    private readonly maxFileBytes: number,
  ) {}

  /** `maxFileBytes`: larger files are refused before they are read (the merge would refuse them). */
  static async open(root: string, opts: { maxFileBytes?: number } = {}): Promise<Workspace> {
    return new Workspace(await realRoot(root), resolve(root), opts.maxFileBytes ?? Infinity);
  }

  /** Check a target path; reads nothing but directory entries. */
  async resolve(target: string): Promise<Target> {
    if (target.trim() === '') throw new WorkspaceError('invalid_path', 'target_file is empty');
    if (target.includes('\0')) throw new WorkspaceError('invalid_path', 'target_file contains a NUL byte');
    // An absolute path spelt through the root as given (/tmp/x when the real root is /private/tmp/x)
    // is the same file; any other absolute path is checked as it stands (and refused if outside).
    let p = target;
    if (isAbsolute(p) && this.given !== this.root && inside(this.given, p, false)) p = relative(this.given, p);
    if (resolve(this.root, p) === this.root) throw new WorkspaceError('not_a_file', `${target} is the root directory, not a file`);

    const found = await resolveInRoot(this.root, p);
    if (found.ok) return { exists: true, real: found.real, rel: found.rel };
    if (found.code === 'path_escape') throw new WorkspaceError('path_escape', found.message);
    if (found.code === 'not_a_file') throw new WorkspaceError('not_a_file', found.message);

    // Not there: a new file, if the path itself is free (a dangling symlink is not) and its nearest
    // existing ancestor really is a directory under the root.
    const abs = resolve(this.root, p);
    const rel = relative(this.root, abs).split(sep).join('/');
    try {
      const st = await lstat(abs);
      throw new WorkspaceError('not_a_file', st.isSymbolicLink() ? `${target} is a symlink that leads nowhere (dangling, or a loop)` : found.message);
    } catch (e) {
      if (e instanceof WorkspaceError) throw e;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new WorkspaceError('not_found', `${target}: ${(e as Error).message}`);
    }
    let existing = dirname(abs);
    while (!(await lstat(existing).then(() => true, () => false))) existing = dirname(existing);
    const realAncestor = await realpath(existing).catch((e: Error) => {
      throw new WorkspaceError('not_found', `${target}: ${e.message}`);
    });
    if (!inside(this.root, realAncestor, true)) {
      throw new WorkspaceError('path_escape', `${target} would be created through ${relative(this.root, existing) || '.'}, a symlink to ${realAncestor}, outside the root`);
    }
    if (!(await stat(realAncestor)).isDirectory()) throw new WorkspaceError('not_found', `${target}: ${relative(this.root, existing)} is not a directory`);
    return { exists: false, real: join(realAncestor, relative(existing, abs)), rel };
  }

  /** Read an existing target as bytes; refuse what could not be written back byte for byte. */
  async read(t: Target & { exists: true }): Promise<Snapshot> {
    const size = (await stat(t.real)).size;
    if (size > this.maxFileBytes) throw new WorkspaceError('too_large', `${t.rel} is ${size} bytes; the limit is ${this.maxFileBytes} (SPECEDIT_MAX_CODE_BYTES)`);
    const bytes = await readFile(t.real);
    // UTF-8, or a BOM-declared UTF-8/UTF-16: anything else could not be written back unchanged
    const decoded = decodeFile(bytes);
    if (!decoded.ok) throw new WorkspaceError(decoded.code, `${t.rel}: ${decoded.message.replace(/ If it is Latin-1.*$/, '')}`);
    return { real: t.real, rel: t.rel, bytes, text: decoded.text, encoding: decoded.encoding };
  }

  /**
   * Replace the file with `content` only if it still holds the snapshot's bytes. The check runs
   * after the new content is flushed to its temp file, right before the rename.
   */
  async replace(snap: Snapshot, content: string, hooks: { beforeCheck?: () => Promise<void> } = {}): Promise<void> {
    let out: Buffer;
    try {
      out = encodeFile(content, snap.encoding);
    } catch (e) {
      if (e instanceof UnencodableError) throw new WorkspaceError('unsupported_encoding', `${snap.rel}: ${e.message}`);
      throw e;
    }
    await hooks.beforeCheck?.();
    const r = await replaceIfUnchanged(snap.real, out, snap.bytes);
    if (!r.written) {
      throw new WorkspaceError(
        'modified_during_edit',
        `${snap.rel} ${r.reason === 'missing' ? 'was deleted or moved' : 'changed on disk'} while the edit was merged: nothing was written${r.kept ? ` (a concurrent version was kept at ${r.kept})` : ''}`,
      );
    }
  }

  /** Create a new file (and its missing parent directories, all under the root); never overwrites. */
  async create(t: Target & { exists: false }, content: string): Promise<void> {
    const dir = dirname(t.real);
    await mkdir(dir, { recursive: true });
    // The directories were checked before they existed: check again what they are now.
    if (!inside(this.root, await realpath(dir), true)) throw new WorkspaceError('path_escape', `${t.rel}: its directory now leads outside the root`);
    try {
      await createFileAtomic(t.real, Buffer.from(content, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new WorkspaceError('already_exists', `${t.rel} was created by someone else while the edit was prepared: nothing was written`);
      throw e;
    }
  }

  /**
   * Run edits of one file one after another (an agent may send several edit_file calls for one file
   * at once): each then merges into what the previous one wrote instead of failing its check.
   */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.perFile.run(key, fn);
  }
}
