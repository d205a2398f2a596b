// Files as bytes: what encoding a file is in, its text for merging, and the same bytes back.
// A file is decoded only where the bytes say how (UTF-8, a BOM) or the user does (--encoding
// latin1); anything else is refused, never rewritten through U+FFFD.

export type Encoding = 'utf8' | 'utf8-bom' | 'utf16le' | 'utf16be' | 'latin1';

export type Decoded =
  | { ok: true; text: string; encoding: Encoding }
  | { ok: false; code: 'unsupported_encoding' | 'binary_file'; message: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Offset of the first byte that is not valid UTF-8: where a lossy round trip first differs. */
function firstInvalid(bytes: Buffer): number {
  const back = Buffer.from(bytes.toString('utf8'), 'utf8');
  let i = 0;
  while (i < bytes.length && bytes[i] === back[i]) i++;
  return i;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Decode a file's bytes. `latin1`: bytes that are not UTF-8 are read as ISO-8859-1 (every byte
 * is a character), and written back the same way.
 */
export function decodeFile(bytes: Buffer, o: { latin1?: boolean } = {}): Decoded {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    const text = utf8(bytes.subarray(3));
    if (text !== null) return { ok: true, text, encoding: 'utf8-bom' };
    return { ok: false, code: 'unsupported_encoding', message: 'the file starts with a UTF-8 byte order mark but is not valid UTF-8' };
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    if (bytes.length % 2 !== 0) return { ok: false, code: 'unsupported_encoding', message: 'the file has a UTF-16 byte order mark but an odd number of bytes' };
    const le = bytes[0] === 0xff;
    const body = Buffer.from(bytes.subarray(2));
    if (!le) body.swap16();
    const text = body.toString('utf16le');
    // lone surrogates would not come back as the same bytes
    if (loneSurrogate.test(text)) return { ok: false, code: 'unsupported_encoding', message: 'the file is not well-formed UTF-16' };
    return { ok: true, text, encoding: le ? 'utf16le' : 'utf16be' };
  }
  if (bytes.includes(0)) return { ok: false, code: 'binary_file', message: 'binary file (contains NUL bytes)' };
  const text = utf8(bytes);
  if (text !== null) return { ok: true, text, encoding: 'utf8' };
  if (o.latin1) return { ok: true, text: bytes.toString('latin1'), encoding: 'latin1' };
  const at = firstInvalid(bytes);
  const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
  return {
    ok: false,
    code: 'unsupported_encoding',
    message: `the file is not valid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, '0')} on line ${line}); nothing was written. If it is Latin-1 (ISO-8859-1), pass --encoding latin1`,
  };
}

export class UnencodableError extends Error {
  readonly code = 'unsupported_encoding';
}

/** The text in the file's own encoding: untouched lines come back byte for byte. */
export function encodeFile(text: string, encoding: Encoding): Buffer {
  switch (encoding) {
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'utf8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf16le':
    case 'utf16be': {
      const body = Buffer.from(text, 'utf16le');
      if (encoding === 'utf16be') body.swap16();
      return Buffer.concat([Buffer.from(encoding === 'utf16le' ? [0xff, 0xfe] : [0xfe, 0xff]), body]);
    }
    case 'latin1': {
      const bad = /[^\u0000-\u00ff]/u.exec(text);
      if (bad) {
        const line = text.slice(0, bad.index).split('\n').length;
        throw new UnencodableError(`the merged text has ${JSON.stringify(bad[0])} on line ${line}, which Latin-1 cannot hold; nothing was written`);
      }
      return Buffer.from(text, 'latin1');
    }
  }
}
