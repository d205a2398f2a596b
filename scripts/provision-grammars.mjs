// Copies each grammar's .wasm from its npm package into grammars/wasm/<language>.wasm,
// so the runtime loads grammars from one place named by grammars/manifest.json.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
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
  copyFileSync(join(pkgDir, lang.grammar.file), join(outDir, `${id}.wasm`));
  count++;
}
console.log(`specedit: provisioned ${count} tree-sitter grammars into grammars/wasm/`);
