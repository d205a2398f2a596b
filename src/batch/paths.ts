// Path safety: every batch path must name a regular file inside --root, after resolving `..` and
// symlinks. A path that leaves the root is refused, never read or written.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export type Resolved =
  | { ok: true; /** real path on disk (symlinks resolved) */ real: string; /** relative to the root, /-separated */ rel: string }
  | { ok: false; code: 'path_escape' | 'not_found' | 'not_a_file'; message: string };

const inside = (root: string, p: string) => {
  const r = relative(root, p);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
};

/** `rootReal` must already be a real path (see realRoot). */
export async function resolveInRoot(rootReal: string, given: string): Promise<Resolved> {
  if (given.includes('\0')) return { ok: false, code: 'not_found', message: 'path contains a NUL byte' };
  const abs = resolve(rootReal, given);
  if (!inside(rootReal, abs)) return { ok: false, code: 'path_escape', message: `${given} is outside the root ${rootReal}` };
  let real: string;
  try {
    real = await realpath(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, code: 'not_found', message: code === 'ENOENT' ? `${given} does not exist` : `${given}: ${(e as Error).message}` };
  }
  if (!inside(rootReal, real)) return { ok: false, code: 'path_escape', message: `${given} is a symlink to ${real}, outside the root` };
  const st = await stat(real);
  if (!st.isFile()) return { ok: false, code: 'not_a_file', message: `${given} is not a regular file` };
  return { ok: true, real, rel: relative(rootReal, abs).split(sep).join('/') };
}

export async function realRoot(root: string): Promise<string> {
  const real = await realpath(root);
  if (!(await stat(real)).isDirectory()) throw new Error(`--root ${root} is not a directory`);
  return real;
}
