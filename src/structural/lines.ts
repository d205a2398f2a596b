// Line classification and the matching ladder's keys.

/** The ladder, in order: each rung compares lines by a looser key than the one before. */
export const RUNGS = ['exact', 'whitespace', 'indent_shift', 'trimmed'] as const;
export type Rung = (typeof RUNGS)[number];

export const CONFIDENCE: Record<Rung, number> = { exact: 1, whitespace: 0.98, indent_shift: 0.93, trimmed: 0.85 };

/** Keys per rung: exact bytes; trailing whitespace dropped; leading and trailing whitespace dropped. */
export function lineKey(line: string, rung: Rung): string {
  switch (rung) {
    case 'exact':
      return line;
    case 'whitespace':
      return line.trimEnd();
    default:
      return line.trim();
  }
}

export function isBlank(line: string): boolean {
  return line.trim().length === 0;
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
