// A check on the merged file, independent of the parse: its brackets balance as the original's
// did. Where the original already parses with errors (macros, newer syntax) the syntax check
// tolerates a few more, and a merge that loses a function's `}` (new code put before it, its own
// `}` taken for the file's) slips through; counting brackets does not. Only in languages without
// regex literals or other bracket-bearing tokens a small lexer cannot see (JS and Ruby have them).
import type { Language } from '../languages/registry.js';
import { MergeRefusal } from './refusal.js';

const COUNTED = new Set(['c', 'cpp', 'objc', 'java', 'kotlin', 'go', 'rust', 'csharp', 'swift', 'css', 'scss', 'json']);
const PAIRS: Record<string, number> = { '{': 0, '}': 0, '(': 1, ')': 1, '[': 2, ']': 2 };

/** Net count of `{}`, `()`, `[]` outside comments, strings and character literals. */
export function bracketBalance(text: string): [number, number, number] {
  const net: [number, number, number] = [0, 0, 0];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === '"' || c === '`') {
      // (a string ends at its quote or, unterminated, at the line's end: one bad line never eats the file)
      for (i++; i < n && text[i] !== c && (c === '`' || text[i] !== '\n'); i++) if (text[i] === '\\') i++;
    } else if (c === "'") {
      // A character literal is short ('x', '\n', '\u{1F600}'); a lone quote (a Rust lifetime) is not one.
      const m = /^'(?:\\[^\n]{1,9}?|[^\\'\n]{1,2})'/.exec(text.slice(i, i + 12));
      if (m) i += m[0].length - 1;
    } else if (c in PAIRS) {
      net[PAIRS[c]] += c === '{' || c === '(' || c === '[' ? 1 : -1;
    }
  }
  return net;
}

/**
 * Refuses a merge whose output's brackets do not balance as the original's do. An output that
 * balances where the original did not passes: an edit may fix a missing brace.
 */
export function bracketsKeepBalance(original: string, output: string, lang: Language): void {
  if (!COUNTED.has(lang.id)) return;
  const before = bracketBalance(original);
  const after = bracketBalance(output);
  const k = before.findIndex((b, i) => b !== after[i] && after[i] !== 0);
  if (k < 0) return;
  const [open, close] = ['{}', '()', '[]'][k];
  throw new MergeRefusal(
    'check_failed',
    `The merged file would have ${after[k]} more \`${open}\` than \`${close}\` where the original has ${before[k]}: a bracket was lost or doubled where the update was placed. ` +
      'Show a few more unchanged lines around the change so its place is clear.',
    { bracket: `${open}${close}`, balance_before: before[k], balance_after: after[k] },
  );
}
