// Matmul throughput: naive WGSL vs the best WGSL kernel vs the CPU reference, GFLOP/s.
// `npx tsx bench/matmul.ts [--json]`, or `heed bench matmul`.
import type { Backend } from '../src/backend/backend.ts';
import { cpu } from '../src/backend/cpu/cpu.ts';
import { webgpu } from '../src/backend/webgpu/webgpu.ts';
import { type Tensor, fromArray, noGrad } from '../src/core/tensor.ts';
import { type MatmulKernel, matmul, matmulPath } from '../src/ops/matmul.ts';

interface Case {
  name: string;
  M: number;
  K: number;
  N: number;
  transB: boolean;
}

interface Timing {
  best: number;
  median: number;
}

export interface MatmulResult extends Case {
  kernel: string;
  naive: Timing;
  best: Timing;
  cpu: Timing | null;
}

const CPU_MAX = 512;
const REPEATS = 7;
/** Each timed repeat submits enough products to run for about this long, then waits once. */
const TARGET_MS = 150;

function cases(sizes: number[]): Case[] {
  return [
    ...sizes.map((n) => ({ name: `${n}³`, M: n, K: n, N: n, transB: false })),
    { name: 'q/k/v-ish [512×288]·[768×288]ᵀ', M: 512, K: 288, N: 768, transB: true },
    { name: 'ffn down [512×768]·[768×288]', M: 512, K: 768, N: 288, transB: false },
    { name: 'vocab head [64×288]·[32000×288]ᵀ', M: 64, K: 288, N: 32000, transB: true },
  ];
}

function randomTensor(shape: number[], b: Backend): Tensor {
  const n = shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.random() * 2 - 1;
  return fromArray(data, shape, { backend: b });
}

const gflops = (c: Case, ms: number) => (2 * c.M * c.N * c.K) / (ms * 1e6);

function summarise(c: Case, msPerRun: number[]): Timing {
  const s = [...msPerRun].sort((x, y) => x - y);
  return { best: gflops(c, s[0]!), median: gflops(c, s[Math.floor(s.length / 2)]!) };
}

async function timeGpu(b: Backend, c: Case, a: Tensor, w: Tensor, kernel: MatmulKernel): Promise<Timing> {
  const once = () => matmul(a, w, { transB: c.transB, kernel }).dispose();
  // The first dispatch compiles the pipeline (up to seconds on lavapipe): not timed.
  once();
  await b.sync();
  let t = performance.now();
  once();
  await b.sync();
  const single = performance.now() - t;
  const iters = Math.max(1, Math.min(50, Math.round(TARGET_MS / Math.max(0.01, single))));
  const runs: number[] = [];
  // multi-second runs (naive 2048³) get fewer repeats so the whole table stays in minutes
  for (let r = 0; r < (single > 1000 ? 3 : REPEATS); r++) {
    t = performance.now();
    for (let i = 0; i < iters; i++) once();
    await b.sync();
    runs.push((performance.now() - t) / iters);
  }
  return summarise(c, runs);
}

function timeCpu(c: Case): Timing {
  const a = randomTensor([c.M, c.K], cpu);
  const w = randomTensor(c.transB ? [c.N, c.K] : [c.K, c.N], cpu);
  const runs: number[] = [];
  for (let r = 0; r < 2; r++) {
    const t = performance.now();
    matmul(a, w, { transB: c.transB }).dispose();
    runs.push(performance.now() - t);
  }
  a.dispose();
  w.dispose();
  return summarise(c, runs);
}

const f1 = (x: number) => x.toFixed(1);
const cell = (t: Timing | null) => (t ? `${f1(t.best)} / ${f1(t.median)}` : '—');

export async function benchMatmul(opts: { json?: boolean; sizes?: number[] } = {}): Promise<void> {
  const b = await webgpu();
  const results: MatmulResult[] = [];
  if (!opts.json) {
    console.log(`adapter: ${b.device}`);
    console.log('GFLOP/s, best / median over repeats (f32)\n');
    console.log('| product | naive WGSL | best WGSL | kernel | CPU reference | best ÷ naive (median) |');
    console.log('|---|---|---|---|---|---|');
  }
  for (const c of cases(opts.sizes ?? [256, 512, 1024, 2048])) {
    const a = randomTensor([c.M, c.K], b);
    const w = randomTensor(c.transB ? [c.N, c.K] : [c.K, c.N], b);
    const res = await noGrad(async () => {
      const naive = await timeGpu(b, c, a, w, 'naive');
      const best = await timeGpu(b, c, a, w, 'auto');
      const cpuT = c.M <= CPU_MAX && c.N <= CPU_MAX * 2 && c.K <= CPU_MAX * 2 ? timeCpu(c) : null;
      const kernel = matmulPath(a, w, { transB: c.transB });
      return { ...c, kernel, naive, best, cpu: cpuT };
    });
    a.dispose();
    w.dispose();
    results.push(res);
    if (!opts.json) {
      console.log(`| ${c.name} | ${cell(res.naive)} | ${cell(res.best)} | ${res.kernel} | ${cell(res.cpu)} | ${f1(res.best.median / res.naive.median)}× |`);
    }
  }
  if (opts.json) console.log(JSON.stringify({ adapter: b.device, date: new Date().toISOString(), results }, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.find((x) => x.startsWith('--sizes='))?.slice(8).split(',').map(Number);
  await benchMatmul({ json: process.argv.includes('--json'), ...(sizes ? { sizes } : {}) });
  process.exit(0);
}
