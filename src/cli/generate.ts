// heed generate: stream a continuation of a prompt from a checkpoint.
import { parseArgs } from 'node:util';
import type { Backend } from '../backend/backend.ts';
import { cpu } from '../backend/cpu/cpu.ts';
import { webgpu } from '../backend/webgpu/webgpu.ts';
import { generate } from '../decode/generate.ts';
import { buildModel, loadPretrained } from '../load/pretrained.ts';
import { StreamDecoder } from '../tokenizer/stream.ts';

export const help = `Usage: heed generate --model PATH [options]

Streams a continuation of a prompt to stdout.

  --model PATH        llama2.c .bin, GGUF file, or HF directory (config.json + model.safetensors)
  --tokenizer PATH    tokenizer.bin (llama2.c) or tokenizer.json (HF); optional when the
                      checkpoint carries one (GGUF, HF directory with tokenizer.json)
  --prompt TEXT       prompt (default: empty, i.e. start from BOS)
  --max-tokens N      new tokens to generate (default 256)
  --temperature T     0 = greedy (default 0)
  --seed S            sampling seed (default 0)
  --backend NAME      webgpu (default) or cpu

Generation stops at --max-tokens, at the model's EOS, or when BOS is produced (llama2.c's rule).`;

export async function pickBackend(name: string | undefined): Promise<Backend> {
  if (!name || name === 'webgpu') return webgpu();
  if (name === 'cpu') return cpu;
  throw new Error(`unknown backend "${name}" (choose webgpu or cpu)`);
}

function num(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${v}"`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, tokenizer: { type: 'string' }, prompt: { type: 'string', default: '' },
      'max-tokens': { type: 'string' }, temperature: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' },
    },
    strict: true,
  });
  if (!values.model) throw new Error(`--model is required\n\n${help}`);
  // loadPretrained refuses a tokenizer whose vocabulary does not match the model's, naming both files
  const { ckpt, tokenizer: tok } = loadPretrained(values.model, values.tokenizer);
  if (!tok) throw new Error(`--tokenizer is required for a ${ckpt.format} checkpoint (${values.model} carries none)`);
  const backend = await pickBackend(values.backend);
  const model = buildModel(ckpt, backend);
  const maxTokens = num(values['max-tokens'], 'max-tokens', 256);
  const prompt = tok.encode(values.prompt ?? '', { bos: true });
  // Echo the prompt as llama2.c does (after BOS), then stream new tokens.
  const out = new StreamDecoder(tok, { prev: prompt[0]! });
  for (const id of prompt.slice(1)) process.stdout.write(out.push(id));
  const t0 = performance.now();
  const ids = await generate(model, prompt, {
    maxTokens, temperature: num(values.temperature, 'temperature', 0), seed: num(values.seed, 'seed', 0), stopIds: [tok.bos, tok.eos],
    onToken: (id) => process.stdout.write(out.push(id)),
  });
  process.stdout.write(out.flush());
  if (process.stdout.isTTY) process.stdout.write('\n');
  const s = (performance.now() - t0) / 1000;
  process.stderr.write(`\n[${ids.length} tokens in ${s.toFixed(2)} s, ${(ids.length / s).toFixed(1)} tok/s on ${backend.name}: ${backend.device}]\n`);
  return 0;
}
