// Where a segment of new import lines goes. Models write an added import alone between markers
// (`// ... existing imports ...`, the import, a marker, the code that uses it) or as the snippet's
// first line before a marker: it shares no line with the file, so nothing anchors it, and put at
// the file's top it would land above a `package` line or a shebang. It belongs with the file's
// imports, beside the ones it reads most like (`import sys` beside `import os`, not among the
// `from` imports), at its place in their order when they are sorted.
import type { Node } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { isBlank } from './lines.js';

/** The node types of a top-level import statement, per language. */
const IMPORT_NODES = new Set([
  'import_statement', 'import_from_statement', 'future_import_statement', // Python, JS/TS
  'import_declaration', 'import', // Java, Swift; Kotlin
  'use_declaration', 'using_directive', 'namespace_use_declaration', // Rust, C#, PHP
  'preproc_include', // C, C++, Objective-C
]);

/** One line that is a whole import statement, and the part of it imports sort by. */
const IMPORT_LINE: Record<string, RegExp> = {
  python: /^(?:(from\s+\.*[\w.]*)\s+import\s+[\w., ]+|(import\s+[\w.]+)(?:\s+as\s+\w+)?)$/,
  javascript: /^import\s+(?:.+\s+from\s+)?['"]([^'"]+)['"];?$/,
  typescript: /^import\s+(?:.+\s+from\s+)?['"]([^'"]+)['"];?$/,
  tsx: /^import\s+(?:.+\s+from\s+)?['"]([^'"]+)['"];?$/,
  java: /^import\s+((?:static\s+)?[\w.]+(?:\.\*)?);$/,
  kotlin: /^import\s+([\w.]+(?:\.\*)?)(?:\s+as\s+\w+)?$/,
  rust: /^(?:pub\s+)?use\s+([\w:{}, *]+);$/,
  csharp: /^using\s+((?:static\s+)?[\w.]+(?:\s*=\s*[\w.<>]+)?);$/,
  swift: /^import\s+((?:\w+\s+)?[\w.]+)$/,
  php: /^use\s+((?:function\s+|const\s+)?[\w\\]+)(?:\s+as\s+\w+)?;$/,
  c: /^#\s*include\s*([<"][^>"]+[>"])$/,
  cpp: /^#\s*include\s*([<"][^>"]+[>"])$/,
  objc: /^#\s*(?:include|import)\s*([<"][^>"]+[>"])$/,
};

interface FileImport {
  start: number;
  end: number;
  key: string;
}

/** The key an import sorts by, or null when the line is no one-line import of the language. */
function importKey(line: string, lang: Language): string | null {
  const re = IMPORT_LINE[lang.id];
  if (!re || line !== line.trimStart()) return null;
  const m = re.exec(line.trim());
  return m ? (m[1] ?? m[2]).toLowerCase() : null;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The original row after which a segment of only new import lines goes (-1: before the first
 * line), or null where the segment is not that or the file has no import in [lo, hi) to join.
 */
export function importPlacement(seg: string[], original: string[], root: Node, lang: Language, [lo, hi]: [number, number]): number | null {
  const rows = seg.filter((l) => !isBlank(l));
  if (rows.length === 0) return null;
  const keys = rows.map((l) => importKey(l, lang));
  const theFiles = new Set(original.map((l) => l.trim()));
  if (keys.some((k) => k === null) || rows.some((l) => theFiles.has(l.trim()))) return null;
  const imports: FileImport[] = [];
  for (const node of root.namedChildren) {
    if (!node || !IMPORT_NODES.has(node.type)) continue;
    // (an include's node takes the newline: it ends at column 0 of the next row)
    const end = node.endPosition.column === 0 && node.endPosition.row > node.startPosition.row ? node.endPosition.row - 1 : node.endPosition.row;
    const key = importKey(original[node.startPosition.row], lang) ?? original[node.startPosition.row].trim().toLowerCase();
    if (node.startPosition.row >= lo && end < hi) imports.push({ start: node.startPosition.row, end, key });
  }
  // (one from a module the file imports from already edits that import: `{ a, b }` over `{ a }`)
  if (imports.length === 0 || keys.some((k) => imports.some((f) => f.key === k))) return null;
  // The imports most like the first new one: those sharing the longest start of their keys (all,
  // where none shares any), the first unbroken run of them (a blank or other line ends a run).
  const key = keys[0]!;
  const shared = imports.map((f) => commonPrefix(f.key, key));
  const best = Math.max(...shared);
  const first = shared.indexOf(best);
  let last = first;
  while (last + 1 < imports.length && shared[last + 1] === best && imports[last + 1].start === imports[last].end + 1) last++;
  const run = imports.slice(first, last + 1);
  const sorted = run.every((f, k) => k === 0 || run[k - 1].key <= f.key);
  if (!sorted) return run[run.length - 1].end;
  const after = run.filter((f) => f.key <= key);
  return after.length > 0 ? after[after.length - 1].end : run[0].start - 1;
}
