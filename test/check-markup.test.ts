// Counting elements where HTML's grammar closes them silently: what counts as a tag, what does not.
import { describe, expect, it } from 'vitest';
import { openElements, unbalancedElements } from '../src/structural/check-markup.js';
import { MergeRefusal } from '../src/structural/refusal.js';

const open = (text: string) => Object.fromEntries([...openElements(text)].filter(([, n]) => n !== 0));

describe('markup balance', () => {
  it('counts elements by name, not void, self-closing or optional-end ones', () => {
    expect(open('<div class="a">\n  <input id="x">\n  <br/>\n  <Comp :x="1" />\n  <p>text\n</div>')).toEqual({});
    expect(open('<div class="a">\n  <span>\n</div>')).toEqual({ span: 1 });
    expect(open('<div>\n</div>\n</div>')).toEqual({ div: -1 });
  });

  it('reads quoted attributes whole, and no tags in script, style or comments', () => {
    expect(open('<button @click="() => go(a > b)">Go</button>')).toEqual({});
    expect(open('<template><div></div></template>\n<script setup lang="ts">\nconst xs: Array<string> = [];\nif (a <b) {}\n</script>\n<style>\na > b {}\n</style>')).toEqual({});
    expect(open('<!-- <div> -->\n<section></section>')).toEqual({});
    // (an interpolation is script too)
    expect(open('<div>{{ f<T>() }}</div>')).toEqual({});
  });

  it('refuses an output that leaves open an element the original balances, in markup languages only', () => {
    const original = '<template>\n  <div class="a">\n    <span>x</span>\n  </div>\n</template>\n';
    const output = '<template>\n  <div class="b">\n  <div class="a">\n    <span>x</span>\n  </div>\n</template>\n';
    const code = (f: () => void) => {
      try {
        f();
      } catch (e) {
        return e instanceof MergeRefusal ? e.code : String(e);
      }
      return null;
    };
    expect(code(() => unbalancedElements('vue', original, output))).toBe('syntax_regression');
    expect(code(() => unbalancedElements('html', original, original.replace('<span>x</span>', '<span>y</span><em>z</em>')))).toBeNull();
    expect(code(() => unbalancedElements('typescript', original, output))).toBeNull();
    // An original that already leaves an element open is not held to balancing it.
    expect(code(() => unbalancedElements('html', '<div>\n', '<div>\n<div>\n'))).toBeNull();
  });
});
