// Which backend a command runs on, and the one place a backend is opened by name. `auto` (the
// default everywhere) takes WebGPU on a real GPU and the fast CPU backend when the only adapter
// is a software rasterizer or there is none: on a CPU, WebGPU runs through an emulator of a GPU,
// which measured 0.08–0.18× CPU PyTorch for a training step where the SIMD kernels run natively
// (bench/RESULTS.md). The names themselves live in backend/byName.ts.
import type { Backend } from './backend.ts';
import type { BackendName, ConcreteBackendName } from './byName.ts';
import { cpu } from './cpu/cpu.ts';
import { fast } from './fast/fast.ts';
import { probeAdapter } from './webgpu/device.ts';
import { webgpu } from './webgpu/webgpu.ts';

/** Adapters that are CPUs pretending to be GPUs. */
export function isSoftwareAdapter(description: string): boolean {
  return /llvmpipe|lavapipe|swiftshader|software rasteri[sz]er/i.test(description);
}

export interface BackendChoice {
  name: ConcreteBackendName;
  /** Why: the adapter seen, or that the name was asked for. */
  reason: string;
}

/** Resolves `auto` to a concrete backend from the adapter Dawn reports (`adapter` is for tests:
 *  a description, or null for none). */
export async function chooseBackend(name: BackendName = 'auto', adapter?: string | null): Promise<BackendChoice> {
  if (name !== 'auto') return { name, reason: `asked for ${name}` };
  const seen = adapter === undefined ? await probeAdapter() : adapter;
  if (seen === null) return { name: 'fast', reason: 'no WebGPU adapter: the SIMD CPU backend' };
  if (isSoftwareAdapter(seen))
    return {
      name: 'fast',
      reason: `the only WebGPU adapter is a software rasterizer (${seen}), which emulates a GPU on the CPU: the SIMD CPU backend runs the CPU natively`,
    };
  return { name: 'webgpu', reason: `a GPU adapter: ${seen}` };
}

/** The backend of a concrete name (WebGPU's device and the fast pool are opened on first use and shared). */
export function backendOf(name: ConcreteBackendName): Promise<Backend> {
  if (name === 'webgpu') return webgpu();
  if (name === 'fast') return Promise.resolve(fast());
  return Promise.resolve(cpu);
}

/** The backend a command runs on, `auto` resolved. */
export async function openBackend(name: BackendName = 'auto'): Promise<Backend> {
  return backendOf((await chooseBackend(name)).name);
}
