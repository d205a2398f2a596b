// A check on the merged file: an import the merge deletes whose name the file still uses. The
// snippet deleted the import with the code that used it, but the merge kept that code (an unmarked
// end read as "keep the rest", a use the snippet never showed): the result would not compile.
// Single-line imports of the languages whose imports bind names: JS/TS, Python, Java/Kotlin, Rust.
import type { Language } from '../languages/registry.js';
import { isCommentLine } from './gaps.js';
import { MergeRefusal } from './refusal.js';

const NAME = /^[A-Za-z_$][\w$]*$/;
/** A name as a whole word of code, not a property (`.name`). */
const word = (name: string) => new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}(?![\\w$])`);

/**
 * A new import line `a` that is the file's import line `b` edited: it binds the same names (the
 * file cannot bind a name twice: `import { pool as db } from './pg'` over `import { db } from
 * './db'`), or imports from the same module while the file uses none of `b`'s names elsewhere
 * (`import { createLogger } from './logger'` over an unused `import { logger } from './logger'`;
 * were `logger` used, the new line would be one more import).
 */
export function sameImport(a: string, b: string, lang: Language, usedElsewhere: (name: string) => boolean): boolean {
  const [na, nb] = [importedNames(a, lang), importedNames(b, lang)];
  if (!na || !nb || na.length === 0 || nb.length === 0) return false;
  if ([...na].sort().join(',') === [...nb].sort().join(',')) return true;
  const [fa, fb] = [moduleOf(a), moduleOf(b)];
  return fa !== null && fa === fb && !nb.some(usedElsewhere);
}

/**
 * A new import line `a` that extends or trims the file's import line `b`: from the same module, the
 * names of one a strict subset of the other's (`import React, { useState, useMemo } from "react"` over
 * `import React, { useState } from "react"`).
 */
export function widenedImport(a: string, b: string, lang: Language): boolean {
  const [na, nb] = [importedNames(a, lang), importedNames(b, lang)];
  if (!na || !nb || na.length === 0 || nb.length === 0) return false;
  const [fa, fb] = [moduleOf(a), moduleOf(b)];
  if (fa === null || fa !== fb) return false;
  return na.length !== nb.length && (na.every((n) => nb.includes(n)) || nb.every((n) => na.includes(n)));
}

const moduleOf = (line: string) => /\bfrom\s+(['"]?)([^'"\s]+)\1/.exec(line.trim())?.[2] ?? null;

/** The names an import clause binds: `a, { b as c, type d }` -> a, c, d; `* as e` -> e. */
function clauseNames(clause: string): string[] {
  const names: string[] = [];
  for (const part of clause.replace(/[{}]/g, ',').split(',')) {
    const words = part.trim().replace(/^type\s+/, '').split(/\s+as\s+|\s+/);
    const name = words[words.length - 1];
    if (name && NAME.test(name) && name !== '*') names.push(name);
  }
  return names;
}

/** The names an import line binds in the file, or null when the line is no import we read. */
export function importedNames(line: string, lang: Language): string[] | null {
  const t = line.trim();
  let m: RegExpMatchArray | null;
  switch (lang.id) {
    case 'javascript':
    case 'typescript':
    case 'tsx': {
      // import a, { b as c, type d } from "x";  import * as e from "x";  import type { f } from "x"
      if (!(m = t.match(/^import\s+(?:type\s+)?(.+?)\s+from\s+['"][^'"]+['"];?$/))) return null;
      return clauseNames(m[1]);
    }
    case 'python':
      // from x import a, b as c  /  import a.b as c  /  import a
      if ((m = t.match(/^from\s+\S+\s+import\s+([^()#]+)$/))) return m[1].split(',').map((p) => p.trim().split(/\s+as\s+/).pop()!).filter((n) => NAME.test(n));
      if ((m = t.match(/^import\s+([\w.]+)(?:\s+as\s+(\w+))?$/))) return [m[2] ?? m[1].split('.')[0]];
      return null;
    case 'java':
    case 'kotlin':
      // import a.b.C;  import a.b.C as D  (not `a.b.*`, not static members)
      if ((m = t.match(/^import\s+(?:static\s+)?[\w.]*\.(\w+)(?:\s+as\s+(\w+))?;?$/))) return [m[2] ?? m[1]];
      return null;
    case 'rust':
      // use a::b::C;  use a::b::{C, D as E};
      if ((m = t.match(/^(?:pub\s+)?use\s+[\w:]*?(?:::)?\{([^}]*)\};$/))) return m[1].split(',').map((p) => p.trim().split(/\s+as\s+/).pop()!.split('::').pop()!).filter((n) => NAME.test(n) && n !== 'self');
      if ((m = t.match(/^(?:pub\s+)?use\s+[\w:]*::(\w+)(?:\s+as\s+(\w+))?;$/))) return [m[2] ?? m[1]];
      return null;
    default:
      return null;
  }
}

/**
 * Refuses a merge that deletes an import (`deleted`: original line numbers) whose name the merged
 * file's kept lines still use and no import of the output binds again.
 */
export function deletedImportsStillUsed(original: string[], deleted: Iterable<number>, output: string[], added: Set<number>, lang: Language): void {
  const gone = new Map<string, number>();
  for (const o of deleted) for (const name of importedNames(original[o], lang) ?? []) gone.set(name, o);
  if (gone.size === 0) return;
  const imports = importRows(output, lang);
  // (an import of the output binds the name again: moved, merged into another import)
  for (const row of imports) {
    const names = importedNames(output[row], lang) ?? output[row].match(/[A-Za-z_$][\w$]*/g) ?? [];
    for (const name of names) gone.delete(name);
  }
  for (let row = 0; row < output.length && gone.size > 0; row++) {
    const line = output[row];
    if (added.has(row) || imports.has(row) || isCommentLine(line, lang)) continue;
    for (const [name, o] of gone) {
      if (!word(name).test(line)) continue;
      throw new MergeRefusal(
        'check_failed',
        `The merge deletes the import on line ${o + 1} of the file ("${original[o].trim().slice(0, 80)}"), but line ${row + 1} of the result, which the update did not change, still uses ${name}. ` +
          'The code that used it was likely meant to go too: show where it ends (or mark what stays).',
        { line: o + 1, name },
      );
    }
  }
}

/** The type names a JSDoc line declares (`/** @import { A, B as C } from "x" *\/`, `/** @typedef {...} D *\/`), or null. */
export function jsdocTypeNames(line: string): string[] | null {
  const t = line.trim();
  // (`@import Module, { BuildInfo as Info } from "x"`, `@import * as ns from "x"`: bound as an import binds)
  let m = t.match(/^\/\*\*\s*@import\s+(.+?)\s+from\s+['"][^'"]+['"]\s*\*\/$/);
  if (m) return clauseNames(m[1]);
  m = t.match(/^\/\*\*\s*@typedef\s+(?:\{.*\}\s+)?([A-Za-z_$][\w$]*)\s*\*\/$/);
  return m ? [m[1]] : null;
}

/**
 * The same for JSDoc's type imports and typedefs, whose names only the file's type comments use
 * (`@param {Range} range`): a merge that deletes one while a kept line still names the type read a
 * comment the snippet dropped from a run of them (or a stretch it rewrote) as deleted.
 */
export function deletedTypeNamesStillUsed(original: string[], deleted: Iterable<number>, output: string[], added: Set<number>, lang: Language): void {
  if (lang.id !== 'javascript' && lang.id !== 'typescript' && lang.id !== 'tsx') return;
  const gone = new Map<string, number>();
  for (const o of deleted) for (const name of jsdocTypeNames(original[o]) ?? []) gone.set(name, o);
  if (gone.size === 0) return;
  // (a declaration of the output names it again, one over several lines included: `* @import A, {`
  // ... `} from "x"`, read through the comment's end)
  const declaring = new Set<number>();
  for (let row = 0; row < output.length; row++) {
    if (!/@(?:import|typedef)\b/.test(output[row])) continue;
    for (let end = row; end < Math.min(output.length, row + 50); end++) {
      declaring.add(end);
      for (const name of output[end].match(/[A-Za-z_$][\w$]*/g) ?? []) gone.delete(name);
      if (output[end].includes('*/')) break;
    }
  }
  for (let row = 0; row < output.length && gone.size > 0; row++) {
    if (added.has(row) || declaring.has(row)) continue;
    for (const [name, o] of gone) {
      if (!word(name).test(output[row])) continue;
      throw new MergeRefusal(
        'check_failed',
        `The merge deletes the type declaration on line ${o + 1} of the file ("${original[o].trim().slice(0, 80)}"), but line ${row + 1} of the result, which the update did not change, still names ${name}. ` +
          'Include the line if it is to be kept.',
        { line: o + 1, name, kind: 'type_declaration' },
      );
    }
  }
}

/** The rows of import statements, those over several lines included (`import {` ... `} from "x"`). */
function importRows(lines: string[], lang: Language): Set<number> {
  const rows = new Set<number>();
  const opens = IMPORT_OPENS[lang.id];
  for (let row = 0; row < lines.length; row++) {
    if (importedNames(lines[row], lang)) rows.add(row);
    else if (opens && opens[0].test(lines[row])) {
      // (bounded: an import list runs for a few hundred lines at most)
      for (let end = row; end < Math.min(lines.length, row + 500); end++) {
        rows.add(end);
        if (opens[1].test(lines[end]) && end > row) break;
      }
    }
  }
  return rows;
}

/** Where an import over several lines starts, and the line that ends it. */
const IMPORT_OPENS: Record<string, [RegExp, RegExp]> = {
  javascript: [/^\s*import\s+(?:type\s+)?[\w$]*\s*,?\s*\{[^}]*$/, /\}\s*from\s*['"]/],
  typescript: [/^\s*import\s+(?:type\s+)?[\w$]*\s*,?\s*\{[^}]*$/, /\}\s*from\s*['"]/],
  tsx: [/^\s*import\s+(?:type\s+)?[\w$]*\s*,?\s*\{[^}]*$/, /\}\s*from\s*['"]/],
  python: [/^\s*from\s+\S+\s+import\s+\($/, /\)/],
  rust: [/^\s*(?:pub\s+)?use\s+[\w:]*\{[^}]*$/, /\};/],
};
