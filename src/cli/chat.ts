// heed chat: a multi-turn REPL. Each turn renders the whole conversation in the chat format and
// streams the answer; Ctrl-C stops the answer (kept as said so far), not the program.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { generateBatchResults } from '../decode/generate.ts';
import { type Message as ChatMessage, chatPrompt } from '../data/chat.ts';
import { loadFromFlags, modelOptions, numberFlag, samplingHelp } from './flags.ts';

export const help = `Usage: heed chat --model PATH [options]

A chat in the terminal: type a message, read the answer, continue the conversation. The whole
conversation is the prompt of each answer (Tulu format: <|user|>\\n…\\n<|assistant|>\\n…</s>\\n).
Ctrl-C while an answer streams stops that answer; Ctrl-C at the prompt, Ctrl-D or /exit quits;
/reset starts a new conversation.

  --model PATH        llama2.c .bin, GGUF file, or HF directory
  --tokenizer PATH    tokenizer.bin or tokenizer.json (optional when the checkpoint carries one)
  --system TEXT       a system message at the start of the conversation
  --max-tokens N      new tokens per answer at most (default 256)
${samplingHelp}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...modelOptions, 'max-tokens': { type: 'string' }, system: { type: 'string' } },
    strict: true,
  });
  const { model, tok, rules, sampling } = await loadFromFlags(values, help);
  const maxTokens = numberFlag(values['max-tokens'], 'max-tokens', { def: 256 });
  const start: ChatMessage[] = values.system ? [{ role: 'system', content: values.system }] : [];
  let history = [...start];
  let answering: AbortController | undefined;
  let turn = 0;
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ', terminal: process.stdin.isTTY });
  const onInterrupt = () => {
    if (answering) answering.abort();
    else rl.close();
  };
  rl.on('SIGINT', onInterrupt);
  process.on('SIGINT', onInterrupt); // when stdin is not a terminal, Ctrl-C arrives as a signal
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === '/exit') break;
    if (text === '/reset') {
      history = [...start];
      process.stdout.write('[new conversation]\n');
    } else if (text) {
      history.push({ role: 'user', content: text });
      const prompt = tok.encode(chatPrompt(history), { bos: true });
      if (prompt.length >= model.config.maxSeqLen) {
        history.pop();
        process.stdout.write(
          `[the conversation (${prompt.length} tokens) no longer fits the model's ${model.config.maxSeqLen}; /reset to start over]\n`,
        );
      } else {
        answering = new AbortController();
        const [res] = await generateBatchResults(model, [prompt], {
          maxTokens,
          ...sampling,
          seed: sampling.seed + turn++,
          stopIds: [tok.eos, tok.bos],
          tokenizer: tok,
          signal: answering.signal,
          ...(rules ? { processors: rules.processors } : {}),
          onText: (t) => process.stdout.write(t),
        });
        answering = undefined;
        process.stdout.write(res!.finishReason === 'abort' ? ' [stopped]\n' : '\n');
        history.push({ role: 'assistant', content: res!.text });
      }
    }
    rl.prompt();
  }
  process.off('SIGINT', onInterrupt);
  rl.close();
  return 0;
}
