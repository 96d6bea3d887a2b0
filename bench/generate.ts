// Decoding throughput of stories260K: single stream and batched, WebGPU vs the CPU reference,
// greedy from BOS. Aggregate tokens/s = streams × new tokens / wall time (prefill included).
// Run: npx tsx bench/generate.ts [--json]   (or: npx heed bench generate)
import type { Backend } from '../src/backend/backend.ts';
import { cpu } from '../src/backend/cpu/cpu.ts';
import { webgpu } from '../src/backend/webgpu/webgpu.ts';
import { generateBatch } from '../src/decode/generate.ts';
import { buildModel, readCheckpoint } from '../src/load/pretrained.ts';
import { dataPath } from '../src/util/dataRoot.ts';

interface Row {
  backend: string;
  device: string;
  batch: number;
  tokens: number;
  seconds: number;
  tokPerSec: number;
}

async function measure(b: Backend, batch: number, tokens: number): Promise<Row> {
  const model = buildModel(readCheckpoint(dataPath('llama2c-stories260K', 'stories260K.bin')), b);
  const prompts = Array.from({ length: batch }, () => [1]);
  await generateBatch(model, prompts, { maxTokens: 4 }); // warm-up: pipelines compiled
  const t0 = performance.now();
  const out = await generateBatch(model, prompts, { maxTokens: tokens });
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  const n = out.reduce((s, o) => s + o.length, 0);
  return { backend: b.name, device: b.device, batch, tokens: n, seconds, tokPerSec: n / seconds };
}

export async function benchGenerate({ json = false, tokens = 200 }: { json?: boolean; tokens?: number } = {}): Promise<Row[]> {
  const g = await webgpu();
  if (!json) console.log(`adapter: ${g.device}\nstories260K greedy decode, ${tokens} new tokens per stream from BOS\n`);
  const rows: Row[] = [];
  for (const [b, batches] of [
    [cpu, [1, 8]],
    [g, [1, 8, 32, 64, 128, 256]],
  ] as const) {
    for (const batch of batches) {
      const r = await measure(b, batch, tokens);
      rows.push(r);
      if (!json)
        console.log(
          `${r.backend.padEnd(7)} batch ${String(batch).padStart(3)}  ${r.tokens.toString().padStart(6)} tokens  ${r.seconds.toFixed(2).padStart(7)} s  ${r.tokPerSec.toFixed(0).padStart(7)} tok/s`,
        );
    }
  }
  if (!json) console.log('\npeer: llama2.c run.c (C, -O3, one core) decodes stories260K at about 9,000 tok/s on this machine kind');
  else console.log(JSON.stringify(rows, null, 2));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { benchMain } = await import('../src/cli/bench.ts');
  await benchMain('generate');
}
