// The check that refuses a merge holding the same lines twice: an added run that repeats the kept
// lines beside it which the snippet did not show (context re-indented and read as new code). Seed:
// a reindented ObjC snippet on the real-edit eval whose `if` block came out twice.
import { describe, expect, it } from 'vitest';
import { duplicatedBesideItself } from '../src/structural/check-neighbours.js';
import { MergeRefusal } from '../src/structural/refusal.js';

const out = [
  '#pragma clang diagnostic push',
  '#pragma clang diagnostic ignored "-Wunreachable-code-return"',
  '    if (Trampoline == NULL) {',
  '        return;',
  '    }',
  '  if (Trampoline == NULL) {',
  '    return;',
  '  }',
  '#pragma clang diagnostic pop',
];

describe('duplicatedBesideItself', () => {
  it('refuses added lines that repeat the unshown kept lines right after them', () => {
    const added = new Set([1, 2, 3, 4]);
    let err: unknown;
    try {
      duplicatedBesideItself(out, added, new Set());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MergeRefusal);
    expect((err as MergeRefusal).code).toBe('check_failed');
    expect((err as MergeRefusal).details).toMatchObject({ start_line: 3, end_line: 5 });
  });

  it('refuses them before the kept lines too', () => {
    const before = ['  a = f(x);', '  b = g(a);', '  a = f(x);', '  b = g(a);', '  done();'];
    expect(() => duplicatedBesideItself(before, new Set([2, 3]), new Set())).toThrow(MergeRefusal);
  });

  it('accepts the copy when the snippet shows the kept lines as well (a new function that ends like its neighbour)', () => {
    expect(() => duplicatedBesideItself(out, new Set([1, 2, 3, 4]), new Set([5, 6, 7]))).not.toThrow();
  });

  // Seed: a comment-drift variant of a real Java edit (capacitor SystemBars). The snippet wraps two
  // statements in a new `if`, and the context line after them was dropped: the marker kept the old
  // copy below the new block.
  const wrapped = ['  init();', '  if (ready) {', '    // pad', '    pad(v);', '  }', '', '  // pad', '  pad(v);', '  done();'];
  it('refuses a new block whose body repeats the kept lines after its closer', () => {
    expect(() => duplicatedBesideItself(wrapped, new Set([1, 2, 3, 4]), new Set([0]))).toThrow(/moves them into the new block/);
  });

  it('refuses it when the block closer is the snippet line paired with the file\'s', () => {
    expect(() => duplicatedBesideItself(wrapped, new Set([1, 2, 3]), new Set([0, 4]))).toThrow(MergeRefusal);
  });

  it('accepts the new block when the snippet shows the lines after it (they are its own second copy)', () => {
    expect(() => duplicatedBesideItself(wrapped, new Set([1, 2, 3, 4]), new Set([0, 6, 7]))).not.toThrow();
  });

  it('accepts a single repeated code line (a blank and a closing brace are no duplicate block)', () => {
    const one = ['x();', '}', '', '}', 'y();'];
    expect(() => duplicatedBesideItself(one, new Set([1, 2]), new Set())).not.toThrow();
  });
});
