// Named definitions (functions, methods, classes, impls...) found by tree-sitter. When a snippet
// holds a whole definition whose name is unique in the original, its first and last lines are
// paired with that definition's, so the snippet replaces it exactly, however its body changed.
import type { Node } from 'web-tree-sitter';
import { leadingLength, runsOf } from './lines.js';
import { MergeRefusal } from './refusal.js';

export interface Definition {
  key: string;
  startRow: number;
  endRow: number;
}

const DEF_TYPE =
  /^(?:function|generator_function|method|class|abstract_class|struct|enum|interface|trait|impl|mod|module|internal_module|constructor|namespace|type_alias|record|protocol|object|singleton_method|function_signature)(?:_definition|_declaration|_item|_specifier)?$|^(?:method|class|module|singleton_method|type_spec|variable_declarator)$/;

const FUNCTION_VALUE = /^(?:arrow_function|function_expression|function|generator_function)$/;

function nameOf(node: Node): string | null {
  if (node.type === 'variable_declarator') {
    const value = node.childForFieldName('value');
    return value && FUNCTION_VALUE.test(value.type) ? node.childForFieldName('name')?.text ?? null : null;
  }
  const name = node.childForFieldName('name');
  if (name) return name.text;
  if (node.type === 'impl_item') {
    const type = node.childForFieldName('type')?.text;
    const trait = node.childForFieldName('trait')?.text;
    return type ? (trait ? `${trait} for ${type}` : type) : null;
  }
  // C and C++ functions: the name sits at the bottom of a chain of declarators.
  let d = node.childForFieldName('declarator');
  while (d) {
    const inner = d.childForFieldName('declarator');
    if (!inner) return d.text;
    d = inner;
  }
  return null;
}

/** The grammar's node types that may be definitions (computed once per grammar). */
const defTypesByLanguage = new WeakMap<object, string[]>();
function definitionTypes(node: Node): string[] {
  const lang = node.tree.language;
  let types = defTypesByLanguage.get(lang);
  if (!types) {
    types = [];
    for (let id = 0; id < lang.nodeTypeCount; id++) {
      const t = lang.nodeTypeForId(id);
      if (t && DEF_TYPE.test(t) && !types.includes(t)) types.push(t);
    }
    defTypesByLanguage.set(lang, types);
  }
  return types;
}

/**
 * All named definitions at any depth; with `clean`, only those without syntax errors inside.
 * The search for candidate nodes runs inside tree-sitter: walking every node from JavaScript
 * costs more than parsing.
 */
export function collectDefinitions(root: Node, clean: boolean, rows?: [number, number]): Definition[] {
  const out: Definition[] = [];
  const types = definitionTypes(root);
  if (types.length === 0) return out;
  // (with `rows` [a, b): only the definitions that touch them)
  const nodes = rows ? root.descendantsOfType(types, { row: rows[0], column: 0 }, { row: rows[1], column: 0 }) : root.descendantsOfType(types);
  for (const node of nodes) {
    if (!node || (clean && node.hasError)) continue;
    const name = nameOf(node);
    if (!name) continue;
    // A node that ends at column 0 ends with the line before (its trailing newline is included).
    const end = node.endPosition;
    const endRow = end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
    out.push({ key: `${kindOf(node)}:${name}`, startRow: node.startPosition.row, endRow });
  }
  return out;
}

/**
 * A definition's kind: its node type, except Swift's `extension Name` (a class_declaration in its
 * grammar), which adds to a type defined elsewhere rather than defining it again.
 */
function kindOf(node: Node): string {
  if (node.type === 'class_declaration' && node.children.some((c) => c !== null && !c.isNamed && c.type === 'extension')) return 'extension';
  return node.type;
}

/** The definitions that touch any of `rows`, each once, in order. */
function definitionsOn(root: Node, rows: Set<number>): Definition[] {
  const seen = new Set<string>();
  return runsOf(rows)
    .flatMap((run) => collectDefinitions(root, false, run))
    .filter((d) => !seen.has(`${d.key}@${d.startRow}`) && seen.add(`${d.key}@${d.startRow}`));
}

/** A definition's name, and its node type, from its key (`type:name`). */
export const nameInKey = (d: Definition) => d.key.slice(d.key.indexOf(':') + 1);
const kindInKey = (d: Definition) => d.key.slice(0, d.key.indexOf(':'));

/** Definitions by key, keeping only keys that occur once. */
export function uniqueDefinitions(defs: Definition[]): Map<string, Definition> {
  const seen = new Map<string, Definition | null>();
  for (const d of defs) seen.set(d.key, seen.has(d.key) ? null : d);
  const out = new Map<string, Definition>();
  for (const [k, d] of seen) if (d) out.set(k, d);
  return out;
}

/**
 * Refuses a merge that deletes the first line of a definition whose name the merged file's kept
 * lines still call (bare, or through `this.`/`self.`), where no new line names it again: read that
 * way, the edit breaks the file. Far likelier the snippet was anchored on lines its new code copies
 * (an added method's doc comment, a shared `@api private`), and the definition it "replaces" is
 * still there in the author's file. Names defined more than once are left alone (overloads).
 */
export function deletedDefinitionsStillUsed(root: Node | null, original: string[], deleted: Set<number>, output: string[], added: Set<number>): void {
  if (!root || deleted.size === 0) return;
  // Only a definition with a deleted line can lose the line that names it: the file's other
  // definitions (thousands in a large header) are counted only for a name that would refuse.
  let count: Map<string, number> | null = null;
  for (const d of definitionsOn(root, deleted)) {
    const name = nameInKey(d);
    if (!/^[A-Za-z_$][\w$]{3,}$/.test(name)) continue;
    // (a call on another object, PHP's `$this->orders->duplicate(...)`, a path's `Other::name(`, is not one)
    const called = new RegExp(`(?:^|(?<![-:])[^\\w$.]|\\b(?:this|self)\\.|\\$this->|\\b(?:self|Self|static)::)${name.replace(/\$/g, '\\$')}\\s*\\(`);
    const named = new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`);
    // (the line that names it: a definition may start on its annotations or doc comment)
    let head = d.startRow;
    while (head < d.endRow && !named.test(original[head])) head++;
    if (!deleted.has(head)) continue;
    if ([...added].some((row) => named.test(output[row]))) continue;
    const row = output.findIndex((line, r) => !added.has(r) && called.test(line));
    if (row < 0) continue;
    if (!count) {
      count = new Map();
      for (const other of collectDefinitions(root, false)) count.set(nameInKey(other), (count.get(nameInKey(other)) ?? 0) + 1);
    }
    if (count.get(name) !== 1) continue;
    throw new MergeRefusal(
      'check_failed',
      `The merge deletes the definition of ${name} (line ${head + 1} of the file), but line ${row + 1} of the result, which the update did not change, still calls it. ` +
        'The update was likely placed on lines its new code copies: include the lines around the new code as they stand in the file.',
      { line: head + 1, name },
    );
  }
}

/**
 * Definitions a file never holds twice under one name at one depth: types (a second `class X` is
 * never an overload) in every language but Ruby, which reopens classes; plain functions where
 * there is no overloading (JavaScript and TypeScript, PHP, Go). Not C's functions (one per
 * `#ifdef` branch), nor methods (getters and setters share a name; Go's differ by receiver).
 */
const TYPE_KIND = /^(?:class|struct|interface|enum|trait|protocol|record)(?:_specifier|_declaration|_definition|_item)?$/;
const FUNCTION_KIND: Record<string, RegExp> = {
  javascript: /^function_declaration$/,
  typescript: /^function_declaration$/,
  tsx: /^function_declaration$/,
  php: /^function_definition$/,
  go: /^function_declaration$/,
};
const definedOnce = (language: string, kind: string) => (TYPE_KIND.test(kind) && language !== 'ruby') || (FUNCTION_KIND[language]?.test(kind) ?? false);

/**
 * Refuses a merge whose new lines define a type or function (above) that the file already defines,
 * at the same indentation, where the file's own definition stays: the merged file would hold both,
 * the update's rewrite inserted beside the code it rewrites (a class re-indented in the update, its
 * every line new to the merge; a function whose first line the update spaces differently).
 * `root`: the merged file's tree; `added`: its rows that came from the update.
 */
export function definedTwice(root: Node, output: string[], added: Set<number>, language: string): void {
  if (added.size === 0) return;
  const once = (d: Definition) => definedOnce(language, kindInKey(d)) && d.endRow > d.startRow; // (not `class X;`)
  const indent = (row: number) => leadingLength(output[row]);
  const fresh = definitionsOn(root, added).filter((d) => once(d) && added.has(d.startRow));
  if (fresh.length === 0) return;
  const all = collectDefinitions(root, false).filter(once);
  for (const d of fresh) {
    const kept = all.find((o) => o.key === d.key && !added.has(o.startRow) && indent(o.startRow) === indent(d.startRow));
    if (!kept) continue;
    const name = nameInKey(d);
    throw new MergeRefusal(
      'check_failed',
      `The merged file would define ${name} twice: the update's at line ${d.startRow + 1} and the file's own at line ${kept.startRow + 1}, which the merge keeps. ` +
        "The update likely rewrites the file's definition but none of its lines matched the file's: show its first line as it stands in the file, or the whole file.",
      { name, line: d.startRow + 1, kept_line: kept.startRow + 1 },
    );
  }
}

/** The function a C declaration (`int parse(const char *s, int *ok);`) declares, or null. */
function prototypeName(node: Node): string | null {
  if (node.type !== 'declaration') return null;
  let d = node.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  const name = d?.childForFieldName('declarator');
  return name?.type === 'identifier' ? name.text : null;
}

/**
 * Refuses a merge whose new lines declare a C function (a prototype) that a kept prototype beside
 * them, in the same block, declares with other types: C has no overloads, so the update rewrote
 * that line (`bool *ok` for `int *ok`) and the merge kept both, which does not compile. Only C: in
 * C++ the two are overloads. `root`: the merged file's tree; `added`: its rows from the update.
 */
export function prototypedTwice(root: Node, added: Set<number>, language: string): void {
  if (added.size === 0 || language !== 'c') return;
  const visit = (parent: Node) => {
    const byName = new Map<string, Node[]>();
    for (const child of parent.namedChildren) {
      if (!child) continue;
      if (/^preproc_(?:if|ifdef|else|elif)|^linkage_specification$|^declaration_list$/.test(child.type)) visit(child);
      const name = prototypeName(child);
      if (name) byName.set(name, [...(byName.get(name) ?? []), child]);
    }
    for (const [name, decls] of byName) {
      const fresh = decls.find((d) => added.has(d.startPosition.row));
      const spaced = (d: Node) => d.text.replace(/\s+/g, ' ');
      const kept = decls.find((d) => !added.has(d.startPosition.row) && fresh && spaced(d) !== spaced(fresh));
      if (!fresh || !kept) continue;
      throw new MergeRefusal(
        'check_failed',
        `The merged file would declare ${name} twice with different types: the update's at line ${fresh.startPosition.row + 1} and the file's own at line ${kept.startPosition.row + 1}, which the merge keeps. ` +
          "The update likely rewrites the file's declaration: show the lines around it as they stand in the file.",
        { name, line: fresh.startPosition.row + 1, kept_line: kept.startPosition.row + 1 },
      );
    }
  };
  visit(root);
}
