// Explicit edits: unified diffs and SEARCH/REPLACE blocks read, placed once, or refused.
import { describe, expect, it } from 'vitest';
import { applyEditBlocks, readEditBlocks } from '../src/structural/edit-blocks.js';
import { MergeRefusal } from '../src/structural/refusal.js';

const file = ['function a() {', '  one();', '  two();', '}', '', 'function b() {', '  one();', '  two();', '}'];
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof MergeRefusal ? e.code : String(e);
  }
  return null;
};

describe('readEditBlocks', () => {
  it('reads a unified diff, with or without headers, fenced or not', () => {
    const hunk = '@@ -6,4 +6,4 @@\n function b() {\n   one();\n-  two();\n+  three();\n }\n';
    const want = [{ before: ['function b() {', '  one();', '  two();', '}'], after: ['function b() {', '  one();', '  three();', '}'], hint: 6 }];
    expect(readEditBlocks(hunk)).toEqual(want);
    expect(readEditBlocks('```diff\n--- a/x.ts\n+++ b/x.ts\n' + hunk + '```\n')).toEqual(want);
    expect(readEditBlocks('*** Begin Patch\n*** Update File: x.ts\n@@ function b() {\n   one();\n-  two();\n+  three();\n*** End Patch\n')).toEqual([
      { before: ['  one();', '  two();'], after: ['  one();', '  three();'], hint: undefined },
    ]);
  });

  it('reads SEARCH/REPLACE blocks in both spellings', () => {
    const want = [{ before: ['  two();'], after: ['  three();'] }];
    expect(readEditBlocks('x.ts\n```ts\n<<<<<<< SEARCH\n  two();\n=======\n  three();\n>>>>>>> REPLACE\n```\n')).toEqual(want);
    expect(readEditBlocks('------- SEARCH\n  two();\n=======\n  three();\n+++++++ REPLACE\n')).toEqual(want);
  });

  it('leaves lazy snippets, lists and conflict markers alone', () => {
    for (const update of ['function a() {\n  // ... existing code ...\n  three();\n}\n', 'items:\n  - one\n  - two\n', '<<<<<<< HEAD\na\n=======\nb\n>>>>>>> main\n', '--- \ntitle: x\n---\n']) {
      expect(readEditBlocks(update)).toBeNull();
    }
  });
});

describe('applyEditBlocks', () => {
  it('replaces the one place the old lines stand, re-indenting the new lines as the old ones were', () => {
    const out = applyEditBlocks([{ before: ['function a() {', '  two();'], after: ['function a() {', '  zero();', '  two();'] }], ['function a() {', '  two();', '}']);
    expect(out.output).toEqual(['function a() {', '  zero();', '  two();', '}']);
    expect(out.sources).toEqual([0, -1, 1, 2]);
    const deeper = applyEditBlocks([{ before: ['if x:', '    go()'], after: ['if x:', '    stop()'] }], ['def f():', '    if x:', '        go()']);
    expect(deeper.output).toEqual(['def f():', '    if x:', '        stop()']);
    expect(deeper.rung).toBe('trimmed');
  });

  it('refuses old lines that stand twice, nowhere, or overlap another edit', () => {
    expect(refusal(() => applyEditBlocks([{ before: ['  one();', '  two();'], after: ['  one();'] }], file))).toBe('ambiguous_anchor');
    expect(refusal(() => applyEditBlocks([{ before: ['  four();'], after: ['  five();'] }], file))).toBe('no_anchor');
    expect(refusal(() => applyEditBlocks([{ before: [''], after: ['x'] }], file))).toBe('no_anchor');
    const a = { before: ['function a() {', '  one();'], after: ['function a() {'] };
    const b = { before: ['  one();', '  two();', '}', ''], after: ['}', ''] };
    expect(refusal(() => applyEditBlocks([a, b], file))).toBe('ambiguous_anchor');
  });

  it("chooses between equal places by a header's line number only where one is near it and the rest well away", () => {
    const block = { before: ['  one();', '  two();'], after: ['  one();'] };
    const far = [...file.slice(0, 5), ...Array.from({ length: 20 }, (_, i) => `// ${i}`), ...file.slice(5)];
    // (b's copy starts at line 27; a header saying 29 is a little off)
    expect(applyEditBlocks([{ ...block, hint: 29 }], far).output).toEqual([...far.slice(0, 27), '}']);
    expect(refusal(() => applyEditBlocks([{ ...block, hint: 15 }], far))).toBe('ambiguous_anchor');
    expect(refusal(() => applyEditBlocks([{ ...block, hint: 8 }], file))).toBe('ambiguous_anchor');
  });
});
