// Marker lines: the lines of a lazy snippet that stand for unchanged code ("// ... existing code ...").
import type { Language } from '../languages/registry.js';

const ELLIPSIS = String.raw`(?:\.{2,}|…)`;
const ONLY_ELLIPSIS = new RegExp(`^${ELLIPSIS}$`);
/** `... words ...` or `... words`: ellipsis-led prose, not code. */
const ELLIPSIS_PROSE = new RegExp(String.raw`^${ELLIPSIS}\s*([^;{}=<>]*?)\s*${ELLIPSIS}?$`);
const PROSE = /^[\p{L}\p{N}\s'’,:()\/._-]*$/u;
/** `words ...`: prose that trails off into an ellipsis. */
const TRAILING_ELLIPSIS = new RegExp(String.raw`^(\S.*?)\s*${ELLIPSIS}$`);
/** Phrases models write for skipped code without ellipses: "existing code", "rest of the file unchanged". */
const PHRASE =
  /^(?:keep(?:ing)?\s+)?(?:the\s+|all\s+)?(?:existing|rest(?:\s+of|(?=\s+(?:unchanged|stays|remains|is\s+unchanged|as\s+(?:is|before))\b))|remaining|unchanged|other|previous|omitted|same)\b[\p{L}\p{N}\s'’,:()\/._-]*$/iu;
const CODE_NOUN =
  /\b(?:code|lines?|methods?|functions?|imports?|fields?|propert(?:y|ies)|implementation|content|file|class(?:es)?|cases?|tests?|members?|logic|body|statements?|config(?:uration)?|styles?|rules?|elements?|markup|props|handlers?|routes?|declarations?|definitions?|exports?|types?|keys?|entries|items|page|template|components?|blocks?|script|unchanged|as before|here)\b/i;

/**
 * The comment forms models write markers in whatever the file's language: `// ... existing code ...`
 * in a Python file, `# ...` in a C one, `{# ... #}` in a Jinja template. None of them starts a line
 * of code in a language whose own comments they are not, followed by an ellipsis.
 */
const ANY_COMMENT: Pick<Language, 'line' | 'block'> = {
  line: ['//', '#', '--'],
  // (templates' own: Jinja, Django and Twig `{# #}`, Handlebars `{{!-- --}}`, Blade `{{-- --}}`,
  // ERB and EJS `<%# %>`, Liquid's comment tags, Razor's `@* *@`)
  block: [['/*', '*/'], ['<!--', '-->'], ['{/*', '*/}'], ['{#', '#}'], ['{{!--', '--}}'], ['{{!', '}}'], ['{{--', '--}}'], ['<%#', '%>'], ['{% comment %}', '{% endcomment %}'], ['@*', '*@']],
};

/** The text inside the comment delimiters, or the line itself when it is not a comment. */
function commentBody(trimmed: string, lang: Pick<Language, 'line' | 'block'>): { body: string; comment: boolean } {
  const blocks = [...lang.block].sort((a, b) => b[0].length - a[0].length);
  for (const [open, close] of blocks) {
    if (trimmed.startsWith(open) && trimmed.endsWith(close) && trimmed.length >= open.length + close.length) {
      return { body: trimmed.slice(open.length, trimmed.length - close.length).trim(), comment: true };
    }
  }
  const prefixes = [...lang.line].sort((a, b) => b.length - a.length);
  for (const p of prefixes) {
    if (trimmed.startsWith(p)) return { body: trimmed.slice(p.length).replace(/^[\s/#*-]*/, '').trim(), comment: true };
  }
  return { body: trimmed, comment: false };
}

/** Prose words in a marker without ellipses: "rest of file unchanged", not a sentence of documentation. */
const MAX_PHRASE_WORDS = 7;

function isMarkerBody(body: string, phrases = true): boolean {
  if (body.length === 0 || body.length > 120) return false;
  // `[existing code]`, `(unchanged)`: the phrase in brackets
  const bracketed = /^[[(](.*)[\])]$/.exec(body);
  if (bracketed) body = bracketed[1].trim();
  if (ONLY_ELLIPSIS.test(body)) return true;
  const m = ELLIPSIS_PROSE.exec(body);
  if (m && PROSE.test(m[1] ?? '')) return true;
  // `existing code...`: the phrase with a trailing ellipsis (not a sentence's closing period)
  const trailing = TRAILING_ELLIPSIS.exec(body);
  if (trailing) body = trailing[1];
  return phrases && body.length <= 80 && body.split(/\s+/).length <= MAX_PHRASE_WORDS && !/\.$/.test(body) && PHRASE.test(body) && namesCodeEarly(body);
}

/** The words a phrase marker's code noun may stand after its lead word: "other helper methods". */
const NOUN_REACH = 3;

/**
 * A phrase marker names the code it stands for right after its lead word ("other methods", "rest of
 * the file", "existing helper functions"); a comment that only ends on such a noun is a sentence
 * ("Other tabs writing the same key").
 */
function namesCodeEarly(body: string): boolean {
  const words = body.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const lead = words.findIndex((w) => /^(?:existing|rest|remaining|unchanged|other|previous|omitted|same)$/.test(w));
  return lead >= 0 && CODE_NOUN.test(words.slice(lead, lead + NOUN_REACH + 1).join(' '));
}

/**
 * Is this snippet line a marker? `prevCode` is the previous non-blank snippet line: in Python a bare
 * `...` after a line ending in `:` is an Ellipsis body, not a marker.
 */
export function isMarkerLine(line: string, lang: Language, prevCode?: string): boolean {
  const trimmed = line.trim();
  if (trimmed.length === 0) return false;
  const { body, comment } = commentBody(trimmed, lang);
  // A documentation comment (`///`, `/** */`) is prose about the code: a marker only with ellipses.
  if (comment) return isMarkerBody(body, !/^(?:\/\/\/|\/\*\*(?!\/))/.test(trimmed));
  // In another language's comment syntax, a marker only with ellipses: the line is no code here
  // either way, but a phrase alone ("# existing users") may be a heading or a string's text.
  const foreign = commentBody(trimmed, ANY_COMMENT);
  if (foreign.comment && isMarkerBody(foreign.body, false)) return true;
  // Bare markers: only ellipsis-led prose, never a code line; or a marker's words in brackets,
  // `[... rest of the file unchanged ...]`, `(unchanged)`, `[...]`.
  // (no commas: `[other, items]` is an array)
  if (/^[[(][^,]*[\])]$/.test(trimmed) && isMarkerBody(trimmed)) return true;
  if (!/^(?:\.{2,}|…)/.test(trimmed)) return false;
  if (lang.id === 'python' && ONLY_ELLIPSIS.test(trimmed) && prevCode?.trimEnd().endsWith(':')) return false;
  // Spread/rest syntax (`...args,`) is code.
  if (/^\.{3}[\w$[({]/.test(trimmed)) return false;
  return isMarkerBody(trimmed);
}
