#!/usr/bin/env node
// Validates the hand-made structural fixtures (fixtures/structural/<language>/<case>/).
//
// Format checks (see fixtures/README.md):
//   - every case has original.<ext>, update.<ext> and case.json (with a description);
//   - exactly one of expected.<ext> and case.json "error" is present;
//   - all files of a case share one extension, and that extension maps to the case's
//     language folder through grammars/manifest.json (folder "unknown": no language);
//   - no stray files.
// Consistency checks on merge cases (they catch mistakes in the fixture itself):
//   - expected keeps the original's BOM, line endings (LF/CRLF) and final-newline state;
//   - no marker line is left in expected;
//   - every non-marker snippet line (trimmed, non-blank) appears in expected, in order;
//   - expected differs from original;
//   - with a grammar: expected has no more ERROR/MISSING nodes than original.
//
// Usage: node scripts/check-fixtures.mjs [--verbose] [filter-substring]
// Exit code 1 when any problem is found.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Language, Parser } from 'web-tree-sitter';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixturesDir = join(root, 'fixtures/structural');
const manifest = JSON.parse(readFileSync(join(root, 'grammars/manifest.json'), 'utf8'));
const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const filter = args.find((a) => !a.startsWith('--'));

/** extension -> language id */
const extToLang = new Map();
for (const [id, lang] of Object.entries(manifest.languages)) {
  for (const ext of lang.extensions) extToLang.set(ext.toLowerCase(), id);
}

await Parser.init();
const languageCache = new Map();
async function parserFor(langId) {
  const lang = manifest.languages[langId];
  if (!lang || !lang.grammar) return null;
  if (!languageCache.has(langId)) {
    const file = join(root, 'grammars/wasm', `${langId}.wasm`);
    if (!existsSync(file)) throw new Error(`grammar missing: ${file} (run npm ci / npm run postinstall)`);
    languageCache.set(langId, await Language.load(file));
  }
  const parser = new Parser();
  parser.setLanguage(languageCache.get(langId));
  return parser;
}

function countErrors(parser, text) {
  const tree = parser.parse(text);
  let n = 0;
  const cursor = tree.walk();
  let done = false;
  while (!done) {
    const node = cursor.currentNode;
    if (node.isError || node.isMissing) n++;
    if (cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        done = true;
        break;
      }
    }
  }
  cursor.delete();
  tree.delete();
  return n;
}

// A line is a marker when, stripped of comment delimiters, it is an ellipsis
// ("...", "... anything ...") or an "existing code" / "rest of code" note.
const COMMENT_OPEN = /^(\{\/\*|\/\*+|<!--|\/\/+|#+|--)\s*/;
const COMMENT_CLOSE = /\s*(\*\/\}|\*+\/|-->)$/;
function markerBody(line) {
  let t = line.trim();
  const open = t.match(COMMENT_OPEN);
  if (open) t = t.slice(open[0].length);
  t = t.replace(COMMENT_CLOSE, '').trim();
  return { body: t, commented: Boolean(open) };
}
function isMarker(line, langId) {
  const { body, commented } = markerBody(line);
  if (!commented) {
    // bare "..." line: a marker except where "..." is code (Python's Ellipsis)
    const bare = langId === undefined ? true : manifest.languages[langId]?.bareEllipsis !== false;
    return bare && /^(\.\.\.|…)$/.test(body);
  }
  if (/^(\.\.\.|…)/.test(body) && /(\.\.\.|…)$/.test(body)) return true;
  return /^(\.\.\.\s*)?(existing code|rest of (the )?(code|file))\b/i.test(body);
}

function detect(buf) {
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  const text = buf.toString('utf8').replace(/^\uFEFF/, '');
  const crlf = (text.match(/\r\n/g) || []).length;
  const lf = (text.match(/(?<!\r)\n/g) || []).length;
  const finalNewline = text.endsWith('\n');
  return { bom, text, crlf, lf, finalNewline };
}

const problems = [];
const perLanguage = new Map();
let merges = 0;
let refusals = 0;
const problem = (where, msg) => problems.push(`${where}: ${msg}`);

if (!existsSync(fixturesDir)) {
  console.error(`no fixtures at ${fixturesDir}`);
  process.exit(1);
}

for (const langDir of readdirSync(fixturesDir).sort()) {
  const langPath = join(fixturesDir, langDir);
  if (!statSync(langPath).isDirectory()) continue;
  if (langDir !== 'unknown' && !manifest.languages[langDir]) {
    problem(langDir, 'folder is not a language of grammars/manifest.json (nor "unknown")');
    continue;
  }
  for (const caseName of readdirSync(langPath).sort()) {
    const where = `${langDir}/${caseName}`;
    if (filter && !where.includes(filter)) continue;
    const casePath = join(langPath, caseName);
    if (!statSync(casePath).isDirectory()) {
      problem(where, 'not a folder');
      continue;
    }
    const files = readdirSync(casePath);
    const byStem = new Map();
    for (const f of files) {
      if (f === 'case.json') continue;
      const m = f.match(/^(original|update|expected)(\..+)$/);
      if (!m) {
        problem(where, `unexpected file ${f}`);
        continue;
      }
      byStem.set(m[1], { file: f, ext: m[2] });
    }
    if (!files.includes('case.json')) {
      problem(where, 'case.json missing');
      continue;
    }
    let meta;
    try {
      meta = JSON.parse(readFileSync(join(casePath, 'case.json'), 'utf8'));
    } catch (e) {
      problem(where, `case.json: ${e.message}`);
      continue;
    }
    if (typeof meta.description !== 'string' || !meta.description.trim()) problem(where, 'case.json: description missing');
    const known = new Set(['description', 'error', 'strategy', 'instruction', 'line_hints', 'known_failure']);
    for (const k of Object.keys(meta)) if (!known.has(k)) problem(where, `case.json: unknown key ${k}`);
    if (!byStem.has('original') || !byStem.has('update')) {
      problem(where, 'original.<ext> and update.<ext> are required');
      continue;
    }
    const ext = byStem.get('original').ext;
    for (const { file, ext: e } of byStem.values()) if (e !== ext) problem(where, `${file}: extension differs from original${ext}`);
    const langId = extToLang.get(extname(`x${ext}`).toLowerCase());
    if (langDir === 'unknown') {
      if (langId) problem(where, `extension ${ext} is ${langId}, not unknown`);
    } else if (langId !== langDir) {
      problem(where, `extension ${ext} maps to ${langId ?? 'no language'}, not ${langDir}`);
    }
    const hasExpected = byStem.has('expected');
    const hasError = typeof meta.error === 'string';
    if (hasExpected === hasError) {
      problem(where, hasExpected ? 'has both expected and case.json error' : 'needs expected.<ext> or case.json error');
      continue;
    }
    perLanguage.set(langDir, (perLanguage.get(langDir) ?? 0) + 1);
    const original = detect(readFileSync(join(casePath, byStem.get('original').file)));
    const update = detect(readFileSync(join(casePath, byStem.get('update').file)));
    const updateLines = update.text.split(/\r?\n/);
    if (updateLines.some((l) => l.trim() !== '') === false) problem(where, 'update is empty');
    if (hasError) {
      refusals++;
      const lang = langDir === 'unknown' ? undefined : langDir;
      const content = updateLines.filter((l) => l.trim() !== '' && !isMarker(l, lang));
      if (meta.error === 'markers_only' && content.length > 0) {
        problem(where, `markers_only, but the snippet has non-marker lines: ${JSON.stringify(content[0])}`);
      }
      if (meta.error !== 'markers_only' && content.length === 0) {
        problem(where, `${meta.error}, but the snippet has only marker lines`);
      }
      if (meta.error === 'no_anchor') {
        const origLines = new Set(original.text.split(/\r?\n/).map((l) => l.trim()));
        const found = content.filter((l) => origLines.has(l.trim()));
        if (found.length) problem(where, `no_anchor, but snippet line(s) occur in the original: ${JSON.stringify(found[0])}`);
      }
      if (verbose) console.log(`ok   ${where} (refused: ${meta.error})`);
      continue;
    }
    merges++;
    const expectedBuf = readFileSync(join(casePath, byStem.get('expected').file));
    const expected = detect(expectedBuf);
    if (expected.bom !== original.bom) problem(where, `expected BOM ${expected.bom}, original BOM ${original.bom}`);
    if (expected.finalNewline !== original.finalNewline) problem(where, `expected final newline ${expected.finalNewline}, original ${original.finalNewline}`);
    const origEol = original.crlf > 0 && original.lf === 0 ? 'crlf' : original.lf > 0 && original.crlf === 0 ? 'lf' : 'mixed';
    if (origEol === 'crlf' && expected.lf > 0) problem(where, `original is CRLF but expected has ${expected.lf} bare LF`);
    if (origEol === 'lf' && expected.crlf > 0) problem(where, `original is LF but expected has ${expected.crlf} CRLF`);
    if (expected.text === original.text) problem(where, 'expected equals original');
    const lang = langDir === 'unknown' ? undefined : langDir;
    const expLines = expected.text.split(/\r?\n/);
    expLines.forEach((l, i) => {
      if (isMarker(l, lang)) problem(where, `expected line ${i + 1} looks like a marker: ${JSON.stringify(l)}`);
    });
    // every non-marker snippet line appears in expected, in order (trimmed comparison)
    let j = 0;
    for (const l of updateLines) {
      const t = l.trim();
      if (!t || isMarker(l, lang)) continue;
      while (j < expLines.length && expLines[j].trim() !== t) j++;
      if (j >= expLines.length) {
        problem(where, `snippet line not found in expected (in order): ${JSON.stringify(l)}`);
        break;
      }
      j++;
    }
    // indentation unit: an original indented only with tabs must not gain space-indented lines
    const indentKinds = (lines) => ({
      tab: lines.some((l) => /^\t/.test(l)),
      space: lines.some((l) => /^ {2,}\S/.test(l)),
    });
    const oi = indentKinds(original.text.split(/\r?\n/));
    const ei = indentKinds(expLines);
    if (oi.tab && !oi.space && ei.space) problem(where, 'original is tab-indented but expected has space-indented lines');
    if (oi.space && !oi.tab && ei.tab) problem(where, 'original is space-indented but expected has tab-indented lines');
    const parser = lang ? await parserFor(lang) : null;
    if (parser) {
      const before = countErrors(parser, original.text);
      const after = countErrors(parser, expected.text);
      if (after > before) problem(where, `expected has ${after} ERROR/MISSING nodes, original ${before}`);
      else if (verbose) console.log(`ok   ${where} (errors ${before} -> ${after})`);
      parser.delete();
    } else if (verbose) console.log(`ok   ${where} (no grammar)`);
  }
}

const total = merges + refusals;
console.log(`fixtures: ${total} cases (${merges} merges, ${refusals} refusals)`);
console.log([...perLanguage].map(([l, n]) => `${l}=${n}`).join(' '));
if (problems.length) {
  console.log(`\n${problems.length} problem(s):`);
  for (const p of problems) console.log(`  ${p}`);
  process.exit(1);
}
console.log('clean');
