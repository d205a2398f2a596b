// web-tree-sitter, initialised once; each grammar is loaded on first use and kept.
import { Language as TSLanguage, Parser, Query, type Node, type Tree } from 'web-tree-sitter';
import type { Language } from './registry.js';

let init: Promise<void> | null = null;
const grammars = new Map<string, Promise<TSLanguage>>();
const parsers = new Map<string, Parser>();

async function grammar(lang: Language): Promise<TSLanguage> {
  if (!lang.grammarPath) throw new Error(`${lang.name} has no grammar`);
  init ??= Parser.init();
  await init;
  let g = grammars.get(lang.id);
  if (!g) {
    g = TSLanguage.load(lang.grammarPath);
    grammars.set(lang.id, g);
  }
  return g;
}

/** A parser for the language, or null when the language has none. */
export async function parserFor(lang: Language): Promise<Parser | null> {
  if (!lang.grammarPath) return null;
  let p = parsers.get(lang.id);
  if (!p) {
    const g = await grammar(lang);
    p = parsers.get(lang.id) ?? new Parser();
    p.setLanguage(g);
    parsers.set(lang.id, p);
  }
  return p;
}

/** Parse, run `use` on the tree, and free it: trees live in wasm memory. */
export function withTree<T>(parser: Parser, text: string, use: (tree: Tree) => T): T {
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    return use(tree);
  } finally {
    tree.delete();
  }
}

/** ERROR and MISSING nodes in a tree: what a merge must not add to. */
export function countSyntaxErrors(root: Node): number {
  if (!root.hasError) return 0;
  // A query counts natively; walking with a cursor built a JS node object per visited node
  // (a large C++ header with a thousand errors: 11 ms walked, 5 ms queried).
  const q = errorQuery(root.tree.language);
  return q ? q.captures(root).length : walkErrors(root);
}

const errorQueries = new Map<TSLanguage, Query | null>();
function errorQuery(lang: TSLanguage): Query | null {
  let q = errorQueries.get(lang);
  if (q === undefined) {
    try { q = new Query(lang, '(ERROR) @error (MISSING) @missing'); } catch { q = null; }
    errorQueries.set(lang, q);
  }
  return q;
}

/** The same count by walking the tree: the reference the query is tested against. */
export function walkErrors(root: Node): number {
  if (!root.hasError) return 0;
  let count = 0;
  const cursor = root.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) count++;
      // Only descend where errors are: clean subtrees are skipped whole.
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return count;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Preload every grammar (used at server start so the first request pays nothing). */
export async function preload(langs: Iterable<Language>): Promise<void> {
  await Promise.all([...langs].filter((l) => l.grammarPath).map((l) => parserFor(l)));
}
