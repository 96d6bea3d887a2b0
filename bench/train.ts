// Training-step throughput: forward + backward + AdamW on one fixed batch, for stories260K
// ([8, 64] tokens) and a ~15M-parameter Llama (dim 288, 6 layers, 32k vocab; [4, 128]), on each
// backend, with the achieved FLOP/s as a fraction of the best matmul's GFLOP/s (1024³) on the
// same adapter in the same run. With --peer PYTHON, bench/peers/train_torch.py (CPU torch) runs
// the same models and batches interleaved with heed's rounds, and the ratio is printed.
// A third case is heed-base's pretraining step ([16, 256], clip 1 then AdamW). --backend picks
// the backends (auto by default; all = cpu, webgpu and fast); --profile adds a per-op profile.
// Run: npx tsx bench/train.ts [--json] [--peer /tmp/heed-peers-venv/bin/python] [--rounds N] [--steps N] [--backend all] [--profile] [--only heed-base,...]
//      (or: npx heed bench train ...)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/backend/backend.ts';
import { cpu } from '../src/backend/cpu/cpu.ts';
import { webgpu } from '../src/backend/webgpu/webgpu.ts';
import { type Tensor, fromArray, scope, scopeAsync, zeroGrad } from '../src/core/tensor.ts';
import { clipGradNorm } from '../src/ops/optim.ts';
import type { BackendName } from '../src/backend/byName.ts';
import { backendOf, chooseBackend } from '../src/backend/choose.ts';
import { backendName } from '../src/cli/flags.ts';
import { fast } from '../src/backend/fast/fast.ts';
import { Profiler } from './stepProfile.ts';
import { readCheckpoint } from '../src/load/pretrained.ts';
import type { LlamaConfig } from '../src/nn/config.ts';
import { Llama } from '../src/nn/llama.ts';
import { matmul } from '../src/ops/matmul.ts';
import { randn } from '../src/core/random.ts';
import { AdamWState } from '../src/train/optimizer.ts';
import { dataPath } from '../src/util/dataRoot.ts';

export interface TrainBenchRow {
  impl: 'heed' | 'torch';
  model: string;
  backend: string;
  device: string;
  B: number;
  T: number;
  params: number;
  msPerStep: number;
  tokPerSec: number;
  /** Achieved GFLOP/s of the step (model FLOPs, see stepFlops). */
  gflops: number;
  /** gflops ÷ the best 1024³ matmul GFLOP/s on the same adapter in the same run (heed only). */
  ofMatmul?: number;
}

export interface BenchCase {
  name: string;
  config: LlamaConfig;
  B: number;
  T: number;
  /** Global gradient-norm clip before AdamW (pretraining's step); 0 = none. */
  clip: number;
}

export function cases(): BenchCase[] {
  const s260 = readCheckpoint(dataPath('llama2c-stories260K', 'stories260K.bin')).config;
  const m15: LlamaConfig = {
    dim: 288,
    nLayers: 6,
    nHeads: 6,
    nKvHeads: 6,
    hiddenDim: 768,
    vocabSize: 32000,
    maxSeqLen: 256,
    ropeTheta: 10000,
    ropeLayout: 'half',
    normEps: 1e-5,
    tiedEmbeddings: true,
  };
  // heed-base's shape and step (PRETRAIN_CPU: dim 128 × 4 layers, untied, vocab 4096; [16, 256]; AdamW after a clip at 1)
  const base: LlamaConfig = {
    dim: 128,
    nLayers: 4,
    nHeads: 4,
    nKvHeads: 4,
    hiddenDim: 344,
    vocabSize: 4096,
    maxSeqLen: 256,
    ropeTheta: 10000,
    ropeLayout: 'half',
    normEps: 1e-5,
    tiedEmbeddings: false,
  };
  return [
    { name: 'stories260K', config: s260, B: 8, T: 64, clip: 0 },
    { name: 'llama-15M', config: m15, B: 4, T: 128, clip: 0 },
    { name: 'heed-base', config: base, B: 16, T: 256, clip: 1 },
  ];
}

/** Model FLOPs of one training step: 6 · tokens · (matmul weights, head included) plus causal
 *  attention 6 · B · T² · dim · layers (QKᵀ and PV, half the square, ×3 for the backward). */
export function stepFlops(c: LlamaConfig, B: number, T: number): number {
  const hd = c.dim / c.nHeads;
  const perLayer = c.dim * c.nHeads * hd + 2 * c.dim * c.nKvHeads * hd + c.nHeads * hd * c.dim + 3 * c.dim * c.hiddenDim;
  const matmulParams = c.nLayers * perLayer + c.vocabSize * c.dim;
  return 6 * B * T * matmulParams + 6 * B * T * T * c.dim * c.nLayers;
}

/** The same deterministic token batch as the torch peer. */
export function batchIds(B: number, T: number, vocab: number): Int32Array {
  return Int32Array.from({ length: B * (T + 1) }, (_, i) => (i * 7919 + 13) % vocab);
}

async function measureHeed(b: Backend, c: BenchCase, steps: number, prof?: Profiler): Promise<Omit<TrainBenchRow, 'ofMatmul'>> {
  const model = new Llama(c.config, b, { seed: 1 });
  const all = batchIds(c.B, c.T, c.config.vocabSize);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let r = 0; r < c.B; r++)
    for (let t = 0; t < c.T; t++) {
      xs.push(all[r * (c.T + 1) + t]!);
      ys.push(all[r * (c.T + 1) + t + 1]!);
    }
  const x = fromArray(Int32Array.from(xs), [c.B, c.T], { dtype: 'i32', backend: b }).keep();
  const y = fromArray(Int32Array.from(ys), [c.B, c.T], { dtype: 'i32', backend: b }).keep();
  const names = [...model.namedParameters().keys()];
  const params = model.parameters();
  const opt = new AdamWState(names, params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const phases = { forward: 0, backward: 0, optimizer: 0 };
  const timed = async (phase: keyof typeof phases, f: () => void) => {
    const t = performance.now();
    f();
    if (prof) await b.sync(); // only when profiling: a sync splits WebGPU's pipelined work
    phases[phase] += performance.now() - t;
  };
  const step = async (i: number) => {
    await scopeAsync(async () => {
      let loss: Tensor | undefined;
      await timed('forward', () => (loss = model.loss(x, y)));
      await timed('backward', () => loss!.backward());
      await timed('optimizer', () => {
        if (c.clip > 0)
          clipGradNorm(
            params.map((p) => p.grad),
            c.clip,
          ).dispose();
        opt.update(1e-4, i);
      });
    });
    zeroGrad(params);
    await b.sync();
  };
  await step(1); // warm-up: pipelines compiled, pool filled
  await step(2);
  phases.forward = phases.backward = phases.optimizer = 0;
  prof?.start();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step(3 + i);
  const ms = (performance.now() - t0) / steps;
  if (prof) prof.report(`${c.name} [${c.B}, ${c.T}] on ${b.name}`, steps, ms, phases);
  opt.dispose();
  x.dispose();
  y.dispose();
  model.dispose();
  const flops = stepFlops(c.config, c.B, c.T);
  return {
    impl: 'heed',
    model: c.name,
    backend: b.name,
    device: b.device,
    B: c.B,
    T: c.T,
    params: model.numParameters(),
    msPerStep: ms,
    tokPerSec: (c.B * c.T) / (ms / 1000),
    gflops: flops / (ms / 1e3) / 1e9,
  };
}

/** Best-of-3 GFLOP/s of a 1024³ product on the backend (the reference the step is measured against). */
async function matmulGflops(b: Backend): Promise<number> {
  const n = 1024;
  const a = randn([n, n], { backend: b, seed: 1 }).keep();
  const w = randn([n, n], { backend: b, seed: 2 }).keep();
  scope(() => matmul(a, w)); // warm-up
  await b.sync();
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const reps = 4;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) scope(() => matmul(a, w));
    await b.sync();
    best = Math.max(best, (2 * n ** 3 * reps) / ((performance.now() - t0) / 1e3) / 1e9);
  }
  a.dispose();
  w.dispose();
  return best;
}

function runPeer(python: string, c: BenchCase, steps: number): TrainBenchRow {
  const script = fileURLToPath(new URL('./peers/train_torch.py', import.meta.url));
  const out = execFileSync(python, [script, '--json', '--model', c.name, '--steps', String(steps)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return (JSON.parse(out) as TrainBenchRow[])[0]!;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface TrainBenchOptions {
  json?: boolean;
  peer?: string;
  rounds?: number;
  steps?: number;
  /** auto (default), webgpu, fast, cpu, or all: every backend (cpu on stories260K only), the
   *  torch peer interleaved with the fast one. */
  backend?: BackendName | 'all';
  /** Print time per op kind and per phase for each case and backend (one extra round). */
  profile?: boolean;
  /** Only these cases (by name; default all). */
  only?: string[];
}

async function backendsFor(which: BackendName | 'all'): Promise<{ list: Backend[]; why: string }> {
  if (which === 'all') return { list: [cpu, fast(), await webgpu()], why: 'all backends' };
  const choice = await chooseBackend(which);
  return { list: [await backendOf(choice.name)], why: choice.reason };
}

/** `--backend` of bench train: a backend name (checked by the one --backend parser) or all. */
export const trainBackends = (v: string | undefined): BackendName | 'all' => (v === 'all' ? 'all' : backendName(v));

/** The benchmark's case names, in order. */
export const TRAIN_CASES = ['stories260K', 'llama-15M', 'heed-base'] as const;

/** --only's list: each name one of TRAIN_CASES (a typo would silently bench nothing). */
export function trainCases(v: string): string[] {
  const names = v.split(',').map((x) => x.trim());
  for (const n of names)
    if (!(TRAIN_CASES as readonly string[]).includes(n))
      throw new Error(`--only: unknown case "${n}" (choose from ${TRAIN_CASES.join(', ')})`);
  return names;
}

export async function benchTrain(opts: TrainBenchOptions = {}): Promise<TrainBenchRow[]> {
  const { list, why } = await backendsFor(opts.backend ?? 'auto');
  const rounds = opts.rounds ?? 3;
  const steps = opts.steps ?? 5;
  const say = (s: string) => {
    if (!opts.json) console.log(s);
  };
  say(`backends: ${list.map((b) => `${b.name} (${b.device})`).join('; ')}: ${why}`);
  say(
    `forward + backward + AdamW on one fixed batch; ${steps} timed steps per round, median of ${rounds} rounds${opts.peer ? ', torch peer interleaved with the first non-reference backend' : ''}\n`,
  );
  const mm = new Map<Backend, number>();
  for (const b of list) {
    if (b === cpu) continue;
    mm.set(b, await matmulGflops(b));
    say(`best matmul on ${b.name} (1024³, this run): ${mm.get(b)!.toFixed(1)} GFLOP/s`);
  }
  say('');
  const peerWith = list.find((b) => b !== cpu);
  const rows: TrainBenchRow[] = [];
  for (const c of cases().filter((x) => !opts.only || opts.only.includes(x.name))) {
    const backends = list.filter((b) => b !== cpu || c.name === 'stories260K'); // the CPU reference needs ~1 min per 15M step
    for (const b of backends) {
      const heed: Omit<TrainBenchRow, 'ofMatmul'>[] = [];
      const peer: TrainBenchRow[] = [];
      for (let r = 0; r < (b === cpu ? 1 : rounds); r++) {
        heed.push(await measureHeed(b, c, b === cpu ? 2 : steps));
        if (opts.peer && b === peerWith) peer.push(runPeer(opts.peer, c, steps));
      }
      const ms = median(heed.map((h) => h.msPerStep));
      const best = heed.find((h) => h.msPerStep === ms)!;
      const m = mm.get(b);
      const row: TrainBenchRow = { ...best, ...(m ? { ofMatmul: best.gflops / m } : {}) };
      rows.push(row);
      say(
        `heed  ${c.name.padEnd(11)} ${b.name.padEnd(6)} [${c.B}, ${c.T}]  ${row.msPerStep.toFixed(1).padStart(8)} ms/step  ${row.tokPerSec.toFixed(0).padStart(6)} tok/s  ${row.gflops.toFixed(2)} GFLOP/s${row.ofMatmul !== undefined ? ` (${(100 * row.ofMatmul).toFixed(1)}% of matmul)` : ''}`,
      );
      if (peer.length) {
        const pm = median(peer.map((p) => p.msPerStep));
        const p = peer.find((q) => q.msPerStep === pm)!;
        rows.push(p);
        say(
          `torch ${c.name.padEnd(11)} ${p.backend.padEnd(6)} [${c.B}, ${c.T}]  ${p.msPerStep.toFixed(1).padStart(8)} ms/step  ${p.tokPerSec.toFixed(0).padStart(6)} tok/s  ${p.gflops.toFixed(2)} GFLOP/s   heed ${b.name}/torch = ${(p.msPerStep / row.msPerStep).toFixed(2)}x`,
        );
      }
      if (opts.profile) await measureHeed(b, c, b === cpu ? 1 : steps, new Profiler(b, say));
    }
  }
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { benchMain } = await import('../src/cli/bench.ts');
  await benchMain('train');
}
