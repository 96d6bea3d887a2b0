// Prints the WebGPU adapter the GPU suite and benches will run on (identity, features, limits,
// subgroup sizes, subgroup-matrix configs) and refuses a CPU adapter unless
// HEED_ALLOW_CPU_ADAPTER=1. Run: tsx test/gpu/adapter-check.ts [--out adapter.json]
// Exit status: 0 accepted, 3 refused (a CPU adapter), 1 no usable adapter.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { acquireDevice } from '../../src/backend/webgpu/device.ts';
import { projectRoot } from '../../src/util/dataRoot.ts';
import { allowCpuFromEnv, checkAdapter, cpuAdapterReason } from './adapter.ts';

/** Dawn's objects keep their fields on the prototype: copy the enumerable ones into plain data. */
function plain(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (typeof v === 'function') continue;
    out[k] = Array.isArray(v) ? v.map((x: unknown) => (x && typeof x === 'object' ? plain(x) : x)) : v;
  }
  return out;
}

const { values } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log(
    'usage: tsx test/gpu/adapter-check.ts [--out FILE]\n' +
      '  --out FILE  also write the adapter report as JSON to FILE (atomically)\n' +
      '  HEED_ALLOW_CPU_ADAPTER=1  accept lavapipe/llvmpipe/SwiftShader (refused otherwise, exit 3)',
  );
  process.exit(0);
}

let allowCpu: boolean;
try {
  allowCpu = allowCpuFromEnv(process.env.HEED_ALLOW_CPU_ADAPTER);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
let acq: Awaited<ReturnType<typeof acquireDevice>>;
try {
  acq = await acquireDevice();
} catch (e) {
  console.error(`adapter-check: ${(e as Error).message}`);
  process.exit(1);
}
const info = plain(acq.adapter.info);
const report = {
  date: new Date().toISOString(),
  description: acq.description,
  info,
  features: [...acq.features].sort(),
  limits: plain(acq.adapter.limits),
  node: process.version,
  webgpu: (JSON.parse(readFileSync(`${projectRoot}/node_modules/webgpu/package.json`, 'utf8')) as { version: string }).version,
  vkDriverFiles: process.env.VK_DRIVER_FILES ?? null,
  /** Why this is a CPU implementation (lavapipe, SwiftShader), or null for a GPU. */
  cpuAdapter: cpuAdapterReason(acq.adapter.info),
  accepted: true,
};
let refusal: string | null = null;
try {
  checkAdapter(acq.adapter.info, allowCpu);
} catch (e) {
  refusal = (e as Error).message;
  report.accepted = false;
}
if (values.out) {
  writeFileSync(`${values.out}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${values.out}.tmp`, values.out);
}
const i = acq.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number; subgroupMatrixConfigs?: unknown[] };
console.log(`adapter: ${acq.description}`);
console.log(`  vendor ${i.vendor} · architecture ${i.architecture} · device ${i.device} · fallback ${i.isFallbackAdapter}`);
console.log(
  `  subgroups ${i.subgroupMinSize ?? '?'}–${i.subgroupMaxSize ?? '?'} · subgroup-matrix configs ${i.subgroupMatrixConfigs?.length ?? 0} · f16 ${acq.features.has('shader-f16')} · timestamps ${acq.features.has('timestamp-query')}`,
);
console.log(
  `  maxBufferSize ${acq.adapter.limits.maxBufferSize} · maxStorageBufferBindingSize ${acq.adapter.limits.maxStorageBufferBindingSize} · workgroup storage ${acq.adapter.limits.maxComputeWorkgroupStorageSize} · invocations ${acq.adapter.limits.maxComputeInvocationsPerWorkgroup}`,
);
acq.device.destroy();
if (refusal) {
  console.error(refusal);
  process.exit(3);
}
if (report.cpuAdapter) console.log(`  CPU adapter accepted (HEED_ALLOW_CPU_ADAPTER=1): ${report.cpuAdapter}`);
process.exit(0);
