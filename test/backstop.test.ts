// The independent check: each rule refuses the merge it exists for, and none refuses a right answer.
import { describe, expect, it } from 'vitest';
import { detectLanguage, genericFor } from '../src/languages/registry.js';
import { backstop } from '../src/structural/backstop.js';
import { readEditBlocks } from '../src/structural/edit-blocks.js';
import { MergeRefusal } from '../src/structural/refusal.js';
import { loadFixtureCases } from './fixture-cases.js';

const lines = (s: string) => s.split(/\r?\n/);
const refusal = (f: () => void) => {
  try {
    f();
  } catch (e) {
    return e instanceof MergeRefusal ? e.code : String(e);
  }
  return null;
};

const original = ['function a() {', '  one();', '  two();', '}', '', 'function b() {', '  three();', '}'];

describe('backstop', () => {
  it('accepts the snippet applied', () => {
    const update = '// ... existing code ...\nfunction b() {\n  three();\n  four();\n}\n';
    expect(refusal(() => backstop({ update, original, output: [...original.slice(0, 7), '  four();', '}'] }))).toBeNull();
  });

  it('reads tool markup, a path comment and several fenced blocks as no code', () => {
    const output = ['function a() {', '  one();', '  2();', '}', '', 'function b() {', '  3();', '}'];
    const update = '<code_edit>\n// src/ab.js\n```js\nfunction a() {\n  one();\n  2();\n```\nThen b:\n```js\nfunction b() {\n  3();\n```\n</code_edit>\n';
    expect(refusal(() => backstop({ update, original, output }))).toBeNull();
    // (the blocks' lines are still each looked for: the second block's edit left out)
    expect(refusal(() => backstop({ update, original, output: [...output.slice(0, 6), '  three();', '}'] }))).toBe('check_failed');
  });

  it('reads line numbers a viewer printed as no code, and still looks for each line', () => {
    const update = '// ... existing code ...\n     6\u2192function b() {\n     7\u2192  three();\n  four();\n     8\u2192}\n';
    const output = [...original.slice(0, 7), '  four();', '}'];
    expect(refusal(() => backstop({ update, original, output }))).toBeNull();
    expect(refusal(() => backstop({ update, original, output: original }))).toBe('check_failed');
  });

  it('refuses an output that lacks a snippet line', () => {
    const update = '// ... existing code ...\nfunction b() {\n  four();\n}\n';
    expect(refusal(() => backstop({ update, original, output: original }))).toBe('check_failed');
  });

  it('refuses a line nested otherwise than in the snippet', () => {
    const update = '// ... existing code ...\nfunction b() {\n  if (x) {\n    three();\n  }\n}\n';
    const output = [...original.slice(0, 6), '  if (x) {', '  three();', '  }', '}'];
    expect(refusal(() => backstop({ update, original, output }))).toBe('check_failed');
  });

  it("reads a block comment's body line written as the snippet has it as alignment, not nesting", () => {
    // Re-indented from 2 to 4 columns, the comment's ` */` left where the file has it.
    const orig = ['class A {', '  /*', '   * one', '   */', '  f() {}', '}'];
    const update = '// ... existing code ...\n    /*\n   */\n    f() {}\n// ... existing code ...\n';
    const output = ['class A {', '  /*', '   */', '  f() {}', '}'];
    expect(refusal(() => backstop({ update, original: orig, output }))).toBeNull();
    // Written at another column than the snippet's, the body line is checked as any other.
    const moved = ['class A {', '  /*', ' */', '  f() {}', '}'];
    expect(refusal(() => backstop({ update: '// ... existing code ...\n  /*\n    */\n  f() {}\n// ... existing code ...\n', original: orig, output: moved }))).toBe('check_failed');
  });

  it('refuses placeholder or fence text written into the file', () => {
    const update = 'function a() {\n  one();\n  // ... keep the rest ...\n}\n';
    const output = ['function a() {', '  one();', '  // ... keep the rest ...', '}', ...original.slice(4)];
    expect(refusal(() => backstop({ update, original, output }))).toBe('check_failed');
    expect(refusal(() => backstop({ update: '```ts\n' + update + '```\n', original, output: ['```ts', ...original] }))).toBe('check_failed');
  });

  it('refuses deleting a line the snippet shows', () => {
    // The snippet shows `two();` (once, as often as the file has it); an output without it is wrong
    // even though every other line is in place.
    const update = 'function a() {\n  one();\n  two();\n  // ... existing code ...\n';
    expect(refusal(() => backstop({ update, original, output: original.filter((l) => l !== '  two();') }))).toBe('check_failed');
  });

  it('reads code that looks like a placeholder as code', () => {
    const update = 'lint:\n\tgo vet ./...\n# ... existing code ...\n';
    expect(refusal(() => backstop({ update, original: ['lint:', '\tgo vet ./...', 'x'], output: ['lint:', '\tgo vet ./...', 'x'] }))).toBeNull();
    const spread = 'const o = {\n  ...rest,\n};\n';
    expect(refusal(() => backstop({ update: spread, original: ['x'], output: ['const o = {', '  ...rest,', '};'] }))).toBeNull();
  });

  it('reads a definition collapsed to one line as its header and a placeholder', () => {
    // `function b() { ... }` stands for b as it is; written into the file it empties b.
    const update = 'function a() {\n  one();\n  zero();\n}\n\nfunction b() { /* ... */ }\n';
    const merged = ['function a() {', '  one();', '  zero();', '}', ...original.slice(4)];
    expect(refusal(() => backstop({ update, original, output: merged }))).toBeNull();
    const emptied = ['function a() {', '  one();', '  zero();', '}', '', 'function b() { /* ... */ }'];
    expect(refusal(() => backstop({ update, original, output: emptied }))).toBe('check_failed');
    // A Python stub is code where the file has no such definition (a Protocol's method).
    const stub = 'class P(Protocol):\n    def f(self) -> int: ...\n';
    expect(refusal(() => backstop({ update: stub, original: ['x = 1'], output: ['x = 1', 'class P(Protocol):', '    def f(self) -> int: ...'] }))).toBeNull();
  });

  it('reads a line shortened with an ellipsis as the line it shortens, and refuses writing it', () => {
    const file = ['p = Parser(prog="x", description="a long description", epilog="more")', 'p.add("a")'];
    const update = 'p = Parser(prog="x", ...)\np.add("a")\np.add("b")\n';
    expect(refusal(() => backstop({ update, original: file, output: [...file, 'p.add("b")'] }))).toBeNull();
    const shortened = ['p = Parser(prog="x", ...)', 'p.add("a")', 'p.add("b")'];
    expect(refusal(() => backstop({ update, original: file, output: shortened }))).toBe('check_failed');
    // An ellipsis inside a string is the string's text.
    expect(refusal(() => backstop({ update: 'print("Loading...")\n', original: ['print("Loading the file now")'], output: ['print("Loading...")'] }))).toBeNull();
  });

  // (diffs and SEARCH/REPLACE blocks have their own check: edit-blocks.ts)
  it.each(loadFixtureCases().filter((c) => c.expected !== undefined && readEditBlocks(c.update) === null).map((c) => [c.name, c] as const))('accepts the expected answer of %s', (_, c) => {
    const lineComments = (detectLanguage({ path: c.path, code: c.original }) ?? genericFor(c.path)).line;
    expect(refusal(() => backstop({ update: c.update, original: lines(c.original), output: lines(c.expected!), lineComments }))).toBeNull();
  });

  it('takes a phrase alone for marker text only in the file\'s own line comments', () => {
    const update = '# Title\n<!-- ... existing sections ... -->\n## Other components\n- Tooltip\n';
    const output = ['# Title', 'Text.', '## Other components', '- Tooltip'];
    expect(refusal(() => backstop({ update, original: ['# Title', 'Text.'], output, lineComments: [] }))).toBeNull();
    expect(refusal(() => backstop({ update, original: ['# Title', 'Text.'], output, lineComments: ['#'] }))).toBe('check_failed');
  });
});
