// The bracket-balance check on merged files. Seed: an elided-context snippet on a C file that
// already parses with errors (macros), whose new function went in before the previous function's
// `}` and took it for its own; the syntax check's tolerance let the lost brace through.
import { describe, expect, it } from 'vitest';
import { bracketBalance, bracketsKeepBalance } from '../src/structural/brackets.js';
import { languages } from '../src/languages/registry.js';
import { MergeRefusal } from '../src/structural/refusal.js';

describe('bracketBalance', () => {
  it('counts brackets outside comments, strings and character literals', () => {
    expect(bracketBalance('int f() { return g(a[0]); }')).toEqual([0, 0, 0]);
    expect(bracketBalance('f() { // }\n /* } ) */ s = "}"; c = \'}\'; d = \'\\\'\';')).toEqual([1, 0, 0]);
    expect(bracketBalance('x = `{`; y = "\\"{"; {')).toEqual([1, 0, 0]);
  });
  it('reads a lone quote (a Rust lifetime) as no literal', () => {
    expect(bracketBalance("fn f<'a>(x: &'a str) -> &'a str { x }")).toEqual([0, 0, 0]);
  });
  it('ends an unterminated string at its line', () => {
    expect(bracketBalance('s = "oops\n{\n')).toEqual([1, 0, 0]);
  });
});

describe('bracketsKeepBalance', () => {
  const c = languages.get('c')!;
  const check = (before: string, after: string, lang = c) => {
    try {
      bracketsKeepBalance(before, after, lang);
      return null;
    } catch (e) {
      return e as MergeRefusal;
    }
  };
  it('refuses an output that lost a brace', () => {
    const r = check('int f() {\n  return 1;\n}\n', 'int f() {\n  return 1;\nint g() {\n  return 2;\n}\n');
    expect(r).toBeInstanceOf(MergeRefusal);
    expect(r!.code).toBe('check_failed');
    expect(r!.details).toMatchObject({ bracket: '{}', balance_before: 0, balance_after: 1 });
  });
  it('passes a balanced edit, and one that repairs an unbalanced file', () => {
    expect(check('int f() {\n}\n', 'int f() {\n  g();\n}\n')).toBeNull();
    expect(check('int f() {\n', 'int f() {\n}\n')).toBeNull();
  });
  it('leaves languages with regex literals alone', () => {
    expect(check('f() {}', 'f() {', languages.get('javascript')!)).toBeNull();
  });
});
