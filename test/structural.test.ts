// Unit tests for the pieces of the structural merge: markers, text bytes, the deletion budget.
import type { Node } from 'web-tree-sitter';
import { describe, expect, it } from 'vitest';
import { parserFor } from '../src/languages/parser.js';
import { detectLanguage, GENERIC } from '../src/languages/registry.js';
import { isMarkerLine } from '../src/structural/markers.js';
import { mergeStructural } from '../src/structural/merge.js';
import { MergeRefusal } from '../src/structural/refusal.js';
import { joinText, parseText } from '../src/structural/text.js';

const ts = detectLanguage({ path: 'a.ts' })!;
const py = detectLanguage({ path: 'a.py' })!;

describe('markers', () => {
  it.each([
    '// ... existing code ...',
    '  // ... rest of code ...',
    '// existing code',
    '//...Existing Code...',
    '/* ... */',
    '// ... keep calculateTotal ...',
    '...',
    '  …',
    '// existing code...',
    '// rest of the file unchanged …',
    '// other helper methods',
    '// same as before',
    '{# ... existing code ... #}',
    '{{!-- ... --}}',
    '{{-- ... existing code --}}',
    '<%# ... existing code ... %>',
    '{% comment %} ... existing code ... {% endcomment %}',
    '// rest unchanged',
    '// (rest of the script unchanged)',
    '[... rest of the file unchanged ...]',
    '(unchanged)',
    '[...]',
  ])('%s is a marker', (line) => expect(isMarkerLine(line, ts)).toBe(true));

  it.each([
    '// compute the total',
    '// Other options are ignored',
    '// rest parameters collected here',
    '(items)',
    '[other, items]',
    'const x = [...items];',
    '...args,',
    'return x; // ... existing',
    '// Loading...',
    '// Other options are ignored...',
    '// Other tabs writing the same key',
    '{#each items as item}',
    '{# other fields #}',
  ])('%s is code', (line) => expect(isMarkerLine(line, ts)).toBe(false));

  it('a bare ... after a colon is a Python body, not a marker', () => {
    expect(isMarkerLine('    ...', py, 'def f():')).toBe(false);
    expect(isMarkerLine('    ...', py, 'x = 1')).toBe(true);
    expect(isMarkerLine('# ... existing code ...', py)).toBe(true);
  });

  it('JSX children markers', () => {
    expect(isMarkerLine('      {/* ... existing code ... */}', detectLanguage({ path: 'a.tsx' })!)).toBe(true);
  });

  it('a marker in another language\'s comment syntax, with an ellipsis', () => {
    expect(isMarkerLine('// ... existing code ...', py)).toBe(true);
    expect(isMarkerLine('# ... rest of the file ...', detectLanguage({ path: 'a.c' })!)).toBe(true);
    expect(isMarkerLine('// existing code', py)).toBe(false);
    expect(isMarkerLine('#include <stdio.h>', detectLanguage({ path: 'a.c' })!)).toBe(false);
    expect(isMarkerLine('#[derive(Debug)]', detectLanguage({ path: 'a.rs' })!)).toBe(false);
  });

  it('generic markers cover every common comment form', () => {
    for (const l of ['-- ...', '; ... existing code ...', '<!-- ... -->', '# ...']) expect(isMarkerLine(l, GENERIC)).toBe(true);
  });
});

describe('text', () => {
  it.each(['a\nb\n', 'a\r\nb\r\n', '\uFEFFa\nb', 'a\r\nb\nc', '', '\n', 'x'])('round-trips %j byte for byte', (raw) => {
    const t = parseText(raw);
    expect(joinText(t, t.lines, t.eols)).toBe(raw);
  });

  it('detects the indentation unit', () => {
    expect(parseText('a\n\tb\n\t\tc\n').indent).toEqual({ kind: 'tab' });
    expect(parseText('a\n  b\n    c\n  d\n').indent).toEqual({ kind: 'space', width: 2 });
  });
});

describe('merge', () => {
  it('refuses a deletion of most of the file', async () => {
    const body = Array.from({ length: 60 }, (_, i) => `  step${i}();`).join('\n');
    const original = `function run() {\n${body}\n}\n\nfunction other() {\n  return 1;\n}\n`;
    const update = `// ... existing code ...\nfunction run() {\n  step0();\n}\n// ... existing code ...\n`;
    const parser = await parserFor(ts);
    let err: unknown;
    try {
      mergeStructural({ original, update, language: ts, parser });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MergeRefusal);
    expect((err as MergeRefusal).code).toBe('deletion_budget');
  });

  it('keeps CRLF and the BOM and adds lines with the file ending', async () => {
    const original = '\uFEFFconst a = 1;\r\nconst b = 2;\r\nconst c = 3;\r\n';
    const update = 'const a = 1;\nconst a2 = 11;\nconst b = 2;\n// ... existing code ...\n';
    const r = mergeStructural({ original, update, language: ts, parser: await parserFor(ts) });
    expect(r.content).toBe('\uFEFFconst a = 1;\r\nconst a2 = 11;\r\nconst b = 2;\r\nconst c = 3;\r\n');
    expect(r.strategy).toBe('exact');
  });

  it('re-bases a de-indented snippet onto the original indentation', async () => {
    const original = 'class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n';
    const update = '# ... existing code ...\ndef g(self):\n    x = 2\n    return x\n';
    const r = mergeStructural({ original, update, language: py, parser: await parserFor(py) });
    expect(r.content).toBe('class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        x = 2\n        return x\n');
    expect(r.strategy).toBe('indent_shift');
  });

  it('refuses a snippet of markers only', () => {
    expect(() => mergeStructural({ original: 'a\n', update: '// ...\n\n// ... existing code ...\n', language: ts, parser: null })).toThrow(/only marker/);
  });
});

describe('syntax error count', () => {
  it('the native query counts the same ERROR and MISSING nodes as a walk of the tree', async () => {
    const { countSyntaxErrors, outermostErrorsOn, totalErrors, walkErrors } = await import('../src/languages/parser.js');
    const { loadFixtureCases } = await import('./fixture-cases.js');
    // every fixture file, and each cut short or with a stray bracket (MISSING and ERROR nodes)
    let files = 0, withErrors = 0;
    for (const c of loadFixtureCases()) {
      const lang = detectLanguage({ path: c.path, code: c.original } as never);
      const parser = lang && (await parserFor(lang));
      if (!parser) continue;
      for (const text of [c.original, c.original.slice(0, Math.floor(c.original.length * 0.6)), c.original.replace(/\n/, '\n(\n')]) {
        const tree = parser.parse(text)!;
        const counted = countSyntaxErrors(tree.rootNode);
        expect(counted, c.name).toEqual(walkErrors(tree.rootNode));
        // the outermost error nodes on some rows, queried, against a walk of the whole tree
        const rows = text.split('\n').length;
        const band: [number, number] = [Math.floor(rows / 3), Math.floor(rows / 3) + 4];
        const outermost: string[] = [];
        const visit = (n: Node) => {
          if (n.isError || n.isMissing) outermost.push(`${n.startIndex}-${n.endIndex}`);
          else if (n.hasError) for (const ch of n.children) if (ch) visit(ch);
        };
        visit(tree.rootNode);
        const touching = (span: string) => {
          const [a, b] = span.split('-').map(Number);
          const [ra, rb] = [text.slice(0, a).split('\n').length - 1, text.slice(0, b).split('\n').length - 1];
          return rb >= band[0] && ra < band[1];
        };
        const queried = new Set(outermostErrorsOn(tree.rootNode, [band]).map((n) => `${n.startIndex}-${n.endIndex}`));
        for (const span of outermost) if (touching(span)) expect(queried.has(span), `${c.name} ${span}`).toBe(true);
        expect(new Set(outermostErrorsOn(tree.rootNode, [[0, rows]]).map((n) => `${n.startIndex}-${n.endIndex}`))).toEqual(new Set(outermost));
        const n = totalErrors(counted);
        files++;
        if (n > 0) withErrors++;
        tree.delete();
      }
    }
    expect(files).toBeGreaterThan(300);
    expect(withErrors).toBeGreaterThan(100);
  });
});

describe('header language', () => {
  it('reads a .h file as C, C++ or Objective-C by what it holds; an explicit language or another extension wins', () => {
    const id = (path: string, code?: string, language?: string) => detectLanguage({ path, code, language })?.id;
    const c = '#ifndef A_H\n#define A_H\n#ifdef __cplusplus\nextern "C" {\n#endif\nint add(int a, int b);\nstruct point { int x; };\n#ifdef __cplusplus\n}\n#endif\n#endif\n';
    expect(id('a.h', c)).toBe('c');
    expect(id('a.h', '#pragma once\nnamespace geo {\nint area();\n}\n')).toBe('cpp');
    expect(id('a.h', '#pragma once\ntemplate <typename T>\nT twice(T x);\n')).toBe('cpp');
    expect(id('a.h', 'class Ring {\n public:\n  int size() const;\n};\n')).toBe('cpp');
    expect(id('a.h', 'int f(std::string s);\n')).toBe('cpp');
    expect(id('a.h', '// see std::vector\nint f(void);\n')).toBe('c'); // (a comment is not code)
    expect(id('a.h', '#import <UIKit/UIKit.h>\n@interface A : NSObject\n@end\n')).toBe('objc');
    expect(id('a.h', '@interface A : NSObject\n- (void)f;\n@end\nnamespace x {}\n')).toBe('objc'); // Objective-C++
    expect(id('a.h')).toBe('c'); // no text: the extension
    expect(id('a.h', 'namespace x {}\n', 'c')).toBe('c');
    expect(id('a.hpp', 'int f(void);\n')).toBe('cpp');
  });
});

describe('python block structure', () => {
  it('counts what Python rejects and the grammar does not flag', async () => {
    const { pythonBlockErrors } = await import('../src/structural/python-blocks.js');
    const errors = (src: string) => pythonBlockErrors(src.split('\n'));
    expect(errors('import os\n\ndef f():\n    return 1\n')).toBe(0);
    expect(errors('import os\n    def f():\n        return 1\n')).toBe(1); // unexpected indent
    expect(errors('def f():\n    x = 1\n  y = 2\n')).toBe(1); // dedent to no open level
    expect(errors('def f():\nreturn 1\n')).toBe(1); // a block with no body
    // A `return` or `yield` outside any function: a new `with` at column 0 in a function's middle.
    expect(errors('def f(loader):\n    model.eval()\nwith torch.no_grad():\n    n = 1\n    return n\n')).toBe(1);
    expect(errors('class A:\n    def g(self):\n        yield 1\n\n    x = 1\n')).toBe(0);
    expect(errors('@dec\nasync def f(\n    a,\n):\n    if a:\n        return (\n            1\n        )\n')).toBe(0);
    expect(errors('class A:\n    return 1\n')).toBe(1);
    // Brackets, strings, comments and continuations do not start logical lines.
    expect(errors('def f(a,\n      b):\n    """Doc.\n\n  more"""\n    return (1 +\n  2)\nx = 1 + \\\n      2\nif x:\n# c\n    y\n')).toBe(0);
  });
});

describe('fenced snippets', () => {
  it('one fence goes with the lead-in line models write over it: prose, a title, the file name', async () => {
    const { applyEdit } = await import('../src/apply/pipeline.js');
    const { DEFAULTS } = await import('../src/config.js');
    const swift = 'import Foundation\n\nfunc main() {\n    print("hi")\n}\n';
    const body = '```swift\n// ... existing code ...\nfunc main() {\n    print("hello")\n}\n```\n';
    for (const lead of ['Here is the updated code:', "Here's the change to main.swift:", 'now main prints hello:', '**main.swift**', '`Sources/main.swift`', 'main.swift', '## Sources/main.swift', 'File: main.swift', '']) {
      const r = await applyEdit({ code: swift, update: `${lead}\n${body}`, path: 'main.swift', mode: 'structural' }, DEFAULTS.limits);
      expect(r.content, lead).toBe(swift.replace('"hi"', '"hello"'));
    }
    // a line of code before a fence is not a lead-in: nothing is stripped, and the fence is refused
    await expect(applyEdit({ code: swift, update: `let x = f(1)\n${body}`, path: 'main.swift', mode: 'structural' }, DEFAULTS.limits)).rejects.toMatchObject({ status: 422 });
  });

  it('an explanation after the fence goes too, its list items with it, except where list items are content', async () => {
    const { applyEdit } = await import('../src/apply/pipeline.js');
    const { DEFAULTS } = await import('../src/config.js');
    const swift = 'import Foundation\n\nfunc main() {\n    print("hi")\n}\n';
    const update = 'Here is the change:\n```swift\n// ... existing code ...\nfunc main() {\n    print("hello")\n}\n```\n\nThis prints hello. It also:\n- keeps the imports\n2. leaves `main` where it is\n';
    const r = await applyEdit({ code: swift, update, path: 'main.swift', mode: 'structural' }, DEFAULTS.limits);
    expect(r.content).toBe(swift.replace('"hi"', '"hello"'));
    // In Markdown a list item after a code block may be the file's content: never dropped as prose.
    const md = '# Notes\n\n- one\n';
    const m = await applyEdit({ code: md, update: '```sh\nnpm test\n```\n- two\n', path: 'NOTES.md', mode: 'structural' }, DEFAULTS.limits).catch((e) => e);
    if (m.content !== undefined) expect(m.content).toContain('- two');
    else expect(m.status).toBe(422);
  });
});

describe('the model path sees the normalised snippet', () => {
  it('gets the update without its fence, lead-in or trailing spaces', async () => {
    const { applyEdit } = await import('../src/apply/pipeline.js');
    const { DEFAULTS } = await import('../src/config.js');
    let seen: string | undefined;
    const model = {
      apply: async (i: { update?: string; code: string }) => {
        seen = i.update;
        return { content: i.code, stats: {} };
      },
    };
    const update = 'Here is the updated code:\n\n```ts\nconst a = 1;  \n// ... existing code ...\n```\n';
    await applyEdit({ code: 'const a = 0;\nconst b = 2;\n', update, path: 'a.ts', mode: 'model' }, DEFAULTS.limits, { model: model as never });
    expect(seen).toBe('const a = 1;\n// ... existing code ...\n');
  });
});

describe('tree cache', () => {
  it('the next edit of a merged file reuses its tree and merges exactly as a cold parse does', async () => {
    const { clearTreeCache, treeCacheStats } = await import('../src/structural/tree-cache.js');
    const parser = await parserFor(ts);
    const original = 'export function a() {\n  return 1;\n}\n\nexport function b() {\n  return 2;\n}\n';
    const first = mergeStructural({ original, update: 'export function a() {\n  return 10;\n}\n// ... existing code ...\n', language: ts, parser });
    const second = { original: first.content, update: '// ... existing code ...\nexport function b() {\n  return 20;\n}\n', language: ts, parser };
    const before = treeCacheStats().hits;
    const warm = mergeStructural(second).content;
    expect(treeCacheStats().hits).toBe(before + 1);
    clearTreeCache();
    const cold = mergeStructural(second).content;
    expect(warm).toBe(cold);
    expect(warm).toBe('export function a() {\n  return 10;\n}\n\nexport function b() {\n  return 20;\n}\n');
  });

  it('keeps the error count it recounted for a merged tree, and the next edit starts from the true count', async () => {
    const { clearTreeCache } = await import('../src/structural/tree-cache.js');
    const { countSyntaxErrors, totalErrors } = await import('../src/languages/parser.js');
    const c = detectLanguage({ path: 'x.c' })!;
    const parser = (await parserFor(c))!;
    // macros the C grammar cannot read: the file parses with errors before and after each edit
    const original = 'DECLARE_THING(a)\nint f(void) {\n  return 1;\n}\n\nDECLARE_THING(b)\nint g(void) {\n  return 2;\n}\n\nint h(void) {\n  return 3;\n}\n';
    const errorsOf = (text: string) => {
      const tree = parser.parse(text)!;
      try {
        return totalErrors(countSyntaxErrors(tree.rootNode));
      } finally {
        tree.delete();
      }
    };
    expect(errorsOf(original)).toBeGreaterThan(0);
    clearTreeCache();
    const first = mergeStructural({ original, update: '// ... existing code ...\nDECLARE_THING(b)\nDECLARE_OTHER(c)\nint g(void) {\n// ... existing code ...\n', language: c, parser });
    const second = mergeStructural({ original: first.content, update: '// ... existing code ...\nint h(void) {\n  return 30;\n}\n', language: c, parser });
    expect(second.syntax.errorsBefore).toBe(errorsOf(first.content));
  });
});

describe('bounded anchoring', () => {
  it('a file of one repeated line and a snippet of thousands of copies is answered within seconds, not minutes', async () => {
    // Every snippet line matches every file line: the occurrence cap must be checked before the
    // matching positions are collected (this took ~21 s when they were collected first).
    const line = 'x = compute_value(1)\n';
    const update = `# ... existing code ...\n${line.repeat(5000)}# ... existing code ...\n`;
    const t = performance.now();
    expect(() => mergeStructural({ original: line.repeat(20000), update, language: py, parser: null })).toThrow(MergeRefusal);
    expect(performance.now() - t).toBeLessThan(5000);
  });
});

describe('CR-only line endings', () => {
  it('are line endings: the edit lands on its line and every other byte stays', async () => {
    const parser = await parserFor(py);
    const original = 'def a():\r    return 1\r\r\rdef b():\r    return 2\r';
    for (const update of ['# ... existing code ...\ndef b():\n    return 3\n', '# ... existing code ...\rdef b():\r    return 3\r']) {
      expect(mergeStructural({ original, update, language: py, parser }).content).toBe('def a():\r    return 1\r\r\rdef b():\r    return 3\r');
    }
  });
});

describe('CR-only files and the syntax tree', () => {
  it('a CR-only file gets the same tree-based decisions as its LF twin', async () => {
    // Skipped lines that cut through an if statement are refused (unstated_deletion) by the tree's
    // rows; tree-sitter counts rows by LF only, so a CR-only file must be shown to it with LFs.
    const c = detectLanguage({ path: 'a.c' })!;
    const parser = await parserFor(c);
    const original = '#include <stdio.h>\n\nBEGIN_DECLS(api)\nstatic int total;\nEND_DECLS(api)\n\nint add(int x) {\n  total += x;\n  if (total > 100) {\n    printf("big");\n    total = 100;\n  }\n  return total;\n}\n';
    const update = '/* ... existing code ... */\nint add(int x) {\n  total += x;\n  if (total > 100) {\n    printf("big");\n  return total;\n}\n';
    for (const eol of ['\n', '\r']) {
      const refusal = (() => {
        try {
          mergeStructural({ original: original.replaceAll('\n', eol), update, language: c, parser });
        } catch (e) {
          return e instanceof MergeRefusal ? e.code : String(e);
        }
        return null;
      })();
      expect(refusal).toBe('unstated_deletion');
    }
  });
});
