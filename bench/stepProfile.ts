// Where a training step's time goes, per op kind and per phase, on any backend. On the
// synchronous backends (cpu, fast) every kernel launch is timed on the wall clock, so per-phase
// host overhead (graph building, allocation, scopes: everything that is not a kernel) is the
// phase's time minus its kernels'. On WebGPU kernel times are GPU timestamps (one pass per
// dispatch while profiling, which itself slows the step) and the phases are timed with a sync
// after each.
import type { Backend, Kernel, Storage } from '../src/backend/backend.ts';
import type { WebGPUBackend } from '../src/backend/webgpu/webgpu.ts';

export type Phases = { forward: number; backward: number; optimizer: number };

export class Profiler {
  private readonly kernels = new Map<string, { count: number; ms: number }>();
  private restore: (() => void) | null = null;

  constructor(
    private readonly b: Backend,
    private readonly say: (s: string) => void,
  ) {}

  start(): void {
    this.kernels.clear();
    if (this.b.name === 'webgpu') {
      const g = this.b as WebGPUBackend;
      g.kernelTimes.clear();
      g.setProfiling(true);
      this.restore = () => g.setProfiling(false);
      return;
    }
    const b = this.b;
    const run = b.run;
    b.run = <P>(k: Kernel<P>, inputs: Storage[], outputs: Storage[], p: P): void => {
      const t = performance.now();
      run.call(b, k, inputs, outputs, p);
      const e = this.kernels.get(k.name) ?? { count: 0, ms: 0 };
      e.count++;
      e.ms += performance.now() - t;
      this.kernels.set(k.name, e);
    };
    this.restore = () => {
      b.run = run;
    };
  }

  report(title: string, steps: number, msPerStep: number, phases: Phases): void {
    this.restore?.();
    this.restore = null;
    if (this.b.name === 'webgpu') {
      for (const [name, e] of (this.b as WebGPUBackend).kernelTimes) this.kernels.set(name, { count: e.count, ms: e.ns / 1e6 });
    }
    const rows = [...this.kernels.entries()].sort((x, y) => y[1].ms - x[1].ms);
    const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
    const f = (ms: number) => `${ms.toFixed(1)} ms (${((100 * ms) / msPerStep).toFixed(0)}%)`;
    const ph = (x: number) => x / steps;
    const other = msPerStep - ph(phases.forward) - ph(phases.backward) - ph(phases.optimizer);
    this.say(
      `\nprofile: ${title}: ${msPerStep.toFixed(1)} ms/step${this.b.name === 'webgpu' ? ' (GPU timestamps; profiling slows WebGPU)' : ''}`,
    );
    this.say(
      `  phases: forward ${f(ph(phases.forward))}, backward ${f(ph(phases.backward))}, optimizer+clip ${f(ph(phases.optimizer))}, rest (zeroGrad, scope, sync) ${f(other)}`,
    );
    this.say(`  kernels ${f(kernelMs)}; host overhead (everything else) ${f(msPerStep - kernelMs)}`);
    this.say('  | kernel | launches/step | ms/step | share of step |');
    this.say('  |---|---|---|---|');
    for (const [name, e] of rows)
      this.say(
        `  | ${name} | ${(e.count / steps).toFixed(0)} | ${(e.ms / steps).toFixed(2)} | ${((100 * e.ms) / steps / msPerStep).toFixed(1)}% |`,
      );
  }
}
