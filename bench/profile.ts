// Where GPU time goes: per-kernel timestamps (one pass per dispatch while profiling) for a
// stories260K decode step and a training step. Run: npx tsx bench/profile.ts [--batch 64]
import { parseArgs } from 'node:util';
import { webgpu } from '../src/backend/webgpu/webgpu.ts';
import { fromArray, noGrad, scope, zeroGrad } from '../src/core/tensor.ts';
import { KVCache } from '../src/nn/llama.ts';
import { buildModel, readCheckpoint } from '../src/load/pretrained.ts';
import { dataPath } from '../src/util/dataRoot.ts';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '64' }, steps: { type: 'string', default: '20' } } });
const B = Number(values.batch);
const steps = Number(values.steps);
const b = await webgpu();
const model = buildModel(readCheckpoint(dataPath('llama2c-stories260K', 'stories260K.bin')), b);

function report(title: string, perStep: number): void {
  const rows = [...b.kernelTimes.entries()].sort((x, y) => y[1].ns - x[1].ns);
  const total = rows.reduce((s, [, e]) => s + e.ns, 0);
  console.log(`\n${title}: GPU ${(total / perStep / 1e6).toFixed(2)} ms per step (${b.device})`);
  console.log('| kernel/entry | dispatches/step | µs/step | share |\n|---|---|---|---|');
  for (const [name, e] of rows) {
    console.log(
      `| ${name} | ${(e.count / perStep).toFixed(1)} | ${(e.ns / perStep / 1e3).toFixed(0)} | ${((100 * e.ns) / total).toFixed(1)}% |`,
    );
  }
  b.kernelTimes.clear();
}

// decode: B streams at positions 32.. with a KV cache
const cache = new KVCache(model.config, B, b, 32 + steps + 8);
const ids = () => fromArray(new Int32Array(B).fill(1), [B, 1], { dtype: 'i32', backend: b });
await scope(() =>
  noGrad(() => model.forward(fromArray(new Int32Array(B * 32).fill(1), [B, 32], { dtype: 'i32', backend: b }), { cache })),
).data();
for (let i = 0; i < 2; i++) await scope(() => noGrad(() => model.forward(ids(), { cache, lastOnly: true }))).data(); // warm-up (compiles)
b.setProfiling(true);
for (let i = 0; i < steps; i++) await scope(() => noGrad(() => model.forward(ids(), { cache, lastOnly: true }))).data();
await b.sync();
report(`decode, batch ${B}`, steps);
cache.dispose();

// training step: forward + backward on [8, 64] tokens
const x = fromArray(
  Int32Array.from({ length: 8 * 64 }, (_, i) => (i * 7) % 512),
  [8, 64],
  { dtype: 'i32', backend: b },
);
const y = fromArray(
  Int32Array.from({ length: 8 * 64 }, (_, i) => (i * 7 + 1) % 512),
  [8, 64],
  { dtype: 'i32', backend: b },
);
const trainStep = () => {
  scope(() => model.loss(x, y).backward());
  zeroGrad(model.parameters());
};
b.setProfiling(false);
trainStep(); // warm-up: lavapipe compiles a pipeline at its first dispatch, on the GPU timeline
await b.sync();
b.setProfiling(true);
for (let i = 0; i < 3; i++) trainStep();
await b.sync();
report('training step, [8, 64] tokens (fwd + bwd)', 3);
b.setProfiling(false);
process.exit(0);
