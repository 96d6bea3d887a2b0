// One test file covers both backends: `forBackends(name, (getB) => { ... })` runs the suite on
// the CPU reference and on WebGPU. If no WebGPU adapter exists the suite fails loudly (never skips).
import { describe } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { webgpu } from '../../src/backend/webgpu/webgpu.ts';

export type GetBackend = () => Backend;

let gpuBackend: Backend | null = null;
export async function gpu(): Promise<Backend> {
  gpuBackend ??= await webgpu();
  return gpuBackend;
}

export function forBackends(name: string, body: (getB: GetBackend, kind: 'cpu' | 'webgpu') => void): void {
  describe(`${name} [cpu]`, () => body(() => cpu, 'cpu'));
  describe(`${name} [webgpu]`, () => {
    // beforeAll is registered by the body through getB(); acquire lazily and cache.
    body(() => {
      if (!gpuBackend) throw new Error('webgpu backend not initialised: call `await gpu()` in beforeAll');
      return gpuBackend;
    }, 'webgpu');
  });
}
