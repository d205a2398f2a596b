/** Why a structural merge is refused. Each is a 422 with a machine-readable code. */
export type RefusalCode =
  | 'no_anchor'
  | 'ambiguous_anchor'
  | 'markers_only'
  | 'missing_marker'
  | 'markers_remaining'
  | 'snippet_lines_lost'
  | 'syntax_regression'
  | 'deletion_budget'
  | 'unstated_deletion'
  | 'check_failed'
  | 'unsupported_language';

export class MergeRefusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'MergeRefusal';
  }
}

/** `line 7` or `lines 7-9`: 1-based, inclusive, for refusal messages. */
export const lineSpan = (first: number, last: number) => (first === last ? `line ${first}` : `lines ${first}-${last}`);
