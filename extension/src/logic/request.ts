// The POST /apply body for a document and a snippet or an instruction.
import type { ApplyRequestBody } from '../../../src/client/apply-client.js';
import type { DocSnapshot, Settings } from './host.js';

export type EditInput = { update: string } | { instruction: string };

/** VS Code language ids whose name the server does not know as such (only used when the path says nothing). */
const LANGUAGE_IDS: Record<string, string> = {
  javascriptreact: 'javascript',
  typescriptreact: 'tsx',
  shellscript: 'bash',
  'objective-c': 'objc',
  'objective-cpp': 'objc',
  jsonc: 'json',
};
const KNOWN = new Set(['typescript', 'tsx', 'javascript', 'python', 'go', 'rust', 'java', 'c', 'cpp', 'csharp', 'ruby', 'php', 'bash', 'json', 'css', 'html', 'yaml', 'kotlin', 'objc', 'vue', 'swift']);

/** A language name for the server when the path has no extension to go by (untitled documents). */
export function languageFor(doc: Pick<DocSnapshot, 'path' | 'languageId' | 'isUntitled'>): string | undefined {
  if (!doc.isUntitled && /\.[A-Za-z0-9]+$/.test(doc.path)) return undefined;
  const id = LANGUAGE_IDS[doc.languageId] ?? doc.languageId;
  return KNOWN.has(id) ? id : undefined;
}

export function buildRequest(doc: DocSnapshot, input: EditInput, settings: Settings): ApplyRequestBody {
  const language = languageFor(doc);
  return {
    code: doc.text,
    ...input,
    path: doc.path,
    ...(language ? { language } : {}),
    mode: settings.mode,
    // The cursor is where the user means: it breaks a tie between equally good places.
    ...('update' in input && doc.cursorLine !== undefined ? { line_hints: [doc.cursorLine + 1] } : {}),
  };
}
