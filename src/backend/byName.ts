// The backends by name: the one list `--backend` flags and study configs choose from.
import type { Backend } from './backend.ts';
import { cpu } from './cpu/cpu.ts';
import { webgpu } from './webgpu/webgpu.ts';

export const BACKEND_NAMES = ['webgpu', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const isBackendName = (s: unknown): s is BackendName => (BACKEND_NAMES as readonly unknown[]).includes(s);

/** The backend of a name (WebGPU's device is opened on first call and shared). */
export function openBackend(name: BackendName): Promise<Backend> {
  return name === 'cpu' ? Promise.resolve(cpu) : webgpu();
}
