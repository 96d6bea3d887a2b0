// heed eval ifeval: score responses on IFEval (optionally generating them first with a heed model).
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateAnswers } from '../eval/generate.ts';
import { ifevalInstructions, responsesOf } from '../eval/ifeval/answers.ts';
import { writeTextAtomic } from '../io/files.ts';
import { jsonlText, writeJsonAtomic } from '../io/json.ts';
import { outputDir, outputFile } from '../io/open.ts';
import {
  INSTRUCTION_IDS,
  KNOWLEDGE_FREE_IDS,
  officialLine,
  readInputs,
  readResponses,
  restrictTo,
  runIfeval,
  type IfevalSummary,
} from '../eval/ifeval/index.ts';
import { openPretrained } from '../load/pretrained.ts';
import { dataPath } from '../util/dataRoot.ts';
import { nameTable } from '../util/names.ts';
import { withBar } from '../util/progress.ts';
import { backendHelp, countFlag, pickBackend } from './flags.ts';

export const SUBSETS = nameTable<readonly string[]>({ all: INSTRUCTION_IDS, 'knowledge-free': KNOWLEDGE_FREE_IDS });

export const help = `Usage: heed eval ifeval --responses FILE [options]
       heed eval ifeval --model PATH [options]

Scores responses on IFEval's verifiable instructions as google-research's
instruction_following_eval does (25 instruction types), strict and loose (the response,
or any of 7 variants: first line, last line or both removed, and '*' removed), at the
prompt level and the instruction level, with a per-family breakdown.

  --responses FILE     JSON lines {"prompt", "response"} (the official input_response_data
                       format); matched to the IFEval prompts by exact prompt text. With
                       --model, where the generated responses go (default OUT/responses.jsonl)
  --model PATH         generate the responses first, as heed eval generate and heed study do:
                       greedy decoding of the chat prompt <|user|>\\n{prompt}\\n<|assistant|>\\n
                       (the prompt trimmed), stopping at EOS, the response trimmed; the answers
                       are kept in OUT/ifeval_outputs.json and a rerun continues after the last
                       batch written there
  --tokenizer PATH     tokenizer for --model when the checkpoint carries none
  --max-new-tokens N   with --model: new tokens per response at most (default 512)
  --batch-size N       with --model: prompts decoded together (default 8)
  --limit N            with --model: only the first N prompts (a quick run)
  --backend NAME       with --model: ${backendHelp}
  --input FILE         IFEval prompts with instruction ids and kwargs
                       (default: $HEED_DATA/ifeval/input_data.jsonl)
  --subset NAME        all (default), or knowledge-free: only the instructions that need no
                       world knowledge (${KNOWLEDGE_FREE_IDS.join(', ')});
                       prompts left without instructions are dropped
  --allow-missing      score the prompts that have a response and report how many had none
                       (default: a prompt without a response is an error)
  --out DIR            output directory (default ifeval-out): eval_results_strict.jsonl,
                       eval_results_loose.jsonl (the official format) and ifeval_summary.json
                       {prompt_strict, prompt_loose, inst_strict, inst_loose, per_family, n, ...}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      responses: { type: 'string' },
      model: { type: 'string' },
      tokenizer: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      'batch-size': { type: 'string' },
      limit: { type: 'string' },
      backend: { type: 'string' },
      input: { type: 'string' },
      subset: { type: 'string' },
      'allow-missing': { type: 'boolean' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (!values.responses && !values.model) throw new Error(`--responses or --model is required\n\n${help}`);
  const subsetName = values.subset ?? 'all';
  const subset = SUBSETS[subsetName];
  if (!subset) throw new Error(`--subset must be one of ${Object.keys(SUBSETS).join(', ')}, got "${subsetName}"`);
  for (const flag of ['tokenizer', 'max-new-tokens', 'batch-size', 'limit', 'backend'] as const) {
    if (values[flag] !== undefined && !values.model) throw new Error(`--${flag} only applies with --model`);
  }
  const outDir = values.out ?? 'ifeval-out';
  let inputs = readInputs(values.input ?? dataPath('ifeval', 'input_data.jsonl'));
  const known = new Set(inputs.map((p) => p.prompt)); // before --subset/--limit: every prompt a response may answer
  inputs = restrictTo(inputs, subset);
  if (inputs.length === 0) throw new Error(`no prompt has an instruction of subset "${subsetName}"`);
  outputDir(outDir, '--out');

  let responses: Map<string, string>;
  if (values.model) {
    inputs = inputs.slice(0, countFlag(values.limit, 'limit', inputs.length));
    const file = outputFile(values.responses ?? join(outDir, 'responses.jsonl'), '--responses');
    const { model, tokenizer } = openPretrained(values.model, values.tokenizer, await pickBackend(values.backend));
    const answers = join(outDir, 'ifeval_outputs.json');
    const { rows } = await withBar('ifeval generate', 'responses', (onProgress) =>
      generateAnswers({
        model,
        tokenizer,
        instructions: ifevalInstructions(inputs),
        generator: basename(values.model!),
        out: answers,
        onProgress,
        maxNewTokens: countFlag(values['max-new-tokens'], 'max-new-tokens', 512),
        batchSize: countFlag(values['batch-size'], 'batch-size', 8),
      }),
    );
    responses = responsesOf(rows);
    writeTextAtomic(file, jsonlText([...responses].map(([prompt, response]) => ({ prompt, response }))));
  } else {
    responses = readResponses(values.responses!, known);
  }

  const result = runIfeval(inputs, responses, { subset: subsetName, allowMissing: values['allow-missing'] ?? false });
  writeTextAtomic(join(outDir, 'eval_results_strict.jsonl'), result.strict.map((o) => `${officialLine(o)}\n`).join(''));
  writeTextAtomic(join(outDir, 'eval_results_loose.jsonl'), result.loose.map((o) => `${officialLine(o)}\n`).join(''));
  const summary: IfevalSummary & { missing: number } = { ...result.summary, missing: result.missing.length };
  writeJsonAtomic(join(outDir, 'ifeval_summary.json'), summary);
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  console.log(
    `IFEval (${subsetName}): ${summary.n} prompts, ${summary.n_instructions} instructions${result.missing.length ? ` (${result.missing.length} prompts without a response skipped)` : ''}`,
  );
  console.log(`  prompt-level       strict ${pct(summary.prompt_strict)}  loose ${pct(summary.prompt_loose)}`);
  console.log(`  instruction-level  strict ${pct(summary.inst_strict)}  loose ${pct(summary.inst_loose)}`);
  for (const [fam, acc] of Object.entries(summary.per_family))
    console.log(`  ${fam.padEnd(20)} strict ${pct(acc)}  loose ${pct(summary.per_family_loose[fam]!)}`);
  console.log(`wrote ${join(outDir, 'eval_results_strict.jsonl')}, eval_results_loose.jsonl, ifeval_summary.json`);
  return 0;
}
