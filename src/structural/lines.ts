// Line classification and the matching ladder's keys.
import { indentColumns } from './indent.js';

/** Leading whitespace of a line, in characters (a tab is one: for tree columns and equal-depth tests). */
export const leadingLength = (line: string) => line.length - line.trimStart().length;

/** The ladder, in order: each rung compares lines by a looser key than the one before. */
export const RUNGS = ['exact', 'whitespace', 'indent_shift', 'trimmed'] as const;
export type Rung = (typeof RUNGS)[number];

export const CONFIDENCE: Record<Rung, number> = { exact: 1, whitespace: 0.98, indent_shift: 0.93, trimmed: 0.85 };

/**
 * Keys per rung: exact bytes; trailing whitespace dropped; the depth in whole units of its own
 * side's indentation (`unit` columns, a tab being 4) and the text; leading and trailing whitespace
 * dropped. Without a unit, `indent_shift` compares as `trimmed`.
 */
export function lineKey(line: string, rung: Rung, unit?: number): string {
  switch (rung) {
    case 'exact':
      return line;
    case 'whitespace':
      return line.trimEnd();
    case 'indent_shift':
      return unit ? `${Math.floor(indentColumns(line) / unit)}|${line.trim()}` : line.trim();
    default:
      return line.trim();
  }
}

/** A line that only closes a block (`}`, `end`, `fi`). */
export const BLOCK_CLOSER = /^\s*(?:\}|end|fi|done|esac)\s*$/;

export function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

/** Non-blank lines among lines [a, b). */
export function nonBlankIn(lines: string[], a: number, b: number): number {
  let n = 0;
  for (let i = a; i < b; i++) if (!isBlank(lines[i])) n++;
  return n;
}

/** The rows of `lines` that are not blank, in order. */
export function nonBlankRows(lines: string[]): number[] {
  return lines.map((l, i) => (isBlank(l) ? -1 : i)).filter((i) => i >= 0);
}

/** Whether `part`'s items all occur in `whole`, in order (not necessarily together). */
export function inOrderWithin(part: string[], whole: string[]): boolean {
  let k = 0;
  for (const w of whole) if (k < part.length && w === part[k]) k++;
  return k === part.length;
}

const TRIVIAL_WORDS = new Set([
  'end', 'else', 'else:', 'fi', 'done', 'esac', 'then', 'do', 'try:', 'finally:', 'pass', 'break', 'break;', 'continue',
  'continue;', 'return', 'return;', 'default:', 'begin', 'else {', '} else {', '};', '});', '})', ']);', '),', '},', '],',
  '</div>', '<div>', '</template>', '<template>', '</script>', '<script>', '</style>', '<style>', 'return nil', 'return null;',
  'return false;', 'return true;', 'return 0;', 'return nil;', 'return err', 'return err;', '"""', "'''", '@end', 'end;',
]);

/**
 * A line too common to say where it is (`}`, `end`, `return;`): it may match only next to a
 * line that does say, never as an anchor on its own.
 */
export function isTrivial(line: string): boolean {
  const t = line.trim();
  if (t.length < 4) return true;
  if (!/[\p{L}\p{N}]/u.test(t)) return true;
  return TRIVIAL_WORDS.has(t);
}

/**
 * A longest common subsequence of two runs of n and m lines, under `same(i, j)`: the pairs [i, j]
 * in order, preferring on ties to skip a line of the first run, or of the second where
 * `skipSecond(i, j)` says so. Callers bound n·m.
 */
export function lcsPairs(n: number, m: number, same: (i: number, j: number) => boolean, skipSecond: (i: number, j: number) => boolean = () => false): [number, number][] {
  const dp: Uint16Array[] = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) dp[i][j] = same(i, j) ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  }
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (same(i, j)) pairs.push([i++, j++]);
    else if (dp[i + 1][j] > dp[i][j + 1] || (dp[i + 1][j] === dp[i][j + 1] && !skipSecond(i, j))) i++;
    else j++;
  }
  return pairs;
}

/** A line's first word, up to a space or `(` (`return`, `import`, `def`, `#include`). */
export const firstWord = (line: string) => line.trim().match(/^[^\s(]+/)?.[0];

/** Consecutive rows of `rows` as half-open [first, last + 1) runs, in order. */
export function runsOf(rows: Set<number>): [number, number][] {
  const sorted = [...rows].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const r of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[1] === r) last[1] = r + 1;
    else runs.push([r, r + 1]);
  }
  return runs;
}

/** An object or map key a line sets (`mode: 'x',`, `"mode": 1`, `'mode' => x`; not Ruby's `validates :email`)... */
const KEY_LINE = /^(?:"([^"\n]+)"|'([^'\n]+)'|([A-Za-z_$][\w$-]*))(?::(?!:)|\s*=>)\s*\S/;
/** A TOML or INI table's header line: `[tool.mypy]`, `[[bin]]`, `[program:web]`. */
export const TABLE_HEADER = /^\s*\[\[?[^\]]+\]\]?\s*$/;

/** ...or a name it declares with a keyword (`var theme: String = "dark"`, `export const x = 1`). */
const DECLARED = /^(?:(?:export|public|private|protected|internal|static|final|readonly|override|lateinit|open)\s+)*(?:var|let|const|val)\s+([A-Za-z_$][\w$]*)\b/;

/** ...or a name it assigns (`DefaultPort = 9090`, `self.base = url`, a Makefile's `IMAGE ?= x`; not `==`, `=>` or `+=`). */
const ASSIGNED = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\??=(?![=>])/;

/** First words that start a statement, not a declaration with a type (`return x;`, `delete p;`). */
const NOT_A_TYPE = new Set('return delete throw goto case else new await yield typeof import export package using namespace echo print puts raise assert not in of do'.split(' '));
/** A name declared with a type: `std::size_t hits_ = 0;`, `std::atomic<int> n{0};`, `private final Map<K, V> cache = ...`, `public int Count { get; set; }`, `public string? Email { get; set; }`, `int[] xs;`. */
const TYPED = /^(?:(?:static|const|constexpr|mutable|volatile|inline|extern|unsigned|signed|struct|final|private|public|protected|internal|readonly)\s+)*([A-Za-z_][\w:]*)(?:\s*<[^;={}()]*>)?\??(?:\[\])*[\s*&]+([A-Za-z_]\w*)\s*(?:=(?!=)|\{|;|\[)/;
/** A class field behind modifiers alone: `private cache = new Map()`, `readonly limit: number;`. */
const MODIFIED = /^(?:(?:public|private|protected|internal|static|readonly|declare|override|abstract)\s+)+([A-Za-z_$][\w$]*)[?!]?\s*(?:[:=;]|$)/;
/** A Go struct field or grouped declaration: `Total     float64`, `Tags []string \`json:"tags"\``. */
const GO_FIELD = /^([A-Za-z_]\w*)\s+(?:\*|\[\]|map\[[^\]]*\])*[A-Za-z_][\w.]*(?:\s+`[^`]*`)?(?:\s*\/\/.*)?$/;
/** An enumerator alone on its line: `CMD_NONE,`. */
const ENUMERATOR = /^([A-Za-z_]\w*)\s*,$/;
/** A macro the preprocessor defines: `#define BUF_SIZE 256`. */
const DEFINED = /^#\s*define\s+([A-Za-z_]\w*)/;

/**
 * A name a line declares the way typed languages do (its type before it, modifiers alone, a Go
 * field, an enumerator, a macro), where subjectOf sees none; null for anything else.
 */
function declaredName(line: string, language: string): string | null {
  const t = line.trim();
  const defined = DEFINED.exec(t);
  if (defined) return defined[1];
  const typed = TYPED.exec(t);
  if (typed && !NOT_A_TYPE.has(typed[1])) return typed[2];
  const modified = MODIFIED.exec(t) ?? ENUMERATOR.exec(t) ?? (language === 'go' ? GO_FIELD.exec(t) : null);
  return modified && !NOT_A_TYPE.has(modified[1]) ? modified[1] : null;
}

/** The key an object or map entry line sets (`mode: 'x',`, `"mode": 1`), or null. */
export function keyOfLine(line: string): string | null {
  const m = KEY_LINE.exec(line.trim());
  return m && (m[1] ?? m[2] ?? m[3]);
}

/** What a line sets or declares by name, in any of the ways above; null for anything else. */
export function nameSetBy(line: string, language: string): string | null {
  return subjectOf(line) ?? declaredName(line, language);
}

/** What a line sets, by name (a key, a declared or an assigned name), or null. */
export function subjectOf(line: string): string | null {
  // (a list item that assigns, `- LOG_LEVEL=info` in a compose file's environment, sets its name;
  // not `- name: build`, one more item of a list of objects)
  const t = line.trim();
  const item = /^-\s+([A-Za-z_][\w.]*)=(?!=)/.exec(t);
  if (item) return item[1];
  const d = DECLARED.exec(t) ?? ASSIGNED.exec(t);
  if (d) return d[1];
  const m = KEY_LINE.exec(t);
  return m && (m[1] ?? m[2] ?? m[3]);
}

/**
 * A doc tag line that documents a name: `@param {Number} [options.maxPayload=0] ...`, `@property
 * key`, PHP's `@param array $name`, Python's `:param int size:`. Returns the name as written.
 */
export function documentedPath(line: string): string | undefined {
  return (DOC_TAG.exec(line) ?? PY_PARAM.exec(line))?.[1];
}
const DOC_TAG = /^\s*(?:\*|\/\/\/|#)?\s*@(?:param|arg|argument|property|prop)\b\s*(?:\{[^}]*\}\s*)?(?:[\w|\\<>[\]?]+\s+(?=\$))?\[?([\w$.]+)/;
const PY_PARAM = /^\s*:param\s+(?:\w+\s+)?(\w+):/;

/** Code with its property accesses blanked (`builder.count` -> `builder.`): what remains reads variables. */
export function withoutProperties(code: string): string {
  return code.replace(/\.\s*[A-Za-z_$][\w$]*/g, '.');
}
