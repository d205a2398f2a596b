// The MCP tools: edit_file (merge a lazy edit into a file and write it) and preview_edit (the same
// merge, nothing written). Both take the argument names agents already use for apply tools
// (target_file, instructions, code_edit), so existing prompts work unchanged. The merge itself is
// an Applier (src/batch/appliers.ts): the apply pipeline in this process, or a specedit server.
import { z } from 'zod';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { countLines, unifiedDiff } from '../apply/diff.js';
import type { Applier } from '../batch/appliers.js';
import type { ApplyMode } from '../client/apply-client.js';
import { detectLanguage, GENERIC } from '../languages/registry.js';
import { isMarkerLine } from '../structural/markers.js';
import { failureText, workspaceText } from './advice.js';
import { WorkspaceError, type Workspace } from './workspace.js';

export const EDIT_FILE_DESCRIPTION = `Edit a file by writing only what changes (a lazy edit), or create a new file. specedit merges code_edit into the file structurally, checks the result (syntax, nothing lost, no silent deletion), writes it atomically and answers with the unified diff. A merge it is not sure of is refused with the reason; the file is then left as it was.

How to write code_edit:
- Write each changed part with 1-2 unchanged lines of context above and below it, copied exactly from the file.
- Stand for every stretch of unchanged code you skip with one marker line in the file's comment syntax: "// ... existing code ..." (JavaScript, TypeScript, Go, Rust, Java, C, C++, C#, Kotlin, Swift, PHP), "# ... existing code ..." (Python, Ruby, shell, YAML, TOML), "<!-- ... existing code ... -->" (HTML, XML, Markdown), "/* ... existing code ... */" (CSS). Never rewrite long unchanged stretches.
- Start code_edit with a marker unless the edit begins at the file's first line, and end it with one unless the edit reaches the last line: a missing marker means "replace up to that end of the file".
- To delete code, show the 1-2 lines just above and just below it next to each other, exactly as they should read afterwards (blank lines included). Unchanged lines are never left out silently: a marker stands for them.
- Put all edits to one file in one call, in file order, separated by markers. Edit different files in separate calls.
- To create a file, give a target_file that does not exist yet and its whole content in code_edit, with no marker lines.
If the call fails, the answer says why and what to change (for example the code_edit lines that matched nothing, or the places that fit equally and how to pick one); fix code_edit and call again.`;

export const PREVIEW_EDIT_DESCRIPTION = `Preview an edit: the same arguments and the same merge as edit_file, but nothing is written. Answers with the unified diff edit_file would apply (or the reason it would refuse). Use it to review a risky edit before applying it with edit_file.`;

export const editArgs = {
  target_file: z
    .string()
    .min(1)
    .max(4096)
    .describe('The file to edit or create: a path relative to the workspace root, or an absolute path inside it.'),
  instructions: z
    .string()
    .max(4096)
    .describe('One sentence in the first person saying what the edit does ("I am adding input validation to parse_args"). It helps the apply model place an ambiguous edit.'),
  code_edit: z
    .string()
    .min(1)
    .describe('The lazy edit: only the changed lines with 1-2 lines of unchanged context, every skipped stretch of unchanged code replaced by a marker line such as "// ... existing code ..." in the file\'s comment syntax. For a new file, its whole content without markers.'),
};

export type EditArgs = { target_file: string; instructions: string; code_edit: string };

export interface EditContext {
  workspace: Workspace;
  applier: Applier;
  /** Sent with every merge (default: the service's, auto). */
  mode?: ApplyMode;
}

const text = (t: string, isError = false): CallToolResult => ({ content: [{ type: 'text', text: t }], ...(isError ? { isError: true } : {}) });

/** First marker line of a would-be new file (1-based), or null. */
function firstMarker(codeEdit: string, path: string): { line: number; text: string } | null {
  const lang = detectLanguage({ path }) ?? GENERIC;
  const lines = codeEdit.split(/\r?\n/);
  let prev: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (isMarkerLine(lines[i], lang, prev)) return { line: i + 1, text: lines[i] };
    if (lines[i].trim() !== '') prev = lines[i];
  }
  return null;
}

/** edit_file (write: true) and preview_edit (write: false). Never throws: failures are tool errors. */
export async function runEdit(args: EditArgs, ctx: EditContext, write: boolean, signal?: AbortSignal): Promise<CallToolResult> {
  const ws = ctx.workspace;
  try {
    const first = await ws.resolve(args.target_file);
    return await ws.exclusive(first.real, async () => {
      // resolved again once it is this call's turn: an edit queued before it may have created the file
      const target = await ws.resolve(args.target_file);
      const lang = detectLanguage({ path: target.rel }) ?? GENERIC;

      if (!target.exists) {
        const marker = firstMarker(args.code_edit, target.rel);
        if (marker) {
          return text(
            `${args.target_file} does not exist under ${ws.root}, and code_edit has a marker line (line ${marker.line}: ${JSON.stringify(marker.text.trim())}), which stands for existing code. Nothing was written. ` +
              'To create the file, send its whole content without markers; to edit an existing file, check target_file (relative to the root).',
            true,
          );
        }
        const diff = unifiedDiff(target.rel, '', args.code_edit);
        const lines = countLines(diff).added;
        if (!write) return text(`Preview: ${target.rel} does not exist; edit_file would create it (${lines} lines). Nothing was written.\n\n${diff}`);
        if (signal?.aborted) return text(`The creation of ${target.rel} was cancelled. Nothing was written.`, true);
        // the path was free when checked; creation refuses to overwrite anything that appeared since
        await ws.create(target, args.code_edit);
        return text(`Created ${target.rel} (${lines} lines).\n\n${diff}`);
      }

      const snap = await ws.read(target);
      const instruction = args.instructions.trim();
      const out = await ctx.applier(
        { code: snap.text, update: args.code_edit, path: target.rel, ...(instruction ? { instruction } : {}), ...(ctx.mode ? { mode: ctx.mode } : {}) },
        signal ?? new AbortController().signal,
      );
      if (!out.ok) return text(failureText(out, target.rel, lang), true);

      if (out.content === snap.text) return text(`${target.rel} already reads as code_edit says: nothing to change, nothing written.`);
      const diff = out.diff || unifiedDiff(target.rel, snap.text, out.content);
      const { added, deleted } = countLines(diff);
      const how = `${out.mode} merge, ${out.language}`;
      const stats = `stats: ${JSON.stringify({ mode: out.mode, language: out.language, ...out.stats })}`;
      if (!write) return text(`Preview of the edit to ${target.rel} (${how}): +${added} -${deleted} lines. Nothing was written.\n\n${diff}\n${stats}`);
      if (signal?.aborted) return text(`The edit of ${target.rel} was cancelled. The file was not changed.`, true);
      await ws.replace(snap, out.content);
      return text(`Edited ${target.rel} (${how}): +${added} -${deleted} lines.\n\n${diff}\n${stats}`);
    });
  } catch (e) {
    if (e instanceof WorkspaceError) return text(workspaceText(e, args.target_file, ws.root), true);
    return text(`specedit failed to edit ${args.target_file}: ${(e as Error).message}. The file was not changed.`, true);
  }
}
