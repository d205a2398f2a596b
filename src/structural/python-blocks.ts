// Python's block structure, which tree-sitter's grammar recovers from without an ERROR node: an
// indented line with no `:` above it, a dedent to a depth that was never opened, a `:` line with no
// deeper line after it, a `return` or `yield` outside any function (a new `with` at column 0 in the
// middle of one, its body now the module's). Counted the way Python's tokenizer reads indentation (logical lines only:
// not inside brackets, strings or after a backslash), so the merge can refuse one that adds any.
import { indentColumns } from './indent.js';

export function pythonBlockErrors(lines: string[]): number {
  // The open levels: each one's column, and whether it lies in a function's body.
  const levels = [{ col: 0, inFunction: false }];
  const top = () => levels[levels.length - 1];
  let opensFunction = false; // the previous logical line was a `def` header
  let errors = 0;
  let depth = 0; // open brackets
  let triple: string | null = null; // open triple-quoted string
  let continued = false; // previous physical line ended with a backslash
  let opened = false; // previous logical line ended with `:`
  for (const line of lines) {
    const startsLogical = depth === 0 && triple === null && !continued;
    const code = line.trim() !== '' && !line.trim().startsWith('#');
    if (startsLogical && code) {
      const col = indentColumns(line);
      const before = errors;
      if (opened) {
        if (col > top().col) levels.push({ col, inFunction: top().inFunction || opensFunction });
        else errors++; // expected an indented block
      } else if (col > top().col) {
        errors++; // unexpected indent
        levels.push({ col, inFunction: top().inFunction });
      } else {
        while (levels.length > 1 && col < top().col) levels.pop();
        if (col !== top().col) {
          errors++; // unindent does not match any outer level
          levels.push({ col, inFunction: top().inFunction });
        }
      }
      // (one error a line: a body-less `def` then `return` at its depth is that one)
      if (errors === before && /^(?:return|yield)\b/.test(line.trim()) && !top().inFunction) errors++; // outside a function
      opensFunction = /^(?:async\s+)?def\b/.test(line.trim());
      opened = false;
    }
    // Scan the line for brackets, strings and comments; remember how it ends.
    let last = '';
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (triple !== null) {
        if (line.startsWith(triple, i)) {
          i += 2;
          triple = null;
        }
        continue;
      }
      if (ch === '#') break;
      if (ch === '"' || ch === "'") {
        if (line.startsWith(ch.repeat(3), i)) {
          triple = ch.repeat(3);
          i += 2;
          continue;
        }
        // A one-line string: skip to its closing quote.
        let j = i + 1;
        while (j < line.length && line[j] !== ch) j += line[j] === '\\' ? 2 : 1;
        i = j;
        last = ch;
        continue;
      }
      if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch)) depth = Math.max(0, depth - 1);
      if (ch.trim() !== '') last = ch;
    }
    continued = triple === null && /\\\s*$/.test(line.replace(/#.*$/, ''));
    // The logical line ends here when nothing keeps it open: it opens a block if it ends with `:`.
    if (depth === 0 && triple === null && !continued && last !== '') opened = last === ':';
  }
  return errors;
}
