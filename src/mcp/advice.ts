// What an agent reads when an edit does not land: why (from the refusal's code and details) and
// what to change in its next call. The agent cannot see the file's state, so every text says the
// file was left as it was.
import type { ApplyFailure } from '../client/apply-client.js';
import { GENERIC, type Language } from '../languages/registry.js';
import type { WorkspaceError } from './workspace.js';

/** The marker line to suggest for a language, in its own comment syntax. */
export function markerFor(lang: Language): string {
  if (lang === GENERIC) return '// ... existing code ... (or # ..., <!-- ... -->: the file\'s comment syntax)';
  if (lang.line.length > 0) return `${lang.line[0]} ... existing code ...`;
  const [open, close] = lang.block[0] ?? ['//', ''];
  return `${open} ... existing code ... ${close}`.trim();
}

const UNCHANGED = 'The file was not changed.';

function lineTexts(lines: unknown): string[] {
  if (!Array.isArray(lines)) return [];
  return lines.map((l) => (typeof l === 'string' ? l : typeof l === 'object' && l && 'text' in l ? String((l as { text: unknown }).text) : JSON.stringify(l)));
}

/** Quoted snippet lines, indentation kept, at most `max` of them. */
function quoteLines(lines: string[], max = 12): string {
  const shown = lines.slice(0, max).map((l) => `    | ${l}`);
  if (lines.length > max) shown.push(`    | ... (${lines.length - max} more)`);
  return shown.join('\n');
}

function snippetRange(d: Record<string, unknown>): string {
  const r = d.snippet_lines;
  return Array.isArray(r) && r.length === 2 ? `Lines ${r[0]}-${r[1]} of code_edit` : 'A part of code_edit';
}

type Range = { start_line?: number; end_line?: number };
const showRange = (c: Range) => (c.start_line === undefined ? '?' : c.end_line !== undefined && c.end_line !== c.start_line ? `${c.start_line}-${c.end_line}` : `${c.start_line}`);

/** The text of a refused merge (422) or any other failure of the merge service. */
export function failureText(f: ApplyFailure, file: string, lang: Language): string {
  const d = f.details ?? {};
  const marker = markerFor(lang);
  const head = `specedit refused to merge the edit into ${file} (${f.code}): ${f.message}`;
  switch (f.code) {
    case 'no_anchor': {
      const lines = lineTexts(d.lines);
      return [
        `${head} ${UNCHANGED}`,
        `${snippetRange(d)} match nothing in the file${lines.length ? ':' : '.'}`,
        ...(lines.length ? [quoteLines(lines)] : []),
        `What to do: copy the unchanged context lines around each change exactly as they stand in the file now (re-read the file if unsure; the code may differ from what you remember), and stand for every skipped stretch with a marker line: ${marker}`,
      ].join('\n');
    }
    case 'ambiguous_anchor': {
      const candidates = Array.isArray(d.candidates) ? (d.candidates as Range[]) : [];
      return [
        `${head} ${UNCHANGED}`,
        `${snippetRange(d)} fit ${candidates.length || 'several'} places in the file equally${candidates.length ? `: lines ${candidates.slice(0, 8).map(showRange).join(', ')}${candidates.length > 8 ? ', ...' : ''}` : ''}.`,
        'What to do: add 1-2 unchanged lines of context that occur only at the place you mean (the enclosing function, method or class line, or a nearby distinctive line), with a marker between them and your change if they are not adjacent.',
      ].join('\n');
    }
    case 'missing_marker': {
      const where = d.where === 'end' ? 'end' : 'start';
      return `${head} ${UNCHANGED}\nWhat to do: ${where === 'start' ? 'start' : 'end'} code_edit with a marker line (${marker}) to keep the file's lines ${where === 'start' ? 'above' : 'below'} the edit, or, if they are really to be replaced, include the code that replaces them.`;
    }
    case 'markers_only':
      return `${head} ${UNCHANGED}\nWhat to do: write the new or changed code in code_edit, with markers (${marker}) only for the unchanged code you skip.`;
    case 'markers_remaining':
      return `${head} ${UNCHANGED}\nThe line ${JSON.stringify(d.line ?? '')} reads as a marker but would stay in the file. What to do: put each marker line between two stretches of real code in code_edit, with unchanged context lines on both sides of your change, so it is clear which code it stands for.`;
    case 'snippet_lines_lost':
      return `${head} ${UNCHANGED}\nThe line ${JSON.stringify(d.line ?? '')} of code_edit found no place in the merged file. What to do: give 1-2 unchanged context lines, copied exactly from the file, above and below each change.`;
    case 'syntax_regression':
      return `${head} ${UNCHANGED}\nWhat to do: check that code_edit is complete (balanced brackets and blocks, whole statements, the file's indentation) and that its context lines are the ones where the code belongs; a marker must not cut a statement in half.`;
    case 'deletion_budget':
      return `${head} ${UNCHANGED}\nWhat to do: if you skipped unchanged code, stand for each skipped stretch with a marker line (${marker}) instead of leaving it out. To delete a large block on purpose, show 1-2 unchanged lines just above it and just below it, next to each other, in one call per deletion.`;
    case 'unstated_deletion': {
      const range = d.start_line !== undefined ? ` (lines ${showRange(d as Range)} of the file)` : '';
      return `${head} ${UNCHANGED}\nWhat to do: to keep those lines${range}, put a marker line (${marker}) between the two lines you show, or include the lines. To delete them, show the lines around the deletion exactly as they should read afterwards, blank lines included${d.kind === 'partial_construct' ? ', and delete whole constructs (a whole function, block or statement)' : ''}.`;
    }
    case 'check_failed':
      return `${head} ${UNCHANGED}\nWhat to do: give more unchanged context, copied exactly from the file, around each change, keep the file's indentation, and make sure each marker line (${marker}) stands only for unchanged code.`;
    case 'unsupported_language':
      return `${head} ${UNCHANGED}`;
    default:
      break;
  }
  switch (f.kind) {
    case 'refused':
      return `${head} ${UNCHANGED}`;
    case 'model_unavailable':
      return `specedit could not merge the edit into ${file} (${f.code}): ${f.message} ${UNCHANGED} This edit needs a model: start specedit mcp with --model FILE.gguf, or with --server pointing at a specedit server that has one, or without --mode model so that lazy edits merge structurally.`;
    case 'invalid_request':
      return `specedit could not merge the edit into ${file} (${f.code}): ${f.message} ${UNCHANGED}${/too_large/.test(f.code) ? ' Edit a smaller file, or raise SPECEDIT_MAX_CODE_BYTES / SPECEDIT_MAX_UPDATE_BYTES where specedit runs.' : ''}`;
    case 'rate_limited':
      return `The specedit server is rate-limiting requests (${f.code}): ${f.message} ${UNCHANGED} Retry${f.retryAfterS !== undefined ? ` in ${f.retryAfterS} s` : ' later'}.`;
    case 'unreachable':
    case 'timeout':
    case 'server_error':
    case 'stream_error':
    case 'bad_response':
    case 'unauthorized':
      return `The specedit merge service failed (${f.code}): ${f.message} ${UNCHANGED} Retry the call; if it keeps failing, the user should check the specedit server (specedit mcp --server URL, SPECEDIT_API_KEY).`;
    case 'cancelled':
      return `The edit of ${file} was cancelled before it was merged. ${UNCHANGED}`;
    default:
      return `specedit could not merge the edit into ${file} (${f.code}): ${f.message} ${UNCHANGED}`;
  }
}

/** The text of a path or file-state problem. */
export function workspaceText(e: WorkspaceError, target: string, root: string): string {
  switch (e.code) {
    case 'path_escape':
      return `Refused: ${e.message}. Nothing was read or written. target_file must name a file under ${root} (a path relative to it, or an absolute path inside it).`;
    case 'modified_during_edit':
      return `Not written: ${e.message}. Read the file again and redo the edit against its current content.`;
    case 'already_exists':
      return `Not written: ${e.message}. Read it and send the edit as a lazy edit of the existing file.`;
    case 'too_large':
      return `Refused: ${e.message}. The file was not changed; edit it another way.`;
    case 'binary_file':
    case 'unsupported_encoding':
      return `Refused: ${e.message}. specedit edits text files in UTF-8 (or UTF-16 with a byte order mark); the file was not changed.`;
    default:
      return `Cannot edit ${target}: ${e.message}. Nothing was written.`;
  }
}
