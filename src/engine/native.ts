// Loads the native addon (built by `npm run build:native`, or during npm install).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CudaProbe } from './device.js';

export interface NativeForwardBatch {
  tokens: Int32Array;
  seqPos: Int32Array;
  seqLen: Int32Array;
  blockTables: Int32Array;
  blockTableStart: Int32Array;
  outRows: Int32Array;
  outTopK: Int32Array;
  outLogits: Uint8Array;
}

export interface NativeForwardResult {
  argmax: Int32Array;
  topkIds: Int32Array;
  topkLogits: Float32Array;
  logits: Float32Array;
}

export interface NativeEngineInstance {
  forward(batch: NativeForwardBatch): Promise<NativeForwardResult>;
  copyBlocks(pairs: Int32Array): void;
  info(): {
    device: 'cpu' | 'cuda';
    isa: string;
    cpuFeatures: string;
    threads: number;
    kvBytes: number;
    packedWeightBytes: number;
    /** weights (repacked) and norms in device memory, CUDA backend only */
    deviceWeightBytes: number;
    /** the CUDA matmul kernel of quantized matrices: 'mma' (tensor cores) or 'fma' (SPECEDIT_CUDA_MATMUL=fma); '' on the CPU */
    cudaMatmul: string;
    /** CUDA: a shape seen again replays a captured graph (SPECEDIT_CUDA_GRAPHS=0 turns it off) */
    cudaGraphs: boolean;
  };
  close(): void;
}

export interface NativeAddon {
  NativeEngine: new (path: string, config: object, tensors: object[], options: object) => NativeEngineInstance;
  cpuFeatures: string;
  /** one matmul through a chosen kernel set (tests): y[t*rows + o] = W[o]·x[t] */
  /** this machine's streaming-read bandwidth and int8 multiply-add rate (benchmark ceilings) */
  probeCeilings(threads: number, isa: string): { bandwidthGBs: number; int8GMACs: number; isa: string };
  /** swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); throws with code ENOSYS/EINVAL where unsupported */
  exchangePaths(a: string, b: string): void;
  kernelMatmul(isa: string, type: number, weights: Uint8Array, rows: number, cols: number, x: Float32Array): Float32Array;
  /** whether the CUDA backend can run here and, if not, why (the first call loads the driver) */
  cudaProbe(device?: number): CudaProbe;
  /** streaming-read bandwidth of a CUDA device in GB/s (benchmark ceiling); throws without one */
  cudaBandwidth(device: number, bytes: number): number;
  /** the CPU engine's dequantization of a matrix (rows × cols of a GGML type) */
  dequantize(type: number, weights: Uint8Array, rows: number, cols: number): Float32Array;
  /** the same matrix repacked into the CUDA backend's layout and read back through its kernels' loader */
  gpuLayoutDequant(type: number, weights: Uint8Array, rows: number, cols: number): { values: Float32Array; bytes: number };
}

let addon: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (addon) return addon;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = path.resolve(here, '../../native/build/Release/specedit_engine.node');
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (e) {
    throw new Error(`native engine not built (${file}): run \`npm run build:native\` (${(e as Error).message})`);
  }
  return addon;
}
