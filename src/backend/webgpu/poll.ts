// The `webgpu` binding drives pending promises by re-arming the global setImmediate (~100k
// times per wait measured here), which pins one of the two cores that lavapipe needs. While
// heed waits on the GPU, the first SPIN_MS of re-arms run as usual (short waits stay fast),
// after which they are deferred to 1 ms timers. Measured on a 600 ms kernel: main-thread CPU
// 450 ms -> 10 ms, wall 615 ms -> 385 ms. This must be installed before 'webgpu' is imported.
const SPIN_MS = 2;
const realSetImmediate = globalThis.setImmediate;
let waiting = 0;
let waitStart = 0;

export interface WaitStats {
  waits: number;
  spinCalls: number;
  timerCalls: number;
}
export const waitStats: WaitStats = { waits: 0, spinCalls: 0, timerCalls: 0 };

let installed = false;
export function installPolling(): void {
  if (installed) return;
  installed = true;
  const patched = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (waiting > 0 && performance.now() - waitStart > SPIN_MS) {
      waitStats.timerCalls++;
      setTimeout(fn, 1, ...args);
      // The binding ignores the handle; return a real Immediate-shaped object for other callers.
      return realSetImmediate(() => {});
    }
    if (waiting > 0) waitStats.spinCalls++;
    return realSetImmediate(fn, ...args);
  }) as unknown as typeof setImmediate;
  globalThis.setImmediate = patched;
}

/** Awaits a GPU promise with the spin-then-timer strategy. */
export async function gpuWait<T>(p: Promise<T>): Promise<T> {
  if (waiting++ === 0) waitStart = performance.now();
  waitStats.waits++;
  try {
    return await p;
  } finally {
    waiting--;
  }
}
