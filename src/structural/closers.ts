// A segment made only of closing lines (`}`, `end`, `);`) right after a marker is ambiguous by
// lines alone: every block ends like that. It closes the block that the previous segment opened
// and the marker left unfinished; the syntax tree says where that block ends.
import type { Node } from 'web-tree-sitter';

/** Last row a node occupies (a node ending at column 0 ends on the row before). */
export function lastRow(node: Node): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
}

/**
 * Among `candidates` (original line ranges where the closing segment fits), the one at the end of
 * the innermost node that starts within the previous segment's lines [from, to] and runs past them.
 */
export function closingCandidate(root: Node, from: number, to: number, candidates: [number, number][]): [number, number] | null {
  const starts = new Map(candidates.map((c) => [c[0], c]));
  let best: number | null = null;
  const visit = (node: Node) => {
    const start = node.startPosition.row;
    const end = lastRow(node);
    if (end < from || start > to) return;
    if (start >= from && end > to && starts.has(end) && (best === null || end < best)) best = end;
    for (const child of node.children) if (child) visit(child);
  };
  visit(root);
  return best === null ? null : starts.get(best)!;
}

/**
 * Without a usable tree (no grammar, or one that cannot parse this stretch): the first candidate
 * after the previous segment where the indentation first comes back to the candidate's own level,
 * that is, the first line since the block opened that is not indented deeper than the closer.
 */
export function closingByIndent(lines: string[], to: number, candidates: number[], indentOf: (line: string) => number): number | null {
  const after = candidates.filter((c) => c > to).sort((a, b) => a - b);
  if (after.length === 0) return null;
  const first = after[0];
  const level = indentOf(lines[first]);
  for (let o = to + 1; o < first; o++) {
    if (lines[o].trim() !== '' && indentOf(lines[o]) <= level) return null;
  }
  return first;
}

/**
 * The mirror case: a segment that opens a block (a header) and is followed by a marker and a placed
 * segment inside that block. Of the candidates, the one where a node starting within the
 * candidate's lines runs on past the next segment's lines; null unless exactly one does.
 */
export function openingCandidate(root: Node, candidates: [number, number][], nextFrom: number, nextTo: number): [number, number] | null {
  const fits = candidates.filter(([a, b]) => {
    if (b >= nextFrom) return false;
    let found = false;
    const visit = (node: Node) => {
      if (found) return;
      const start = node.startPosition.row;
      if (lastRow(node) < a || start > b) return;
      if (start >= a && start <= b && lastRow(node) >= nextTo) {
        found = true;
        return;
      }
      for (const child of node.children) if (child) visit(child);
    };
    visit(root);
    return found;
  });
  return fits.length === 1 ? fits[0] : null;
}
