// The diff taken from the speculation bookkeeping is a valid patch: applied to the old file it
// gives the new one, for random edit scripts (line-start and mid-line changes, no final newline).
import { describe, expect, it } from 'vitest';
import { applyPatch } from 'diff';
import { EditScript, scriptDiff } from '../src/decode/edit-script.js';
import { unifiedDiff } from '../src/apply/diff.js';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}
const pieces = ['a', 'bc', '\n', 'def\n', 'x', '  y\n', '\n\n', 'zz'];

describe('edit script diff', () => {
  it('applies cleanly for random scripts', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed), s = new EditScript();
      const n = 1 + Math.floor(r() * 12);
      for (let i = 0; i < n; i++) {
        const t = pieces[Math.floor(r() * pieces.length)], k = r();
        if (k < 0.5) s.keep(t); else if (k < 0.75) s.ins(t); else s.del(t);
      }
      const d = scriptDiff('f.ts', s);
      const oldT = s.oldText(), newT = s.newText();
      if (oldT === newT) { expect(d).toBe(''); continue; }
      expect(applyPatch(oldT, d), `seed ${seed}\n${JSON.stringify(s.ops)}\n${d}`).toBe(newT);
    }
  });

  it('a one-line change reads like the usual diff', () => {
    const s = new EditScript();
    s.keep('a\nb\nc\nd\n'); s.del('e'); s.ins('E'); s.keep('\nf\ng\nh\ni\n');
    expect(scriptDiff('f.ts', s)).toBe(unifiedDiff('f.ts', s.oldText(), s.newText()));
  });

  it('clip drops the closing tag from the old side and the text after the stop from the new', () => {
    const s = new EditScript();
    s.keep('a\n'); s.ins('b\n'); s.keep('c\n</t>');
    const c = s.clip(4, 6, 'a\nc\n</t>');
    expect(c.oldText()).toBe('a\nc\n');
    expect(c.newText()).toBe('a\nb\nc\n');
  });
});
