// GGUF v3 reader and writer (little-endian). The reader validates everything it
// touches and throws GGUFError naming the problem, so a bad file never becomes a crash
// later in the native loader.
import * as fs from 'node:fs';
import { GGMLType, typeInfo, rowBytes } from './ggml-types.js';

export { GGMLType } from './ggml-types.js';

export const enum ValueType {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
}

export type MetaScalar = number | bigint | boolean | string;
export type MetaValue = MetaScalar | MetaScalar[];

export interface MetaEntry {
  key: string;
  type: ValueType;
  /** element type when type is ARRAY */
  elemType?: ValueType;
  value: MetaValue;
}

export interface TensorInfo {
  name: string;
  /** ne[0] first: the contiguous dimension */
  dims: number[];
  type: GGMLType;
  /** offset from the start of the data section */
  offset: number;
  /** bytes the tensor occupies */
  size: number;
}

export interface GGUFFile {
  version: number;
  metadata: Map<string, MetaEntry>;
  tensors: TensorInfo[];
  alignment: number;
  /** absolute file offset of the data section */
  dataOffset: number;
  fileSize: number;
}

export class GGUFError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GGUFError';
  }
}

const MAGIC = 0x46554747; // "GGUF" read as little-endian u32

class Reader {
  pos = 0;
  private view: DataView;
  private dec = new TextDecoder('utf-8');
  constructor(private buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.buf.byteLength) {
      throw new GGUFError(`truncated file: need ${n} bytes for ${what} at offset ${this.pos}, file has ${this.buf.byteLength}`);
    }
  }
  u8(w: string) { this.need(1, w); return this.view.getUint8(this.pos++); }
  i8(w: string) { this.need(1, w); return this.view.getInt8(this.pos++); }
  u16(w: string) { this.need(2, w); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  i16(w: string) { this.need(2, w); const v = this.view.getInt16(this.pos, true); this.pos += 2; return v; }
  u32(w: string) { this.need(4, w); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  i32(w: string) { this.need(4, w); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  f32(w: string) { this.need(4, w); const v = this.view.getFloat32(this.pos, true); this.pos += 4; return v; }
  f64(w: string) { this.need(8, w); const v = this.view.getFloat64(this.pos, true); this.pos += 8; return v; }
  u64(w: string) { this.need(8, w); const v = this.view.getBigUint64(this.pos, true); this.pos += 8; return v; }
  i64(w: string) { this.need(8, w); const v = this.view.getBigInt64(this.pos, true); this.pos += 8; return v; }
  /** u64 that must fit a JS number (counts, sizes, offsets) */
  size(w: string): number {
    const v = this.u64(w);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GGUFError(`${w} too large: ${v}`);
    return Number(v);
  }
  str(w: string): string {
    const n = this.size(`${w} length`);
    this.need(n, w);
    const s = this.dec.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
}

function readScalar(r: Reader, t: ValueType, w: string): MetaScalar {
  switch (t) {
    case ValueType.U8: return r.u8(w);
    case ValueType.I8: return r.i8(w);
    case ValueType.U16: return r.u16(w);
    case ValueType.I16: return r.i16(w);
    case ValueType.U32: return r.u32(w);
    case ValueType.I32: return r.i32(w);
    case ValueType.F32: return r.f32(w);
    case ValueType.BOOL: return r.u8(w) !== 0;
    case ValueType.STRING: return r.str(w);
    case ValueType.U64: return r.u64(w);
    case ValueType.I64: return r.i64(w);
    case ValueType.F64: return r.f64(w);
    default: throw new GGUFError(`unknown metadata value type ${t} for ${w}`);
  }
}

/** Parse header, metadata and tensor infos; checks every tensor lies inside the file. */
export function parseGGUF(buf: Uint8Array, fileSize = buf.byteLength): GGUFFile {
  const r = new Reader(buf);
  if (buf.byteLength < 4) throw new GGUFError(`truncated file: ${buf.byteLength} bytes, not a GGUF file`);
  const magic = r.u32('magic');
  if (magic !== MAGIC) {
    const got = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new GGUFError(`bad magic: expected 47 47 55 46 ("GGUF"), got ${got}`);
  }
  const version = r.u32('version');
  if (version !== 3 && version !== 2) throw new GGUFError(`unsupported GGUF version ${version} (need 3)`);
  const nTensors = r.size('tensor_count');
  const nKV = r.size('metadata_kv_count');
  const metadata = new Map<string, MetaEntry>();
  for (let i = 0; i < nKV; i++) {
    const key = r.str(`metadata key #${i}`);
    const type = r.u32(`type of ${key}`) as ValueType;
    if (type === ValueType.ARRAY) {
      const elemType = r.u32(`element type of ${key}`) as ValueType;
      const n = r.size(`length of ${key}`);
      if (elemType === ValueType.ARRAY) throw new GGUFError(`nested arrays are not supported (${key})`);
      const value: MetaScalar[] = new Array(n);
      for (let j = 0; j < n; j++) value[j] = readScalar(r, elemType, key);
      metadata.set(key, { key, type, elemType, value });
    } else {
      metadata.set(key, { key, type, value: readScalar(r, type, key) });
    }
  }
  const alignEntry = metadata.get('general.alignment');
  const alignment = alignEntry ? Number(alignEntry.value) : 32;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new GGUFError(`general.alignment must be a power of two, got ${alignment}`);
  }
  const tensors: TensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str(`tensor name #${i}`);
    const nd = r.u32(`n_dims of ${name}`);
    if (nd < 1 || nd > 4) throw new GGUFError(`tensor ${name}: bad n_dims ${nd}`);
    const dims: number[] = [];
    for (let d = 0; d < nd; d++) dims.push(r.size(`dim ${d} of ${name}`));
    const type = r.u32(`type of ${name}`) as GGMLType;
    const offset = r.size(`offset of ${name}`);
    const ti = typeInfo(type);
    if (!ti) throw new GGUFError(`tensor ${name}: unknown ggml type ${type}`);
    if (dims[0] % ti.blockSize !== 0) {
      throw new GGUFError(`tensor ${name}: ne[0]=${dims[0]} is not a multiple of ${ti.name} block size ${ti.blockSize}`);
    }
    if (offset % alignment !== 0) throw new GGUFError(`tensor ${name}: offset ${offset} not aligned to ${alignment}`);
    const nrows = dims.slice(1).reduce((a, b) => a * b, 1);
    tensors.push({ name, dims, type, offset, size: rowBytes(type, dims[0]) * nrows });
  }
  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  for (const t of tensors) {
    const end = dataOffset + t.offset + t.size;
    if (end > fileSize) {
      throw new GGUFError(`truncated file: tensor ${t.name} ends at byte ${end}, file has ${fileSize}`);
    }
  }
  return { version, metadata, tensors, alignment, dataOffset, fileSize };
}

export function readGGUFFile(path: string): { gguf: GGUFFile; buf: Buffer } {
  const buf = fs.readFileSync(path);
  return { gguf: parseGGUF(buf), buf };
}

/** Parse only the header of a (possibly huge) file: reads growing prefixes until it parses. */
export function readGGUFHeader(path: string): GGUFFile {
  const fileSize = fs.statSync(path).size;
  const fd = fs.openSync(path, 'r');
  try {
    for (let n = Math.min(fileSize, 1 << 22); ; n = Math.min(fileSize, n * 4)) {
      const buf = Buffer.alloc(n);
      fs.readSync(fd, buf, 0, n, 0);
      try {
        return parseGGUF(buf, fileSize);
      } catch (e) {
        // a prefix cut inside the header looks truncated: read more unless we already read it all
        if (!(e instanceof GGUFError) || n === fileSize || !e.message.startsWith('truncated file: need')) throw e;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Bytes of one tensor's data. */
export function tensorData(g: GGUFFile, buf: Uint8Array, name: string): Uint8Array {
  const t = g.tensors.find((x) => x.name === name);
  if (!t) throw new GGUFError(`missing tensor ${name}`);
  return buf.subarray(g.dataOffset + t.offset, g.dataOffset + t.offset + t.size);
}

// ---------------------------------------------------------------- metadata helpers

export const meta = {
  u32: (key: string, value: number): MetaEntry => ({ key, type: ValueType.U32, value }),
  i32: (key: string, value: number): MetaEntry => ({ key, type: ValueType.I32, value }),
  f32: (key: string, value: number): MetaEntry => ({ key, type: ValueType.F32, value }),
  bool: (key: string, value: boolean): MetaEntry => ({ key, type: ValueType.BOOL, value }),
  str: (key: string, value: string): MetaEntry => ({ key, type: ValueType.STRING, value }),
  strs: (key: string, value: string[]): MetaEntry => ({ key, type: ValueType.ARRAY, elemType: ValueType.STRING, value }),
  i32s: (key: string, value: number[]): MetaEntry => ({ key, type: ValueType.ARRAY, elemType: ValueType.I32, value }),
  f32s: (key: string, value: number[]): MetaEntry => ({ key, type: ValueType.ARRAY, elemType: ValueType.F32, value }),
};

export function getMeta(g: GGUFFile, key: string): MetaValue | undefined {
  return g.metadata.get(key)?.value;
}

// ---------------------------------------------------------------- writer

/** Little-endian writer into one growing buffer (metadata of real vocabularies has ~10^6 values). */
class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private enc = new TextEncoder();
  private reserve(n: number) {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  get bytes(): Uint8Array { return this.buf.subarray(0, this.length); }
  push(b: Uint8Array) { this.reserve(b.length); this.buf.set(b, this.length); this.length += b.length; }
  u8(v: number) { this.reserve(1); this.view.setUint8(this.length, v); this.length += 1; }
  i8(v: number) { this.reserve(1); this.view.setInt8(this.length, v); this.length += 1; }
  u16(v: number) { this.reserve(2); this.view.setUint16(this.length, v, true); this.length += 2; }
  i16(v: number) { this.reserve(2); this.view.setInt16(this.length, v, true); this.length += 2; }
  u32(v: number) { this.reserve(4); this.view.setUint32(this.length, v, true); this.length += 4; }
  i32(v: number) { this.reserve(4); this.view.setInt32(this.length, v, true); this.length += 4; }
  f32(v: number) { this.reserve(4); this.view.setFloat32(this.length, v, true); this.length += 4; }
  f64(v: number) { this.reserve(8); this.view.setFloat64(this.length, v, true); this.length += 8; }
  u64(v: number | bigint) { this.reserve(8); this.view.setBigUint64(this.length, BigInt(v), true); this.length += 8; }
  i64(v: number | bigint) { this.reserve(8); this.view.setBigInt64(this.length, BigInt(v), true); this.length += 8; }
  str(s: string) {
    this.reserve(8 + s.length * 3);
    const { written } = this.enc.encodeInto(s, this.buf.subarray(this.length + 8));
    this.view.setBigUint64(this.length, BigInt(written), true);
    this.length += 8 + written;
  }
}

function writeScalar(w: Writer, t: ValueType, v: MetaScalar, key: string): void {
  switch (t) {
    case ValueType.U8: return w.u8(Number(v));
    case ValueType.I8: return w.i8(Number(v));
    case ValueType.U16: return w.u16(Number(v));
    case ValueType.I16: return w.i16(Number(v));
    case ValueType.U32: return w.u32(Number(v));
    case ValueType.I32: return w.i32(Number(v));
    case ValueType.F32: return w.f32(Number(v));
    case ValueType.BOOL: return w.u8(v ? 1 : 0);
    case ValueType.STRING: return w.str(String(v));
    case ValueType.U64: return w.u64(v as number | bigint);
    case ValueType.I64: return w.i64(v as number | bigint);
    case ValueType.F64: return w.f64(Number(v));
    default: throw new GGUFError(`cannot write value type ${t} for ${key}`);
  }
}

export interface TensorToWrite {
  name: string;
  dims: number[];
  type: GGMLType;
  /** the bytes, or a function producing them when written (keeps big models out of memory) */
  data: Uint8Array | (() => Uint8Array);
}

/**
 * Which part of the file one writeGGUF call writes, so that several processes can fill one large
 * file together: `header` writes the header and sizes the file (tensor data left as zeros),
 * `tensors` writes the data of the tensors whose index it keeps at their offsets, into a file
 * another call has sized. Without it, one call writes the whole file.
 */
export type GGUFPart = { header: true } | { tensors: (index: number) => boolean };

/**
 * Write a GGUF v3 file. Tensors are written one by one so that large generated
 * models never need the whole file in memory.
 */
export function writeGGUF(path: string, metadata: MetaEntry[], tensors: TensorToWrite[], alignment = 32, part?: GGUFPart): void {
  const w = new Writer();
  w.u32(MAGIC);
  w.u32(3);
  w.u64(tensors.length);
  const entries = metadata.filter((m) => m.key !== 'general.alignment');
  if (alignment !== 32) entries.push(meta.u32('general.alignment', alignment));
  w.u64(entries.length);
  for (const m of entries) {
    w.str(m.key);
    w.u32(m.type);
    if (m.type === ValueType.ARRAY) {
      const arr = m.value as MetaScalar[];
      w.u32(m.elemType!);
      w.u64(arr.length);
      for (const v of arr) writeScalar(w, m.elemType!, v, m.key);
    } else {
      writeScalar(w, m.type, m.value as MetaScalar, m.key);
    }
  }
  let offset = 0, end = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const nrows = t.dims.slice(1).reduce((a, b) => a * b, 1);
    const expect = rowBytes(t.type, t.dims[0]) * nrows;
    if (t.data instanceof Uint8Array && t.data.byteLength !== expect) {
      throw new GGUFError(`tensor ${t.name}: ${t.data.byteLength} bytes given, ${expect} expected for ${typeInfo(t.type)?.name} ${t.dims}`);
    }
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    offsets.push(offset);
    end = offset + expect;
    offset = Math.ceil((offset + expect) / alignment) * alignment;
  }
  const pad = Math.ceil(w.length / alignment) * alignment - w.length;
  w.push(new Uint8Array(pad));
  const dataStart = w.length;
  const dataOf = (t: TensorToWrite): Uint8Array => {
    const data = t.data instanceof Uint8Array ? t.data : t.data();
    const nrows = t.dims.slice(1).reduce((a, b) => a * b, 1);
    if (data.byteLength !== rowBytes(t.type, t.dims[0]) * nrows) throw new GGUFError(`tensor ${t.name}: wrong data size ${data.byteLength}`);
    return data;
  };
  if (part && 'tensors' in part) {
    const fd = fs.openSync(path, 'r+');
    try {
      tensors.forEach((t, i) => { if (part.tensors(i)) fs.writeSync(fd, dataOf(t), 0, undefined, dataStart + offsets[i]); });
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
  const fd = fs.openSync(path, 'w');
  try {
    fs.writeSync(fd, w.bytes);
    if (part?.header) {
      fs.ftruncateSync(fd, dataStart + end);
      return;
    }
    let pos = 0;
    tensors.forEach((t, i) => {
      const data = dataOf(t);
      if (offsets[i] > pos) fs.writeSync(fd, new Uint8Array(offsets[i] - pos));
      fs.writeSync(fd, data);
      pos = offsets[i] + data.byteLength;
    });
  } finally {
    fs.closeSync(fd);
  }
}
