// Lines a snippet shortens with an ellipsis: `parser = ArgumentParser(prog="sync", ...)` for the
// file's long `parser = ArgumentParser(prog="sync", description=..., epilog=...)`. Models abbreviate
// context that way. Read literally, the line is edited into code that drops what the ellipsis stood
// for (valid Python, where `...` is an expression), silently. Where one line of the file starts with
// the text before the ellipsis and ends with the text after it, the line is that one, unchanged.
import type { Language } from '../languages/registry.js';
import { isMarkerLine } from './markers.js';
import { leadingWhitespace } from './text.js';

/** An ellipsis inside a line that stands for text: not spread or rest syntax (`...args`). */
const ELIDED = /^(.*?\S)\s*(?:\.{3}|…)\s*([)\]},;:]*.*)$/;
/** Less than this left out is no abbreviation: a real `...` argument where the file had a short one. */
const MIN_ELIDED = 12;

/** The file's line that `line` abbreviates, or null: exactly one such line (or copies of one). */
function abbreviated(line: string, original: string[]): string | null {
  const m = ELIDED.exec(line.trim());
  if (!m || /^[\w$([{]/.test(line.trim().slice(m[1].length).replace(/^\s*(?:\.{3}|…)/, ''))) return null;
  const [, head, tail] = m;
  // (inside a string it is the string's text: `print("Loading...")`)
  if ([/"/g, /'/g, /`/g].some((q) => (head.replace(/\\./g, '').match(q)?.length ?? 0) % 2 === 1)) return null;
  const found = new Set<string>();
  for (const o of original) {
    const t = o.trim();
    if (t.length - head.length - tail.length >= MIN_ELIDED && t.startsWith(head) && t.endsWith(tail)) found.add(t);
  }
  return found.size === 1 ? [...found][0] : null;
}

/** The snippet with each line that abbreviates one of the file's written out as that line. */
export function expandElided(lines: string[], lang: Language, original: string[]): string[] {
  let own: Set<string> | null = null;
  return lines.map((line) => {
    // (a marker trails off too: `// existing code...`)
    if (!/\.{3}|…/.test(line) || isMarkerLine(line, lang) || (own ??= new Set(original.map((l) => l.trim()))).has(line.trim())) return line;
    const full = abbreviated(line, original);
    return full === null ? line : leadingWhitespace(line) + full;
  });
}
