// Training-step throughput: forward + backward + AdamW on one fixed batch, for stories260K
// ([8, 64] tokens) and a ~15M-parameter Llama (dim 288, 6 layers, 32k vocab; [4, 128]), on each
// backend, with the achieved FLOP/s as a fraction of the best matmul's GFLOP/s (1024³) on the
// same adapter in the same run. With --peer PYTHON, bench/peers/train_torch.py (CPU torch) runs
// the same models and batches interleaved with heed's rounds, and the ratio is printed.
// Run: npx tsx bench/train.ts [--json] [--peer /tmp/heed-peers-venv/bin/python] [--rounds N]
//      (or: npx heed bench train ...)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/backend/backend.ts';
import { cpu } from '../src/backend/cpu/cpu.ts';
import { webgpu } from '../src/backend/webgpu/webgpu.ts';
import { fromArray, scope, scopeAsync, zeroGrad } from '../src/core/tensor.ts';
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

export interface BenchCase { name: string; config: LlamaConfig; B: number; T: number }

export function cases(): BenchCase[] {
  const s260 = readCheckpoint(dataPath('llama2c-stories260K', 'stories260K.bin')).config;
  const m15: LlamaConfig = {
    dim: 288, nLayers: 6, nHeads: 6, nKvHeads: 6, hiddenDim: 768, vocabSize: 32000, maxSeqLen: 256,
    ropeTheta: 10000, ropeLayout: 'half', normEps: 1e-5, tiedEmbeddings: true,
  };
  return [{ name: 'stories260K', config: s260, B: 8, T: 64 }, { name: 'llama-15M', config: m15, B: 4, T: 128 }];
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

async function measureHeed(b: Backend, c: BenchCase, steps: number): Promise<Omit<TrainBenchRow, 'ofMatmul'>> {
  const model = new Llama(c.config, b, { seed: 1 });
  const all = batchIds(c.B, c.T, c.config.vocabSize);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let r = 0; r < c.B; r++) for (let t = 0; t < c.T; t++) {
    xs.push(all[r * (c.T + 1) + t]!);
    ys.push(all[r * (c.T + 1) + t + 1]!);
  }
  const x = fromArray(Int32Array.from(xs), [c.B, c.T], { dtype: 'i32', backend: b }).keep();
  const y = fromArray(Int32Array.from(ys), [c.B, c.T], { dtype: 'i32', backend: b }).keep();
  const names = [...model.namedParameters().keys()];
  const params = model.parameters();
  const opt = new AdamWState(names, params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const step = async (i: number) => {
    await scopeAsync(async () => {
      model.loss(x, y).backward();
      opt.update(1e-4, i);
    });
    zeroGrad(params);
    await b.sync();
  };
  await step(1); // warm-up: pipelines compiled, pool filled
  await step(2);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step(3 + i);
  const ms = (performance.now() - t0) / steps;
  opt.dispose();
  x.dispose();
  y.dispose();
  model.dispose();
  const flops = stepFlops(c.config, c.B, c.T);
  return {
    impl: 'heed', model: c.name, backend: b.name, device: b.device, B: c.B, T: c.T, params: model.numParameters(),
    msPerStep: ms, tokPerSec: (c.B * c.T) / (ms / 1000), gflops: flops / (ms / 1e3) / 1e9,
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
  const out = execFileSync(python, [script, '--json', '--model', c.name, '--steps', String(steps)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return (JSON.parse(out) as TrainBenchRow[])[0]!;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchTrain(opts: { json?: boolean; peer?: string; rounds?: number; steps?: number } = {}): Promise<TrainBenchRow[]> {
  const g = await webgpu();
  const rounds = opts.rounds ?? 3;
  const steps = opts.steps ?? 5;
  const say = (s: string) => {
    if (!opts.json) console.log(s);
  };
  say(`adapter: ${g.device}\nforward + backward + AdamW on one fixed batch; ${steps} timed steps per round, median of ${rounds} rounds${opts.peer ? ', torch peer interleaved' : ''}\n`);
  const mm = await matmulGflops(g);
  say(`best matmul on this adapter (1024³, this run): ${mm.toFixed(1)} GFLOP/s\n`);
  const rows: TrainBenchRow[] = [];
  for (const c of cases()) {
    const backends: Backend[] = c.name === 'llama-15M' ? [g] : [cpu, g]; // the CPU reference needs ~1 min per 15M step
    for (const b of backends) {
      const heed: Omit<TrainBenchRow, 'ofMatmul'>[] = [];
      const peer: TrainBenchRow[] = [];
      for (let r = 0; r < (b === cpu ? 1 : rounds); r++) {
        heed.push(await measureHeed(b, c, b === cpu ? 2 : steps));
        if (opts.peer && b === g) peer.push(runPeer(opts.peer, c, steps));
      }
      const ms = median(heed.map((h) => h.msPerStep));
      const row: TrainBenchRow = { ...heed.find((h) => h.msPerStep === ms)!, ...(b === g ? { ofMatmul: heed.find((h) => h.msPerStep === ms)!.gflops / mm } : {}) };
      rows.push(row);
      say(`heed  ${c.name.padEnd(11)} ${b.name.padEnd(6)} [${c.B}, ${c.T}]  ${row.msPerStep.toFixed(1).padStart(8)} ms/step  ${row.tokPerSec.toFixed(0).padStart(6)} tok/s  ${row.gflops.toFixed(2)} GFLOP/s${row.ofMatmul !== undefined ? ` (${(100 * row.ofMatmul).toFixed(1)}% of matmul)` : ''}`);
      if (peer.length) {
        const pm = median(peer.map((p) => p.msPerStep));
        const p = peer.find((q) => q.msPerStep === pm)!;
        rows.push(p);
        say(`torch ${c.name.padEnd(11)} ${p.backend.padEnd(6)} [${c.B}, ${c.T}]  ${p.msPerStep.toFixed(1).padStart(8)} ms/step  ${p.tokPerSec.toFixed(0).padStart(6)} tok/s  ${p.gflops.toFixed(2)} GFLOP/s   heed/torch = ${(p.msPerStep / row.msPerStep).toFixed(2)}x`);
      }
    }
  }
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = process.argv;
  const at = (f: string) => (a.includes(f) ? a[a.indexOf(f) + 1] : undefined);
  await benchTrain({ json: a.includes('--json'), ...(at('--peer') ? { peer: at('--peer')! } : {}), ...(at('--rounds') ? { rounds: Number(at('--rounds')) } : {}) });
  process.exit(0);
}
