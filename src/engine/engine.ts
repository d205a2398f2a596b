// TypeScript driver of the native engine: opens a GGUF model, flattens a step's sequences
// into one batch, and returns per-row argmax / top-k / logits. Forward calls run off the
// JavaScript thread and are serialized; KV block allocation stays in TypeScript.
import { availableParallelism } from 'node:os';
import { readGGUFHeader, type GGUFFile } from './gguf.js';
import { readConfig, modelTensors, type ModelConfig } from './config.js';
import { Tokenizer } from './tokenizer.js';
import { BlockAllocator } from './kv-blocks.js';
import { loadAddon, type NativeEngineInstance } from './native.js';
import { chooseDevice, defaultDevice, type DeviceInfo, type DeviceRequest } from './device.js';

export interface EngineOptions {
  /** KV pool size in blocks (default: enough for 8192 tokens) */
  numBlocks?: number;
  /** tokens per KV block, a multiple of 16 (default 16) */
  blockSize?: number;
  kvType?: 'f16' | 'int8';
  threads?: number;
  /** force a kernel set: 'auto' (default), 'scalar', 'avx2', 'avx512', 'amx' (AVX-512 with AMX tiles) */
  isa?: 'auto' | 'scalar' | 'avx2' | 'avx512' | 'amx';
  /** 'hugepages' (default): the mmapped file is copied into 2 MiB pages (decode is TLB-bound on
   *  4 KiB page-cache pages); 'mmap': weights are used in place from the mapping */
  weights?: 'hugepages' | 'mmap';
  /** default SPECEDIT_DEVICE, else 'cpu'. 'auto': a usable CUDA GPU, else the CPU; 'cuda': the GPU
   *  or an error (DeviceError, code 'cuda_unavailable'); 'cpu': the CPU kernels */
  device?: DeviceRequest;
  /** which CUDA device (default 0) */
  cudaDevice?: number;
}

export interface SeqInput {
  /** new tokens of this sequence */
  tokens: ArrayLike<number>;
  /** position of tokens[0] (= tokens already in the cache) */
  pos: number;
  /** KV block ids covering positions [0, pos + tokens.length) */
  blockTable: ArrayLike<number>;
  /** indices into `tokens` whose next-token predictions are wanted (default: the last) */
  outputRows?: number[];
  /** also return the k highest logits of each output row */
  topK?: number;
  /** also return each output row's full logits */
  wantLogits?: boolean;
}

export interface RowResult {
  /** index into the sequence's tokens */
  row: number;
  argmax: number;
  topK?: { ids: Int32Array; logits: Float32Array };
  logits?: Float32Array;
}

export interface ForwardResult {
  /** per sequence, per requested row */
  seqs: RowResult[][];
}

export class Engine {
  readonly blocks: BlockAllocator;
  private native: NativeEngineInstance;
  private queue: Promise<unknown> = Promise.resolve();
  private tok?: Tokenizer;
  /** where forward() runs, and for the CPU why the GPU is not used */
  readonly device: DeviceInfo;

  private constructor(readonly path: string, readonly gguf: GGUFFile, readonly config: ModelConfig, o: Required<EngineOptions>) {
    const addon = loadAddon();
    const tensors = modelTensors(gguf, config);
    const choice = chooseDevice(o.device, () => addon.cudaProbe(o.cudaDevice));
    this.native = new addon.NativeEngine(path, config, tensors, { ...o, device: choice.backend });
    this.blocks = new BlockAllocator(o.numBlocks, o.blockSize);
    if (choice.backend === 'cuda') {
      const p = addon.cudaProbe(o.cudaDevice);
      this.device = { kind: 'cuda', name: p.name, capability: p.capability, memory: p.memory };
    } else {
      this.device = { kind: 'cpu', isa: this.native.info().isa, reason: choice.reason, ...(choice.detail ? { detail: choice.detail } : {}) };
    }
  }

  static open(path: string, opts: EngineOptions = {}): Engine {
    const gguf = readGGUFHeader(path);
    const config = readConfig(gguf);
    const blockSize = opts.blockSize ?? 16;
    return new Engine(path, gguf, config, {
      blockSize,
      numBlocks: opts.numBlocks ?? Math.ceil(8192 / blockSize),
      kvType: opts.kvType ?? 'f16',
      threads: opts.threads ?? availableParallelism(),
      isa: opts.isa ?? 'auto',
      weights: opts.weights ?? 'hugepages',
      device: opts.device ?? defaultDevice(),
      cudaDevice: opts.cudaDevice ?? 0,
    });
  }

  get tokenizer(): Tokenizer {
    this.tok ??= Tokenizer.fromGGUF(this.gguf);
    return this.tok;
  }

  get blockSize(): number {
    return this.blocks.blockSize;
  }

  info() {
    return this.native.info();
  }

  /** One forward pass over all sequences' new tokens (prefill chunk, decode or verification). */
  forward(batch: { seqs: SeqInput[] }): Promise<ForwardResult> {
    const { seqs } = batch;
    let N = 0, BT = 0, R = 0;
    for (const s of seqs) {
      N += s.tokens.length;
      BT += s.blockTable.length;
      R += s.outputRows?.length ?? 1;
    }
    const tokens = new Int32Array(N), seqPos = new Int32Array(seqs.length), seqLen = new Int32Array(seqs.length);
    const blockTables = new Int32Array(BT), blockTableStart = new Int32Array(seqs.length + 1);
    const outRows = new Int32Array(R), outTopK = new Int32Array(R), outLogits = new Uint8Array(R);
    let t = 0, b = 0, r = 0;
    seqs.forEach((s, i) => {
      const rows = s.outputRows ?? [s.tokens.length - 1];
      for (const row of rows) {
        if (!Number.isInteger(row) || row < 0 || row >= s.tokens.length) throw new RangeError(`sequence ${i}: output row ${row} out of range`);
        outRows[r] = t + row;
        outTopK[r] = s.topK ?? 0;
        outLogits[r] = s.wantLogits ? 1 : 0;
        r++;
      }
      tokens.set(Array.from(s.tokens), t);
      t += s.tokens.length;
      seqPos[i] = s.pos;
      seqLen[i] = s.tokens.length;
      blockTableStart[i] = b;
      blockTables.set(Array.from(s.blockTable), b);
      b += s.blockTable.length;
    });
    blockTableStart[seqs.length] = b;
    const run = () =>
      this.native.forward({ tokens, seqPos, seqLen, blockTables, blockTableStart, outRows, outTopK, outLogits }).then((res) => {
        const out: RowResult[][] = [];
        let ri = 0, ko = 0, lo = 0;
        const V = this.config.vocab;
        for (const s of seqs) {
          const rows: RowResult[] = [];
          for (const row of s.outputRows ?? [s.tokens.length - 1]) {
            const rr: RowResult = { row, argmax: res.argmax[ri] };
            const k = s.topK ?? 0;
            if (k > 0) {
              rr.topK = { ids: res.topkIds.slice(ko, ko + k), logits: res.topkLogits.slice(ko, ko + k) };
              ko += k;
            }
            if (s.wantLogits) {
              rr.logits = res.logits.slice(lo, lo + V);
              lo += V;
            }
            rows.push(rr);
            ri++;
          }
          out.push(rows);
        }
        return { seqs: out };
      });
    // validation errors from the binding surface as a rejected promise, like run-time ones
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Copy KV blocks (for copy-on-write of shared prefixes): pairs of [src, dst]. */
  async copyBlocks(pairs: [number, number][]): Promise<void> {
    const flat = new Int32Array(pairs.flat());
    const p = this.queue.then(() => this.native.copyBlocks(flat));
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Return blocks to the pool (the native cache needs no action: blocks are just overwritten). */
  freeBlocks(blocks: Iterable<number>): void {
    this.blocks.release(blocks);
  }

  async close(): Promise<void> {
    await this.queue;
    this.native.close();
  }
}
