// heed eval rank: the response-ranking probe (the paper's Table 2).
import { outputFile } from '../io/open.ts';
import { writeTextAtomic } from '../io/files.ts';
import { parseArgs } from 'node:util';
import { rankProbe, readAlpaca } from '../eval/rank.ts';
import { openPretrained } from '../load/pretrained.ts';
import { dataPath } from '../util/dataRoot.ts';
import { progress } from '../util/progress.ts';
import { backendHelp, numberFlag, pickBackend } from './flags.ts';

export const help = `Usage: heed eval rank --model PATH [options]

The response-ranking probe (Hewitt et al. 2024, Table 2): for N Alpaca examples, the
true response and K responses of other examples are each scored under the chat
template with the true instruction,
  <|user|>\\n{instruction}\\n<|assistant|>\\n{response}</s>   (one string, BOS first),
score = exp(-mean NLL of the response tokens and EOS). Reports the fraction of examples
whose true response scores highest (a tie at the top counts 1/m for m tied), with its
standard error, next to chance 1/(K+1).

  --model PATH        llama2.c .bin, GGUF file, or HF directory
  --tokenizer PATH    tokenizer.bin or tokenizer.json when the checkpoint carries none
  --data FILE         Alpaca JSON [{instruction, input, output}]; a non-empty input joins
                      the instruction after a blank line
                      (default: $HEED_DATA/alpaca/alpaca_sample2000.json)
  --n N               examples: the first N of the data (default 1000)
  --others K          other responses per example, distinct, drawn uniformly from the
                      other N-1 examples (default 5)
  --seed S            seed of that draw (default 0)
  --batch-size B      sequences per forward pass, sorted by length (default 8)
  --backend NAME      ${backendHelp}
  --out FILE          also write the result as JSON (with every example's scores)

Sequences longer than the model's context are truncated (as open-instruct does); an
example whose candidates keep no response token is left out and counted.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      tokenizer: { type: 'string' },
      data: { type: 'string' },
      n: { type: 'string' },
      others: { type: 'string' },
      seed: { type: 'string' },
      'batch-size': { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (!values.model) throw new Error(`--model is required\n\n${help}`);
  const n = numberFlag(values.n, 'n', { int: true, min: 2, def: 1000 });
  const others = numberFlag(values.others, 'others', { int: true, min: 1, def: 5 });
  const seed = numberFlag(values.seed, 'seed', { int: true, min: 0, def: 0 });
  const batchSize = numberFlag(values['batch-size'], 'batch-size', { int: true, min: 1, def: 8 });
  const data = readAlpaca(values.data ?? dataPath('alpaca', 'alpaca_sample2000.json'));
  const { model, tokenizer: tok } = openPretrained(values.model, values.tokenizer, await pickBackend(values.backend));
  let bar: ReturnType<typeof progress> | undefined;
  const r = await rankProbe(model, tok, data, {
    n,
    others,
    seed,
    batchSize,
    onProgress: (done, total) => {
      bar ??= progress('rank', total, 'sequences');
      bar.update(done);
    },
  });
  bar?.end();
  console.log(
    `ranking probe: true response ranked first in ${(100 * r.accuracy).toFixed(1)}% ± ${(100 * r.se).toFixed(1)}% (standard error) of ${r.n} examples`,
  );
  console.log(
    `  ${r.others} other responses each (seed ${r.seed}); chance ${(100 * r.chance).toFixed(1)}%; ties at the top ${r.ties}; truncated sequences ${r.truncated}; examples left out ${r.excluded}`,
  );
  if (values.out) {
    outputFile(values.out, '--out');
    writeTextAtomic(values.out, `${JSON.stringify({ model: values.model, ...r }, null, 1)}\n`);
    console.log(`wrote ${values.out}`);
  }
  return 0;
}
