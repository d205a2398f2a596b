// Copies each grammar's .wasm from its npm package into grammars/wasm/<language>.wasm,
// so the runtime loads grammars from one place named by grammars/manifest.json.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const { languages } = JSON.parse(readFileSync(join(root, 'grammars/manifest.json'), 'utf8'));
const outDir = join(root, 'grammars/wasm');
mkdirSync(outDir, { recursive: true });

let count = 0;
for (const [id, lang] of Object.entries(languages)) {
  if (!lang.grammar) continue;
  const pkgDir = dirname(require.resolve(`${lang.grammar.package}/package.json`));
  const out = join(outDir, `${id}.wasm`);
  copyFileSync(join(pkgDir, lang.grammar.file), out);
  if (lang.grammar.patches) patch(out, lang.grammar.patches);
  count++;
}
console.log(`specedit: provisioned ${count} tree-sitter grammars into grammars/wasm/`);

// A known bug in a prebuilt grammar, fixed in its bytes (the manifest says which and why): each
// `find` must occur exactly once, or provisioning fails rather than ship a grammar it did not fix.
function patch(file, patches) {
  const bytes = readFileSync(file);
  for (const { find, replace, why } of patches) {
    const from = Buffer.from(find, 'hex');
    const at = bytes.indexOf(from);
    if (at < 0 || bytes.indexOf(from, at + 1) >= 0 || from.length !== replace.length / 2) {
      throw new Error(`specedit: cannot patch ${file}: ${find} must occur exactly once (${why})`);
    }
    Buffer.from(replace, 'hex').copy(bytes, at);
  }
  writeFileSync(file, bytes);
}
