// OpenAI request schemas (zod). Known fields are checked; unknown ones pass through (clients send
// many, and a model backend may understand them). Fields the structural path cannot honour are
// refused with unsupported_parameter rather than silently ignored.
import { z } from 'zod';

const TextPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const Content = z.union([z.string(), z.array(z.union([TextPart, z.looseObject({ type: z.string() })]))]);

export const MessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: Content.nullable().optional(),
  name: z.string().optional(),
});

const Stop = z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional();

export const PredictionSchema = z.object({
  type: z.literal('content'),
  content: z.union([z.string(), z.array(TextPart)]),
});

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(MessageSchema).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().positive().nullable().optional(),
  stop: Stop,
  prediction: PredictionSchema.nullable().optional(),
  user: z.string().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const CompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** A backend may take several prompts; model auto takes one. */
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().positive().nullable().optional(),
  stop: Stop,
  echo: z.boolean().nullable().optional(),
  user: z.string().optional(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

type Parts = string | { type: string; text?: unknown }[] | null | undefined;

/** The text of a message content or prediction: a string, or its text parts joined. */
export function textOf(content: Parts): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}
