// The backend names: the one list `--backend` flags and study configs choose from. Opening a
// backend by name is backend/choose.ts's (auto needs the adapter probe).
import type { Backend } from './backend.ts';

export const BACKEND_NAMES = ['auto', 'webgpu', 'fast', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** A name `auto` resolves to: the backends that exist. */
export type ConcreteBackendName = Exclude<BackendName, 'auto'>;

// The list and the backends' own names agree (Backend sits in core and cannot import this list):
// a backend added without a name here, or a name here without a backend, fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const LIST_MATCHES_BACKENDS: Same<ConcreteBackendName, Backend['name']> = true;

export const isBackendName = (s: unknown): s is BackendName => (BACKEND_NAMES as readonly unknown[]).includes(s);

/** What each name means, for --help (a new name must say what it is). */
export const BACKEND_ABOUT: Record<BackendName, string> = {
  auto: 'webgpu on a GPU, fast on a CPU',
  webgpu: '',
  fast: 'SIMD CPU',
  cpu: 'reference loops',
};
