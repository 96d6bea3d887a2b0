// heed generate: stream a continuation of a prompt (or, with --chat, an answer) from a checkpoint.
import { parseArgs } from 'node:util';
import type { Backend } from '../backend/backend.ts';
import { BACKEND_HELP, openBackend } from '../backend/choose.ts';
import { generateBatchResults } from '../decode/generate.ts';
import { type RulesAdapter, paperRuleWeights, parseRules, readRuleWeights, rulesAdapter } from '../decode/rules.ts';
import type { SamplingOptions } from '../decode/sample.ts';
import type { Llama } from '../nn/llama.ts';
import { buildModel, loadPretrained } from '../load/pretrained.ts';
import { StreamDecoder } from '../tokenizer/stream.ts';
import { type Tokenizer, chatText } from '../tokenizer/tokenizer.ts';

export const samplingHelp = `  --temperature T     0 = greedy (default 0)
  --top-k K           sample from the K most likely tokens only (default: all)
  --top-p P           nucleus sampling: the smallest set with probability mass >= P (default 1)
  --min-p P           drop tokens below P x the most likely token's probability (default 0)
  --seed S            sampling seed (default 0)
  --rules LIST        the rules adapter (Hewitt et al. 2024): any of eos,uniform,diversity,
                      comma-separated (default: none); combined as log_softmax(model) + rules
  --rules-weights F   JSON overrides of the rule weights, e.g. {"uniform": {"What": -3},
                      "eos": {"keepRamping": true}, "diversity": {"penalty": 1.5}}
  --rules-eos-id N    the id the eos rule boosts (default: the tokenizer's EOS; llama2.c story
                      models end a text with BOS, id 1)
  --backend NAME      ${BACKEND_HELP}`;

export const help = `Usage: heed generate --model PATH [options]

Streams a continuation of a prompt to stdout; with --chat, the answer to an instruction.

  --model PATH        llama2.c .bin, GGUF file, or HF directory (config.json + model.safetensors)
  --tokenizer PATH    tokenizer.bin (llama2.c) or tokenizer.json (HF); optional when the
                      checkpoint carries one (GGUF, HF directory with tokenizer.json)
  --prompt TEXT       prompt (default: empty, i.e. start from BOS)
  --chat              wrap the prompt in the chat template (<|user|>\\n{prompt}\\n<|assistant|>\\n)
                      and print only the answer
  --max-tokens N      new tokens to generate (default 256)
  --stop TEXT         stop when the text contains TEXT (repeatable; TEXT itself is not printed)
${samplingHelp}

Generation stops at --max-tokens, at the model's EOS, when BOS is produced (llama2.c's rule), or
at a --stop string.`;

export async function pickBackend(name: string | undefined): Promise<Backend> {
  return openBackend(name);
}

export function num(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${v}"`);
  return n;
}

/** Options shared by generate, chat and serve. */
export const modelOptions = {
  model: { type: 'string' }, tokenizer: { type: 'string' }, backend: { type: 'string' },
  temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' }, 'min-p': { type: 'string' },
  seed: { type: 'string' }, rules: { type: 'string' }, 'rules-weights': { type: 'string' }, 'rules-eos-id': { type: 'string' },
} as const;

type ModelValues = { [K in keyof typeof modelOptions]?: string };

export interface Loaded {
  model: Llama;
  tok: Tokenizer;
  backend: Backend;
  rules: RulesAdapter | undefined;
  sampling: SamplingOptions & { seed: number };
}

/** Opens checkpoint, tokenizer, backend and rules from the shared flags; reports missing rule tokens on stderr. */
export async function loadFromFlags(values: ModelValues, help: string): Promise<Loaded> {
  if (!values.model) throw new Error(`--model is required\n\n${help}`);
  // loadPretrained refuses a tokenizer whose vocabulary does not match the model's, naming both files
  const { ckpt, tokenizer: tok } = loadPretrained(values.model, values.tokenizer);
  if (!tok) throw new Error(`--tokenizer is required for a ${ckpt.format} checkpoint (${values.model} carries none)`);
  if ((values['rules-weights'] || values['rules-eos-id']) && values.rules === undefined) throw new Error('--rules-weights and --rules-eos-id need --rules');
  let rules: RulesAdapter | undefined;
  if (values.rules !== undefined) {
    rules = rulesAdapter(tok, parseRules(values.rules), values['rules-weights'] ? readRuleWeights(values['rules-weights']) : paperRuleWeights(), {
      eosId: num(values['rules-eos-id'], 'rules-eos-id', tok.eos),
    });
    if (rules.missing.length) process.stderr.write(`[rules: the vocabulary has no token for ${rules.missing.map((t) => JSON.stringify(t)).join(', ')}; those offsets are skipped]\n`);
  }
  const sampling = {
    temperature: num(values.temperature, 'temperature', 0),
    seed: num(values.seed, 'seed', 0),
    ...(values['top-k'] !== undefined ? { topK: num(values['top-k'], 'top-k', 0) } : {}),
    ...(values['top-p'] !== undefined ? { topP: num(values['top-p'], 'top-p', 1) } : {}),
    ...(values['min-p'] !== undefined ? { minP: num(values['min-p'], 'min-p', 0) } : {}),
  };
  const backend = await pickBackend(values.backend);
  return { model: buildModel(ckpt, backend), tok, backend, rules, sampling };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...modelOptions, prompt: { type: 'string', default: '' }, chat: { type: 'boolean' }, 'max-tokens': { type: 'string' }, stop: { type: 'string', multiple: true } },
    strict: true,
  });
  const { model, tok, backend, rules, sampling } = await loadFromFlags(values, help);
  const maxTokens = num(values['max-tokens'], 'max-tokens', 256);
  const stops = values.stop ?? [];
  const prompt = tok.encode(values.chat ? chatText(values.prompt ?? '') : (values.prompt ?? ''), { bos: true });
  // Plain mode echoes the prompt as llama2.c does (after BOS); chat mode prints the answer only.
  if (!values.chat) {
    const echo = new StreamDecoder(tok, { prev: prompt[0]! });
    for (const id of prompt.slice(1)) process.stdout.write(echo.push(id));
    process.stdout.write(echo.flush());
  }
  const t0 = performance.now();
  const [res] = await generateBatchResults(model, [prompt], {
    maxTokens, ...sampling, stopIds: [tok.bos, tok.eos], stopStrings: stops, tokenizer: tok,
    ...(rules ? { processors: rules.processors } : {}),
    onText: (text) => process.stdout.write(text),
  });
  if (process.stdout.isTTY || values.chat) process.stdout.write('\n');
  const s = (performance.now() - t0) / 1000;
  const n = res!.ids.length;
  process.stderr.write(`\n[${n} tokens in ${s.toFixed(2)} s, ${(n / s).toFixed(1)} tok/s on ${backend.name}: ${backend.device}${rules ? `; rules ${[...rules.rules].join(',') || 'none'}` : ''}; finish: ${res!.finishReason}]\n`);
  return 0;
}
