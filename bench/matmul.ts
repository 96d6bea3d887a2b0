// Matmul throughput: naive WGSL vs the best WGSL kernel vs the CPU reference, GFLOP/s.
// `npx tsx bench/matmul.ts [--json] [--peers]`, or `heed bench matmul [--peers]`.
// --peers: heed's best kernel against tfjs-wasm (bench/peers/tfjsWasm.ts) in this process, on the
// same inputs, alternating one timed repeat of each, and the ratio heed ÷ tfjs per product.
import { cpus, loadavg } from 'node:os';
import type { Backend } from '../src/backend/backend.ts';
import { cpu } from '../src/backend/cpu/cpu.ts';
import { FastBackend, fast } from '../src/backend/fast/fast.ts';
import { webgpu } from '../src/backend/webgpu/webgpu.ts';
import { type Tensor, fromArray, noGrad } from '../src/core/tensor.ts';
import { type MatmulKernel, matmul, matmulPath } from '../src/ops/matmul.ts';
import { type Peer, tfjsWasm } from './peers/tfjsWasm.ts';

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
      console.log(
        `| ${c.name} | ${cell(res.naive)} | ${cell(res.best)} | ${res.kernel} | ${cell(res.cpu)} | ${f1(res.best.median / res.naive.median)}× |`,
      );
    }
  }
  if (opts.json) console.log(JSON.stringify({ adapter: b.device, date: new Date().toISOString(), results }, null, 2));
}

// ---- side by side with a peer ------------------------------------------------------------------

/** Rows of the model products: one training step of [8, 64] (stories260K) or [4, 128] (dim 288). */
const MODEL_ROWS = 512;

/** x·Wᵀ with W [out, in] kept (a parameter), as the model runs it. */
function linear(name: string, inDim: number, outDim: number): Case {
  return { name: `${name} [${MODEL_ROWS}×${inDim}]·[${outDim}×${inDim}]ᵀ`, M: MODEL_ROWS, K: inDim, N: outDim, transB: true };
}

/** 512³–2048³ and every projection of stories260K (dim 64, hidden 172, kv dim 32, vocab 512) and of
 *  the dim-288 config (hidden 768, 6 heads, vocab 32000). */
export function peerCases(sizes = [512, 1024, 2048]): Case[] {
  return [
    ...sizes.map((n) => ({ name: `${n}³`, M: n, K: n, N: n, transB: false })),
    linear('260K q/o', 64, 64),
    linear('260K k/v', 64, 32),
    linear('260K ffn up', 64, 172),
    linear('260K ffn down', 172, 64),
    linear('260K vocab head', 64, 512),
    linear('288 q/k/v/o', 288, 288),
    linear('288 ffn up', 288, 768),
    linear('288 ffn down', 768, 288),
    linear('288 vocab head', 288, 32000),
  ];
}

export interface Contestant {
  name: string;
  /** heed's matmul path, or the peer's description. */
  path: string;
  /** Median GFLOP/s (wall clock) over the rounds. */
  gflops: number;
  /** Median GFLOP per CPU-second of this process (all threads: heed's includes lavapipe's). */
  perCpuS: number;
}

export interface PeerResult extends Case {
  contestants: Contestant[];
  /** Median over rounds of heed ÷ peer (wall clock) measured in the same round (the first heed). */
  ratio: number;
  /** The same for every heed contestant, in order. */
  ratios: number[];
  /** The same for GFLOP per CPU-second: the kernels' efficiency, less sensitive to other load. */
  cpuRatio: number;
  /** Largest |heed − peer| relative to max |C| (the two computed the same product). */
  relErr: number;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/** Products per timed repeat so one repeat lasts about TARGET_MS (after a warm-up call). */
async function calibrate(step: (iters: number) => Promise<void>): Promise<number> {
  await step(1); // compiles / warms
  const t = performance.now();
  await step(1);
  const single = performance.now() - t;
  return Math.max(1, Math.min(50, Math.round(TARGET_MS / Math.max(0.01, single))));
}

/** The [cols, rows] transpose of a row-major [rows, cols] matrix. */
function transposed(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  return out;
}

interface Runner {
  name: string;
  path: string;
  step(iters: number): Promise<void>;
  iters: number;
  wallMs: number[];
  cpuMs: number[];
}

async function timeRepeat(r: Runner): Promise<void> {
  const c0 = process.cpuUsage();
  const t = performance.now();
  await r.step(r.iters);
  const c = process.cpuUsage(c0);
  r.wallMs.push((performance.now() - t) / r.iters);
  r.cpuMs.push((c.user + c.system) / 1e3 / r.iters);
}

/** One heed contestant: a backend (and kernel choice) under a label. */
export interface Heed {
  label: string;
  b: Backend;
  kernel: MatmulKernel;
}

async function peerCase(heeds: Heed[], peer: Peer, c: Case, rounds: number): Promise<PeerResult> {
  const aData = new Float32Array(c.M * c.K).map(() => Math.random() * 2 - 1);
  const bData = new Float32Array(c.K * c.N).map(() => Math.random() * 2 - 1);
  const operands = heeds.map((h) => {
    const a = fromArray(aData, [c.M, c.K], { backend: h.b });
    const w = fromArray(bData, c.transB ? [c.N, c.K] : [c.K, c.N], { backend: h.b });
    if (c.transB) w.keep(); // a parameter: the model's path (cached transposed copy when it pays)
    return { a, w };
  });
  // each side gets its own layout of a linear layer: heed x·Wᵀ (W [out, in], the model's), the
  // peer x·W (W [in, out], its dense layer's); the same numbers, so the products agree
  const bKN = c.transB ? transposed(bData, c.N, c.K) : bData;
  const pm = peer.matmul(c.M, c.K, c.N, aData, bKN);
  try {
    return await noGrad(async () => {
      const peerC = peer.product(c.M, c.K, c.N, aData, bKN);
      let relErr = 0;
      for (const [i, h] of heeds.entries()) {
        const { a, w } = operands[i]!;
        const got = matmul(a, w, { transB: c.transB, kernel: h.kernel });
        const heedC = (await got.data()) as Float32Array;
        got.dispose();
        let maxC = 0;
        let maxD = 0;
        for (let j = 0; j < heedC.length; j++) {
          maxC = Math.max(maxC, Math.abs(peerC[j]!));
          maxD = Math.max(maxD, Math.abs(heedC[j]! - peerC[j]!));
        }
        relErr = Math.max(relErr, maxD / Math.max(maxC, 1e-30));
        if (!(relErr < 1e-4))
          throw new Error(`bench --peers: ${h.label} and ${peer.name} disagree on ${c.name} (max relative difference ${relErr})`);
      }
      const runners: Runner[] = heeds.map((h, i) => {
        const { a, w } = operands[i]!;
        return {
          name: h.label,
          path: matmulPath(a, w, { transB: c.transB, kernel: h.kernel }),
          step: async (iters: number) => {
            for (let k = 0; k < iters; k++) matmul(a, w, { transB: c.transB, kernel: h.kernel }).dispose();
            await h.b.sync();
          },
          iters: 1,
          wallMs: [],
          cpuMs: [],
        };
      });
      runners.push({
        name: peer.name,
        path: peer.name,
        step: async (iters: number) => {
          for (let i = 0; i < iters; i++) pm.run();
        },
        iters: 1,
        wallMs: [],
        cpuMs: [],
      });
      for (const r of runners) r.iters = await calibrate(r.step);
      for (let round = 0; round < rounds; round++) {
        // rotate who goes first so a load change within a round biases no one
        for (let i = 0; i < runners.length; i++) await timeRepeat(runners[(i + round) % runners.length]!);
      }
      const p = runners.at(-1)!;
      const ratioOf = (h: Runner) => median(h.wallMs.map((x, i) => p.wallMs[i]! / x));
      const heed = runners[0]!;
      return {
        ...c,
        contestants: runners.map((r) => ({
          name: r.name,
          path: r.path,
          gflops: gflops(c, median(r.wallMs)),
          perCpuS: gflops(c, median(r.cpuMs)),
        })),
        ratio: ratioOf(heed),
        ratios: runners.slice(0, -1).map(ratioOf),
        cpuRatio: median(heed.cpuMs.map((h, i) => p.cpuMs[i]! / h)),
        relErr,
      };
    });
  } finally {
    pm.dispose();
    for (const { a, w } of operands) {
      a.dispose();
      w.dispose();
    }
  }
}

/** Which heed backends race the peer: the fast CPU backend (all threads and one thread, for the
 *  per-thread ratio), WebGPU on this machine's adapter, or both. */
export const PEER_BACKENDS = ['fast', 'webgpu', 'all'] as const;
export type PeerBackends = (typeof PEER_BACKENDS)[number];
export const isPeerBackends = (s: string): s is PeerBackends => (PEER_BACKENDS as readonly string[]).includes(s);

export interface PeerOptions {
  json?: boolean;
  sizes?: number[];
  rounds?: number;
  /** Also time heed's WGSL kernels without subgroups ('plain': tile_v4 where auto runs tile_v4_sg). */
  plain?: boolean;
  /** Default 'fast'. */
  backends?: PeerBackends;
}

async function heedContestants(which: PeerBackends, plain: boolean): Promise<Heed[]> {
  const out: Heed[] = [];
  if (which !== 'webgpu') {
    const all = fast();
    out.push({ label: `heed fast ×${all.threads}`, b: all, kernel: 'auto' });
    if (all.threads > 1) out.push({ label: 'heed fast ×1', b: new FastBackend({ threads: 1 }), kernel: 'auto' });
  }
  if (which !== 'fast') {
    const g = await webgpu();
    out.push({ label: 'heed webgpu', b: g, kernel: 'auto' });
    if (plain) out.push({ label: 'heed webgpu plain', b: g, kernel: 'plain' });
  }
  return out;
}

export async function benchMatmulPeers(opts: PeerOptions = {}): Promise<PeerResult[]> {
  const heeds = await heedContestants(opts.backends ?? 'fast', opts.plain ?? false);
  const peer = await tfjsWasm();
  const rounds = opts.rounds ?? 9;
  const cs = peerCases(opts.sizes);
  const load = () => loadavg()[0]!.toFixed(1);
  const names = [...heeds.map((h) => h.label), peer.name];
  if (!opts.json) {
    for (const h of heeds) console.log(`${h.label}: ${h.b.name} on ${h.b.device}`);
    console.log(`peer: ${peer.detail}`);
    console.log(`machine: ${cpus().length} CPUs, load average ${load()} at the start`);
    console.log(`f32 GFLOP/s (wall clock), median of ${rounds} rounds; each round times one repeat of each contestant (rotating`);
    console.log('order) in this process on the same inputs; ratios are medians of the per-round ratios. "per CPU-s" counts');
    console.log("GFLOP per second of this process's CPU time (all threads), which other load disturbs less. For x·Wᵀ rows");
    console.log(`heed runs its model layout (W [out, in], kept) and the peer its dense-layer layout x·W (W [in, out]).\n`);
    console.log(
      `| product | heed path | ${names.join(' | ')} | ${heeds.map((h) => `${h.label} ÷ ${peer.name}`).join(' | ')} | per CPU-s: ${names.join(' | ')} |`,
    );
    console.log(`|---|---|${names.map(() => '---|').join('')}${heeds.map(() => '---|').join('')}${names.map(() => '---|').join('')}`);
  }
  const results: PeerResult[] = [];
  const t0 = performance.now();
  for (const [i, c] of cs.entries()) {
    const r = await peerCase(heeds, peer, c, rounds);
    results.push(r);
    if (!opts.json) {
      const g = r.contestants.map((x) => f1(x.gflops)).join(' | ');
      const e = r.contestants.map((x) => f1(x.perCpuS)).join(' | ');
      console.log(`| ${c.name} | ${r.contestants[0]!.path} | ${g} | ${r.ratios.map((x) => `${x.toFixed(2)}×`).join(' | ')} | ${e} |`);
      const elapsed = (performance.now() - t0) / 1000;
      process.stderr.write(
        `  [${i + 1}/${cs.length}] ${elapsed.toFixed(0)} s elapsed, ~${((elapsed / (i + 1)) * (cs.length - i - 1)).toFixed(0)} s left, load ${load()}\n`,
      );
    }
  }
  if (opts.json)
    console.log(
      JSON.stringify(
        {
          heed: heeds.map((h) => `${h.label}: ${h.b.device}`),
          peer: peer.detail,
          rounds,
          load: loadavg(),
          date: new Date().toISOString(),
          results,
        },
        null,
        2,
      ),
    );
  else {
    console.log('');
    heeds.forEach((h, k) => {
      const rs = results.map((r) => r.ratios[k]!);
      const worst = results.reduce((x, y) => (y.ratios[k]! < x.ratios[k]! ? y : x));
      console.log(`${h.label} ÷ ${peer.name}: lowest ${worst.ratios[k]!.toFixed(2)}× (${worst.name}), median ${median(rs).toFixed(2)}×`);
    });
    console.log(`load average ${load()} at the end`);
  }
  for (const h of heeds) if (h.b instanceof FastBackend && h.b !== fast()) await h.b.close();
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { benchMain } = await import('../src/cli/bench.ts');
  await benchMain('matmul');
}
