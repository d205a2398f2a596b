// Every hand-written edit case: merged byte for byte, or refused with the expected code.
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import { ApplyError } from '../src/apply/errors.js';
import { applyEdit } from '../src/apply/pipeline.js';
import { loadFixtureCases } from './fixture-cases.js';

const cases = loadFixtureCases();

describe('structural fixtures', () => {
  it('has cases for every language', () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  for (const c of cases) {
    // A known failure is tracked, not hidden: when the merge learns the case, this test fails
    // and the marker must be removed.
    const test = c.meta.known_failure ? it.fails : it;
    test(c.meta.known_failure ? `${c.name} (known failure: ${c.meta.known_failure})` : c.name, async () => {
      const req = { code: c.original, update: c.update, path: c.path, mode: 'auto' as const, line_hints: c.meta.line_hints };
      if (c.expected !== undefined) {
        const res = await applyEdit(req, DEFAULTS.limits).catch((e: unknown) => {
          throw new Error(`${c.name}: refused: ${e instanceof ApplyError ? `${e.code}: ${e.message} ${JSON.stringify(e.details)}` : e}`);
        });
        expect(res.content).toBe(c.expected);
        if (c.meta.strategy) expect(res.stats.strategy).toBe(c.meta.strategy);
      } else {
        const err = await applyEdit(req, DEFAULTS.limits).then(
          (r) => new Error(`expected refusal ${c.meta.error}, got a merge:\n${r.content}`),
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ApplyError);
        expect((err as ApplyError).code).toBe(c.meta.error);
        expect((err as ApplyError).status).toBe(422);
      }
    });
  }
});
