// Device selection: the request ('auto' | 'cpu' | 'cuda') against the CUDA probe, with fake
// probes for every reason, then the real addon on this machine.
import { afterAll, describe, expect, it } from 'vitest';
import { chooseDevice, defaultDevice, DeviceError, describeDevice, parseDevice, type CudaProbe } from '../../src/engine/device.js';
import { Engine } from '../../src/engine/engine.js';
import { loadAddon } from '../../src/engine/native.js';
import { tinyModel } from './helpers.js';

const probe = (o: Partial<CudaProbe>): (() => CudaProbe) => () => ({
  built: true, usable: false, code: 0, reason: '', detail: '', name: '', capability: '', memory: 0, runtimeVersion: 13000, driverVersion: 0, ...o,
});
const H200 = probe({ usable: true, name: 'NVIDIA H200', capability: '9.0', memory: 150e9, driverVersion: 13000 });
const UNUSABLE: [string, Partial<CudaProbe>][] = [
  ['built without CUDA', { built: false, reason: 'built without CUDA', detail: 'compiled without nvcc' }],
  ['no driver', { code: 35, reason: 'no driver', detail: 'cudaErrorInsufficientDriver: CUDA driver version is insufficient' }],
  ['driver too old', { code: 35, reason: 'driver too old', driverVersion: 12020, detail: 'cudaErrorInsufficientDriver' }],
  ['no device', { code: 100, reason: 'no device', driverVersion: 13000, detail: 'cudaErrorNoDevice' }],
  ['capability too old', { reason: 'capability too old', name: 'Tesla T4', capability: '7.5', detail: 'compute capability 7.5 (needs 8.0 or newer)' }],
];

describe('chooseDevice', () => {
  it('auto takes a usable GPU; cuda too', () => {
    expect(chooseDevice('auto', H200)).toEqual({ backend: 'cuda' });
    expect(chooseDevice('cuda', H200)).toEqual({ backend: 'cuda' });
  });

  for (const [reason, p] of UNUSABLE) {
    it(`${reason}: auto falls back to the CPU saying why; cuda is an error with code cuda_unavailable`, () => {
      expect(chooseDevice('auto', probe(p))).toEqual({ backend: 'cpu', reason, detail: p.detail });
      let err: unknown;
      try { chooseDevice('cuda', probe(p)); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as DeviceError).code).toBe('cuda_unavailable');
      expect((err as DeviceError).reason).toBe(reason);
      expect((err as Error).message).toContain(`CUDA requested but not usable: ${reason}`);
    });
  }

  it('cpu never probes (the driver is not loaded for a CPU engine)', () => {
    expect(chooseDevice('cpu', () => { throw new Error('probed'); })).toEqual({ backend: 'cpu', reason: 'requested' });
  });

  it('parseDevice and SPECEDIT_DEVICE accept auto, cpu, cuda and name the source of anything else', () => {
    expect(parseDevice('cuda', '--device')).toBe('cuda');
    expect(() => parseDevice('gpu', '--device')).toThrow(/--device must be one of auto, cpu, cuda \(got "gpu"\)/);
    expect(defaultDevice({})).toBe('auto');
    expect(defaultDevice({ SPECEDIT_DEVICE: 'cpu' })).toBe('cpu');
    expect(defaultDevice({ SPECEDIT_DEVICE: 'auto' })).toBe('auto');
    expect(() => defaultDevice({ SPECEDIT_DEVICE: 'tpu' })).toThrow(/SPECEDIT_DEVICE must be one of/);
  });

  it('describeDevice says which device and, for the CPU, why not the GPU', () => {
    expect(describeDevice({ kind: 'cuda', name: 'NVIDIA H200', capability: '9.0', memory: 150_000_000_000 })).toBe('cuda NVIDIA H200 (9.0, 140 GiB)');
    expect(describeDevice({ kind: 'cpu', isa: 'avx512', reason: 'no driver' })).toBe('cpu avx512 (GPU not used: no driver)');
    expect(describeDevice({ kind: 'cpu', isa: 'avx2', reason: 'requested' })).toBe('cpu avx2');
  });
});

describe('the addon on this machine', () => {
  const addon = loadAddon();
  const real = addon.cudaProbe(0);
  const engines: Engine[] = [];
  afterAll(async () => { for (const e of engines) await e.close(); });
  const open = (o: Parameters<typeof Engine.open>[1]) => { const e = Engine.open(tinyModel({ arch: 'qwen2', type: 'q8_0' }), { numBlocks: 8, threads: 1, ...o }); engines.push(e); return e; };

  it('the probe answers without throwing, with a known reason when the GPU is not usable', () => {
    expect(typeof real.usable).toBe('boolean');
    if (!real.usable) expect(['built without CUDA', 'no driver', 'driver too old', 'no device', 'capability too old', 'cuda error']).toContain(real.reason);
    // a CUDA build on a machine without libcuda: the runtime reports an insufficient driver of version 0
    if (real.built && real.driverVersion === 0) expect({ reason: real.reason, code: real.code }).toEqual({ reason: 'no driver', code: 35 });
  });

  it.skipIf(real.usable)(`auto without a usable GPU runs on the CPU and says why (${real.reason || 'GPU usable: skipped'})`, async () => {
    const e = open({ device: 'auto' });
    expect(e.device).toMatchObject({ kind: 'cpu', reason: real.reason });
    expect(e.device.kind === 'cpu' && e.device.isa).toBe(e.info().isa);
    expect(e.info().device).toBe('cpu');
    const r = await e.forward({ seqs: [{ tokens: [1, 2, 3], pos: 0, blockTable: [0] }] });
    expect(r.seqs[0][0].argmax).toBeGreaterThanOrEqual(0);
  });

  it.skipIf(real.usable)('explicit cuda without a usable GPU fails to open, with code cuda_unavailable', () => {
    expect(() => open({ device: 'cuda' })).toThrow(DeviceError);
    expect(() => open({ device: 'cuda' })).toThrow(new RegExp(`not usable: ${real.reason}`));
  });

  it('device cpu is the CPU whatever the machine has, reason "requested"', () => {
    const e = open({ device: 'cpu' });
    expect(e.device).toEqual({ kind: 'cpu', isa: e.info().isa, reason: 'requested' });
  });
});
