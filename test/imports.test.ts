// The check that refuses a merge deleting an import whose name the kept code still uses. Seed: a
// clean real edit (effect's mailbox.ts) deleting imports with the functions at the file's end that
// used them, its snippet ending without a marker, so the functions stayed.
import { describe, expect, it } from 'vitest';
import { deletedImportsStillUsed, deletedTypeNamesStillUsed, importedNames, jsdocTypeNames } from '../src/structural/imports.js';
import { languages } from '../src/languages/registry.js';
import { MergeRefusal } from '../src/structural/refusal.js';

const lang = (id: string) => languages.get(id)!;

describe('importedNames', () => {
  it('reads the names JS/TS imports bind', () => {
    expect(importedNames('import a, { b as c, type d } from "x";', lang('typescript'))).toEqual(['a', 'c', 'd']);
    expect(importedNames('import * as stream from "./stream.js"', lang('typescript'))).toEqual(['stream']);
    expect(importedNames("import type { Stream } from '../Stream.js'", lang('javascript'))).toEqual(['Stream']);
    expect(importedNames('import "./side-effect.js"', lang('javascript'))).toBeNull();
    expect(importedNames('const x = require("x")', lang('javascript'))).toBeNull();
  });
  it('reads Python, Java/Kotlin and Rust imports', () => {
    expect(importedNames('from os.path import join, split as sp', lang('python'))).toEqual(['join', 'sp']);
    expect(importedNames('import numpy as np', lang('python'))).toEqual(['np']);
    expect(importedNames('import os.path', lang('python'))).toEqual(['os']);
    expect(importedNames('import com.facebook.react.TracingState', lang('kotlin'))).toEqual(['TracingState']);
    expect(importedNames('import java.util.List;', lang('java'))).toEqual(['List']);
    expect(importedNames('import java.util.*;', lang('java'))).toBeNull();
    expect(importedNames('use std::collections::{HashMap, HashSet as Set};', lang('rust'))).toEqual(['HashMap', 'Set']);
    expect(importedNames('use std::fmt::Display;', lang('rust'))).toEqual(['Display']);
  });
  it('reads nothing in languages whose imports bind no names it can see', () => {
    expect(importedNames('#include <stdio.h>', lang('c'))).toBeNull();
  });
});

describe('deletedImportsStillUsed', () => {
  const original = ['import { a } from "a"', 'import { b } from "b"', '', 'a()', 'b()'];
  const refusal = (deleted: number[], output: string[], added: number[] = []) => {
    try {
      deletedImportsStillUsed(original, deleted, output, new Set(added), lang('typescript'));
      return null;
    } catch (e) {
      return e as MergeRefusal;
    }
  };
  it('refuses when a kept line still uses the deleted import', () => {
    const r = refusal([1], ['import { a } from "a"', '', 'a()', 'b()']);
    expect(r).toBeInstanceOf(MergeRefusal);
    expect(r!.code).toBe('check_failed');
    expect(r!.details).toMatchObject({ line: 2, name: 'b' });
  });
  it('passes when the uses went too, or an import binds the name again', () => {
    expect(refusal([1, 4], ['import { a } from "a"', '', 'a()'])).toBeNull();
    expect(refusal([1], ['import { a } from "a"', 'import {', '  b,', '} from "b2"', '', 'a()', 'b()'], [1, 2, 3])).toBeNull();
  });
  it('ignores uses in lines the update itself added and in comments', () => {
    expect(refusal([1], ['import { a } from "a"', '', 'a()', '// b() is gone', 'b()'], [4])).toBeNull();
  });
});

describe('JSDoc type declarations', () => {
  it('reads the names a JSDoc @import or @typedef line declares', () => {
    expect(jsdocTypeNames('/** @import { Range, Loc as Where } from "./Parser" */')).toEqual(['Range', 'Where']);
    expect(jsdocTypeNames('/** @import Module, { BuildInfo } from "../Module" */')).toEqual(['Module', 'BuildInfo']);
    expect(jsdocTypeNames('/** @typedef {import("./Parser").Range} Range */')).toEqual(['Range']);
    expect(jsdocTypeNames(' * @param {Range} range')).toBeNull();
  });

  it('refuses deleting one whose name a kept line still uses, unless the result declares it again', () => {
    const original = ['/** @import { Range } from "./Parser" */', '/** @import { Loc } from "./Loc" */', '', '/** @param {Loc} at */', 'function f(at) {}'];
    const refused = (output: string[], added: Set<number>) => {
      try {
        deletedTypeNamesStillUsed(original, [1], output, added, lang('javascript'));
      } catch (e) {
        return e instanceof MergeRefusal ? e.code : String(e);
      }
      return null;
    };
    expect(refused([original[0], ...original.slice(2)], new Set())).toBe('check_failed');
    // (declared again over several lines, or no longer named by a kept line)
    expect(refused(['/**', ' * @import {', ' *   Range, Loc', ' * } from "./Parser"', ' */', ...original.slice(2)], new Set([0, 1, 2, 3, 4]))).toBeNull();
    expect(refused([original[0], '', 'function f(at) {}'], new Set())).toBeNull();
    // (JSDoc types are JavaScript's and TypeScript's)
    expect(() => deletedTypeNamesStillUsed(original, [1], [original[0], ...original.slice(2)], new Set(), lang('python'))).not.toThrow();
  });
});
