// The model path's layers depend one way: server -> apply -> decode -> engine (-> native).
// A plain scan of every import in src/ (static, re-export and dynamic): a file of one layer may
// import its own layer and the layers below it, never one above. The engine runs forward passes
// and owns KV memory; decoders, their verification and the schedulers that drive them sit on it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
/** top to bottom */
const LAYERS = ['server', 'apply', 'decode', 'engine'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** relative import specifiers of a TypeScript source (comments stripped first) */
function importsOf(code: string): string[] {
  const text = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (let m; (m = re.exec(text)); ) out.push(m[1]);
  return out;
}

function layerOf(file: string): string | undefined {
  const top = relative(SRC, file).split(sep)[0];
  return LAYERS.includes(top) ? top : undefined;
}

describe('layering', () => {
  it('finds the imports it scans for', () => {
    expect(importsOf(`import { A } from '../decode/types.js';\nimport type { B } from "./b.js";\nexport * from '../c.js';\nconst m = await import('../decode/x.js');\n// import { no } from '../decode/no.js';\nimport './side.js';`))
      .toEqual(['../decode/types.js', './b.js', '../c.js', '../decode/x.js', './side.js']);
  });

  it('no layer imports a layer above it (src/engine never imports src/decode)', () => {
    const bad: string[] = [];
    let scanned = 0;
    for (const f of files(SRC)) {
      const from = layerOf(f);
      if (!from) continue;
      for (const spec of importsOf(readFileSync(f, 'utf8'))) {
        scanned++;
        const to = layerOf(resolve(dirname(f), spec));
        if (to && LAYERS.indexOf(to) < LAYERS.indexOf(from)) bad.push(`${relative(SRC, f)} imports ${spec} (${from} -> ${to})`);
      }
    }
    expect(scanned).toBeGreaterThan(50); // the scan saw the code
    expect(bad).toEqual([]);
  });
});
