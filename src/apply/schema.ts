import { z } from 'zod';

export const MODES = ['auto', 'structural', 'model'] as const;
export const DECODERS = ['speculative', 'ngram', 'greedy'] as const;

export const ApplyRequestSchema = z
  .object({
    code: z.string({ error: 'code (the original file) is required and must be a string' }),
    update: z.string().min(1, 'update must not be empty').optional(),
    instruction: z.string().min(1, 'instruction must not be empty').optional(),
    path: z.string().min(1).max(4096).optional(),
    language: z.string().min(1).max(64).optional(),
    mode: z.enum(MODES).default('auto'),
    stream: z.boolean().optional(),
    /** 1-based original line numbers near the edit, to break ties between equal anchors. */
    line_hints: z.array(z.number().int().positive()).max(64).optional(),
    /** Model path only: how the engine decodes (speculative edits by default; the others to compare). */
    decoder: z.enum(DECODERS).optional(),
  })
  .strict()
  .refine((r) => r.update !== undefined || r.instruction !== undefined, {
    message: 'at least one of update or instruction is required',
    path: ['update'],
  });

export type ApplyRequest = z.infer<typeof ApplyRequestSchema>;
