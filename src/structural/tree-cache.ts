// Parsed trees of recent files. An agent's next edit of a file is usually applied to our last
// answer for it, and a retry repeats the same original: either way the parse (the largest part of a
// structural merge on a big file) is already done. Keyed by language and a hash of the text; the
// cache owns its trees and hands out copies (tree-sitter copies are cheap and edited independently).
import { createHash } from 'node:crypto';
import type { Tree } from 'web-tree-sitter';

const MAX_TREES = 16;
const trees = new Map<string, Tree>();
let hits = 0;
let misses = 0;

const keyOf = (language: string, text: string) => `${language}\0${createHash('sha1').update(text).digest('base64')}`;

/** A copy of the tree of `text`, if it was parsed recently; the caller owns (and deletes) it. */
export function cachedTree(language: string, text: string): Tree | null {
  const key = keyOf(language, text);
  const tree = trees.get(key);
  if (!tree) {
    misses++;
    return null;
  }
  hits++;
  trees.delete(key); // most recently used last
  trees.set(key, tree);
  return tree.copy();
}

/** Keep a copy of `tree` (the tree of `text`); the caller still owns `tree`. */
export function rememberTree(language: string, text: string, tree: Tree): void {
  const key = keyOf(language, text);
  trees.get(key)?.delete();
  trees.delete(key);
  trees.set(key, tree.copy());
  for (const [oldest, t] of trees) {
    if (trees.size <= MAX_TREES) break;
    t.delete();
    trees.delete(oldest);
  }
}

export function treeCacheStats(): { size: number; hits: number; misses: number } {
  return { size: trees.size, hits, misses };
}

/** Forget every tree (benchmarks measure cold merges with it). */
export function clearTreeCache(): void {
  for (const t of trees.values()) t.delete();
  trees.clear();
}
