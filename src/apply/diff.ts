import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/** A unified diff of the merge, `a/`/`b/` headers, three lines of context. */
export function unifiedDiff(path: string | undefined, before: string, after: string): string {
  const name = path ?? 'file';
  if (before === after) return '';
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}

/** Lines a unified diff adds and deletes (its +/- lines, not the file headers). */
export function countLines(diff: string): { added: number; deleted: number } {
  let added = 0;
  let deleted = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) added++;
    else if (line.startsWith('-') && !line.startsWith('---')) deleted++;
  }
  return { added, deleted };
}
