// Collapsed definitions: written out only where the file has the definition with a body of its own.
import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../src/languages/registry.js';
import { expandCollapsed } from '../src/structural/collapsed.js';

const ts = detectLanguage({ path: 'a.ts' })!;
const py = detectLanguage({ path: 'a.py' })!;
const css = detectLanguage({ path: 'a.css' })!;

const tsFile = ['class Q {', '  push(x: number): void {', '    this.items.push(x);', '  }', '', '  empty(): void {}', '}'];
const pyFile = ['class C:', '    def f(self) -> int:', '        return 1', '', 'class P(Protocol):', '    def g(self) -> int: ...'];

describe('expandCollapsed', () => {
  it('writes a collapsed definition the file has in full as the file has it, at the snippet\'s indentation', () => {
    const push = ['  push(x: number): void {', '    this.items.push(x);', '  }'];
    expect(expandCollapsed(['  push(x: number): void { ... }'], ts, tsFile)).toEqual(push);
    expect(expandCollapsed(['  push(x: number): void { /* unchanged */ }'], ts, tsFile)).toEqual(push);
    expect(expandCollapsed(['push(x: number): void { ... }'], ts, tsFile)).toEqual(['push(x: number): void {', '  this.items.push(x);', '}']);
    expect(expandCollapsed(['    def f(self) -> int: ...'], py, pyFile)).toEqual(['    def f(self) -> int:', '        return 1']);
    expect(expandCollapsed(['    def f(self) -> int:  # ... unchanged'], py, pyFile)).toEqual(['    def f(self) -> int:', '        return 1']);
    expect(expandCollapsed(['.btn { /* ... */ }'], css, ['.btn {', '  color: red;', '}'])).toEqual(['.btn {', '  color: red;', '}']);
  });

  it('leaves code, stubs and definitions the file lacks as written', () => {
    // a body that is code; a header the file does not have; a body the file has empty
    expect(expandCollapsed(['  push(x: number): void { return; }'], ts, tsFile)).toEqual(['  push(x: number): void { return; }']);
    expect(expandCollapsed(['  pop(): number { ... }'], ts, tsFile)).toEqual(['  pop(): number { ... }']);
    expect(expandCollapsed(['  empty(): void { ... }'], ts, tsFile)).toEqual(['  empty(): void { ... }']);
    // a stub the file has as a stub, and a line the file has as it stands
    expect(expandCollapsed(['    def g(self) -> int: ...'], py, pyFile)).toEqual(['    def g(self) -> int: ...']);
    expect(expandCollapsed(['    def h(self) -> int: ...'], py, pyFile)).toEqual(['    def h(self) -> int: ...']);
    // a plain `pass` empties a body on purpose as often as not
    expect(expandCollapsed(['    def f(self) -> int: pass'], py, pyFile)).toEqual(['    def f(self) -> int: pass']);
  });
});
