// Lines shortened with an ellipsis: written out only where one line of the file is what they shorten.
import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../src/languages/registry.js';
import { expandElided } from '../src/structural/elided.js';

const py = detectLanguage({ path: 'a.py' })!;

const file = [
  'parser = ArgumentParser(prog="sync", description="Sync a directory to a bucket.", epilog="See the docs.")',
  'const db = await connect({ host: process.env.DB_HOST, port: Number(process.env.DB_PORT) });',
  'print("Loading the configuration file now")',
  'x = f(a, bb)',
];

describe('expandElided', () => {
  it('writes out a line the file has in full', () => {
    expect(expandElided(['    parser = ArgumentParser(prog="sync", ...)'], py, file)).toEqual(['    ' + file[0]]);
    expect(expandElided(['  const db = await connect({ host: process.env.DB_HOST, … });'], py, file)).toEqual(['  ' + file[1]]);
    // cut short: the rest of the line as it was
    expect(expandElided(['parser = ArgumentParser(...'], py, file)).toEqual([file[0]]);
  });

  it('leaves strings, spread syntax, short elisions and unknown lines as written', () => {
    for (const line of ['print("Loading...")', 'const db = await connect({ ...options });', 'x = f(a, ...)', 'y = g(1, ...)']) {
      expect(expandElided([line], py, file)).toEqual([line]);
    }
  });

  it('leaves markers as written, however they trail off', () => {
    const comments = ['# existing code paths rely on this ordering of the handlers'];
    expect(expandElided(['# existing code...'], py, comments)).toEqual(['# existing code...']);
  });
});
