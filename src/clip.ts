// Error bodies quote what a client sent (a key, a model name, a path, a snippet line) only as a short
// prefix: a 1 MB value must not come back in the 400 that refuses it, once or twice.

/** Longest quoted value, in UTF-16 units, before it is cut with "…". */
export const QUOTE_MAX = 64;
/** Strings and arrays inside error details are cut to these sizes. */
const DETAIL_STRING_MAX = 100;
const DETAIL_ARRAY_MAX = 64;

/** The first `max` characters of `s`, with "…" when there were more (never half a surrogate pair). */
export function clip(s: string, max = QUOTE_MAX): string {
  if (s.length <= max) return s;
  const cut = /[\uD800-\uDBFF]/.test(s[max - 1]) ? max - 1 : max;
  return `${s.slice(0, cut)}…`;
}

/** A client's value for a message: clipped and in double quotes (control characters escaped). */
export const quote = (s: string, max = QUOTE_MAX) => JSON.stringify(clip(s, max));

/** Error details with every string clipped and every array cut (what the details say stays). */
export function clipDetails<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return clip(value, DETAIL_STRING_MAX) as T;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, DETAIL_ARRAY_MAX).map((v) => clipDetails(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[clip(k)] = clipDetails(v, depth + 1);
  return out as T;
}
