// Re-basing a snippet's indentation onto the file's (src/structural/indent.ts): the unit mapping a
// snippet is read under, and which shared lines sit where that mapping puts them.
import { describe, expect, it } from 'vitest';
import { chooseUnitMapping, reindenter } from '../src/structural/indent.js';
import { indentSteps } from '../src/structural/text.js';

const spaces = (width: number) => ({ kind: 'space' as const, width });

describe('reindenter.agrees', () => {
  // A snippet dedented by 4 columns (a method copied out of its class): shift 4.
  const pairs: [string, string][] = [
    ['def fetch(path)', '    def fetch(path)'],
    ['    destination = path', '        destination = path'],
    ['end', '    end'],
  ];
  const re = reindenter(pairs, spaces(4), { from: 1, to: 1, shift: 4 });

  it('lets a continuation sit a column or two off (alignment, not nesting)', () => {
    expect(re.agrees('        "core.tar.gz" :', '          "core.tar.gz" :')).toBe(true);
  });

  // Seed: a dedent variant of a real react-native Ruby edit. The snippet's new inner `else` (column
  // 6, so 10 in the file) matched the file's outer `else` at 8 within that slack, and was kept there.
  it('holds a line that only turns or closes a block to its column exactly', () => {
    expect(re.agrees('      else', '        else')).toBe(false);
    expect(re.agrees('      end', '        end')).toBe(false);
    expect(re.agrees('      }', '        }')).toBe(false);
    expect(re.agrees('      else', '          else')).toBe(true);
  });
});

describe('chooseUnitMapping', () => {
  // nan's style: a 4-column file whose bodies nest by 2 and whose comma-first arguments by 4.
  const file = [
    'inline void SetAccessor(',
    '    v8::Local<v8::ObjectTemplate> tpl',
    '  , v8::Local<v8::String> name) {',
    '  HandleScope scope;',
    '  if (setter != 0) {',
    '    obj->SetInternalField(',
    '        imp::kSetterIndex',
    '      , setter);',
    '  }',
    '  if (!data.IsEmpty()) {',
    '    obj->SetInternalField(imp::kDataIndex, data);',
    '  }',
    '  if (getter) {',
    '    obj->SetInternalField(imp::kGetterIndex, getter);',
    '  }',
    '  tpl->SetAccessor(',
    '      name',
    '    , getter_',
    '    , obj);',
    '}',
  ];
  // Its lines re-indented from 4 columns to 2 (4 -> 2, 6 -> 4, 2 -> 2: both 2 and 4 land on 2).
  const halved: [string, string][] = [
    ['  , getter_', '    , getter_'],
    ['  , obj', '    , obj'],
    ['}', '}'],
  ];

  it('reads a halved snippet as doubled, with the as-written reading kept as an alternative, where the file nests by 2 as well', () => {
    const m = chooseUnitMapping([halved], spaces(4), { snippetUnit: spaces(2), fileSteps: indentSteps(file) });
    expect(m).toMatchObject({ from: 2, to: 4 });
    expect(m.alternative).toMatchObject({ from: 1, to: 1 });
  });

  it('keeps no alternative where the file nests by 4 only', () => {
    const four = file.map((l) => l.replace(/^( +)/, (s) => ' '.repeat(s.length * 2)));
    const m = chooseUnitMapping([halved.map(([s, o]) => [s, o.replace(/^( +)/, (x) => ' '.repeat(x.length * 2))] as [string, string])], spaces(4), {
      snippetUnit: spaces(2),
      fileSteps: indentSteps(four),
    });
    expect(m.alternative).toBeUndefined();
  });
});

describe('chooseUnitMapping for a snippet that never steps in', () => {
  // Seed 6947: one shared line, at 4 in the snippet and 8 in the file, reads as well dedented by 4
  // as written in 2 columns and doubled. The snippet's columns (12 8 4 4 0) are all whole units of
  // the file's 4: it was dedented, not scaled.
  const pairs: [string, string][][] = [[['    has_content = true;', '        has_content = true;']]];

  it('reads it dedented when its every column is a whole number of the file\'s units', () => {
    const m = chooseUnitMapping(pairs, spaces(4), { snippetUnit: null, snippetColumns: [12, 8, 4, 4, 0] });
    expect(m.from).toBe(m.to);
    expect(m.shift).toBe(4);
  });

  it('still reads it scaled from 2 columns when a column is not', () => {
    const m = chooseUnitMapping(pairs, spaces(4), { snippetUnit: null, snippetColumns: [6, 4, 2, 2, 0] });
    expect([m.from, m.to, m.shift]).toEqual([2, 4, 0]);
  });
});
