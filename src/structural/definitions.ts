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

/** All named definitions at any depth; with `clean`, only those without syntax errors inside. */
export function collectDefinitions(root: Node, clean: boolean): Definition[] {
  const out: Definition[] = [];
  const cursor = root.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (DEF_TYPE.test(node.type) && !(clean && node.hasError)) {
        const name = nameOf(node);
        // A node that ends at column 0 ends with the line before (its trailing newline is included).
        const end = node.endPosition;
        const endRow = end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
        if (name) out.push({ key: `${node.type}:${name}`, startRow: node.startPosition.row, endRow });
      }
      if (cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return out;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Definitions by key, keeping only keys that occur once. */
export function uniqueDefinitions(defs: Definition[]): Map<string, Definition> {
  const seen = new Map<string, Definition | null>();
  for (const d of defs) seen.set(d.key, seen.has(d.key) ? null : d);
  const out = new Map<string, Definition>();
  for (const [k, d] of seen) if (d) out.set(k, d);
  return out;
}
