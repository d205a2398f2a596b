// Markup grammars close an element the file leaves open without a word (HTML's implied end tags),
// so a merge that writes `<div class="x">` and never its `</div>` parses clean: a snippet that
// skipped the element's lines may have meant them deleted or kept, and the merge cannot tell. The
// tags are counted here instead, by name.
import { MergeRefusal } from './refusal.js';

/** Elements that never close, and those whose end tag HTML lets a file leave out. */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', '!doctype']);
const OPTIONAL_END = new Set(['p', 'li', 'td', 'th', 'tr', 'option', 'optgroup', 'dt', 'dd', 'thead', 'tbody', 'tfoot', 'colgroup', 'rt', 'rp', 'html', 'head', 'body']);
const MARKUP = new Set(['html', 'vue']);

/** Script, style, comments and `{{ }}` interpolations hold text that is not tags (`a < b`, `Array<string>`). */
const OPAQUE = /<!--[\s\S]*?-->|\{\{[\s\S]*?\}\}|<(script|style)\b(?:"[^"]*"|'[^']*'|[^'">])*>[\s\S]*?<\/\1\s*>/gi;
/** Quoted attributes may hold `>` (`() => x`). */
const TAG = /<(\/?)([A-Za-z][\w:.-]*)((?:"[^"]*"|'[^']*'|[^'"<>])*)>/g;

/** For each element name, opened minus closed. */
export function openElements(text: string): Map<string, number> {
  const open = new Map<string, number>();
  for (const m of text.replace(OPAQUE, ' ').matchAll(TAG)) {
    const [, closing, rawName, attrs] = m;
    const name = /^[a-z]/.test(rawName) ? rawName.toLowerCase() : rawName;
    if (VOID.has(name) || OPTIONAL_END.has(name) || (!closing && /\/\s*$/.test(attrs))) continue;
    open.set(name, (open.get(name) ?? 0) + (closing ? -1 : 1));
  }
  return open;
}

/** Refuses a merge that leaves open (or closes twice) an element the original balances. */
export function unbalancedElements(languageId: string, original: string, output: string): void {
  if (!MARKUP.has(languageId)) return;
  const before = openElements(original);
  const after = openElements(output);
  for (const [name, n] of after) {
    if (n === 0 || (before.get(name) ?? 0) !== 0) continue;
    throw new MergeRefusal(
      'syntax_regression',
      `The merged file would ${n > 0 ? `leave ${n} <${name}> element(s) unclosed` : `close <${name}> ${-n} more time(s) than it opens it`}, where the original balances them: the update may skip lines it means to keep or to delete. Show the element's lines through its end tag.`,
      { element: name, open_after: n },
    );
  }
}
