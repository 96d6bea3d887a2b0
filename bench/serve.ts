// Serving throughput: a real `heed serve` process on stories260K, driven over HTTP by 1, 4, 16 and
// 64 concurrent clients. Each client sends streamed completions back to back (max_tokens 64,
// temperature 0.8, distinct seeds) for a fixed time; we report requests/s, generated tokens/s
// (from each stream's usage) and time to first token (first text chunk), median and p95. The
// levels take turns in rounds, and generate() in this process (same backend, same requests) is
// the peer of the single client, so machine load drifts over all of them alike.
// Run: npx tsx bench/serve.ts [--json] [--backend auto|webgpu|fast|cpu] [--seconds S] [--clients 1,4,16,64]
//      (or: npx heed bench serve ...)
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BackendName } from '../src/backend/byName.ts';
import { openBackend } from '../src/backend/choose.ts';
import { generate } from '../src/decode/generate.ts';
import { buildModel, readCheckpoint } from '../src/load/pretrained.ts';
import { loadLlama2cTokenizer } from '../src/tokenizer/llama2c.ts';
import { dataPath, projectRoot } from '../src/util/dataRoot.ts';

export interface ServeRow {
  backend: string;
  clients: number;
  seconds: number;
  requests: number;
  tokens: number;
  reqPerSec: number;
  tokPerSec: number;
  ttftMedianMs: number;
  ttftP95Ms: number;
}

const PROMPTS = ['Once upon a time', 'The cat', 'Lily and Ben', 'One day, a little girl', 'Tom had a big red ball', 'The sun was'];
const MAX_TOKENS = 64;

async function startServer(backend: BackendName, maxBatch: number): Promise<{ url: string; proc: ChildProcess }> {
  const d = 'llama2c-stories260K';
  const proc = spawn(
    process.execPath,
    [
      join(projectRoot, 'bin', 'heed.js'),
      'serve',
      '--port',
      '0',
      '--model',
      dataPath(d, 'stories260K.bin'),
      '--tokenizer',
      dataPath(d, 'tok512.bin'),
      '--backend',
      backend,
      '--max-batch',
      String(maxBatch),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`heed serve exited with ${code}: ${err}`)));
  });
  return { url, proc };
}

/** One streamed completion: time to the first text chunk and the generated token count. */
async function request(url: string, prompt: string, seed: number): Promise<{ ttft: number; tokens: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      model: 'stories260K',
      prompt,
      max_tokens: MAX_TOKENS,
      temperature: 0.8,
      seed,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (!res.ok || !res.body) throw new Error(`bench serve: HTTP ${res.status}: ${await res.text()}`);
  let ttft = -1;
  let tokens = 0;
  let buf = '';
  const dec = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += dec.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const ev = JSON.parse(line.slice(6)) as { choices: { text: string }[]; usage?: { completion_tokens: number } };
      if (ttft < 0 && ev.choices[0]?.text) ttft = performance.now() - t0;
      if (ev.usage) tokens = ev.usage.completion_tokens;
    }
  }
  return { ttft: ttft < 0 ? performance.now() - t0 : ttft, tokens };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

interface Sample {
  ttfts: number[];
  tokens: number;
  requests: number;
  wall: number;
}

async function level(url: string, clients: number, seconds: number, into: Sample): Promise<void> {
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let k = 0; performance.now() < end; k++) {
        const r = await request(url, PROMPTS[(c + k) % PROMPTS.length]!, c * 1000 + k);
        into.ttfts.push(r.ttft);
        into.tokens += r.tokens;
        into.requests++;
      }
    }),
  );
  into.wall += (performance.now() - t0) / 1000;
}

const toRow = (backend: string, clients: number, s: Sample): ServeRow => ({
  backend,
  clients,
  seconds: s.wall,
  requests: s.requests,
  tokens: s.tokens,
  reqPerSec: s.requests / s.wall,
  tokPerSec: s.tokens / s.wall,
  ttftMedianMs: pct(s.ttfts, 0.5),
  ttftP95Ms: pct(s.ttfts, 0.95),
});

/** The peer for one client: generate() in this process, same backend, same request shape. */
async function direct(backend: BackendName, seconds: number): Promise<number> {
  const d = 'llama2c-stories260K';
  const model = buildModel(readCheckpoint(dataPath(d, 'stories260K.bin')), await openBackend(backend));
  const tok = loadLlama2cTokenizer(dataPath(d, 'tok512.bin'));
  let tokens = 0;
  const t0 = performance.now();
  for (let k = 0; performance.now() - t0 < seconds * 1000; k++) {
    tokens += (
      await generate(model, tok.encode(PROMPTS[k % PROMPTS.length]!, { bos: true }), {
        maxTokens: MAX_TOKENS,
        temperature: 0.8,
        seed: k,
        stopIds: [tok.eos, tok.bos],
      })
    ).length;
  }
  const tps = tokens / ((performance.now() - t0) / 1000);
  model.dispose();
  return tps;
}

export async function benchServe(
  opts: { json?: boolean; backend?: BackendName; seconds?: number; clients?: number[]; rounds?: number } = {},
): Promise<ServeRow[]> {
  const backend = opts.backend ?? 'auto';
  const levels = opts.clients ?? [1, 4, 16, 64];
  const { url, proc } = await startServer(backend, Math.max(...levels));
  const rows: ServeRow[] = [];
  let peer = NaN;
  try {
    // warm-up: one round at each level, so every batch shape's pipelines are compiled before timing
    const scratch: Sample = { ttfts: [], tokens: 0, requests: 0, wall: 0 };
    for (const c of levels) await level(url, c, 0.001, scratch);
    // The levels take turns (rounds × seconds/rounds each), with the in-process peer beside the
    // single client each round, so the machine's load drifts over all of them alike.
    const rounds = opts.rounds ?? 3;
    const per = (opts.seconds ?? 8) / rounds;
    const samples = levels.map((): Sample => ({ ttfts: [], tokens: 0, requests: 0, wall: 0 }));
    const peerRuns: number[] = [];
    for (let k = 0; k < rounds; k++) {
      for (const [i, c] of levels.entries()) {
        if (c === 1) peerRuns.push(await direct(backend, Math.min(per, 4)));
        await level(url, c, per, samples[i]!);
      }
    }
    peer = peerRuns.length ? peerRuns.reduce((a, b) => a + b) / peerRuns.length : NaN;
    rows.push(...levels.map((c, i) => toRow(backend, c, samples[i]!)));
    if (!opts.json) {
      console.log(
        `heed serve on ${backend}, stories260K, streamed completions of ${MAX_TOKENS} tokens; ${rounds} interleaved rounds of ${per.toFixed(1)} s per level\n\nclients  req/s   tok/s   TTFT median  TTFT p95  (requests)`,
      );
      for (const row of rows)
        console.log(
          `${String(row.clients).padStart(7)}  ${row.reqPerSec.toFixed(2).padStart(6)}  ${row.tokPerSec.toFixed(0).padStart(6)}  ${row.ttftMedianMs.toFixed(0).padStart(8)} ms  ${row.ttftP95Ms.toFixed(0).padStart(5)} ms  (${row.requests})`,
        );
    }
  } finally {
    proc.kill('SIGTERM');
  }
  const one = rows.find((r) => r.clients === 1);
  const sixteen = rows.find((r) => r.clients === 16);
  if (opts.json) console.log(JSON.stringify({ rows, directTokPerSec: peer }, null, 2));
  else {
    if (one && sixteen) console.log(`\n16 clients / 1 client, tokens/s: ${(sixteen.tokPerSec / one.tokPerSec).toFixed(1)}x (goal >= 8x)`);
    if (one && Number.isFinite(peer))
      console.log(
        `1 client through HTTP / generate() in process: ${one.tokPerSec.toFixed(0)} / ${peer.toFixed(0)} tok/s = ${(one.tokPerSec / peer).toFixed(2)}`,
      );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { benchMain } = await import('../src/cli/bench.ts');
  await benchMain('serve');
}
