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
export interface SyntaxErrors {
  error: number;
  missing: number;
}

export const totalErrors = (e: SyntaxErrors) => e.error + e.missing;

export function countSyntaxErrors(root: Node): SyntaxErrors {
  if (!root.hasError) return { error: 0, missing: 0 };
  // A query counts natively; walking with a cursor built a JS node object per visited node
  // (a large C++ header with a thousand errors: 11 ms walked, 5 ms queried).
  const q = query(root.tree.language, '(ERROR) @error (MISSING) @missing');
  if (!q) return walkErrors(root);
  const captures = q.captures(root);
  const missing = captures.filter((c) => c.name === 'missing').length;
  return { error: captures.length - missing, missing };
}

/**
 * The count of `now`, a tree re-parsed incrementally from `old` (whose count was `before`), where
 * `ranges` (offsets) cover every place the two may differ except for MISSING nodes (what check.ts
 * reparse returns). ERROR nodes outside the ranges are the same in both trees, so only those inside
 * are counted on each side: a merge into a header with a thousand errors need not build a node
 * object for each again. MISSING nodes are counted in the whole new tree: tree-sitter's changed
 * ranges do not show where one appears, and they are few.
 */
export function recountSyntaxErrors(old: Node, now: Node, before: SyntaxErrors, ranges: { startIndex: number; endIndex: number }[]): SyntaxErrors {
  if (!now.hasError) return { error: 0, missing: 0 };
  const errors = query(now.tree.language, '(ERROR) @error');
  const missing = query(now.tree.language, '(MISSING) @missing');
  if (!errors || !missing) return walkErrors(now);
  const inRanges = (root: Node) => {
    const seen = new Set<number>();
    // (a character wider on each side: a node at a range's edge is counted in both trees or in
    // neither; but no range can start before the text, and a query does not return an empty node
    // where its range starts: an ERROR that lines deleted at the top leave empty at 0 is sought apart)
    for (const r of ranges) for (const { node } of errors.captures(root, { startIndex: Math.max(0, r.startIndex - 1), endIndex: r.endIndex + 1 })) seen.add(node.id);
    if (ranges.some((r) => r.startIndex <= 1)) for (const node of emptyErrorsAtStart(root)) seen.add(node.id);
    return seen.size;
  };
  return { error: before.error - inRanges(old) + inRanges(now), missing: missing.captures(now).length };
}

/** ERROR nodes of no width at the very start of the text (the first children, at every depth, that start at 0). */
function emptyErrorsAtStart(node: Node): Node[] {
  const out: Node[] = [];
  for (const child of node.children) {
    if (!child || child.startIndex > 0) break;
    if (child.isError && child.endIndex === 0) out.push(child);
    if (child.hasError) out.push(...emptyErrorsAtStart(child));
  }
  return out;
}

/**
 * The outermost ERROR and MISSING nodes (not inside another ERROR node) that touch the rows
 * [a, b) of any of `rows`, each once, in no particular order (and maybe some on the rows beside).
 */
export function outermostErrorsOn(root: Node, rows: [number, number][]): Node[] {
  if (!root.hasError) return [];
  const q = query(root.tree.language, '(ERROR) @error (MISSING) @missing');
  const found = new Map<number, Node>();
  if (q) {
    for (const [a, b] of rows) {
      // (a row wider on each side: a zero-width MISSING node at the edge is surely among them)
      for (const { node } of q.captures(root, { startPosition: { row: Math.max(0, a - 1), column: 0 }, endPosition: { row: b + 1, column: 0 } })) found.set(node.id, node);
    }
  } else {
    const visit = (node: Node) => {
      if (node.isError || node.isMissing) found.set(node.id, node);
      else if (node.hasError) for (const child of node.children) if (child) visit(child);
    };
    visit(root);
  }
  const insideError = (node: Node) => {
    for (let p = node.parent; p; p = p.parent) if (p.isError) return true;
    return false;
  };
  return [...found.values()].filter((n) => !insideError(n));
}

const queries = new Map<TSLanguage, Map<string, Query | null>>();
function query(lang: TSLanguage, source: string): Query | null {
  let byLang = queries.get(lang);
  if (!byLang) queries.set(lang, (byLang = new Map()));
  let q = byLang.get(source);
  if (q === undefined) {
    try { q = new Query(lang, source); } catch { q = null; }
    byLang.set(source, q);
  }
  return q;
}

/** The same count by walking the tree: the reference the query is tested against. */
export function walkErrors(root: Node): SyntaxErrors {
  const count = { error: 0, missing: 0 };
  if (!root.hasError) return count;
  const cursor = root.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isMissing) count.missing++;
      else if (node.isError) count.error++;
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
