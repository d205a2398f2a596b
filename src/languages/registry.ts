// The language registry: grammars/manifest.json maps file extensions and names to a tree-sitter
// grammar and to the comment syntax lazy-edit markers are written in.
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { projectRoot } from '../paths.js';

export interface Language {
  id: string;
  name: string;
  extensions: string[];
  aliases: string[];
  /** Path of the provisioned .wasm grammar, or null for languages merged line-based only. */
  grammarPath: string | null;
  /** Line-comment prefixes (`//`, `#`). */
  line: string[];
  /** Block-comment delimiters (`/*`, `*\/`). */
  block: [string, string][];
  note?: string;
}

interface ManifestEntry {
  name: string;
  extensions: string[];
  aliases: string[];
  grammar: { package: string; file: string } | null;
  line: string[];
  block: [string, string][];
  note?: string;
}

/** Markers for files whose language we do not know: every common comment form. */
export const GENERIC: Language = {
  id: 'generic',
  name: 'Unknown (line-based)',
  extensions: [],
  aliases: [],
  grammarPath: null,
  line: ['//', '#', '--', ';'],
  block: [['/*', '*/'], ['<!--', '-->'], ['{/*', '*/}']],
  note: 'no grammar: merged line-based with generic markers, without syntax validation',
};

/**
 * GENERIC for a file whose format has comment forms of its own: Markdown's are HTML comments only,
 * so a heading (`## Other components`) is no `#` comment that reads as a marker. A marker with an
 * ellipsis in any comment form still is one.
 */
const MARKDOWN: Language = { ...GENERIC, line: [], block: [['<!--', '-->']] };
const MARKDOWN_EXTENSIONS = new Set(['.md', '.markdown', '.mdx']);
export function genericFor(path?: string): Language {
  return path && MARKDOWN_EXTENSIONS.has(extname(path).toLowerCase()) ? MARKDOWN : GENERIC;
}

function load(): Map<string, Language> {
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'grammars/manifest.json'), 'utf8')) as {
    languages: Record<string, ManifestEntry>;
  };
  const byId = new Map<string, Language>();
  for (const [id, e] of Object.entries(manifest.languages)) {
    byId.set(id, {
      id,
      name: e.name,
      extensions: e.extensions,
      aliases: e.aliases,
      grammarPath: e.grammar ? join(projectRoot, 'grammars/wasm', `${id}.wasm`) : null,
      line: e.line,
      block: e.block,
      note: e.note,
    });
  }
  return byId;
}

export const languages: ReadonlyMap<string, Language> = load();

const byExtension = new Map<string, Language>();
const byName = new Map<string, Language>();
for (const lang of languages.values()) {
  for (const ext of lang.extensions) byExtension.set(ext, lang);
  for (const n of [lang.id, lang.name.toLowerCase(), ...lang.aliases]) byName.set(n, lang);
}

/**
 * An explicit `language` wins over the path's extension; null when neither is known. A `.h` file
 * may be C, C++ or Objective-C: with its `code`, the header is read for the other two (parsed as C,
 * a C++ header is thousands of error nodes, which both blunt the syntax check and slow the parse
 * five times over).
 */
export function detectLanguage(opts: { language?: string; path?: string; code?: string }): Language | null {
  if (opts.language) return byName.get(opts.language.toLowerCase()) ?? null;
  if (!opts.path) return null;
  const ext = extname(opts.path).toLowerCase();
  if (ext === '.h' && opts.code !== undefined) return languages.get(headerLanguage(opts.code)) ?? null;
  return byExtension.get(ext) ?? null;
}

/** Lines only Objective-C writes: its directives and `#import`. */
const OBJC = /^[ \t]*(?:@(?:interface|implementation|protocol|end|property|class)\b|#[ \t]*import\b)/m;
/** Lines only C++ writes: templates, namespaces, classes, access labels, scoped names. */
const CPP = /^[ \t]*(?:template[ \t]*<|namespace(?:[ \t]+[\w:]+)?[ \t]*\{|using[ \t]+namespace\b|(?:public|private|protected)[ \t]*:(?!:)|class[ \t]+\w+(?:[ \t]+final)?[ \t]*(?::[^:]|\{|$))|^[^/\n*]*\bstd::\w/m;

/** The language of a `.h` file's text: Objective-C, C++, or else C. */
export function headerLanguage(code: string): 'c' | 'cpp' | 'objc' {
  // (the first 64 KiB say it: a header's declarations start early)
  const head = code.slice(0, 65536);
  if (OBJC.test(head)) return 'objc';
  if (CPP.test(head)) return 'cpp';
  return 'c';
}

export function isKnownLanguageName(name: string): boolean {
  return byName.has(name.toLowerCase());
}
