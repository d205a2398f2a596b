// Named definitions (functions, methods, classes, impls...) found by tree-sitter. When a snippet
// holds a whole definition whose name is unique in the original, its first and last lines are
// paired with that definition's, so the snippet replaces it exactly, however its body changed.
import type { Node } from 'web-tree-sitter';

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
export function collectDefinitions(root: Node, clean: boolean): Definition[] {
  const out: Definition[] = [];
  const types = definitionTypes(root);
  if (types.length === 0) return out;
  for (const node of root.descendantsOfType(types)) {
    if (!node || (clean && node.hasError)) continue;
    const name = nameOf(node);
    if (!name) continue;
    // A node that ends at column 0 ends with the line before (its trailing newline is included).
    const end = node.endPosition;
    const endRow = end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
    out.push({ key: `${node.type}:${name}`, startRow: node.startPosition.row, endRow });
  }
  return out;
}

/** Definitions by key, keeping only keys that occur once. */
export function uniqueDefinitions(defs: Definition[]): Map<string, Definition> {
  const seen = new Map<string, Definition | null>();
  for (const d of defs) seen.set(d.key, seen.has(d.key) ? null : d);
  const out = new Map<string, Definition>();
  for (const [k, d] of seen) if (d) out.set(k, d);
  return out;
}
