// --glob: a small glob matcher (*, **, ?, [..], {a,b}) over the files under the root.
// Directories are not followed through symlinks; .git (and node_modules unless the pattern names it)
// are skipped. Symlinked files are listed: path safety decides about them later.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let i = 0;
  let braces = 0;
  const p = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  while (i < p.length) {
    const c = p[i];
    if (c === '*') {
      if (p[i + 1] === '*') {
        // "**/" matches zero or more directories; a trailing "**" matches everything below.
        if (p[i + 2] === '/') {
          re += '(?:[^/]+/)*';
          i += 3;
        } else {
          re += '.*';
          i += 2;
        }
      } else {
        re += '[^/]*';
        i += 1;
      }
    } else if (c === '?') {
      re += '[^/]';
      i += 1;
    } else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        i += 1;
      } else {
        let body = p.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = end + 1;
      }
    } else if (c === '{') {
      braces += 1;
      re += '(?:';
      i += 1;
    } else if (c === '}' && braces > 0) {
      braces -= 1;
      re += ')';
      i += 1;
    } else if (c === ',' && braces > 0) {
      re += '|';
      i += 1;
    } else {
      re += c.replace(/[.+^$()|\\\]{}]/g, '\\$&');
      i += 1;
    }
  }
  // A pattern without a slash matches a file name at any depth (as .gitignore does).
  const anchored = p.includes('/') ? re : `(?:[^/]+/)*${re}`;
  return new RegExp(`^${anchored}$`);
}

/** Files under root (relative, /-separated, sorted) whose path matches the pattern. */
export async function globFiles(root: string, pattern: string): Promise<string[]> {
  const re = globToRegExp(pattern);
  const skipNodeModules = !pattern.includes('node_modules');
  const out: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name === '.git' || (skipNodeModules && e.name === 'node_modules')) continue;
        await walk(join(dir, e.name), relPath);
      } else if ((e.isFile() || e.isSymbolicLink()) && re.test(relPath)) {
        out.push(relPath);
      }
    }
  }
  await walk(root, '');
  return out.sort();
}
