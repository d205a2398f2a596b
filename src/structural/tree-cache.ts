// Parsed trees of recent files. An agent's next edit of a file is usually applied to our last
// answer for it, and a retry repeats the same original: either way the parse (the largest part of a
// structural merge on a big file) is already done, and so is the count of its syntax errors (a
// C++ header full of macros has thousands). Keyed by language and a hash of the text; the cache
// owns its trees and hands out copies (tree-sitter copies are cheap and edited independently).
import { createHash } from 'node:crypto';
import type { Tree } from 'web-tree-sitter';
import type { SyntaxErrors } from '../languages/parser.js';

/** A tree and the ERROR and MISSING nodes in it. */
export interface ParsedText {
  tree: Tree;
  errors: SyntaxErrors;
}

const MAX_TREES = 16;
const trees = new Map<string, ParsedText>();
let hits = 0;
let misses = 0;

const keyOf = (language: string, text: string) => `${language}\0${createHash('sha1').update(text).digest('base64')}`;

/** A copy of the tree of `text`, if it was parsed recently; the caller owns (and deletes) it. */
export function cachedTree(language: string, text: string): ParsedText | null {
  const key = keyOf(language, text);
  const hit = trees.get(key);
  if (!hit) {
    misses++;
    return null;
  }
  hits++;
  trees.delete(key); // most recently used last
  trees.set(key, hit);
  return { tree: hit.tree.copy(), errors: hit.errors };
}

/** Keep a copy of `tree` (the tree of `text`); the caller still owns `tree`. */
export function rememberTree(language: string, text: string, tree: Tree, errors: SyntaxErrors): void {
  const key = keyOf(language, text);
  trees.get(key)?.tree.delete();
  trees.delete(key);
  trees.set(key, { tree: tree.copy(), errors });
  for (const [oldest, t] of trees) {
    if (trees.size <= MAX_TREES) break;
    t.tree.delete();
    trees.delete(oldest);
  }
}

export function treeCacheStats(): { size: number; hits: number; misses: number } {
  return { size: trees.size, hits, misses };
}

/** Forget every tree (benchmarks measure cold merges with it). */
export function clearTreeCache(): void {
  for (const t of trees.values()) t.tree.delete();
  trees.clear();
}
