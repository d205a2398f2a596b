// A lazy snippet as segments: the runs of code between marker lines.
import type { Language } from '../languages/registry.js';
import { isMarkerLine } from './markers.js';
import { isBlank } from './lines.js';

export interface Segment {
  lines: string[];
  /** 0-based index of the segment's first line in the snippet. */
  snippetLine: number;
  /** A marker stands before (after) it: original code there is kept, not replaced. */
  markerBefore: boolean;
  markerAfter: boolean;
}

/** Which snippet lines are markers (a bare `...` in Python is one only where it is not a body). */
export function markerFlags(lines: string[], lang: Language): boolean[] {
  let prevCode: string | undefined;
  return lines.map((line) => {
    const marker = isMarkerLine(line, lang, prevCode);
    if (!marker && !isBlank(line)) prevCode = line;
    return marker;
  });
}

export function splitSegments(lines: string[], lang: Language): { segments: Segment[]; markers: number } {
  const flags = markerFlags(lines, lang);
  const segments: Segment[] = [];
  let markerSeen = false;
  let i = 0;
  while (i < lines.length) {
    if (flags[i]) {
      markerSeen = true;
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && !flags[j]) j++;
    // Blank lines at a segment's edges say nothing about where it goes.
    let a = i;
    let b = j;
    while (a < b && isBlank(lines[a])) a++;
    while (b > a && isBlank(lines[b - 1])) b--;
    if (b > a) segments.push({ lines: lines.slice(a, b), snippetLine: a, markerBefore: markerSeen, markerAfter: j < lines.length });
    i = j;
  }
  return { segments, markers: flags.filter(Boolean).length };
}
