// Re-aligning continuation lines a snippet wrote in another indentation unit. Seed: a reindented
// (2 -> 4 spaces) C header snippet whose aligned parameter line came out at column 113, not 57.
import { describe, expect, it } from 'vitest';
import { alignsContinuations, alignsSelectors, openBracketColumn, realignContinuation, realignSelector } from '../src/structural/continuations.js';

const head = 'typedef napi_value(NAPI_CDECL* register_func)(napi_env env,';
describe('continuation lines', () => {
  it('finds the column after the open bracket a line continues', () => {
    expect(openBracketColumn([head, '  x'], 1)).toBe(head.indexOf('(napi_env') + 1);
    expect(openBracketColumn(['f(a);', 'x'], 1)).toBeNull();
    expect(openBracketColumn(['call(', '  x'], 1)).toBeNull();
  });
  it('sees no bracket in a character literal, a string or a comment', () => {
    // Seed: a scanner's `case '(':` and a comment's `(` made its aligned `while (` lines read as a minority.
    expect(openBracketColumn(["        case '(':", '            x'], 1)).toBeNull();
    expect(openBracketColumn(['    // see (below', '    x'], 1)).toBeNull();
    expect(openBracketColumn(['  f("(", a,', '       b'], 1)).toBe(4);
    expect(openBracketColumn(["fn f<'a>(x: &'a str,", '         y'], 1)).toBe(9);
  });
  it('tells a file that aligns its continuations', () => {
    const col = head.indexOf('(napi_env') + 1;
    expect(alignsContinuations([head, ' '.repeat(col) + 'int a);', head, ' '.repeat(col) + 'int b);'])).toBe(true);
    expect(alignsContinuations([head, '    int a);', head, '    int b);'])).toBe(false);
  });
  it('puts a line whose column is the bracket column mapped 2 <-> 4 back under the bracket', () => {
    const col = head.indexOf('(napi_env') + 1; // 46 = 23 units of 2
    const mapped = Math.floor(col / 2) * 4 + (col % 2);
    const out = [head, ' '.repeat(mapped) + 'napi_value exports);'];
    realignContinuation(out, 1, mapped, () => true);
    expect(out[1]).toBe(' '.repeat(col) + 'napi_value exports);');
    const other = [head, '        napi_value exports);'];
    realignContinuation(other, 1, 8, () => true);
    expect(other[1]).toBe('        napi_value exports);');
  });
});

describe('Objective-C selector parts', () => {
  const decl = ['- (instancetype)initWithArguments:(NSArray *)arguments', '                       callbackId:(NSString *)callbackId', '                        className:(NSString *)className;'];
  it('tells a file that aligns its selector parts by their colons', () => {
    expect(alignsSelectors(decl)).toBe(true);
    expect(alignsSelectors([decl[0], '    callbackId:(NSString *)callbackId', '    className:(NSString *)className;'])).toBe(false);
    // (parts of a message, not a declaration, are not counted)
    expect(alignsSelectors(['[self initWithArguments:a', '        callbackId:b', '         className:c];'])).toBe(false);
  });
  it("puts a part whose column is its aligned one mapped 2 <-> 4 back under the colon above, and no other", () => {
    const out = [decl[0], '             callbackId:(NSString *)callbackId', '            className:(NSString *)className;'];
    realignSelector(out, 1, 13, () => true);
    realignSelector(out, 2, 12, () => true);
    expect(out).toEqual(decl);
    const other = [decl[0], '    callbackId:(NSString *)callbackId'];
    realignSelector(other, 1, 4, () => true);
    expect(other[1]).toBe('    callbackId:(NSString *)callbackId');
  });
});
