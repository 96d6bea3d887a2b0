// The fast CPU backend's one wasm module: every SIMD kernel's functions, compiled once per
// process and shared (WebAssembly.Module is cloneable to workers).
import { ATTENTION_IMPORTS, attentionFns } from './attention.ts';
import { type GemmMutant, gemmFns } from './gemm.ts';
import { rowFns } from './rows.ts';
import { moduleBytes } from './wasmEmit.ts';

/** wasm32 addresses at most 4 GiB (65536 pages of 64 KiB); the reservation is virtual. */
export const MAX_PAGES = 65536;

export interface FastModule {
  module: WebAssembly.Module;
  /** Export names in function order: the index is what a job names. */
  names: string[];
}

let compiled: FastModule | null = null;

/** Functions the module imports from JavaScript, by name: what every instance is given. */
const IMPORTS = ATTENTION_IMPORTS;

export function importObject(memory: WebAssembly.Memory): Record<string, Record<string, unknown>> {
  return { env: { memory, exp: Math.exp, log: Math.log } };
}

function build(mutant?: GemmMutant): FastModule {
  // function indices count the imports first: gemm calls its helpers by index
  const fns = [...gemmFns(IMPORTS.length, mutant), ...attentionFns(), ...rowFns()];
  return { module: new WebAssembly.Module(moduleBytes(fns, 1, MAX_PAGES, IMPORTS)), names: fns.map((f) => f.name) };
}

/** The module (with a deliberately broken gemm when `mutant` is given: tests only). */
export function fastModule(mutant?: GemmMutant): FastModule {
  if (mutant) return build(mutant);
  compiled ??= build();
  return compiled;
}
