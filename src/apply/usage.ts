// What a merge cost in tokens. A model that served it counted them with its own tokenizer (the
// in-process engine's stats, or a backend's `usage`): those counts are used as they are. Only a
// structural merge, which no tokenizer saw, is estimated.

export interface MergeTokens {
  input: number;
  output: number;
  estimated: boolean;
  /** the in-process engine's speculation: draft tokens it verified and kept */
  draft?: { proposed: number; accepted: number };
}

const count = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export function mergeTokens(stats: object, estimate: () => { input: number; output: number }): MergeTokens {
  const s = stats as Record<string, unknown> & { upstream_usage?: Record<string, unknown> };
  if (count(s.prompt_tokens) && count(s.completion_tokens)) {
    const draft = count(s.draft_tokens_proposed) && count(s.draft_tokens_accepted) ? { proposed: s.draft_tokens_proposed, accepted: s.draft_tokens_accepted } : undefined;
    return { input: s.prompt_tokens, output: s.completion_tokens, estimated: false, ...(draft ? { draft } : {}) };
  }
  const u = s.upstream_usage;
  if (u && count(u.prompt_tokens) && count(u.completion_tokens)) return { input: u.prompt_tokens, output: u.completion_tokens, estimated: false };
  return { ...estimate(), estimated: true };
}
