// The `webgpu` binding drives pending promises by re-arming the global setImmediate (~100k
// times per wait measured here), which pins one of the two cores that lavapipe needs. While
// heed waits on the GPU, re-arms run as usual for a spin window, after which they are deferred
// to 1 ms timers (the JS thread then idles at a few % CPU and lavapipe gets the core back).
// The window adapts: short waits (a decode step, a few ms) are spun through, since a 1 ms
// timer tick would be a large share of them; long waits (a big matmul) spin only briefly.
// Measured (bench/RESULTS.md): on a 600 ms kernel, main-thread CPU 450 ms -> 10 ms and wall
// 615 ms -> 385 ms against plain awaiting. This must be installed before 'webgpu' is imported.
export const pollTuning = {
  /** Spin at least this long. */
  minSpinMs: 0.5,
  /** Spin through waits expected to end within this. */
  maxSpinMs: 8,
};
const realSetImmediate = globalThis.setImmediate;
let waiting = 0;
let waitStart = 0;
let spinMs = pollTuning.minSpinMs;
let typicalWaitMs = 0; // running average of recent waits

let installed = false;
export function installPolling(): void {
  if (installed) return;
  installed = true;
  const patched = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (waiting > 0 && performance.now() - waitStart > spinMs) {
      setTimeout(fn, 1, ...args);
      // The binding ignores the handle; return a real Immediate-shaped object for other callers.
      return realSetImmediate(() => {});
    }
    return realSetImmediate(fn, ...args);
  }) as unknown as typeof setImmediate;
  globalThis.setImmediate = patched;
}

/** Awaits a GPU promise with the adaptive spin-then-timer strategy. */
export async function gpuWait<T>(p: Promise<T>): Promise<T> {
  if (waiting++ === 0) {
    waitStart = performance.now();
    const expect = 1.3 * typicalWaitMs;
    spinMs = expect <= pollTuning.maxSpinMs ? Math.max(pollTuning.minSpinMs, expect) : pollTuning.minSpinMs;
  }
  try {
    return await p;
  } finally {
    if (--waiting === 0) {
      const took = performance.now() - waitStart;
      typicalWaitMs = typicalWaitMs === 0 ? took : 0.8 * typicalWaitMs + 0.2 * took;
    }
  }
}
