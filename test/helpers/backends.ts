// One test file covers every backend: `forBackends(name, (getB) => { ... })` runs the suite on
// the CPU reference, on WebGPU and on the fast CPU backend (SIMD128 wasm on worker threads). If
// no WebGPU adapter exists the suite fails loudly (never skips).
import { describe } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import type { ConcreteBackendName } from '../../src/backend/byName.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { fast } from '../../src/backend/fast/fast.ts';
import { webgpu } from '../../src/backend/webgpu/webgpu.ts';

export type GetBackend = () => Backend;
export type BackendKind = ConcreteBackendName;

let gpuBackend: Backend | null = null;
export async function gpu(): Promise<Backend> {
  gpuBackend ??= await webgpu();
  return gpuBackend;
}

export function forBackends(name: string, body: (getB: GetBackend, kind: BackendKind) => void): void {
  describe(`${name} [cpu]`, () => body(() => cpu, 'cpu'));
  describe(`${name} [webgpu]`, () => {
    // beforeAll is registered by the body through getB(); acquire lazily and cache.
    body(() => {
      if (!gpuBackend) throw new Error('webgpu backend not initialised: call `await gpu()` in beforeAll');
      return gpuBackend;
    }, 'webgpu');
  });
  // the process-wide fast backend with 3 threads (an uneven split, even on a 1-core machine) that
  // takes the threaded path for every launch, however small
  describe(`${name} [fast]`, () => body(() => fast({ threads: 3, parallelMinWork: 0 }), 'fast'));
}
