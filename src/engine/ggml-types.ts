// ggml tensor types: ids as in GGUF files, block sizes and block bytes.
export enum GGMLType {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15, BF16 = 30,
}

export interface TypeInfo { name: string; blockSize: number; blockBytes: number }

const INFO: Record<number, TypeInfo> = {
  [GGMLType.F32]: { name: 'F32', blockSize: 1, blockBytes: 4 },
  [GGMLType.F16]: { name: 'F16', blockSize: 1, blockBytes: 2 },
  [GGMLType.BF16]: { name: 'BF16', blockSize: 1, blockBytes: 2 },
  [GGMLType.Q4_0]: { name: 'Q4_0', blockSize: 32, blockBytes: 18 },
  [GGMLType.Q4_1]: { name: 'Q4_1', blockSize: 32, blockBytes: 20 },
  [GGMLType.Q5_0]: { name: 'Q5_0', blockSize: 32, blockBytes: 22 },
  [GGMLType.Q5_1]: { name: 'Q5_1', blockSize: 32, blockBytes: 24 },
  [GGMLType.Q8_0]: { name: 'Q8_0', blockSize: 32, blockBytes: 34 },
  [GGMLType.Q8_1]: { name: 'Q8_1', blockSize: 32, blockBytes: 36 },
  [GGMLType.Q2_K]: { name: 'Q2_K', blockSize: 256, blockBytes: 84 },
  [GGMLType.Q3_K]: { name: 'Q3_K', blockSize: 256, blockBytes: 110 },
  [GGMLType.Q4_K]: { name: 'Q4_K', blockSize: 256, blockBytes: 144 },
  [GGMLType.Q5_K]: { name: 'Q5_K', blockSize: 256, blockBytes: 176 },
  [GGMLType.Q6_K]: { name: 'Q6_K', blockSize: 256, blockBytes: 210 },
  [GGMLType.Q8_K]: { name: 'Q8_K', blockSize: 256, blockBytes: 292 },
};

export function typeInfo(t: number): TypeInfo | undefined {
  return INFO[t];
}

export function typeName(t: number): string {
  return INFO[t]?.name ?? `type#${t}`;
}

/** Bytes of a row of n values; n must be a multiple of the block size. */
export function rowBytes(t: number, n: number): number {
  const i = INFO[t];
  if (!i) throw new Error(`unknown ggml type ${t}`);
  return (n / i.blockSize) * i.blockBytes;
}

/** Types the engine computes with (what real Q8_0 and Q4_K_M files contain). */
export const SUPPORTED_TYPES: readonly GGMLType[] = [
  GGMLType.F32, GGMLType.F16, GGMLType.BF16, GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q5_0, GGMLType.Q4_K, GGMLType.Q6_K,
];
