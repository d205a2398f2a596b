// Which device an engine runs on: the request ('auto' | 'cpu' | 'cuda', from the caller, else
// SPECEDIT_DEVICE, else 'auto') against what the addon's CUDA probe found. 'auto' takes a usable
// GPU and otherwise the CPU, keeping the reason; an explicit 'cuda' without one is an error.
// The default became 'auto' once the CUDA backend passed scripts/gpu-check.sh on an H200.

export type DeviceRequest = 'auto' | 'cpu' | 'cuda';
export const DEVICE_REQUESTS: readonly DeviceRequest[] = ['auto', 'cpu', 'cuda'];

/** What the native addon's cudaProbe() reports. */
export interface CudaProbe {
  /** the addon was compiled with the CUDA backend */
  built: boolean;
  /** a device this build can run on */
  usable: boolean;
  /** the CUDA runtime's error code (0 when usable or not built) */
  code: number;
  /** why not usable: 'built without CUDA' | 'no driver' | 'driver too old' | 'no device' | 'capability too old' | 'cuda error' */
  reason: string;
  /** the runtime's own message */
  detail: string;
  name: string;
  /** compute capability, "9.0" */
  capability: string;
  /** device memory, bytes */
  memory: number;
  runtimeVersion: number;
  driverVersion: number;
}

export type DeviceInfo =
  | { kind: 'cuda'; name: string; capability: string; memory: number }
  /** reason: why the GPU is not used ('requested' when the CPU was asked for) */
  | { kind: 'cpu'; isa: string; reason: string; detail?: string };

/** The request's device could not be had; `code` is stable for callers and tests. */
export class DeviceError extends Error {
  readonly code = 'cuda_unavailable';
  constructor(readonly reason: string, readonly detail: string) {
    super(`CUDA requested but not usable: ${reason}${detail ? ` (${detail})` : ''}; use --device cpu or auto`);
    this.name = 'DeviceError';
  }
}

/** 'auto' | 'cpu' | 'cuda' from a flag or environment value; throws naming where it came from. */
export function parseDevice(v: string, where: string): DeviceRequest {
  if ((DEVICE_REQUESTS as readonly string[]).includes(v)) return v as DeviceRequest;
  throw new RangeError(`${where} must be one of ${DEVICE_REQUESTS.join(', ')} (got "${v}")`);
}

/** The request to use when the caller gave none: SPECEDIT_DEVICE, else 'auto' (see above). */
export function defaultDevice(env: NodeJS.ProcessEnv = process.env): DeviceRequest {
  const v = env.SPECEDIT_DEVICE;
  return v ? parseDevice(v, 'SPECEDIT_DEVICE') : 'auto';
}

export type DeviceChoice = { backend: 'cuda' } | { backend: 'cpu'; reason: string; detail?: string };

/**
 * The backend a request gets, given the probe (called only when the request may use the GPU:
 * a 'cpu' request never loads the driver).
 */
export function chooseDevice(req: DeviceRequest, probe: () => CudaProbe): DeviceChoice {
  if (req === 'cpu') return { backend: 'cpu', reason: 'requested' };
  const p = probe();
  if (p.usable) return { backend: 'cuda' };
  if (req === 'cuda') throw new DeviceError(p.reason, p.detail);
  return { backend: 'cpu', reason: p.reason, detail: p.detail || undefined };
}

/** "cuda NVIDIA H200 (9.0, 140 GiB)" or "cpu avx512 (GPU not used: no driver)", for log lines. */
export function describeDevice(d: DeviceInfo): string {
  if (d.kind === 'cuda') return `cuda ${d.name} (${d.capability}, ${Math.round(d.memory / 2 ** 30)} GiB)`;
  return d.reason === 'requested' ? `cpu ${d.isa}` : `cpu ${d.isa} (GPU not used: ${d.reason})`;
}
