// The batch input: an edits file (JSON Lines, one {path, update?, instruction?} per line), or a glob
// plus one instruction. Edits to the same file are grouped, in file order, into one job.
import { z } from 'zod';

export const EditLineSchema = z
  .object({
    path: z.string({ error: 'path (relative to --root) is required' }).min(1, 'path must not be empty').max(4096),
    update: z.string().min(1, 'update must not be empty').optional(),
    instruction: z.string().min(1, 'instruction must not be empty').optional(),
    line_hints: z.array(z.number().int().positive()).max(64).optional(),
  })
  .strict()
  .refine((e) => e.update !== undefined || e.instruction !== undefined, { message: 'each edit needs update or instruction', path: ['update'] });

export type EditLine = z.infer<typeof EditLineSchema>;

export interface EditSpec {
  update?: string;
  instruction?: string;
  line_hints?: number[];
  /** 1-based line of the edits file it came from (absent for --glob). */
  line?: number;
}

export interface BatchJob {
  /** The path as given (relative to the root). */
  path: string;
  edits: EditSpec[];
}

export class BatchInputError extends Error {}

/** Parse an edits file; every bad line is reported at once (line number and what is wrong). */
export function parseEditsJsonl(text: string, source = 'edits file'): BatchJob[] {
  const problems: string[] = [];
  const jobs = new Map<string, BatchJob>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('//')) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      problems.push(`${source}:${lineNo}: not valid JSON (${(e as Error).message})`);
      return;
    }
    const parsed = EditLineSchema.safeParse(json);
    if (!parsed.success) {
      problems.push(`${source}:${lineNo}: ${parsed.error.issues.map((is) => (is.path.length ? `${is.path.join('.')}: ${is.message}` : is.message)).join('; ')}`);
      return;
    }
    const { path, ...edit } = parsed.data;
    const key = path.replace(/\\/g, '/').replace(/^\.\//, '');
    const job = jobs.get(key) ?? { path: key, edits: [] };
    job.edits.push({ ...edit, line: lineNo });
    jobs.set(key, job);
  });
  if (problems.length > 0) throw new BatchInputError(problems.join('\n'));
  if (jobs.size === 0) throw new BatchInputError(`${source}: no edits (one JSON object per line: {"path": ..., "update": ...})`);
  return [...jobs.values()];
}

export function instructionJobs(paths: string[], instruction: string): BatchJob[] {
  return paths.map((path) => ({ path, edits: [{ instruction }] }));
}
