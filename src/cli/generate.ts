// heed generate: stream a continuation of a prompt (or, with --chat, an answer) from a checkpoint.
import { parseArgs } from 'node:util';
import { generateBatchResults } from '../decode/generate.ts';
import { StreamDecoder } from '../tokenizer/stream.ts';
import { chatText } from '../tokenizer/tokenizer.ts';
import { loadFromFlags, modelOptions, numberFlag, samplingHelp } from './flags.ts';

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

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...modelOptions,
      prompt: { type: 'string', default: '' },
      chat: { type: 'boolean' },
      'max-tokens': { type: 'string' },
      stop: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const { model, tok, backend, rules, sampling } = await loadFromFlags(values, help);
  const maxTokens = numberFlag(values['max-tokens'], 'max-tokens', { def: 256 });
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
    maxTokens,
    ...sampling,
    stopIds: [tok.bos, tok.eos],
    stopStrings: stops,
    tokenizer: tok,
    ...(rules ? { processors: rules.processors } : {}),
    onText: (text) => process.stdout.write(text),
  });
  if (process.stdout.isTTY || values.chat) process.stdout.write('\n');
  const s = (performance.now() - t0) / 1000;
  const n = res!.ids.length;
  process.stderr.write(
    `\n[${n} tokens in ${s.toFixed(2)} s, ${(n / s).toFixed(1)} tok/s on ${backend.name}: ${backend.device}${rules ? `; rules ${[...rules.rules].join(',') || 'none'}` : ''}; finish: ${res!.finishReason}]\n`,
  );
  return 0;
}
