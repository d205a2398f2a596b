// A check on the merged file: a local variable or parameter whose declaring line the merge deletes,
// while lines it keeps in the same function still use the name. Read that way the edit breaks the
// function; far likelier the snippet skipped the lines by accident (a model eliding context: the
// declaration of `result` left out between two lines it copied), and they are still there in the
// author's file. Found by tree-sitter, in the original: only declarations inside a function.
import type { Node } from 'web-tree-sitter';
import type { Language } from '../languages/registry.js';
import { isCommentLine } from './gaps.js';
import { runsOf } from './lines.js';
import { MergeRefusal } from './refusal.js';

/**
 * Where an identifier binds a name: its parent's type, and the field it must sit in (null: any
 * direct child). C and C++ declarators nest (`*result`, `a = 1`, `c[4]`); see bindingParent.
 */
const BINDS: Record<string, string | string[] | null> = {
  declaration: 'declarator', // C, C++: `js_value_t *result;`
  parameter_declaration: 'declarator', // C, C++ (Go's: `name`, below)
  variable_declarator: 'name', // JS, TS, Java
  required_parameter: 'pattern', // TS
  optional_parameter: 'pattern',
  formal_parameters: null, // JS: `function f(a, b)`
  formal_parameter: 'name', // Java
  parameters: null, // Python
  default_parameter: 'name',
  typed_parameter: null,
  typed_default_parameter: 'name',
  let_declaration: 'pattern', // Rust
  parameter: ['pattern', 'name'], // Rust; Swift: `to destination: Path` (its type is under `name` too, not an identifier)
  lambda_parameter: 'name', // Swift: `{ v in ... }`
  short_var_declaration: 'left', // Go (through its expression_list)
  var_spec: 'name',
  variable_declaration: null, // Kotlin: `val size = ...` (JS's holds declarators, not names)
  assignment: 'left', // Python, Ruby: `artifact_name = "..."` declares by assigning
  assignment_expression: 'left', // PHP: `$tabs_id = ...` (only a variable_name: see bindingParent)
};
const IDENTIFIER = ['identifier', 'simple_identifier', 'variable_name'];
const NESTED_DECLARATOR = /^(?:pointer|reference|array|init)_declarator$/;
const FUNCTION = /function|method|constructor|lambda|arrow|closure|func_literal/;

/** The node `id` binds a name in (a declaration, a parameter), or null where it only uses one. */
function bindingParent(id: Node): Node | null {
  let node = id;
  let parent = node.parent;
  // (`*result`, `a = 1`, `c[4]`, Go's `a, b :=`: the name sits below the declaring node)
  while (parent && ((NESTED_DECLARATOR.test(parent.type) && fieldOf(parent, node) === 'declarator') || parent.type === 'expression_list')) {
    node = parent;
    parent = parent.parent;
  }
  if (!parent) return null;
  // (Swift: `let x =`, `for x in`, `if let x`, `guard let x` name it their bound_identifier)
  if (fieldOf(parent, node) === 'bound_identifier') return parent;
  if (!(parent.type in BINDS)) return null;
  // (elsewhere an assignment only rebinds a name declared before: `count = 0` in JS or C)
  if (parent.type === 'assignment_expression' && node.type !== 'variable_name') return null;
  const field = BINDS[parent.type];
  if (parent.type === 'parameter_declaration' && fieldOf(parent, node) === 'name') return parent; // Go
  if (field === null) return node.parent?.id === parent.id ? parent : null;
  const at = fieldOf(parent, node);
  return at !== null && (Array.isArray(field) ? field.includes(at) : at === field) ? parent : null;
}

function fieldOf(parent: Node, child: Node): string | null {
  for (let i = 0; i < parent.childCount; i++) if (parent.child(i)?.id === child.id) return parent.fieldNameForChild(i);
  return null;
}

/**
 * Swift's `guard let name else` and `if let name {`: the name unwraps itself, a property or an
 * outer local of that name, which the kept lines still reach once this line is deleted.
 */
function unwrapsItself(binding: Node, id: Node): boolean {
  return /^(?:guard|if|while)_statement$/.test(binding.type) && !['=', ':', 'type_annotation'].includes(id.nextSibling?.type ?? '');
}

/** The function a binding belongs to (its parameters' or its body's), or null at the top level. */
function enclosingFunction(node: Node): Node | null {
  for (let n = node.parent; n; n = n.parent) if (FUNCTION.test(n.type) && n.childForFieldName('body')) return n;
  return null;
}

/** The identifiers that start on `rows`, found one run of rows at a time. */
function identifiersOn(root: Node, rows: Set<number>, types = IDENTIFIER): Node[] {
  return runsOf(rows).flatMap(([from, to]) =>
    root.descendantsOfType(types, { row: from, column: 0 }, { row: to, column: 0 }).filter((id): id is Node => id !== null && rows.has(id.startPosition.row)),
  );
}

/** The names bound in `scope`, with how often each is bound there. */
function bindingsIn(scope: Node): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of scope.descendantsOfType(IDENTIFIER)) {
    if (id && bindingParent(id)) out.set(id.text, (out.get(id.text) ?? 0) + 1);
  }
  return out;
}

/** A function the merge deletes whole, or most of: no function whose kept lines still use its names. */
function rewrittenWhole(fn: Node, deleted: Set<number>): boolean {
  const [a, b] = [fn.startPosition.row, fn.endPosition.row];
  let gone = 0;
  for (let r = a; r <= b; r++) if (deleted.has(r)) gone++;
  return deleted.has(b) || gone * 2 > b - a + 1;
}

const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g;
/**
 * A line with its string literals' contents blanked (same length: columns still point into the
 * line), but for interpolations (`"#{name}"`, `` `${name}` ``): code that uses names.
 */
const blankStrings = (line: string) =>
  line.replace(STRING, (q) => q[0] + q.slice(1, -1).replace(/[#$]\{[^}]*\}|[^]/g, (m) => (m.length > 1 ? m : ' ')) + q[0]);

/**
 * Refuses a merge that deletes the line binding a local name (`deleted`: original rows) where a
 * line the merge keeps in the same function (`sources`: the original row of each output row, -1
 * for added rows) still uses it, and no added line names it (moved, declared anew in a form not
 * read here: a destructuring, a macro). Names bound more than once in the function (a loop's `i`
 * twice, `#ifdef` branches) are left alone.
 */
export function deletedBindingsStillUsed(root: Node | null, deleted: Set<number>, output: string[], sources: number[], lang: Language): Rebinding[] {
  const pending: Rebinding[] = [];
  if (!root || deleted.size === 0) return pending;
  // (per function: deleted whole, and its names' binding counts; built only where a name needs them)
  const functions = new Map<number, { whole: boolean; bindings?: Map<string, number> }>();
  const addedText = output.filter((_, r) => sources[r] < 0).join('\n');
  for (const id of identifiersOn(root, deleted)) {
    if (id.text.length < 2) continue;
    const binding = bindingParent(id);
    const fn = binding && !unwrapsItself(binding, id) && enclosingFunction(binding);
    if (!fn) continue;
    let info = functions.get(fn.id);
    if (!info) functions.set(fn.id, (info = { whole: rewrittenWhole(fn, deleted) }));
    if (info.whole) continue;
    const name = id.text;
    const word = new RegExp(`(?<![\\w$]|\\.|->|::)${name.replace(/\$/g, '\\$')}(?![\\w$])`);
    const [a, b] = [fn.startPosition.row, fn.endPosition.row];
    const usedAt = output.findIndex((line, r) => sources[r] >= a && sources[r] <= b && !isCommentLine(line, lang) && word.test(blankStrings(line)));
    if (usedAt < 0) continue;
    if ((info.bindings ??= bindingsIn(fn)).get(name) !== 1) continue;
    // (new lines that name it may declare it anew: the merged file's tree says, see redeclared)
    if (word.test(addedText)) {
      pending.push({ name, line: id.startPosition.row, usedAt, usedColumn: blankStrings(output[usedAt]).search(word) });
      continue;
    }
    throw new MergeRefusal(
      'check_failed',
      `The merge deletes line ${id.startPosition.row + 1} of the file, which declares ${name}, but line ${usedAt + 1} of the result, which the update did not change, still uses it. ` +
        'The update likely left those lines out of its context by accident: include them if they are to be kept.',
      { line: id.startPosition.row + 1, name, used_at: usedAt + 1 },
    );
  }
  return pending;
}

/** A deleted local's name that kept lines still use and new lines mention: its declaring `line` (original row), a kept use (output row). */
export interface Rebinding {
  name: string;
  line: number;
  usedAt: number;
  /** Where on that row (the scope a new declaration must reach). */
  usedColumn: number;
}

/** Where a name is bound in ways BINDS does not read: destructuring patterns, a loop's variable, a catch clause. */
const PATTERN_BINDING = /pattern|declarator|parameter|for_in|for_of|for_statement|catch_clause|declaration|binding/;

/**
 * The second half of deletedBindingsStillUsed, on the merged file's tree: each deleted declaration
 * whose name the new lines mention must be declared anew by one of them (`const { result } = ...`),
 * else the new lines only use it, the name is declared nowhere, and the declaration was skipped by
 * accident. `added`: the merged rows from the update.
 */
export function redeclared(root: Node, pending: Rebinding[], added: Set<number>): void {
  if (pending.length === 0) return;
  const ids = identifiersOn(root, added, ANY_NAME);
  for (const { name, line, usedAt, usedColumn } of pending) {
    // (declared anew where the kept use sees it: not as a local or parameter of another function)
    const use = root.descendantForPosition({ row: usedAt, column: usedColumn });
    const inScope = (id: Node) => {
      // (a function's own name is declared in the scope around it)
      let fn = enclosingFunction(id);
      if (fn && fn.childForFieldName('name')?.id === id.id) fn = enclosingFunction(fn);
      return !fn || !use || (fn.startIndex <= use.startIndex && use.endIndex <= fn.endIndex);
    };
    if (ids.some((id) => id.text === name && inScope(id) && declares(id))) continue;
    throw new MergeRefusal(
      'check_failed',
      `The merge deletes line ${line + 1} of the file, which declares ${name}; the update's new lines use ${name} but do not declare it, and line ${usedAt + 1} of the result, which the update did not change, uses it too. ` +
        'The update likely left the declaration out of its context by accident: include it if it is to be kept.',
      { line: line + 1, name, used_at: usedAt + 1 },
    );
  }
}

/** Does this occurrence of a name bind it: a declaration's or parameter's, or inside a pattern on the left of one? */
function declares(id: Node): boolean {
  if (bindingParent(id)) return true;
  // (a macro's bare argument: `UNWRAP_OR_RETURN(Database, db, info.This())` may declare `db`)
  const call = id.parent?.type === 'argument_list' ? id.parent.parent : null;
  if (call?.type === 'call_expression' && /^[A-Z][A-Z0-9_]+$/.test(call.childForFieldName('function')?.text ?? '')) return true;
  let node: Node = id;
  for (let up = 0; up < 4 && node.parent; up++) {
    const parent: Node = node.parent;
    // (`$counts[ $id ] = 0` and `a.b = 1` assign an element or a field: the name in them is read)
    if (/subscript|member|field_expression|element_reference|index_expression/.test(parent.type)) return false;
    if (/assignment/.test(parent.type)) return fieldOf(parent, node) === 'left';
    if (PATTERN_BINDING.test(parent.type) && !/expression|call|argument/.test(node.type)) return fieldOf(parent, node) !== 'value' && fieldOf(parent, node) !== 'right';
    node = parent;
  }
  return false;
}

/** Identifier node types, destructuring's shorthand ones included. */
const ANY_NAME = ['identifier', 'shorthand_property_identifier_pattern', 'simple_identifier', 'variable_name'];

/** Languages where a block may not declare one local twice (not Rust's shadowing `let`, nor JS's `var`). */
const NO_REDECLARATION = new Set(['c', 'cpp', 'objc', 'java', 'kotlin', 'javascript', 'typescript', 'tsx', 'go', 'csharp']);
const BLOCK = /^(?:compound_statement|statement_block|block|statements|statement_list)$/;

/** The statement a local binding declares in, when it is one a block may hold only once per name. */
function statementOf(binding: Node): Node | null {
  switch (binding.type) {
    case 'variable_declarator': // (JS `var` may repeat; C#'s `var` is a local_declaration_statement's)
      if (binding.parent?.type === 'variable_declaration') return binding.parent.parent?.type === 'local_declaration_statement' ? binding.parent.parent : null;
      return binding.parent;
    case 'declaration':
      return binding;
    case 'variable_declaration': // Kotlin: `val size = ...`
      return binding.parent?.type === 'property_declaration' ? binding.parent : null;
    case 'var_spec':
      return binding.parent;
    default:
      return null;
  }
}

/** The locals `statement` declares, by name. */
function declaredBy(statement: Node): string[] {
  return statement
    .descendantsOfType(IDENTIFIER)
    .filter((id): id is Node => id !== null && (() => { const b = bindingParent(id); return b !== null && statementOf(b)?.id === statement.id; })())
    .map((id) => id.text);
}

/**
 * Refuses a merge whose new lines declare a local (`val size`, `const x`, `int n`) that a kept
 * statement of the same block already declares: the merged function would not compile. The update's
 * rewrite of those lines went in beside them (the lines it replaces were not shown: the snippet ends
 * before them). `root`: the merged file's tree; `added`: its rows from the update.
 */
export function declaredTwice(root: Node, added: Set<number>, language: string): void {
  if (added.size === 0 || !NO_REDECLARATION.has(language)) return;
  // (per block: the names its kept statements declare, and where; built once)
  const kept = new Map<number, Map<string, Node>>();
  const keptIn = (block: Node) => {
    let names = kept.get(block.id);
    if (!names) {
      names = new Map();
      for (const s of block.namedChildren) if (s && !added.has(s.startPosition.row)) for (const n of declaredBy(s)) names.set(n, s);
      kept.set(block.id, names);
    }
    return names;
  };
  for (const id of identifiersOn(root, added)) {
    const binding = bindingParent(id);
    const statement = binding && statementOf(binding);
    const block = statement?.parent;
    if (!statement || !block || !BLOCK.test(block.type)) continue;
    const declaring = keptIn(block).get(id.text);
    if (!declaring || declaring.id === statement.id) continue;
    const other = declaring.startPosition.row;
    throw new MergeRefusal(
      'check_failed',
      `The merged file would declare ${id.text} twice in one block: the update's at line ${id.startPosition.row + 1} and the file's own at line ${other + 1}, which the merge keeps. ` +
        'The update likely rewrites those lines but does not show where they end: include the line after them as it stands in the file.',
      { name: id.text, line: id.startPosition.row + 1, kept_line: other + 1 },
    );
  }
}
