// Which backend a command runs on. `auto` (the default everywhere) takes WebGPU on a real GPU
// and the fast CPU backend when the only adapter is a software rasterizer or there is none:
// on a CPU, WebGPU runs through an emulator of a GPU, which measured 0.08–0.18× CPU PyTorch for
// a training step where the SIMD kernels run natively (bench/RESULTS.md).
import type { Backend } from './backend.ts';
import { cpu } from './cpu/cpu.ts';
import { fast } from './fast/fast.ts';
import { probeAdapter } from './webgpu/device.ts';
import { webgpu } from './webgpu/webgpu.ts';

export const BACKEND_NAMES = ['auto', 'webgpu', 'fast', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** One line for --help: what each name means. */
export const BACKEND_HELP = 'auto (default: webgpu on a GPU, fast on a CPU), webgpu, fast (SIMD CPU) or cpu (reference loops)';

/** Adapters that are CPUs pretending to be GPUs. */
export function isSoftwareAdapter(description: string): boolean {
  return /llvmpipe|lavapipe|swiftshader|software rasteri[sz]er/i.test(description);
}

export interface BackendChoice {
  name: Exclude<BackendName, 'auto'>;
  /** Why: the adapter seen, or that the name was asked for. */
  reason: string;
}

/** Refuses anything but a known name; undefined means auto. */
export function parseBackendName(name: string | undefined, what = '--backend'): BackendName {
  if (name === undefined || name === '') return 'auto';
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new Error(`${what}: unknown backend "${name}" (choose ${BACKEND_NAMES.join(', ')})`);
  return name as BackendName;
}

/** Resolves `auto` to a concrete backend from the adapter Dawn reports (`adapter` is for tests:
 *  a description, or null for none). */
export async function chooseBackend(name: string | undefined = 'auto', adapter?: string | null): Promise<BackendChoice> {
  const n = parseBackendName(name);
  if (n !== 'auto') return { name: n, reason: `asked for ${n}` };
  const seen = adapter === undefined ? await probeAdapter() : adapter;
  if (seen === null) return { name: 'fast', reason: 'no WebGPU adapter: the SIMD CPU backend' };
  if (isSoftwareAdapter(seen)) return { name: 'fast', reason: `the only WebGPU adapter is a software rasterizer (${seen}), which emulates a GPU on the CPU: the SIMD CPU backend runs the CPU natively` };
  return { name: 'webgpu', reason: `a GPU adapter: ${seen}` };
}

/** The backend a command runs on, from its --backend value (undefined: auto). */
export async function openBackend(name: string | undefined): Promise<Backend> {
  const c = await chooseBackend(name);
  if (c.name === 'webgpu') return webgpu();
  if (c.name === 'fast') return fast();
  return cpu;
}
